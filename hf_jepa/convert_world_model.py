# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The official V-JEPA 2-AC checkpoints (facebookresearch/vjepa2, `app/vjepa_droid`) as a [`JEPAWorldModel`], and back.

A V-JEPA 2-AC checkpoint holds a frozen V-JEPA 2 video encoder (`encoder`, and `target_encoder` in training
checkpoints: the same weights, since neither trains) and an action-conditioned predictor
(`VisionTransformerPredictorAC` under `predictor`), with `module.` / `backbone.` prefixes. The official code encodes
every frame on its own, repeated into a 2-frame tubelet, and layer-norms the latents; its predictor reads per frame
`[action, state, (extrinsics), patches]` with frame-causal attention and 3D rotary embeddings. Here that is a
`JEPAWorldModel` whose encoder is the official one as it is, a video encoder of one 2-frame tubelet (its `encode`
repeats every frame into the tubelet, as the official code does), and whose predictor is configured as V-JEPA 2-AC
(`predictor_position_embedding_type="rope"`, `predict_states=False`, `normalize_latents=True`, `rollout_history=1`).

The checkpoints record neither the attention heads nor the crop size; they default to the released model's (encoder
heads by width as for V-JEPA 2, 16 predictor heads, 256 px) and can be set with `config_overrides`, which also take
the other `JEPAWorldModelConfig` settings (`history_length`: the predictor's attention window, 8 frames as in the
official training clips). Nor do they record whether the predictor reads camera extrinsics: the official predictor
always builds its `extrinsics_encoder`, and reads it only with `use_extrinsics: true`. The released model does not, so
by default that encoder is dropped; `extrinsics_dim` (the encoder's input size, 6) in `config_overrides` keeps it
and makes the extrinsics a token of each frame, for a predictor trained with them.

`world_model_to_official_ac` writes such a model back in the official layout (`hf-jepa convert --source_format
hf_jepa --target_format official_vjepa2_ac`), e.g. after fine-tuning it on one's own episodes: every tensor of the
checkpoint it was converted from, exactly, but for one that the import does not keep: a predictor that reads no
extrinsics gets a zero `extrinsics_encoder`, which the official code then never reads. Models converted before the
import kept the official encoder hold an image encoder with the tubelet kernel summed over time (the same function of
a repeated frame); they load and compute as before, and export that kernel divided evenly over the tubelet.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from .configuration_jepa import JEPAConfig
from .configuration_world_model import JEPAWorldModelConfig
from .convert import check_output_dir, load_hf_jepa_model
from .convert_common import check_config_overrides
from .hub.cards import record_conversion, write_conversion_card, write_world_model_card
from .modeling_jepa import JEPAModel
from .modeling_world_model import JEPAWorldModel
from .official_checkpoints import (
    OFFICIAL_BLOCK_RENAMES,
    OFFICIAL_ENCODER_RENAMES,
    load_official_state,
    official_checkpoint,
    official_state,
    official_vjepa2_config,
    read_official_parts,
    warn_unrecorded_layer_norm_eps,
)

logger = logging.getLogger(__name__)

OFFICIAL_VJEPA2_AC = "official_vjepa2_ac"
# The name the official V-JEPA 2-AC training loop gives its latest checkpoint.
OFFICIAL_VJEPA2_AC_FILENAME = "latest.pt"
# The entries that hold the frozen encoder (the same weights in both).
ENCODER_ENTRIES = ("encoder", "target_encoder")
# The official V-JEPA 2-AC code encodes every frame repeated twice, into one tubelet of its encoder's 2 frames.
_AC_TUBELET_SIZE = 2
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
# A V-JEPA 2 encoder's values of the JEPAConfig settings that other models change (V-JEPA 2.1's among them).
_VJEPA2_ENCODER = {
    "position_embedding_type": "rope",
    "rope_interleaved": False,
    "rope_grid_size": None,
    "level_layers": None,
    "image_patch_embeddings": False,
    "modality_embeddings": False,
}
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


# ----------------------------------------------------------------------------------------------------------------
# Official -> JEPAWorldModel
# ----------------------------------------------------------------------------------------------------------------


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
    check_config_overrides(fixed, overrides)
    return fixed


def _world_model_config(
    encoder: dict[str, torch.Tensor], predictor: dict[str, torch.Tensor], config_overrides: dict
) -> JEPAWorldModelConfig:
    """The `JEPAWorldModelConfig` of an official V-JEPA 2-AC checkpoint: the encoder and the predictor's shape read
    as V-JEPA 2's, the encoder as a video encoder of one 2-frame tubelet; the rest V-JEPA 2-AC's settings or
    `config_overrides`."""
    encoder_overrides, overrides = _split_overrides(config_overrides)
    heads = _predictor_heads(overrides, predictor["predictor_embed.weight"].shape[0])
    video = official_vjepa2_config(encoder, predictor, {"pred_num_attention_heads": heads, **encoder_overrides})
    if video.tubelet_size != _AC_TUBELET_SIZE:
        raise ValueError(
            f"The official V-JEPA 2-AC code encodes every frame repeated into {_AC_TUBELET_SIZE} frames, one tubelet "
            f"of its encoder; this encoder's patch_embed.proj.weight has tubelets of {video.tubelet_size} frames."
        )
    one_tubelet = dict(num_frames=_AC_TUBELET_SIZE, tubelet_size=_AC_TUBELET_SIZE)
    encoder_config = JEPAConfig(**{name: getattr(video, name) for name in _ENCODER_FIELDS}, **one_tubelet)
    fixed = _fixed_settings(video, predictor, overrides)
    defaults = dict(_AC_SETTINGS, predictor_num_attention_heads=heads)
    return JEPAWorldModelConfig(encoder_config=encoder_config, **{**defaults, **overrides, **fixed})


def _without_position_table(encoder: dict[str, torch.Tensor], part: str) -> dict[str, torch.Tensor]:
    """An official encoder's state dict without the rotary encoder's stored `pos_embed`, if any."""
    state = dict(encoder)
    if state.pop("pos_embed", None) is not None:
        logger.info(f"Dropped {part} pos_embed: V-JEPA 2 positions are rotary, computed inside attention.")
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
        model.encoder, _without_position_table(encoder, encoder_entry), OFFICIAL_ENCODER_RENAMES, encoder_entry
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


# ----------------------------------------------------------------------------------------------------------------
# JEPAWorldModel -> official
# ----------------------------------------------------------------------------------------------------------------


def _official_ac_mismatches(config: JEPAWorldModelConfig) -> list[str]:
    """The settings of `config` that the official V-JEPA 2-AC modules cannot hold, each with the values they can."""
    encoder = config.encoder_config
    # an image encoder is written as a 2-frame tubelet; a video encoder must be one already
    tubelet = [("encoder_config.tubelet_size", encoder.tubelet_size, (_AC_TUBELET_SIZE,))] if encoder.is_video else []
    allowed = [
        ("embedding_type", config.embedding_type, ("patch",)),
        ("predictor_position_embedding_type", config.predictor_position_embedding_type, ("rope",)),
        ("state_embedding", config.state_embedding, ("token",)),
        ("state_dim", config.state_dim, (config.action_dim,)),  # the official state encoder is as wide as actions
        ("predict_states", config.predict_states, (False,)),
        ("extrinsics_dim", config.extrinsics_dim, (0, config.action_dim - 1)),
        ("uses_sigreg_projector", config.uses_sigreg_projector, (False,)),
        *tubelet,
        *[(f"encoder_config.{name}", getattr(encoder, name), (value,)) for name, value in _VJEPA2_ENCODER.items()],
    ]
    return [
        f"{name}={value!r} (the official modules need {' or '.join(map(repr, values))})"
        for name, value, values in allowed
        if value not in values
    ]


def _video_encoder_state(encoder: JEPAModel) -> dict[str, torch.Tensor]:
    """The frame encoder's state dict as the official V-JEPA 2 video encoder's. A video encoder of one tubelet (what
    the import keeps) is the official one as it is. An image encoder (a model converted before the import kept the
    official encoder) has its kernel divided evenly over the tubelet, which computes the same on a frame repeated into
    it, as the official code encodes frames."""
    state = official_state(encoder, OFFICIAL_ENCODER_RENAMES)
    if not encoder.config.is_video:
        kernel = state["patch_embed.proj.weight"] / _AC_TUBELET_SIZE
        state["patch_embed.proj.weight"] = kernel.unsqueeze(2).repeat(1, 1, _AC_TUBELET_SIZE, 1, 1)
    return state


def _unread_extrinsics_encoder(model: JEPAWorldModel) -> dict[str, torch.Tensor]:
    """The `extrinsics_encoder` the official predictor always has, for a model that reads no extrinsics: zeros,
    which its `use_extrinsics: false` never reads."""
    config, weight = model.config, model.predictor.action_embed.weight
    return {
        "extrinsics_encoder.weight": weight.new_zeros(config.predictor_hidden_size, config.action_dim - 1),
        "extrinsics_encoder.bias": weight.new_zeros(config.predictor_hidden_size),
    }


def world_model_to_official_ac(model: JEPAWorldModel) -> dict:
    """The checkpoint dict of the official V-JEPA 2-AC code: the frozen encoder under `encoder` and `target_encoder`
    (the same tensors, as its training saves them), the predictor under `predictor`, keys prefixed with `module.` as
    its DistributedDataParallel training saves them, and `epoch` 0 (read by its `load_pretrained`). It holds no
    optimiser state, so it starts a run of the official code (or loads with its torch hub builder) rather than
    resuming one.

    Every tensor is that of the official checkpoint a model was converted from, exactly, but one that the import does
    not keep: a model that reads no extrinsics (`extrinsics_dim=0`, as the released one) gets a zero
    `extrinsics_encoder`; the official predictor always has one and its torch hub builder loads strictly, and with
    `use_extrinsics: false` it never reads it (the released values there were never trained). A model converted before
    the import kept the official encoder has an image encoder, whose kernel (the official one summed over time, all
    that a repeated frame reads) is written divided evenly over the tubelet.

    The official code must run with `normalize_reps` as `config.normalize_latents` says (true for the released model),
    and its modules with the layer-norm epsilon of the model (1e-6 in the official code; another one is warned
    about): checkpoints record neither.
    """
    mismatches = _official_ac_mismatches(model.config)
    if mismatches:
        raise ValueError(
            "The official V-JEPA 2-AC format holds a V-JEPA 2 encoder and a predictor of patch latents with 3D rotary "
            "positions that reads [action, state, (extrinsics)] tokens per frame; this model has "
            f"{'; '.join(mismatches)}."
        )
    warn_unrecorded_layer_norm_eps(model.config.layer_norm_eps)
    encoder = _video_encoder_state(model.encoder)
    predictor = official_state(model.predictor, _OFFICIAL_AC_PREDICTOR_RENAMES)
    if not model.config.extrinsics_dim:
        predictor.update(_unread_extrinsics_encoder(model))
    return official_checkpoint({"encoder": encoder, "predictor": predictor, "target_encoder": encoder}, "module.")


def _load_world_model(source: str | Path) -> JEPAWorldModel:
    """The `JEPAWorldModel` of an hf_jepa folder or Hub id; another model's folder is refused, naming its type."""
    model_type = JEPAWorldModelConfig.get_config_dict(str(source))[0].get("model_type")
    if model_type != JEPAWorldModelConfig.model_type:
        raise ValueError(
            f"{source} does not hold a JEPAWorldModel: its config.json has model_type {model_type!r}, not "
            f"{JEPAWorldModelConfig.model_type!r}."
        )
    return load_hf_jepa_model(JEPAWorldModel, source)


def export_ac_checkpoint(source: str | Path, output_dir: str | Path, overwrite_output_dir: bool = False) -> Path:
    """Writes a `JEPAWorldModel` folder in the V-JEPA 2-AC arrangement (a converted model fine-tuned on one's own
    episodes, say) as the official code's checkpoint, `output_dir / "latest.pt"`, with a model card that says what it
    was converted from. Nothing is written when the source is not such a model, or its weights do not all fit it or
    are NaN / inf."""
    output_dir = Path(output_dir)
    check_output_dir(source, output_dir, overwrite_output_dir)
    checkpoint = world_model_to_official_ac(_load_world_model(source))
    output_dir.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, output_dir / OFFICIAL_VJEPA2_AC_FILENAME)
    write_conversion_card(output_dir, source, "hf_jepa", OFFICIAL_VJEPA2_AC, overwrite=overwrite_output_dir)
    logger.info(f"Wrote the JEPAWorldModel {source} as an {OFFICIAL_VJEPA2_AC} checkpoint to {output_dir}.")
    return output_dir


__all__ = [
    "ENCODER_ENTRIES",
    "OFFICIAL_VJEPA2_AC",
    "OFFICIAL_VJEPA2_AC_FILENAME",
    "convert_ac_checkpoint",
    "export_ac_checkpoint",
    "official_ac_to_world_model",
    "world_model_to_official_ac",
]
