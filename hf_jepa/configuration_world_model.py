# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA world-model configuration: a frame encoder (a `JEPAConfig`) plus an action-conditioned latent predictor."""

from transformers import PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .configuration_jepa import JEPA_PRESETS, JEPAConfig

EMBEDDING_TYPES = ("pooled", "patch")
PREDICTOR_POSITION_TYPES = ("sincos", "rope")
STATE_EMBEDDING_TYPES = ("token", "concat")
WORLD_MODEL_LOSS_TYPES = ("mse", "l1")


def _invalid(message: str) -> None:
    raise ValueError(f"Invalid JEPAWorldModelConfig: {message}")


class JEPAWorldModelConfig(PreTrainedConfig):
    r"""
    Configuration of a [`JEPAWorldModel`]: a frame encoder that embeds every frame, an action (and optional
    proprioceptive-state) encoder, and a predictor with block-causal attention over a history of frame embeddings
    that predicts the next frame's embedding(s) from the actions. Trained with a teacher-forced next-embedding loss
    plus a short autoregressive rollout loss (V-JEPA 2-AC), in the encoder's latent space.

    V-JEPA 2-AC's own arrangement is a choice of settings (what `hf_jepa.convert_world_model` writes for its
    checkpoints): `embedding_type="patch"`, `state_dim=7`, `predictor_position_embedding_type="rope"`,
    `predict_states=False`, `normalize_latents=True`, `rollout_history=1`, `loss_type="l1"`, a frozen V-JEPA 2 video
    encoder of one 2-frame tubelet, and `extrinsics_dim=6` for a predictor trained with camera extrinsics.

    The defaults describe the small end-to-end model of LeWorldModel's recipe at the scale of a CPU: the `tiny`
    hf_jepa encoder (32 px, 8x8 patches of 4 px, 192 wide), one pooled latent per frame, a 6-layer predictor of
    width 192 seeing 3 frames, trained end to end with SIGReg against collapse (on the output of a BatchNorm
    projector, weight 0.09, 1024 projections, as LeWorldModel).

    Args:
        encoder_config (`JEPAConfig` or `dict`): The frame encoder, which encodes one frame at a time: an image
            encoder (`num_frames == 1`), or a video encoder of one tubelet (`num_frames == tubelet_size`) that sees
            each frame repeated into its tubelet, as V-JEPA 2-AC's frozen encoder does.
        action_dim (`int`): Size of one action.
        state_dim (`int`): Size of the proprioceptive state fed beside each frame; 0 for none.
        state_embedding (`str`): How the predictor reads a frame's state. `"token"` (V-JEPA 2-AC): a token of its
            own beside the action token. `"concat"` (DINO-WM): the normalised state is concatenated onto every latent
            of its frame (each patch, or the pooled latent) before the predictor's input projection, which then
            embeds both together (DINO-WM's linear state encoder followed by that projection is one linear map).
            Only read when `state_dim > 0`.
        extrinsics_dim (`int`): Size of the camera extrinsics fed beside each frame as a token of their own, after
            the action and state tokens (V-JEPA 2-AC's `use_extrinsics`); 0 for none. Extrinsics are inputs only:
            rollouts take those of the predicted frames from the caller (`future_extrinsics`).
        history_length (`int`): Frames the predictor sees: each frame attends to itself and the `history_length - 1`
            frames before it (a sliding block-causal window, so rollouts of any length see what training saw).
            Also the frames the rollout loss starts from, unless `rollout_history` says otherwise.
        embedding_type (`str`): `"pooled"`: one latent per frame (the mean of the encoder's tokens);
            `"patch"`: the encoder's patch tokens, one block of tokens per frame (DINO-WM's choice for Push-T).
        predictor_hidden_size (`int`): Width of the predictor.
        predictor_num_hidden_layers (`int`): Depth of the predictor.
        predictor_num_attention_heads (`int`): Attention heads of the predictor (at least 6 channels per head: the
            frame index is a rotary embedding).
        predictor_mlp_ratio (`float`): Width of the predictor's MLPs relative to its hidden size.
        predictor_position_embedding_type (`str`): How the predictor tells its tokens apart. `"sincos"`: every token
            turns with its frame index (a rotary embedding) and patch tokens add a fixed 2D sin-cos table.
            `"rope"` (V-JEPA 2-AC): V-JEPA 2's 3D rotary embedding, patch tokens turning with their frame, row and
            column, the action and state tokens with their frame only; no table.
        predict_states (`bool`): Whether the predictor also predicts each next state (a state head, a state loss,
            and rollouts that feed the predicted states back). False (V-JEPA 2-AC): states are inputs only, and a
            rollout of more than one step takes the states of the predicted frames from the caller
            (`future_states`; the recorded ones in training). Only read when `state_dim > 0`.
        normalize_latents (`bool`): The latents are layer-normed without affine parameters: the encoder's
            embeddings and the predictor's outputs alike (V-JEPA 2-AC's `normalize_reps`).
        loss_type (`str`): `"mse"` (LeWorldModel) or `"l1"` (V-JEPA 2-AC) between predicted and target embeddings.
        rollout_steps (`int`): Autoregressive steps of the rollout loss after the history (2 as in V-JEPA 2-AC);
            0 trains with teacher forcing only.
        rollout_history (`int`, *optional*): Frames the rollout loss starts from (1 in V-JEPA 2-AC, whose rollout
            starts from the first frame and repeats its first teacher-forced step); None: `history_length`. At most
            `history_length`.
        freeze_encoder (`bool`): True: the encoder is a frozen pretrained one (V-JEPA 2-AC / DINO-WM) and the targets
            carry no gradient. False: the encoder trains end to end with the predictor, and SIGReg on the frame
            embeddings prevents collapse (LeWorldModel), the choice for small data and no pretrained encoder.
        sigreg_weight (`float`): Weight of SIGReg when the encoder trains end to end (0 disables it).
        sigreg_num_projections (`int`): Random 1-D projections used by SIGReg.
        sigreg_projector_size (`int`): Width of a projector (Linear, BatchNorm, GELU, Linear) that maps each frame's
            pooled embedding to the space SIGReg acts on, as LeWorldModel does; only the loss uses it (the model has
            one only where something reads it: `uses_sigreg_projector`). 0: SIGReg acts on the embeddings themselves,
            which measurably collapses on TwoRoom (effective rank ~9 instead of ~34, prediction worse than copying
            the last latent; results/world_model_two_room.md).
        project_latents (`bool`): The projector's output is the latent itself (LeWorldModel): the predictor reads and
            predicts it, planning compares it with the goal's, and SIGReg acts on it, so that its scale cannot
            shrink under the prediction loss. False: the projector serves the loss only; on TwoRoom the embeddings'
            spread then shrinks over a long run, copying the last latent beats the prediction and planning fails
            (results/world_model_two_room.md). Needs `sigreg_projector_size > 0`; ignored with a frozen encoder.
        initializer_range (`float`): Standard deviation of the truncated normal initialisation of the predictor.
        action_mean / action_std (`list[float]`, *optional*): Normalisation statistics of the actions, saved with
            the model: the model takes normalised actions, planners convert with `normalize_actions`.
        state_mean / state_std (`list[float]`, *optional*): The same for the states.
        env_id (`str`, *optional*): The Gymnasium id of the environment the model was trained in (e.g.
            `"hf_jepa/TwoRoom-v0"`), set by world-model training from the episodes that name one; planning
            (`hf_jepa.rollouts.model_environment`) builds it. None: not recorded.
        env_kwargs (`dict`, *optional*): Its `gymnasium.make` arguments.
    """

    model_type = "jepa_world_model"
    sub_configs_defaults = {
        "encoder_config": SubConfigSpec(config_class=JEPAConfig, init_kwargs=dict(JEPA_PRESETS["tiny"])),
    }

    encoder_config: dict | JEPAConfig | None = None
    action_dim: int = 2
    state_dim: int = 0
    state_embedding: str = "token"
    extrinsics_dim: int = 0
    history_length: int = 3
    embedding_type: str = "pooled"
    predictor_hidden_size: int = 192
    predictor_num_hidden_layers: int = 6
    predictor_num_attention_heads: int = 4
    predictor_mlp_ratio: float = 4.0
    predictor_position_embedding_type: str = "sincos"
    predict_states: bool = True
    normalize_latents: bool = False
    loss_type: str = "mse"
    rollout_steps: int = 2
    rollout_history: int | None = None
    freeze_encoder: bool = False
    sigreg_weight: float = 0.09
    sigreg_num_projections: int = 1024
    sigreg_projector_size: int = 256
    project_latents: bool = True
    initializer_range: float = 0.02
    action_mean: list[float] | None = None
    action_std: list[float] | None = None
    state_mean: list[float] | None = None
    state_std: list[float] | None = None
    env_id: str | None = None
    env_kwargs: dict | None = None

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self._check_values()

    # The predictor's transformer blocks are hf_jepa's; these settings they read come from the encoder.
    @property
    def qkv_bias(self) -> bool:
        return self.encoder_config.qkv_bias

    @property
    def hidden_act(self) -> str:
        return self.encoder_config.hidden_act

    @property
    def layer_norm_eps(self) -> float:
        return self.encoder_config.layer_norm_eps

    @property
    def hidden_dropout_prob(self) -> float:
        return self.encoder_config.hidden_dropout_prob

    @property
    def attention_probs_dropout_prob(self) -> float:
        return self.encoder_config.attention_probs_dropout_prob

    @property
    def projects_latents(self) -> bool:
        """Whether the projector's output is the latent: `project_latents` with an encoder trained end to end (a
        frozen encoder's own embeddings are the latents, and no SIGReg is needed)."""
        return self.project_latents and not self.freeze_encoder

    @property
    def uses_sigreg_projector(self) -> bool:
        """Whether the model has the projector: it makes the latents, or SIGReg on an encoder trained end to end acts
        on its output. A projector that nothing reads would get no gradient, which data-parallel training refuses."""
        trains_with_sigreg = not self.freeze_encoder and self.sigreg_weight > 0
        return self.sigreg_projector_size > 0 and (self.projects_latents or trains_with_sigreg)

    @property
    def latent_size(self) -> int:
        """Width of a frame's latent: the projector's when it projects the latents, else the encoder's."""
        return self.sigreg_projector_size if self.projects_latents else self.encoder_config.hidden_size

    @property
    def tokens_per_frame(self) -> int:
        """Embeddings per frame: 1 when pooled, the encoder's patches otherwise."""
        return 1 if self.embedding_type == "pooled" else self.encoder_config.num_patches

    @property
    def predicts_states(self) -> bool:
        """Whether the predictor has a state head: the model has states and `predict_states`."""
        return self.state_dim > 0 and self.predict_states

    @property
    def state_token(self) -> bool:
        """Whether each frame's block has a state token: the model has states, embedded as a token."""
        return self.state_dim > 0 and self.state_embedding == "token"

    @property
    def concatenated_state_size(self) -> int:
        """Channels concatenated onto every latent before the predictor's input projection: the state's with
        `state_embedding="concat"`, else 0."""
        return self.state_dim if self.state_embedding == "concat" else 0

    @property
    def rollout_start(self) -> int:
        """Frames the rollout loss starts from: `rollout_history`, else `history_length`."""
        return self.history_length if self.rollout_history is None else self.rollout_history

    @property
    def min_frames(self) -> int:
        """Frames a training window needs: the rollout's start plus its steps (at least one frame to predict)."""
        return self.rollout_start + max(self.rollout_steps, 1)

    def _check_values(self) -> None:
        self._check_encoder()
        self._check_sizes()
        self._check_choices()
        self._check_predictor()
        self._check_training()
        self._check_statistics()

    def _check_encoder(self) -> None:
        encoder = self.encoder_config
        if encoder.num_frames not in (1, encoder.tubelet_size):
            _invalid(
                "encoder_config must encode one frame at a time: an image encoder (num_frames 1) or a video encoder "
                "of one tubelet (num_frames == tubelet_size, each frame repeated into it), got num_frames "
                f"{encoder.num_frames} with tubelet_size {encoder.tubelet_size}."
            )

    def _check_sizes(self) -> None:
        for name in (
            "action_dim",
            "history_length",
            "predictor_hidden_size",
            "predictor_num_hidden_layers",
            "predictor_num_attention_heads",
            "sigreg_num_projections",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                _invalid(f"{name} must be a positive integer, got {value!r}.")
        for name in ("state_dim", "extrinsics_dim", "rollout_steps", "sigreg_projector_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                _invalid(f"{name} must be a non-negative integer, got {value!r}.")
        if self.project_latents and not self.sigreg_projector_size:
            _invalid("project_latents needs sigreg_projector_size > 0 (the projector's width).")

    def _check_choices(self) -> None:
        for name, choices in (
            ("embedding_type", EMBEDDING_TYPES),
            ("state_embedding", STATE_EMBEDDING_TYPES),
            ("loss_type", WORLD_MODEL_LOSS_TYPES),
            ("predictor_position_embedding_type", PREDICTOR_POSITION_TYPES),
        ):
            if getattr(self, name) not in choices:
                _invalid(f"{name} must be one of {choices}, got {getattr(self, name)!r}.")

    def _check_predictor(self) -> None:
        width, heads = self.predictor_hidden_size, self.predictor_num_attention_heads
        if width % heads or width // heads < 6:
            _invalid(
                f"predictor_hidden_size ({width}) must be divisible by predictor_num_attention_heads ({heads}) "
                "with at least 6 channels per head (the frame index is a rotary embedding)."
            )
        sincos_patches = self.embedding_type == "patch" and self.predictor_position_embedding_type == "sincos"
        if sincos_patches and width % 4:
            _invalid(
                f"predictor_hidden_size ({width}) must be divisible by 4 for the 2D sin-cos positions of patches."
            )
        for name in ("predictor_mlp_ratio", "initializer_range"):
            if getattr(self, name) <= 0:
                _invalid(f"{name} must be > 0, got {getattr(self, name)}.")

    def _check_training(self) -> None:
        if self.rollout_history is not None and not 1 <= self.rollout_history <= self.history_length:
            _invalid(
                f"rollout_history must be None or in [1, history_length={self.history_length}], "
                f"got {self.rollout_history!r}."
            )
        if self.sigreg_weight < 0:
            _invalid(f"sigreg_weight must be >= 0, got {self.sigreg_weight}.")

    def _check_statistics(self) -> None:
        for prefix, dim in (("action", self.action_dim), ("state", self.state_dim)):
            for suffix in ("mean", "std"):
                values = getattr(self, f"{prefix}_{suffix}")
                if values is None:
                    continue
                if prefix == "state" and dim == 0:
                    _invalid(f"state_{suffix} is set but state_dim is 0.")
                if len(values) != dim:
                    _invalid(f"{prefix}_{suffix} must have {prefix}_dim={dim} entries, got {len(values)}.")
                if suffix == "std" and min(values) <= 0:
                    _invalid(f"{prefix}_std must be positive, got {list(values)}.")


__all__ = ["EMBEDDING_TYPES", "PREDICTOR_POSITION_TYPES", "STATE_EMBEDDING_TYPES", "JEPAWorldModelConfig"]
