# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The official I-JEPA, V-JEPA, V-JEPA 2 and V-JEPA 2.1 checkpoints: their layout, read into a [`JEPAForPreTraining`]
and written back.

The official training loops save `.pth.tar` / `.pt` files holding `encoder`, `predictor` and `target_encoder` (V-JEPA
2.1's distilled releases `ema_encoder` alone) state dicts, keys prefixed with `module.` / `module.backbone.`, beside
optimiser state and `epoch`; they are read with `weights_only=True`. This module holds what is about that layout
itself: the official tensor names (`OFFICIAL_ENCODER_RENAMES`, `OFFICIAL_BLOCK_RENAMES`), reading a file and its
entries (`load_official_checkpoint`, `read_official_parts`), the format a checkpoint looks like, the `JEPAConfig` its
weights fix and the released models' values of what they do not record (attention heads, V-JEPA 2's clip shape,
V-JEPA 2.1's level layers; `official_vjepa2_config`), official state dicts loaded into and written from our modules
(`load_official_state`, `official_state`, `official_checkpoint`), and the layer-norm epsilon the files do not record
(`warn_unrecorded_layer_norm_eps`). `official_to_jepa`, `jepa_to_official_ijepa` and `jepa_to_official_vjepa2_1`
convert whole checkpoints; the V-JEPA 2-AC world model's conversion (`convert_world_model`) shares the layout pieces.
"""

import logging
import pickle
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from transformers import PretrainedConfig

from .configuration_jepa import JEPAConfig
from .convert_common import (
    build_config,
    check_finite,
    check_positions,
    encoder_position_type,
    exact_mlp_ratio,
    load_part,
    rename_key,
    sincos_grid,
)
from .modeling_jepa import JEPAForPreTraining, sincos_position_embeddings

logger = logging.getLogger(__name__)

OFFICIAL_FORMATS = ("official_ijepa", "official_vjepa", "official_vjepa2", "official_vjepa2_1")
ENCODER_CHOICES = ("target_encoder", "encoder", "ema_encoder")
# The `model_type` in the config.json of each Hugging Face format.
_MODEL_TYPES = {"hf_jepa": "jepa", "ijepa": "ijepa", "vjepa2": "vjepa2"}

# The layer norms of the official I-JEPA, V-JEPA and V-JEPA 2 models (not recorded in their checkpoints).
OFFICIAL_LAYER_NORM_EPS = 1e-6
# Attention heads of the released encoders, by width (the checkpoints do not record them). I-JEPA and V-JEPA give
# the predictor as many heads as the encoder; V-JEPA 2's predictors have 12.
_RELEASED_ENCODER_HEADS = {
    "official_ijepa": {384: 6, 768: 12, 1024: 16, 1280: 16, 1408: 16},
    "official_vjepa": {384: 6, 768: 12, 1024: 16, 1280: 16, 1408: 16},
    "official_vjepa2": {384: 6, 768: 12, 1024: 16, 1280: 16, 1408: 22},
    "official_vjepa2_1": {768: 12, 1024: 16, 1408: 22, 1664: 26},
}
_VJEPA2_PREDICTOR_HEADS = 12
# V-JEPA 2 uses rotary embeddings, so its checkpoints do not fix the input: these are its pretraining crop and clip.
_VJEPA2_CLIP = {"image_size": 256, "num_frames": 16}
# V-JEPA 2.1: the released models' crop (their clip length is not fixed by the weights either), and the grid their
# encoders' rotary positions are rescaled to, by patch size (the official `interpolate_rope`).
_VJEPA2_1_CLIP = {"image_size": 384, "num_frames": 16}
_VJEPA2_1_ROPE_GRID = {16: 16, 14: 18}
# The layers of V-JEPA 2.1's per-level norms by encoder depth, and the predictor depths its code builds (fixed there).
_VJEPA2_1_LEVEL_LAYERS = {12: [2, 5, 8, 11], 24: [5, 11, 17, 23], 40: [9, 19, 29, 39], 48: [11, 23, 37, 47]}
_VJEPA2_1_PREDICTOR_DEPTHS = (4, 8, 12, 20, 24, 40)
# The objective of each paper, the default for continued pretraining of its weights.
_PAPER_LOSS = {
    "official_ijepa": "smooth_l1",
    "official_vjepa": "l1",
    "official_vjepa2": "l1",
    "official_vjepa2_1": "l1",
}

# Our tensor names -> the official code's, inside one encoder / predictor state dict. The official blocks fuse the
# query, key and value projections into one `attn.qkv` matrix as ours do (in that order along the output dimension).
OFFICIAL_BLOCK_RENAMES = [
    (r"\.layernorm_before\.", ".norm1."),
    (r"\.layernorm_after\.", ".norm2."),
    (r"\.attention\.qkv_proj\.", ".attn.qkv."),
    (r"\.attention\.o_proj\.", ".attn.proj."),
]
OFFICIAL_ENCODER_RENAMES = [
    (r"^embeddings\.patch_embeddings\.projection\.", "patch_embed.proj."),
    (r"^embeddings\.image_patch_embeddings\.projection\.", "patch_embed_img.proj."),  # V-JEPA 2.1
    (r"^embeddings\.image_modality_embedding$", "img_mod_embed"),
    (r"^embeddings\.video_modality_embedding$", "video_mod_embed"),
    (r"^embeddings\.position_embeddings$", "pos_embed"),  # a learned table (sin-cos tables are not in state dicts)
    (r"^layers\.", "blocks."),
    (r"^layernorm\.", "norm."),
    *OFFICIAL_BLOCK_RENAMES,
]
_OFFICIAL_PREDICTOR_RENAMES = [
    (r"^embed\.fc1\.", "predictor_embed.0."),  # V-JEPA 2.1's MLP input embedding (an nn.Sequential there)
    (r"^embed\.fc2\.", "predictor_embed.2."),
    (r"^embed\.", "predictor_embed."),
    (r"^layers\.", "predictor_blocks."),
    (r"^layernorm\.", "predictor_norm."),
    (r"^proj\.", "predictor_proj."),
    (r"^proj_context\.", "predictor_proj_context."),
    (r"^image_modality_embedding$", "img_mod_embed"),
    (r"^video_modality_embedding$", "video_mod_embed"),
    *OFFICIAL_BLOCK_RENAMES,
]


def _official_encoder_renames(config: JEPAConfig) -> list[tuple[str, str]]:
    """Our encoder tensor names -> the official ones; V-JEPA 2.1 keeps all its level norms in `norms_block`, the
    last of them being our final `layernorm`."""
    if not config.level_layers:
        return OFFICIAL_ENCODER_RENAMES
    last = len(config.level_layers) - 1
    return [
        (r"^layernorm\.", f"norms_block.{last}."),
        (r"^level_layernorms\.", "norms_block."),
        *OFFICIAL_ENCODER_RENAMES,
    ]


# ----------------------------------------------------------------------------------------------------------------
# Reading official checkpoint files and their entries
# ----------------------------------------------------------------------------------------------------------------


def load_official_checkpoint(path: str | Path) -> dict:
    """Reads an official `.pth.tar` / `.pt` checkpoint with `weights_only=True` (no arbitrary unpickling)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder; official checkpoints are single .pth.tar / .pt files.{format_hint(path)}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint file at {path}.")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path} holds objects other than tensors and plain Python containers; hf_jepa reads checkpoints with "
            f"torch.load(weights_only=True) and does not unpickle arbitrary objects. ({error})"
        ) from error
    except (RuntimeError, EOFError) as error:
        raise ValueError(f"{path} is not a readable PyTorch checkpoint: {error}") from error
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            f"{path} holds a {type(checkpoint).__name__}, expected a dict with encoder/predictor entries."
        )
    return dict(checkpoint)


def _strip_prefixes(state: Mapping, part: str) -> dict[str, torch.Tensor]:
    """Drops the `module.` (DistributedDataParallel) and `backbone.` (V-JEPA's mask wrappers) prefixes."""
    if not isinstance(state, Mapping):
        raise ValueError(f"The checkpoint's {part!r} entry is a {type(state).__name__}, expected a state dict.")
    stripped = {}
    for key, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ValueError(f"The checkpoint's {part!r} entry holds a {type(tensor).__name__} at {key!r}.")
        stripped[key.removeprefix("module.").removeprefix("backbone.")] = tensor
    return stripped


def _official_format(checkpoint: Mapping) -> str | None:
    """The official format of a checkpoint dict, read off its first encoder entry (`ENCODER_CHOICES`): I-JEPA embeds
    2D patches, V-JEPA and V-JEPA 2 3D tubelets, only V-JEPA's encoder keeps a position table (V-JEPA 2's positions
    are rotary), and only V-JEPA 2.1's has per-level norms; None when it holds no encoder."""
    encoder = next((checkpoint[entry] for entry in ENCODER_CHOICES if entry in checkpoint), None)
    if not isinstance(encoder, Mapping):
        return None
    keys = {key.removeprefix("module.").removeprefix("backbone."): value for key, value in encoder.items()}
    projection = keys.get("patch_embed.proj.weight")
    if not isinstance(projection, torch.Tensor):
        return None
    if projection.dim() == 4:
        return "official_ijepa"
    if projection.dim() == 5:
        if "norms_block.0.weight" in keys:
            return "official_vjepa2_1"
        return "official_vjepa" if "pos_embed" in keys else "official_vjepa2"
    return None


def _require_keys(state: dict, keys: Sequence[str], part: str) -> None:
    missing = [key for key in keys if key not in state]
    if missing:
        raise ValueError(f"The checkpoint's {part!r} state dict lacks {missing}; it has {sorted(state)[:20]}...")


def _count_blocks(state: dict, prefix: str) -> int:
    indices = {int(match.group(1)) for key in state if (match := re.match(rf"^{prefix}\.(\d+)\.", key))}
    return max(indices) + 1


def _official_entries(checkpoint: Mapping, entries: Sequence[str]) -> list[dict[str, torch.Tensor]]:
    """The state dicts of `entries`, prefixes stripped; a checkpoint that lacks some is refused, naming them."""
    absent = [entry for entry in entries if entry not in checkpoint]
    if absent:
        raise ValueError(f"The checkpoint lacks the entries {absent}; it has {sorted(checkpoint)}.")
    return [_strip_prefixes(checkpoint[entry], entry) for entry in entries]


def read_official_parts(
    checkpoint: str | Path | Mapping, required: Mapping[str, Sequence[str]]
) -> list[dict[str, torch.Tensor]]:
    """The state dicts of an official checkpoint's entries, in the order of `required`, which maps each entry to the
    keys it must hold; `module.` / `backbone.` prefixes are stripped. A missing entry or key, or a tensor with NaN or
    inf values, is refused, naming it.

    Args:
        checkpoint: the `.pt` / `.pth.tar` file (read with `weights_only=True`), or its loaded dict.
        required: entry -> the keys it must hold, e.g. `{"encoder": (), "predictor": ("predictor_embed.weight",)}`.
    """
    if not isinstance(checkpoint, Mapping):
        checkpoint = load_official_checkpoint(checkpoint)
    parts = _official_entries(checkpoint, list(required))
    for (entry, keys), state in zip(required.items(), parts):
        check_finite(state, entry)
        _require_keys(state, keys, entry)
    return parts


def detect_format(source: str | Path) -> str | None:
    """The format `source` looks like: an official one for a checkpoint file (by its state dicts), else `hf_jepa`,
    `ijepa` or `vjepa2` by the `model_type` in its config.json (a folder or a Hub id); None when it cannot tell."""
    if Path(source).is_file():
        try:
            return _official_format(load_official_checkpoint(source))
        except ValueError:
            return None
    try:
        config, _ = PretrainedConfig.get_config_dict(str(source))
    except (OSError, ValueError):
        return None
    return next((name for name, model_type in _MODEL_TYPES.items() if config.get("model_type") == model_type), None)


def format_hint(source: str | Path, source_format: str | None = None) -> str:
    """` It looks like X; pass source_format='X'.` when `source` looks like a format other than `source_format`."""
    looks_like = detect_format(source)
    if looks_like in (None, source_format):
        return ""
    return f" It looks like {looks_like}; pass source_format={looks_like!r}."


# ----------------------------------------------------------------------------------------------------------------
# The config an official checkpoint's weights fix, and the released models' values of what they do not record
# ----------------------------------------------------------------------------------------------------------------


def _official_encoder_shape(encoder: dict) -> dict:
    """The `JEPAConfig` settings an official encoder's weights fix: patch embedding, width, depth, MLP, qkv bias."""
    projection = encoder["patch_embed.proj.weight"]
    hidden_size = projection.shape[0]
    return dict(
        patch_size=projection.shape[-1],
        num_channels=projection.shape[1],
        hidden_size=hidden_size,
        num_hidden_layers=_count_blocks(encoder, "blocks"),
        mlp_ratio=exact_mlp_ratio(encoder["blocks.0.mlp.fc1.weight"].shape[0], hidden_size),
        qkv_bias="blocks.0.attn.qkv.bias" in encoder,
    )


def _official_predictor_shape(predictor: dict, pred_hidden_size: int) -> dict:
    """The `JEPAConfig` settings an official predictor of width `pred_hidden_size` fixes: depth, MLP, mask tokens."""
    num_mask_tokens = sum(1 for key in predictor if re.fullmatch(r"mask_tokens\.\d+", key))
    return dict(
        pred_hidden_size=pred_hidden_size,
        pred_num_hidden_layers=_count_blocks(predictor, "predictor_blocks"),
        pred_mlp_ratio=exact_mlp_ratio(predictor["predictor_blocks.0.mlp.fc1.weight"].shape[0], pred_hidden_size),
        pred_num_mask_tokens=max(num_mask_tokens, 1),
    )


def _check_patch_embedding(projection: torch.Tensor, source_format: str) -> None:
    """I-JEPA embeds 2D image patches, the video models 3D tubelets."""
    video = source_format != "official_ijepa"
    if projection.dim() != (5 if video else 4):
        kind = "a 3D (video) patch embedding" if video else "a 2D (image) patch embedding"
        raise ValueError(
            f"{source_format} checkpoints have {kind}, but patch_embed.proj.weight has shape "
            f"{tuple(projection.shape)}."
        )


def _official_config(
    source_format: str, encoder: dict, predictor: dict, config_overrides: dict
) -> tuple[JEPAConfig, list[str]]:
    """The `JEPAConfig` of an official checkpoint, and the position tables its weights carry but we compute."""
    _require_keys(encoder, ("patch_embed.proj.weight", "blocks.0.mlp.fc1.weight"), "encoder")
    _require_keys(predictor, ("predictor_embed.weight", "predictor_blocks.0.mlp.fc1.weight"), "predictor")
    projection = encoder["patch_embed.proj.weight"]
    _check_patch_embedding(projection, source_format)
    video = source_format != "official_ijepa"
    hidden_size = projection.shape[0]
    derived = {
        **_official_encoder_shape(encoder),
        **_official_predictor_shape(predictor, predictor["predictor_embed.weight"].shape[0]),
    }
    defaults = dict(layer_norm_eps=OFFICIAL_LAYER_NORM_EPS, loss_type=_PAPER_LOSS[source_format])
    heads = config_overrides.get("num_attention_heads", _RELEASED_ENCODER_HEADS[source_format].get(hidden_size))
    if heads is None:
        raise ValueError(
            f"Checkpoints do not record the number of attention heads, and no released {source_format} encoder is "
            f"{hidden_size} wide; pass num_attention_heads and pred_num_attention_heads in config_overrides."
        )
    defaults["num_attention_heads"] = heads
    defaults["pred_num_attention_heads"] = _VJEPA2_PREDICTOR_HEADS if source_format == "official_vjepa2" else heads
    if video:
        derived["tubelet_size"] = projection.shape[2]

    position_keys = [key for key in ("pos_embed", "predictor_pos_embed") if key in encoder or key in predictor]
    if source_format == "official_vjepa2":
        derived["position_embedding_type"] = "rope"
        defaults.update(_VJEPA2_CLIP)
        return build_config(derived, defaults, config_overrides), position_keys
    _require_keys(encoder, ("pos_embed",), "encoder")
    _require_keys(predictor, ("predictor_pos_embed",), "predictor")
    # the official predictors keep a fixed sin-cos table: it gives the grid and the layout; the encoder's table is
    # the same one, or a trained one (`learned`)
    grid, layout = sincos_grid(predictor["predictor_pos_embed"], video, "predictor predictor_pos_embed")
    sincos = sincos_position_embeddings(hidden_size, grid, uniform=layout == "sincos_uniform")
    if encoder_position_type(encoder["pos_embed"], sincos, "encoder pos_embed") == "learned":
        layout = "learned"
    time, height, _ = grid
    derived.update(image_size=height * derived["patch_size"], position_embedding_type=layout)
    derived["num_frames"] = time * derived["tubelet_size"] if video else 1
    return build_config(derived, defaults, config_overrides), position_keys


def official_vjepa2_config(encoder: dict, predictor: dict, config_overrides: dict) -> JEPAConfig:
    """The `JEPAConfig` of an official V-JEPA 2 encoder and a predictor with its `predictor_embed` and
    `predictor_blocks` (state dicts read by `read_official_parts`), as `official_to_jepa` reads them; an encoder of
    another official model is refused, naming the format it looks like."""
    looks_like = _official_format({"encoder": encoder})
    if looks_like not in (None, "official_vjepa2"):
        raise ValueError(
            f"The encoder looks like {looks_like}, not official_vjepa2: V-JEPA 2 encoders embed 3D tubelets and have "
            "rotary positions (no position table) and no level norms."
        )
    return _official_config("official_vjepa2", encoder, predictor, config_overrides)[0]


def _vjepa2_1_predictor_input(predictor: dict, hidden_size: int) -> tuple[int, int]:
    """The levels a V-JEPA 2.1 predictor reads and its width: an MLP embeds several concatenated levels, a linear
    map one."""
    if "predictor_embed.0.weight" in predictor:
        _require_keys(predictor, ("predictor_embed.2.weight",), "predictor")
        levels = predictor["predictor_embed.0.weight"].shape[1] // hidden_size
        return levels, predictor["predictor_embed.2.weight"].shape[0]
    _require_keys(predictor, ("predictor_embed.weight",), "predictor")
    return 1, predictor["predictor_embed.weight"].shape[0]


def _vjepa2_1_defaults(hidden_size: int, depth: int, patch_size: int, config_overrides: dict) -> dict:
    """The released V-JEPA 2.1 settings the weights do not fix; heads and level layers that the official code sets
    for no encoder of this shape must come in `config_overrides`."""
    heads = _RELEASED_ENCODER_HEADS["official_vjepa2_1"].get(hidden_size)
    defaults = dict(
        _VJEPA2_1_CLIP,
        layer_norm_eps=OFFICIAL_LAYER_NORM_EPS,
        loss_type=_PAPER_LOSS["official_vjepa2_1"],
        num_attention_heads=heads,
        pred_num_attention_heads=_VJEPA2_PREDICTOR_HEADS,
        level_layers=_VJEPA2_1_LEVEL_LAYERS.get(depth),
        rope_grid_size=_VJEPA2_1_ROPE_GRID.get(patch_size),
    )
    for name in ("num_attention_heads", "level_layers"):
        if defaults[name] is None and name not in config_overrides:
            raise ValueError(
                f"The checkpoint does not record {name}, and the official code sets none for an encoder of width "
                f"{hidden_size} and depth {depth}; pass {name} in config_overrides."
            )
    return defaults


def _official_vjepa2_1_config(encoder: dict, predictor: dict, config_overrides: dict) -> JEPAConfig:
    """The `JEPAConfig` of a V-JEPA 2.1 checkpoint: its encoder's levels and image / modality embeddings, and the
    levels its predictor reads and predicts, read off the weights; the released models' settings for the rest."""
    _require_keys(encoder, ("patch_embed.proj.weight", "blocks.0.mlp.fc1.weight", "norms_block.0.weight"), "encoder")
    _require_keys(predictor, ("predictor_blocks.0.mlp.fc1.weight", "predictor_proj.weight"), "predictor")
    projection = encoder["patch_embed.proj.weight"]
    _check_patch_embedding(projection, "official_vjepa2_1")
    encoder_shape = _official_encoder_shape(encoder)
    hidden_size, depth = encoder_shape["hidden_size"], encoder_shape["num_hidden_layers"]
    pred_num_levels, pred_hidden_size = _vjepa2_1_predictor_input(predictor, hidden_size)
    output_size = predictor["predictor_proj.weight"].shape[0] // pred_num_levels
    derived = dict(
        **encoder_shape,
        tubelet_size=projection.shape[2],
        position_embedding_type="rope",
        rope_interleaved=True,
        image_patch_embeddings="patch_embed_img.proj.weight" in encoder,
        modality_embeddings="video_mod_embed" in encoder,
        **_official_predictor_shape(predictor, pred_hidden_size),
        pred_num_levels=pred_num_levels,
        pred_output_size=output_size if output_size != hidden_size else None,
        pred_predict_context="predictor_proj_context.weight" in predictor,
    )
    defaults = _vjepa2_1_defaults(hidden_size, depth, encoder_shape["patch_size"], config_overrides)
    config = build_config(derived, defaults, config_overrides)
    num_norms = _count_blocks(encoder, "norms_block")
    if len(config.level_layers) != num_norms:
        raise ValueError(
            f"The encoder has {num_norms} level norms (norms_block), but level_layers is {config.level_layers}."
        )
    return config


# ----------------------------------------------------------------------------------------------------------------
# Official checkpoint -> JEPAForPreTraining
# ----------------------------------------------------------------------------------------------------------------


def load_official_state(
    module: torch.nn.Module,
    official: dict[str, torch.Tensor],
    renames: list[tuple[str, str]],
    part: str,
    mask_token_names: list[str] | None = None,
) -> None:
    """Loads an official encoder / predictor state dict into `module` (our names are turned into the official ones
    by `renames`); unknown, missing or misshapen keys fail, naming them. The predictor's mask tokens are concatenated
    from `mask_token_names`."""
    state, used, missing, misshapen = {}, set(), {}, []
    for key, expected in module.state_dict().items():
        names = mask_token_names if key == "mask_token" else [rename_key(key, renames)]
        absent = [name for name in names if name not in official]
        if absent:
            missing.update(dict.fromkeys(absent))
            continue
        used.update(names)
        tensor = torch.cat([official[name] for name in names]) if key == "mask_token" else official[names[0]]
        if tensor.shape != expected.shape:
            misshapen.append(f"{names[0]} {tuple(tensor.shape)} (for {key} {tuple(expected.shape)})")
        state[key] = tensor
    unknown = sorted(set(official) - used)
    if missing or unknown or misshapen:
        raise ValueError(
            f"The checkpoint's {part!r} state dict does not match the architecture read off its weights: "
            f"missing {list(missing)}, unknown {unknown}, wrong shapes {misshapen}."
        )
    load_part(module, state, part)


def _check_official_format(checkpoint: Mapping, source_format: str) -> None:
    looks_like = _official_format(checkpoint)
    if looks_like not in (None, source_format):
        raise ValueError(
            f"The checkpoint looks like {looks_like}, not {source_format} (told by its encoder's patch embedding and "
            f"position table); pass source_format={looks_like!r}."
        )


def _official_encoder_entries(checkpoint: Mapping, source_format: str, target_encoder: str) -> tuple[str, str]:
    """The entries that become the context and the target encoder: `encoder` and `target_encoder`, except that
    V-JEPA 2.1's distilled releases hold their EMA encoder alone, as `ema_encoder`."""
    context_encoder = "encoder"
    if source_format == "official_vjepa2_1":
        if target_encoder not in checkpoint and "ema_encoder" in checkpoint:
            logger.info(f"The checkpoint has no {target_encoder!r}: its 'ema_encoder' becomes the target encoder.")
            target_encoder = "ema_encoder"
        if "encoder" not in checkpoint and target_encoder in checkpoint:
            logger.info(f"The checkpoint has no 'encoder': the context encoder starts from its {target_encoder!r}.")
            context_encoder = target_encoder
    return context_encoder, target_encoder


def _take_position_tables(
    model: JEPAForPreTraining, position_keys: list[str], parts: list[tuple[dict[str, torch.Tensor], str]]
) -> None:
    """Takes the position tables that we compute out of the official state dicts (`parts`: state dict, name),
    checking that each is the table we compute; V-JEPA 2's are dropped (its positions are rotary), and a trained
    (`learned`) encoder table stays, to load with its encoder."""
    config = model.config
    for key in position_keys:
        for state, part in parts:
            if key not in state:
                continue
            if key == "pos_embed" and config.position_embedding_type == "learned":
                continue
            table = state.pop(key)
            if config.position_embedding_type == "rope":
                logger.info(f"Dropped {part} {key}: V-JEPA 2 positions are rotary, computed inside attention.")
                continue
            module = model.predictor if part == "predictor" else model.target_encoder.embeddings
            check_positions(table, module.position_embeddings, f"{part} {key}")


def _mask_token_names(source_format: str, config: JEPAConfig) -> list[str]:
    """I-JEPA has one `mask_token`; V-JEPA and V-JEPA 2 a list `mask_tokens.0`, `mask_tokens.1`, ..."""
    if source_format == "official_ijepa":
        return ["mask_token"]
    return [f"mask_tokens.{index}" for index in range(config.pred_num_mask_tokens)]


def official_to_jepa(
    checkpoint: str | Path | Mapping,
    source_format: str,
    target_encoder: str = "target_encoder",
    **config_overrides,
) -> JEPAForPreTraining:
    """A `JEPAForPreTraining` holding all three parts of an official I-JEPA / V-JEPA / V-JEPA 2 / V-JEPA 2.1
    checkpoint.

    Args:
        checkpoint: the path of the `.pth.tar` / `.pt` file, or its loaded dict.
        source_format: `official_ijepa`, `official_vjepa`, `official_vjepa2` or `official_vjepa2_1`.
        target_encoder: the checkpoint entry that becomes our (EMA) target encoder, the one used downstream:
            `target_encoder` (default; the one the papers evaluate), `encoder` or `ema_encoder`. The context encoder
            is the checkpoint's `encoder`, which the predictor was trained with. V-JEPA 2.1 checkpoints without
            `target_encoder` use their `ema_encoder`, and without `encoder` start the context encoder from it.
        config_overrides: `JEPAConfig` settings the weights do not fix (attention heads, clip shape for V-JEPA 2,
            objective, masking).
    """
    if source_format not in OFFICIAL_FORMATS:
        raise ValueError(f"source_format must be one of {OFFICIAL_FORMATS}, got {source_format!r}.")
    if target_encoder not in ENCODER_CHOICES:
        raise ValueError(f"target_encoder must be one of {ENCODER_CHOICES}, got {target_encoder!r}.")
    if not isinstance(checkpoint, Mapping):
        checkpoint = load_official_checkpoint(checkpoint)
    _check_official_format(checkpoint, source_format)
    context_entry, target_entry = _official_encoder_entries(checkpoint, source_format, target_encoder)
    encoder, predictor, target = _official_entries(checkpoint, (context_entry, "predictor", target_entry))

    if source_format == "official_vjepa2_1":
        config, position_keys = _official_vjepa2_1_config(encoder, predictor, config_overrides), []
    else:
        config, position_keys = _official_config(source_format, encoder, predictor, config_overrides)
    model = JEPAForPreTraining(config)
    parts = [(encoder, "encoder"), (target, target_entry), (predictor, "predictor")]
    _take_position_tables(model, position_keys, parts)
    encoder_renames = _official_encoder_renames(config)
    load_official_state(model.context_encoder, encoder, encoder_renames, context_entry)
    load_official_state(model.target_encoder, target, encoder_renames, target_entry)
    mask_token_names = _mask_token_names(source_format, config)
    load_official_state(model.predictor, predictor, _OFFICIAL_PREDICTOR_RENAMES, "predictor", mask_token_names)
    return model


# ----------------------------------------------------------------------------------------------------------------
# JEPAForPreTraining -> official checkpoint
# ----------------------------------------------------------------------------------------------------------------


def official_state(module: torch.nn.Module, renames: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """An encoder / predictor state dict under the official names."""
    return {rename_key(key, renames): tensor.detach().clone() for key, tensor in module.state_dict().items()}


def official_checkpoint(states: Mapping[str, Mapping[str, torch.Tensor]], prefix: str) -> dict:
    """The checkpoint dict of an official training loop, without optimiser state: each state dict of `states` under
    its entry, keys prefixed with `prefix` (`module.` as DistributedDataParallel saves them, `module.backbone.` for
    V-JEPA 2.1), and `epoch` 0. The official loaders read `epoch`: I-JEPA's `load_checkpoint` reads it first and,
    without it, silently loads nothing; V-JEPA's `load_pretrained` and `load_checkpoint` fail."""
    entries = {entry: {f"{prefix}{key}": tensor for key, tensor in state.items()} for entry, state in states.items()}
    return {**entries, "epoch": 0}


def warn_unrecorded_layer_norm_eps(layer_norm_eps: float) -> None:
    """Official checkpoints do not record the layer-norm epsilon (their models use 1e-6): a model exported with
    another one warns that it must be given back when the checkpoint is read."""
    if layer_norm_eps != OFFICIAL_LAYER_NORM_EPS:
        logger.warning(
            f"layer_norm_eps={layer_norm_eps} is not recorded in official checkpoints, whose models use "
            f"{OFFICIAL_LAYER_NORM_EPS}; pass it in config_overrides when reading the checkpoint back, and build the "
            "official modules with it."
        )


def jepa_to_official_ijepa(model: JEPAForPreTraining) -> dict:
    """The checkpoint dict of the official I-JEPA code: `encoder` (our context encoder), `predictor` and
    `target_encoder`, keys prefixed with `module.` as its DistributedDataParallel training saves them, position
    tables included (`pos_embed`: sin-cos or learned), and `epoch` 0 (read by its `load_checkpoint`). It holds no
    optimiser state, so it starts a run of the official code rather than resuming one. The layer-norm epsilon is not
    recorded (the official models use 1e-6; another one is warned about).
    """
    config = model.config
    if (
        config.is_video
        or config.position_embedding_type not in ("sincos", "learned")
        or config.pred_num_mask_tokens > 1
        or config.objective == "multiview"
    ):
        raise ValueError(
            "The official I-JEPA format holds image models with a predictor, sin-cos or learned positions and one "
            f"mask token; this model has objective={config.objective!r} (no predictor with 'multiview'), num_frames="
            f"{config.num_frames}, position_embedding_type={config.position_embedding_type!r}, "
            f"pred_num_mask_tokens={config.pred_num_mask_tokens}. Its encoder converts to --target_format ijepa."
        )
    warn_unrecorded_layer_norm_eps(config.layer_norm_eps)
    checkpoint = {}
    for entry, encoder in (("encoder", model.context_encoder), ("target_encoder", model.target_encoder)):
        checkpoint[entry] = official_state(encoder, OFFICIAL_ENCODER_RENAMES)
        checkpoint[entry]["pos_embed"] = encoder.embeddings.position_embeddings.detach().clone()
    checkpoint["predictor"] = official_state(model.predictor, _OFFICIAL_PREDICTOR_RENAMES)
    checkpoint["predictor"]["predictor_pos_embed"] = model.predictor.position_embeddings.clone()
    return official_checkpoint(checkpoint, "module.")


def jepa_to_official_vjepa2_1(model: JEPAForPreTraining, target_encoder: str = "target_encoder") -> dict:
    """The checkpoint dict of the official V-JEPA 2.1 code: `encoder` (our context encoder), `predictor`, and the
    target encoder under `target_encoder` (or `ema_encoder`, as in the distilled releases), keys prefixed with
    `module.backbone.` as its training saves them, and `epoch` 0 (read by its loaders). No optimiser state: it starts
    a run of the official code (or loads with its torch hub builders) rather than resuming one. The layer-norm
    epsilon is not recorded (the official models use 1e-6; another one is warned about)."""
    config = model.config
    official_levels = _VJEPA2_1_LEVEL_LAYERS.get(config.num_hidden_layers)
    if (
        config.position_embedding_type != "rope"
        or not config.rope_interleaved
        or config.level_layers is None
        or config.level_layers != official_levels
        or model.predictor is None
        or config.pred_num_hidden_layers not in _VJEPA2_1_PREDICTOR_DEPTHS
    ):
        raise ValueError(
            "The official V-JEPA 2.1 format holds video models with a predictor, interleaved rotary embeddings "
            f"(rope_interleaved), level norms at layers {official_levels} for {config.num_hidden_layers} layers and "
            f"a predictor depth in {_VJEPA2_1_PREDICTOR_DEPTHS}; this model has position_embedding_type="
            f"{config.position_embedding_type!r}, rope_interleaved={config.rope_interleaved}, level_layers="
            f"{config.level_layers}, objective={config.objective!r}, pred_num_hidden_layers="
            f"{config.pred_num_hidden_layers}."
        )
    warn_unrecorded_layer_norm_eps(config.layer_norm_eps)
    encoder_renames = _official_encoder_renames(config)
    checkpoint = {
        "encoder": official_state(model.context_encoder, encoder_renames),
        "predictor": official_state(model.predictor, _OFFICIAL_PREDICTOR_RENAMES),
        target_encoder: official_state(model.target_encoder, encoder_renames),
    }
    mask_tokens = checkpoint["predictor"].pop("mask_token")
    checkpoint["predictor"].update({f"mask_tokens.{index}": token for index, token in enumerate(mask_tokens.split(1))})
    return official_checkpoint(checkpoint, "module.backbone.")


__all__ = [
    "ENCODER_CHOICES",
    "OFFICIAL_BLOCK_RENAMES",
    "OFFICIAL_ENCODER_RENAMES",
    "OFFICIAL_FORMATS",
    "OFFICIAL_LAYER_NORM_EPS",
    "detect_format",
    "format_hint",
    "jepa_to_official_ijepa",
    "jepa_to_official_vjepa2_1",
    "load_official_checkpoint",
    "load_official_state",
    "official_checkpoint",
    "official_state",
    "official_to_jepa",
    "official_vjepa2_config",
    "read_official_parts",
    "warn_unrecorded_layer_norm_eps",
]
