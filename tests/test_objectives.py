"""Tests of the multi-view and hybrid objectives: the model's terms by hand, gradients and the target encoder, saving,
errors, the views of the data pipeline, batch statistics over two processes and short pretraining runs."""

import datetime
import itertools
import math
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from conftest import MICRO
from safetensors.torch import load_file
from test_training import SMALL, fresh_accelerator_state, history, quick_args  # noqa: F401 (the fixture is autouse)
from transformers import AutoModel, AutoModelForPreTraining

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAMaskCollator, JEPAModel, data, pretrain
from hf_jepa.modeling_jepa import REGULARIZER_LOSSES, RegularizerInputs, gather_batch
from hf_jepa.training.pretraining import pretraining_inputs, training_transform

BATCH, VIEWS, LOCAL_VIEWS = 4, 2, 3
PROJECTOR = dict(projector_hidden_size=24, projector_dim=8)
MICRO_VIDEO = dict(MICRO, image_size=8, num_frames=8, tubelet_size=2)


def view_config(objective: str, **overrides) -> JEPAConfig:
    return JEPAConfig(**{**MICRO, **PROJECTOR, "objective": objective, **overrides})


def views(seed: int = 0, batch: int = BATCH, local_views: int = LOCAL_VIEWS) -> dict:
    """Random global views `[batch, views, 3, 16, 16]` and local ones `[batch, local_views, 3, 8, 8]`."""
    generator = torch.Generator().manual_seed(seed)
    inputs = {"pixel_values": torch.randn(batch, VIEWS, 3, 16, 16, generator=generator)}
    if local_views:
        inputs["local_pixel_values"] = torch.randn(batch, local_views, 3, 8, 8, generator=generator)
    return inputs


def collated(batch: dict, config: JEPAConfig, seed: int = 0) -> dict:
    """`batch` taken apart into examples and collated again by the pretraining collator, which adds the masks."""
    examples = [{name: value[index] for name, value in batch.items()} for index in range(len(batch["pixel_values"]))]
    return pretraining_inputs(JEPAMaskCollator(config, seed)(examples), torch.device("cpu"))


def hybrid_inputs(config: JEPAConfig, seed: int = 0, local_views: int = LOCAL_VIEWS) -> dict:
    return collated(views(seed, local_views=local_views), config, seed)


def invariance_by_hand(projections: torch.Tensor, num_global: int = VIEWS) -> torch.Tensor:
    centre = projections[:num_global].mean(0)
    return ((projections - centre) ** 2).mean()


# ---- the model's outputs -------------------------------------------------------------------------------------------


def test_multiview_forward_shapes_and_terms_by_hand():
    config = view_config("multiview", sigreg_weight=0.1, variance_weight=0.5, invariance_weight=2.0)
    model = JEPAForPreTraining(config)
    assert model.predictor is None and model.projector is not None
    assert isinstance(model.projector.norm, torch.nn.BatchNorm1d)
    inputs = views()
    torch.manual_seed(0)
    out = model(**inputs)
    assert out.view_embeddings.shape == (VIEWS + LOCAL_VIEWS, BATCH, 32)
    assert out.projections.shape == (VIEWS + LOCAL_VIEWS, BATCH, 8)
    assert out.prediction_loss is None and out.predictions is None and out.targets is None
    # global views first, each encoded whole by the context encoder; local views with interpolated positions
    for view in range(VIEWS):
        expected = model.context_encoder(inputs["pixel_values"][:, view]).pooler_output
        torch.testing.assert_close(out.view_embeddings[view], expected, atol=1e-5, rtol=1e-5)
    local = model.context_encoder(inputs["local_pixel_values"][:, 1], interpolate_pos_encoding=True).pooler_output
    torch.testing.assert_close(out.view_embeddings[VIEWS + 1], local, atol=1e-5, rtol=1e-5)

    torch.testing.assert_close(out.invariance_loss, invariance_by_hand(out.projections))
    assert out.invariance_loss > 0
    expected = 2.0 * out.invariance_loss + 0.1 * out.sigreg_loss + 0.5 * out.variance_loss
    torch.testing.assert_close(out.loss, expected)
    # the regularisers act on each view's projections, averaged over the views
    inputs = RegularizerInputs(out.projections, None, None)
    torch.testing.assert_close(out.variance_loss, REGULARIZER_LOSSES["variance_loss"](config, inputs))
    per_view = [
        REGULARIZER_LOSSES["variance_loss"](config, RegularizerInputs(p[None], None, None)) for p in inputs.pooled
    ]
    torch.testing.assert_close(out.variance_loss, torch.stack(per_view).mean())


@pytest.mark.parametrize("train", [True, False], ids=["batchnorm-train", "batchnorm-eval"])
def test_identical_views_have_no_invariance_loss(train):
    model = JEPAForPreTraining(view_config("multiview", sigreg_weight=0.1)).train(train)
    same = torch.randn(BATCH, 1, 3, 16, 16).expand(-1, VIEWS, -1, -1, -1).contiguous()
    out = model(same)
    assert out.projections.shape == (VIEWS, BATCH, 8)
    torch.testing.assert_close(out.invariance_loss, torch.tensor(0.0), atol=1e-12, rtol=0)
    different = model(**views(local_views=0))  # relative to the projections' scale (small at initialisation)
    assert different.invariance_loss > 0.01 * different.projections.var(1).mean()


def test_hybrid_forward_predicts_every_view_and_adds_the_view_terms():
    config = view_config("hybrid", sigreg_weight=0.1, covariance_weight=0.5, invariance_weight=0.5)
    model = JEPAForPreTraining(config)
    assert model.predictor is not None and model.projector is not None
    inputs = hybrid_inputs(config)
    num_contexts, num_targets = len(inputs["context_mask"]), len(inputs["target_mask"])
    assert inputs["context_mask"][0].shape[0] == VIEWS * BATCH  # masks per view-major row
    torch.manual_seed(0)
    out = model(**inputs)
    assert out.predictions.shape[0] == num_targets * num_contexts * VIEWS * BATCH
    assert out.targets.shape == out.predictions.shape
    assert out.view_embeddings.shape == (VIEWS + LOCAL_VIEWS, BATCH, 32)
    torch.testing.assert_close(out.invariance_loss, invariance_by_hand(out.projections))
    expected = out.prediction_loss + 0.5 * out.invariance_loss + 0.1 * out.sigreg_loss + 0.5 * out.covariance_loss
    torch.testing.assert_close(out.loss, expected)
    # the embedding of view v of sample b is the pooled context of row v * batch + b (view-major rows)
    for view in range(VIEWS):
        rows = slice(view * BATCH, (view + 1) * BATCH)
        contexts = [
            model.context_encoder(inputs["pixel_values"][:, view], mask=[mask[rows]]).last_hidden_state.mean(1)
            for mask in inputs["context_mask"]
        ]
        torch.testing.assert_close(out.view_embeddings[view], torch.stack(contexts).mean(0), atol=1e-5, rtol=1e-5)


def test_collator_draws_masks_per_view_for_hybrid_and_none_for_multiview():
    batch = views()
    inputs = collated(batch, view_config("hybrid"))
    assert all(mask.shape[0] == VIEWS * BATCH for mask in inputs["context_mask"] + inputs["target_mask"])
    assert torch.equal(inputs["local_pixel_values"], batch["local_pixel_values"])
    multiview = collated(batch, view_config("multiview"))
    assert set(multiview) == {"pixel_values", "local_pixel_values"}
    masked = collated({"pixel_values": batch["pixel_values"][:, 0]}, JEPAConfig(**MICRO))
    assert masked["context_mask"][0].shape[0] == BATCH


# ---- gradients and the target encoder ------------------------------------------------------------------------------


def test_multiview_gradients_reach_context_encoder_and_projector_never_target():
    model = JEPAForPreTraining(view_config("multiview", sigreg_weight=0.1))
    model(**views()).loss.backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    for module in (model.context_encoder, model.projector):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads)
        assert sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize("objective", ["multiview", "hybrid"])
def test_multiview_target_mirrors_the_context_encoder_while_hybrid_follows_the_ema(objective):
    model = JEPAForPreTraining(view_config(objective))
    with torch.no_grad():
        for parameter in model.context_encoder.parameters():
            parameter.add_(torch.randn_like(parameter))
    before = [p.clone() for p in model.target_encoder.parameters()]
    model.update_target_encoder(0.996)
    pairs = zip(before, model.target_encoder.parameters(), model.context_encoder.parameters())
    for old, new, context in pairs:
        if objective == "multiview":
            assert torch.equal(new, context)
        else:
            torch.testing.assert_close(new, 0.996 * old + 0.004 * context)
            assert not torch.equal(new, context)


# ---- saving and loading --------------------------------------------------------------------------------------------


def test_multiview_checkpoint_loads_as_the_target_encoder(tmp_path, caplog):
    torch.manual_seed(0)
    model = JEPAForPreTraining(view_config("multiview", sigreg_weight=0.1))
    model(**views()).loss.backward()  # BatchNorm running statistics move
    with torch.no_grad():  # make the two encoders differ, as between two optimiser steps
        for parameter in model.context_encoder.parameters():
            parameter.add_(0.1)
    model.eval().save_pretrained(tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    assert any(name.startswith("projector.") for name in state)
    assert not any(name.startswith("predictor.") for name in state)

    pixel_values = torch.randn(2, 3, 16, 16)
    expected = model.target_encoder(pixel_values).last_hidden_state
    for loader in (AutoModel, JEPAModel):
        caplog.clear()
        with caplog.at_level("WARNING"):
            encoder = loader.from_pretrained(tmp_path).eval()
        assert isinstance(encoder, JEPAModel)
        assert "projector" not in caplog.text and "UNEXPECTED" not in caplog.text.upper(), caplog.text
        assert torch.equal(encoder(pixel_values).last_hidden_state, expected)

    reloaded = AutoModelForPreTraining.from_pretrained(tmp_path).eval()
    assert reloaded.config.objective == "multiview" and reloaded.config.projector_dim == 8
    assert reloaded.predictor is None
    for name, tensor in model.projector.state_dict().items():  # BatchNorm's running statistics too
        assert torch.equal(reloaded.projector.state_dict()[name], tensor), name
    inputs = views(seed=1)
    assert torch.equal(reloaded(**inputs).projections, model(**inputs).projections)


# ---- clear errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,match",
    [
        (dict(objective="bogus"), "objective must be one of .*got 'bogus'"),
        (dict(objective="multiview", consistency_weight=1), "consistency_weight \\(1\\).*'multiview'"),
        (dict(objective="hybrid", invariance_weight=-1.0), "invariance_weight must be >= 0, got -1.0"),
        (dict(objective="multiview", projector_dim=0), "projector_dim"),
    ],
)
def test_config_validation_of_the_objectives(overrides, match):
    with pytest.raises(ValueError, match=match):
        JEPAConfig(**{**MICRO, **overrides})


def test_wrong_inputs_for_the_objective_are_clear_errors():
    multiview = JEPAForPreTraining(view_config("multiview"))
    with pytest.raises(ValueError, match="takes pixel_values of shape \\[batch, views, .*got \\(4, 3, 16, 16\\)"):
        multiview(torch.randn(4, 3, 16, 16))
    with pytest.raises(ValueError, match="takes local_pixel_values of shape .*got \\(4, 8, 8\\)"):
        multiview(views()["pixel_values"], local_pixel_values=torch.randn(4, 8, 8))
    masked = JEPAForPreTraining(JEPAConfig(**MICRO))
    with pytest.raises(ValueError, match="local_pixel_values need the 'multiview' or 'hybrid' objective"):
        masked(torch.randn(4, 3, 16, 16), local_pixel_values=torch.randn(4, 2, 3, 8, 8))
    hybrid = JEPAForPreTraining(view_config("hybrid"))
    with pytest.raises(ValueError, match="The 'hybrid' objective needs context_mask and target_mask"):
        hybrid(**views())


def test_view_arguments_are_checked_against_the_objective(tmp_path):
    with pytest.raises(ValueError, match="num_global_views=2 and num_local_views=0 need the 'multiview' or 'hybrid'"):
        training_transform(quick_args(tmp_path, num_global_views=2), JEPAConfig(**MICRO))
    with pytest.raises(ValueError, match="num_global_views=None and num_local_views=2 need"):
        training_transform(quick_args(tmp_path, num_local_views=2), JEPAConfig(**MICRO))
    with pytest.raises(ValueError, match="num_global_views \\(1\\) \\+ num_local_views \\(0\\) must be at least 2"):
        training_transform(quick_args(tmp_path, num_global_views=1), view_config("multiview"))
    with pytest.raises(ValueError, match="local_image_size \\(6\\) must be a multiple of patch_size \\(4\\)"):
        training_transform(quick_args(tmp_path, num_local_views=1, local_image_size=6), view_config("hybrid"))
    with pytest.raises(ValueError, match="num_global_views must be >= 1 and num_local_views >= 0, got 0 and 0"):
        quick_args(tmp_path, num_global_views=0)
    with pytest.raises(ValueError, match="local_crop_scale must be two numbers"):
        quick_args(tmp_path, local_crop_scale=[0.5, 0.1])


# ---- the views of the data pipeline --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion():
    return data.load_media_dataset("fashion_mnist_small", max_samples=16)


def test_multiview_transform_on_a_real_image(tmp_path, fashion):
    args = quick_args(tmp_path, num_local_views=LOCAL_VIEWS, color_jitter=0.5, blur_probability=0.5)
    transform = training_transform(args, view_config("multiview"))
    assert isinstance(transform, data.MultiViewTransform) and transform.num_global_views == 2
    torch.manual_seed(0)
    out = transform(fashion[0]["image"])
    assert set(out) == {"pixel_values", "local_pixel_values"}
    assert out["pixel_values"].shape == (2, 3, 16, 16) and out["pixel_values"].dtype == torch.float32
    assert out["local_pixel_values"].shape == (LOCAL_VIEWS, 3, 8, 8)  # half the side, in whole patches
    for kind in ("pixel_values", "local_pixel_values"):  # every view an independent draw
        for i, j in itertools.combinations(range(len(out[kind])), 2):
            assert not torch.allclose(out[kind][i], out[kind][j], atol=1e-3), (kind, i, j)

    larger = training_transform(
        quick_args(tmp_path, num_global_views=3, num_local_views=1, local_image_size=12), view_config("hybrid")
    )
    out = larger(fashion[1]["image"])
    assert out["pixel_values"].shape == (3, 3, 16, 16) and out["local_pixel_values"].shape == (1, 3, 12, 12)
    only_global = training_transform(quick_args(tmp_path), view_config("multiview"))(fashion[2]["image"])
    assert set(only_global) == {"pixel_values"} and only_global["pixel_values"].shape == (2, 3, 16, 16)


def test_seeded_views_depend_only_on_seed_epoch_and_index_and_collate(tmp_path, fashion):
    args = quick_args(tmp_path, num_local_views=2, color_jitter=0.4)
    dataset = data.MediaDataset(fashion, "image", training_transform(args, view_config("hybrid")), "label", seed=0)
    first = dataset[3]
    torch.manual_seed(123)  # the global generator does not matter
    again = dataset[3]
    for key in ("pixel_values", "local_pixel_values"):
        assert torch.equal(first[key], again[key]), key
    assert first["labels"] == fashion[3]["label"]
    dataset.set_epoch(1)
    other_epoch = dataset[3]
    assert not torch.allclose(other_epoch["pixel_values"], first["pixel_values"], atol=1e-3)
    assert not torch.allclose(other_epoch["local_pixel_values"], first["local_pixel_values"], atol=1e-3)
    dataset.set_epoch(0)
    assert torch.equal(dataset[3]["local_pixel_values"], first["local_pixel_values"])

    skipped = {"skipped": True, "id": 99, "error": "OSError: broken"}
    batch = data.collate_skipping_bad([dataset[0], skipped, dataset[1], dataset[2]])
    assert batch["pixel_values"].shape == (3, 2, 3, 16, 16)
    assert batch["local_pixel_values"].shape == (3, 2, 3, 8, 8)
    assert torch.equal(batch["local_pixel_values"][1], dataset[1]["local_pixel_values"])
    assert batch["num_skipped"] == 1 and batch["labels"].tolist() == [fashion[i]["label"] for i in range(3)]


# ---- batch statistics over the global batch -------------------------------------------------------------------------

REGULARIZED = JEPAConfig(**MICRO, variance_weight=1.0, covariance_weight=1.0, sigreg_weight=1.0)
STATISTICS = ("variance_loss", "covariance_loss", "sigreg_loss")


def global_batch_losses(z: torch.Tensor, sigreg_seed: int) -> dict[str, torch.Tensor]:
    """The batch statistics of `z` `[rows, dim]` (this process's rows) over the batch of every process."""
    inputs = RegularizerInputs(gather_batch(z[None], dim=1), None, None)
    losses = {name: REGULARIZER_LOSSES[name](REGULARIZED, inputs) for name in STATISTICS[:2]}
    torch.manual_seed(sigreg_seed)
    losses["sigreg_loss"] = REGULARIZER_LOSSES["sigreg_loss"](REGULARIZED, inputs)
    return losses


@pytest.mark.parametrize("name", [*STATISTICS, "consistency_loss"])
def test_batch_statistics_are_fp32_under_fp16_autocast(name):
    """8,192 samples of std 3: the covariance's sums pass fp16's 65,504, and `.float()` alone does not leave
    autocast (the loss would be nan, and fp16's gradient scaler would skip every step)."""
    z = torch.randn(8192, 8, generator=torch.Generator().manual_seed(0)) * 3
    mask = torch.arange(16).expand(512, -1)  # a 4-step clip of 2x2 tokens, whole
    inputs = RegularizerInputs(z[None], z.view(512, 16, 8), [mask])
    config = JEPAConfig(**MICRO_VIDEO, sigreg_num_projections=64)
    torch.manual_seed(0)
    expected = REGULARIZER_LOSSES[name](config, inputs)
    torch.manual_seed(0)
    with torch.autocast("cpu", dtype=torch.float16):
        under_autocast = REGULARIZER_LOSSES[name](config, inputs)
    assert under_autocast.dtype == torch.float32
    torch.testing.assert_close(under_autocast, expected)


def _global_batch_worker(rank: int, world_size: int, port: int, z: torch.Tensor, out_dir: str) -> None:
    torch.distributed.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=120),
    )
    try:
        rows = z.chunk(world_size)[rank].clone().requires_grad_(True)
        # another seed on the other ranks: SIGReg must use the first process's directions
        losses = global_batch_losses(rows, sigreg_seed=0 if rank == 0 else 1000 + rank)
        torch.stack(list(losses.values())).sum().backward()
        result = {name: value.detach() for name, value in losses.items()}
        torch.save({**result, "grad": rows.grad}, f"{out_dir}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_batch_statistics_over_two_processes_equal_those_of_the_global_batch(tmp_path):
    world_size = 2
    torch.manual_seed(0)
    z = torch.randn(8, 16) * torch.linspace(0.2, 2.0, 16)
    context, port = mp.get_context("spawn"), free_port()
    processes = [
        context.Process(target=_global_batch_worker, args=(rank, world_size, port, z, str(tmp_path)))
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()
    assert [process.exitcode for process in processes] == [0] * world_size

    full = z.clone().requires_grad_(True)
    expected = global_batch_losses(full, sigreg_seed=0)
    torch.stack(list(expected.values())).sum().backward()
    assert all(value > 0 for value in expected.values())
    for rank in range(world_size):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        for name in STATISTICS:
            torch.testing.assert_close(result[name], expected[name].detach(), atol=1e-5, rtol=1e-5, msg=name)
        # each process's rows get the gradient of every process's identical loss; the data-parallel average
        # (division by the number of processes) gives the gradient of one loss on the global batch
        own_rows = full.grad.chunk(world_size)[rank]
        torch.testing.assert_close(result["grad"] / world_size, own_rows, atol=1e-5, rtol=1e-5)


# ---- short pretraining runs ----------------------------------------------------------------------------------------

FEW_SAMPLES = dict(max_train_samples=64, per_device_train_batch_size=8, max_steps=4)  # 8 batches an epoch


def test_multiview_pretraining_logs_its_terms_and_saves_the_trained_encoder(tmp_path):
    args = quick_args(
        tmp_path,
        config_overrides=f"{SMALL},objective=multiview,sigreg_weight=0.05",
        num_local_views=2,
        **FEW_SAMPLES,
    )  # the default EMA schedule: the multi-view objective ignores it and mirrors the trained encoder
    summary = pretrain(args)
    assert summary["steps"] == 4 and np.isfinite(summary["final_loss"])
    logged = history(tmp_path)
    assert sorted(logged) == [1, 2, 3, 4]
    for record in logged.values():
        assert "train/prediction_loss" not in record
        assert record["train/invariance_loss"] > 0 and np.isfinite(record["train/sigreg_loss"])
        terms = record["train/invariance_loss"] + 0.05 * record["train/sigreg_loss"]
        assert record["train/loss"] == pytest.approx(terms, rel=1e-5)
        assert record["train/target_feature_std"] > 0
    weights = load_file(tmp_path / "model.safetensors")
    targets = {name.removeprefix("target_encoder."): w for name, w in weights.items() if name.startswith("target_")}
    contexts = {name.removeprefix("context_encoder."): w for name, w in weights.items() if name.startswith("context_")}
    assert targets.keys() == contexts.keys() and len(targets) > 10
    for name, tensor in targets.items():
        assert torch.equal(tensor, contexts[name]), name
    assert any(name.startswith("projector.") for name in weights)
    assert not any(name.startswith("predictor.") for name in weights)
    encoder = AutoModel.from_pretrained(tmp_path)
    assert isinstance(encoder, JEPAModel) and encoder.config.objective == "multiview"


@pytest.mark.parametrize(
    "regularizers",
    [
        "variance_weight=1.0",
        # SIGReg draws random directions in every step: they repeat only if nothing between the restored checkpoint
        # and the next step draws from the global generator (the data loader draws from its own)
        "sigreg_weight=0.05,variance_weight=1.0",
    ],
    ids=["vicreg", "sigreg"],
)
def test_resumed_hybrid_run_repeats_the_uninterrupted_one(tmp_path, regularizers):
    hybrid = dict(
        config_overrides=f"{SMALL},objective=hybrid,{regularizers}",
        num_local_views=1,
        color_jitter=0.4,
        checkpointing_steps=2,
        **FEW_SAMPLES,
        learning_rate=1e-3,
        warmup_steps=1,
    )
    pretrain(quick_args(tmp_path / "reference", **hybrid))
    # a run stopped after its first checkpoint and resumed from it (in another folder, to keep the reference's)
    checkpoint = tmp_path / "reference" / "checkpoint-2"
    pretrain(quick_args(tmp_path / "resumed", resume_from_checkpoint=str(checkpoint), **hybrid))
    expected, actual = history(tmp_path / "reference"), history(tmp_path / "resumed")
    assert sorted(actual) == [3, 4]
    terms = [name for name in expected[3] if name.endswith("_loss")] + ["train/loss"]  # the culprit first
    assert {"train/prediction_loss", "train/invariance_loss", "train/variance_loss"} <= set(terms)
    for step in (3, 4):
        for name in terms:
            value, reference = actual[step][name], expected[step][name]
            assert math.isfinite(value) and value == pytest.approx(reference, rel=1e-5, abs=1e-6), (step, name)
    weights = load_file(tmp_path / "reference" / "model.safetensors")
    resumed = load_file(tmp_path / "resumed" / "model.safetensors")
    assert weights.keys() == resumed.keys()
    assert any(name.startswith("projector.norm.running_") for name in weights)  # BatchNorm statistics resume too
    for name, tensor in weights.items():
        torch.testing.assert_close(resumed[name], tensor, rtol=1e-5, atol=1e-6, msg=name)
