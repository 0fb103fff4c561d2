# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Weights that move between hf_jepa, transformers' `IJepaModel` / `VJEPA2Model` and the official checkpoints.

Every source becomes a [`JEPAForPreTraining`] (context encoder, EMA target encoder, predictor), ready for continued
pretraining; every hf_jepa model can be written back as a plain transformers checkpoint:

- `ijepa` (transformers `IJepaModel`, e.g. `facebook/ijepa_vith14_1k`): an image encoder whose position table is a
  parameter. The released models hold the 2D sin-cos table (imported as `sincos`); a table trained with
  transformers is imported as `learned`. Imported, it starts both encoders; the predictor is new. Exported: the
  target encoder.
- `vjepa2` (transformers `VJEPA2Model`, e.g. `facebook/vjepa2-vitl-fpc64-256`): a video encoder and predictor with 3D
  rotary embeddings. Both move, both ways.
- `official_ijepa`, `official_vjepa`, `official_vjepa2`: the `.pth.tar` / `.pt` training checkpoints of the official
  code: `encoder`, `predictor`, `target_encoder` (+ optimizer state, epoch, ...), read with `weights_only=True`.
  An encoder `pos_embed` other than the sin-cos table is imported as `learned`. `official_ijepa` is also written
  (the three state dicts and `epoch` 0, which the official loader reads; no optimiser state).
- `official_vjepa2_1`: V-JEPA 2.1 checkpoints (app/vjepa_2_1 of the official code, the torch hub `vjepa2_1_*` files):
  per-level norms, an image patch embedding, modality embeddings, interleaved rotary embeddings rescaled to the
  training grid, a predictor of several levels that also predicts the context tokens. The released ViT-g / ViT-G
  hold `target_encoder`; the distilled ViT-B / ViT-L only `ema_encoder` (read as the target encoder; the context
  encoder starts from it) and a predictor of their ViT-G teacher's features. Written back with the same entries.
  transformers' `VJEPA2Model` cannot hold these models (its rotary embeddings have V-JEPA 2's layout).

The official files do not record the attention heads nor (for V-JEPA 2) the clip shape; they default to the released
models' values and can be set with `config_overrides`.
"""

import logging
import math
import pickle
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from transformers import (
    AutoImageProcessor,
    IJepaConfig,
    IJepaModel,
    PretrainedConfig,
    PreTrainedModel,
    VJEPA2Config,
    VJEPA2Model,
    VJEPA2VideoProcessor,
)

from .configuration_jepa import JEPAConfig
from .data import build_processor
from .hub.cards import write_conversion_card
from .modeling_jepa import JEPAForPreTraining, JEPAModel, sincos_position_embeddings

logger = logging.getLogger(__name__)

FORMATS = ("hf_jepa", "ijepa", "vjepa2", "official_ijepa", "official_vjepa", "official_vjepa2", "official_vjepa2_1")
TARGET_FORMATS = ("hf_jepa", "ijepa", "vjepa2", "official_ijepa", "official_vjepa2_1")
OFFICIAL_FORMATS = ("official_ijepa", "official_vjepa", "official_vjepa2", "official_vjepa2_1")
ENCODER_CHOICES = ("target_encoder", "encoder", "ema_encoder")
# The name the official I-JEPA training loop gives its latest checkpoint.
OFFICIAL_IJEPA_FILENAME = "jepa-latest.pth.tar"
# The name the official V-JEPA 2.1 training loop gives its latest checkpoint.
OFFICIAL_VJEPA2_1_FILENAME = "latest.pth.tar"
# The `model_type` in the config.json of each Hugging Face format.
_MODEL_TYPES = {"hf_jepa": "jepa", "ijepa": "ijepa", "vjepa2": "vjepa2"}
# The files that show a folder holds a model (conversion does not replace one unless asked to).
_MODEL_FILES = ("config.json", "*.safetensors", "*.bin", "*.pt", "*.pth", "*.pth.tar")

# A stored sin-cos table matches ours when it differs by float32 rounding only; another layout differs by ~1.
_POSITION_TOLERANCE = 1e-4
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
    "ijepa": "smooth_l1",
    "official_ijepa": "smooth_l1",
    "vjepa2": "l1",
    "official_vjepa": "l1",
    "official_vjepa2": "l1",
    "official_vjepa2_1": "l1",
}

# Our config fields -> those of transformers' IJepaConfig and VJEPA2Config, used both ways. I-JEPA's MLP width is
# converted on its own (`intermediate_size` there, `mlp_ratio` here).
_IJEPA_FIELDS = {name: name for name in (
    "image_size", "patch_size", "num_channels", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "hidden_act", "qkv_bias", "layer_norm_eps", "initializer_range", "hidden_dropout_prob",
    "attention_probs_dropout_prob",
)}  # fmt: skip
_VJEPA2_FIELDS = {
    "image_size": "crop_size",
    "num_frames": "frames_per_clip",
    "num_channels": "in_chans",
    **{name: name for name in (
        "patch_size", "tubelet_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "mlp_ratio",
        "hidden_act", "qkv_bias", "layer_norm_eps", "drop_path_rate", "attention_probs_dropout_prob",
        "initializer_range", "pred_hidden_size", "pred_num_hidden_layers", "pred_num_attention_heads",
        "pred_num_mask_tokens", "pred_mlp_ratio",
    )},
}  # fmt: skip
# The fields above that the weights do not fix: on import, defaults that config_overrides may change. The weights
# fix all others, which config_overrides may not contradict.
_TRAINING_SETTINGS = ("initializer_range", "hidden_dropout_prob", "attention_probs_dropout_prob", "drop_path_rate")

# Our tensor names -> transformers' VJEPA2Model (in memory), applied in order to `JEPAForPreTraining` keys.
_VJEPA2_RENAMES = [
    (r"^target_encoder\.embeddings\.patch_embeddings\.projection\.", "encoder.embeddings.patch_embeddings.proj."),
    (r"^target_encoder\.layers\.", "encoder.layer."),
    (r"^target_encoder\.layernorm\.", "encoder.layernorm."),
    (r"^predictor\.embed\.", "predictor.embeddings.predictor_embeddings."),
    (r"^predictor\.mask_token$", "predictor.embeddings.mask_tokens"),
    (r"^predictor\.layers\.", "predictor.layer."),
    (r"\.layernorm_before\.", ".norm1."),
    (r"\.layernorm_after\.", ".norm2."),
    (r"\.attention\.q_proj\.", ".attention.query."),
    (r"\.attention\.k_proj\.", ".attention.key."),
    (r"\.attention\.v_proj\.", ".attention.value."),
    (r"\.attention\.o_proj\.", ".attention.proj."),
]
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


def _rename(key: str, renames: list[tuple[str, str]]) -> str:
    for pattern, replacement in renames:
        key = re.sub(pattern, replacement, key)
    return key


def _export_fields(config: JEPAConfig, fields: dict[str, str]) -> dict:
    """`config`'s values of `fields` under their transformers names."""
    return {theirs: getattr(config, ours) for ours, theirs in fields.items()}


def _import_fields(config: PretrainedConfig, fields: dict[str, str]) -> tuple[dict, dict]:
    """A transformers `config`'s values of `fields` under our names: those the weights fix, and the training
    settings, only defaults."""
    values = {ours: getattr(config, theirs) for ours, theirs in fields.items()}
    fixed = {name: value for name, value in values.items() if name not in _TRAINING_SETTINGS}
    defaults = {name: value for name, value in values.items() if name in _TRAINING_SETTINGS}
    return fixed, defaults


def check_config_overrides(derived: Mapping, overrides: Mapping) -> None:
    """Refuses `config_overrides` that contradict the settings read off a checkpoint's weights (`derived`), naming
    each with both values."""
    conflicts = [name for name, value in overrides.items() if name in derived and derived[name] != value]
    if conflicts:
        details = ", ".join(f"{name}={overrides[name]!r} (the weights have {derived[name]!r})" for name in conflicts)
        raise ValueError(f"config_overrides contradict the checkpoint: {details}; drop them from config_overrides.")


def _build_config(derived: dict, defaults: dict, overrides: dict) -> JEPAConfig:
    """A `JEPAConfig` from settings read off the weights (fixed), release defaults and the user's overrides."""
    check_config_overrides(derived, overrides)
    return JEPAConfig(**{**defaults, **overrides, **derived})


def _mlp_ratio(intermediate_size: int, hidden_size: int) -> float:
    """The `mlp_ratio` that gives back `intermediate_size` (our MLP width is `int(hidden_size * mlp_ratio)`)."""
    ratio = intermediate_size / hidden_size
    if int(hidden_size * ratio) != intermediate_size:
        raise ValueError(f"An MLP of width {intermediate_size} on {hidden_size} channels has no exact float ratio.")
    return ratio


def _sincos_difference(stored: torch.Tensor, expected: torch.Tensor, name: str) -> float:
    """The largest difference between a stored position table and our sin-cos table; the shapes must agree."""
    stored = stored.detach().float().reshape(-1, stored.shape[-1])
    expected = expected.reshape(-1, expected.shape[-1])
    if stored.shape != expected.shape:
        raise ValueError(
            f"{name} has shape {tuple(stored.shape)}, expected {tuple(expected.shape)} (one row per token of the "
            "model's grid, one column per channel); hf_jepa can load neither a sin-cos nor a learned table of another "
            "shape."
        )
    return (stored - expected).abs().max().item()


def _check_positions(stored: torch.Tensor, expected: torch.Tensor, name: str) -> None:
    """Tables our models compute (the predictor's, or a `sincos` encoder's) must be stored as the same table."""
    difference = _sincos_difference(stored, expected, name)
    if difference > _POSITION_TOLERANCE:
        raise ValueError(
            f"{name} is not the fixed sin-cos table hf_jepa computes for this grid (largest difference "
            f"{difference:.3g}); hf_jepa computes this table and cannot load another layout or learned values here."
        )


def _encoder_position_type(stored: torch.Tensor, expected: torch.Tensor, name: str) -> str:
    """`sincos` when an encoder's stored table is our sin-cos table (no needless parameter), else `learned` (a table
    of NaN or inf is `learned` here, and refused when loaded)."""
    difference = _sincos_difference(stored, expected, name)
    position_type = "sincos" if difference <= _POSITION_TOLERANCE else "learned"
    logger.info(
        f"{name}: converted as position_embedding_type={position_type!r} (largest difference from the sin-cos "
        f"table {difference:.3g}, tolerance {_POSITION_TOLERANCE})."
    )
    return position_type


def split_qkv(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`state` with every fused `qkv_proj` split into the `q_proj`, `k_proj` and `v_proj` of transformers' ViTs."""
    split = {}
    for key, tensor in state.items():
        if ".attention.qkv_proj." in key:
            split.update(
                {key.replace(".qkv_proj.", f".{name}_proj."): part for name, part in zip("qkv", tensor.chunk(3))}
            )
        else:
            split[key] = tensor
    return split


def fuse_qkv(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`state` with the `q_proj`, `k_proj` and `v_proj` of each attention concatenated into our `qkv_proj`."""
    fused = {}
    for key, tensor in state.items():
        if not re.search(r"\.attention\.[qkv]_proj\.", key):
            fused[key] = tensor
        elif ".q_proj." in key:
            parts = [state[key.replace(".q_proj.", f".{name}_proj.")] for name in "qkv"]
            fused[key.replace(".q_proj.", ".qkv_proj.")] = torch.cat(parts)
    return fused


def _check_finite(state: Mapping[str, torch.Tensor], name: str) -> None:
    """Refuses weights with NaN or inf values (a run that diverged), naming the first such tensor."""
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError(
                f"The {name} tensor {key} holds non-finite values (NaN or inf); these weights come from a run that "
                "diverged and cannot be converted."
            )


def _load_part(module: torch.nn.Module, state: dict[str, torch.Tensor], name: str) -> None:
    """Loads `state` into `module`: every tensor finite, none missing, none left over."""
    _check_finite(state, name)
    result = module.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f"The {name} weights do not fit: missing {result.missing_keys}, unexpected {result.unexpected_keys}."
        )


# ----------------------------------------------------------------------------------------------------------------
# transformers IJepaModel
# ----------------------------------------------------------------------------------------------------------------


def jepa_to_ijepa(encoder: JEPAModel) -> IJepaModel:
    """The encoder as a transformers `IJepaModel` with the same weights (a sin-cos table becomes a parameter)."""
    config = encoder.config
    if config.is_video or config.position_embedding_type not in ("sincos", "learned"):
        raise ValueError(
            "IJepaModel holds image encoders with sin-cos or learned position embeddings; this model has "
            f"num_frames={config.num_frames}, position_embedding_type={config.position_embedding_type!r}. "
            "Export video models with target_format 'vjepa2'."
        )
    ijepa_config = IJepaConfig(intermediate_size=config.intermediate_size, **_export_fields(config, _IJEPA_FIELDS))
    ijepa = IJepaModel(ijepa_config).to(encoder.dtype).eval()
    state = split_qkv(encoder.state_dict())
    state["embeddings.position_embeddings"] = encoder.embeddings.position_embeddings
    _load_part(ijepa, state, "IJepaModel")
    return ijepa


def ijepa_to_jepa(ijepa: IJepaModel, **config_overrides) -> JEPAForPreTraining:
    """A `JEPAForPreTraining` whose context and target encoders start from `ijepa`, with a new predictor.

    The position table decides `position_embedding_type`: `sincos` when it is the sin-cos table hf_jepa computes (the
    released models), else `learned` (the table is kept as a parameter). `config_overrides` set what the IJepa
    checkpoint does not fix: the predictor's shape, the objective, masking.
    """
    source = ijepa.config
    derived, defaults = _import_fields(source, _IJEPA_FIELDS)
    for name in ("image_size", "patch_size"):
        if not isinstance(derived[name], int):
            raise ValueError(f"hf_jepa needs a square IJepaModel; its config has {name}={derived[name]!r}.")
    derived.update(mlp_ratio=_mlp_ratio(source.intermediate_size, source.hidden_size), num_frames=1)
    defaults["loss_type"] = _PAPER_LOSS["ijepa"]
    state = fuse_qkv(ijepa.state_dict())
    side = source.image_size // source.patch_size
    sincos = sincos_position_embeddings(source.hidden_size, (1, side, side))
    name = "IJepaModel embeddings.position_embeddings"
    derived["position_embedding_type"] = _encoder_position_type(state["embeddings.position_embeddings"], sincos, name)
    model = JEPAForPreTraining(_build_config(derived, defaults, config_overrides))
    if derived["position_embedding_type"] == "sincos":
        del state["embeddings.position_embeddings"]
    _load_part(model.context_encoder, state, "IJepaModel encoder")
    _load_part(model.target_encoder, state, "IJepaModel encoder")
    return model


# ----------------------------------------------------------------------------------------------------------------
# transformers VJEPA2Model
# ----------------------------------------------------------------------------------------------------------------


def _vjepa2_names(model: JEPAForPreTraining) -> dict[str, str]:
    """Our target encoder and predictor tensor names -> VJEPA2Model's."""
    names = [key for key in split_qkv(model.state_dict()) if key.startswith(("target_encoder.", "predictor."))]
    return {key: _rename(key, _VJEPA2_RENAMES) for key in names}


# V-JEPA 2.1 options that transformers' VJEPA2Model (5.25) has no place for, with their values in a V-JEPA 2 model.
_VJEPA2_1_OPTIONS = {
    "rope_interleaved": False,  # VJEPA2Model's rotary embeddings have V-JEPA 2's layout only
    "rope_grid_size": None,
    "level_layers": None,
    "image_patch_embeddings": False,
    "modality_embeddings": False,
    "pred_num_levels": 1,
    "pred_predict_context": False,
    "pred_output_size": None,
}


def jepa_to_vjepa2(model: JEPAForPreTraining) -> VJEPA2Model:
    """The target encoder and the predictor as a transformers `VJEPA2Model` with the same weights."""
    config = model.config
    if not config.is_video or config.position_embedding_type != "rope":
        raise ValueError(
            "VJEPA2Model holds video models with rotary position embeddings; this model has "
            f"num_frames={config.num_frames}, position_embedding_type={config.position_embedding_type!r}."
        )
    unsupported = {
        name: getattr(config, name) for name, plain in _VJEPA2_1_OPTIONS.items() if getattr(config, name) != plain
    }
    if unsupported or config.prediction_size != config.hidden_size:
        raise ValueError(
            f"VJEPA2Model cannot hold V-JEPA 2.1 options ({unsupported}): "
            "the installed transformers has V-JEPA 2's rotary layout and one output level only. Keep this model as "
            "hf_jepa (it loads with AutoModel and trust_remote_code) or write it as official_vjepa2_1."
        )
    vjepa2_config = VJEPA2Config(**_export_fields(config, _VJEPA2_FIELDS))
    vjepa2 = VJEPA2Model(vjepa2_config).to(model.dtype).eval()
    ours = split_qkv(model.state_dict())
    state = {theirs: ours[key] for key, theirs in _vjepa2_names(model).items()}
    # ours: [num_tokens, 1, width]; VJEPA2: [num_tokens, 1, 1, width]
    state["predictor.embeddings.mask_tokens"] = state["predictor.embeddings.mask_tokens"].unsqueeze(1)
    _load_part(vjepa2, state, "VJEPA2Model")
    return vjepa2


def vjepa2_to_jepa(vjepa2: VJEPA2Model, **config_overrides) -> JEPAForPreTraining:
    """A `JEPAForPreTraining` whose encoders start from `vjepa2`'s encoder and whose predictor is `vjepa2`'s."""
    derived, defaults = _import_fields(vjepa2.config, _VJEPA2_FIELDS)
    derived["position_embedding_type"] = "rope"
    defaults["loss_type"] = _PAPER_LOSS["vjepa2"]
    model = JEPAForPreTraining(_build_config(derived, defaults, config_overrides))
    theirs = vjepa2.state_dict()
    state = fuse_qkv({key: theirs[name] for key, name in _vjepa2_names(model).items()})
    state["predictor.mask_token"] = state["predictor.mask_token"].squeeze(1)
    for part, module in (("target_encoder.", model.context_encoder), ("target_encoder.", model.target_encoder)):
        encoder = {key.removeprefix(part): tensor for key, tensor in state.items() if key.startswith(part)}
        _load_part(module, encoder, "VJEPA2Model encoder")
    predictor = {
        key.removeprefix("predictor."): tensor for key, tensor in state.items() if key.startswith("predictor.")
    }
    _load_part(model.predictor, predictor, "VJEPA2Model predictor")
    return model


# ----------------------------------------------------------------------------------------------------------------
# Official I-JEPA / V-JEPA / V-JEPA 2 checkpoints
# ----------------------------------------------------------------------------------------------------------------


def load_official_checkpoint(path: str | Path) -> dict:
    """Reads an official `.pth.tar` / `.pt` checkpoint with `weights_only=True` (no arbitrary unpickling)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder; official checkpoints are single .pth.tar / .pt files.{_format_hint(path)}"
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
        _check_finite(state, entry)
        _require_keys(state, keys, entry)
    return parts


def _sincos_grid(table: torch.Tensor, video: bool, name: str) -> tuple[tuple[int, int, int], str]:
    """Finds the token grid and the sin-cos layout (`sincos` or V-JEPA's `sincos_uniform`) of a stored table."""
    num_tokens, width = table.shape[-2:]
    candidates = []
    for time in range(2, num_tokens + 1) if video else [1]:
        side = math.isqrt(num_tokens // time)
        if num_tokens % time == 0 and side * side * time == num_tokens:
            layouts = ("sincos", "sincos_uniform") if video else ("sincos",)
            candidates += [((time, side, side), layout) for layout in layouts]
    stored = table.detach().float().reshape(num_tokens, width)
    for grid, layout in candidates:
        expected = sincos_position_embeddings(width, grid, uniform=layout == "sincos_uniform")[0]
        # a width that does not split evenly over the axes gives a narrower table: not that layout
        if expected.shape == stored.shape and (stored - expected).abs().max().item() <= _POSITION_TOLERANCE:
            return grid, layout
    raise ValueError(
        f"{name} (shape {tuple(table.shape)}) is none of the sin-cos tables hf_jepa computes "
        f"(tried grids and layouts {candidates}); the checkpoint uses a position layout hf_jepa cannot load."
    )


def _official_encoder_shape(encoder: dict) -> dict:
    """The `JEPAConfig` settings an official encoder's weights fix: patch embedding, width, depth, MLP, qkv bias."""
    projection = encoder["patch_embed.proj.weight"]
    hidden_size = projection.shape[0]
    return dict(
        patch_size=projection.shape[-1],
        num_channels=projection.shape[1],
        hidden_size=hidden_size,
        num_hidden_layers=_count_blocks(encoder, "blocks"),
        mlp_ratio=_mlp_ratio(encoder["blocks.0.mlp.fc1.weight"].shape[0], hidden_size),
        qkv_bias="blocks.0.attn.qkv.bias" in encoder,
    )


def _official_predictor_shape(predictor: dict, pred_hidden_size: int) -> dict:
    """The `JEPAConfig` settings an official predictor of width `pred_hidden_size` fixes: depth, MLP, mask tokens."""
    num_mask_tokens = sum(1 for key in predictor if re.fullmatch(r"mask_tokens\.\d+", key))
    return dict(
        pred_hidden_size=pred_hidden_size,
        pred_num_hidden_layers=_count_blocks(predictor, "predictor_blocks"),
        pred_mlp_ratio=_mlp_ratio(predictor["predictor_blocks.0.mlp.fc1.weight"].shape[0], pred_hidden_size),
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
        return _build_config(derived, defaults, config_overrides), position_keys
    _require_keys(encoder, ("pos_embed",), "encoder")
    _require_keys(predictor, ("predictor_pos_embed",), "predictor")
    # the official predictors keep a fixed sin-cos table: it gives the grid and the layout; the encoder's table is
    # the same one, or a trained one (`learned`)
    grid, layout = _sincos_grid(predictor["predictor_pos_embed"], video, "predictor predictor_pos_embed")
    sincos = sincos_position_embeddings(hidden_size, grid, uniform=layout == "sincos_uniform")
    if _encoder_position_type(encoder["pos_embed"], sincos, "encoder pos_embed") == "learned":
        layout = "learned"
    time, height, _ = grid
    derived.update(image_size=height * derived["patch_size"], position_embedding_type=layout)
    derived["num_frames"] = time * derived["tubelet_size"] if video else 1
    return _build_config(derived, defaults, config_overrides), position_keys


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
    config = _build_config(derived, defaults, config_overrides)
    num_norms = _count_blocks(encoder, "norms_block")
    if len(config.level_layers) != num_norms:
        raise ValueError(
            f"The encoder has {num_norms} level norms (norms_block), but level_layers is {config.level_layers}."
        )
    return config


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
        names = mask_token_names if key == "mask_token" else [_rename(key, renames)]
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
    _load_part(module, state, part)


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
            _check_positions(table, module.position_embeddings, f"{part} {key}")


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


def official_state(module: torch.nn.Module, renames: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """An encoder / predictor state dict under the official names."""
    return {_rename(key, renames): tensor.detach().clone() for key, tensor in module.state_dict().items()}


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


# ----------------------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------------------


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


def _format_hint(source: str | Path, source_format: str | None = None) -> str:
    """` It looks like X; pass source_format='X'.` when `source` looks like a format other than `source_format`."""
    looks_like = detect_format(source)
    if looks_like in (None, source_format):
        return ""
    return f" It looks like {looks_like}; pass source_format={looks_like!r}."


def _check_source_format(source: str | Path, source_format: str) -> None:
    """Refuses a source that looks like another format than `source_format`, naming the one it looks like."""
    if Path(source).is_file():
        raise ValueError(f"{source} is a file; {source_format} checkpoints are folders.{_format_hint(source)}")
    hint = _format_hint(source, source_format)
    if hint:
        raise ValueError(f"{source} is not {source_format}: its config.json has another model_type.{hint}")


def _from_pretrained(model_class: type[PreTrainedModel], source: str | Path, source_format: str, **kwargs):
    """`model_class.from_pretrained(source)`, refused when it leaves weights of the model uninitialised, the source
    holds tensors the model does not use, or tensors of other shapes than its config gives."""
    model, info = model_class.from_pretrained(source, output_loading_info=True, ignore_mismatched_sizes=True, **kwargs)
    missing, unexpected = sorted(info["missing_keys"]), sorted(info["unexpected_keys"])
    if missing or unexpected:
        raise ValueError(
            f"{source} does not hold a {source_format} {model_class.__name__}: {len(missing)} of its "
            f"{len(model.state_dict())} weights are not in it {missing[:3]}, and {len(unexpected)} of its tensors "
            f"are unused {unexpected[:3]}."
        )
    if info["mismatched_keys"]:
        shapes = [
            f"{key} {tuple(stored)} (expected {tuple(expected)})" for key, stored, expected in info["mismatched_keys"]
        ]
        raise ValueError(
            f"{source} does not hold the {source_format} {model_class.__name__} its config.json describes: tensors of "
            f"other shapes {sorted(shapes)}."
        )
    return model


def load_hf_jepa_model(model_class: type[PreTrainedModel], source: str | Path, **kwargs) -> PreTrainedModel:
    """An hf_jepa `model_class` from a folder or Hub id, refused when its weights do not all fit the model or hold
    NaN / inf values, naming the tensors."""
    model = _from_pretrained(model_class, source, "hf_jepa", **kwargs)
    _check_finite(model.state_dict(), "hf_jepa")
    return model


def check_output_dir(source: str | Path, output_dir: Path, overwrite_output_dir: bool) -> None:
    """Refuses an `output_dir` that is, contains or lies inside the source (symlinks resolved), that is a file, or
    that holds a model already (unless `overwrite_output_dir`). A Hub id source has no local path."""
    if Path(source).exists():
        source_path, output_path = Path(source).resolve(), output_dir.resolve()
        if output_path == source_path:
            relation = "is"
        elif output_path.is_relative_to(source_path):
            relation = "lies inside"
        elif source_path.is_relative_to(output_path):
            relation = "contains"
        else:
            relation = None
        if relation:
            raise ValueError(
                f"output_dir {output_dir} {relation} the source {source}; converting into it would overwrite the "
                "source. Choose another output_dir."
            )
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"output_dir {output_dir} is a file, not a folder.")
    found = sorted({path.name for pattern in _MODEL_FILES for path in output_dir.glob(pattern)})
    if found and not overwrite_output_dir:
        raise ValueError(
            f"output_dir {output_dir} already holds a model ({', '.join(found)}); choose another output_dir, or set "
            "overwrite_output_dir to replace it."
        )


def load_pretraining_model(
    source: str | Path, source_format: str, target_encoder: str = "target_encoder", **config_overrides
) -> tuple[JEPAForPreTraining, bool]:
    """Reads any supported format as a `JEPAForPreTraining`; also says whether it came with trained predictor
    weights (False for transformers' IJepa, which has none, and for hf_jepa encoder-only checkpoints)."""
    if source_format not in FORMATS:
        raise ValueError(f"source_format must be one of {FORMATS}, got {source_format!r}.")
    if source_format in OFFICIAL_FORMATS:  # the checkpoint's format is checked once it is loaded
        return official_to_jepa(source, source_format, target_encoder, **config_overrides), True
    _check_source_format(source, source_format)
    if source_format == "ijepa":
        return ijepa_to_jepa(_from_pretrained(IJepaModel, source, source_format), **config_overrides), False
    if source_format == "vjepa2":
        return vjepa2_to_jepa(_from_pretrained(VJEPA2Model, source, source_format), **config_overrides), True
    config = JEPAConfig.from_pretrained(source, **config_overrides)
    if "JEPAForPreTraining" in (config.architectures or []):
        model = load_hf_jepa_model(JEPAForPreTraining, source, config=config)
        has_predictor = True
    else:  # an encoder-only checkpoint: pretraining continues from that encoder on both sides, with a new predictor
        encoder = _from_pretrained(JEPAModel, source, source_format, config=config)
        model = JEPAForPreTraining(encoder.config)
        _load_part(model.context_encoder, encoder.state_dict(), "hf_jepa encoder")
        _load_part(model.target_encoder, encoder.state_dict(), "hf_jepa encoder")
        has_predictor = False
    model.target_encoder.requires_grad_(False)
    return model, has_predictor


def _image_processor(model: JEPAForPreTraining, source: str | Path, source_format: str):
    """The source's own image processor when it has one, else the one hf_jepa ships with a model of this config."""
    if source_format in ("hf_jepa", "ijepa") and (Path(source) / "preprocessor_config.json").is_file():
        return AutoImageProcessor.from_pretrained(source)
    return build_processor(model.config)


def convert_checkpoint(
    source: str | Path,
    source_format: str,
    output_dir: str | Path,
    target_format: str = "hf_jepa",
    target_encoder: str = "target_encoder",
    config_overrides: dict | None = None,
    overwrite_output_dir: bool = False,
) -> Path:
    """Converts a checkpoint between formats and writes it to `output_dir` (created if needed).

    `hf_jepa` writes a `JEPAForPreTraining` to continue pretraining from; `ijepa` writes the target encoder as an
    `IJepaModel` with a `preprocessor_config.json`; `vjepa2` writes the target encoder and the predictor as a
    `VJEPA2Model` with a video processor. Both load with plain transformers (`AutoModel.from_pretrained`).
    `official_ijepa` writes the official I-JEPA code's checkpoint dict to `output_dir / "jepa-latest.pth.tar"`,
    `official_vjepa2_1` the official V-JEPA 2.1 code's to `output_dir / "latest.pth.tar"` (the target encoder under
    `ema_encoder` when that is the `target_encoder` entry read, else under `target_encoder`).

    Nothing is written when `output_dir` is, contains or lies inside the source, nor into a folder that holds a model
    already unless `overwrite_output_dir`. A source that looks like another format than `source_format`, or whose
    weights do not all fit the model (or are NaN / inf), is refused with a `ValueError`. The folder records what it
    was converted from (`conversion.json`, and a model card unless a `README.md` is there already).
    """
    if target_format not in TARGET_FORMATS:
        raise ValueError(
            f"target_format must be one of {TARGET_FORMATS} (the official formats are read, not written), "
            f"got {target_format!r}."
        )
    output_dir = Path(output_dir)
    check_output_dir(source, output_dir, overwrite_output_dir)
    model, has_predictor = load_pretraining_model(source, source_format, target_encoder, **(config_overrides or {}))
    output_dir.mkdir(parents=True, exist_ok=True)
    if target_format == "hf_jepa":
        model.save_pretrained(output_dir)
    elif target_format == "ijepa":
        jepa_to_ijepa(model.target_encoder).save_pretrained(output_dir)
        _image_processor(model, source, source_format).save_pretrained(output_dir)
    elif not has_predictor:
        raise ValueError(
            f"The {target_format} format includes a predictor, and this {source_format} source has no trained "
            "predictor weights."
        )
    elif target_format == "official_ijepa":
        torch.save(jepa_to_official_ijepa(model), output_dir / OFFICIAL_IJEPA_FILENAME)
    elif target_format == "official_vjepa2_1":
        entry = "ema_encoder" if target_encoder == "ema_encoder" else "target_encoder"
        torch.save(jepa_to_official_vjepa2_1(model, entry), output_dir / OFFICIAL_VJEPA2_1_FILENAME)
    else:
        jepa_to_vjepa2(model).save_pretrained(output_dir)
        VJEPA2VideoProcessor(crop_size=model.config.image_size).save_pretrained(output_dir)
    write_conversion_card(output_dir, source, source_format, target_format, overwrite=overwrite_output_dir)
    logger.info(f"Wrote the {source_format} checkpoint {source} as {target_format} to {output_dir}.")
    return output_dir


__all__ = [
    "ENCODER_CHOICES",
    "FORMATS",
    "OFFICIAL_BLOCK_RENAMES",
    "OFFICIAL_ENCODER_RENAMES",
    "OFFICIAL_FORMATS",
    "OFFICIAL_IJEPA_FILENAME",
    "OFFICIAL_VJEPA2_1_FILENAME",
    "TARGET_FORMATS",
    "check_config_overrides",
    "check_output_dir",
    "convert_checkpoint",
    "detect_format",
    "ijepa_to_jepa",
    "jepa_to_ijepa",
    "jepa_to_official_ijepa",
    "jepa_to_official_vjepa2_1",
    "jepa_to_vjepa2",
    "load_hf_jepa_model",
    "load_official_checkpoint",
    "load_official_state",
    "load_pretraining_model",
    "official_checkpoint",
    "official_state",
    "official_to_jepa",
    "official_vjepa2_config",
    "read_official_parts",
    "vjepa2_to_jepa",
    "warn_unrecorded_layer_norm_eps",
]
