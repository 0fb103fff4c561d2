"""V-JEPA 2.1 in hf_jepa: the official checkpoints convert, and the converted encoders and predictors reproduce the
official modules' outputs (tests/fixtures/vjepa2_1, written by scripts/make_vjepa2_1_fixture.py with the official
code: a multi-level model like ViT-g / ViT-G and a distilled one like ViT-B / ViT-L)."""

import dataclasses
import json
import logging
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAModel
from hf_jepa.convert import OFFICIAL_VJEPA2_1_FILENAME, convert_checkpoint, jepa_to_vjepa2
from hf_jepa.modeling_jepa import gather_tokens
from hf_jepa.official_checkpoints import (
    detect_format,
    jepa_to_official_vjepa2_1,
    load_official_checkpoint,
    official_to_jepa,
)
from hf_jepa.training import PretrainingArguments, pretrain

FIXTURES = Path(__file__).parent / "fixtures" / "vjepa2_1"
# What the fixture's checkpoints do not record: the tiny models' heads and input shape.
OVERRIDES = dict(num_attention_heads=1, pred_num_attention_heads=1, image_size=42, num_frames=4)
# The mask token each recorded prediction used.
MASK_INDEX = {"image": 5, "clip": 3}
VARIANTS = {"multilevel": "target_encoder", "distilled": "ema_encoder"}
TOLERANCE = dict(rtol=0, atol=1e-5)


@pytest.fixture(scope="module")
def official_outputs() -> dict[str, torch.Tensor]:
    return {name: tensor.float() for name, tensor in load_file(FIXTURES / "outputs.safetensors").items()}


@pytest.fixture(scope="module")
def converted() -> dict[str, JEPAForPreTraining]:
    return {
        name: official_to_jepa(FIXTURES / f"{name}.pt", "official_vjepa2_1", **OVERRIDES).eval() for name in VARIANTS
    }


def test_checkpoints_are_read_with_the_architecture_of_their_weights(converted):
    multilevel, distilled = converted["multilevel"].config, converted["distilled"].config
    for config in (multilevel, distilled):
        assert config.level_layers == [2, 5, 8, 11]  # the official layers for 12 blocks
        assert config.rope_interleaved and config.rope_grid_size == 18  # 14-pixel patches: the 252 px grid
        assert config.image_patch_embeddings and config.modality_embeddings and config.pred_predict_context
        assert (config.pred_num_mask_tokens, config.loss_type, config.tubelet_size) == (8, "l1", 2)
    assert (multilevel.pred_num_levels, multilevel.prediction_size) == (4, 12)
    assert (distilled.pred_num_levels, distilled.prediction_size) == (1, 20)  # the teacher's width
    assert detect_format(FIXTURES / "distilled.pt") == "official_vjepa2_1"


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("inputs", ["image", "clip"])
def test_converted_encoders_match_the_official_outputs(converted, official_outputs, variant, inputs):
    encoder = converted[variant].target_encoder
    official_levels = official_outputs[f"{variant}.{inputs}_levels"]
    with torch.no_grad():
        output = encoder(official_outputs[inputs], output_levels=True)
    # features: the last level, what the official encoder returns at inference
    torch.testing.assert_close(output.last_hidden_state, official_levels[..., -12:], **TOLERANCE)
    torch.testing.assert_close(output.level_hidden_states, official_levels, **TOLERANCE)
    if inputs == "image":  # an image is also accepted as a one-frame clip
        with torch.no_grad():
            as_clip = encoder(official_outputs["image"].unsqueeze(1)).last_hidden_state
        torch.testing.assert_close(as_clip, output.last_hidden_state, rtol=0, atol=0)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("inputs", ["image", "clip"])
def test_converted_predictors_match_the_official_outputs(converted, official_outputs, variant, inputs):
    model = converted[variant]
    context_mask = [official_outputs[f"{inputs}_context_mask"].long()]
    target_mask = [official_outputs[f"{inputs}_target_mask"].long()]
    with torch.no_grad():
        context = model.predicted_levels(model.context_encoder, official_outputs[inputs], mask=context_mask)
        predictions, context_predictions = model.predictor(
            context, context_mask, target_mask, MASK_INDEX[inputs], is_image=inputs == "image", return_context=True
        )
    torch.testing.assert_close(context, official_outputs[f"{variant}.{inputs}_context"], **TOLERANCE)
    torch.testing.assert_close(predictions, official_outputs[f"{variant}.{inputs}_predictions"], **TOLERANCE)
    official_context_predictions = official_outputs[f"{variant}.{inputs}_context_predictions"]
    torch.testing.assert_close(context_predictions, official_context_predictions, **TOLERANCE)


@pytest.mark.parametrize("inputs", ["image", "clip"])
def test_the_objective_is_l1_on_per_level_normed_targets_plus_the_weighted_context_loss(
    converted, official_outputs, inputs
):
    """V-JEPA 2.1's loss, computed from the official modules' outputs: L1 between the predictions and the target
    encoder's levels, each layer-normed, at the target tokens, plus lambda times the same at the context tokens."""
    model = converted["multilevel"]
    context_mask = [official_outputs[f"{inputs}_context_mask"].long()]
    target_mask = [official_outputs[f"{inputs}_target_mask"].long()]
    levels = official_outputs[f"multilevel.{inputs}_levels"].unflatten(-1, (4, 12))
    targets = F.layer_norm(levels, (12,)).flatten(-2)
    expected_prediction = official_outputs[f"multilevel.{inputs}_predictions"] - gather_tokens(targets, target_mask)
    expected_context = official_outputs[f"multilevel.{inputs}_context_predictions"] - gather_tokens(
        targets, context_mask
    )
    with torch.no_grad():
        output = model(
            official_outputs[inputs],
            context_mask=context_mask,
            target_mask=target_mask,
            mask_index=MASK_INDEX[inputs],
            context_loss_weight=0.5,
        )
    torch.testing.assert_close(output.prediction_loss, expected_prediction.abs().mean(), **TOLERANCE)
    torch.testing.assert_close(output.context_loss, expected_context.abs().mean(), **TOLERANCE)
    torch.testing.assert_close(output.loss, output.prediction_loss + 0.5 * output.context_loss)


def test_pretraining_continues_from_a_converted_model_with_the_2_1_objective(official_outputs):
    model = official_to_jepa(FIXTURES / "multilevel.pt", "official_vjepa2_1", context_loss_weight=0.5, **OVERRIDES)
    model.target_encoder.requires_grad_(False)
    target_start = model.target_encoder.layernorm.weight.clone()
    optimizer = torch.optim.AdamW([parameter for parameter in model.parameters() if parameter.requires_grad], lr=3e-3)
    masks = dict(
        context_mask=[official_outputs["clip_context_mask"].long()],
        target_mask=[official_outputs["clip_target_mask"].long()],
    )
    losses = []
    for _ in range(6):
        output = model(official_outputs["clip"], **masks, mask_index=MASK_INDEX["clip"])
        output.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        model.update_target_encoder(0.99)
        losses.append(output.loss.item())
    assert losses[-1] < 0.9 * losses[0], losses
    assert not torch.equal(model.target_encoder.layernorm.weight, target_start)  # the EMA target followed


def test_a_distilled_predictor_runs_but_does_not_train_against_the_ema_target(converted, official_outputs):
    masks = [official_outputs["clip_context_mask"].long()], [official_outputs["clip_target_mask"].long()]
    with pytest.raises(ValueError, match="predicts 20-wide features .* target encoder's are 12 wide"):
        converted["distilled"](official_outputs["clip"], *masks)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_reverse_conversion_reproduces_the_official_state_dicts(converted, variant):
    official = load_official_checkpoint(FIXTURES / f"{variant}.pt")
    written = jepa_to_official_vjepa2_1(converted[variant], VARIANTS[variant])
    for entry in (VARIANTS[variant], "predictor"):
        assert written[entry].keys() == official[entry].keys()
        for key, tensor in official[entry].items():
            assert torch.equal(written[entry][key], tensor.float()), key


def test_the_export_writes_the_epoch_the_official_loaders_read_and_warns_of_another_epsilon(converted, caplog):
    """Official checkpoints record no layer-norm epsilon (the official models use 1e-6)."""
    model = converted["multilevel"]
    with caplog.at_level(logging.WARNING, logger="hf_jepa.official_checkpoints"):
        written = jepa_to_official_vjepa2_1(model)
    assert written["epoch"] == 0 and "not recorded" not in caplog.text
    other = JEPAForPreTraining(JEPAConfig(**{**model.config.to_dict(), "layer_norm_eps": 1e-5}))
    with caplog.at_level(logging.WARNING, logger="hf_jepa.official_checkpoints"):
        jepa_to_official_vjepa2_1(other)
    assert "layer_norm_eps=1e-05 is not recorded in official checkpoints" in caplog.text


def test_checkpoint_files_convert_to_hf_jepa_and_back(tmp_path, official_outputs):
    convert_checkpoint(FIXTURES / "multilevel.pt", "official_vjepa2_1", tmp_path / "hf", config_overrides=OVERRIDES)
    encoder = JEPAModel.from_pretrained(tmp_path / "hf").eval()
    with torch.no_grad():
        features = encoder(pixel_values_videos=official_outputs["clip"]).last_hidden_state
    torch.testing.assert_close(features, official_outputs["multilevel.clip_levels"][..., -12:], **TOLERANCE)

    convert_checkpoint(tmp_path / "hf", "hf_jepa", tmp_path / "official", target_format="official_vjepa2_1")
    written = load_official_checkpoint(tmp_path / "official" / OFFICIAL_VJEPA2_1_FILENAME)
    official = load_official_checkpoint(FIXTURES / "multilevel.pt")
    for entry in ("encoder", "predictor", "target_encoder"):
        assert all(torch.equal(written[entry][key], tensor.float()) for key, tensor in official[entry].items())


def test_exports_the_target_format_cannot_hold_are_refused_naming_why(converted):
    with pytest.raises(ValueError, match="VJEPA2Model cannot hold V-JEPA 2.1 options .*'rope_interleaved': True"):
        jepa_to_vjepa2(converted["multilevel"])
    plain = JEPAForPreTraining(JEPAConfig.from_preset("tiny-video", position_embedding_type="rope"))
    with pytest.raises(
        ValueError, match="official V-JEPA 2.1 format holds .* rope_interleaved=False, level_layers=None"
    ):
        jepa_to_official_vjepa2_1(plain)


def _without(variant: str, entry: str, key: str) -> dict:
    checkpoint = load_official_checkpoint(FIXTURES / f"{variant}.pt")
    checkpoint[entry] = {name: tensor for name, tensor in checkpoint[entry].items() if not name.endswith(key)}
    return checkpoint


def _replaced(variant: str, entry: str, key: str, tensor: torch.Tensor) -> dict:
    checkpoint = load_official_checkpoint(FIXTURES / f"{variant}.pt")
    checkpoint[entry] = {**checkpoint[entry], key: tensor}
    return checkpoint


@pytest.mark.parametrize(
    "checkpoint, message",
    [
        (lambda: _without("multilevel", "target_encoder", "norms_block.1.bias"), r"missing \['norms_block.1.bias'\]"),
        (lambda: _without("multilevel", "predictor", "predictor_proj_context.weight"), "unknown.*proj_context.bias"),
        (lambda: _without("distilled", "ema_encoder", "norms_block.3.weight"), r"missing \['norms_block.3.weight'\]"),
        (lambda: _without("distilled", "ema_encoder", "norms_block.0.weight"), "looks like official_vjepa2, not"),
        (
            lambda: _replaced(
                "distilled", "predictor", "module.backbone.img_mod_embed", torch.full((1, 1, 12), torch.nan)
            ),
            "tensor image_modality_embedding holds non-finite values",
        ),
        (
            lambda: _replaced(
                "multilevel", "predictor", "module.backbone.predictor_proj_context.weight", torch.ones(47, 12)
            ),
            r"wrong shapes \['predictor_proj_context.weight \(47, 12\) \(for proj_context.weight \(48, 12\)\)'\]",
        ),
        (lambda: {"predictor": {}}, r"lacks the entries \['encoder', 'target_encoder'\]"),
    ],
    ids=[
        "missing-level-norm",
        "half-a-context-projection",
        "no-last-level-norm",
        "no-level-norms",
        "nan",
        "wrong-shape",
        "no-encoder",
    ],
)
def test_malformed_checkpoints_give_clear_errors(checkpoint, message):
    with pytest.raises(ValueError, match=message):
        official_to_jepa(checkpoint(), "official_vjepa2_1", **OVERRIDES)


def test_vjepa2_1_options_are_checked():
    video = dict(num_frames=4, hidden_size=24, num_attention_heads=2, pred_hidden_size=16, pred_num_attention_heads=1)
    rope = dict(video, position_embedding_type="rope")
    for options, message in (
        (dict(rope, num_hidden_layers=4, level_layers=[1, 2]), r"ending with the last layer \(3\)"),
        (dict(rope, pred_num_levels=2), r"pred_num_levels \(2\) exceeds the encoder's 1 level"),
        (dict(video, rope_interleaved=True), "rope_interleaved needs position_embedding_type 'rope'"),
        (dict(rope, modality_embeddings=True), "modality_embeddings .* need image_patch_embeddings"),
        (dict(rope, context_loss_weight=0.1), "context_loss_weight .* needs pred_predict_context"),
        (dict(rope, context_loss_distance_weighting=True), "context_loss_distance_weighting .* needs pred_predict"),
    ):
        with pytest.raises(ValueError, match=message):
            JEPAConfig(**options)


def test_context_loss_weights_follow_the_distance_to_the_nearest_target_and_the_modality():
    config = JEPAConfig(
        image_size=16, patch_size=4, num_frames=4, hidden_size=24, num_hidden_layers=2, num_attention_heads=2,
        pred_hidden_size=12, pred_num_hidden_layers=1, pred_num_attention_heads=1, position_embedding_type="rope",
        image_patch_embeddings=True, pred_predict_context=True, context_loss_distance_weighting=True,
        context_loss_weight=0.5, image_context_loss_weight=2.0,
    )  # fmt: skip
    model = JEPAForPreTraining(config)
    # a 2 x 4 x 4 grid: token 0 is (0, 0, 0), 3 is (0, 0, 3), 15 is (0, 3, 3), 5 is (0, 1, 1), 31 is (1, 3, 3)
    weights = model.context_distance_weights(torch.tensor([[0, 3, 15]]), torch.tensor([[5, 31]]))
    torch.testing.assert_close(weights, torch.tensor([[2**-0.25, 5**-0.25, 1.0]]))
    for pixel_values, weight in ((torch.randn(2, 4, 3, 16, 16), 0.5), (torch.randn(2, 3, 16, 16), 2.0)):
        context_mask = [torch.arange(4).expand(2, -1)]
        target_mask = [torch.arange(6, 9).expand(2, -1), torch.arange(9, 12).expand(2, -1)]
        output = model(pixel_values, context_mask=context_mask, target_mask=target_mask)
        torch.testing.assert_close(output.loss, output.prediction_loss + weight * output.context_loss)


def test_a_vjepa2_1_model_trains_saves_and_reloads(tmp_path):
    """A V-JEPA 2.1 model built from the config alone: a step of the 2.1 objective on clips and on images reaches
    every trained tensor, and the model round-trips through save_pretrained."""
    config = JEPAConfig(
        image_size=16, patch_size=4, num_frames=4, hidden_size=24, num_hidden_layers=4, num_attention_heads=2,
        pred_hidden_size=12, pred_num_hidden_layers=2, pred_num_attention_heads=1, position_embedding_type="rope",
        rope_interleaved=True, rope_grid_size=8, level_layers=[1, 3], pred_num_levels=2, image_patch_embeddings=True,
        modality_embeddings=True, pred_predict_context=True, context_loss_weight=0.5, loss_type="l1",
    )  # fmt: skip
    model = JEPAForPreTraining(config)
    generator = torch.Generator().manual_seed(0)
    for pixel_values, num_tokens in ((torch.randn(2, 4, 3, 16, 16), 32), (torch.randn(2, 3, 16, 16), 16)):
        order = torch.stack([torch.randperm(num_tokens, generator=generator) for _ in range(2)])
        output = model(pixel_values, context_mask=[order[:, : num_tokens // 2]], target_mask=[order[:, -4:]])
        output.loss.backward()
    untouched = [name for name, parameter in model.context_encoder.named_parameters() if parameter.grad is None]
    untouched += [name for name, parameter in model.predictor.named_parameters() if parameter.grad is None]
    # the context encoder's deepest levels feed the predictor; its first level norm does not (2 of 2 levels read)
    assert untouched == [], untouched
    model.save_pretrained(tmp_path)
    reloaded = JEPAModel.from_pretrained(tmp_path).eval()
    clip = torch.randn(1, 4, 3, 16, 16)
    with torch.no_grad():
        expected = model.target_encoder.eval()(clip, output_levels=True).level_hidden_states
        torch.testing.assert_close(reloaded(clip, output_levels=True).level_hidden_states, expected)


def test_pretraining_warms_the_context_loss_weight_up_as_v_jepa_2_1(tmp_path):
    """0 before the start step, then linear to the config's weight, then held: logged at each step (the weight of
    the step that follows, as the learning rate) and the one each step's loss was weighted with."""
    config = JEPAConfig(
        image_size=16, patch_size=4, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, pred_hidden_size=12,
        pred_num_hidden_layers=1, pred_num_attention_heads=1, pred_predict_context=True, context_loss_weight=0.5,
        loss_type="l1",
    )  # fmt: skip
    config.to_json_file(tmp_path / "config.json")
    args = PretrainingArguments(
        output_dir=str(tmp_path / "run"), config_name_or_path=str(tmp_path / "config.json"), max_train_samples=32,
        per_device_train_batch_size=8, max_steps=4, logging_steps=1, dataloader_num_workers=0, report_to="none",
        do_eval=False, context_loss_warmup_start=1, context_loss_warmup_steps=2,
    )  # fmt: skip
    pretrain(args)
    records = [json.loads(line) for line in (tmp_path / "run" / "log_history.jsonl").read_text().splitlines()]
    assert [record["train/context_loss_weight"] for record in records] == [0.0, 0.25, 0.5, 0.5]
    for record, used in zip(records, [0.0, 0.0, 0.25, 0.5]):
        assert record["train/loss"] == pytest.approx(
            record["train/prediction_loss"] + used * record["train/context_loss"]
        )
    with pytest.raises(ValueError, match="this model has none"):
        pretrain(dataclasses.replace(args, config_name_or_path="tiny", overwrite_output_dir=True))
