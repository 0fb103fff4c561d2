# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The official V-JEPA 2-AC checkpoints (facebookresearch/vjepa2, `app/vjepa_droid`) as a [`JEPAWorldModel`].

A V-JEPA 2-AC checkpoint holds a frozen V-JEPA 2 video encoder (`encoder`, and `target_encoder` in training
checkpoints: the same weights, since neither trains) and an action-conditioned predictor
(`VisionTransformerPredictorAC` under `predictor`), with `module.` / `backbone.` prefixes. The official code encodes
every frame on its own, repeated into a 2-frame tubelet, and layer-norms the latents; its predictor reads per frame
`[action, state, patches]` with frame-causal attention and 3D rotary embeddings. Here that is a `JEPAWorldModel`
whose encoder is an image encoder (the tubelet kernel summed over time: the same function of a repeated frame) and
whose predictor is configured as V-JEPA 2-AC (`predictor_position_embedding_type="rope"`, `predict_states=False`,
`normalize_latents=True`, `rollout_history=1`).

The checkpoints record neither the attention heads nor the crop size; they default to the released model's (encoder
heads by width as for V-JEPA 2, 16 predictor heads, 256 px) and can be set with `config_overrides`, which also take
the other `JEPAWorldModelConfig` settings (`history_length`: the predictor's attention window, 8 frames as in the
official training clips). The predictor's `extrinsics_encoder` is dropped: the official predictor always builds it,
and the released model does not use it (`use_extrinsics: false`).
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from .configuration_jepa import JEPAConfig
from .configuration_world_model import JEPAWorldModelConfig
from .convert import (
    _OFFICIAL_BLOCK_RENAMES,
    _OFFICIAL_ENCODER_RENAMES,
    ENCODER_CHOICES,
    _check_finite,
    _check_output_dir,
    _count_blocks,
    _mlp_ratio,
    _official_config,
    _official_format,
    _official_part,
    _require_keys,
    _strip_prefixes,
    load_official_checkpoint,
)
from .hub.cards import record_conversion, write_world_model_card
from .modeling_world_model import JEPAWorldModel

logger = logging.getLogger(__name__)

OFFICIAL_VJEPA2_AC = "official_vjepa2_ac"
# Released V-JEPA 2-AC: 16 predictor heads (not recorded in the checkpoint), trained on clips of 8 frames.
_AC_PREDICTOR_HEADS = 16
_AC_HISTORY_LENGTH = 8
# The official predictor always has an extrinsics encoder; only `use_extrinsics: true` reads it.
_EXTRINSICS_KEYS = ("extrinsics_encoder.weight", "extrinsics_encoder.bias")

# The JEPAConfig fields of an encoder: what the official V-JEPA 2 conversion reads off the weights or defaults.
_ENCODER_FIELDS = (
    "image_size", "patch_size", "num_channels", "hidden_size", "num_hidden_layers", "num_attention_heads", "mlp_ratio",
    "qkv_bias", "hidden_act", "layer_norm_eps", "position_embedding_type",
)  # fmt: skip
# Our predictor's tensor names -> the official `VisionTransformerPredictorAC`'s.
_OFFICIAL_AC_PREDICTOR_RENAMES = [
    (r"^frame_embed\.", "predictor_embed."),
    (r"^action_embed\.", "action_encoder."),
    (r"^state_embed\.", "state_encoder."),
    (r"^layers\.", "predictor_blocks."),
    (r"^layernorm\.", "predictor_norm."),
    (r"^proj\.", "predictor_proj."),
    *_OFFICIAL_BLOCK_RENAMES,
]


def _image_encoder_state(encoder: dict[str, torch.Tensor], part: str) -> dict[str, torch.Tensor]:
    """An official video encoder's state dict for an image encoder that sees each frame as the official code does,
    repeated into a tubelet: the tubelet kernel summed over time. The rotary encoder's stored `pos_embed`, if any, is
    dropped."""
    state = dict(encoder)
    if state.pop("pos_embed", None) is not None:
        logger.info(f"Dropped {part} pos_embed: V-JEPA 2 positions are rotary, computed inside attention.")
    state["patch_embed.proj.weight"] = state["patch_embed.proj.weight"].sum(dim=2)
    return state


def _world_model_config(
    encoder: dict[str, torch.Tensor], predictor: dict[str, torch.Tensor], config_overrides: dict
) -> JEPAWorldModelConfig:
    """The `JEPAWorldModelConfig` of an official V-JEPA 2-AC checkpoint: the encoder read as V-JEPA 2's, the
    predictor's shape read off its weights, the rest V-JEPA 2-AC's settings or `config_overrides`."""
    keys = (
        "predictor_embed.weight",
        "predictor_blocks.0.mlp.fc1.weight",
        "action_encoder.weight",
        "state_encoder.weight",
    )
    _require_keys(predictor, keys, "predictor")
    settings = set(JEPAWorldModelConfig.__annotations__) - {"encoder_config"}
    unknown = sorted(set(config_overrides) - settings - set(_ENCODER_FIELDS))
    if unknown:
        raise ValueError(
            f"config_overrides name unknown settings {unknown}: give the encoder's {list(_ENCODER_FIELDS)} or "
            f"JEPAWorldModelConfig's {sorted(settings)}."
        )
    encoder_overrides = {key: value for key, value in config_overrides.items() if key in _ENCODER_FIELDS}
    overrides = {key: value for key, value in config_overrides.items() if key not in _ENCODER_FIELDS}
    heads = overrides.get("predictor_num_attention_heads", _AC_PREDICTOR_HEADS)
    width = predictor["predictor_embed.weight"].shape[0]
    if not isinstance(heads, int) or heads < 1 or width % heads:
        raise ValueError(
            f"predictor_num_attention_heads={heads!r} does not divide the predictor's width {width}; checkpoints do "
            "not record the heads: pass the right number in config_overrides."
        )
    # V-JEPA 2's encoder settings, read by hf_jepa's official V-JEPA 2 conversion; its predictor fields are unused
    video = _official_config(
        "official_vjepa2", encoder, predictor, {"pred_num_attention_heads": heads, **encoder_overrides}
    )[0]
    encoder_config = JEPAConfig(**{name: getattr(video, name) for name in _ENCODER_FIELDS}, num_frames=1)
    derived = dict(
        action_dim=predictor["action_encoder.weight"].shape[1],
        state_dim=predictor["state_encoder.weight"].shape[1],
        predictor_hidden_size=width,
        predictor_num_hidden_layers=_count_blocks(predictor, "predictor_blocks"),
        predictor_mlp_ratio=_mlp_ratio(predictor["predictor_blocks.0.mlp.fc1.weight"].shape[0], width),
    )
    conflicts = [name for name, value in overrides.items() if name in derived and derived[name] != value]
    if conflicts:
        details = ", ".join(f"{name}={overrides[name]!r} (the weights have {derived[name]!r})" for name in conflicts)
        raise ValueError(f"config_overrides contradict the checkpoint: {details}; drop them from config_overrides.")
    defaults = dict(
        history_length=_AC_HISTORY_LENGTH,
        predictor_num_attention_heads=heads,
        embedding_type="patch",
        predictor_position_embedding_type="rope",
        predict_states=False,
        normalize_latents=True,
        loss_type="l1",
        rollout_steps=2,
        rollout_history=1,
        freeze_encoder=True,
        sigreg_weight=0.0,
        sigreg_projector_size=0,
        project_latents=False,
    )
    return JEPAWorldModelConfig(encoder_config=encoder_config, **{**defaults, **overrides, **derived})


def official_ac_to_world_model(
    checkpoint: str | Path | Mapping, encoder_entry: str = "encoder", **config_overrides
) -> JEPAWorldModel:
    """A `JEPAWorldModel` holding an official V-JEPA 2-AC checkpoint's frozen encoder and its predictor.

    Args:
        checkpoint: the `.pt` file, or its loaded dict.
        encoder_entry: the checkpoint entry that becomes the frozen encoder: `encoder` (default; the one torch hub
            loads from the released file) or `target_encoder` (the same weights in training checkpoints).
        config_overrides: encoder settings the weights do not fix (`num_attention_heads`, `image_size`) and
            `JEPAWorldModelConfig` settings (`predictor_num_attention_heads`, `history_length`, ...).
    """
    if encoder_entry not in ENCODER_CHOICES:
        raise ValueError(f"encoder_entry must be one of {ENCODER_CHOICES}, got {encoder_entry!r}.")
    if not isinstance(checkpoint, Mapping):
        checkpoint = load_official_checkpoint(checkpoint)
    absent = [entry for entry in (encoder_entry, "predictor") if entry not in checkpoint]
    if absent:
        raise ValueError(f"The checkpoint lacks the entries {absent}; it has {sorted(checkpoint)}.")
    looks_like = _official_format({"encoder": checkpoint[encoder_entry]})
    if looks_like not in (None, "official_vjepa2"):
        raise ValueError(
            f"The checkpoint's {encoder_entry!r} looks like {looks_like}; V-JEPA 2-AC checkpoints hold a V-JEPA 2 "
            "encoder (a 3D patch embedding, rotary positions)."
        )
    encoder = _strip_prefixes(checkpoint[encoder_entry], encoder_entry)
    predictor = _strip_prefixes(checkpoint["predictor"], "predictor")
    _check_finite(encoder, encoder_entry)
    _check_finite(predictor, "predictor")
    config = _world_model_config(encoder, predictor, config_overrides)
    model = JEPAWorldModel(config)
    _official_part(
        model.encoder, _image_encoder_state(encoder, encoder_entry), _OFFICIAL_ENCODER_RENAMES, encoder_entry
    )
    if all(key in predictor for key in _EXTRINSICS_KEYS):
        logger.info("Dropped predictor extrinsics_encoder: the released V-JEPA 2-AC does not read extrinsics.")
        predictor = {key: tensor for key, tensor in predictor.items() if key not in _EXTRINSICS_KEYS}
    _official_part(model.predictor, predictor, _OFFICIAL_AC_PREDICTOR_RENAMES, "predictor")
    return model.eval()


def convert_ac_checkpoint(
    source: str | Path,
    output_dir: str | Path,
    encoder_entry: str = "encoder",
    config_overrides: dict | None = None,
    overwrite_output_dir: bool = False,
) -> Path:
    """Converts an official V-JEPA 2-AC checkpoint file into a `JEPAWorldModel` folder at `output_dir` (to plan
    with, or to fine-tune on one's own episodes), with a model card that says what it was converted from."""
    output_dir = Path(output_dir)
    _check_output_dir(source, output_dir, overwrite_output_dir)
    model = official_ac_to_world_model(source, encoder_entry, **(config_overrides or {}))
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    record_conversion(output_dir, source, OFFICIAL_VJEPA2_AC, "hf_jepa")
    write_world_model_card(output_dir)
    logger.info(f"Wrote the {OFFICIAL_VJEPA2_AC} checkpoint {source} as a JEPAWorldModel to {output_dir}.")
    return output_dir


__all__ = ["OFFICIAL_VJEPA2_AC", "convert_ac_checkpoint", "official_ac_to_world_model"]
