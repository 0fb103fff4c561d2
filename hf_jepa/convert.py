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

This module holds the transformers formats and `convert_checkpoint`, which reads any format and writes any target;
the official checkpoints' layout, and their reading and writing, are in `official_checkpoints`, and what every
conversion shares (strict loading, configs read off the weights, position tables) in `convert_common`.
"""

import logging
import re
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
from .convert_common import build_config, check_finite, encoder_position_type, exact_mlp_ratio, load_part, rename_key
from .data import build_processor
from .hub.cards import write_conversion_card
from .modeling_jepa import JEPAForPreTraining, JEPAModel, sincos_position_embeddings
from .official_checkpoints import (
    ENCODER_CHOICES,
    OFFICIAL_FORMATS,
    format_hint,
    jepa_to_official_ijepa,
    jepa_to_official_vjepa2_1,
    official_to_jepa,
)

logger = logging.getLogger(__name__)

FORMATS = ("hf_jepa", "ijepa", "vjepa2", "official_ijepa", "official_vjepa", "official_vjepa2", "official_vjepa2_1")
TARGET_FORMATS = ("hf_jepa", "ijepa", "vjepa2", "official_ijepa", "official_vjepa2_1")
# The name the official I-JEPA training loop gives its latest checkpoint.
OFFICIAL_IJEPA_FILENAME = "jepa-latest.pth.tar"
# The name the official V-JEPA 2.1 training loop gives its latest checkpoint.
OFFICIAL_VJEPA2_1_FILENAME = "latest.pth.tar"
# The files that show a folder holds a model (conversion does not replace one unless asked to).
_MODEL_FILES = ("config.json", "*.safetensors", "*.bin", "*.pt", "*.pth", "*.pth.tar")

# The objective of each paper, the default for continued pretraining of its weights.
_PAPER_LOSS = {"ijepa": "smooth_l1", "vjepa2": "l1"}

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
    load_part(ijepa, state, "IJepaModel")
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
    derived.update(mlp_ratio=exact_mlp_ratio(source.intermediate_size, source.hidden_size), num_frames=1)
    defaults["loss_type"] = _PAPER_LOSS["ijepa"]
    state = fuse_qkv(ijepa.state_dict())
    side = source.image_size // source.patch_size
    sincos = sincos_position_embeddings(source.hidden_size, (1, side, side))
    name = "IJepaModel embeddings.position_embeddings"
    derived["position_embedding_type"] = encoder_position_type(state["embeddings.position_embeddings"], sincos, name)
    model = JEPAForPreTraining(build_config(derived, defaults, config_overrides))
    if derived["position_embedding_type"] == "sincos":
        del state["embeddings.position_embeddings"]
    load_part(model.context_encoder, state, "IJepaModel encoder")
    load_part(model.target_encoder, state, "IJepaModel encoder")
    return model


# ----------------------------------------------------------------------------------------------------------------
# transformers VJEPA2Model
# ----------------------------------------------------------------------------------------------------------------


def _vjepa2_names(model: JEPAForPreTraining) -> dict[str, str]:
    """Our target encoder and predictor tensor names -> VJEPA2Model's."""
    names = [key for key in split_qkv(model.state_dict()) if key.startswith(("target_encoder.", "predictor."))]
    return {key: rename_key(key, _VJEPA2_RENAMES) for key in names}


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
    load_part(vjepa2, state, "VJEPA2Model")
    return vjepa2


def vjepa2_to_jepa(vjepa2: VJEPA2Model, **config_overrides) -> JEPAForPreTraining:
    """A `JEPAForPreTraining` whose encoders start from `vjepa2`'s encoder and whose predictor is `vjepa2`'s."""
    derived, defaults = _import_fields(vjepa2.config, _VJEPA2_FIELDS)
    derived["position_embedding_type"] = "rope"
    defaults["loss_type"] = _PAPER_LOSS["vjepa2"]
    model = JEPAForPreTraining(build_config(derived, defaults, config_overrides))
    theirs = vjepa2.state_dict()
    state = fuse_qkv({key: theirs[name] for key, name in _vjepa2_names(model).items()})
    state["predictor.mask_token"] = state["predictor.mask_token"].squeeze(1)
    for part, module in (("target_encoder.", model.context_encoder), ("target_encoder.", model.target_encoder)):
        encoder = {key.removeprefix(part): tensor for key, tensor in state.items() if key.startswith(part)}
        load_part(module, encoder, "VJEPA2Model encoder")
    predictor = {
        key.removeprefix("predictor."): tensor for key, tensor in state.items() if key.startswith("predictor.")
    }
    load_part(model.predictor, predictor, "VJEPA2Model predictor")
    return model


# ----------------------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------------------


def _check_source_format(source: str | Path, source_format: str) -> None:
    """Refuses a source that looks like another format than `source_format`, naming the one it looks like."""
    if Path(source).is_file():
        raise ValueError(f"{source} is a file; {source_format} checkpoints are folders.{format_hint(source)}")
    hint = format_hint(source, source_format)
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
    check_finite(model.state_dict(), "hf_jepa")
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
        load_part(model.context_encoder, encoder.state_dict(), "hf_jepa encoder")
        load_part(model.target_encoder, encoder.state_dict(), "hf_jepa encoder")
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
    "OFFICIAL_IJEPA_FILENAME",
    "OFFICIAL_VJEPA2_1_FILENAME",
    "TARGET_FORMATS",
    "check_output_dir",
    "convert_checkpoint",
    "ijepa_to_jepa",
    "jepa_to_ijepa",
    "jepa_to_vjepa2",
    "load_hf_jepa_model",
    "load_pretraining_model",
    "vjepa2_to_jepa",
]
