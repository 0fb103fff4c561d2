# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The settings every training job shares ([`TrainingLoopArguments`]), and how a config takes `config_overrides`."""

from dataclasses import asdict, dataclass, field

from transformers import PreTrainedConfig

from ..data import DataArguments


@dataclass
class TrainingLoopArguments(DataArguments):
    """What every training loop of the package shares: the data settings of [`DataArguments`], then model overrides,
    optimisation, logging, checkpoints and sharing. [`PretrainingArguments`] and the world model's
    `WorldModelTrainingArguments` extend it, so each of these settings has one home, one flag and one recipe key."""

    # The model
    config_overrides: str | None = field(
        default=None,
        metadata={
            "help": "Model config values to override, e.g. 'mask_strategy=random,mask_ratio=0.6,drop_path_rate=0.1' "
            "(pretraining) or 'history_length=3,encoder.hidden_size=128' (world model)."
        },
    )
    attn_implementation: str | None = field(
        default=None,
        metadata={
            "help": "sdpa, eager, flash_attention_2, ... Default: sdpa, except eager for bf16 on CPU, where sdpa's "
            "bf16 backward is slow (see `default_attn_implementation`)."
        },
    )
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "Recompute the transformer blocks' activations in the backward."}
    )

    # Optimisation
    output_dir: str = field(default="outputs/jepa-tiny", metadata={"help": "Where the model and checkpoints go."})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "Replace a previous run in output_dir: its checkpoints, logs and model are removed, other files "
            "kept."
        },
    )
    per_device_train_batch_size: int = field(default=64)
    gradient_accumulation_steps: int = field(default=1)
    num_train_epochs: float = field(default=1.0, metadata={"help": "Used when max_steps is not set."})
    max_steps: int = field(default=-1, metadata={"help": "Total optimiser steps (overrides num_train_epochs)."})
    learning_rate: float = field(default=1e-4, metadata={"help": "Peak learning rate, reached after the warm-up."})
    start_learning_rate: float = field(default=0.0, metadata={"help": "Learning rate at the start of the warm-up."})
    final_learning_rate: float = field(default=1e-6, metadata={"help": "Learning rate at the end of the cosine."})
    warmup_steps: float = field(default=0.05, metadata={"help": "Warm-up steps; a value in [0, 1) is a ratio."})
    weight_decay: float = field(default=0.04, metadata={"help": "Weight decay at the start (cosine schedule)."})
    final_weight_decay: float = field(default=0.4, metadata={"help": "Weight decay at the end."})
    adam_beta1: float = field(default=0.9)
    adam_beta2: float = field(default=0.999)
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping; 0 disables it."})
    max_nonfinite_steps: int = field(
        default=3,
        metadata={
            "help": "Steps with a non-finite loss that are skipped (no update) before the run stops with an error."
        },
    )
    mixed_precision: str | None = field(
        default=None,
        metadata={
            "help": "no, bf16 (CPU and GPU) or fp16 (GPU). Default: what `accelerate config` or `accelerate launch "
            "--mixed_precision` chose, else no."
        },
    )

    # Logging, checkpoints, sharing
    logging_steps: int = field(default=10)
    report_to: str = field(default="tensorboard", metadata={"help": "tensorboard, wandb, trackio, all or none."})
    checkpointing_steps: int | None = field(default=None, metadata={"help": "Save the training state every N steps."})
    save_total_limit: int = field(default=2, metadata={"help": "Keep only the last N checkpoints."})
    resume_from_checkpoint: str | None = field(
        default=None,
        metadata={"help": "'latest' (a damaged checkpoint falls back to the one before it) or a checkpoint folder."},
    )
    push_to_hub: bool = field(default=False)
    hub_model_id: str | None = field(default=None)
    hub_private_repo: bool = field(default=False)
    hub_strategy: str = field(default="end", metadata={"help": "end, or every_save (push each checkpoint too)."})
    hub_token: str | None = field(default=None)

    def __post_init__(self):
        super().__post_init__()
        if self.per_device_train_batch_size < 1 or self.gradient_accumulation_steps < 1:
            raise ValueError(
                f"per_device_train_batch_size ({self.per_device_train_batch_size}) and gradient_accumulation_steps "
                f"({self.gradient_accumulation_steps}) must be at least 1."
            )
        if self.max_nonfinite_steps < 0:
            raise ValueError(f"max_nonfinite_steps must be at least 0, got {self.max_nonfinite_steps}.")
        if self.mixed_precision not in (None, "no", "bf16", "fp16"):
            raise ValueError(f"mixed_precision must be no, bf16 or fp16, got {self.mixed_precision!r}.")
        if self.hub_strategy not in ("end", "every_save"):
            raise ValueError(f"hub_strategy must be 'end' or 'every_save', got {self.hub_strategy!r}.")
        if self.push_to_hub and not self.hub_model_id:
            raise ValueError("--push_to_hub needs --hub_model_id (e.g. your-name/jepa-tiny-fashion-mnist).")


def apply_config_overrides(config: PreTrainedConfig, overrides: str, prefix: str = "") -> None:
    """`config.update_from_string(overrides)` ('a=1,b=true'), one item at a time so that an error names the item: an
    unknown key, or a value of another type than the field's. `prefix` is how the user spells this config's keys."""
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not hasattr(config, key):
            problem = "is not of the form key=value" if not equals else f"is not a field of {type(config).__name__}"
            raise ValueError(f"config_overrides: {prefix}{key!r} {problem}.")
        current = getattr(config, key)
        if not isinstance(current, bool | int | float | str):
            raise ValueError(
                f"config_overrides: {prefix}{key} holds a {type(current).__name__}; config_overrides sets int, float, "
                "bool and string fields only (write a config.json for the others)."
            )
        try:
            config.update_from_string(f"{key}={value}")
        except ValueError as error:
            raise ValueError(
                f"config_overrides: {prefix}{key} expects a value of type {type(current).__name__}, got {value!r}."
            ) from error


def public_arguments(args: TrainingLoopArguments) -> dict:
    """The training arguments without credentials, for training_args.json and the model card."""
    return {key: value for key, value in asdict(args).items() if key != "hub_token"}
