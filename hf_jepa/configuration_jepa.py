# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA model configuration."""

from transformers import PreTrainedConfig

LOSS_TYPES = ("mse", "smooth_l1", "l1")
MASK_STRATEGIES = ("multiblock", "block", "random", "tube", "multiblock3d", "temporal")
VIDEO_ONLY_STRATEGIES = ("tube", "multiblock3d", "temporal")
POSITION_EMBEDDING_TYPES = ("sincos", "sincos_uniform", "rope", "learned")
REGULARIZATION_TARGETS = ("context", "predictor")
POOLING_TYPES = ("mean", "attentive")
# "masked": masked latent prediction (I-JEPA / V-JEPA); "multiview": invariance across augmented views with SIGReg
# on a projector, no predictor and no EMA (LeJEPA); "hybrid": masked prediction of every view plus the multi-view
# terms.
OBJECTIVES = ("masked", "multiview", "hybrid")
# The regularisers of the pretraining loss: the output field that reports each one -> the config weight that
# enables it. Validation, `JEPAForPreTraining.forward` and the model card all read this one table.
REGULARIZERS = {
    "variance_loss": "variance_weight",
    "covariance_loss": "covariance_weight",
    "consistency_loss": "consistency_weight",
    "sigreg_loss": "sigreg_weight",
}


def _invalid(message: str) -> None:
    raise ValueError(f"Invalid JEPAConfig: {message}")


class JEPAConfig(PreTrainedConfig):
    r"""
    Configuration of a JEPA (Joint-Embedding Predictive Architecture) model: the ViT encoder, the narrow ViT
    predictor, the training objective and the default masking. `num_frames == 1` describes an image (I-JEPA style)
    model, `num_frames > 1` a video (V-JEPA style) model whose tokens are tubelets of `tubelet_size` frames.

    The defaults describe a ViT-B/16 at 224 px trained with the I-JEPA multi-block masking.
    Use [`JEPAConfig.from_preset`] for the named sizes (`tiny`, `small`, `base`, `large`, `huge`, and the same
    names with a `-video` suffix).

    V-JEPA 2.1 models (converted from `official_vjepa2_1`) are video models with `rope_interleaved`, `rope_grid_size`,
    `level_layers`, `image_patch_embeddings` and `modality_embeddings` set. Their features, for images (`[batch,
    channels, height, width]`) and clips alike, are `JEPAModel`'s `last_hidden_state`: the last layer through the last
    level's norm, what the official encoder returns at inference; `output_levels=True` adds every level
    (`level_hidden_states`, the official training output, e.g. for dense tasks that read several depths).

    Args:
        image_size (`int`): Height and width of the input images / frames in pixels.
        patch_size (`int`): Height and width of one patch.
        num_channels (`int`): Number of input channels.
        num_frames (`int`): Frames per clip; 1 for images.
        tubelet_size (`int`): Frames per token for video input (ignored for images).
        hidden_size (`int`): Width of the encoder.
        num_hidden_layers (`int`): Depth of the encoder.
        num_attention_heads (`int`): Attention heads of the encoder.
        mlp_ratio (`float`): Width of the MLP relative to the hidden size.
        qkv_bias (`bool`): Whether the query/key/value projections have a bias.
        hidden_act (`str`): Activation of the MLPs.
        layer_norm_eps (`float`): Epsilon of the layer norms.
        hidden_dropout_prob (`float`): Dropout after attention and MLP.
        attention_probs_dropout_prob (`float`): Dropout on the attention weights.
        drop_path_rate (`float`): Stochastic depth rate, increasing linearly to this value over the layers.
        initializer_range (`float`): Standard deviation of the truncated normal weight initialisation.
        position_embedding_type (`str`): `"sincos"`: fixed 2D (images) / 3D (video) sine-cosine embeddings added to
            the tokens (I-JEPA / V-JEPA layout); `"sincos_uniform"`: the 3D variant that gives time, rows and columns
            an equal share of the channels (V-JEPA's `uniform_power`, video only); `"rope"`: 3D rotary embeddings
            of the queries and keys in every attention layer (V-JEPA 2); `"learned"`: a trained table of the
            encoder (transformers' `IJepaModel` layout), started from the sin-cos table and resized bicubically for
            other input sizes. The predictor keeps the fixed sin-cos table with `"learned"`, as in I-JEPA.
        rope_interleaved (`bool`): Frequency layout of the rotary embeddings. False: V-JEPA 2's, where channel `j` of
            an axis block turns with frequency `omega[j % (axis_dim / 2)]`, so the two channels of a rotated pair turn
            at different frequencies (what the released V-JEPA 2 weights were trained with); True: V-JEPA 2.1's, where
            both channels of pair `i` turn with `omega[i]` (textbook RoPE).
        rope_grid_size (`int`, *optional*): With rotary embeddings, the encoder's row and column positions are rescaled
            so that the first and last patch of an input of any size sit where they sat on a `rope_grid_size` grid
            (V-JEPA 2.1's `interpolate_rope`: 16 for 16-pixel patches, trained at 256 px). The predictor's positions
            are not rescaled (as in the released V-JEPA 2.1 models). None: integer positions.
        level_layers (`list[int]`, *optional*): Multi-level features (V-JEPA 2.1): the 0-based encoder layers whose
            outputs each go through their own LayerNorm (the official `norms_block`, e.g. `[2, 5, 8, 11]` for 12
            layers). The last must be the last layer; its norm is the encoder's final `layernorm`, so
            `last_hidden_state` stays the last layer's normed output (the official inference output), and
            `JEPAModel(..., output_levels=True)` also returns every level's normed output concatenated along the
            channels (`level_hidden_states`, the official training output). None: one final LayerNorm.
        image_patch_embeddings (`bool`): Video models with rotary embeddings only: images (`[batch, channels, height,
            width]`, or clips of one frame) are embedded by their own one-frame patch embedding instead of being
            refused (V-JEPA 2.1's `patch_embed_img`), so that one encoder serves images and clips.
        modality_embeddings (`bool`): Learned image and video embeddings added to every token of the encoder (after
            the patch embedding) and of the predictor (V-JEPA 2.1). Needs `image_patch_embeddings`.
        pred_hidden_size (`int`): Width of the predictor.
        pred_num_hidden_layers (`int`): Depth of the predictor.
        pred_num_attention_heads (`int`): Attention heads of the predictor.
        pred_mlp_ratio (`float`, *optional*): Width of the predictor's MLPs relative to `pred_hidden_size`; defaults
            to `mlp_ratio` (the official predictors keep 4 where the giant encoders use 48 / 11).
        pred_num_mask_tokens (`int`): Learned mask tokens of the predictor; the one used is chosen per forward pass
            (`mask_index`), so that differently masked batches can have their own (V-JEPA uses several).
        pred_num_levels (`int`): How many of the last `level_layers` the predictor reads (the context encoder's
            levels, concatenated) and predicts (V-JEPA 2.1: 4 for ViT-g / ViT-G, 1 for the distilled ViT-B / ViT-L).
            With more than one, the predictor's input embedding is an MLP (`num_levels * hidden_size` -> `hidden_size`
            -> `pred_hidden_size`).
        pred_output_size (`int`, *optional*): Width of one predicted level; defaults to `hidden_size`. The distilled
            V-JEPA 2.1 predictors predict their ViT-G teacher's 1664-wide features; such a predictor converts and runs,
            but pretraining needs targets of the encoder's own width.
        pred_predict_context (`bool`): The predictor also predicts the target encoder's latents of the context tokens,
            through a second output projection (V-JEPA 2.1's dense context loss, weighted by `context_loss_weight`).
        objective (`str`): What the encoder learns from. `"masked"` (default): predict the target encoder's latents of
            masked tokens from the visible ones (I-JEPA / V-JEPA). `"multiview"`: several augmented views of each
            sample, whose projected embeddings are pulled towards the mean of the global views' and regularised with
            SIGReg (LeJEPA); no predictor, and the target encoder mirrors the trained one (no EMA). `"hybrid"`: masked
            prediction of every global view plus the multi-view terms on the pooled context of each view.
        projector_hidden_size (`int`): Width of the hidden layer of the projector (multi-view and hybrid objectives).
        projector_dim (`int`): Output width of the projector, on which the invariance and the regularisers act.
        invariance_weight (`float`): Weight of the invariance term (multi-view and hybrid objectives).
        loss_type (`str`): `"mse"`, `"smooth_l1"` (official I-JEPA) or `"l1"` (official V-JEPA).
        normalize_targets (`bool`): Layer-normalise the target encoder's features before the loss (each level on its
            own with several levels, as V-JEPA 2.1).
        context_loss_weight (`float`): Weight of the dense context loss, the distance between the predictor's latents
            of the context tokens and the target encoder's (V-JEPA 2.1's lambda; needs `pred_predict_context`).
            `JEPAForPreTraining.forward(context_loss_weight=...)` overrides it per step, for a warm-up.
        image_context_loss_weight (`float`, *optional*): The context loss weight for image inputs of a video model
            (V-JEPA 2.1 weighs images and clips apart); defaults to `context_loss_weight`.
        context_loss_distance_weighting (`bool`): Weigh each context token's loss by `1 / sqrt(d)`, `d` its distance
            in the token grid to the nearest target token of its target block (V-JEPA 2.1's `weight_distance_loss`).
        variance_weight (`float`): Weight of the VICReg variance term (0 disables it).
        covariance_weight (`float`): Weight of the VICReg covariance term (0 disables it).
        consistency_weight (`float`): Weight of the cross-frame consistency term for video (0 disables it).
        sigreg_weight (`float`): Weight of the SIGReg (LeJEPA) isotropic-Gaussian term (0 disables it).
        sigreg_num_projections (`int`): Random 1-D projections used by SIGReg.
        regularization_target (`str`): Which embeddings the regularisers act on with the masked objective: the pooled
            `"context"` encoder output or the pooled `"predictor"` output. The multi-view and hybrid objectives
            regularise the projector's output of every view.
        mask_strategy (`str`, *optional*): Default masking: `multiblock`, `block`, `random` (images and video),
            `tube`, `multiblock3d`, `temporal` (video). Defaults to `multiblock` for images, `multiblock3d` for video.
        mask_ratio (`float`): Fraction of tokens that are targets for `random` and `tube` masking.
        num_target_blocks (`int`): Target blocks per sample for `multiblock` / `multiblock3d`.
        target_block_scale (`tuple[float, float]`): Range of a target block's area, as a fraction of the grid.
        target_aspect_ratio (`tuple[float, float]`): Range of a target block's aspect ratio (height / width).
        context_block_scale (`tuple[float, float]`): Range of the context block's area for `multiblock`.
        min_context_fraction (`float`): Fewest context tokens a `multiblock` mask may keep, as a fraction of the
            grid; masks that keep fewer are sampled again.
        frames_ahead (`int`): Future time steps (tubelets) predicted by `temporal` masking; checked only with that
            strategy, which needs a clip of at least 2 time steps (a video model of one tubelet, such as V-JEPA
            2-AC's frame encoder, takes the other strategies).
        classifier_pooling (`str`): Pooling of the classification heads: `"mean"` or `"attentive"`.
    """

    model_type = "jepa"

    image_size: int = 224
    patch_size: int = 16
    num_channels: int = 3
    num_frames: int = 1
    tubelet_size: int = 2
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-6
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    drop_path_rate: float = 0.0
    initializer_range: float = 0.02
    position_embedding_type: str = "sincos"
    rope_interleaved: bool = False
    rope_grid_size: int | None = None
    level_layers: list[int] | None = None
    image_patch_embeddings: bool = False
    modality_embeddings: bool = False
    pred_hidden_size: int = 384
    pred_num_hidden_layers: int = 6
    pred_num_attention_heads: int = 12
    pred_mlp_ratio: float | None = None
    pred_num_mask_tokens: int = 1
    pred_num_levels: int = 1
    pred_output_size: int | None = None
    pred_predict_context: bool = False
    objective: str = "masked"
    projector_hidden_size: int = 512
    projector_dim: int = 64
    invariance_weight: float = 1.0
    loss_type: str = "mse"
    normalize_targets: bool = True
    context_loss_weight: float = 0.0
    image_context_loss_weight: float | None = None
    context_loss_distance_weighting: bool = False
    variance_weight: float = 0.0
    covariance_weight: float = 0.0
    consistency_weight: float = 0.0
    sigreg_weight: float = 0.0
    sigreg_num_projections: int = 256
    regularization_target: str = "context"
    mask_strategy: str | None = None
    mask_ratio: float = 0.75
    num_target_blocks: int = 4
    target_block_scale: tuple[float, float] | list[float] = (0.15, 0.2)
    target_aspect_ratio: tuple[float, float] | list[float] = (0.75, 1.5)
    context_block_scale: tuple[float, float] | list[float] = (0.85, 1.0)
    min_context_fraction: float = 0.1
    frames_ahead: int = 1
    classifier_pooling: str = "mean"

    def __post_init__(self, **kwargs):
        if self.pred_mlp_ratio is None:
            self.pred_mlp_ratio = self.mlp_ratio
        if self.level_layers is not None:
            self.level_layers = list(self.level_layers)
        if self.mask_strategy is None:
            self.mask_strategy = "multiblock" if self.num_frames == 1 else "multiblock3d"
        self.target_block_scale = tuple(self.target_block_scale)
        self.target_aspect_ratio = tuple(self.target_aspect_ratio)
        self.context_block_scale = tuple(self.context_block_scale)
        super().__post_init__(**kwargs)
        self._check_values()

    @property
    def is_video(self) -> bool:
        return self.num_frames > 1

    @property
    def intermediate_size(self) -> int:
        return int(self.hidden_size * self.mlp_ratio)

    @property
    def prediction_size(self) -> int:
        """Width of one level the predictor predicts: `pred_output_size`, else `hidden_size`."""
        return self.pred_output_size or self.hidden_size

    @property
    def grid_size(self) -> tuple[int, int, int]:
        """Token grid `(time, height, width)`; time is 1 for images."""
        time = self.num_frames // self.tubelet_size if self.is_video else 1
        side = self.image_size // self.patch_size
        return (time, side, side)

    @property
    def num_patches(self) -> int:
        time, height, width = self.grid_size
        return time * height * width

    def _check_values(self) -> None:
        self._check_sizes()
        self._check_choices()
        self._check_masking()
        self._check_levels_and_modalities()
        for name in ("mlp_ratio", "pred_mlp_ratio"):
            if getattr(self, name) <= 0:
                _invalid(f"{name} must be > 0, got {getattr(self, name)}.")
        non_negative = (
            "invariance_weight",
            "context_loss_weight",
            "drop_path_rate",
            "hidden_dropout_prob",
            "attention_probs_dropout_prob",
        )
        for name in (*REGULARIZERS.values(), *non_negative):
            if getattr(self, name) < 0:
                _invalid(f"{name} must be >= 0, got {getattr(self, name)}.")

    def _check_sizes(self) -> None:
        for name in (
            "image_size",
            "patch_size",
            "num_channels",
            "num_frames",
            "tubelet_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "pred_hidden_size",
            "pred_num_hidden_layers",
            "pred_num_attention_heads",
            "pred_num_mask_tokens",
            "pred_num_levels",
            "num_target_blocks",
            "sigreg_num_projections",
            "projector_hidden_size",
            "projector_dim",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                _invalid(f"{name} must be a positive integer, got {value!r}.")
        if self.image_size % self.patch_size:
            _invalid(f"image_size ({self.image_size}) must be divisible by patch_size ({self.patch_size}).")
        if self.is_video and self.num_frames % self.tubelet_size:
            _invalid(f"num_frames ({self.num_frames}) must be divisible by tubelet_size ({self.tubelet_size}).")
        for width, heads, prefix in (
            (self.hidden_size, self.num_attention_heads, ""),
            (self.pred_hidden_size, self.pred_num_attention_heads, "pred_"),
        ):
            if width % heads:
                _invalid(f"{prefix}hidden_size ({width}) must be divisible by {prefix}num_attention_heads ({heads}).")
            if self.position_embedding_type == "rope" and width // heads < 6:
                # rotary embeddings rotate at least one pair of channels per axis (time, row, column) in every head
                _invalid(
                    f"rope needs at least 6 channels per attention head, got {prefix}hidden_size {width} / {heads}."
                )
            # sin-cos embeddings split the width into one sine and one cosine half per axis; a learned table starts
            # from the sin-cos one, and its predictor keeps that
            divisor = 8 if self.is_video else 4
            kind = self.position_embedding_type
            if kind in ("sincos", "learned") and width % divisor:
                _invalid(
                    f"{prefix}hidden_size ({width}) must be divisible by {divisor} for {kind} position embeddings."
                )

    def _check_choices(self) -> None:
        for name, choices in (
            ("loss_type", LOSS_TYPES),
            ("position_embedding_type", POSITION_EMBEDDING_TYPES),
            ("regularization_target", REGULARIZATION_TARGETS),
            ("classifier_pooling", POOLING_TYPES),
            ("objective", OBJECTIVES),
            ("mask_strategy", MASK_STRATEGIES),
        ):
            if getattr(self, name) not in choices:
                _invalid(f"{name} must be one of {choices}, got {getattr(self, name)!r}.")
        if self.position_embedding_type == "sincos_uniform" and not self.is_video:
            _invalid(
                f"position_embedding_type 'sincos_uniform' needs video input (num_frames > 1), got {self.num_frames}."
            )
        if self.objective == "multiview" and self.consistency_weight > 0:
            _invalid(
                f"consistency_weight ({self.consistency_weight}) acts on the context tokens of masked prediction; the "
                "'multiview' objective has none (use 'hybrid', or consistency_weight=0)."
            )
        if self.mask_strategy in VIDEO_ONLY_STRATEGIES and not self.is_video:
            _invalid(
                f"mask_strategy {self.mask_strategy!r} needs video input (num_frames > 1), "
                f"got num_frames={self.num_frames}."
            )

    def _check_levels_and_modalities(self) -> None:
        levels = self.level_layers
        if levels is not None and (
            not levels
            or any(not isinstance(layer, int) for layer in levels)
            or levels != sorted(set(levels))
            or levels[0] < 0
            or levels[-1] != self.num_hidden_layers - 1
        ):
            _invalid(
                f"level_layers must be increasing layer indices ending with the last layer "
                f"({self.num_hidden_layers - 1}), got {levels}."
            )
        if self.pred_output_size is not None and (
            not isinstance(self.pred_output_size, int) or self.pred_output_size < 1
        ):
            _invalid(f"pred_output_size must be a positive integer or None, got {self.pred_output_size!r}.")
        num_levels = len(levels) if levels is not None else 1
        if self.pred_num_levels > num_levels:
            _invalid(f"pred_num_levels ({self.pred_num_levels}) exceeds the encoder's {num_levels} level(s).")
        rope_only = ("rope_interleaved", "rope_grid_size", "image_patch_embeddings")
        for name in rope_only:
            if getattr(self, name) and self.position_embedding_type != "rope":
                _invalid(f"{name} needs position_embedding_type 'rope', got {self.position_embedding_type!r}.")
        if self.rope_grid_size is not None and self.rope_grid_size < 2:
            _invalid(f"rope_grid_size must be at least 2, got {self.rope_grid_size}.")
        if self.image_patch_embeddings and not self.is_video:
            _invalid(
                "image_patch_embeddings give a video model (num_frames > 1) an image path; this is an image model."
            )
        if self.modality_embeddings and not self.image_patch_embeddings:
            _invalid("modality_embeddings tell images from clips and need image_patch_embeddings.")
        if self.image_context_loss_weight is not None and self.image_context_loss_weight < 0:
            _invalid(f"image_context_loss_weight must be >= 0, got {self.image_context_loss_weight}.")
        for name in ("context_loss_weight", "image_context_loss_weight", "context_loss_distance_weighting"):
            if getattr(self, name) and not self.pred_predict_context:
                _invalid(f"{name} ({getattr(self, name)}) needs pred_predict_context.")

    def _check_masking(self) -> None:
        if not 0.0 < self.mask_ratio < 1.0:
            _invalid(f"mask_ratio must lie strictly between 0 and 1, got {self.mask_ratio}.")
        if not 0.0 <= self.min_context_fraction < 1.0:
            _invalid(f"min_context_fraction must lie in [0, 1), got {self.min_context_fraction}.")
        for name in ("target_block_scale", "context_block_scale", "target_aspect_ratio"):
            low_high = getattr(self, name)
            upper = float("inf") if name == "target_aspect_ratio" else 1.0
            if len(low_high) != 2 or not 0.0 < low_high[0] <= low_high[1] <= upper:
                _invalid(f"{name} must be a (low, high) pair with 0 < low <= high <= {upper}, got {low_high}.")
        # only temporal masking reads frames_ahead: a video model of one time step (V-JEPA 2-AC's frame encoder, one
        # tubelet) is valid with the other strategies
        time_steps = self.grid_size[0]
        if self.mask_strategy == "temporal" and not 1 <= self.frames_ahead < time_steps:
            _invalid(
                f"mask_strategy 'temporal' predicts the last frames_ahead ({self.frames_ahead}) time steps from the "
                f"others: frames_ahead must be at least 1 and smaller than the number of time steps ({time_steps} = "
                f"num_frames {self.num_frames} / tubelet_size {self.tubelet_size})."
            )

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "JEPAConfig":
        """Builds a named configuration (`tiny`, `small`, `base`, `large`, `huge`, each also as `NAME-video`)."""
        if name not in JEPA_PRESETS:
            raise ValueError(f"Unknown JEPA preset {name!r}; choose one of {sorted(JEPA_PRESETS)}.")
        return cls(**{**JEPA_PRESETS[name], **overrides})


_IMAGE_PRESETS = {
    # ~2.7M parameters: trains usefully in minutes on two CPU cores (32 px, an 8x8 grid of 4x4 patches).
    "tiny": dict(
        image_size=32,
        patch_size=4,
        hidden_size=192,
        num_hidden_layers=6,
        num_attention_heads=3,
        pred_hidden_size=96,
        pred_num_hidden_layers=4,
        pred_num_attention_heads=3,
    ),
    # ViT-S/16
    "small": dict(
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=6,
        pred_hidden_size=192,
        pred_num_hidden_layers=6,
        pred_num_attention_heads=6,
    ),
    # ViT-B/16
    "base": dict(
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        pred_hidden_size=384,
        pred_num_hidden_layers=6,
        pred_num_attention_heads=12,
    ),
    # ViT-L/16
    "large": dict(
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        pred_hidden_size=384,
        pred_num_hidden_layers=12,
        pred_num_attention_heads=12,
    ),
    # ViT-H/14 (the released I-JEPA model)
    "huge": dict(
        patch_size=14,
        hidden_size=1280,
        num_hidden_layers=32,
        num_attention_heads=16,
        pred_hidden_size=384,
        pred_num_hidden_layers=12,
        pred_num_attention_heads=12,
    ),
}
_VIDEO_OVERRIDES = {
    "tiny": dict(num_frames=8, tubelet_size=2),
    "small": dict(num_frames=16, tubelet_size=2),
    "base": dict(num_frames=16, tubelet_size=2),
    "large": dict(num_frames=16, tubelet_size=2),
    "huge": dict(num_frames=16, tubelet_size=2, patch_size=16),
}
JEPA_PRESETS: dict[str, dict] = {
    **_IMAGE_PRESETS,
    **{f"{name}-video": {**preset, **_VIDEO_OVERRIDES[name]} for name, preset in _IMAGE_PRESETS.items()},
}

__all__ = ["JEPAConfig", "JEPA_PRESETS", "OBJECTIVES", "REGULARIZERS"]
