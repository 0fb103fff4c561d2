# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""PyTorch JEPA world model: a frame encoder, action / state encoders and a block-causal latent predictor.

The predictor follows V-JEPA 2-AC: every frame is a block of tokens `[action, state?, extrinsics?, frame
embedding(s)]`, and the
blocks attend causally to each other, so the output at frame `t` predicts the embedding(s) of frame `t + 1` from the
frames up to `t` and the action taken at `t`. The frame index is a rotary embedding and the attention window is
`history_length` frames, so a prediction depends only on the relative position of the frames it sees: teacher
forcing over a whole window and a rollout of any length see exactly what they were trained on. With
`predictor_position_embedding_type="rope"` the patch tokens also turn with their row and column (V-JEPA 2-AC's 3D
rotary embedding); `hf_jepa.convert_world_model` loads the official V-JEPA 2-AC checkpoints into this arrangement.

This file imports only torch, transformers and the flat hf_jepa model files, so that `save_pretrained` ships it as
remote code.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.conversion_mapping import register_checkpoint_conversion_mapping
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs
from transformers.utils.generic import can_return_tuple

from .configuration_jepa import JEPAConfig
from .configuration_world_model import JEPAWorldModelConfig
from .modeling_jepa import (
    QKV_CONVERSIONS,
    JEPALayer,
    JEPAModel,
    rotary_cos_sin,
    sigreg_loss,
    sincos_position_embeddings,
)

# The config field that sizes each kind of per-frame input the predictor may read beside the frames.
_FRAME_INPUT_SIZES = {"states": "state_dim", "extrinsics": "extrinsics_dim"}


def _window(values: torch.Tensor | None, frames: slice) -> torch.Tensor | None:
    """`values[:, frames]` of a per-frame input the model may not have."""
    return None if values is None else values[:, frames]


def block_causal_mask(frame_index: torch.Tensor, window: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive `[1, 1, L, L]` attention mask for tokens labelled with their frame: a token sees every token of its
    own frame and of the `window - 1` frames before it, nothing later."""
    offset = frame_index[:, None] - frame_index[None, :]
    allowed = (offset >= 0) & (offset < window)
    mask = torch.zeros(allowed.shape, dtype=dtype, device=frame_index.device)
    return mask.masked_fill(~allowed, torch.finfo(dtype).min)[None, None]


def patch_position_embeddings(config: JEPAWorldModelConfig) -> torch.Tensor | None:
    """The fixed 2D sin-cos positions `[1, N, predictor_hidden_size]` of a frame's patch tokens; None when pooled or
    when the patches' positions are rotary."""
    if config.embedding_type != "patch" or config.predictor_position_embedding_type != "sincos":
        return None
    return sincos_position_embeddings(config.predictor_hidden_size, config.encoder_config.grid_size)


def predictor_rotary(
    config: JEPAWorldModelConfig,
    num_frames: int,
    num_conditions: int,
    num_tokens: int,
    head_dim: int,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The rotary `(cos, sin)` of `num_frames` blocks `[num_conditions tokens, num_tokens frame tokens]`.

    Every token turns with its frame index. With `predictor_position_embedding_type="rope"` and patch latents, patch
    tokens also turn with their row and column, and the action / state tokens sit at row 0, column 0 of their frame:
    the channels of those axes are left as they are, as V-JEPA 2-AC rotates only the time channels of its action and
    state tokens.
    """
    _, height, width = config.encoder_config.grid_size
    spatial = config.embedding_type == "patch" and config.predictor_position_embedding_type == "rope"
    grid = (num_frames, height, width) if spatial else (num_frames, 1, 1)
    # a token's index in the (frames, rows, columns) grid; a condition token takes its frame's first index
    in_frame = torch.zeros(num_conditions + num_tokens, dtype=torch.long, device=device)
    if spatial:
        in_frame[num_conditions:] = torch.arange(num_tokens, device=device)
    positions = (torch.arange(num_frames, device=device)[:, None] * grid[1] * grid[2] + in_frame).flatten()
    return rotary_cos_sin(positions.unsqueeze(0), grid, head_dim)


class JEPAWorldModelPredictor(nn.Module):
    """Embeds frames, actions and states into the predictor width and predicts every frame's successor.

    Input per frame `t`: its embeddings `[N, D]`, the action taken after it, (optionally) its state, a token of its
    own or concatenated onto every embedding (`config.state_embedding`), and (optionally) its camera extrinsics, a
    token of their own. Output per frame: the predicted
    embeddings `[N, D]` of frame `t + 1` and, with a state head (`config.predicts_states`), the predicted state of
    frame `t + 1`, read from the state token or, with concatenated states, from the mean of the frame's tokens.
    """

    def __init__(self, config: JEPAWorldModelConfig):
        super().__init__()
        self.config = config
        width, encoder_width = config.predictor_hidden_size, config.latent_size
        self.frame_embed = nn.Linear(encoder_width + config.concatenated_state_size, width)
        self.action_embed = nn.Linear(config.action_dim, width)
        self.state_embed = nn.Linear(config.state_dim, width) if config.state_token else None
        self.extrinsics_embed = nn.Linear(config.extrinsics_dim, width) if config.extrinsics_dim else None
        self.register_buffer("position_embeddings", patch_position_embeddings(config), persistent=False)
        heads, mlp_ratio = config.predictor_num_attention_heads, config.predictor_mlp_ratio
        self.layers = nn.ModuleList(
            JEPALayer(config, width, heads, mlp_ratio) for _ in range(config.predictor_num_hidden_layers)
        )
        self.layernorm = nn.LayerNorm(width, eps=config.layer_norm_eps)
        self.proj = nn.Linear(width, encoder_width)
        self.state_proj = nn.Linear(width, config.state_dim) if config.predicts_states else None

    def forward(
        self,
        embeddings: torch.Tensor,
        actions: torch.Tensor,
        states: torch.Tensor | None = None,
        extrinsics: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """
        Args:
            embeddings: `[B, T, N, D]` frame embeddings.
            actions: `[B, T, A]` normalised actions, the one taken after each frame.
            states: `[B, T, S]` normalised states, required when `config.state_dim > 0`.
            extrinsics: `[B, T, E]` camera extrinsics, required when `config.extrinsics_dim > 0`.

        Returns:
            `[B, T, N, D]` predicted embeddings of the next frames, and `[B, T, S]` predicted next states (or None).
        """
        batch_size, num_frames, num_tokens, _ = embeddings.shape
        if self.config.concatenated_state_size:
            per_token = states.to(embeddings.dtype)[:, :, None].expand(-1, -1, num_tokens, -1)
            embeddings = torch.cat([embeddings, per_token], dim=-1)
        frames = self.frame_embed(embeddings)
        if self.position_embeddings is not None:
            frames = frames + self.position_embeddings.to(frames.dtype)
        conditions = self._condition_tokens(actions, states, extrinsics, frames.dtype)
        tokens = torch.cat([*conditions, frames], dim=2)  # [B, T, K, width], K = conditions + N
        tokens_per_frame = tokens.shape[2]

        frame_index = torch.arange(num_frames, device=tokens.device).repeat_interleave(tokens_per_frame)
        attention_mask = block_causal_mask(frame_index, self.config.history_length, tokens.dtype)
        head_dim = self.layers[0].attention.head_dim
        num_conditions = tokens_per_frame - num_tokens
        rotary = predictor_rotary(self.config, num_frames, num_conditions, num_tokens, head_dim, tokens.device)
        hidden_states = tokens.flatten(1, 2)
        for layer in self.layers:
            hidden_states = layer(hidden_states, position_embeddings=rotary, attention_mask=attention_mask, **kwargs)
        hidden_states = self.layernorm(hidden_states).unflatten(1, (num_frames, tokens_per_frame))

        frame_states = hidden_states[:, :, num_conditions:]
        predicted = self.proj(frame_states)
        if self.config.normalize_latents:
            predicted = F.layer_norm(predicted, predicted.shape[-1:])
        predicted_states = None
        if self.state_proj is not None:
            # the state token follows the action token; concatenated states are read back from the frame's tokens
            state_source = hidden_states[:, :, 1] if self.state_embed is not None else frame_states.mean(2)
            predicted_states = self.state_proj(state_source)
        return predicted, predicted_states

    def _condition_tokens(
        self, actions: torch.Tensor, states: torch.Tensor | None, extrinsics: torch.Tensor | None, dtype: torch.dtype
    ) -> list[torch.Tensor]:
        """The tokens `[B, T, 1, width]` that open each frame's block: the action's, then the state's and the
        extrinsics' where the model reads them as tokens (V-JEPA 2-AC's order)."""
        tokens = [self.action_embed(actions.to(dtype))]
        if self.state_embed is not None:
            tokens.append(self.state_embed(states.to(dtype)))
        if self.extrinsics_embed is not None:
            tokens.append(self.extrinsics_embed(extrinsics.to(dtype)))
        return [token.unsqueeze(2) for token in tokens]


class SIGRegProjector(nn.Module):
    """LeWorldModel's projector: Linear, BatchNorm, GELU, Linear from a frame's pooled embedding to the space where
    SIGReg pushes the batch towards an isotropic Gaussian. Only the loss uses it, unless `config.project_latents`
    makes its output the latent that the predictor reads and predicts."""

    def __init__(self, config: JEPAWorldModelConfig):
        super().__init__()
        size = config.sigreg_projector_size
        self.fc1 = nn.Linear(config.encoder_config.hidden_size, size)
        self.norm = nn.BatchNorm1d(size)
        self.fc2 = nn.Linear(size, size)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.norm(self.fc1(embeddings))))


@dataclass
class JEPAWorldModelOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor`): teacher-forcing + rollout (+ state) losses, plus the weighted SIGReg term.
    teacher_forcing_loss (`torch.FloatTensor`): distance between the predicted and the encoded embeddings of frames
        1..T-1, each predicted from the real frames before it.
    rollout_loss (`torch.FloatTensor`): the same for the `rollout_steps` frames after the history, predicted
        autoregressively from the first `history_length` frames; 0 when `rollout_steps == 0`.
    state_loss (`torch.FloatTensor`, *optional*): teacher-forced next-state loss, when the model has states.
    sigreg_loss (`torch.FloatTensor`, *optional*): unweighted SIGReg on the frame embeddings (or on their projection
        with `sigreg_projector_size > 0`), when the encoder trains end to end and `sigreg_weight > 0`.
    predicted_embeddings (`torch.FloatTensor` of shape `(batch, frames - 1, tokens, hidden_size)`): the
        teacher-forced predictions of frames 1..T-1.
    target_embeddings (`torch.FloatTensor`, same shape): the encoder's embeddings of frames 1..T-1.
    rollout_embeddings (`torch.FloatTensor` of shape `(batch, rollout_steps, tokens, hidden_size)`, *optional*).
    """

    loss: torch.FloatTensor | None = None
    teacher_forcing_loss: torch.FloatTensor | None = None
    rollout_loss: torch.FloatTensor | None = None
    state_loss: torch.FloatTensor | None = None
    sigreg_loss: torch.FloatTensor | None = None
    predicted_embeddings: torch.FloatTensor | None = None
    target_embeddings: torch.FloatTensor | None = None
    rollout_embeddings: torch.FloatTensor | None = None


# the predictor's attention fuses query, key and value as the encoder's does; checkpoints keep them apart
register_checkpoint_conversion_mapping(JEPAWorldModelConfig.model_type, QKV_CONVERSIONS, overwrite=True)


class JEPAWorldModelPreTrainedModel(PreTrainedModel):
    config: JEPAWorldModelConfig
    config_class = JEPAWorldModelConfig
    base_model_prefix = "world_model"
    main_input_name = "pixel_values"
    input_modalities = ("video",)
    supports_gradient_checkpointing = True
    _no_split_modules = ["JEPAEmbeddings", "JEPALayer"]
    _supports_sdpa = True
    _supports_flash_attn = False  # the block-causal mask is an arbitrary additive mask
    _supports_flex_attn = True
    _supports_attention_backend = True

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Linear):
            init.trunc_normal_(module.weight, std=self.config.initializer_range)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, (nn.LayerNorm, nn.BatchNorm1d)):
            init.ones_(module.weight)
            init.zeros_(module.bias)
        elif isinstance(module, JEPAWorldModelPredictor) and module.position_embeddings is not None:
            # a buffer, not saved: loading builds the model on the meta device and fills it here
            init.copy_(module.position_embeddings, patch_position_embeddings(self.config))


class JEPAWorldModel(JEPAWorldModelPreTrainedModel):
    """Action-conditioned latent world model: `encoder` (a [`JEPAModel`]) embeds frames, `predictor` predicts the
    next frame's embeddings from a history of embeddings and the actions.

    Use [`~JEPAWorldModel.encode`] and [`~JEPAWorldModel.rollout`] to plan (see `hf_jepa.planning`), `forward` to
    train. Actions and states are given normalised; `normalize_actions` applies the statistics saved in the config.
    """

    def __init__(self, config: JEPAWorldModelConfig):
        super().__init__(config)
        self.encoder = JEPAModel(config.encoder_config)
        self.predictor = JEPAWorldModelPredictor(config)
        self.sigreg_projector = SIGRegProjector(config) if config.uses_sigreg_projector else None
        self.post_init()
        self.freeze_encoder_if_configured()

    @classmethod
    def from_pretrained(cls, *args, **kwargs) -> "JEPAWorldModel":
        loaded = super().from_pretrained(*args, **kwargs)
        model = loaded[0] if kwargs.get("output_loading_info") else loaded
        # loading gives every parameter `requires_grad=True` again
        model.freeze_encoder_if_configured()
        return loaded

    @classmethod
    def from_pretrained_encoder(
        cls, encoder_name_or_path: str, freeze_encoder: bool = True, **config_kwargs
    ) -> "JEPAWorldModel":
        """A world model whose frame encoder is a pretrained hf_jepa encoder: a `JEPAModel` checkpoint, or the EMA
        target encoder of a `JEPAForPreTraining` one. `config_kwargs` are the other `JEPAWorldModelConfig` fields."""
        encoder = JEPAModel.from_pretrained(encoder_name_or_path)
        encoder_config = JEPAConfig(**encoder.config.to_dict())
        config = JEPAWorldModelConfig(encoder_config=encoder_config, freeze_encoder=freeze_encoder, **config_kwargs)
        model = cls(config)
        model.encoder.load_state_dict(encoder.state_dict())
        return model

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.get_input_embeddings()

    def freeze_encoder_if_configured(self) -> None:
        """With `config.freeze_encoder`, the encoder takes no gradients and stays in eval mode."""
        if self.config.freeze_encoder:
            self.encoder.requires_grad_(False)
            self.encoder.eval()

    def train(self, mode: bool = True) -> "JEPAWorldModel":
        super().train(mode)
        self.freeze_encoder_if_configured()
        return self

    def _normalize(self, values: torch.Tensor, kind: str, inverse: bool = False) -> torch.Tensor:
        mean, std = getattr(self.config, f"{kind}_mean"), getattr(self.config, f"{kind}_std")
        if mean is None or std is None:
            return values
        mean = torch.tensor(mean, dtype=values.dtype, device=values.device)
        std = torch.tensor(std, dtype=values.dtype, device=values.device)
        return values * std + mean if inverse else (values - mean) / std

    def normalize_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """Environment actions -> the model's normalised actions (identity without saved statistics)."""
        return self._normalize(actions, "action")

    def denormalize_actions(self, actions: torch.Tensor) -> torch.Tensor:
        return self._normalize(actions, "action", inverse=True)

    def normalize_states(self, states: torch.Tensor) -> torch.Tensor:
        return self._normalize(states, "state")

    def _check_pixels(self, pixel_values: torch.Tensor) -> None:
        encoder = self.config.encoder_config
        expected = (encoder.num_channels, encoder.image_size, encoder.image_size)
        if pixel_values.dim() != 5 or tuple(pixel_values.shape[2:]) != expected:
            raise ValueError(
                f"pixel_values must have shape [batch, frames, {expected[0]}, {expected[1]}, {expected[2]}] "
                f"(the encoder's num_channels and image_size), got {tuple(pixel_values.shape)}."
            )

    def _check_actions(self, actions: torch.Tensor, name: str, batch_size: int, steps: int | None = None) -> None:
        expected_steps = "steps" if steps is None else steps
        if (
            actions.dim() != 3
            or actions.shape[0] != batch_size
            or actions.shape[-1] != self.config.action_dim
            or (steps is not None and actions.shape[1] != steps)
        ):
            raise ValueError(
                f"{name} must have shape [batch={batch_size}, {expected_steps}, action_dim={self.config.action_dim}], "
                f"got {tuple(actions.shape)}."
            )

    def _check_frame_inputs(
        self, values: torch.Tensor | None, name: str, kind: str, batch_size: int, steps: int
    ) -> None:
        """Per-frame inputs of a `kind` (states or extrinsics) are `[batch, steps, size]` where the model reads them
        and absent where it does not."""
        size_name = _FRAME_INPUT_SIZES[kind]
        size = getattr(self.config, size_name)
        if not size:
            if values is not None:
                raise ValueError(f"{name} were given but the model has {size_name}=0.")
            return
        expected = (batch_size, steps, size)
        if values is None or tuple(values.shape) != expected:
            got = None if values is None else tuple(values.shape)
            raise ValueError(f"{name} must have shape {list(expected)} ({size_name}={size}), got {got}.")

    def encode(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Frame embeddings `[B, T, N, D]` of clips `[B, T, C, H, W]`; N is 1 for pooled embeddings, else the number
        of patches. Each frame is encoded on its own; a video encoder of one tubelet sees it repeated into the tubelet
        (V-JEPA 2-AC). No gradient reaches a frozen encoder."""
        self._check_pixels(pixel_values)
        batch_size, num_frames = pixel_values.shape[:2]
        frames = pixel_values.flatten(0, 1)
        encoder = self.config.encoder_config
        if encoder.is_video:
            frames = frames.unsqueeze(1).expand(-1, encoder.tubelet_size, -1, -1, -1)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.config.freeze_encoder):
            hidden_states = self.encoder(frames).last_hidden_state
        if self.config.embedding_type == "pooled":
            hidden_states = hidden_states.mean(1, keepdim=True)
        if self.config.projects_latents:
            hidden_states = self.sigreg_projector(hidden_states.flatten(0, 1)).unflatten(0, hidden_states.shape[:2])
        if self.config.normalize_latents:
            hidden_states = F.layer_norm(hidden_states, hidden_states.shape[-1:])
        return hidden_states.unflatten(0, (batch_size, num_frames))

    def rollout(
        self,
        history_embeddings: torch.Tensor,
        actions: torch.Tensor,
        history_actions: torch.Tensor | None = None,
        history_states: torch.Tensor | None = None,
        future_states: torch.Tensor | None = None,
        history_extrinsics: torch.Tensor | None = None,
        future_extrinsics: torch.Tensor | None = None,
        return_states: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Predicts `H` future frame embeddings autoregressively, one predictor pass per step.

        Args:
            history_embeddings: `[B, h, N, D]` embeddings of the last `h >= 1` observed frames (from `encode`).
            actions: `[B, H, A]` normalised actions, the first one taken at the last history frame.
            history_actions: `[B, h - 1, A]` the normalised actions taken between the history frames; required
                when `h > 1`.
            history_states: `[B, h, S]` normalised states of the history frames, required when the model has states.
            future_states: `[B, H - 1, S]` normalised states of the predicted frames but the last, which the later
                steps read; required for `H > 1` when the model has states it does not predict
                (`predict_states=False`, as V-JEPA 2-AC, whose planner computes them from the actions).
            history_extrinsics / future_extrinsics: the same for camera extrinsics (`[B, h, E]`, `[B, H - 1, E]`),
                required when the model reads them (`extrinsics_dim > 0`).
            return_states: Also return the predicted states `[B, H, S]` of the next `H` frames (a model that
                predicts its states: `state_dim > 0` and `predict_states=True`).

        Returns:
            `[B, H, N, D]` predicted embeddings of the next `H` frames (and their states with `return_states`). `B`
            can be a whole planning population.
        """
        batch_size, history = history_embeddings.shape[:2]
        if return_states and not self.config.predicts_states:
            raise ValueError("return_states needs a model that predicts its states (state_dim > 0, predict_states).")
        all_actions = self._rollout_actions(actions, history_actions, batch_size, history)
        steps = actions.shape[1]
        states = self._rollout_states(history_states, future_states, batch_size, history, steps)
        extrinsics = self._given_frame_inputs(
            history_extrinsics, future_extrinsics, "extrinsics", batch_size, history, steps
        )
        embeddings = history_embeddings
        for _ in range(steps):
            frames = slice(max(0, embeddings.shape[1] - self.config.history_length), embeddings.shape[1])
            predicted, predicted_states = self.predictor(
                embeddings[:, frames], all_actions[:, frames], _window(states, frames), _window(extrinsics, frames)
            )
            embeddings = torch.cat([embeddings, predicted[:, -1:]], dim=1)
            if predicted_states is not None:
                states = torch.cat([states, predicted_states[:, -1:]], dim=1)
        if return_states:
            return embeddings[:, history:], states[:, history:]
        return embeddings[:, history:]

    def _rollout_actions(
        self, actions: torch.Tensor, history_actions: torch.Tensor | None, batch_size: int, history: int
    ) -> torch.Tensor:
        """The actions of a rollout's frames: those taken between the history frames, then the planned ones."""
        self._check_actions(actions, "actions", batch_size)
        if history_actions is None:
            if history > 1:
                raise ValueError(
                    f"history_actions ([batch, {history - 1}, {self.config.action_dim}]) are required with "
                    f"{history} history frames: each frame is predicted from the action taken before it."
                )
            history_actions = actions[:, :0]
        self._check_actions(history_actions, "history_actions", batch_size, history - 1)
        return torch.cat([history_actions, actions.to(history_actions.dtype)], dim=1)

    def _rollout_states(
        self,
        history_states: torch.Tensor | None,
        future_states: torch.Tensor | None,
        batch_size: int,
        history: int,
        steps: int,
    ) -> torch.Tensor | None:
        """The states a rollout starts with: the history's, followed by the given states of the predicted frames
        when the model does not predict them itself."""
        if self.config.state_dim and not self.config.predicts_states:
            return self._given_frame_inputs(history_states, future_states, "states", batch_size, history, steps)
        self._check_frame_inputs(history_states, "history_states", "states", batch_size, history)
        if future_states is not None:
            raise ValueError("future_states are read only by models with states they do not predict.")
        return history_states

    def _given_frame_inputs(
        self,
        history_values: torch.Tensor | None,
        future_values: torch.Tensor | None,
        kind: str,
        batch_size: int,
        history: int,
        steps: int,
    ) -> torch.Tensor | None:
        """Per-frame inputs of a `kind` that the caller gives for a whole rollout: the history frames', then those
        of the predicted frames but the last (none needed for one step). None for a model that reads none."""
        self._check_frame_inputs(history_values, f"history_{kind}", kind, batch_size, history)
        if history_values is not None and future_values is None and steps == 1:
            future_values = history_values[:, :0]
        self._check_frame_inputs(future_values, f"future_{kind}", kind, batch_size, steps - 1)
        if history_values is None:
            return None
        return torch.cat([history_values, future_values.to(history_values.dtype)], dim=1)

    def latent_loss(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """`config.loss_type` between predictions and targets."""
        target = target.to(predicted.dtype)
        return F.l1_loss(predicted, target) if self.config.loss_type == "l1" else F.mse_loss(predicted, target)

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor,
        actions: torch.Tensor,
        states: torch.Tensor | None = None,
        extrinsics: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> JEPAWorldModelOutput:
        r"""
        pixel_values (`torch.FloatTensor` of shape `(batch, frames, channels, height, width)`): a window of at least
            `min_frames` (the rollout's start + `max(rollout_steps, 1)`) consecutive frames.
        actions (`torch.FloatTensor` of shape `(batch, frames - 1, action_dim)`): normalised actions; `actions[:, t]`
            leads from frame `t` to frame `t + 1`.
        states (`torch.FloatTensor` of shape `(batch, frames, state_dim)`, *optional*): normalised states, required
            when `config.state_dim > 0`.
        extrinsics (`torch.FloatTensor` of shape `(batch, frames, extrinsics_dim)`, *optional*): camera extrinsics,
            required when `config.extrinsics_dim > 0`.
        """
        self._check_training_window(pixel_values, actions, states, extrinsics)
        embeddings = self.encode(pixel_values)
        targets = embeddings[:, 1:]
        context = slice(0, -1)
        predicted, predicted_states = self.predictor(
            embeddings[:, context], actions, _window(states, context), _window(extrinsics, context), **kwargs
        )
        teacher_forcing_loss = self.latent_loss(predicted, targets)
        rolled, rollout_loss = None, teacher_forcing_loss.new_zeros(())
        if self.config.rollout_steps > 0:
            rolled, rollout_loss = self._rollout_loss(embeddings, actions, states, extrinsics)
        state_loss = None if predicted_states is None else self.latent_loss(predicted_states, states[:, 1:])
        regularization = self._sigreg_loss(embeddings)

        loss = teacher_forcing_loss + rollout_loss
        if state_loss is not None:
            loss = loss + state_loss
        if regularization is not None:
            loss = loss + self.config.sigreg_weight * regularization
        return JEPAWorldModelOutput(
            loss=loss,
            teacher_forcing_loss=teacher_forcing_loss,
            rollout_loss=rollout_loss,
            state_loss=state_loss,
            sigreg_loss=regularization,
            predicted_embeddings=predicted,
            target_embeddings=targets,
            rollout_embeddings=rolled,
        )

    def _check_training_window(
        self,
        pixel_values: torch.Tensor,
        actions: torch.Tensor,
        states: torch.Tensor | None,
        extrinsics: torch.Tensor | None,
    ) -> None:
        config = self.config
        self._check_pixels(pixel_values)
        batch_size, num_frames = pixel_values.shape[:2]
        if num_frames < config.min_frames:
            start_name = "history_length" if config.rollout_history is None else "rollout_history"
            raise ValueError(
                f"pixel_values has {num_frames} frames, fewer than {start_name} ({config.rollout_start}) + "
                f"rollout_steps ({config.rollout_steps}) = {config.min_frames} that a training window needs."
            )
        self._check_actions(actions, "actions", batch_size, num_frames - 1)
        self._check_frame_inputs(states, "states", "states", batch_size, num_frames)
        self._check_frame_inputs(extrinsics, "extrinsics", "extrinsics", batch_size, num_frames)

    def _rollout_loss(
        self,
        embeddings: torch.Tensor,
        actions: torch.Tensor,
        states: torch.Tensor | None,
        extrinsics: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The `rollout_steps` frames after the first `rollout_start`, predicted autoregressively, and their loss. A
        model that does not predict its states rolls out with the recorded ones, as V-JEPA 2-AC trains."""
        history, steps = self.config.rollout_start, self.config.rollout_steps
        future = slice(history, history + steps - 1)
        rolled = self.rollout(
            embeddings[:, :history],
            actions[:, history - 1 : history - 1 + steps],
            history_actions=actions[:, : history - 1],
            history_states=_window(states, slice(0, history)),
            future_states=None if self.config.predicts_states else _window(states, future),
            history_extrinsics=_window(extrinsics, slice(0, history)),
            future_extrinsics=_window(extrinsics, future),
        )
        return rolled, self.latent_loss(rolled, embeddings[:, history : history + steps])

    def _sigreg_loss(self, embeddings: torch.Tensor) -> torch.Tensor | None:
        """Unweighted SIGReg on the frames' pooled embeddings (or on their projection), when the encoder trains end
        to end with it."""
        config = self.config
        if config.freeze_encoder or config.sigreg_weight <= 0:
            return None
        pooled = embeddings.mean(2).flatten(0, 1)
        if self.sigreg_projector is not None and not config.projects_latents:
            pooled = self.sigreg_projector(pooled)
        return sigreg_loss(pooled, config.sigreg_num_projections)


__all__ = [
    "JEPAWorldModel",
    "JEPAWorldModelOutput",
    "JEPAWorldModelPreTrainedModel",
    "JEPAWorldModelPredictor",
    "SIGRegProjector",
]
