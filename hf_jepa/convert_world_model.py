# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The official V-JEPA 2-AC checkpoints (facebookresearch/vjepa2, `app/vjepa_droid`) as a [`JEPAWorldModel`].

A V-JEPA 2-AC checkpoint holds a frozen V-JEPA 2 video encoder (`encoder`, and `target_encoder` in training
checkpoints: the same weights, since neither trains) and an action-conditioned predictor
(`VisionTransformerPredictorAC` under `predictor`), with `module.` / `backbone.` prefixes. The official code encodes
every frame on its own, repeated into a 2-frame tubelet, and layer-norms the latents; its predictor reads per frame
`[action, state, (extrinsics), patches]` with frame-causal attention and 3D rotary embeddings. Here that is a
`JEPAWorldModel` whose encoder is an image encoder (the tubelet kernel summed over time: the same function of a
repeated frame) and whose predictor is configured as V-JEPA 2-AC (`predictor_position_embedding_type="rope"`,
`predict_states=False`, `normalize_latents=True`, `rollout_history=1`).

The checkpoints record neither the attention heads nor the crop size; they default to the released model's (encoder
heads by width as for V-JEPA 2, 16 predictor heads, 256 px) and can be set with `config_overrides`, which also take
the other `JEPAWorldModelConfig` settings (`history_length`: the predictor's attention window, 8 frames as in the
official training clips). Nor do they record whether the predictor reads camera extrinsics: the official predictor
always builds its `extrinsics_encoder`, and reads it only with `use_extrinsics: true`. The released model does not, so
by default that encoder is dropped; `extrinsics_dim` (the encoder's input size, 6) in `config_overrides` keeps it
and makes the extrinsics a token of each frame, for a predictor trained with them.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from .configuration_jepa import JEPAConfig
from .configuration_world_model import JEPAWorldModelConfig
from .convert import (
    OFFICIAL_BLOCK_RENAMES,
    OFFICIAL_ENCODER_RENAMES,
    check_output_dir,
    load_official_state,
    official_vjepa2_config,
    read_official_parts,
)
from .hub.cards import record_conversion, write_world_model_card
from .modeling_world_model import JEPAWorldModel

logger = logging.getLogger(__name__)

OFFICIAL_VJEPA2_AC = "official_vjepa2_ac"
# The entries that hold the frozen encoder (the same weights in both).
ENCODER_ENTRIES = ("encoder", "target_encoder")
# Released V-JEPA 2-AC: 16 predictor heads (not recorded in the checkpoint).
_AC_PREDICTOR_HEADS = 16
# V-JEPA 2-AC's settings beside what the weights fix: patch latents, 3D RoPE, states as inputs only, layer-normed
# latents, L1 teacher forcing plus a 2-step rollout from the first frame, a frozen encoder, clips of 8 frames.
_AC_SETTINGS = dict(
    history_length=8,
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
# The predictor tensors the settings are read off, beside those the V-JEPA 2 conversion reads.
_AC_PREDICTOR_KEYS = ("predictor_embed.weight", "action_encoder.weight", "state_encoder.weight")
_EXTRINSICS_KEYS = ("extrinsics_encoder.weight", "extrinsics_encoder.bias")

# The JEPAConfig fields of an encoder that the official V-JEPA 2 conversion reads off the weights or defaults, and
# that config_overrides may set.
_ENCODER_FIELDS = (
    "image_size", "patch_size", "num_channels", "hidden_size", "num_hidden_layers", "num_attention_heads", "mlp_ratio",
    "qkv_bias", "hidden_act", "layer_norm_eps", "position_embedding_type",
)  # fmt: skip
# Our predictor's tensor names -> the official `VisionTransformerPredictorAC`'s.
_OFFICIAL_AC_PREDICTOR_RENAMES = [
    (r"^frame_embed\.", "predictor_embed."),
    (r"^action_embed\.", "action_encoder."),
    (r"^state_embed\.", "state_encoder."),
    (r"^extrinsics_embed\.", "extrinsics_encoder."),
    (r"^layers\.", "predictor_blocks."),
    (r"^layernorm\.", "predictor_norm."),
    (r"^proj\.", "predictor_proj."),
    *OFFICIAL_BLOCK_RENAMES,
]


def _split_overrides(config_overrides: dict) -> tuple[dict, dict]:
    """`config_overrides` as the encoder's settings and the world model's; unknown names are refused."""
    settings = set(JEPAWorldModelConfig.__annotations__) - {"encoder_config"}
    unknown = sorted(set(config_overrides) - settings - set(_ENCODER_FIELDS))
    if unknown:
        raise ValueError(
            f"config_overrides name unknown settings {unknown}: give the encoder's {list(_ENCODER_FIELDS)} or "
            f"JEPAWorldModelConfig's {sorted(settings)}."
        )
    encoder_overrides = {key: value for key, value in config_overrides.items() if key in _ENCODER_FIELDS}
    overrides = {key: value for key, value in config_overrides.items() if key not in _ENCODER_FIELDS}
    return encoder_overrides, overrides


def _predictor_heads(overrides: dict, width: int) -> int:
    heads = overrides.get("predictor_num_attention_heads", _AC_PREDICTOR_HEADS)
    if not isinstance(heads, int) or heads < 1 or width % heads:
        raise ValueError(
            f"predictor_num_attention_heads={heads!r} does not divide the predictor's width {width}; checkpoints do "
            "not record the heads: pass the right number in config_overrides."
        )
    return heads


def _fixed_settings(video: JEPAConfig, predictor: dict[str, torch.Tensor], overrides: dict) -> dict:
    """The world-model settings the weights fix: the sizes of the actions, the states and (where the model reads
    them) the extrinsics, and the predictor's shape; `overrides` may not contradict them."""
    fixed = dict(
        action_dim=predictor["action_encoder.weight"].shape[1],
        state_dim=predictor["state_encoder.weight"].shape[1],
        predictor_hidden_size=video.pred_hidden_size,
        predictor_num_hidden_layers=video.pred_num_hidden_layers,
        predictor_mlp_ratio=video.pred_mlp_ratio,
    )
    if overrides.get("extrinsics_dim") and "extrinsics_encoder.weight" in predictor:
        fixed["extrinsics_dim"] = predictor["extrinsics_encoder.weight"].shape[1]
    conflicts = [name for name, value in overrides.items() if name in fixed and fixed[name] != value]
    if conflicts:
        details = ", ".join(f"{name}={overrides[name]!r} (the weights have {fixed[name]!r})" for name in conflicts)
        raise ValueError(f"config_overrides contradict the checkpoint: {details}; drop them from config_overrides.")
    return fixed


def _world_model_config(
    encoder: dict[str, torch.Tensor], predictor: dict[str, torch.Tensor], config_overrides: dict
) -> JEPAWorldModelConfig:
    """The `JEPAWorldModelConfig` of an official V-JEPA 2-AC checkpoint: the encoder and the predictor's shape read
    as V-JEPA 2's, the encoder as an image encoder; the rest V-JEPA 2-AC's settings or `config_overrides`."""
    encoder_overrides, overrides = _split_overrides(config_overrides)
    heads = _predictor_heads(overrides, predictor["predictor_embed.weight"].shape[0])
    video = official_vjepa2_config(encoder, predictor, {"pred_num_attention_heads": heads, **encoder_overrides})
    encoder_config = JEPAConfig(**{name: getattr(video, name) for name in _ENCODER_FIELDS}, num_frames=1)
    fixed = _fixed_settings(video, predictor, overrides)
    defaults = dict(_AC_SETTINGS, predictor_num_attention_heads=heads)
    return JEPAWorldModelConfig(encoder_config=encoder_config, **{**defaults, **overrides, **fixed})


def _image_encoder_state(encoder: dict[str, torch.Tensor], part: str) -> dict[str, torch.Tensor]:
    """An official video encoder's state dict for an image encoder that sees each frame as the official code does,
    repeated into a tubelet: the tubelet kernel summed over time. The rotary encoder's stored `pos_embed`, if any, is
    dropped."""
    state = dict(encoder)
    if state.pop("pos_embed", None) is not None:
        logger.info(f"Dropped {part} pos_embed: V-JEPA 2 positions are rotary, computed inside attention.")
    state["patch_embed.proj.weight"] = state["patch_embed.proj.weight"].sum(dim=2)
    return state


def official_ac_to_world_model(
    checkpoint: str | Path | Mapping, encoder_entry: str = "encoder", **config_overrides
) -> JEPAWorldModel:
    """A `JEPAWorldModel` holding an official V-JEPA 2-AC checkpoint's frozen encoder and its predictor.

    Args:
        checkpoint: the `.pt` file, or its loaded dict.
        encoder_entry: the checkpoint entry that becomes the frozen encoder: `encoder` (default; the one torch hub
            loads from the released file) or `target_encoder` (the same weights in training checkpoints).
        config_overrides: encoder settings the weights do not fix (`num_attention_heads`, `image_size`) and
            `JEPAWorldModelConfig` settings (`predictor_num_attention_heads`, `history_length`, `extrinsics_dim` for
            a predictor trained with extrinsics, ...).
    """
    if encoder_entry not in ENCODER_ENTRIES:
        raise ValueError(f"encoder_entry must be one of {ENCODER_ENTRIES}, got {encoder_entry!r}.")
    encoder, predictor = read_official_parts(checkpoint, {encoder_entry: (), "predictor": _AC_PREDICTOR_KEYS})
    config = _world_model_config(encoder, predictor, config_overrides)
    model = JEPAWorldModel(config)
    load_official_state(
        model.encoder, _image_encoder_state(encoder, encoder_entry), OFFICIAL_ENCODER_RENAMES, encoder_entry
    )
    if not config.extrinsics_dim and all(key in predictor for key in _EXTRINSICS_KEYS):
        logger.info(
            "Dropped predictor extrinsics_encoder: the model reads no extrinsics (extrinsics_dim=0, as the released "
            "V-JEPA 2-AC, trained with use_extrinsics false); set extrinsics_dim for a predictor trained with them."
        )
        predictor = {key: tensor for key, tensor in predictor.items() if key not in _EXTRINSICS_KEYS}
    load_official_state(model.predictor, predictor, _OFFICIAL_AC_PREDICTOR_RENAMES, "predictor")
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
    check_output_dir(source, output_dir, overwrite_output_dir)
    model = official_ac_to_world_model(source, encoder_entry, **(config_overrides or {}))
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    record_conversion(output_dir, source, OFFICIAL_VJEPA2_AC, "hf_jepa")
    write_world_model_card(output_dir)
    logger.info(f"Wrote the {OFFICIAL_VJEPA2_AC} checkpoint {source} as a JEPAWorldModel to {output_dir}.")
    return output_dir


__all__ = [
    "ENCODER_ENTRIES",
    "OFFICIAL_VJEPA2_AC",
    "convert_ac_checkpoint",
    "official_ac_to_world_model",
]
