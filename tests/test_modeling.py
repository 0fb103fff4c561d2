import json
import math
import os

import pytest
import torch
import torch.nn.functional as F
from conftest import MICRO, output_without_hf_jepa
from safetensors.torch import load_file, save_file
from torch.utils.flop_counter import FlopCounterMode
from transformers import AutoModel, AutoModelForPreTraining

from hf_jepa import (
    JEPAConfig,
    JEPAForImageClassification,
    JEPAForPreTraining,
    JEPAMaskCollator,
    JEPAModel,
    modeling_jepa,
)
from hf_jepa.configuration_jepa import REGULARIZERS
from hf_jepa.modeling_jepa import (
    REGULARIZER_LOSSES,
    JEPAForPreTrainingOutput,
    consistency_loss,
    covariance_loss,
    sigreg_loss,
    sincos_position_embeddings,
    variance_loss,
)

MICRO_VIDEO = dict(MICRO, num_frames=4, tubelet_size=2)


def micro_config(**overrides) -> JEPAConfig:
    return JEPAConfig(**{**MICRO, **overrides})


def masked_batch(config, batch_size=4, seed=0):
    torch.manual_seed(seed)
    shape = (config.num_frames, 3, config.image_size, config.image_size) if config.is_video else (3, 16, 16)
    examples = [{"pixel_values": torch.randn(shape)} for _ in range(batch_size)]
    return JEPAMaskCollator(config, seed=seed)(examples)


@pytest.mark.parametrize("overrides", [MICRO, MICRO_VIDEO], ids=["image", "video"])
def test_encoder_output_shapes(overrides):
    config = JEPAConfig(**overrides)
    model = JEPAModel(config).eval()
    pixel_values = masked_batch(config)["pixel_values"]
    outputs = model(pixel_values, output_hidden_states=True)
    assert outputs.last_hidden_state.shape == (4, config.num_patches, 32)
    assert torch.allclose(outputs.pooler_output, outputs.last_hidden_state.mean(1))
    assert len(outputs.hidden_states) == config.num_hidden_layers + 1


def test_presets_have_the_advertised_sizes():
    def encoder_parameters(name):
        config = JEPAConfig.from_preset(name)
        with torch.device("meta"):
            return sum(p.numel() for p in JEPAModel(config).parameters())

    assert 2.5e6 < encoder_parameters("tiny") < 3.0e6
    assert 21e6 < encoder_parameters("small") < 23e6  # ViT-S/16
    assert 85e6 < encoder_parameters("base") < 87e6  # ViT-B/16
    assert JEPAConfig.from_preset("small-video").num_frames == 16
    assert JEPAConfig().hidden_size == 768 and JEPAConfig().image_size == 224 and JEPAConfig().mask_ratio == 0.75


def test_token_dropping_processes_only_the_kept_tokens():
    config = micro_config()
    model = JEPAModel(config).eval()
    pixel_values = torch.randn(2, 3, 16, 16)
    full = model(pixel_values).last_hidden_state
    everything = [torch.arange(16).expand(2, -1)]
    assert torch.allclose(model(pixel_values, mask=everything).last_hidden_state, full, atol=1e-6)

    kept = torch.tensor([[0, 5, 10, 15], [1, 2, 3, 4]])
    dropped = model(pixel_values, mask=[kept]).last_hidden_state
    assert dropped.shape == (2, 4, 32)
    # Changing the pixels of a dropped patch (patch 6 = row 1, column 2) changes nothing in the output ...
    edited = pixel_values.clone()
    edited[:, :, 4:8, 8:12] = 10.0
    assert torch.allclose(model(edited, mask=[kept]).last_hidden_state, dropped, atol=1e-6)
    # ... while a kept one does; and the order of the kept tokens only permutes the output.
    edited[:, :, 0:4, 0:4] = 10.0
    assert not torch.allclose(model(edited, mask=[kept]).last_hidden_state[0], dropped[0], atol=1e-3)
    permuted = model(pixel_values, mask=[kept.flip(1)]).last_hidden_state
    assert torch.allclose(permuted, dropped.flip(1), atol=1e-5)
    # several masks are encoded side by side, mask-major
    two = model(pixel_values, mask=[kept, kept.flip(1)]).last_hidden_state
    assert torch.allclose(two[:2], dropped, atol=1e-6)


@pytest.mark.parametrize("overrides", [MICRO, MICRO_VIDEO], ids=["image", "video"])
def test_sdpa_and_eager_attention_agree(overrides):
    torch.manual_seed(0)
    sdpa = JEPAForPreTraining(JEPAConfig(**overrides, attn_implementation="sdpa")).eval()
    eager = JEPAForPreTraining(JEPAConfig(**overrides, attn_implementation="eager")).eval()
    eager.load_state_dict(sdpa.state_dict())
    assert sdpa.config._attn_implementation == "sdpa" and eager.config._attn_implementation == "eager"
    batch = masked_batch(sdpa.config)
    out_sdpa, out_eager = sdpa(**batch), eager(**batch)
    assert torch.allclose(out_sdpa.predictions, out_eager.predictions, atol=1e-5)
    assert torch.allclose(out_sdpa.loss, out_eager.loss, atol=1e-6)


@pytest.mark.skipif(modeling_jepa._ONEDNN_LINEAR is None, reason="the fused MLP needs oneDNN on an x86 CPU")
@pytest.mark.parametrize("hidden_act", ["gelu", "gelu_pytorch_tanh"])
def test_mlp_fused_with_onednn_without_gradients_gives_the_same_features_and_flops(hidden_act):
    model = JEPAModel(micro_config(hidden_act=hidden_act)).eval()
    pixel_values = torch.randn(3, 3, 16, 16)
    with FlopCounterMode(display=False) as recording:  # the parameters require gradients: fc1 and GELU apart
        expected = model(pixel_values).last_hidden_state
    with torch.no_grad(), FlopCounterMode(display=False) as inference:
        fused = model(pixel_values).last_hidden_state
    fused_products = inference.get_flop_counts()["Global"]
    assert torch.ops.mkldnn._linear_pointwise in fused_products
    assert torch.ops.mkldnn._linear_pointwise not in recording.get_flop_counts()["Global"]
    assert fused_products[torch.ops.mkldnn._linear_pointwise] == 2 * 3 * 16 * 32 * 128 * 2  # 2 layers' fc1
    assert inference.get_total_flops() == recording.get_total_flops()
    torch.testing.assert_close(fused, expected, atol=1e-6, rtol=1e-5)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16), FlopCounterMode(display=False) as autocast:
        model(pixel_values)
    assert torch.ops.mkldnn._linear_pointwise not in autocast.get_flop_counts()["Global"]


def test_eager_attention_returns_attention_maps():
    model = JEPAModel(micro_config(attn_implementation="eager")).eval()
    outputs = model(torch.randn(2, 3, 16, 16), output_attentions=True)
    assert len(outputs.attentions) == 2 and outputs.attentions[0].shape == (2, 2, 16, 16)
    assert torch.allclose(outputs.attentions[0].sum(-1), torch.ones(2, 2, 16))


def test_gradients_reach_context_encoder_and_predictor_never_target():
    model = JEPAForPreTraining(micro_config())
    model(**masked_batch(model.config)).loss.backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    assert all(not p.requires_grad for p in model.target_encoder.parameters())
    for module in (model.context_encoder, model.predictor):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads)
        assert sum(g.abs().sum() for g in grads) > 0


def test_target_encoder_starts_as_a_copy_and_ema_follows_its_formula():
    model = JEPAForPreTraining(micro_config())
    for target, context in zip(model.target_encoder.parameters(), model.context_encoder.parameters()):
        assert torch.equal(target, context)
    with torch.no_grad():
        for parameter in model.context_encoder.parameters():
            parameter.add_(torch.randn_like(parameter))
    before = [p.clone() for p in model.target_encoder.parameters()]
    model.update_target_encoder(0.9)
    for old, new, context in zip(before, model.target_encoder.parameters(), model.context_encoder.parameters()):
        assert torch.allclose(new, 0.9 * old + 0.1 * context, atol=1e-6)


def pretraining_steps(
    model: JEPAForPreTraining, pixel_values: torch.Tensor, steps: int, momentum: float
) -> list[float]:
    """`steps` AdamW steps (lr 1e-3) on one batch, masks from the collator, each followed by the EMA update of the
    target encoder with `momentum`; returns the losses."""
    collator = JEPAMaskCollator(model.config, seed=0)
    parameters = [p for name, p in model.named_parameters() if not name.startswith("target_encoder.")]
    optimizer = torch.optim.AdamW(parameters, lr=1e-3)
    model.train()
    losses = []
    for _ in range(steps):
        batch = collator([{"pixel_values": example} for example in pixel_values])
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        model.update_target_encoder(momentum)
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("loss_type", ["mse", "smooth_l1", "l1"])
def test_training_lowers_the_loss_without_collapse(loss_type):
    torch.manual_seed(0)
    model = JEPAForPreTraining(micro_config(loss_type=loss_type))
    images = torch.nn.functional.interpolate(torch.randn(16, 3, 4, 4), size=16, mode="bilinear")  # smooth images

    def target_spread() -> float:  # std across the batch of the layer-normed target features
        with torch.no_grad():
            features = model.target_encoder(images).last_hidden_state
        return torch.nn.functional.layer_norm(features, features.shape[-1:]).std(0).mean().item()

    initial_spread = target_spread()
    losses = pretraining_steps(model, images, steps=200, momentum=0.99)
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.3 * first, (first, last)
    # a collapsed target encoder gives the same features for every image (spread -> 0)
    assert target_spread() > 0.2 * initial_spread, "target features collapsed"


def test_variance_and_covariance_terms_match_their_formulas():
    torch.manual_seed(0)
    z = torch.randn(32, 6) * torch.tensor([0.1, 0.5, 1.0, 2.0, 3.0, 0.2])
    std = torch.sqrt(z.var(0) + 1e-4)
    assert torch.allclose(variance_loss(z), torch.clamp(1 - std, min=0).mean())
    centered = z - z.mean(0)
    covariance = centered.T @ centered / 31
    expected = sum(covariance[i, j] ** 2 for i in range(6) for j in range(6) if i != j) / 6
    assert torch.allclose(covariance_loss(z), expected)


def test_consistency_term_on_a_hand_made_clip():
    # grid of 2 time steps x 1 x 2 tokens; sample 0: frame means 0 and 2 -> deviation 1 per channel.
    hidden = torch.tensor(
        [[[0.0, 0.0], [0.0, 0.0], [2.0, 2.0], [2.0, 2.0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]]
    )
    mask = torch.tensor([[0, 1, 2, 3], [0, 1, 2, 3]])
    # sample 0 contributes 1.0 for each of its 2 frames, sample 1 contributes 0 -> mean over 4 frames = 0.5
    assert torch.allclose(consistency_loss(hidden, mask, (2, 1, 2)), torch.tensor(0.5))
    # one time step only (an image): always zero
    assert consistency_loss(hidden[:, :2], mask[:, :2], (1, 1, 2)) == 0


def epps_pulley_closed_form(x: torch.Tensor) -> torch.Tensor:
    """N * integral over the real line of |empirical cf - exp(-t^2/2)|^2 exp(-t^2/2) dt, in closed form."""
    x = x.double()
    n = len(x)
    pairs = torch.exp(-0.5 * (x[:, None] - x[None, :]) ** 2).sum() * math.sqrt(2 * math.pi) / n**2
    cross = 2 * math.sqrt(math.pi) * torch.exp(-(x**2) / 4).mean()
    return n * (pairs - cross + math.sqrt(2 * math.pi / 3))


@pytest.mark.parametrize("scale", [1.0, 0.3, 2.0])
def test_sigreg_matches_the_closed_form_epps_pulley_statistic(scale):
    torch.manual_seed(0)
    x = scale * torch.randn(256, 1)  # one dimension: every random direction is +-1, which the statistic ignores
    assert torch.allclose(sigreg_loss(x, num_projections=4).double(), epps_pulley_closed_form(x[:, 0]), rtol=0.02)


def test_sigreg_is_smallest_for_standard_gaussians():
    torch.manual_seed(0)
    gaussian = sigreg_loss(torch.randn(512, 16), num_projections=64)
    collapsed = sigreg_loss(0.5 + 0.01 * torch.randn(512, 16), num_projections=64)
    scaled = sigreg_loss(5 * torch.randn(512, 16), num_projections=64)
    assert 10 * gaussian < collapsed and 10 * gaussian < scaled


def test_regularisers_are_reported_and_weighted():
    config = JEPAConfig(
        **MICRO_VIDEO, variance_weight=1.0, covariance_weight=0.5, consistency_weight=2.0, sigreg_weight=0.1
    )
    model = JEPAForPreTraining(config)
    torch.manual_seed(0)
    out = model(**masked_batch(config))
    expected = (
        out.prediction_loss
        + out.variance_loss
        + 0.5 * out.covariance_loss
        + 2.0 * out.consistency_loss
        + 0.1 * out.sigreg_loss
    )
    assert torch.allclose(out.loss, expected)
    plain = JEPAForPreTraining(JEPAConfig(**MICRO_VIDEO))(**masked_batch(config))
    assert plain.variance_loss is None and torch.equal(plain.loss, plain.prediction_loss)


def test_every_regulariser_has_a_weight_a_loss_function_and_an_output_field():
    fields = set(JEPAForPreTrainingOutput.__dataclass_fields__)
    assert REGULARIZER_LOSSES.keys() == REGULARIZERS.keys() and set(REGULARIZERS) <= fields
    assert all(name.endswith("_loss") for name in REGULARIZERS)  # the training loop logs every `*_loss` field
    for weight in REGULARIZERS.values():
        with pytest.raises(ValueError, match=f"{weight} must be >= 0, got -1"):
            micro_config(**{weight: -1.0})


def test_classification_loss_is_transformers_cross_entropy():
    torch.manual_seed(0)
    model = JEPAForImageClassification(micro_config(num_labels=3)).eval()
    pixel_values, labels = torch.randn(4, 3, 16, 16), torch.tensor([0, 2, 1, 2])
    out = model(pixel_values, labels=labels)
    assert model.config.problem_type == "single_label_classification"
    assert torch.allclose(out.loss, F.cross_entropy(out.logits, labels))
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 3\), got values in \[0, 3\]"):
        model(pixel_values, labels=torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"got values in \[-1, 2\]"):
        model(pixel_values, labels=torch.tensor([-1, 1, 2, 0]))


def test_learned_positions_are_a_trained_parameter_that_the_ema_target_follows(tmp_path):
    torch.manual_seed(0)
    model = JEPAForPreTraining(micro_config(position_embedding_type="learned"))
    table = model.context_encoder.embeddings.position_embeddings
    assert isinstance(table, torch.nn.Parameter) and table.requires_grad
    # starts as the sin-cos table; the predictor keeps a fixed sin-cos buffer at its own width
    assert torch.equal(table, sincos_position_embeddings(32, (1, 4, 4)))
    assert torch.equal(model.target_encoder.embeddings.position_embeddings, table)
    assert torch.equal(model.predictor.position_embeddings, sincos_position_embeddings(16, (1, 4, 4)))
    assert "predictor.position_embeddings" not in dict(model.named_parameters())

    # a masked forward reads the rows of the kept tokens only
    context = [torch.tensor([[0, 5, 6], [5, 9, 15]])]
    target = [torch.tensor([[1, 2], [3, 4]])]
    model(torch.randn(2, 3, 16, 16), context_mask=context, target_mask=target).loss.backward()
    touched = table.grad[0].abs().sum(-1).nonzero().flatten().tolist()
    assert touched == [0, 5, 6, 9, 15]

    with torch.no_grad():
        table.add_(1.0)
    model.update_target_encoder(0.75)
    expected = sincos_position_embeddings(32, (1, 4, 4)) + 0.25
    assert torch.allclose(model.target_encoder.embeddings.position_embeddings, expected, atol=1e-6)

    model.save_pretrained(tmp_path)
    reloaded = JEPAForPreTraining.from_pretrained(tmp_path)
    for name in ("context_encoder", "target_encoder"):
        stored = getattr(model, name).embeddings.position_embeddings
        assert torch.equal(getattr(reloaded, name).embeddings.position_embeddings, stored)


def test_future_frame_prediction_predicts_the_last_time_steps():
    config = JEPAConfig(**MICRO_VIDEO, mask_strategy="temporal", frames_ahead=1)
    model = JEPAForPreTraining(config).eval()
    batch = masked_batch(config)
    tokens_per_step = 16
    assert batch["target_mask"][0].min() == tokens_per_step and batch["context_mask"][0].max() < tokens_per_step
    out = model(**batch)
    assert out.predictions.shape == (4, tokens_per_step, 32)
    # the future frames never reach the context encoder: changing them moves only the targets
    edited = batch["pixel_values"].clone()
    edited[:, 2:] += 5.0
    moved = model(**{**batch, "pixel_values": edited})
    assert torch.allclose(moved.predictions, out.predictions, atol=1e-5)
    assert not torch.allclose(moved.targets, out.targets, atol=1e-3)


def count_block_forwards(model: torch.nn.Module) -> dict[str, int]:
    """Counts the forwards of the transformer blocks (as their attention starts: a recomputation stops once it has
    what the backward needs), by the name of the module holding the blocks."""
    counts = {}
    for name, module in model.named_modules():
        if isinstance(module, modeling_jepa.JEPAAttention):
            owner = name.split(".layers.")[0]
            counts.setdefault(owner, 0)
            module.register_forward_pre_hook(lambda *_, owner=owner: counts.__setitem__(owner, counts[owner] + 1))
    return counts


def test_gradient_checkpointing_recomputes_the_trained_layers_and_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = JEPAForPreTraining(micro_config(drop_path_rate=0.1, hidden_dropout_prob=0.1))
    checkpointed = JEPAForPreTraining(plain.config)
    checkpointed.load_state_dict(plain.state_dict())
    checkpointed.activation_checkpointing_enable()
    batch = masked_batch(plain.config)
    forwards = {}
    for name, model in (("plain", plain), ("checkpointed", checkpointed)):
        counts = count_block_forwards(model)
        torch.manual_seed(1)  # the same dropout and drop-path draws; the recomputation replays them
        model.train()(**batch).loss.backward()
        forwards[name] = counts
    # two layers in each encoder, one in the predictor; the backward recomputes those that take gradients
    assert forwards["plain"] == {"context_encoder": 2, "target_encoder": 2, "predictor": 1}
    assert forwards["checkpointed"] == {"context_encoder": 4, "target_encoder": 2, "predictor": 2}
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters()):
        if a.requires_grad:
            torch.testing.assert_close(a.grad, b.grad, atol=1e-6, rtol=1e-5, msg=name)


def test_other_resolutions_need_interpolation():
    model = JEPAModel(micro_config()).eval()
    with pytest.raises(ValueError, match="interpolate_pos_encoding"):
        model(torch.randn(1, 3, 24, 24))
    outputs = model(torch.randn(1, 3, 24, 24), interpolate_pos_encoding=True)
    assert outputs.last_hidden_state.shape == (1, 36, 32)


@pytest.mark.parametrize(
    "shape,match",
    [
        ((2, 16, 16), "pixel_values must have shape"),
        ((2, 1, 16, 16), "pixel_values must have shape"),
        ((2, 3, 18, 18), "not divisible"),
    ],
)
def test_wrong_input_shapes_are_clear_errors(shape, match):
    with pytest.raises(ValueError, match=match):
        JEPAModel(micro_config())(torch.randn(shape))


def test_bad_masks_are_clear_errors():
    model = JEPAForPreTraining(micro_config())
    pixel_values = torch.randn(2, 3, 16, 16)
    good = [torch.arange(4).expand(2, -1)]
    with pytest.raises(ValueError, match="outside"):
        model(pixel_values, context_mask=[torch.full((2, 3), 99)], target_mask=good)
    with pytest.raises(ValueError, match="same number of tokens"):
        model(
            pixel_values,
            context_mask=good,
            target_mask=[torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long)],
        )
    with pytest.raises(ValueError, match="batch=2"):
        model(pixel_values, context_mask=[torch.arange(4).expand(3, -1)], target_mask=good)


def test_the_forward_reads_no_mask_values_when_compiled():
    """A mask's values are read only on the CPU outside torch.compile: on an accelerator each read would be a
    device-to-host sync, and under the compiler a graph break (which `fullgraph=True` refuses)."""
    model = JEPAForPreTraining(micro_config(variance_weight=1.0, sigreg_weight=0.1))
    batch = masked_batch(model.config)
    torch.manual_seed(0)
    expected = model(**batch).loss
    torch.manual_seed(0)
    compiled = torch.compile(model, fullgraph=True, backend="eager")(**batch).loss
    torch.testing.assert_close(compiled, expected)


@pytest.mark.parametrize(
    "overrides,match",
    [
        (dict(image_size=30), "image_size \\(30\\) must be divisible by patch_size"),
        (dict(num_frames=5), "num_frames \\(5\\) must be divisible by tubelet_size"),
        (dict(hidden_size=30, num_attention_heads=4), "hidden_size \\(30\\) must be divisible by num_attention_heads"),
        (dict(mask_ratio=1.0), "mask_ratio must lie strictly between 0 and 1, got 1.0"),
        (dict(mask_ratio=0.0), "mask_ratio"),
        (dict(num_frames=4, mask_strategy="temporal", frames_ahead=2), "frames_ahead \\(2\\)"),
        (dict(num_frames=4, mask_strategy="temporal", frames_ahead=0), "frames_ahead \\(0\\) .* must be at least 1"),
        (dict(num_frames=2, mask_strategy="temporal"), "smaller than the number of time steps \\(1 = num_frames 2"),
        (dict(loss_type="huber"), "loss_type must be one of .* got 'huber'"),
        (dict(mask_strategy="checkerboard"), "mask_strategy must be one of .* got 'checkerboard'"),
        (dict(mask_strategy="tube"), "needs video input"),
        (dict(target_block_scale=(0.5, 0.2)), "target_block_scale"),
    ],
)
def test_config_validation_names_the_bad_value(overrides, match):
    with pytest.raises(ValueError, match=match):
        JEPAConfig(**{**MICRO, **overrides})


def test_a_video_model_of_one_tubelet_is_valid_and_embeds_its_clips():
    """frames_ahead is read by temporal masking only: a clip of one tubelet (V-JEPA 2-AC's frame encoder) takes the
    other strategies, and a frames_ahead no strategy reads is not checked."""
    config = JEPAConfig(**MICRO, num_frames=2, tubelet_size=2, position_embedding_type="rope", frames_ahead=3)
    assert config.grid_size == (1, 4, 4) and config.mask_strategy == "multiblock3d"
    outputs = JEPAModel(config).eval()(torch.randn(2, 2, 3, 16, 16))
    assert outputs.last_hidden_state.shape == (2, 16, 32)
    JEPAMaskCollator(config, seed=0)([{"pixel_values": torch.randn(2, 3, 16, 16)} for _ in range(2)])


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ValueError, match="Unknown JEPA preset 'gigantic'.*tiny"):
        JEPAConfig.from_preset("gigantic")


def test_save_and_load_round_trip(tmp_path, caplog):
    torch.manual_seed(0)
    model = JEPAForPreTraining(micro_config()).eval()
    with torch.no_grad():  # make the two encoders differ, as after training
        for parameter in model.context_encoder.parameters():
            parameter.add_(0.1)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    assert {"configuration_jepa.py", "modeling_jepa.py"} <= set(os.listdir(tmp_path))
    auto_map = json.loads((tmp_path / "config.json").read_text())["auto_map"]
    assert auto_map["AutoModel"] == "modeling_jepa.JEPAModel"

    batch = masked_batch(model.config)
    reloaded = AutoModelForPreTraining.from_pretrained(tmp_path).eval()
    assert isinstance(reloaded, JEPAForPreTraining)
    assert torch.equal(reloaded(**batch).predictions, model(**batch).predictions)

    with caplog.at_level("WARNING"):
        encoder = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(encoder, JEPAModel)
    assert "context_encoder" not in caplog.text and "UNEXPECTED" not in caplog.text.upper()
    pixel_values = batch["pixel_values"]
    assert torch.equal(encoder(pixel_values).last_hidden_state, model.target_encoder(pixel_values).last_hidden_state)


def test_fused_qkv_projection_loads_and_saves_separate_query_key_value(tmp_path):
    torch.manual_seed(0)
    model = JEPAModel(micro_config()).eval()
    model.save_pretrained(tmp_path)
    saved = load_file(tmp_path / "model.safetensors")
    assert not any("qkv_proj" in key for key in saved)
    for kind in ("weight", "bias"):
        parts = [saved[f"layers.0.attention.{name}_proj.{kind}"] for name in "qkv"]
        assert torch.equal(getattr(model.layers[0].attention.qkv_proj, kind), torch.cat(parts))

    # a checkpoint saved before the fusion, with other projections: they land in the fused one
    generator = torch.Generator().manual_seed(1)
    old = {key: torch.randn(t.shape, generator=generator) if "_proj." in key else t for key, t in saved.items()}
    save_file(old, tmp_path / "model.safetensors", metadata={"format": "pt"})
    attention = JEPAModel.from_pretrained(tmp_path).eval().layers[1].attention
    projections = {name: (old[f"layers.1.attention.{name}.weight"], old[f"layers.1.attention.{name}.bias"])
                   for name in ("q_proj", "k_proj", "v_proj", "o_proj")}  # fmt: skip
    assert torch.equal(attention.qkv_proj.weight, torch.cat([projections[f"{n}_proj"][0] for n in "qkv"]))

    # the unfused reference: three separate products, two heads
    hidden_states = torch.randn(3, 5, 32)
    query, key, value = (
        F.linear(hidden_states, *projections[f"{name}_proj"]).unflatten(-1, (2, 16)).transpose(1, 2) for name in "qkv"
    )
    heads = F.scaled_dot_product_attention(query, key, value).transpose(1, 2).flatten(2)
    expected = F.linear(heads, *projections["o_proj"])
    with torch.no_grad():
        assert torch.allclose(attention(hidden_states)[0], expected, atol=1e-6)


def test_remote_code_loads_without_hf_jepa(tmp_path):
    torch.manual_seed(0)
    model = JEPAForPreTraining(micro_config()).eval()
    model.save_pretrained(tmp_path / "checkpoint")
    pixel_values = torch.randn(2, 3, 16, 16)
    expected = model.target_encoder(pixel_values).last_hidden_state
    output = output_without_hf_jepa(tmp_path / "checkpoint", pixel_values, "model(inputs).last_hidden_state", tmp_path)
    assert torch.allclose(output, expected, atol=1e-6)
