"""Interoperability: hf_jepa <-> transformers' IJepaModel / VJEPA2Model <-> the official checkpoints."""

import json
import logging
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from safetensors import safe_open
from test_modeling import pretraining_steps
from transformers import IJepaConfig, IJepaModel, VJEPA2Config, VJEPA2Model
from transformers.models.vjepa2.modeling_vjepa2 import rotate_queries_or_keys

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAModel
from hf_jepa.commands.convert import main as convert_cli
from hf_jepa.convert import (
    OFFICIAL_IJEPA_FILENAME,
    convert_checkpoint,
    ijepa_to_jepa,
    jepa_to_ijepa,
    jepa_to_vjepa2,
    vjepa2_to_jepa,
)
from hf_jepa.masking import sample_masks
from hf_jepa.modeling_jepa import apply_rotary, gather_tokens, rotary_cos_sin, sincos_position_embeddings
from hf_jepa.official_checkpoints import OFFICIAL_LAYER_NORM_EPS, jepa_to_official_ijepa, official_to_jepa

# A layer-norm epsilon far from every library default, so that an epsilon lost in a conversion shows in the outputs.
EPS = 1e-2
IMAGE = dict(
    image_size=16,
    patch_size=4,
    hidden_size=48,
    num_hidden_layers=2,
    num_attention_heads=3,
    pred_hidden_size=24,
    pred_num_hidden_layers=2,
    pred_num_attention_heads=2,
    layer_norm_eps=EPS,
)
# head width 56 / 2 = 28: 3 x 8 channels rotate, 4 do not (V-JEPA 2's split leaves a remainder)
VIDEO = dict(
    IMAGE,
    num_frames=4,
    tubelet_size=2,
    hidden_size=56,
    num_attention_heads=2,
    pred_hidden_size=36,
    pred_num_attention_heads=3,
    pred_num_mask_tokens=3,
    pred_mlp_ratio=2.0,
    position_embedding_type="rope",
)


# ---------------------------------------------------------------------------------------------------------------
# Test data and reference formulas
# ---------------------------------------------------------------------------------------------------------------


def drawn_images(count: int, size: int, seed: int) -> torch.Tensor:
    """`[count, 3, size, size]` pictures of coloured rectangles and ellipses, drawn with PIL and normalised."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        image = Image.new("RGB", (size, size), tuple(int(c) for c in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(image)
        for _ in range(3):
            x0, y0 = rng.integers(0, size - 4, 2)
            x1, y1 = x0 + rng.integers(3, size // 2), y0 + rng.integers(3, size // 2)
            shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
            shape([int(x0), int(y0), int(x1), int(y1)], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        images.append(torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1))
    return torch.stack(images)


def drawn_clips(count: int, frames: int, size: int, seed: int) -> torch.Tensor:
    """`[count, frames, 3, size, size]` clips of a drawn picture sliding one pixel right per frame."""
    pictures = drawn_images(count, size + frames, seed)
    return torch.stack([pictures[..., :size, step : step + size] for step in range(frames)], dim=1)


def reference_sincos_1d(dim: int, positions: np.ndarray) -> np.ndarray:
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
    angles = np.outer(positions.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def reference_ijepa_table(dim: int, height: int, width: int) -> torch.Tensor:
    """I-JEPA's 2D table: a meshgrid of (columns, rows); the first half of the channels encodes the column."""
    columns, rows = np.meshgrid(np.arange(width), np.arange(height))
    table = np.concatenate([reference_sincos_1d(dim // 2, columns), reference_sincos_1d(dim // 2, rows)], axis=1)
    return torch.from_numpy(table).float().unsqueeze(0)


def reference_vjepa_table(dim: int, time: int, height: int, width: int, uniform: bool = False) -> torch.Tensor:
    """V-JEPA's 3D table: time, row, column; with `uniform_power` each axis gets 2 * ceil(dim / 6) channels."""
    t, h, w = np.meshgrid(np.arange(time), np.arange(height), np.arange(width), indexing="ij")
    dims = [2 * math.ceil(dim / 6)] * 3 if uniform else [dim // 2, dim // 4, dim // 4]
    parts = [reference_sincos_1d(d, grid) for d, grid in zip(dims, (t, h, w))]
    return torch.from_numpy(np.concatenate(parts, axis=1)[:, :dim]).float().unsqueeze(0)


@torch.no_grad()
def randomize(model: torch.nn.Module, seed: int, skip: tuple[str, ...] = ()) -> None:
    """Random values everywhere (not a fresh init's zero biases and unit norms), so that a misplaced tensor shows."""
    generator = torch.Generator().manual_seed(seed)
    for name, parameter in model.named_parameters():
        if name not in skip:
            parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))


def ours(config_kwargs: dict, seed: int = 0) -> JEPAForPreTraining:
    model = JEPAForPreTraining(JEPAConfig(**config_kwargs)).eval()
    randomize(model, seed)
    return model


# The settings of IMAGE and VIDEO that transformers' configs name alike.
_SHARED_ENCODER_FIELDS = ("patch_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "layer_norm_eps")


def ijepa_model(seed: int = 0) -> IJepaModel:
    """The `IJepaModel` of IMAGE's encoder, random, with the fixed sin-cos table of the published models."""
    config = IJepaConfig(
        **{name: IMAGE[name] for name in _SHARED_ENCODER_FIELDS},
        image_size=IMAGE["image_size"],
        intermediate_size=4 * IMAGE["hidden_size"],
    )
    model = IJepaModel(config).eval()
    randomize(model, seed, skip=("embeddings.position_embeddings",))
    side = IMAGE["image_size"] // IMAGE["patch_size"]
    with torch.no_grad():  # the published I-JEPA models carry the fixed 2D sin-cos table
        model.embeddings.position_embeddings.copy_(reference_ijepa_table(IMAGE["hidden_size"], side, side))
    return model


def learned_ijepa_model(seed: int = 0, trained_steps: int = 0) -> IJepaModel:
    """A freshly initialised `IJepaModel` (transformers draws its position table at random), optionally after a few
    optimiser steps of transformers' own training on a regression objective."""
    torch.manual_seed(seed)
    model = IJepaModel(IJepaConfig(**ijepa_model().config.to_diff_dict()))
    images, goal = drawn_images(4, 16, seed=seed), torch.randn(4, 16, 48)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(trained_steps):
        F.mse_loss(model(images).last_hidden_state, goal).backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.eval()


def vjepa2_model(seed: int = 0) -> VJEPA2Model:
    """The `VJEPA2Model` of VIDEO's encoder and predictor, random."""
    fields = (*_SHARED_ENCODER_FIELDS, "tubelet_size", *(name for name in VIDEO if name.startswith("pred_")))
    config = VJEPA2Config(
        **{name: VIDEO[name] for name in fields},
        crop_size=VIDEO["image_size"],
        frames_per_clip=VIDEO["num_frames"],
    )
    model = VJEPA2Model(config).eval()
    randomize(model, seed)
    return model


def video_masks(batch_size: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One context and one target mask over the 2 x 4 x 4 grid, different per sample, in no particular order."""
    generator = torch.Generator().manual_seed(1)
    orders = [torch.randperm(32, generator=generator) for _ in range(batch_size)]
    return [torch.stack([order[:12] for order in orders])], [torch.stack([order[12:20] for order in orders])]


def state_equal(first: torch.nn.Module, second: torch.nn.Module) -> bool:
    first, second = first.state_dict(), second.state_dict()
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)


# ---------------------------------------------------------------------------------------------------------------
# Position embeddings: the layouts conversion depends on
# ---------------------------------------------------------------------------------------------------------------


def test_sincos_tables_follow_ijepa_for_images_and_vjepa_for_video():
    # I-JEPA (images): column first; on a non-square grid a row/column swap cannot go unnoticed
    assert torch.allclose(sincos_position_embeddings(32, (1, 3, 5)), reference_ijepa_table(32, 3, 5), atol=1e-6)
    rows_first = torch.cat([reference_ijepa_table(32, 5, 3)[..., 16:], reference_ijepa_table(32, 5, 3)[..., :16]], -1)
    assert (sincos_position_embeddings(32, (1, 3, 5)) - rows_first).abs().max() > 0.5
    # V-JEPA (video): time (half the channels), then row, then column (a quarter each)
    assert torch.allclose(sincos_position_embeddings(32, (2, 3, 5)), reference_vjepa_table(32, 2, 3, 5), atol=1e-6)
    # V-JEPA's uniform_power: 2 * ceil(40 / 6) = 14 channels per axis, cut from 42 to 40
    uniform = sincos_position_embeddings(40, (2, 3, 5), uniform=True)
    assert uniform.shape == (1, 30, 40)
    assert torch.allclose(uniform, reference_vjepa_table(40, 2, 3, 5, uniform=True), atol=1e-6)


def test_rotary_embeddings_use_vjepa2s_released_frequency_layout():
    head_dim, grid = 28, (2, 4, 4)  # 3 axes x 8 rotated channels + 4 passed through
    positions = torch.tensor([[0, 5, 17, 31], [31, 2, 9, 16]])
    states = torch.randn(2, 3, 4, head_dim)
    cos, sin = rotary_cos_sin(positions, grid, head_dim)
    rotated = apply_rotary(states, cos, sin)

    frames, rows, columns = positions // 16, positions % 16 // 4, positions % 4
    expected = torch.cat(
        [
            rotate_queries_or_keys(states[..., 0:8], pos=frames.unsqueeze(1)),
            rotate_queries_or_keys(states[..., 8:16], pos=rows.unsqueeze(1)),
            rotate_queries_or_keys(states[..., 16:24], pos=columns.unsqueeze(1)),
            states[..., 24:],
        ],
        dim=-1,
    )
    assert torch.allclose(rotated, expected, atol=1e-6)
    # a rotated pair mixes two frequencies, unlike textbook RoPE: position 31 is in row 3, and the rows' first pair
    # (channels 8, 9) turns by 3 * omega[0] and 3 * omega[1], with omega = (1, 0.1, 0.01, 0.001) for 8 channels
    assert torch.allclose(cos[1, 0, 0, 8:10], torch.cos(torch.tensor([3.0, 0.3])))
    assert torch.allclose(sin[1, 0, 0, 8:10], torch.sin(torch.tensor([3.0, 0.3])))


def test_rope_encoder_reads_token_positions_from_the_mask():
    model = ours(VIDEO).target_encoder
    clips = drawn_clips(2, 4, 16, seed=0)
    with torch.no_grad():
        full = model(clips).last_hidden_state
        permutation = torch.randperm(32, generator=torch.Generator().manual_seed(0))
        shuffled = model(clips, mask=[permutation.expand(2, -1)]).last_hidden_state
        half = model(clips, mask=[permutation[:16].expand(2, -1)]).last_hidden_state
    assert torch.allclose(shuffled, full[:, permutation], atol=1e-5)
    assert (half - full[:, permutation[:16]]).abs().max() > 1e-3  # fewer tokens attended: other features


def test_rope_predictor_batches_every_context_with_every_target_and_picks_its_mask_token():
    model = ours(VIDEO)
    order = torch.randperm(32, generator=torch.Generator().manual_seed(2)).expand(2, -1)
    contexts, targets = [order[:, :10], order[:, 10:20]], [order[:, 20:26], order[:, 26:32]]
    clips = drawn_clips(2, 4, 16, seed=5)
    with torch.no_grad():
        context_states = model.context_encoder(clips, mask=contexts).last_hidden_state  # [2 contexts * 2, 10, 56]
        joint = model.predictor(context_states, contexts, targets).unflatten(0, (2, 2, 2))  # target, context, sample
        for t, target in enumerate(targets):
            for c, context in enumerate(contexts):
                alone = model.predictor(context_states[2 * c : 2 * c + 2], [context], [target])
                assert torch.allclose(joint[t, c], alone, atol=1e-5)
        batch = {"pixel_values": clips, "context_mask": contexts[:1], "target_mask": targets}
        assert not torch.allclose(model(**batch).predictions, model(**batch, mask_index=2).predictions)


def test_configuration_checks_for_the_new_options():
    with pytest.raises(ValueError, match="rope needs at least 6 channels per attention head"):
        JEPAConfig(**{**VIDEO, "num_attention_heads": 14})
    with pytest.raises(ValueError, match="'sincos_uniform' needs video input"):
        JEPAConfig(**{**IMAGE, "position_embedding_type": "sincos_uniform"})
    with pytest.raises(ValueError, match="pred_num_mask_tokens must be a positive integer"):
        JEPAConfig(**{**IMAGE, "pred_num_mask_tokens": 0})
    model = ours(VIDEO)
    with pytest.raises(ValueError, match=r"mask_index must lie in \[0, 3\)"):
        model.predictor(torch.zeros(2, 12, 56), *video_masks(2), mask_index=3)


# ---------------------------------------------------------------------------------------------------------------
# transformers IJepaModel
# ---------------------------------------------------------------------------------------------------------------


def test_ijepa_import_matches_ijepa_outputs_and_starts_a_fresh_predictor(tmp_path):
    ijepa = ijepa_model()
    ijepa.save_pretrained(tmp_path / "ijepa")
    output = convert_checkpoint(
        tmp_path / "ijepa", "ijepa", tmp_path / "ours", config_overrides={"pred_num_hidden_layers": 3}
    )
    model = JEPAForPreTraining.from_pretrained(output).eval()

    images = drawn_images(3, 16, seed=0)
    with torch.no_grad():
        expected = ijepa(images).last_hidden_state
        for encoder in (model.context_encoder, model.target_encoder):
            assert torch.allclose(encoder(images).last_hidden_state, expected, atol=1e-5)
    assert model.config.layer_norm_eps == EPS and model.config.loss_type == "smooth_l1"
    assert model.config.pred_num_hidden_layers == len(model.predictor.layers) == 3
    assert model.predictor.mask_token.std() > 0  # initialised, not zeros


def test_ijepa_export_and_round_trip_are_exact(tmp_path):
    model = ours(IMAGE)
    model.save_pretrained(tmp_path / "ours")
    convert_checkpoint(tmp_path / "ours", "hf_jepa", tmp_path / "ijepa", target_format="ijepa")
    config = json.loads((tmp_path / "ijepa" / "config.json").read_text())
    assert config["model_type"] == "ijepa" and "auto_map" not in config
    assert config["layer_norm_eps"] == EPS != IJepaConfig().layer_norm_eps  # carried, not transformers' default
    processor = json.loads((tmp_path / "ijepa" / "preprocessor_config.json").read_text())
    # the processor hf_jepa ships: shorter side to the model's size, then the centre crop
    assert processor["size"] == {"shortest_edge": 16} and processor["crop_size"] == {"height": 16, "width": 16}
    with safe_open(tmp_path / "ijepa" / "model.safetensors", "pt") as weights:  # the Hub's (legacy ViT) names
        assert "encoder.layer.1.attention.attention.query.weight" in weights.keys()

    ijepa = IJepaModel.from_pretrained(tmp_path / "ijepa").eval()
    images = drawn_images(3, 16, seed=1)
    with torch.no_grad():
        expected = model.target_encoder(images).last_hidden_state
        assert torch.allclose(ijepa(images).last_hidden_state, expected, atol=1e-5)

    convert_checkpoint(tmp_path / "ijepa", "ijepa", tmp_path / "back")
    back = JEPAForPreTraining.from_pretrained(tmp_path / "back")
    assert state_equal(back.target_encoder, model.target_encoder)
    assert state_equal(back.context_encoder, model.target_encoder)
    in_memory = ijepa_to_jepa(jepa_to_ijepa(model.target_encoder))
    assert state_equal(in_memory.target_encoder, model.target_encoder)


SMALL_PREDICTOR = {"pred_hidden_size": 24, "pred_num_hidden_layers": 1, "pred_num_attention_heads": 2}


@pytest.mark.parametrize("trained_steps", [0, 3], ids=["random-init", "trained"])
def test_learned_ijepa_positions_round_trip_through_hf_jepa_and_the_official_format(tmp_path, caplog, trained_steps):
    ijepa = learned_ijepa_model(seed=trained_steps, trained_steps=trained_steps)
    sincos = reference_ijepa_table(48, 4, 4)
    assert (ijepa.embeddings.position_embeddings - sincos).abs().max() > 0.5
    ijepa.save_pretrained(tmp_path / "ijepa")
    with caplog.at_level(logging.INFO, logger="hf_jepa.convert_common"):
        convert_checkpoint(tmp_path / "ijepa", "ijepa", tmp_path / "ours", config_overrides=SMALL_PREDICTOR)
    assert "converted as position_embedding_type='learned'" in caplog.text
    model = JEPAForPreTraining.from_pretrained(tmp_path / "ours").eval()
    assert model.config.position_embedding_type == "learned"

    images, larger = drawn_images(3, 16, seed=7), drawn_images(2, 24, seed=8)
    with torch.no_grad():
        expected = ijepa(images).last_hidden_state
        expected_larger = ijepa(larger, interpolate_pos_encoding=True).last_hidden_state
        for encoder in (model.context_encoder, model.target_encoder):
            assert torch.allclose(encoder(images).last_hidden_state, expected, atol=1e-5)
            # the table resizes bicubically over the patch grid, as transformers resizes it
            resized = encoder(larger, interpolate_pos_encoding=True).last_hidden_state
            assert torch.allclose(resized, expected_larger, atol=1e-5)

    convert_checkpoint(tmp_path / "ours", "hf_jepa", tmp_path / "back", target_format="ijepa")
    assert "auto_map" not in json.loads((tmp_path / "back" / "config.json").read_text())
    back = IJepaModel.from_pretrained(tmp_path / "back").eval()
    assert torch.equal(back.embeddings.position_embeddings, ijepa.embeddings.position_embeddings)
    with torch.no_grad():
        assert torch.allclose(back(images).last_hidden_state, expected, atol=1e-5)

    convert_checkpoint(tmp_path / "ours", "hf_jepa", tmp_path / "official", target_format="official_ijepa")
    official = torch.load(tmp_path / "official" / OFFICIAL_IJEPA_FILENAME, weights_only=True)
    assert torch.equal(official["encoder"]["module.pos_embed"], ijepa.embeddings.position_embeddings)
    heads = {"num_attention_heads": 3, "pred_num_attention_heads": 2, "layer_norm_eps": EPS}
    again = official_to_jepa(tmp_path / "official" / OFFICIAL_IJEPA_FILENAME, "official_ijepa", **heads)
    assert again.config.position_embedding_type == "learned"
    assert state_equal(again, model)


def test_sincos_ijepa_tables_convert_to_sincos_and_the_official_format_round_trips(caplog):
    with caplog.at_level(logging.INFO, logger="hf_jepa.convert_common"):
        model = ijepa_to_jepa(ijepa_model(), **SMALL_PREDICTOR)
    assert model.config.position_embedding_type == "sincos"
    assert "converted as position_embedding_type='sincos'" in caplog.text
    assert not any("position_embeddings" in name for name, _ in model.named_parameters())  # no needless parameter
    with caplog.at_level(logging.WARNING, logger="hf_jepa.official_checkpoints"):
        checkpoint = jepa_to_official_ijepa(model)
    assert f"layer_norm_eps={EPS} is not recorded in official checkpoints" in caplog.text
    assert checkpoint["epoch"] == 0  # the official load_checkpoint reads it first, and loads nothing without it
    assert torch.allclose(checkpoint["encoder"]["module.pos_embed"], reference_ijepa_table(48, 4, 4), atol=1e-6)
    heads = {"num_attention_heads": 3, "pred_num_attention_heads": 2, "layer_norm_eps": EPS}
    again = official_to_jepa(checkpoint, "official_ijepa", **heads)
    assert again.config.position_embedding_type == "sincos" and state_equal(again, model)
    with pytest.raises(ValueError, match="official I-JEPA format holds image models"):
        jepa_to_official_ijepa(ours(VIDEO))


def test_position_tables_hf_jepa_cannot_load_give_clear_errors():
    ijepa = learned_ijepa_model()
    ijepa.embeddings.position_embeddings = torch.nn.Parameter(torch.randn(1, 15, 48))
    with pytest.raises(ValueError, match=r"position_embeddings has shape \(15, 48\), expected \(16, 48\)"):
        ijepa_to_jepa(ijepa)
    ijepa.embeddings.position_embeddings = torch.nn.Parameter(torch.full((1, 16, 48), float("nan")))
    with pytest.raises(ValueError, match="position_embeddings holds non-finite values"):
        ijepa_to_jepa(ijepa)
    with pytest.raises(ValueError, match=r"position_embedding_type='sincos' \(the weights have 'learned'\)"):
        ijepa_to_jepa(learned_ijepa_model(), position_embedding_type="sincos")
    with pytest.raises(ValueError, match=r"hidden_size=64 \(the weights have 48\)"):
        ijepa_to_jepa(ijepa_model(), hidden_size=64)
    with pytest.raises(ValueError, match="IJepaModel holds image encoders"):
        jepa_to_ijepa(ours(VIDEO).target_encoder)


def test_pretraining_continues_from_a_learned_ijepa_table(tmp_path):
    learned_ijepa_model(trained_steps=3).save_pretrained(tmp_path / "ijepa")
    overrides = {**SMALL_PREDICTOR, "loss_type": "mse"}
    convert_checkpoint(tmp_path / "ijepa", "ijepa", tmp_path / "ours", config_overrides=overrides)
    model = JEPAForPreTraining.from_pretrained(tmp_path / "ours")
    model.target_encoder.requires_grad_(False)
    context_table = model.context_encoder.embeddings.position_embeddings
    target_table = model.target_encoder.embeddings.position_embeddings
    start = context_table.detach().clone()
    assert torch.equal(target_table, start)

    images, generator = drawn_images(4, 16, seed=4), torch.Generator().manual_seed(0)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    for _ in range(3):
        context_mask, target_mask = sample_masks(model.config, 4, generator)
        model(images, context_mask=context_mask, target_mask=target_mask).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        previous_target, context_now = target_table.detach().clone(), context_table.detach().clone()
        model.update_target_encoder(0.9)
        assert torch.allclose(target_table, 0.9 * previous_target + 0.1 * context_now, atol=1e-6)
    assert (context_table - start).abs().max() > 1e-3  # trained
    assert 1e-4 < (target_table - start).abs().max() < (context_table - start).abs().max()  # followed, by EMA


# ---------------------------------------------------------------------------------------------------------------
# transformers VJEPA2Model
# ---------------------------------------------------------------------------------------------------------------


def test_vjepa2_import_matches_encoder_and_predictor_outputs(tmp_path):
    vjepa2 = vjepa2_model()
    vjepa2.save_pretrained(tmp_path / "vjepa2")
    model = JEPAForPreTraining.from_pretrained(convert_checkpoint(tmp_path / "vjepa2", "vjepa2", tmp_path / "ours"))
    model.eval()
    assert model.config.position_embedding_type == "rope" and model.config.pred_num_mask_tokens == 3

    clips = drawn_clips(2, 4, 16, seed=0)
    context_mask, target_mask = video_masks(2)
    with torch.no_grad():
        expected = vjepa2(clips, context_mask=context_mask, target_mask=target_mask)
        encoded = model.target_encoder(clips).last_hidden_state
        # VJEPA2Model's predictor reads the full encoding at the context positions and uses mask token 1
        predicted = model.predictor(gather_tokens(encoded, context_mask), context_mask, target_mask, mask_index=1)
    assert torch.allclose(encoded, expected.last_hidden_state, atol=1e-4)
    assert torch.allclose(predicted, expected.predictor_output.last_hidden_state, atol=1e-4)
    assert predicted.abs().mean() > 0.01


def test_vjepa2_export_and_round_trip_are_exact(tmp_path):
    model = ours(VIDEO)
    model.save_pretrained(tmp_path / "ours")
    convert_checkpoint(tmp_path / "ours", "hf_jepa", tmp_path / "vjepa2", target_format="vjepa2")
    assert json.loads((tmp_path / "vjepa2" / "config.json").read_text())["model_type"] == "vjepa2"

    vjepa2 = VJEPA2Model.from_pretrained(tmp_path / "vjepa2").eval()
    clips = drawn_clips(2, 4, 16, seed=2)
    context_mask, target_mask = video_masks(2)
    with torch.no_grad():
        theirs = vjepa2(clips, context_mask=context_mask, target_mask=target_mask, mask_index=0)
        encoded = model.target_encoder(clips).last_hidden_state
        predicted = model.predictor(gather_tokens(encoded, context_mask), context_mask, target_mask, mask_index=1)
    assert torch.allclose(theirs.last_hidden_state, encoded, atol=1e-4)
    assert torch.allclose(theirs.predictor_output.last_hidden_state, predicted, atol=1e-4)

    convert_checkpoint(tmp_path / "vjepa2", "vjepa2", tmp_path / "back")
    back = JEPAForPreTraining.from_pretrained(tmp_path / "back")
    assert state_equal(back.target_encoder, model.target_encoder)
    assert state_equal(back.predictor, model.predictor)
    in_memory = vjepa2_to_jepa(jepa_to_vjepa2(model))
    assert state_equal(in_memory.predictor, model.predictor)


def test_vjepa2_export_needs_a_trained_predictor_and_a_rope_video_model(tmp_path):
    encoder = ours(VIDEO).target_encoder
    encoder.save_pretrained(tmp_path / "encoder")
    with pytest.raises(ValueError, match="no trained predictor weights"):
        convert_checkpoint(tmp_path / "encoder", "hf_jepa", tmp_path / "out", target_format="vjepa2")
    with pytest.raises(ValueError, match="VJEPA2Model holds video models with rotary position embeddings"):
        jepa_to_vjepa2(ours({**VIDEO, "position_embedding_type": "sincos", "pred_hidden_size": 48}))


def test_exports_load_with_plain_transformers_in_a_fresh_process(tmp_path):
    image_model, video_model = ours(IMAGE), ours(VIDEO)
    image_model.save_pretrained(tmp_path / "image")
    video_model.save_pretrained(tmp_path / "video")
    convert_checkpoint(tmp_path / "image", "hf_jepa", tmp_path / "ijepa", target_format="ijepa")
    convert_checkpoint(tmp_path / "video", "hf_jepa", tmp_path / "vjepa2", target_format="vjepa2")
    images, clips = drawn_images(2, 16, seed=3), drawn_clips(2, 4, 16, seed=3)
    torch.save({"images": images, "clips": clips}, tmp_path / "inputs.pt")
    script = f"""
        import sys, torch
        from transformers import AutoImageProcessor, AutoModel, AutoVideoProcessor
        inputs = torch.load({str(tmp_path / "inputs.pt")!r})
        ijepa = AutoModel.from_pretrained({str(tmp_path / "ijepa")!r}).eval()
        vjepa2 = AutoModel.from_pretrained({str(tmp_path / "vjepa2")!r}).eval()
        AutoImageProcessor.from_pretrained({str(tmp_path / "ijepa")!r})
        AutoVideoProcessor.from_pretrained({str(tmp_path / "vjepa2")!r})
        assert "hf_jepa" not in sys.modules
        with torch.no_grad():
            outputs = {{
                "ijepa": ijepa(inputs["images"]).last_hidden_state,
                "vjepa2": vjepa2(inputs["clips"], skip_predictor=True).last_hidden_state,
                "classes": [type(ijepa).__name__, type(vjepa2).__name__],
            }}
        torch.save(outputs, {str(tmp_path / "outputs.pt")!r})
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=True, env=env, cwd=tmp_path)
    outputs = torch.load(tmp_path / "outputs.pt")
    assert outputs["classes"] == ["IJepaModel", "VJEPA2Model"]
    with torch.no_grad():
        assert torch.allclose(outputs["ijepa"], image_model.target_encoder(images).last_hidden_state, atol=1e-5)
        assert torch.allclose(outputs["vjepa2"], video_model.target_encoder(clips).last_hidden_state, atol=1e-4)


# ---------------------------------------------------------------------------------------------------------------
# Official checkpoints, built with the official key names and shapes
# ---------------------------------------------------------------------------------------------------------------

OFFICIAL = {
    # format: (key prefix, encoder width, predictor width, heads overrides, position layout)
    "official_ijepa": ("module.", 48, 24, {"num_attention_heads": 3, "pred_num_attention_heads": 3}, "2d"),
    "official_vjepa": ("module.backbone.", 40, 20, {"num_attention_heads": 2, "pred_num_attention_heads": 2}, "uni"),
    "official_vjepa2": ("module.backbone.", 48, 24, {"num_attention_heads": 2, "pred_num_attention_heads": 2}, "rope"),
}


def official_block(prefix: str, width: int, mlp_width: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    shapes = {
        "norm1.weight": (width,),
        "norm1.bias": (width,),
        "attn.qkv.weight": (3 * width, width),
        "attn.qkv.bias": (3 * width,),
        "attn.proj.weight": (width, width),
        "attn.proj.bias": (width,),
        "norm2.weight": (width,),
        "norm2.bias": (width,),
        "mlp.fc1.weight": (mlp_width, width),
        "mlp.fc1.bias": (mlp_width,),
        "mlp.fc2.weight": (width, mlp_width),
        "mlp.fc2.bias": (width,),
    }
    return {f"{prefix}.{name}": torch.randn(shape, generator=generator) for name, shape in shapes.items()}


def official_state(source_format: str, seed: int) -> tuple[dict, dict]:
    """An official `encoder` and `predictor` state dict (unprefixed): 2 blocks each, 16 px, patch 4 (+ 4 frames)."""
    _, width, pred_width, _, layout = OFFICIAL[source_format]
    generator = torch.Generator().manual_seed(seed)
    video = source_format != "official_ijepa"
    kernel = (2, 4, 4) if video else (4, 4)
    encoder = {
        "patch_embed.proj.weight": torch.randn(width, 3, *kernel, generator=generator),
        "patch_embed.proj.bias": torch.randn(width, generator=generator),
        "norm.weight": torch.randn(width, generator=generator),
        "norm.bias": torch.randn(width, generator=generator),
    }
    predictor = {
        "predictor_embed.weight": torch.randn(pred_width, width, generator=generator),
        "predictor_embed.bias": torch.randn(pred_width, generator=generator),
        "predictor_norm.weight": torch.randn(pred_width, generator=generator),
        "predictor_norm.bias": torch.randn(pred_width, generator=generator),
        "predictor_proj.weight": torch.randn(width, pred_width, generator=generator),
        "predictor_proj.bias": torch.randn(width, generator=generator),
    }
    # like V-JEPA 2's giant encoder (MLP ratio 48 / 11) under a predictor with ratio 4
    encoder_mlp = 3 * width if source_format == "official_vjepa2" else 4 * width
    for index in range(2):
        encoder.update(official_block(f"blocks.{index}", width, encoder_mlp, generator))
        predictor.update(official_block(f"predictor_blocks.{index}", pred_width, 4 * pred_width, generator))
    if video:
        predictor.update({f"mask_tokens.{i}": torch.randn(1, 1, pred_width, generator=generator) for i in range(2)})
    else:
        predictor["mask_token"] = torch.randn(1, 1, pred_width, generator=generator)
    if layout == "2d":
        encoder["pos_embed"] = reference_ijepa_table(width, 4, 4)
        predictor["predictor_pos_embed"] = reference_ijepa_table(pred_width, 4, 4)
    elif layout == "uni":
        encoder["pos_embed"] = reference_vjepa_table(width, 2, 4, 4, uniform=True)
        predictor["predictor_pos_embed"] = reference_vjepa_table(pred_width, 2, 4, 4, uniform=True)
    else:  # V-JEPA 2 keeps a predictor position table that its rotary attention never reads
        predictor["predictor_pos_embed"] = torch.zeros(1, 32, pred_width)
    return encoder, predictor


def official_checkpoint(source_format: str) -> dict:
    """The dict the official training loop saves: three state dicts with DDP (and V-JEPA wrapper) prefixes, plus
    the optimiser state and counters."""
    prefix = OFFICIAL[source_format][0]
    encoder, predictor = official_state(source_format, seed=0)
    target, _ = official_state(source_format, seed=1)
    parameters = [torch.nn.Parameter(torch.randn(3, 2)) for _ in range(2)]
    optimizer = torch.optim.AdamW(parameters)
    sum(p.sum() for p in parameters).backward()
    optimizer.step()
    return {
        "encoder": {prefix + key: value for key, value in encoder.items()},
        "predictor": {prefix + key: value for key, value in predictor.items()},
        "target_encoder": {prefix + key: value for key, value in target.items()},
        "opt": optimizer.state_dict(),
        "scaler": None,
        "epoch": 300,
        "loss": 0.125,
        "batch_size": 128,
        "world_size": 16,
        "lr": 0.001,
    }


def assert_official_modules_loaded(modules: dict[torch.nn.Module, str], official: dict) -> None:
    """Each of our `modules` holds the weight and bias of the official module named beside it."""
    for module, name in modules.items():
        for kind in ("weight", "bias"):
            assert torch.equal(getattr(module, kind), official[f"{name}.{kind}"]), f"{name}.{kind}"


def assert_official_block_loaded(layer, official: dict, prefix: str) -> None:
    modules = {
        layer.layernorm_before: "norm1",
        layer.attention.qkv_proj: "attn.qkv",
        layer.attention.o_proj: "attn.proj",
        layer.layernorm_after: "norm2",
        layer.mlp.fc1: "mlp.fc1",
        layer.mlp.fc2: "mlp.fc2",
    }
    assert_official_modules_loaded({module: f"{prefix}.{name}" for module, name in modules.items()}, official)


def assert_official_encoder_loaded(encoder: JEPAModel, official: dict) -> None:
    modules = {encoder.embeddings.patch_embeddings.projection: "patch_embed.proj", encoder.layernorm: "norm"}
    assert_official_modules_loaded(modules, official)
    for index, layer in enumerate(encoder.layers):
        assert_official_block_loaded(layer, official, f"blocks.{index}")


@pytest.mark.parametrize("source_format", list(OFFICIAL))
def test_official_checkpoints_put_every_tensor_in_its_place(tmp_path, source_format, caplog):
    _, width, pred_width, heads, layout = OFFICIAL[source_format]
    path = tmp_path / "checkpoint.pth.tar"
    torch.save(official_checkpoint(source_format), path)
    overrides = {**heads, "image_size": 16, "num_frames": 4} if layout == "rope" else heads
    with caplog.at_level(logging.INFO, logger="hf_jepa.official_checkpoints"):
        model = official_to_jepa(path, source_format, **overrides)

    config = model.config
    assert (config.hidden_size, config.pred_hidden_size, config.image_size, config.patch_size) == (
        width,
        pred_width,
        16,
        4,
    )
    assert config.layer_norm_eps == OFFICIAL_LAYER_NORM_EPS == 1e-6
    assert config.position_embedding_type == {"2d": "sincos", "uni": "sincos_uniform", "rope": "rope"}[layout]
    assert config.num_frames == (1 if layout == "2d" else 4)
    assert (config.mlp_ratio, config.pred_mlp_ratio) == (3.0 if layout == "rope" else 4.0, 4.0)

    encoder, predictor = official_state(source_format, seed=0)
    target, _ = official_state(source_format, seed=1)
    assert_official_encoder_loaded(model.context_encoder, encoder)
    assert_official_encoder_loaded(model.target_encoder, target)
    assert torch.equal(model.predictor.embed.weight, predictor["predictor_embed.weight"])
    assert torch.equal(model.predictor.embed.bias, predictor["predictor_embed.bias"])
    assert torch.equal(model.predictor.layernorm.weight, predictor["predictor_norm.weight"])
    assert torch.equal(model.predictor.layernorm.bias, predictor["predictor_norm.bias"])
    assert torch.equal(model.predictor.proj.weight, predictor["predictor_proj.weight"])
    assert torch.equal(model.predictor.proj.bias, predictor["predictor_proj.bias"])
    for index, layer in enumerate(model.predictor.layers):
        assert_official_block_loaded(layer, predictor, f"predictor_blocks.{index}")
    if layout == "2d":  # I-JEPA: one mask token; V-JEPA / V-JEPA 2: a list of them
        assert torch.equal(model.predictor.mask_token, predictor["mask_token"])
    else:
        for index in range(2):
            assert torch.equal(model.predictor.mask_token[index], predictor[f"mask_tokens.{index}"][0])
    # nothing left over: every official number is in the model (the position tables are recomputed)
    official_numbers = sum(t.numel() for t in [*encoder.values(), *target.values(), *predictor.values()])
    tables = sum(t.numel() for k, t in [*encoder.items(), *target.items(), *predictor.items()] if "pos_embed" in k)
    assert sum(p.numel() for p in model.parameters()) == official_numbers - tables
    assert ("Dropped predictor predictor_pos_embed" in caplog.text) == (layout == "rope")


def test_official_target_encoder_choice():
    checkpoint = official_checkpoint("official_ijepa")
    heads = OFFICIAL["official_ijepa"][3]
    model = official_to_jepa(checkpoint, "official_ijepa", target_encoder="encoder", **heads)
    assert state_equal(model.target_encoder, model.context_encoder)
    assert not state_equal(
        official_to_jepa(checkpoint, "official_ijepa", **heads).target_encoder, model.target_encoder
    )


def test_malformed_official_checkpoints_give_clear_errors(tmp_path):
    heads = OFFICIAL["official_ijepa"][3]

    def convert(checkpoint, **overrides):
        return official_to_jepa(checkpoint, "official_ijepa", **{**heads, **overrides})

    checkpoint = official_checkpoint("official_ijepa")
    checkpoint["encoder"]["module.blocks.0.attn.q_norm.weight"] = torch.ones(16)
    del checkpoint["encoder"]["module.blocks.1.mlp.fc2.bias"]
    with pytest.raises(ValueError, match=r"missing \['blocks.1.mlp.fc2.bias'\], unknown \['blocks.0.attn.q_norm"):
        convert(checkpoint)

    checkpoint = official_checkpoint("official_ijepa")
    checkpoint["predictor"]["module.predictor_proj.weight"] = torch.zeros(48, 20)
    with pytest.raises(ValueError, match=r"wrong shapes \['predictor_proj.weight \(48, 20\)"):
        convert(checkpoint)

    checkpoint = official_checkpoint("official_ijepa")
    del checkpoint["predictor"]
    with pytest.raises(ValueError, match=r"lacks the entries \['predictor'\]; it has \['batch_size', 'encoder'"):
        convert(checkpoint)

    checkpoint = official_checkpoint("official_ijepa")  # the predictor computes its table: it must be ours
    checkpoint["predictor"]["module.predictor_pos_embed"] = reference_ijepa_table(24, 4, 4).roll(12, dims=-1)
    with pytest.raises(ValueError, match="predictor predictor_pos_embed .* is none of the sin-cos tables"):
        convert(checkpoint)

    checkpoint = official_checkpoint("official_ijepa")  # another encoder table (here rows first) is a learned one
    rows_first = reference_ijepa_table(48, 4, 4).roll(24, dims=-1)
    checkpoint["encoder"]["module.pos_embed"] = rows_first
    model = convert(checkpoint)
    assert model.config.position_embedding_type == "learned"
    assert torch.equal(model.context_encoder.embeddings.position_embeddings, rows_first)
    checkpoint["encoder"]["module.pos_embed"] = torch.randn(1, 12, 48)
    with pytest.raises(ValueError, match=r"encoder pos_embed has shape \(12, 48\), expected \(16, 48\)"):
        convert(checkpoint)

    with pytest.raises(ValueError, match="no released official_ijepa encoder is 48 wide"):
        official_to_jepa(official_checkpoint("official_ijepa"), "official_ijepa")
    with pytest.raises(ValueError, match="looks like official_ijepa, not official_vjepa .*'official_ijepa'"):
        official_to_jepa(official_checkpoint("official_ijepa"), "official_vjepa", **heads)

    # a file that needs unpickling of arbitrary objects is refused, not executed
    torch.save({"encoder": {}, "predictor": {}, "target_encoder": {}, "args": logging.LogRecord}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match=r"weights_only=True\) and does not unpickle arbitrary objects"):
        convert(tmp_path / "bad.pt")
    (tmp_path / "truncated.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        convert(tmp_path / "truncated.pt")


# ---------------------------------------------------------------------------------------------------------------
# Continued pretraining and the command line
# ---------------------------------------------------------------------------------------------------------------


def test_continued_pretraining_from_converted_official_and_vjepa2_weights(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "ijepa.pth.tar"
    torch.save(official_checkpoint("official_ijepa"), path)
    convert_cli(
        [
            "--source",
            str(path),
            "--source_format",
            "official_ijepa",
            "--output_dir",
            str(tmp_path / "image"),
            "--config_overrides",
            json.dumps({**OFFICIAL["official_ijepa"][3], "mask_strategy": "random", "loss_type": "mse"}),
        ]
    )
    vjepa2_model().save_pretrained(tmp_path / "vjepa2")
    convert_cli(
        ["--source", str(tmp_path / "vjepa2"), "--source_format", "vjepa2", "--output_dir", str(tmp_path / "video")]
    )

    cases = [("image", drawn_images(4, 16, seed=4)), ("video", drawn_clips(4, 4, 16, seed=4))]
    for name, pixel_values in cases:
        model = JEPAForPreTraining.from_pretrained(tmp_path / name)
        model.target_encoder.requires_grad_(False)
        start = {key: tensor.clone() for key, tensor in model.target_encoder.state_dict().items()}
        losses = pretraining_steps(model, pixel_values, steps=8, momentum=0.9)
        assert all(math.isfinite(loss) for loss in losses)
        assert losses[-1] < 0.97 * losses[0], (name, losses)
        moved = [
            key for key, tensor in model.target_encoder.state_dict().items() if not torch.equal(tensor, start[key])
        ]
        assert moved  # the EMA target followed the trained context encoder


def test_cli_exports_to_transformers_and_rejects_bad_formats(tmp_path):
    ours(IMAGE).save_pretrained(tmp_path / "ours")
    convert_cli(
        [
            "--source",
            str(tmp_path / "ours"),
            "--source_format",
            "hf_jepa",
            "--output_dir",
            str(tmp_path / "ijepa"),
            "--target_format",
            "ijepa",
        ]
    )
    assert json.loads((tmp_path / "ijepa" / "config.json").read_text())["architectures"] == ["IJepaModel"]
    with pytest.raises(ValueError, match="target_format must be one of .*, got 'official_vjepa'"):
        convert_cli(
            [
                "--source",
                "x",
                "--source_format",
                "official_ijepa",
                "--output_dir",
                "y",
                "--target_format",
                "official_vjepa",
            ]
        )
    with pytest.raises(FileNotFoundError, match="No checkpoint file at"):
        convert_cli(
            ["--source", str(tmp_path / "missing.pth.tar"), "--source_format", "official_vjepa2", "--output_dir", "y"]
        )


# ---------------------------------------------------------------------------------------------------------------
# Nothing lost, every mistake named: the source, the output folder, the source format, non-finite weights
# ---------------------------------------------------------------------------------------------------------------


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (symlinks not followed), by its path relative to `folder`, with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_conversion_refuses_an_output_dir_that_is_contains_or_lies_inside_the_source(tmp_path):
    source = tmp_path / "runs" / "mymodel"
    ours(IMAGE).save_pretrained(source)
    (tmp_path / "link").symlink_to(source)
    official = tmp_path / "official" / OFFICIAL_IJEPA_FILENAME
    official.parent.mkdir()
    torch.save(official_checkpoint("official_ijepa"), official)
    before = files_of(tmp_path)
    heads = OFFICIAL["official_ijepa"][3]
    cases = [
        (source, "hf_jepa", source, "ijepa", "is"),  # the case: config.json and the weights replaced
        (source, "hf_jepa", tmp_path / "link", "ijepa", "is"),  # the same folder through a symlink
        (tmp_path / "link", "hf_jepa", source / "ijepa", "ijepa", "lies inside"),
        (source, "hf_jepa", tmp_path / "runs", "hf_jepa", "contains"),
        (official, "official_ijepa", official, "hf_jepa", "is"),
        (official, "official_ijepa", official.parent, "official_ijepa", "contains"),  # would write over the file
    ]
    for source_path, source_format, output_dir, target_format, relation in cases:
        with pytest.raises(ValueError, match=f"output_dir .* {relation} the source .* would overwrite the source"):
            convert_checkpoint(source_path, source_format, output_dir, target_format, config_overrides=heads)
    assert files_of(tmp_path) == before  # nothing written, nothing changed


def test_conversion_replaces_a_model_only_when_asked(tmp_path):
    first, second, output_dir = ours(IMAGE, seed=0), ours(IMAGE, seed=1), tmp_path / "ijepa"
    first.save_pretrained(tmp_path / "first")
    second.save_pretrained(tmp_path / "second")
    convert_checkpoint(tmp_path / "first", "hf_jepa", output_dir, target_format="ijepa")
    written = files_of(output_dir)
    with pytest.raises(ValueError, match=r"ijepa already holds a model \(config.json, model.safetensors\)"):
        convert_checkpoint(tmp_path / "second", "hf_jepa", output_dir, target_format="ijepa")
    assert files_of(output_dir) == written
    convert_checkpoint(tmp_path / "second", "hf_jepa", output_dir, target_format="ijepa", overwrite_output_dir=True)
    replaced = IJepaModel.from_pretrained(output_dir)
    assert torch.equal(replaced.layers[0].mlp.fc1.weight, second.target_encoder.layers[0].mlp.fc1.weight)

    (tmp_path / "notes").mkdir()  # a folder without a model is fine
    (tmp_path / "notes" / "README.md").write_text("notes")
    convert_checkpoint(tmp_path / "first", "hf_jepa", tmp_path / "notes")
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ValueError, match="output_dir .*file is a file, not a folder"):
        convert_checkpoint(tmp_path / "first", "hf_jepa", tmp_path / "file")


def test_a_wrong_source_format_is_refused_naming_the_format_the_source_looks_like(tmp_path):
    ours(IMAGE).save_pretrained(tmp_path / "hf_jepa")
    ijepa_model().save_pretrained(tmp_path / "ijepa")
    vjepa2_model().save_pretrained(tmp_path / "vjepa2")
    torch.save(official_checkpoint("official_vjepa"), tmp_path / "official_vjepa.pth.tar")
    cases = [
        ("hf_jepa", "ijepa"),  # the case: 0 of 165 tensors carried over, exit 0
        ("hf_jepa", "vjepa2"),
        ("hf_jepa", "official_ijepa"),
        ("ijepa", "hf_jepa"),
        ("vjepa2", "ijepa"),
        ("official_vjepa.pth.tar", "hf_jepa"),
        ("official_vjepa.pth.tar", "official_ijepa"),
        ("official_vjepa.pth.tar", "official_vjepa2"),  # would drop the encoder's sin-cos table for rotary positions
    ]
    for name, source_format in cases:
        looks_like = name.removesuffix(".pth.tar")
        with pytest.raises(ValueError, match=f"looks like {looks_like}.*; pass source_format='{looks_like}'"):
            convert_checkpoint(tmp_path / name, source_format, tmp_path / "out")
    assert not (tmp_path / "out").exists()

    # the right model_type, weights of another model: the loading info tells
    encoder_only = tmp_path / "encoder_only"
    ours(IMAGE).target_encoder.save_pretrained(encoder_only)
    config = json.loads((encoder_only / "config.json").read_text())
    (encoder_only / "config.json").write_text(json.dumps({**config, "architectures": ["JEPAForPreTraining"]}))
    with pytest.raises(ValueError, match=r"does not hold a hf_jepa JEPAForPreTraining: \d+ of its \d+ weights are"):
        convert_checkpoint(encoder_only, "hf_jepa", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path):
    model = ours(IMAGE)
    with torch.no_grad():
        model.target_encoder.layers[1].mlp.fc2.weight[0, 0] = float("nan")
    model.save_pretrained(tmp_path / "hf_jepa")
    ijepa = ijepa_model()
    with torch.no_grad():
        ijepa.layers[0].attention.q_proj.weight[2, 1] = float("-inf")
    ijepa.save_pretrained(tmp_path / "ijepa")
    checkpoint = official_checkpoint("official_ijepa")
    checkpoint["predictor"]["module.predictor_blocks.0.attn.proj.bias"][3] = float("inf")
    torch.save(checkpoint, tmp_path / "official.pth.tar")
    cases = [
        ("hf_jepa", "hf_jepa", "ijepa", "hf_jepa tensor target_encoder.layers.1.mlp.fc2.weight"),
        ("ijepa", "ijepa", "hf_jepa", "IJepaModel encoder tensor layers.0.attention.qkv_proj.weight"),
        ("official.pth.tar", "official_ijepa", "hf_jepa", "predictor tensor layers.0.attention.o_proj.bias"),
    ]
    for name, source_format, target_format, tensor in cases:
        with pytest.raises(ValueError, match=rf"{re.escape(tensor)} holds non-finite values \(NaN or inf\)"):
            convert_checkpoint(
                tmp_path / name,
                source_format,
                tmp_path / "out",
                target_format,
                config_overrides=OFFICIAL["official_ijepa"][3] if name == "official.pth.tar" else None,
            )
    assert not (tmp_path / "out").exists()
