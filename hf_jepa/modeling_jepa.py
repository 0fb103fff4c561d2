# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""PyTorch JEPA models: ViT encoder with token dropping, narrow ViT predictor, EMA target encoder, heads.

This file imports only torch, transformers and `configuration_jepa`, so that `save_pretrained` can ship it beside
the weights and `AutoModel.from_pretrained(..., trust_remote_code=True)` works without hf_jepa installed.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import flop_registry, register_flop_formula
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.conversion_mapping import register_checkpoint_conversion_mapping
from transformers.core_model_loading import Concatenate, WeightConverter
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPooling, ImageClassifierOutput
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs
from transformers.utils.generic import can_return_tuple, merge_with_config_defaults
from transformers.utils.output_capturing import capture_outputs

from .configuration_jepa import REGULARIZERS, JEPAConfig


def sincos_1d(embed_dim: int, positions: torch.Tensor) -> torch.Tensor:
    """`[N, embed_dim]` sine-cosine embedding of 1-D positions (sines in the first half, cosines in the second)."""
    frequencies = 1.0 / 10000 ** (torch.arange(embed_dim // 2, dtype=torch.float64) / (embed_dim / 2))
    angles = positions.double().reshape(-1, 1) * frequencies
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_position_embeddings(embed_dim: int, grid: tuple[int, int, int], uniform: bool = False) -> torch.Tensor:
    """Fixed `[1, T*H*W, embed_dim]` position embeddings for a `(time, height, width)` token grid.

    Images (time 1) follow I-JEPA / MAE: the first half of the channels encodes the column, the second the row.
    Video follows V-JEPA: half the channels encode time, a quarter the row, a quarter the column; with `uniform`
    (V-JEPA's `uniform_power`) each axis gets `2 * ceil(embed_dim / 6)` channels and the table is cut to `embed_dim`.
    """
    time, height, width = grid
    t, h, w = torch.meshgrid(torch.arange(time), torch.arange(height), torch.arange(width), indexing="ij")
    if uniform:
        axis_dim = 2 * math.ceil(embed_dim / 6)
        parts = [sincos_1d(axis_dim, t), sincos_1d(axis_dim, h), sincos_1d(axis_dim, w)]
    elif time == 1:
        parts = [sincos_1d(embed_dim // 2, w), sincos_1d(embed_dim // 2, h)]
    else:
        parts = [sincos_1d(embed_dim // 2, t), sincos_1d(embed_dim // 4, h), sincos_1d(embed_dim // 4, w)]
    return torch.cat(parts, dim=1)[:, :embed_dim].float().unsqueeze(0)


def fixed_position_embeddings(config: JEPAConfig, embed_dim: int) -> torch.Tensor | None:
    """The sin-cos table that `config.position_embedding_type` adds to the tokens; None for rotary embeddings.

    For `learned` it is the 2D / 3D `sincos` table: the starting value of the encoder's trained table (so a learned
    model starts as the fixed one, with smooth positions that resize well) and the predictor's fixed table.
    """
    if config.position_embedding_type == "rope":
        return None
    uniform = config.position_embedding_type == "sincos_uniform"
    return sincos_position_embeddings(embed_dim, config.grid_size, uniform=uniform)


def rotary_cos_sin(
    positions: torch.Tensor,
    grid: tuple[int, int, int],
    head_dim: int,
    interleaved: bool = False,
    rescale_to_grid: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines and sines `[B, 1, N, 3 * axis_dim]` of V-JEPA 2's 3D rotary embeddings for token indices `[B, N]`.

    Time, row and column each rotate `axis_dim = 2 * (head_dim // 6)` consecutive channels of every head, in that
    order; the remaining channels are not rotated. Channels `(2i, 2i + 1)` of an axis block form the rotated pairs,
    and `omega[k] = 10000 ** (-k / (axis_dim / 2))`. By default channel `j` turns with `omega[j % (axis_dim / 2)]`,
    so the two channels of a pair turn with different frequencies: the layout the released V-JEPA 2 weights were
    trained with (the official code keeps it for compatibility), not the textbook RoPE. `interleaved` gives V-JEPA
    2.1's layout, where both channels of pair `i` turn with `omega[i]`.

    `rescale_to_grid` (V-JEPA 2.1's `interpolate_rope`) maps rows and columns `0 .. side - 1` of the grid linearly
    onto `0 .. rescale_to_grid - 1`, so that inputs of any size span the positions of the training grid.
    """
    _, height, width = grid
    time_ids = positions // (height * width)
    row_ids = (positions % (height * width) // width).float()
    column_ids = (positions % width).float()
    if rescale_to_grid is not None:
        row_ids = row_ids * (rescale_to_grid - 1) / max(height - 1, 1)
        column_ids = column_ids * (rescale_to_grid - 1) / max(width - 1, 1)
    axis_dim = 2 * (head_dim // 6)
    omega = 1.0 / 10000 ** (torch.arange(axis_dim // 2, dtype=torch.float32, device=positions.device) / (axis_dim / 2))
    omega = omega.repeat_interleave(2) if interleaved else omega.repeat(2)
    angles = torch.cat([ids.unsqueeze(-1) * omega for ids in (time_ids, row_ids, column_ids)], dim=-1)
    return angles.cos().unsqueeze(1), angles.sin().unsqueeze(1)


def apply_rotary(states: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates the channel pairs `(2i, 2i + 1)` of `[B, heads, N, head_dim]` states by the angles of `cos` / `sin`."""
    rotated = cos.shape[-1]
    pairs = states[..., :rotated].unflatten(-1, (-1, 2))
    turned = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
    cos, sin = cos.to(states.dtype), sin.to(states.dtype)
    return torch.cat([states[..., :rotated] * cos + turned * sin, states[..., rotated:]], dim=-1)


def gather_tokens(hidden_states: torch.Tensor, masks: list[torch.Tensor]) -> torch.Tensor:
    """Keeps the tokens listed in each `[B, K]` index tensor of `masks`; the results are stacked along the batch,
    giving `[len(masks) * B, K, D]` (mask-major order)."""
    dim = hidden_states.shape[-1]
    return torch.cat([torch.gather(hidden_states, 1, mask.unsqueeze(-1).expand(-1, -1, dim)) for mask in masks], dim=0)


def _target_major(target_rows: torch.Tensor, num_targets: int, num_contexts: int, batch_size: int) -> torch.Tensor:
    """The rows of the target blocks, `[num_targets * batch, ...]`, in the predictor's target-major order,
    `[num_targets * num_contexts * batch, ...]`: every block's rows once for each context."""
    rows = target_rows.unflatten(0, (num_targets, 1, batch_size))
    return rows.expand(-1, num_contexts, *rows.shape[2:]).flatten(0, 2)


def _check_masks(masks: list[torch.Tensor], name: str, batch_size: int, num_tokens: int) -> None:
    """Checks the masks' structure (their shapes and dtype, known on the host). Their values are checked only on the
    CPU outside `torch.compile`: elsewhere reading them would cost a device-to-host sync per mask (or a graph break).
    Masks drawn by `hf_jepa.masking` are valid by construction; a mask with indices outside the grid fails on the CPU
    with this error, on an accelerator in the gather."""
    if not isinstance(masks, (list, tuple)) or len(masks) == 0:
        raise ValueError(f"{name} must be a non-empty list of [batch, num_kept] index tensors, got {type(masks)}.")
    lengths = {mask.shape[-1] for mask in masks}
    for mask in masks:
        if mask.dim() != 2 or mask.shape[0] != batch_size:
            raise ValueError(
                f"Each tensor of {name} must have shape [batch={batch_size}, num_kept], got {tuple(mask.shape)}."
            )
        if mask.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"{name} must hold integer token indices, got dtype {mask.dtype}.")
        values_readable = mask.device.type == "cpu" and not torch.compiler.is_compiling()
        if values_readable and mask.numel() and (mask.min() < 0 or mask.max() >= num_tokens):
            raise ValueError(
                f"{name} holds indices outside [0, {num_tokens}): min {int(mask.min())}, max {int(mask.max())}."
            )
    if len(lengths) > 1:
        raise ValueError(f"All tensors of {name} must keep the same number of tokens, got lengths {sorted(lengths)}.")


def _pixel_input(pixel_values: torch.Tensor | None, pixel_values_videos: torch.Tensor | None) -> torch.Tensor:
    if (pixel_values is None) == (pixel_values_videos is None):
        raise ValueError("Pass exactly one of pixel_values (images or clips) and pixel_values_videos (clips).")
    return pixel_values if pixel_values is not None else pixel_values_videos


class JEPAPatchEmbeddings(nn.Module):
    """Turns images `[B, C, H, W]` or videos `[B, T, C, H, W]` into patch / tubelet tokens `[B, N, hidden_size]`.

    `tubelet_size` (video models only) overrides the config's: 1 gives V-JEPA 2.1's image patch embedding, which
    embeds images as one-frame clips `[B, 1, C, H, W]`.
    """

    def __init__(self, config: JEPAConfig, tubelet_size: int | None = None):
        super().__init__()
        self.config = config
        patch = config.patch_size
        if config.is_video:
            kernel = (tubelet_size or config.tubelet_size, patch, patch)
            self.projection = nn.Conv3d(config.num_channels, config.hidden_size, kernel_size=kernel, stride=kernel)
        else:
            self.projection = nn.Conv2d(config.num_channels, config.hidden_size, kernel_size=patch, stride=patch)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if self.config.is_video:
            pixel_values = pixel_values.transpose(1, 2)  # [B, T, C, H, W] -> [B, C, T, H, W]
        # contiguous once here, rather than a copy in every layer norm that follows
        return self.projection(pixel_values).flatten(2).transpose(1, 2).contiguous()


class JEPAEmbeddings(nn.Module):
    """Patch embeddings plus positions (none with rotary embeddings); optionally keeps only the tokens of a mask.

    Sin-cos positions are a buffer computed from the config. A `learned` table is a parameter `[1, N, hidden_size]`
    named like `IJepaModel`'s: saved with the weights, trained with the context encoder, followed by the EMA target.
    With `config.image_patch_embeddings` (V-JEPA 2.1), images go through their own one-frame patch embedding, and
    with `config.modality_embeddings` every token gets the learned embedding of its modality.
    """

    def __init__(self, config: JEPAConfig):
        super().__init__()
        self.config = config
        self.patch_embeddings = JEPAPatchEmbeddings(config)
        self.image_patch_embeddings = (
            JEPAPatchEmbeddings(config, tubelet_size=1) if config.image_patch_embeddings else None
        )
        if config.modality_embeddings:
            self.image_modality_embedding = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
            self.video_modality_embedding = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        table = fixed_position_embeddings(config, config.hidden_size)
        if config.position_embedding_type == "learned":
            self.position_embeddings = nn.Parameter(table)
        else:
            self.register_buffer("position_embeddings", table, persistent=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def is_image(self, pixel_values: torch.Tensor) -> bool:
        """Whether a video model with an image patch embedding takes this input as an image (4D, or one frame)."""
        return self.image_patch_embeddings is not None and (pixel_values.dim() == 4 or pixel_values.shape[1] == 1)

    def check_input(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool) -> None:
        config = self.config
        if self.is_image(pixel_values):
            expected = f"[batch, {config.num_channels} channels, height, width]"
            frames_ok = True
        elif config.is_video:
            expected = f"[batch, {config.num_frames} frames, {config.num_channels} channels, height, width]"
            frames_ok = pixel_values.dim() == 5 and pixel_values.shape[1] % config.tubelet_size == 0
            frames_ok = frames_ok and (interpolate_pos_encoding or pixel_values.shape[1] == config.num_frames)
        else:
            expected = f"[batch, {config.num_channels} channels, height, width]"
            frames_ok = pixel_values.dim() == 4
        if not frames_ok or pixel_values.shape[-3] != config.num_channels:
            raise ValueError(f"pixel_values must have shape {expected}, got {tuple(pixel_values.shape)}.")
        height, width = pixel_values.shape[-2:]
        if height % config.patch_size or width % config.patch_size:
            raise ValueError(f"Input size {height}x{width} is not divisible by patch_size {config.patch_size}.")
        if not interpolate_pos_encoding and (height, width) != (config.image_size, config.image_size):
            raise ValueError(
                f"Input size {height}x{width} doesn't match the model's image_size {config.image_size}; resize the "
                "input or pass interpolate_pos_encoding=True."
            )

    def token_grid(self, pixel_values: torch.Tensor) -> tuple[int, int, int]:
        """The `(time, height, width)` token grid of an input."""
        patch = self.config.patch_size
        is_clip = self.config.is_video and not self.is_image(pixel_values)
        time = pixel_values.shape[1] // self.config.tubelet_size if is_clip else 1
        return (time, pixel_values.shape[-2] // patch, pixel_values.shape[-1] // patch)

    def interpolate_pos_encoding(self, grid: tuple[int, int, int]) -> torch.Tensor:
        """Resamples the position embeddings to another token grid (bicubic in space, linear in time)."""
        if grid == self.config.grid_size:
            return self.position_embeddings
        time, height, width = self.config.grid_size
        table = self.position_embeddings.reshape(1, time, height, width, -1).permute(0, 4, 1, 2, 3)
        if time == 1 and grid[0] == 1:
            resized = F.interpolate(table[:, :, 0], size=grid[1:], mode="bicubic", align_corners=False).unsqueeze(2)
        else:
            resized = F.interpolate(table, size=grid, mode="trilinear", align_corners=False)
        return resized.permute(0, 2, 3, 4, 1).flatten(1, 3)

    def forward(
        self,
        pixel_values: torch.Tensor,
        mask: list[torch.Tensor] | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> torch.Tensor:
        self.check_input(pixel_values, interpolate_pos_encoding)
        is_image = self.is_image(pixel_values)
        patch_embeddings = self.image_patch_embeddings if is_image else self.patch_embeddings
        if is_image and pixel_values.dim() == 4:
            pixel_values = pixel_values.unsqueeze(1)  # one-frame clip
        embeddings = patch_embeddings(pixel_values.to(patch_embeddings.projection.weight.dtype))
        if self.config.modality_embeddings:
            modality = self.image_modality_embedding if is_image else self.video_modality_embedding
            embeddings = embeddings + modality.to(embeddings.dtype)
        if self.position_embeddings is not None:
            positions = self.interpolate_pos_encoding(self.token_grid(pixel_values))
            embeddings = embeddings + positions.to(embeddings.dtype)
        if mask is not None:
            _check_masks(mask, "mask", embeddings.shape[0], embeddings.shape[1])
            embeddings = gather_tokens(embeddings, mask)
        return self.dropout(embeddings)


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs: Unpack[TransformersKwargs],
) -> tuple[torch.Tensor, torch.Tensor]:
    attn_weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights + attention_mask
    attn_weights = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype)
    attn_weights = F.dropout(attn_weights, p=dropout, training=module.training)
    attn_output = torch.matmul(attn_weights, value).transpose(1, 2).contiguous()
    return attn_output, attn_weights


class JEPAAttention(nn.Module):
    def __init__(self, config: JEPAConfig, hidden_size: int, num_attention_heads: int):
        super().__init__()
        self.config = config
        self.head_dim = hidden_size // num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.attention_dropout = config.attention_probs_dropout_prob
        self.is_causal = False
        # query, key and value in one product (one pass over the input and its gradient); checkpoints keep them apart
        # as `q_proj`, `k_proj`, `v_proj` (see `QKV_CONVERSIONS`)
        self.qkv_proj = nn.Linear(hidden_size, 3 * hidden_size, bias=config.qkv_bias)
        self.o_proj = nn.Linear(hidden_size, hidden_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`attention_mask`: an additive `[1, 1, L, L]` mask (the world model's block-causal one), or None."""
        qkv_shape = (*hidden_states.shape[:-1], 3, -1, self.head_dim)
        query, key, value = self.qkv_proj(hidden_states).view(qkv_shape).permute(2, 0, 3, 1, 4).unbind(0)
        if position_embeddings is not None:
            query = apply_rotary(query, *position_embeddings)
            key = apply_rotary(key, *position_embeddings)

        attention_interface: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
            self.config._attn_implementation, eager_attention_forward
        )
        attn_output, attn_weights = attention_interface(
            self,
            query,
            key,
            value,
            attention_mask,
            dropout=self.attention_dropout if self.training else 0.0,
            scaling=self.scaling,
            **kwargs,
        )
        attn_output = self.o_proj(attn_output.reshape(*hidden_states.shape[:-1], -1))
        return attn_output, attn_weights


# Checkpoints store the fused projection as the three matrices transformers' ViTs (and every hf_jepa checkpoint saved
# before the fusion) have: loading concatenates them into `qkv_proj`, `save_pretrained` splits it again (the reverse).
QKV_CONVERSIONS = [
    WeightConverter(
        source_patterns=[f"attention.{name}_proj.{kind}" for name in "qkv"],
        target_patterns=f"attention.qkv_proj.{kind}",
        operations=[Concatenate(dim=0)],
    )
    for kind in ("weight", "bias")
]
register_checkpoint_conversion_mapping(JEPAConfig.model_type, QKV_CONVERSIONS, overwrite=True)


# On x86 CPUs, oneDNN computes `gelu(fc1(x))` as one product with the GELU applied to each result block while it is
# in cache: one pass less over the widest activation of the model, and the same numbers as the two ATen ops. The fused
# op has no backward, so it runs only where nothing records gradients (inference, the EMA target encoder's forward),
# and only in fp32 (its bf16 path needs AVX-512 extensions that not every x86 CPU has).
_ONEDNN_GELU_ALGORITHMS = {"gelu": "none", "gelu_pytorch_tanh": "tanh"}  # hidden_act -> oneDNN's GELU algorithm
_ONEDNN_LINEAR = (
    getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    if torch.backends.mkldnn.is_available() and torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
    else None
)


def _linear_flops(input_shape: torch.Size, weight_shape: torch.Size, *args, **kwargs) -> int:
    return 2 * math.prod(input_shape[:-1]) * weight_shape[0] * weight_shape[1]


if _ONEDNN_LINEAR is not None and _ONEDNN_LINEAR not in flop_registry:  # FLOP counters count it as the linear it is
    register_flop_formula(_ONEDNN_LINEAR)(_linear_flops)


class JEPAMLP(nn.Module):
    def __init__(self, config: JEPAConfig, hidden_size: int, mlp_ratio: float):
        super().__init__()
        intermediate_size = int(hidden_size * mlp_ratio)
        self.fc1 = nn.Linear(hidden_size, intermediate_size)
        self.activation_fn = ACT2FN[config.hidden_act]
        self.fc2 = nn.Linear(intermediate_size, hidden_size)
        # None where fc1 and the activation stay apart: no oneDNN here, or an activation it does not fuse
        fusable = _ONEDNN_LINEAR is not None
        self.onednn_gelu_algorithm = _ONEDNN_GELU_ALGORITHMS.get(config.hidden_act) if fusable else None

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if self._fuses_fc1_and_gelu(hidden_states):
            hidden_states = _ONEDNN_LINEAR(
                hidden_states, self.fc1.weight, self.fc1.bias, "gelu", [], self.onednn_gelu_algorithm
            )
        else:
            hidden_states = self.activation_fn(self.fc1(hidden_states))
        return self.fc2(hidden_states)

    def _fuses_fc1_and_gelu(self, hidden_states: torch.Tensor) -> bool:
        return (
            self.onednn_gelu_algorithm is not None
            and hidden_states.device.type == "cpu"
            and hidden_states.dtype == self.fc1.weight.dtype == torch.float32
            and not (torch.is_grad_enabled() and (hidden_states.requires_grad or self.fc1.weight.requires_grad))
            and not torch.is_autocast_enabled("cpu")  # autocast would run fc1 in its own dtype
            and not torch.compiler.is_compiling()  # the compiler fuses on its own
        )


class JEPADropPath(nn.Module):
    """Stochastic depth: drops the whole residual branch of a sample with probability `drop_prob` while training."""

    def __init__(self, drop_prob: float):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return hidden_states
        keep_prob = 1.0 - self.drop_prob
        shape = (hidden_states.shape[0],) + (1,) * (hidden_states.dim() - 1)
        keep = hidden_states.new_empty(shape).bernoulli_(keep_prob)
        return hidden_states * keep / keep_prob


class JEPALayer(GradientCheckpointingLayer):
    """Pre-norm transformer block."""

    def __init__(
        self, config: JEPAConfig, hidden_size: int, num_attention_heads: int, mlp_ratio: float, drop_path: float = 0.0
    ):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(hidden_size, eps=config.layer_norm_eps)
        self.attention = JEPAAttention(config, hidden_size, num_attention_heads)
        self.layernorm_after = nn.LayerNorm(hidden_size, eps=config.layer_norm_eps)
        self.mlp = JEPAMLP(config, hidden_size, mlp_ratio)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.drop_path = JEPADropPath(drop_path)

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> torch.Tensor:
        """`position_embeddings`: the rotary `(cos, sin)` of the tokens, or None without rotary embeddings."""
        attention_output, _ = self.attention(self.layernorm_before(hidden_states), position_embeddings, **kwargs)
        hidden_states = hidden_states + self.drop_path(self.dropout(attention_output))
        mlp_output = self.mlp(self.layernorm_after(hidden_states))
        return hidden_states + self.drop_path(self.dropout(mlp_output))


def _drop_path_rates(config: JEPAConfig, num_layers: int) -> list[float]:
    return [config.drop_path_rate * index / max(num_layers - 1, 1) for index in range(num_layers)]


_AUTO_MAP = {
    "AutoConfig": "configuration_jepa.JEPAConfig",
    "AutoModel": "modeling_jepa.JEPAModel",
    "AutoModelForPreTraining": "modeling_jepa.JEPAForPreTraining",
    "AutoModelForImageClassification": "modeling_jepa.JEPAForImageClassification",
    "AutoModelForVideoClassification": "modeling_jepa.JEPAForVideoClassification",
}


class JEPAPreTrainedModel(PreTrainedModel):
    config: JEPAConfig
    config_class = JEPAConfig
    # Every JEPA model keeps its downstream encoder under this name, so that `JEPAModel` and the heads load the
    # EMA target encoder of a pretraining checkpoint.
    base_model_prefix = "target_encoder"
    main_input_name = "pixel_values"
    input_modalities = ("image", "video")
    supports_gradient_checkpointing = True
    _no_split_modules = ["JEPAEmbeddings", "JEPALayer"]
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_record_outputs = {"hidden_states": JEPALayer, "attentions": JEPAAttention}

    def save_pretrained(self, save_directory, *args, **kwargs) -> None:
        # `save_pretrained` writes only the saved class into `auto_map`; every JEPA class loads every JEPA checkpoint.
        self.config.auto_map = {**_AUTO_MAP, **(getattr(self.config, "auto_map", None) or {})}
        super().save_pretrained(save_directory, *args, **kwargs)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.Conv3d)):
            init.trunc_normal_(module.weight, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            init.ones_(module.weight)
            init.zeros_(module.bias)
        if isinstance(module, (JEPAEmbeddings, JEPAPredictor)) and self.config.modality_embeddings:
            # V-JEPA 2.1 starts them near zero
            init.normal_(module.image_modality_embedding, std=1e-6)
            init.normal_(module.video_modality_embedding, std=1e-6)
        if isinstance(module, JEPAEmbeddings):
            if module.position_embeddings is not None:
                init.copy_(module.position_embeddings, fixed_position_embeddings(self.config, self.config.hidden_size))
        elif isinstance(module, JEPAPredictor):
            init.trunc_normal_(module.mask_token, std=std)
            if module.position_embeddings is not None:
                init.copy_(
                    module.position_embeddings, fixed_position_embeddings(self.config, self.config.pred_hidden_size)
                )
        elif isinstance(module, JEPAAttentivePooler):
            init.trunc_normal_(module.query, std=std)


@dataclass
class JEPAModelOutput(BaseModelOutputWithPooling):
    r"""
    last_hidden_state (`torch.FloatTensor` of shape `(batch, tokens, hidden_size)`): the last layer's output after the
        final LayerNorm: the features to use downstream.
    pooler_output (`torch.FloatTensor` of shape `(batch, hidden_size)`): the mean of `last_hidden_state` over tokens.
    level_hidden_states (`torch.FloatTensor` of shape `(batch, tokens, num_levels * hidden_size)`, *optional*): with
        `config.level_layers` and `output_levels=True`, the output of every level layer through its own LayerNorm,
        concatenated along the channels, deepest last (its last `hidden_size` channels are `last_hidden_state`).
    """

    level_hidden_states: torch.FloatTensor | None = None


class JEPAModel(JEPAPreTrainedModel):
    """The JEPA encoder: a ViT without CLS token. With `mask`, only the listed tokens are embedded and attended.

    With `config.level_layers` (V-JEPA 2.1), the output of each listed layer but the last goes through its own
    LayerNorm (`level_layernorms`), the last one's through `layernorm`.
    """

    # Loading this class from a `JEPAForPreTraining` checkpoint keeps the target encoder; the rest is expected.
    _keys_to_ignore_on_load_unexpected = [r"^context_encoder\.", r"^predictor\.", r"^projector\."]

    def __init__(self, config: JEPAConfig):
        super().__init__(config)
        self.embeddings = JEPAEmbeddings(config)
        self.layers = nn.ModuleList(
            JEPALayer(config, config.hidden_size, config.num_attention_heads, config.mlp_ratio, drop_path)
            for drop_path in _drop_path_rates(config, config.num_hidden_layers)
        )
        num_levels = len(config.level_layers) if config.level_layers else 1
        self.level_layernorms = nn.ModuleList(
            nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps) for _ in range(num_levels - 1)
        )
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def get_input_embeddings(self) -> JEPAPatchEmbeddings:
        return self.embeddings.patch_embeddings

    @merge_with_config_defaults
    @capture_outputs(tie_last_hidden_states=False)
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        mask: list[torch.Tensor] | None = None,
        interpolate_pos_encoding: bool = False,
        pixel_values_videos: torch.Tensor | None = None,
        output_levels: bool = False,
        **kwargs: Unpack[TransformersKwargs],
    ) -> JEPAModelOutput:
        r"""
        pixel_values (`torch.FloatTensor` of shape `(batch, channels, height, width)` or `(batch, frames, channels,
            height, width)`): images or video clips.
        mask (`list[torch.LongTensor]`, *optional*): index tensors of shape `(batch, num_kept)`; only those tokens are
            encoded. Several masks are encoded side by side, giving a batch of `len(mask) * batch` sequences.
        interpolate_pos_encoding (`bool`): resample the position embeddings for inputs of another size.
        pixel_values_videos (`torch.FloatTensor`, *optional*): clips under the name video processors give them.
        output_levels (`bool`): also return `level_hidden_states` (needs `config.level_layers`).
        """
        config = self.config
        if output_levels and not config.level_layers:
            raise ValueError("output_levels needs a model with level_layers in its config.")
        pixel_values = _pixel_input(pixel_values, pixel_values_videos)
        hidden_states = self.embeddings(pixel_values, mask=mask, interpolate_pos_encoding=interpolate_pos_encoding)
        position_embeddings = None
        if config.position_embedding_type == "rope":
            if mask is None:
                positions = torch.arange(hidden_states.shape[1], device=hidden_states.device).unsqueeze(0)
            else:
                positions = torch.cat(mask, dim=0)
            grid = self.embeddings.token_grid(pixel_values)
            head_dim = self.layers[0].attention.head_dim
            position_embeddings = rotary_cos_sin(
                positions, grid, head_dim, interleaved=config.rope_interleaved, rescale_to_grid=config.rope_grid_size
            )
        levels = []
        level_norms = iter(self.level_layernorms)
        intermediate_levels = (config.level_layers or [])[:-1]
        for index, layer in enumerate(self.layers):
            hidden_states = layer(hidden_states, position_embeddings=position_embeddings, **kwargs)
            if output_levels and index in intermediate_levels:
                levels.append(next(level_norms)(hidden_states))
        sequence_output = self.layernorm(hidden_states)
        return JEPAModelOutput(
            last_hidden_state=sequence_output,
            pooler_output=sequence_output.mean(1),
            level_hidden_states=torch.cat([*levels, sequence_output], dim=-1) if output_levels else None,
        )


class JEPALevelEmbedding(nn.Module):
    """The predictor's input embedding for several levels (V-JEPA 2.1): an MLP from the concatenated levels
    (`num_levels * hidden_size`) through `hidden_size` to `pred_hidden_size`."""

    def __init__(self, config: JEPAConfig):
        super().__init__()
        self.fc1 = nn.Linear(config.pred_num_levels * config.hidden_size, config.hidden_size)
        self.activation = ACT2FN[config.hidden_act]
        self.fc2 = nn.Linear(config.hidden_size, config.pred_hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.activation(self.fc1(hidden_states)))


class JEPAPredictor(nn.Module):
    """Narrow ViT that predicts the target encoder's latents at the target positions from the context tokens.

    Its positions are never learned: a fixed sin-cos table at `pred_hidden_size` (also when the encoder's table is
    `learned`, as in I-JEPA, whose predictor keeps a frozen sin-cos table), or rotary embeddings. A trained predictor
    table would only learn where the mask tokens sit, which the fixed table already says, and the official
    checkpoints (and transformers, which has no I-JEPA predictor) give no learned predictor table to load.

    V-JEPA 2.1 options: several levels in and out (`config.pred_num_levels`), image / video modality embeddings added
    to every token, and a second projection `proj_context` predicting the context tokens (`pred_predict_context`).
    """

    def __init__(self, config: JEPAConfig):
        super().__init__()
        self.config = config
        if config.pred_num_levels > 1:
            self.embed = JEPALevelEmbedding(config)
        else:
            self.embed = nn.Linear(config.hidden_size, config.pred_hidden_size)
        if config.modality_embeddings:
            self.image_modality_embedding = nn.Parameter(torch.zeros(1, 1, config.pred_hidden_size))
            self.video_modality_embedding = nn.Parameter(torch.zeros(1, 1, config.pred_hidden_size))
        # one `[1, pred_hidden_size]` token per entry of the first axis, chosen by `mask_index`
        self.mask_token = nn.Parameter(torch.zeros(config.pred_num_mask_tokens, 1, config.pred_hidden_size))
        self.register_buffer(
            "position_embeddings", fixed_position_embeddings(config, config.pred_hidden_size), persistent=False
        )
        self.layers = nn.ModuleList(
            JEPALayer(
                config, config.pred_hidden_size, config.pred_num_attention_heads, config.pred_mlp_ratio, drop_path
            )
            for drop_path in _drop_path_rates(config, config.pred_num_hidden_layers)
        )
        self.layernorm = nn.LayerNorm(config.pred_hidden_size, eps=config.layer_norm_eps)
        output_size = config.pred_num_levels * config.prediction_size
        self.proj = nn.Linear(config.pred_hidden_size, output_size)
        self.proj_context = nn.Linear(config.pred_hidden_size, output_size) if config.pred_predict_context else None

    def forward(
        self,
        context_hidden_states: torch.Tensor,
        context_mask: list[torch.Tensor],
        target_mask: list[torch.Tensor],
        mask_index: int = 0,
        is_image: bool = False,
        return_context: bool = False,
        **kwargs: Unpack[TransformersKwargs],
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            context_hidden_states: `[len(context_mask) * B, K_context, pred_num_levels * hidden_size]`, the context
                encoder's output (its last `pred_num_levels` levels, concatenated).
            context_mask / target_mask: lists of `[B, K]` index tensors.
            mask_index: which of the `config.pred_num_mask_tokens` mask tokens fills the target positions.
            is_image: the input was an image (its modality embedding is added, with `config.modality_embeddings`).
            return_context: also return the predictions of the context tokens (needs `config.pred_predict_context`).

        Returns:
            `[len(target_mask) * len(context_mask) * B, K_target, pred_num_levels * prediction_size]` predictions
            (target-major order); every target block is predicted from every context in one batched pass. With
            `return_context`, also the `[len(target_mask) * len(context_mask) * B, K_context, ...]` predictions of
            the context tokens, made beside each target block.
        """
        if return_context and self.proj_context is None:
            raise ValueError("return_context needs a predictor with pred_predict_context in its config.")
        if not 0 <= mask_index < self.mask_token.shape[0]:
            raise ValueError(
                f"mask_index must lie in [0, {self.mask_token.shape[0]}) (pred_num_mask_tokens), got {mask_index}."
            )
        num_contexts, num_targets = len(context_mask), len(target_mask)
        batch_size = context_mask[0].shape[0]
        context_index = torch.cat(context_mask, dim=0)
        target_index = _target_major(torch.cat(target_mask, dim=0), num_targets, num_contexts, batch_size)

        context = self.embed(context_hidden_states)
        queries = self.mask_token[mask_index].to(context.dtype).expand(*target_index.shape, -1)
        context, queries, position_embeddings = self._with_positions(context, queries, context_index, target_index)

        hidden_states = torch.cat([context.repeat(num_targets, 1, 1), queries], dim=1)
        if self.config.modality_embeddings:
            modality = self.image_modality_embedding if is_image else self.video_modality_embedding
            hidden_states = hidden_states + modality.to(hidden_states.dtype)
        for layer in self.layers:
            hidden_states = layer(hidden_states, position_embeddings=position_embeddings, **kwargs)
        num_context = context.shape[1]
        predictions = self.proj(self.layernorm(hidden_states[:, num_context:]))
        if not return_context:
            return predictions
        return predictions, self.proj_context(self.layernorm(hidden_states[:, :num_context]))

    def _with_positions(
        self, context: torch.Tensor, queries: torch.Tensor, context_index: torch.Tensor, target_index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """The context tokens and the queries with their positions: the fixed table added to both, or (rotary
        positions) both as they are and the `(cos, sin)` of every token of the predictor's rows, each row being its
        context followed by the queries of one target block."""
        if self.position_embeddings is not None:
            positions = self.position_embeddings[0].to(context.dtype)
            return context + positions[context_index], queries + positions[target_index], None
        num_targets = target_index.shape[0] // context_index.shape[0]
        token_index = torch.cat([context_index.repeat(num_targets, 1), target_index], dim=1)
        head_dim = self.layers[0].attention.head_dim
        interleaved = self.config.rope_interleaved
        return context, queries, rotary_cos_sin(token_index, self.config.grid_size, head_dim, interleaved=interleaved)


@dataclass
class JEPAForPreTrainingOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor`): prediction loss plus the weighted regularisation terms.
    prediction_loss (`torch.FloatTensor`): distance between predictions and targets (`config.loss_type`).
    context_loss (`torch.FloatTensor`): with `config.pred_predict_context`, the distance between the predictor's
        latents of the context tokens and the target encoder's (unweighted; V-JEPA 2.1's dense context loss).
    predictions (`torch.FloatTensor` of shape `(num_targets * num_contexts * batch, K_target, hidden_size)`).
    targets (`torch.FloatTensor`, same shape): the target encoder's (layer-normed) features at the target tokens.
    context_hidden_states (`torch.FloatTensor`): the context encoder's output for the context tokens.
    view_embeddings (`torch.FloatTensor` of shape `(views, batch, hidden_size)`): the pooled encoder output of every
        view (multi-view and hybrid objectives; global views first).
    projections (`torch.FloatTensor` of shape `(views, batch, projector_dim)`): the projector's output of every view.
    invariance_loss (`torch.FloatTensor`): mean squared distance of every view's projection to the mean of the global
        views' projections (multi-view and hybrid objectives).
    variance_loss / covariance_loss / consistency_loss / sigreg_loss (`torch.FloatTensor`): the unweighted
        regularisation terms; present only when their weight in the config is positive.
    """

    loss: torch.FloatTensor | None = None
    prediction_loss: torch.FloatTensor | None = None
    context_loss: torch.FloatTensor | None = None
    predictions: torch.FloatTensor | None = None
    targets: torch.FloatTensor | None = None
    context_hidden_states: torch.FloatTensor | None = None
    view_embeddings: torch.FloatTensor | None = None
    projections: torch.FloatTensor | None = None
    invariance_loss: torch.FloatTensor | None = None
    variance_loss: torch.FloatTensor | None = None
    covariance_loss: torch.FloatTensor | None = None
    consistency_loss: torch.FloatTensor | None = None
    sigreg_loss: torch.FloatTensor | None = None


def in_float32(loss: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """Computes a batch statistic in fp32 with autocast off. Under fp16 autocast, `.float()` alone does not keep the
    products in fp32, and the covariance of a large global batch passes fp16's 65,504 (8,192 samples of std 3 sum to
    ~75,000): the loss would be inf, and the gradient scaler would skip every step."""

    @functools.wraps(loss)
    def wrapper(embeddings: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        with torch.autocast(embeddings.device.type, enabled=False):
            return loss(embeddings.float(), *args, **kwargs)

    return wrapper


@in_float32
def variance_loss(embeddings: torch.Tensor, epsilon: float = 1e-4) -> torch.Tensor:
    """VICReg variance term: hinge on the standard deviation of every dimension across the batch, at 1."""
    std = torch.sqrt(embeddings.var(dim=0) + epsilon)
    return F.relu(1.0 - std).mean()


@in_float32
def covariance_loss(embeddings: torch.Tensor) -> torch.Tensor:
    """VICReg covariance term: squared off-diagonal covariances across the batch, divided by the dimension."""
    centered = embeddings - embeddings.mean(dim=0)
    covariance = centered.T @ centered / (embeddings.shape[0] - 1)
    off_diagonal = covariance - torch.diag(torch.diagonal(covariance))
    return off_diagonal.pow(2).sum() / embeddings.shape[1]


@in_float32
def consistency_loss(context_hidden_states: torch.Tensor, context_mask: torch.Tensor, grid: tuple) -> torch.Tensor:
    """Cross-frame consistency: the pooled context embedding of every time step of a clip should match the clip's
    average; mean squared deviation per channel. Zero for images (a single time step)."""
    time_steps = grid[0]
    frame_of_token = F.one_hot(context_mask // (grid[1] * grid[2]), time_steps).to(context_hidden_states.dtype)
    counts = frame_of_token.sum(1)  # [B, T]
    frame_means = torch.einsum("bkt,bkd->btd", frame_of_token, context_hidden_states) / counts.clamp(min=1)[..., None]
    present = (counts > 0).to(frame_means.dtype)
    clip_mean = (frame_means * present[..., None]).sum(1, keepdim=True) / present.sum(1)[:, None, None]
    squared = (frame_means - clip_mean).pow(2).mean(-1)
    return (squared * present).sum() / present.sum()


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def gather_batch(embeddings: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """The embeddings of every process concatenated along the batch dimension `dim`, so that a statistic over the
    batch (VICReg, SIGReg) sees the global batch when several processes train. Each process computes the same loss on
    the same gathered batch; the gradient reaching a process's own rows is the sum over those identical losses, which
    the data-parallel average of the gradients turns back into the gradient of one loss."""
    if not _distributed() or torch.distributed.get_world_size() == 1:
        return embeddings
    return torch.cat(torch.distributed.nn.functional.all_gather(embeddings), dim=dim)


@in_float32
def sigreg_loss(embeddings: torch.Tensor, num_projections: int, num_knots: int = 17) -> torch.Tensor:
    """SIGReg (LeJEPA): the Epps-Pulley statistic of random 1-D projections against a standard Gaussian.

    For each unit direction `a`, compares the empirical characteristic function of `a^T z` with `exp(-t^2 / 2)` over
    `t` in [0, 3], weighted by `exp(-t^2 / 2)`, integrated by the trapezoid rule (the integrand is even, hence x2) and
    scaled by the number of samples; averaged over directions. Under several processes the directions are the first
    process's, so that every process computes the same statistic of the gathered batch.
    """
    directions = torch.randn(embeddings.shape[1], num_projections, device=embeddings.device)
    if _distributed():
        torch.distributed.broadcast(directions, src=0)
    projected = embeddings @ (directions / directions.norm(dim=0, keepdim=True))  # [N, M]
    t = torch.linspace(0.0, 3.0, num_knots, device=embeddings.device)
    angles = projected.unsqueeze(-1) * t  # [N, M, knots]
    gaussian = torch.exp(-0.5 * t**2)
    error = (angles.cos().mean(0) - gaussian).pow(2) + angles.sin().mean(0).pow(2)  # [M, knots]
    statistic = 2.0 * torch.trapezoid(error * gaussian, t, dim=-1) * embeddings.shape[0]
    return statistic.mean()


@dataclass
class RegularizerInputs:
    """What the regularisers read: the embeddings they act on, `[views, global batch, dim]` (one view for the masked
    objective: its `config.regularization_target`), the context encoder's output and its masks."""

    pooled: torch.Tensor
    context_hidden_states: torch.Tensor | None
    context_mask: list[torch.Tensor] | None


def _per_view(
    loss: Callable[[JEPAConfig, torch.Tensor], torch.Tensor],
) -> Callable[[JEPAConfig, RegularizerInputs], torch.Tensor]:
    """A statistic over the batch, computed for each view and averaged over the views."""
    return lambda config, inputs: torch.stack([loss(config, view) for view in inputs.pooled]).mean()


def _per_context_consistency(config: JEPAConfig, inputs: RegularizerInputs) -> torch.Tensor:
    per_context = inputs.context_hidden_states.unflatten(0, (len(inputs.context_mask), -1))
    values = [
        consistency_loss(hidden, mask, config.grid_size) for hidden, mask in zip(per_context, inputs.context_mask)
    ]
    return torch.stack(values).mean()


# One loss function per entry of `REGULARIZERS` (same names: the output fields that report them).
REGULARIZER_LOSSES: dict[str, Callable[[JEPAConfig, RegularizerInputs], torch.Tensor]] = {
    "variance_loss": _per_view(lambda config, view: variance_loss(view)),
    "covariance_loss": _per_view(lambda config, view: covariance_loss(view)),
    "consistency_loss": _per_context_consistency,
    "sigreg_loss": _per_view(lambda config, view: sigreg_loss(view, config.sigreg_num_projections)),
}


class JEPAProjector(nn.Module):
    """MLP with BatchNorm from a pooled embedding to the space where the multi-view terms act (LeJEPA); used only
    by the loss."""

    def __init__(self, config: JEPAConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.projector_hidden_size)
        self.norm = nn.BatchNorm1d(config.projector_hidden_size)
        self.activation = ACT2FN[config.hidden_act]
        self.output = nn.Linear(config.projector_hidden_size, config.projector_dim)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.output(self.activation(self.norm(self.dense(pooled))))


class JEPAForPreTraining(JEPAPreTrainedModel):
    """Context encoder, EMA target encoder and predictor, trained to predict target latents from context tokens
    (`config.objective="masked"`); or, with the multi-view and hybrid objectives, also a projector and augmented views.

    The target encoder gets no gradients: it is updated with [`~JEPAForPreTraining.update_target_encoder`] after
    each optimiser step. It is the encoder to use downstream; `JEPAModel.from_pretrained` on a checkpoint of this
    class returns it.
    """

    def __init__(self, config: JEPAConfig):
        super().__init__(config)
        self.context_encoder = JEPAModel(config)
        self.target_encoder = JEPAModel(config)
        self.predictor = JEPAPredictor(config) if config.objective != "multiview" else None
        self.projector = JEPAProjector(config) if config.objective != "masked" else None
        self.post_init()
        self.target_encoder.load_state_dict(self.context_encoder.state_dict())
        self.target_encoder.requires_grad_(False)

    def get_input_embeddings(self) -> JEPAPatchEmbeddings:
        return self.context_encoder.get_input_embeddings()

    @torch.no_grad()
    def update_target_encoder(self, momentum: float) -> None:
        """EMA step: `target = momentum * target + (1 - momentum) * context`, parameter by parameter. The multi-view
        objective does not read the target encoder: it copies the trained encoder, so that it is the one saved for
        downstream use."""
        if self.config.objective == "multiview":
            momentum = 0.0
        target = list(self.target_encoder.parameters())
        context = list(self.context_encoder.parameters())
        torch._foreach_lerp_(target, context, 1.0 - momentum)

    def prediction_loss(
        self, predictions: torch.Tensor, targets: torch.Tensor, token_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The mean `config.loss_type` distance; with `token_weights` `[rows, tokens]`, each token's distance is
        multiplied by its weight before the mean."""
        loss = {"smooth_l1": F.smooth_l1_loss, "l1": F.l1_loss, "mse": F.mse_loss}[self.config.loss_type]
        if token_weights is None:
            return loss(predictions, targets)
        return (loss(predictions, targets, reduction="none") * token_weights.unsqueeze(-1)).mean()

    def context_distance_weights(self, context_index: torch.Tensor, target_index: torch.Tensor) -> torch.Tensor:
        """`1 / sqrt(d)` for each context token of `[rows, K_context]`, `d` its Euclidean distance in (time, row,
        column) token units to the nearest token of `[rows, K_target]` (at least 1: a token is never closer)."""
        _, height, width = self.config.grid_size

        def coordinates(index: torch.Tensor) -> torch.Tensor:
            return torch.stack([index // (height * width), index // width % height, index % width], dim=-1).float()

        distance = torch.cdist(coordinates(context_index), coordinates(target_index)).amin(-1)
        return distance.clamp(min=1.0).rsqrt()

    def _views_first(self, pixel_values: torch.Tensor, name: str) -> tuple[torch.Tensor, int]:
        """`[batch, views, ...]` → `[views * batch, ...]` (view-major) and the number of views."""
        config = self.config
        sample = f"{config.num_frames} frames, " if config.is_video else ""
        if pixel_values.dim() != (6 if config.is_video else 5):
            raise ValueError(
                f"The {config.objective!r} objective takes {name} of shape [batch, views, {sample}channels, height, "
                f"width], got {tuple(pixel_values.shape)}."
            )
        return pixel_values.transpose(0, 1).flatten(0, 1), pixel_values.shape[1]

    def predicted_levels(self, encoder: JEPAModel, pixel_values: torch.Tensor, **kwargs) -> torch.Tensor:
        """An encoder's output at the levels the predictor reads and predicts: the last `config.pred_num_levels`
        levels concatenated along the channels (the last layer's normed output with one level)."""
        num_levels = self.config.pred_num_levels
        output = encoder(pixel_values, output_levels=num_levels > 1, **kwargs)
        if num_levels == 1:
            return output.last_hidden_state
        return output.level_hidden_states[..., -num_levels * self.config.hidden_size :]

    @torch.no_grad()
    def target_latents(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False) -> torch.Tensor:
        """The target encoder's latents of every token `(batch, tokens, pred_num_levels * hidden_size)`, each level
        layer-normed when `config.normalize_targets`: what the predictor's latents are compared with."""
        latents = self.predicted_levels(
            self.target_encoder, pixel_values, interpolate_pos_encoding=interpolate_pos_encoding
        )
        if not self.config.normalize_targets:
            return latents
        levels = latents.unflatten(-1, (self.config.pred_num_levels, -1))
        return F.layer_norm(levels, levels.shape[-1:]).flatten(-2)

    def masked_prediction(
        self,
        pixel_values: torch.Tensor,
        context_mask: list[torch.Tensor] | None,
        target_mask: list[torch.Tensor] | None,
        interpolate_pos_encoding: bool = False,
        mask_index: int = 0,
        **kwargs: Unpack[TransformersKwargs],
    ) -> dict[str, torch.Tensor]:
        """The masked objective: the predictor's latents of the target tokens, the target encoder's, their distance
        and the context encoder's output; with `config.pred_predict_context`, also the distance of the predicted
        context tokens to the target encoder's (V-JEPA 2.1's dense context loss)."""
        config = self.config
        if context_mask is None or target_mask is None:
            raise ValueError(f"The {config.objective!r} objective needs context_mask and target_mask.")
        if config.prediction_size != config.hidden_size:
            raise ValueError(
                f"This predictor predicts {config.prediction_size}-wide features (a distillation teacher's), but the "
                f"target encoder's are {config.hidden_size} wide: it runs, but cannot be trained against the EMA "
                "target encoder."
            )
        num_contexts, num_targets = len(context_mask), len(target_mask)
        batch_size = pixel_values.shape[0]
        latents = self.target_latents(pixel_values, interpolate_pos_encoding)

        def targets_at(masks: list[torch.Tensor], name: str) -> torch.Tensor:
            """The target latents at each mask's tokens, in the predictor's target-major, context, sample order."""
            _check_masks(masks, name, batch_size, latents.shape[1])
            if name == "context_mask":  # the same context tokens for every target block
                return gather_tokens(latents, masks).repeat(num_targets, 1, 1)
            return _target_major(gather_tokens(latents, masks), num_targets, num_contexts, batch_size)

        with torch.no_grad():
            targets = targets_at(target_mask, "target_mask")
        context = self.predicted_levels(
            self.context_encoder, pixel_values, mask=context_mask, interpolate_pos_encoding=interpolate_pos_encoding
        )
        is_image = self.context_encoder.embeddings.is_image(pixel_values)
        outputs = {"targets": targets, "context_hidden_states": context}
        if config.pred_predict_context:
            predictions, context_predictions = self.predictor(
                context, context_mask, target_mask, mask_index, is_image, return_context=True, **kwargs
            )
            with torch.no_grad():
                context_targets = targets_at(context_mask, "context_mask")
                weights = None
                if config.context_loss_distance_weighting:  # rows in the predictor's target-major order
                    context_index = torch.cat(context_mask).repeat(num_targets, 1)
                    target_index = _target_major(torch.cat(target_mask), num_targets, num_contexts, batch_size)
                    weights = self.context_distance_weights(context_index, target_index)
            outputs["context_loss"] = self.prediction_loss(
                context_predictions, context_targets.to(context_predictions.dtype), weights
            )
        else:
            predictions = self.predictor(context, context_mask, target_mask, mask_index, is_image, **kwargs)
        outputs["predictions"] = predictions
        outputs["prediction_loss"] = self.prediction_loss(predictions, targets.to(predictions.dtype))
        return outputs

    def view_terms(
        self, global_embeddings: torch.Tensor, local_pixel_values: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        """The multi-view terms: `global_embeddings` `[views, batch, hidden]` and the encoded local views go through
        the projector; every view's projection is pulled towards the mean of the global views' projections."""
        embeddings = global_embeddings
        if local_pixel_values is not None:
            local_views, num_local = self._views_first(local_pixel_values, "local_pixel_values")
            local = self.context_encoder(local_views, interpolate_pos_encoding=True).pooler_output
            embeddings = torch.cat([embeddings, local.unflatten(0, (num_local, -1))])
        projections = self.projector(embeddings.flatten(0, 1)).unflatten(0, embeddings.shape[:2])
        centre = projections[: len(global_embeddings)].mean(0)
        return {
            "view_embeddings": embeddings,
            "projections": projections,
            "invariance_loss": (projections - centre).pow(2).mean(),
        }

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor,
        context_mask: list[torch.Tensor] | None = None,
        target_mask: list[torch.Tensor] | None = None,
        local_pixel_values: torch.Tensor | None = None,
        interpolate_pos_encoding: bool = False,
        mask_index: int = 0,
        context_loss_weight: float | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> JEPAForPreTrainingOutput:
        r"""
        pixel_values: images `(batch, channels, height, width)` or clips `(batch, frames, channels, height, width)`;
            with the multi-view and hybrid objectives, the global views of each sample: `(batch, views, channels,
            height, width)` or `(batch, views, frames, channels, height, width)`.
        context_mask (`list[torch.LongTensor]`): `(rows, K_context)` indices of the tokens the context encoder sees;
            rows are the samples, or `views * batch` view-major rows with the hybrid objective.
        target_mask (`list[torch.LongTensor]`): one `(rows, K_target)` tensor per target block to predict.
        local_pixel_values (`torch.FloatTensor`, *optional*): lower-resolution local views `(batch, views, ...)`
            (multi-view and hybrid objectives), encoded with interpolated position embeddings.
        mask_index (`int`): which of the predictor's mask tokens to use (one per masking scheme, as in V-JEPA).
        context_loss_weight (`float`, *optional*): this step's weight of the context loss (V-JEPA 2.1 warms it up);
            defaults to `config.context_loss_weight` (`config.image_context_loss_weight` for images, when set).
        """
        config = self.config
        if config.objective == "masked" and local_pixel_values is not None:
            raise ValueError("local_pixel_values need the 'multiview' or 'hybrid' objective; this model's is masked.")
        num_views = 1
        if config.objective != "masked":
            pixel_values, num_views = self._views_first(pixel_values, "pixel_values")
        outputs, loss = {}, 0.0
        if config.objective != "multiview":
            outputs = self.masked_prediction(
                pixel_values, context_mask, target_mask, interpolate_pos_encoding, mask_index, **kwargs
            )
            loss = outputs["prediction_loss"]
            if "context_loss" in outputs:
                context_loss_weight = self._context_loss_weight(pixel_values, context_loss_weight)
                loss = loss + context_loss_weight * outputs["context_loss"]
        context = outputs.get("context_hidden_states")

        if config.objective == "masked":
            pooled = context if config.regularization_target == "context" else outputs["predictions"]
            pooled = pooled.mean(1).unsqueeze(0)
        else:
            embeddings = self.global_view_embeddings(pixel_values, context, context_mask, num_views)
            outputs.update(self.view_terms(embeddings, local_pixel_values))
            loss = loss + config.invariance_weight * outputs["invariance_loss"]
            pooled = outputs["projections"]

        regularizers = self.regularizer_terms(pooled, context, context_mask)
        for name, value in regularizers.items():
            loss = loss + getattr(config, REGULARIZERS[name]) * value
        return JEPAForPreTrainingOutput(loss=loss, **outputs, **regularizers)

    def _context_loss_weight(self, pixel_values: torch.Tensor, context_loss_weight: float | None) -> float:
        """This step's weight of the context loss: the one passed in, else the config's (its image weight for
        images, when set)."""
        if context_loss_weight is not None:
            return context_loss_weight
        is_image = self.context_encoder.embeddings.is_image(pixel_values)
        if is_image and self.config.image_context_loss_weight is not None:
            return self.config.image_context_loss_weight
        return self.config.context_loss_weight

    def global_view_embeddings(
        self,
        pixel_values: torch.Tensor,
        context_hidden_states: torch.Tensor | None,
        context_mask: list[torch.Tensor] | None,
        num_views: int,
    ) -> torch.Tensor:
        """The pooled embedding of every global view, `[views, batch, hidden]`: with the hybrid objective the pooled
        context of each view averaged over its context masks, with the multi-view objective the context encoder's
        pooled output of the whole view (`pixel_values` view-major, `[views * batch, ...]`)."""
        if self.config.objective == "hybrid":
            embeddings = context_hidden_states.mean(1).unflatten(0, (len(context_mask), -1)).mean(0)
        else:
            embeddings = self.context_encoder(pixel_values).pooler_output
        return embeddings.unflatten(0, (num_views, -1))

    def regularizer_terms(
        self,
        pooled: torch.Tensor,
        context_hidden_states: torch.Tensor | None,
        context_mask: list[torch.Tensor] | None,
    ) -> dict[str, torch.Tensor]:
        """The regularisers with a weight above 0 (`REGULARIZERS`), unweighted, by name: each acts on `pooled`
        `[views, batch, dim]` gathered over the global batch, or on the context encoder's output."""
        inputs = RegularizerInputs(gather_batch(pooled, dim=1), context_hidden_states, context_mask)
        return {
            name: REGULARIZER_LOSSES[name](self.config, inputs)
            for name, weight_name in REGULARIZERS.items()
            if getattr(self.config, weight_name) > 0
        }


class JEPAAttentivePooler(nn.Module):
    """Cross-attention pooling with one learned query (the V-JEPA attentive probe), followed by an MLP."""

    def __init__(self, config: JEPAConfig):
        super().__init__()
        self.query = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.cross_attention = nn.MultiheadAttention(config.hidden_size, config.num_attention_heads, batch_first=True)
        self.layernorm_after = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = JEPAMLP(config, config.hidden_size, config.mlp_ratio)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        query = self.query.expand(hidden_states.shape[0], -1, -1)
        tokens = self.layernorm(hidden_states)
        pooled = query + self.cross_attention(query, tokens, tokens, need_weights=False)[0]
        pooled = pooled + self.mlp(self.layernorm_after(pooled))
        return pooled.squeeze(1)


class JEPAForImageClassification(JEPAPreTrainedModel):
    """JEPA encoder with mean or attentive pooling (`config.classifier_pooling`) and a linear classifier."""

    def __init__(self, config: JEPAConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.target_encoder = JEPAModel(config)
        self.pooler = JEPAAttentivePooler(config) if config.classifier_pooling == "attentive" else None
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        interpolate_pos_encoding: bool = False,
        pixel_values_videos: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> ImageClassifierOutput:
        r"""
        labels (`torch.LongTensor` of shape `(batch,)`, *optional*): class indices for the cross-entropy loss;
            float labels give a regression (`num_labels == 1`) or multi-label loss, as `config.problem_type` says.
        """
        pixel_values = _pixel_input(pixel_values, pixel_values_videos)
        outputs = self.target_encoder(pixel_values, interpolate_pos_encoding=interpolate_pos_encoding, **kwargs)
        if self.pooler is not None:
            pooled = self.pooler(outputs.last_hidden_state)
        else:
            pooled = outputs.pooler_output
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            if (
                self.num_labels > 1
                and not labels.is_floating_point()
                and not 0 <= labels.min() <= labels.max() < self.num_labels
            ):
                # the loss would fail deep inside torch with an index error; name the bad labels instead
                raise ValueError(
                    f"labels must be class indices in [0, {self.num_labels}), got values in "
                    f"[{labels.min().item()}, {labels.max().item()}]."
                )
            loss = self.loss_function(labels, logits, self.config, **kwargs)
        return ImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )


class JEPAForVideoClassification(JEPAForImageClassification):
    """The same head for clips: `pixel_values` of shape `(batch, frames, channels, height, width)`."""

    input_modalities = ("video",)


__all__ = [
    "JEPAForImageClassification",
    "JEPAForPreTraining",
    "JEPAForPreTrainingOutput",
    "JEPAForVideoClassification",
    "JEPAModel",
    "JEPAModelOutput",
    "JEPAPreTrainedModel",
    "JEPAPredictor",
]
