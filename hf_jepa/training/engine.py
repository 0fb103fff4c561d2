# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA pretraining with 🤗 Accelerate: `hf_jepa.pretrain(PretrainingArguments(...))`.

One loop, read top to bottom: data → model → optimiser → schedules → (resume) → steps → checkpoints → final
`save_pretrained`. It runs unchanged on CPU, one GPU, or many through `accelerate launch` (DDP; FSDP and DeepSpeed
without checkpoints). Checkpoints are JSON and safetensors (and the optimiser's tensors, read with
`torch.load(weights_only=True)`): resuming never unpickles anything.
"""

import json
import math
import os
import pickle
import random
import reprlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import (
    DataLoaderConfiguration,
    DistributedType,
    FullyShardedDataParallelPlugin,
    ProjectConfiguration,
    set_seed,
)
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch.distributed.fsdp import FSDPModule
from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import PreTrainedConfig, PreTrainedModel

from .. import data
from ..configuration_jepa import JEPA_PRESETS, JEPAConfig
from ..data import DataArguments, build_processor
from ..evaluation import (
    EvaluationArguments,
    MissingLabelsError,
    build_labelled_data,
    evaluate,
    knn_accuracy_during_training,
)
from ..hub.cards import write_model_card
from ..hub.upload import push_to_hub
from ..masking import JEPAMaskCollator, sample_masks
from ..modeling_jepa import JEPAForPreTraining, JEPAForPreTrainingOutput, JEPAModel

logger = get_logger(__name__)

RUN_FACTS = ("steps", "global_batch_size", "wall_time_seconds", "hardware", "final_loss", "samples_skipped")

# A checkpoint folder: the model's config and weights, the optimiser state, the run's counters (`TrainingState`), the
# fp16 gradient scaler's state and, per process, the random generators' states (`rng_state_<process index>.json`).
CHECKPOINT_PREFIX = "checkpoint-"
CHECKPOINT_CONFIG = "config.json"
CHECKPOINT_WEIGHTS = "model.safetensors"
CHECKPOINT_OPTIMIZER = "optimizer.pt"
CHECKPOINT_STATE = "training_state.json"
CHECKPOINT_GRAD_SCALER = "grad_scaler.json"
# Config entries that say how a config was saved, not what model it describes: resuming ignores their differences.
CONFIG_BOOKKEEPING = ("transformers_version", "architectures", "auto_map", "dtype", "_name_or_path")
# What runs write into output_dir, and so what a new run there removes first (other files are kept): the final model
# (weights, config, copied code, processor, card), the run's records, the tensorboard logs, the checkpoints.
RUN_OUTPUTS = (
    "config.json",
    "model.safetensors",
    "model-*.safetensors",
    "model.safetensors.index.json",
    "configuration_jepa.py",
    "modeling_jepa.py",
    "configuration_world_model.py",
    "modeling_world_model.py",
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "README.md",
    "training_args.json",
    "training_summary.json",
    "log_history.jsonl",
    "eval_results.json",
    "planning_results.json",
    "runs",
    f"{CHECKPOINT_PREFIX}[0-9]*",
    f".partial-{CHECKPOINT_PREFIX}[0-9]*",
)
# What a run writes before its first step: a folder holding only these is free for a new run.
RUN_START_FILES = ("training_args.json", "runs")

T = TypeVar("T")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from: the message names the missing, damaged or refused file."""


class NonFiniteTrainingError(ValueError):
    """The loss or the weights stopped being finite; the message names the step and the last checkpoint."""


def default_attn_implementation(mixed_precision: str, device_type: str) -> str:
    """sdpa, except eager for bf16 on CPU: there sdpa's bf16 kernels (its backward above all) are slow, and bf16
    autocast with eager attention trains the `tiny` step 1.8x as fast as fp32, against 1.07x with sdpa
    (`results/performance/bf16_bound.py`)."""
    return "eager" if mixed_precision == "bf16" and device_type == "cpu" else "sdpa"


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


@dataclass
class PretrainingArguments(TrainingLoopArguments):
    """How a JEPA model is pretrained: the data, optimisation, logging and sharing settings of
    [`TrainingLoopArguments`], then the model, augmentation, EMA schedule and evaluation. Parsed by `HfArgumentParser`
    from the command line or a YAML/JSON file."""

    # What is trained
    config_name_or_path: str = field(
        default="tiny",
        metadata={
            "help": "A preset name (tiny, small, base, large, huge, NAME-video), a config.json, or a checkpoint "
            "folder to continue pretraining from."
        },
    )

    # Augmentation and normalisation of the training data
    crop_scale: list[float] = field(default_factory=lambda: [0.3, 1.0], metadata={"help": "RandomResizedCrop scale."})
    horizontal_flip: bool = field(default=False, metadata={"help": "Random horizontal flips."})
    color_jitter: float = field(
        default=0.0, metadata={"help": "Strength of the brightness/contrast/saturation jitter; 0 disables it."}
    )
    blur_probability: float = field(default=0.0, metadata={"help": "Probability of a Gaussian blur of a view."})
    num_global_views: int | None = field(
        default=None,
        metadata={
            "help": "Augmented views per sample at the model's resolution: 1 for the masked objective, 2 by default "
            "for the multi-view and hybrid objectives."
        },
    )
    num_local_views: int = field(
        default=0, metadata={"help": "Lower-resolution views per sample (multi-view and hybrid objectives)."}
    )
    local_crop_scale: list[float] = field(
        default_factory=lambda: [0.05, 0.3], metadata={"help": "RandomResizedCrop scale of the local views."}
    )
    local_image_size: int | None = field(
        default=None, metadata={"help": "Side of the local views; defaults to half the model's, in whole patches."}
    )
    image_mean: list[float] = field(default_factory=lambda: list(data.DEFAULT_IMAGE_MEAN))
    image_std: list[float] = field(default_factory=lambda: list(data.DEFAULT_IMAGE_STD))
    max_bad_fraction: float = field(
        default=0.01, metadata={"help": "Stop with an error when more than this fraction of samples is undecodable."}
    )

    # Target encoder (EMA) and evaluation
    ema_momentum: float = field(default=0.996, metadata={"help": "EMA momentum of the target encoder at the start."})
    final_ema_momentum: float = field(default=1.0, metadata={"help": "EMA momentum at the end (linear schedule)."})
    eval_steps: int | None = field(default=None, metadata={"help": "Run the kNN probe every N steps."})
    do_eval: bool = field(default=True, metadata={"help": "Probe the trained encoder at the end (labelled data)."})
    eval_baselines: bool = field(default=True, metadata={"help": "Also probe a random-init encoder and raw pixels."})

    def __post_init__(self):
        super().__post_init__()
        for name in ("crop_scale", "local_crop_scale"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1] <= 1:
                raise ValueError(f"{name} must be two numbers 0 < low <= high <= 1, got {low_high}.")
        if (self.num_global_views is not None and self.num_global_views < 1) or self.num_local_views < 0:
            raise ValueError(
                f"num_global_views must be >= 1 and num_local_views >= 0, got {self.num_global_views} and "
                f"{self.num_local_views}."
            )


def build_model(args: PretrainingArguments) -> tuple[JEPAForPreTraining, str | None]:
    """The model to pretrain, and the checkpoint it continues from (None for a fresh model)."""
    source = args.config_name_or_path
    overrides = dict(attn_implementation=args.attn_implementation)
    if source in JEPA_PRESETS:
        config = JEPAConfig.from_preset(source, **overrides)
    elif os.path.isfile(source):
        config = JEPAConfig.from_json_file(source)
        config._attn_implementation = args.attn_implementation
    elif os.path.isfile(os.path.join(source, "config.json")):
        config = JEPAConfig.from_pretrained(source, **overrides)
    else:
        raise ValueError(
            f"config_name_or_path {source!r} is neither a preset ({', '.join(JEPA_PRESETS)}), a config.json, nor a "
            "folder with a config.json."
        )
    if args.config_overrides:
        apply_config_overrides(config, args.config_overrides)
        config = JEPAConfig(**config.to_dict())  # validates the overridden values

    has_weights = os.path.isdir(source) and any(Path(source).glob("*.safetensors"))
    if not has_weights:
        return JEPAForPreTraining(config), None
    if "JEPAForPreTraining" in (config.architectures or []):
        model = JEPAForPreTraining.from_pretrained(source, config=config)
    else:  # an encoder only: both encoders start from it, the predictor is new
        model = JEPAForPreTraining(config)
        encoder = JEPAModel.from_pretrained(source, config=config)
        model.context_encoder.load_state_dict(encoder.state_dict())
        model.target_encoder.load_state_dict(encoder.state_dict())
    return model, source


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


def training_transform(
    args: PretrainingArguments, config: JEPAConfig
) -> data.ImageTransform | data.VideoTransform | data.MultiViewTransform:
    """The augmentation of pretraining: random-resized crop (+ flip, colour jitter, blur), normalisation; one crop per
    clip for video. The multi-view and hybrid objectives get `num_global_views` such views of each sample at the
    model's resolution and `num_local_views` smaller ones of `local_crop_scale`."""

    def view(image_size: int, crop_scale: list[float]) -> data.ImageTransform | data.VideoTransform:
        return data.build_transform(
            image_size,
            args.image_mean,
            args.image_std,
            train=True,
            crop_scale=tuple(crop_scale),
            horizontal_flip=args.horizontal_flip,
            color_jitter=args.color_jitter,
            blur_probability=args.blur_probability,
            num_frames=config.num_frames,
            frame_step=args.frame_step,
        )

    if config.objective == "masked":
        if (args.num_global_views or 1) != 1 or args.num_local_views:
            raise ValueError(
                f"num_global_views={args.num_global_views} and num_local_views={args.num_local_views} need the "
                "'multiview' or 'hybrid' objective (config_overrides objective=...); the masked objective takes one "
                "view per sample."
            )
        return view(config.image_size, args.crop_scale)
    num_global_views = args.num_global_views or 2
    if num_global_views + args.num_local_views < 2:
        raise ValueError(
            f"The {config.objective!r} objective compares views of a sample: num_global_views ({num_global_views}) + "
            f"num_local_views ({args.num_local_views}) must be at least 2."
        )
    local_size = args.local_image_size or max(1, config.image_size // 2 // config.patch_size) * config.patch_size
    if local_size % config.patch_size:
        raise ValueError(f"local_image_size ({local_size}) must be a multiple of patch_size ({config.patch_size}).")
    local_view = view(local_size, args.local_crop_scale) if args.num_local_views else None
    return data.MultiViewTransform(
        view(config.image_size, args.crop_scale), num_global_views, local_view, args.num_local_views
    )


def cosine(start: float, end: float, progress: float) -> float:
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * min(progress, 1.0)))


@dataclass
class Schedules:
    """Per-step learning rate (linear warm-up, then cosine), weight decay (cosine) and EMA momentum (linear)."""

    args: TrainingLoopArguments  # the EMA momentum needs PretrainingArguments
    total_steps: int

    @property
    def warmup_steps(self) -> int:
        warmup = self.args.warmup_steps
        return int(warmup * self.total_steps) if warmup < 1 else int(warmup)

    def learning_rate(self, step: int) -> float:
        args = self.args
        if step < self.warmup_steps:
            warmup_progress = step / self.warmup_steps
            return args.start_learning_rate + (args.learning_rate - args.start_learning_rate) * warmup_progress
        progress = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        return cosine(args.learning_rate, args.final_learning_rate, progress)

    def weight_decay(self, step: int) -> float:
        return cosine(self.args.weight_decay, self.args.final_weight_decay, step / self.total_steps)

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        """Sets the learning rate and weight decay of the step about to be taken."""
        for group in optimizer.param_groups:
            group["lr"] = self.learning_rate(step)
            if group.get("apply_weight_decay"):
                group["weight_decay"] = self.weight_decay(step)

    def ema_momentum(self, step: int) -> float:
        args = self.args
        return args.ema_momentum + (args.final_ema_momentum - args.ema_momentum) * step / self.total_steps


@dataclass
class TrainingState:
    """The run's counters, saved with every checkpoint as training_state.json: the optimiser step, the data position
    (epoch, batches read in it), the undecodable samples and the steps skipped for a non-finite loss."""

    step: int = 0
    epoch: int = 0
    batches_in_epoch: int = 0
    samples_seen: int = 0
    samples_skipped: int = 0
    last_skipped: str = ""
    nonfinite_steps: int = 0


def optimizer_groups(model: torch.nn.Module) -> list[dict]:
    """Context encoder and predictor parameters; no weight decay on biases, norms and the mask token."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if name.startswith("target_encoder."):
            continue
        (no_decay if parameter.ndim < 2 or name.endswith("mask_token") else decay).append(parameter)
    return [{"params": decay, "apply_weight_decay": True}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(model: torch.nn.Module, args: TrainingLoopArguments) -> torch.optim.AdamW:
    """AdamW over the context encoder and the predictor; the fused kernel is several times faster per step. Its
    learning rate and weight decay are set by [`Schedules.apply`] before every step, the first included."""
    return torch.optim.AdamW(optimizer_groups(model), betas=(args.adam_beta1, args.adam_beta2), fused=True)


def check_output_dir(args: TrainingLoopArguments) -> None:
    """Before any work: output_dir must be a folder that can be written (it is created here) and hold no earlier run,
    unless this run resumes it (--resume_from_checkpoint) or replaces it (--overwrite_output_dir). A run that stopped
    before its first step left only `RUN_START_FILES` there, which do not count."""
    output_dir = Path(args.output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"output_dir {str(output_dir)!r} is a file, not a folder.")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=output_dir).close()
    except OSError as error:
        raise ValueError(f"output_dir {str(output_dir)!r} cannot be written: {error.strerror or error}.") from error
    held = sorted(path.name for path in output_dir.iterdir() if path.name not in RUN_START_FILES)
    if held and not (args.resume_from_checkpoint or args.overwrite_output_dir):
        raise ValueError(
            f"output_dir {str(output_dir)!r} already holds a run or other files ({reprlib.repr(held)}). Pass "
            "--overwrite_output_dir to replace the run (files that hf_jepa does not write are kept), "
            "--resume_from_checkpoint latest to continue it, or choose another --output_dir."
        )


def remove_previous_run(accelerator: Accelerator, output_dir: str) -> None:
    """Removes what earlier runs wrote into `output_dir` (`RUN_OUTPUTS`: their checkpoints above all, which a resume
    would otherwise pick up); files that hf_jepa does not write are kept."""
    removed = [path for path in sorted(Path(output_dir).iterdir()) if any(fnmatch(path.name, p) for p in RUN_OUTPUTS)]
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if removed:
        accelerator.print(f"Replacing the earlier run in {output_dir}: removed {', '.join(p.name for p in removed)}")


def list_checkpoints(output_dir: str) -> list[Path]:
    """The checkpoint folders of `output_dir`, oldest first."""
    steps = [path.name.removeprefix(CHECKPOINT_PREFIX) for path in Path(output_dir).glob(f"{CHECKPOINT_PREFIX}*")]
    return [Path(output_dir) / f"{CHECKPOINT_PREFIX}{step}" for step in sorted(int(s) for s in steps if s.isdigit())]


def checkpoints_to_resume(args: TrainingLoopArguments) -> list[Path]:
    """The checkpoints to resume from, in the order to try them: output_dir's, newest first, for 'latest' (a damaged
    one falls back to the one before it); the folder given otherwise; none without `resume_from_checkpoint`."""
    if args.resume_from_checkpoint is None:
        return []
    if args.resume_from_checkpoint == "latest":
        return list_checkpoints(args.output_dir)[::-1]
    path = Path(args.resume_from_checkpoint)
    if not (path / CHECKPOINT_STATE).is_file():
        reason = f"is not a checkpoint folder (no {CHECKPOINT_STATE})" if path.exists() else "does not exist"
        existing = ", ".join(str(checkpoint) for checkpoint in list_checkpoints(args.output_dir)) or "none"
        raise CheckpointError(
            f"resume_from_checkpoint {str(path)!r} {reason}. The checkpoints in {args.output_dir}: {existing}; "
            "'latest' resumes from the newest."
        )
    return [path]


def save_checkpoint(
    accelerator: Accelerator,
    args: TrainingLoopArguments,
    model: PreTrainedModel,
    optimizer: torch.optim.Optimizer,
    state: TrainingState,
) -> Path:
    """Writes the checkpoint of `state.step` (`model` unwrapped) into a temporary folder renamed into place, so that a
    killed run never leaves half a checkpoint, then keeps the last `save_total_limit`. Weights that are not finite are
    never saved: they would rotate good checkpoints away."""
    check_finite_weights(args, model, state.step)
    final = Path(args.output_dir) / f"{CHECKPOINT_PREFIX}{state.step}"
    partial = Path(args.output_dir) / f".partial-{CHECKPOINT_PREFIX}{state.step}"
    if accelerator.is_main_process and partial.exists():
        shutil.rmtree(partial)
    accelerator.wait_for_everyone()
    partial.mkdir(exist_ok=True)
    if accelerator.is_main_process:
        (partial / CHECKPOINT_CONFIG).write_text(model.config.to_json_string(use_diff=False))
        save_model(model, str(partial / CHECKPOINT_WEIGHTS))
        torch.save(optimizer.state_dict(), partial / CHECKPOINT_OPTIMIZER)
        (partial / CHECKPOINT_STATE).write_text(json.dumps(asdict(state)))
        if accelerator.scaler is not None:
            (partial / CHECKPOINT_GRAD_SCALER).write_text(json.dumps(accelerator.scaler.state_dict()))
    (partial / random_states_name(accelerator)).write_text(json.dumps(random_states(accelerator)))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if final.exists():
            shutil.rmtree(final)
        os.replace(partial, final)
        for old in list_checkpoints(args.output_dir)[: -args.save_total_limit]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()
    return final


def random_states_name(accelerator: Accelerator) -> str:
    return f"rng_state_{accelerator.process_index}.json"


def random_states(accelerator: Accelerator) -> dict:
    """This process's random generators (Python, NumPy, torch, the GPU's) as JSON values."""
    version, internal_state, gauss_next = random.getstate()
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    states = {
        "python": [version, list(internal_state), gauss_next],
        "numpy": [name, keys.tolist(), position, has_gauss, cached_gaussian],
        "torch": torch.get_rng_state().tolist(),
    }
    if accelerator.device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(accelerator.device).tolist()
    return states


def set_random_states(accelerator: Accelerator, states: dict) -> None:
    version, internal_state, gauss_next = states["python"]
    random.setstate((version, tuple(internal_state), gauss_next))
    name, keys, *position_and_gauss = states["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), *position_and_gauss))
    torch.set_rng_state(torch.tensor(states["torch"], dtype=torch.uint8))
    if accelerator.device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(torch.tensor(states["cuda"], dtype=torch.uint8), accelerator.device)


def read_checkpoint_file(path: Path, read: Callable[[Path], T]) -> T:
    """`read(path)`; every way in which a missing, damaged or tampered file fails is a CheckpointError naming it."""
    if not path.is_file():
        raise CheckpointError(f"{path} is missing")
    try:
        return read(path)
    except pickle.UnpicklingError as error:  # torch.load(weights_only=True) met more than tensors and plain values
        raise CheckpointError(
            f"{path} holds Python objects that only unpickling could load (refused: unpickling can run code)"
        ) from error
    except (OSError, EOFError, ValueError, TypeError, KeyError, RuntimeError, SafetensorError) as error:
        raise CheckpointError(f"{path} is damaged ({type(error).__name__}: {str(error).splitlines()[0]})") from error


def read_json(path: Path):
    return json.loads(path.read_text())


def config_differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """The config fields whose values differ, as 'name saved-value -> current-value' (nested configs' fields as
    'encoder_config.name'), leaving out `CONFIG_BOOKKEEPING`."""
    differences = []
    for key in sorted(saved.keys() | current.keys()):
        old, new = saved.get(key), current.get(key)
        if key in CONFIG_BOOKKEEPING or old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            differences += config_differences(old, new, prefix=f"{prefix}{key}.")
        else:
            differences.append(f"{prefix}{key} {reprlib.repr(old)} -> {reprlib.repr(new)}")
    return differences


def load_checkpoint(
    accelerator: Accelerator, checkpoint: Path, model: PreTrainedModel, optimizer: torch.optim.Optimizer
) -> TrainingState:
    """Restores `model` (unwrapped), the optimiser, the fp16 gradient scaler and this process's random generators from
    `checkpoint`, and returns its counters. A missing or damaged file raises CheckpointError naming it; a model config
    other than the checkpoint's raises ValueError naming the fields that differ."""
    saved_config = read_checkpoint_file(checkpoint / CHECKPOINT_CONFIG, read_json)
    differences = config_differences(saved_config, json.loads(model.config.to_json_string(use_diff=False)))
    if differences:
        raise ValueError(
            f"{checkpoint} holds another model than this run builds (checkpoint -> this run: "
            f"{'; '.join(differences)}). "
            "Resume with the settings it was trained with (config_name_or_path, config_overrides, frame_step, the "
            "data), or start a new run."
        )
    state = read_checkpoint_file(checkpoint / CHECKPOINT_STATE, lambda path: TrainingState(**read_json(path)))
    read_checkpoint_file(checkpoint / CHECKPOINT_WEIGHTS, lambda path: load_model(model, path))
    read_checkpoint_file(
        checkpoint / CHECKPOINT_OPTIMIZER,
        lambda path: optimizer.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)),
    )
    if accelerator.scaler is not None:
        read_checkpoint_file(
            checkpoint / CHECKPOINT_GRAD_SCALER, lambda path: accelerator.scaler.load_state_dict(read_json(path))
        )
    read_checkpoint_file(
        checkpoint / random_states_name(accelerator), lambda path: set_random_states(accelerator, read_json(path))
    )
    return state


def on_any_process(accelerator: Accelerator, flag: bool) -> bool:
    """Whether `flag` holds on some process; every process gets the same answer."""
    return accelerator.reduce(torch.tensor(float(flag), device=accelerator.device), "sum").item() > 0


def truncate_log_history(output_dir: str, step: int) -> None:
    """Keeps the records of log_history.jsonl up to `step`: a resumed run logs the steps after its checkpoint again."""
    path = Path(output_dir) / "log_history.jsonl"
    if path.is_file():
        lines = path.read_text().splitlines(keepends=True)  # a line without its newline was cut short by a kill
        path.write_text("".join(line for line in lines if line.endswith("\n") and json.loads(line)["step"] <= step))


def restore_training_state(
    accelerator: Accelerator, args: TrainingLoopArguments, model: PreTrainedModel, optimizer: torch.optim.Optimizer
) -> TrainingState:
    """The run's counters: new ones, or with `resume_from_checkpoint` those of the checkpoint, whose model weights
    (`model` unwrapped), optimiser state and random generators come back too. With 'latest', a damaged checkpoint is
    named in a warning and the one before it is tried. log_history.jsonl keeps the steps up to the checkpoint's."""
    if (args.checkpointing_steps or args.resume_from_checkpoint) and accelerator.distributed_type in (
        DistributedType.FSDP,
        DistributedType.DEEPSPEED,
        DistributedType.MEGATRON_LM,
    ):
        raise ValueError(
            "Checkpoints hold each process's whole model and optimiser (one process or DDP): --checkpointing_steps "
            f"and --resume_from_checkpoint are not available with {accelerator.distributed_type.value}."
        )
    state, problems = TrainingState(), []
    for checkpoint in checkpoints_to_resume(args):
        try:
            state, problem = load_checkpoint(accelerator, checkpoint, model, optimizer), None
        except CheckpointError as error:
            problem = str(error)
        if not on_any_process(accelerator, problem is not None):
            accelerator.print(f"Resuming from {checkpoint}")
            break
        problems.append(problem or f"{checkpoint} could not be read on another process")
        logger.warning(f"Not resuming from {checkpoint}: {problems[-1]}.")
    else:
        if problems:
            raise CheckpointError(f"No checkpoint to resume from in {args.output_dir}: {'; '.join(problems)}.")
        if args.resume_from_checkpoint:
            logger.warning(f"No checkpoint in {args.output_dir} to resume from: starting from scratch.")
    if args.resume_from_checkpoint and accelerator.is_main_process:
        truncate_log_history(args.output_dir, state.step)
    return state


def check_finite_weights(args: TrainingLoopArguments, model: torch.nn.Module, step: int) -> None:
    """Raises NonFiniteTrainingError when a parameter holds NaN or inf: such a model is never saved."""
    for name, parameter in model.named_parameters():
        if not torch.isfinite(parameter).all():
            raise nonfinite_error(args, step, f"the weights are not finite ({name} holds NaN or inf)")


def nonfinite_error(args: TrainingLoopArguments, step: int, what: str) -> NonFiniteTrainingError:
    checkpoints = list_checkpoints(args.output_dir)
    last = f"the last good checkpoint is {checkpoints[-1]}" if checkpoints else "no checkpoint was saved"
    return NonFiniteTrainingError(
        f"step {step}: {what}. The run stops without saving the model; {last}. A lower --learning_rate or "
        "--max_grad_norm may help."
    )


def skip_nonfinite_step(args: TrainingLoopArguments, state: TrainingState) -> None:
    """Counts a step skipped for a non-finite loss; raises once more than `max_nonfinite_steps` were skipped."""
    state.nonfinite_steps += 1
    if state.nonfinite_steps > args.max_nonfinite_steps:
        raise nonfinite_error(
            args,
            state.step,
            f"the loss is not finite ({state.nonfinite_steps} such steps, more than max_nonfinite_steps="
            f"{args.max_nonfinite_steps})",
        )
    logger.warning(
        f"step {state.step}: the loss is not finite; the step is skipped ({state.nonfinite_steps} of at most "
        f"{args.max_nonfinite_steps})."
    )


def save_checkpoint_and_push(
    accelerator: Accelerator,
    args: PretrainingArguments,
    model: JEPAForPreTraining,
    optimizer: torch.optim.Optimizer,
    state: TrainingState,
) -> list[Future]:
    """Saves the training state; with `hub_strategy="every_save"` also starts uploading a loadable model."""
    saved = save_checkpoint(accelerator, args, model, optimizer, state)
    if args.push_to_hub and args.hub_strategy == "every_save" and accelerator.is_main_process:
        return [push_checkpoint_in_background(args, model, saved)]
    return []


def build_accelerator(args: TrainingLoopArguments) -> Accelerator:
    """The run's accelerator. What `args` leaves open comes from the launch: the mixed precision of `accelerate
    config` or `accelerate launch --mixed_precision` (none without them), then the attention implementation that suits
    it on this device; `args` records both, so that training_args.json says what ran. FSDP is set up for this
    package's models (`configure_fsdp`); DeepSpeed is refused."""
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        mixed_precision=args.mixed_precision,
        log_with=None if args.report_to == "none" else args.report_to,
        project_config=ProjectConfiguration(project_dir=args.output_dir, logging_dir=f"{args.output_dir}/runs"),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=args.seed),
    )
    args.mixed_precision = accelerator.mixed_precision
    if args.attn_implementation is None:
        args.attn_implementation = default_attn_implementation(accelerator.mixed_precision, accelerator.device.type)
    if accelerator.distributed_type == DistributedType.DEEPSPEED:
        raise ValueError(
            "DeepSpeed is not supported (ZeRO's sharded and 16-bit parameters would leave the EMA target encoder "
            "silently unchanged): choose FSDP or multi-GPU (DDP) in `accelerate config`."
        )
    if accelerator.distributed_type == DistributedType.FSDP:
        configure_fsdp(accelerator.state.fsdp_plugin)
    return accelerator


# FSDP's units (the modules sharded and gathered together) for each FSDP version, as class names: see `configure_fsdp`
FSDP_UNITS = {1: ["JEPALayer", "JEPAModel"], 2: ["JEPALayer"]}


def configure_fsdp(plugin: FullyShardedDataParallelPlugin) -> None:
    """FSDP for this package's models, so that `accelerate config` needs no class names. FSDP1 flattens the
    parameters of each unit into one tensor of one `requires_grad` and shards it: every encoder is a unit of its own
    (which keeps a frozen encoder apart from the trained weights, and shards the EMA's two encoders alike) and so is
    every transformer block; and the original parameters stay visible (`use_orig_params`), which the optimiser's
    groups hold. FSDP2 shards parameter by parameter: its units are the blocks (Accelerate adds the input embedding and
    the final norm). Class names chosen in `accelerate config` are kept, unless FSDP1 would break with them."""
    if plugin.transformer_cls_names_to_wrap is None:
        plugin.transformer_cls_names_to_wrap = FSDP_UNITS[plugin.fsdp_version]
    if plugin.fsdp_version == 1:
        policy = getattr(plugin.auto_wrap_policy, "__name__", "no_wrap")
        classes = ",".join(plugin.transformer_cls_names_to_wrap)
        if policy != transformer_auto_wrap_policy.__name__ or "JEPAModel" not in classes.split(","):
            raise ValueError(
                "FSDP1 needs the transformer-based auto-wrap policy with JEPAModel among the classes to wrap (each "
                f"encoder a unit of its own), got {policy} with {classes}. Leave the class names empty in `accelerate "
                "config` (fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP), or choose FSDP2."
            )
        plugin.use_orig_params = True


def global_batch_size(args: TrainingLoopArguments, accelerator: Accelerator) -> int:
    """Samples per optimiser step: per device x processes x gradient-accumulation steps."""
    return args.per_device_train_batch_size * accelerator.num_processes * args.gradient_accumulation_steps


@dataclass
class TrainingData:
    """What the loop reads: the loader, the torch dataset behind it (for `set_epoch`), its media column and the name
    of the data for the model card."""

    loader: DataLoader
    dataset: data.MediaDataset | data.StreamingMediaDataset
    column: str
    name: str | None


def build_training_data(args: PretrainingArguments, config: JEPAConfig, accelerator: Accelerator) -> TrainingData:
    """The training split as augmented batches; a streamed dataset is split between the processes here."""
    dataset, column = data.load_media_split(
        args, args.train_split, config.num_frames, max_samples=args.max_train_samples, streaming=args.streaming
    )
    transform = training_transform(args, config)
    if args.streaming:
        if args.max_steps <= 0:
            raise ValueError("A streamed dataset has no length: set --max_steps.")
        dataset = data.split_by_process(dataset, accelerator.process_index, accelerator.num_processes)
        train_data = data.StreamingMediaDataset(dataset, column, transform, process_index=accelerator.process_index)
    else:
        check_one_batch_per_process(f"The dataset has {len(dataset)} samples", len(dataset), args, accelerator)
        train_data = data.MediaDataset(dataset, column, transform, seed=args.seed)
    loader = DataLoader(
        train_data,
        batch_size=args.per_device_train_batch_size,
        shuffle=not args.streaming,
        drop_last=True,
        num_workers=args.dataloader_num_workers,
        # masks drawn in the workers; several processes keep their batches of one size
        collate_fn=JEPAMaskCollator(
            config, args.seed, data.collate_skipping_bad, keep_batch_size=accelerator.num_processes > 1
        ),
        generator=loader_generator(args.seed),
    )
    name = data.dataset_name_or_default(args, config.is_video) or args.train_dir
    return TrainingData(loader, train_data, column, name)


def loader_generator(seed: int) -> torch.Generator:
    """A training loader's own generator. Starting a loader draws its workers' base seed; drawn from the global
    generator, that draw would come at another point of the global stream in a resumed run than in an uninterrupted
    one, whose random draws in the steps (SIGReg's directions, drop-path) must repeat exactly."""
    return torch.Generator().manual_seed(seed)


def check_one_batch_per_process(
    what: str, num_samples: int, args: TrainingLoopArguments, accelerator: Accelerator
) -> None:
    """Raises unless the training data fills one batch on every process; `what` says what was counted."""
    if num_samples < args.per_device_train_batch_size * accelerator.num_processes:
        raise ValueError(
            f"{what}, fewer than one batch on every process ({args.per_device_train_batch_size} per device x "
            f"{accelerator.num_processes} processes)."
        )


def count_training_steps(args: TrainingLoopArguments, loader: DataLoader, accelerator: Accelerator) -> int:
    """`max_steps`, or the optimiser steps of `num_train_epochs` epochs (`loader` not yet sharded by `prepare`)."""
    if args.max_steps > 0:
        return args.max_steps
    batches_per_epoch = len(loader) // accelerator.num_processes
    return max(1, math.ceil(args.num_train_epochs * batches_per_epoch / args.gradient_accumulation_steps))


def epoch_batches(
    accelerator: Accelerator, training_data: TrainingData, state: TrainingState, args: PretrainingArguments
) -> Iterator[dict]:
    """The batches of the epoch `state` is in, from the first one not yet trained on (exact resume). Counts the
    undecodable samples (and stops the run when there are too many); the epoch advances once every batch is read. A
    batch of only undecodable samples is skipped by one process, and stops several: the others would wait for it."""
    training_data.dataset.set_epoch(state.epoch)
    if not args.streaming:
        training_data.loader.set_epoch(state.epoch)
    for batch in accelerator.skip_first_batches(training_data.loader, state.batches_in_epoch):
        state.batches_in_epoch += 1
        state.samples_skipped += batch["num_skipped"]
        state.samples_seen += args.per_device_train_batch_size  # every batch is full (drop_last)
        if batch["num_skipped"]:
            state.last_skipped = f"{batch['skipped_ids'][0]} ({batch['skipped_errors'][0]})"
        if state.samples_skipped:
            data.check_bad_fraction(
                state.samples_skipped,
                state.samples_seen,
                args.max_bad_fraction,
                training_data.column,
                state.last_skipped,
            )
        if len(batch["pixel_values"]):
            yield batch
        elif accelerator.num_processes > 1:
            raise ValueError(
                f"Every sample of a batch of process {accelerator.process_index} is undecodable (the last: "
                f"{state.last_skipped}): one process of {accelerator.num_processes} cannot skip a step. Remove the "
                "broken samples from the data."
            )
    state.epoch += 1
    state.batches_in_epoch = 0


def pretraining_inputs(batch: dict, device: torch.device) -> dict:
    """The model's inputs in a batch of `JEPAMaskCollator` (pixels or views, and the masks it drew), on `device`."""
    inputs = {name: batch[name].to(device) for name in ("pixel_values", "local_pixel_values") if name in batch}
    for name in ("context_mask", "target_mask"):
        if name in batch:
            inputs[name] = [mask.to(device) for mask in batch[name]]
    return inputs


def training_step(
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: dict,
    max_grad_norm: float,
    ema_momentum: float | None,
) -> tuple[JEPAForPreTrainingOutput, torch.Tensor | None, bool]:
    """One micro-batch: forward and backward; at the end of a gradient-accumulation cycle also clipping, the optimiser
    step and the EMA update of the target encoder (none when `ema_momentum` is None: a model without one, such as the
    world model). Returns the outputs, the gradient norm (None when not clipped) and whether the step is finite: one
    that is not (`step_is_finite`) is skipped, its gradients dropped.

    `model` is the prepared model, or a `torch.compile` of it. `scripts/benchmark.py` times this same function.
    """
    with accelerator.accumulate(model):
        outputs = model(**inputs)
        accelerator.backward(outputs.loss)
        grad_norm = None
        if accelerator.sync_gradients and max_grad_norm > 0:
            grad_norm = accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
        finite = not accelerator.sync_gradients or step_is_finite(accelerator, outputs.loss, grad_norm)
        if finite:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    if finite and accelerator.sync_gradients and ema_momentum is not None:
        accelerator.unwrap_model(model).update_target_encoder(ema_momentum)
    return outputs, grad_norm, finite


def step_is_finite(accelerator: Accelerator, loss: torch.Tensor, grad_norm: torch.Tensor | None) -> bool:
    """Whether the loss is finite on every process, and the gradient norm too: it also sees the earlier micro-batches
    of a gradient-accumulation cycle (fp16's gradient scaler skips infinite gradients itself). One device sync per
    step."""
    total = accelerator.reduce(loss.detach().float(), "sum")  # not finite when the loss of some process is not
    if grad_norm is not None and accelerator.scaler is None:
        total = total + grad_norm
    return bool(torch.isfinite(total))


class StepLogger:
    """Averages the loss over the steps between two logs and logs it with the schedules, the throughput, the gradient
    norm, every loss term the model returns and the collapse monitor (to the trackers, log_history.jsonl and tqdm)."""

    def __init__(self, accelerator: Accelerator, args: TrainingLoopArguments, schedules: "Schedules", progress: tqdm):
        self.accelerator, self.args, self.schedules, self.progress = accelerator, args, schedules, progress
        self.last_loss = float("nan")
        self.first_spread = None
        self.start_window()

    def start_window(self) -> None:
        self.losses, self.samples, self.window_start = [], 0, time.perf_counter()

    def add(self, loss: torch.Tensor, num_samples: int) -> None:
        self.losses.append(loss.detach())
        self.samples += num_samples * self.accelerator.num_processes

    def schedule_metrics(self, step: int) -> dict:
        """The schedules' values at `step` (a loop without an EMA target encoder overrides this)."""
        schedules = self.schedules
        return {
            "train/learning_rate": schedules.learning_rate(step),
            "train/weight_decay": schedules.weight_decay(step),
            "train/ema_momentum": schedules.ema_momentum(step),
        }

    def feature_spread(self, outputs) -> float:
        """The collapse monitor's input: the target features, or the pooled views of the multi-view objective (a loop
        whose outputs name their targets differently overrides this)."""
        return target_spread(outputs.targets if outputs.targets is not None else outputs.view_embeddings.flatten(0, 1))

    def log(self, state: TrainingState, outputs: JEPAForPreTrainingOutput, grad_norm: torch.Tensor | None) -> None:
        step = state.step
        samples_per_second = self.samples / (time.perf_counter() - self.window_start)
        self.last_loss = self.accelerator.reduce(torch.stack(self.losses).mean(), "mean").item()
        spread = self.feature_spread(outputs)
        self.first_spread = self.first_spread or spread
        metrics = {
            "train/loss": self.last_loss,
            **self.schedule_metrics(step),
            "train/samples_per_second": samples_per_second,
            "train/target_feature_std": spread,
            "train/samples_skipped": state.samples_skipped,
            "train/epoch": state.epoch,
        }
        if grad_norm is not None:
            metrics["train/grad_norm"] = float(grad_norm)
        for name, value in outputs.items():  # ModelOutput holds only the terms that are switched on
            if name.endswith("_loss") and value is not None:
                metrics[f"train/{name}"] = value.item()
        log_metrics(self.accelerator, self.args, step, metrics)
        self.progress.set_postfix(loss=f"{self.last_loss:.4f}", samples_per_s=f"{samples_per_second:.0f}")
        if spread < 0.05 * self.first_spread:
            logger.warning(
                f"step {step}: the target features' spread across the batch fell to {spread:.2e} "
                f"({spread / self.first_spread:.1%} of its first value): the representation may be collapsing. "
                "Consider a lower learning rate, a higher EMA momentum, or variance/SIGReg regularisation.",
                main_process_only=True,
            )
        self.start_window()


def start_tracking(accelerator: Accelerator, args: TrainingLoopArguments, project_name: str) -> None:
    """Writes output_dir/training_args.json (without credentials) and starts the trackers with the same values. A run
    that does not resume first removes what an earlier one left there (`remove_previous_run`)."""
    if accelerator.is_main_process:
        if not args.resume_from_checkpoint:
            remove_previous_run(accelerator, args.output_dir)
        (Path(args.output_dir) / "training_args.json").write_text(json.dumps(public_arguments(args), indent=2))
    accelerator.init_trackers(project_name, config={k: str(v) for k, v in public_arguments(args).items()})


def start_run(
    accelerator: Accelerator, args: PretrainingArguments, model: JEPAForPreTraining, column: str, total_steps: int
) -> None:
    """Writes training_args.json, starts the trackers and says what is about to be trained."""
    start_tracking(accelerator, args, "jepa-pretraining")
    log_masking(accelerator, model.config)
    accelerator.print(
        f"Pretraining a {model.context_encoder.num_parameters() / 1e6:.1f}M-parameter encoder on {column!r} for "
        f"{total_steps} steps of {global_batch_size(args, accelerator)} samples"
    )


def run_steps(
    accelerator: Accelerator,
    args: TrainingLoopArguments,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedules: Schedules,
    state: TrainingState,
    step_logger: StepLogger,
    *,
    batches: Callable[[], Iterable[dict]],
    model_inputs: Callable[[dict], dict],
    ema: bool,
    after_step: Callable[[int], None],
) -> None:
    """The loop every training job shares, from where `state` stands to `schedules.total_steps` optimiser steps.

    `batches()` gives the rest of the current epoch (and advances `state`'s epoch at its end); `model_inputs(batch)`
    makes the model's inputs. A resumed run repeats an uninterrupted one exactly: the batches' random draws (crops,
    masks) depend only on the samples they hold, draws from the global generator in the step (SIGReg's directions)
    repeat as the checkpoint restores it and the loaders draw from their own (`loader_generator`). `ema`: update an
    EMA target encoder after each optimiser step. `after_step(step)` evaluates, checkpoints, ... after the step is
    logged. A step with a non-finite loss is skipped, at most `max_nonfinite_steps` times; weights that are not finite
    at the end raise rather than being saved.
    """
    while state.step < schedules.total_steps:
        for batch in batches():
            inputs = model_inputs(batch)
            momentum = schedules.ema_momentum(state.step) if ema else None
            outputs, grad_norm, finite = training_step(
                accelerator, model, optimizer, inputs, args.max_grad_norm, momentum
            )
            step_logger.add(outputs.loss, len(inputs["pixel_values"]))
            if not accelerator.sync_gradients:
                continue
            state.step += 1
            if not finite:
                skip_nonfinite_step(args, state)
            schedules.apply(optimizer, state.step)
            step_logger.progress.update(1)
            if state.step % args.logging_steps == 0 or state.step == schedules.total_steps:
                step_logger.log(state, outputs, grad_norm)
            after_step(state.step)
            if state.step >= schedules.total_steps:
                break
    step_logger.progress.close()
    check_finite_weights(args, accelerator.unwrap_model(model), state.step)


def pretrain(args: PretrainingArguments) -> dict:
    """Pretrains a JEPA model as `args` says; returns a summary (output_dir, steps, final loss, evaluation)."""
    check_output_dir(args)
    start_time = time.perf_counter()
    accelerator = build_accelerator(args)
    set_seed(args.seed)
    model, base_model = build_model(args)
    if args.gradient_checkpointing:
        model.activation_checkpointing_enable()
    config = model.config
    training_data = build_training_data(args, config, accelerator)
    optimizer = build_optimizer(model, args)
    schedules = Schedules(args, count_training_steps(args, training_data.loader, accelerator))
    schedules.apply(optimizer, step=0)
    if args.streaming:  # already split between processes (`split_by_process`): Accelerate must not shard it again
        model, optimizer = accelerator.prepare(model, optimizer)
    else:
        model, optimizer, training_data.loader = accelerator.prepare(model, optimizer, training_data.loader)
    unwrapped = accelerator.unwrap_model(model)
    state = restore_training_state(accelerator, args, unwrapped, optimizer)
    start_run(accelerator, args, unwrapped, training_data.column, schedules.total_steps)

    progress = tqdm(
        total=schedules.total_steps, initial=state.step, disable=not accelerator.is_main_process, desc="pretrain"
    )
    step_logger = StepLogger(accelerator, args, schedules, progress)
    evaluator = make_step_evaluator(args, config) if args.eval_steps else None
    background_pushes = []

    def after_step(step: int) -> None:
        if evaluator is not None and step % args.eval_steps == 0:
            log_metrics(
                accelerator, args, step, {"eval/knn_accuracy": step_knn_accuracy(accelerator, model, evaluator)}
            )
        if args.checkpointing_steps and step % args.checkpointing_steps == 0:
            background_pushes.extend(save_checkpoint_and_push(accelerator, args, unwrapped, optimizer, state))

    run_steps(
        accelerator,
        args,
        model,
        optimizer,
        schedules,
        state,
        step_logger,
        batches=lambda: epoch_batches(accelerator, training_data, state, args),
        model_inputs=lambda batch: pretraining_inputs(batch, accelerator.device),
        ema=True,
        after_step=after_step,
    )
    return finish_run(
        accelerator,
        args,
        model,
        state,
        step_logger.last_loss,
        base_model,
        training_data.name,
        time.perf_counter() - start_time,
        background_pushes,
    )


def run_summary(
    accelerator: Accelerator,
    args: TrainingLoopArguments,
    state: TrainingState,
    final_loss: float,
    wall_time_seconds: float,
    dataset_name: str | None,
) -> dict:
    """What a finished run returns and its model card reports (`RUN_FACTS` among them)."""
    return {
        "output_dir": args.output_dir,
        "steps": state.step,
        "final_loss": final_loss,
        "global_batch_size": global_batch_size(args, accelerator),
        "samples_skipped": state.samples_skipped,
        "dataset": dataset_name,
        "wall_time_seconds": round(wall_time_seconds, 1),
        "hardware": describe_hardware(accelerator),
    }


def finish_run(
    accelerator: Accelerator,
    args: PretrainingArguments,
    model: torch.nn.Module,
    state: TrainingState,
    final_loss: float,
    base_model: str | None,
    dataset_name: str | None,
    wall_time_seconds: float,
    background_pushes: list,
) -> dict:
    """Waits for every process and checkpoint upload, then saves (`model` as prepared: its weights are gathered on
    every process, which FSDP needs), evaluates and pushes the final model."""
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)
    summary = run_summary(accelerator, args, state, final_loss, wall_time_seconds, dataset_name)
    summary["base_model"] = base_model
    if state.samples_skipped:
        accelerator.print(f"Skipped {state.samples_skipped} undecodable samples of {state.samples_seen}.")
    for push in background_pushes:  # a failed checkpoint upload is reported, never fatal: the final push follows
        if push.exception() is not None:
            logger.warning(f"Pushing a checkpoint to the Hub failed: {push.exception()}")
    if accelerator.is_main_process:
        summary.update(save_final_model(args, accelerator.unwrap_model(model), state_dict, summary))
    accelerator.end_training()
    return summary


def log_metrics(accelerator: Accelerator, args: TrainingLoopArguments, step: int, metrics: dict) -> None:
    """To the trackers, and to output_dir/log_history.jsonl (one JSON record per line)."""
    accelerator.log(metrics, step=step)
    if accelerator.is_main_process:
        with open(Path(args.output_dir) / "log_history.jsonl", "a") as history:
            history.write(json.dumps({"step": step, **metrics}) + "\n")


def describe_hardware(accelerator: Accelerator) -> str:
    if accelerator.device.type == "cuda":
        device = torch.cuda.get_device_name(accelerator.device)
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    return f"{accelerator.num_processes} x {device}, mixed precision {accelerator.mixed_precision}"


def target_spread(targets: torch.Tensor) -> float:
    """Collapse monitor: std across the batch of the (layer-normed) target features, averaged over tokens and
    channels. It is near zero when the target encoder gives every sample the same features."""
    return targets.float().std(0).mean().item()


def log_masking(accelerator: Accelerator, config: JEPAConfig) -> None:
    """Reports the objective, and the average share of the token grid that the context and each target block keep."""
    if config.objective == "multiview":
        accelerator.print("Objective 'multiview': invariance across augmented views and regularisers, no masks")
        return
    draws = [sample_masks(config, 64, torch.Generator().manual_seed(seed)) for seed in range(8)]
    context = sum(contexts[0].shape[1] for contexts, _ in draws) / len(draws) / config.num_patches
    target = sum(targets[0].shape[1] for _, targets in draws) / len(draws) / config.num_patches
    accelerator.print(
        f"Objective {config.objective!r}, masking {config.mask_strategy!r} on a "
        f"{'x'.join(map(str, config.grid_size))} token grid: context "
        f"{context:.0%} of the tokens, {len(draws[0][1])} target block(s) of {target:.0%} each"
    )


def evaluation_arguments(args: PretrainingArguments, **overrides) -> EvaluationArguments:
    """The probes' settings for the data this run trained on: its `DataArguments`, the saved model, the baselines."""
    values = asdict(args.data_arguments())
    # the probes after pretraining train on at most `max_eval_samples` examples too, and read map-style splits
    values.update(max_train_samples=args.max_eval_samples, streaming=False)
    values.update(model_name_or_path=args.output_dir, output_dir=args.output_dir, baselines=args.eval_baselines)
    return EvaluationArguments(**{**values, **overrides})


def step_knn_accuracy(accelerator: Accelerator, model: torch.nn.Module, evaluator: Callable) -> float:
    """`--eval_steps`: every process runs the evaluator on the same data. Under FSDP the sharded target encoder's
    forward is a collective; under DDP a process left waiting at the next step's all-reduce could time out. FSDP2
    keeps the root's own parameters (the target encoder's patch embedding among them) sharded outside the model's
    forward: they are gathered while the target encoder runs on its own."""
    if accelerator.is_fsdp2:
        model.unshard()
    try:
        return evaluator(accelerator.unwrap_model(model).target_encoder)
    finally:
        if accelerator.is_fsdp2:
            model.reshard()


def make_step_evaluator(args: PretrainingArguments, config: JEPAConfig):
    """`--eval_steps`: the kNN accuracy of the target encoder on the labelled splits, as a function of the encoder.
    The images go through the processor that the run will save with the model."""
    processor = build_processor(config, args.image_mean, args.image_std)
    transform = data.processor_transform(processor, config.num_frames, args.frame_step)
    labelled = build_labelled_data(evaluation_arguments(args, protocols=["knn"]), transform, config.num_frames)
    return lambda encoder: knn_accuracy_during_training(encoder, labelled.train, labelled.eval)


def evaluate_after_pretraining(args: PretrainingArguments) -> list[dict] | None:
    """kNN and linear probes of the saved target encoder (and the baselines); None when the data has no labels."""
    try:
        return evaluate(evaluation_arguments(args))
    except MissingLabelsError as error:
        logger.warning(f"No evaluation at the end of pretraining: {error}", main_process_only=True)
        return None


def push_checkpoint_in_background(args: PretrainingArguments, model: JEPAForPreTraining, checkpoint: Path):
    """`hub_strategy="every_save"`: a loadable model at the repo root after every save, uploaded in the background.
    The resumable training states (optimizer, RNG) stay local."""
    model.save_pretrained(args.output_dir)
    build_processor(model.config, args.image_mean, args.image_std).save_pretrained(args.output_dir)
    write_model_card(args.output_dir, config=model.config, training_args=public_arguments(args))
    return push_to_hub(
        args.output_dir,
        args.hub_model_id,
        private=args.hub_private_repo,
        token=args.hub_token,
        commit_message=f"Training in progress: {checkpoint.name}",
        run_as_future=True,
    )


def public_arguments(args: TrainingLoopArguments) -> dict:
    """The training arguments without credentials, for training_args.json and the model card."""
    return {key: value for key, value in asdict(args).items() if key != "hub_token"}


def save_gathered_model(model: PreTrainedModel, state_dict: dict[str, torch.Tensor], output_dir: str | Path) -> None:
    """`model.save_pretrained` with the weights that `accelerator.get_state_dict` gathered. FSDP2 gives the model a
    class that torch defines (`FSDP<name>`), whose source files save_pretrained would ship as the model's code: the
    weights are then saved from an empty instance (on the meta device) of the model's own class."""
    if isinstance(model, FSDPModule):  # class FSDP<name>(FSDPModule, <name>)
        with torch.device("meta"):
            model = type(model).__bases__[1](model.config)
    model.save_pretrained(output_dir, state_dict=state_dict)


def save_final_model(
    args: PretrainingArguments, model: JEPAForPreTraining, state_dict: dict[str, torch.Tensor], summary: dict
) -> dict:
    """Writes the Hub-ready folder: model (its weights `state_dict`, gathered by `accelerator.get_state_dict`) + code,
    processor, model card; evaluates and pushes when asked."""
    output_dir = Path(args.output_dir)
    save_gathered_model(model, state_dict, output_dir)
    build_processor(model.config, args.image_mean, args.image_std).save_pretrained(output_dir)
    results = {}
    if args.do_eval:
        results["eval_results"] = evaluate_after_pretraining(args)
    write_model_card(
        output_dir,
        config=model.config,
        training_args=public_arguments(args),
        eval_results=results.get("eval_results"),
        base_model=summary["base_model"],
        datasets=[summary["dataset"]] if summary["dataset"] else None,
        training_summary={key: summary[key] for key in RUN_FACTS},
    )
    if args.push_to_hub:
        results["hub_url"] = str(
            push_to_hub(output_dir, args.hub_model_id, private=args.hub_private_repo, token=args.hub_token)
        )
    return results
