# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What every conversion into hf_jepa's models shares, whatever the source's layout (transformers' `IJepaModel` /
`VJEPA2Model`, the official checkpoints, V-JEPA 2-AC's): tensor names renamed by ordered regular expressions, state
dicts loaded strictly (every tensor finite, none missing, none left over), the `JEPAConfig` built from what the
weights fix (with `config_overrides` that may not contradict them, an MLP width as an exact ratio), and stored
position tables told apart: the sin-cos table hf_jepa computes (grid and layout found) or a trained one.
"""

import logging
import math
import re
from collections.abc import Mapping

import torch

from .configuration_jepa import JEPAConfig
from .modeling_jepa import sincos_position_embeddings

logger = logging.getLogger(__name__)

# A stored sin-cos table matches ours when it differs by float32 rounding only; another layout differs by ~1.
_POSITION_TOLERANCE = 1e-4


def rename_key(key: str, renames: list[tuple[str, str]]) -> str:
    """`key` with each `(pattern, replacement)` of `renames` applied in turn."""
    for pattern, replacement in renames:
        key = re.sub(pattern, replacement, key)
    return key


def check_finite(state: Mapping[str, torch.Tensor], name: str) -> None:
    """Refuses weights with NaN or inf values (a run that diverged), naming the first such tensor."""
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError(
                f"The {name} tensor {key} holds non-finite values (NaN or inf); these weights come from a run that "
                "diverged and cannot be converted."
            )


def load_part(module: torch.nn.Module, state: dict[str, torch.Tensor], name: str) -> None:
    """Loads `state` into `module`: every tensor finite, none missing, none left over."""
    check_finite(state, name)
    result = module.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f"The {name} weights do not fit: missing {result.missing_keys}, unexpected {result.unexpected_keys}."
        )


def check_config_overrides(derived: Mapping, overrides: Mapping) -> None:
    """Refuses `config_overrides` that contradict the settings read off a checkpoint's weights (`derived`), naming
    each with both values."""
    conflicts = [name for name, value in overrides.items() if name in derived and derived[name] != value]
    if conflicts:
        details = ", ".join(f"{name}={overrides[name]!r} (the weights have {derived[name]!r})" for name in conflicts)
        raise ValueError(f"config_overrides contradict the checkpoint: {details}; drop them from config_overrides.")


def build_config(derived: dict, defaults: dict, overrides: dict) -> JEPAConfig:
    """A `JEPAConfig` from settings read off the weights (fixed), release defaults and the user's overrides."""
    check_config_overrides(derived, overrides)
    return JEPAConfig(**{**defaults, **overrides, **derived})


def exact_mlp_ratio(intermediate_size: int, hidden_size: int) -> float:
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


def check_positions(stored: torch.Tensor, expected: torch.Tensor, name: str) -> None:
    """Tables our models compute (the predictor's, or a `sincos` encoder's) must be stored as the same table."""
    difference = _sincos_difference(stored, expected, name)
    if difference > _POSITION_TOLERANCE:
        raise ValueError(
            f"{name} is not the fixed sin-cos table hf_jepa computes for this grid (largest difference "
            f"{difference:.3g}); hf_jepa computes this table and cannot load another layout or learned values here."
        )


def encoder_position_type(stored: torch.Tensor, expected: torch.Tensor, name: str) -> str:
    """`sincos` when an encoder's stored table is our sin-cos table (no needless parameter), else `learned` (a table
    of NaN or inf is `learned` here, and refused when loaded)."""
    difference = _sincos_difference(stored, expected, name)
    position_type = "sincos" if difference <= _POSITION_TOLERANCE else "learned"
    logger.info(
        f"{name}: converted as position_embedding_type={position_type!r} (largest difference from the sin-cos "
        f"table {difference:.3g}, tolerance {_POSITION_TOLERANCE})."
    )
    return position_type


def sincos_grid(table: torch.Tensor, video: bool, name: str) -> tuple[tuple[int, int, int], str]:
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


__all__ = [
    "build_config",
    "check_config_overrides",
    "check_finite",
    "check_positions",
    "encoder_position_type",
    "exact_mlp_ratio",
    "load_part",
    "rename_key",
    "sincos_grid",
]
