# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The Accelerate engine every training job runs on: `train(args, job)` does setup -> loop -> finish exactly once.

One loop, read top to bottom: output folder -> accelerator -> seed -> the job's model and data -> optimiser ->
schedules -> `prepare` -> (resume) -> steps -> checkpoints -> final `save_pretrained`, model card and push. A job
(JEPA pretraining, the world model) supplies only what differs: its model and loader, the model's inputs, extra work
after a step, and what it saves beside the weights. It runs unchanged on CPU, one GPU, or many through `accelerate
launch` (DDP; FSDP without checkpoints).
"""

import json
import math
import os
import reprlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from ..hub.upload import push_to_hub
from .arguments import TrainingLoopArguments, public_arguments
from .distributed import build_accelerator, save_gathered_model
from .state import (
    CHECKPOINT_PREFIX,
    TrainingState,
    check_finite_weights,
    restore_training_state,
    save_checkpoint,
    skip_nonfinite_step,
)

logger = get_logger(__name__)

RUN_FACTS = ("steps", "global_batch_size", "wall_time_seconds", "hardware", "final_loss", "samples_skipped")


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


def global_batch_size(args: TrainingLoopArguments, accelerator: Accelerator) -> int:
    """Samples per optimiser step: per device x processes x gradient-accumulation steps."""
    return args.per_device_train_batch_size * accelerator.num_processes * args.gradient_accumulation_steps


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
    accelerator: Accelerator,
    args: TrainingLoopArguments,
    loader: DataLoader,
    state: TrainingState,
    keep: Callable[[dict], bool] = lambda batch: True,
) -> Iterator[dict]:
    """The batches of the epoch `state` is in, from the first one not yet trained on (exact resume); the epoch advances
    once every batch is read. `keep(batch)` lets a job count what a batch holds (undecodable samples) and leave it
    out of training."""
    for batch in accelerator.skip_first_batches(loader, state.batches_in_epoch):
        state.batches_in_epoch += 1
        state.samples_seen += args.per_device_train_batch_size  # every batch is full (drop_last)
        if keep(batch):
            yield batch
    state.epoch += 1
    state.batches_in_epoch = 0


def training_step(
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: dict,
    max_grad_norm: float,
    ema_momentum: float | None,
) -> tuple[ModelOutput, torch.Tensor | None, bool]:
    """One micro-batch: forward and backward; at the end of a gradient-accumulation cycle also clipping, the optimiser
    step and the EMA update of the target encoder (none when `ema_momentum` is None: a model without one, such as the
    world model). Returns the outputs, the gradient norm (None when not clipped) and whether the step is finite: one
    that is not (`step_is_finite`) is skipped, its gradients dropped.

    `model` is the prepared model, or a `torch.compile` of it. `hf-jepa benchmark` times this same function.
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

    def __init__(
        self, accelerator: Accelerator, args: TrainingLoopArguments, schedules: Schedules, progress: tqdm, job: "Job"
    ):
        self.accelerator, self.args, self.schedules, self.progress = accelerator, args, schedules, progress
        self.feature_spread, self.ema, self.job_schedule_metrics = job.feature_spread, job.ema, job.schedule_metrics
        self.last_loss = float("nan")
        self.first_spread = None
        self.start_window()

    def start_window(self) -> None:
        self.losses, self.samples, self.window_start = [], 0, time.perf_counter()

    def add(self, loss: torch.Tensor, num_samples: int) -> None:
        self.losses.append(loss.detach())
        self.samples += num_samples * self.accelerator.num_processes

    def schedule_metrics(self, step: int) -> dict:
        """The schedules' values at `step` (the EMA momentum only for a job with an EMA target encoder), then the
        job's own."""
        schedules = self.schedules
        metrics = {
            "train/learning_rate": schedules.learning_rate(step),
            "train/weight_decay": schedules.weight_decay(step),
        }
        if self.ema:
            metrics["train/ema_momentum"] = schedules.ema_momentum(step)
        return {**metrics, **self.job_schedule_metrics(step)}

    def log(self, state: TrainingState, outputs: ModelOutput, grad_norm: torch.Tensor | None) -> None:
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


def target_spread(targets: torch.Tensor) -> float:
    """Collapse monitor: std across the batch of the (layer-normed) target features, averaged over tokens and
    channels. It is near zero when the target encoder gives every sample the same features."""
    return targets.float().std(0).mean().item()


def log_metrics(accelerator: Accelerator, args: TrainingLoopArguments, step: int, metrics: dict) -> None:
    """To the trackers, and to output_dir/log_history.jsonl (one JSON record per line)."""
    accelerator.log(metrics, step=step)
    if accelerator.is_main_process:
        with open(Path(args.output_dir) / "log_history.jsonl", "a") as history:
            history.write(json.dumps({"step": step, **metrics}) + "\n")


def start_tracking(accelerator: Accelerator, args: TrainingLoopArguments, project_name: str) -> None:
    """Writes output_dir/training_args.json (without credentials) and starts the trackers with the same values. A run
    that does not resume first removes what an earlier one left there (`remove_previous_run`)."""
    if accelerator.is_main_process:
        if not args.resume_from_checkpoint:
            remove_previous_run(accelerator, args.output_dir)
        (Path(args.output_dir) / "training_args.json").write_text(json.dumps(public_arguments(args), indent=2))
    accelerator.init_trackers(project_name, config={k: str(v) for k, v in public_arguments(args).items()})


def describe_hardware(accelerator: Accelerator) -> str:
    if accelerator.device.type == "cuda":
        device = torch.cuda.get_device_name(accelerator.device)
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    return f"{accelerator.num_processes} x {device}, mixed precision {accelerator.mixed_precision}"


class Job:
    """What a training job brings to [`train`]; the engine does the rest. A job builds its model and training loader,
    says what it trains, reads its batches and makes the model's inputs from them, and may add work after a step, a
    model pushed with each checkpoint (`hub_strategy="every_save"`) and files beside the saved weights. The defaults
    suit a job whose loader is sharded by Accelerate and whose batches are the model's inputs."""

    project_name = "jepa"  # the trackers' project
    progress_name = "train"  # tqdm's label
    ema = False  # an EMA target encoder is updated after every optimiser step (`Schedules.ema_momentum`)
    shard_loader = True  # `accelerator.prepare` shards the loader (a streamed dataset is split already)
    push_updates_card = True  # the final push lets `push_to_hub` fill in the card's Hub fields
    dataset_name: str | None = None  # the data's name in the summary and the model card
    summary_extras: dict = {}  # more entries of the summary, after `run_summary`'s

    def __init__(self, args: TrainingLoopArguments):
        self.args = args

    def build(self, accelerator: Accelerator) -> tuple[PreTrainedModel, DataLoader]:
        """The model to train and its training loader (not prepared), built after the seed is set."""
        raise NotImplementedError

    def start(self, accelerator: Accelerator, model: PreTrainedModel, total_steps: int, batch_size: int) -> None:
        """Says what is about to be trained (`model` unwrapped) for `total_steps` of `batch_size` samples, once the
        trackers started."""

    def batches(self, accelerator: Accelerator, loader: DataLoader, state: TrainingState) -> Iterable[dict]:
        """The rest of the current epoch (`epoch_batches`)."""
        loader.set_epoch(state.epoch)
        return epoch_batches(accelerator, self.args, loader, state)

    def model_inputs(self, batch: dict, device: torch.device) -> dict:
        return batch

    def feature_spread(self, outputs: ModelOutput) -> float:
        """The collapse monitor's value for a logged step's outputs (`target_spread` of the features it watches)."""
        raise NotImplementedError

    def schedule_metrics(self, step: int) -> dict:
        """The job's own schedules' values at `step`, logged beside the learning rate (none by default)."""
        return {}

    def after_step(self, accelerator: Accelerator, model: torch.nn.Module, step: int) -> None:
        """Work after optimiser step `step` is logged, before its checkpoint (`model` as prepared)."""

    def push_checkpoint(self, model: PreTrainedModel, checkpoint: Path) -> list[Future]:
        """Uploads started after `checkpoint` was saved, with `hub_strategy="every_save"` (none by default)."""
        return []

    def save(self, model: PreTrainedModel, summary: dict) -> dict:
        """Writes what goes beside the saved weights in output_dir (processor, model card; `model` unwrapped) and
        returns entries for the summary (evaluation results)."""
        return {}


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


def train(args: TrainingLoopArguments, job: Job) -> dict:
    """Runs `job` as `args` say, setup -> loop -> finish, once; returns the run's summary (output_dir, steps, final
    loss, ...). The model and data come after the seed (`job.build`), so that a run's random draws repeat."""
    check_output_dir(args)
    start_time = time.perf_counter()
    accelerator = build_accelerator(args)
    set_seed(args.seed)
    model, loader = job.build(accelerator)
    if args.gradient_checkpointing:
        model.activation_checkpointing_enable()
    optimizer = build_optimizer(model, args)
    schedules = Schedules(args, count_training_steps(args, loader, accelerator))
    schedules.apply(optimizer, step=0)
    if job.shard_loader:
        model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    else:  # a streamed dataset is already split between processes: Accelerate must not shard it again
        model, optimizer = accelerator.prepare(model, optimizer)
    unwrapped = accelerator.unwrap_model(model)
    state = restore_training_state(accelerator, args, unwrapped, optimizer)
    start_tracking(accelerator, args, job.project_name)
    job.start(accelerator, unwrapped, schedules.total_steps, global_batch_size(args, accelerator))

    progress = tqdm(
        total=schedules.total_steps,
        initial=state.step,
        disable=not accelerator.is_main_process,
        desc=job.progress_name,
    )
    step_logger = StepLogger(accelerator, args, schedules, progress, job)
    background_pushes = []

    def after_step(step: int) -> None:
        job.after_step(accelerator, model, step)
        if args.checkpointing_steps and step % args.checkpointing_steps == 0:
            checkpoint = save_checkpoint(accelerator, args, unwrapped, optimizer, state)
            if args.push_to_hub and args.hub_strategy == "every_save" and accelerator.is_main_process:
                background_pushes.extend(job.push_checkpoint(unwrapped, checkpoint))

    run_steps(
        accelerator,
        args,
        model,
        optimizer,
        schedules,
        state,
        step_logger,
        batches=lambda: job.batches(accelerator, loader, state),
        model_inputs=lambda batch: job.model_inputs(batch, accelerator.device),
        ema=job.ema,
        after_step=after_step,
    )
    wall_time_seconds = time.perf_counter() - start_time
    return finish(accelerator, args, job, model, state, step_logger.last_loss, wall_time_seconds, background_pushes)


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


def finish(
    accelerator: Accelerator,
    args: TrainingLoopArguments,
    job: Job,
    model: torch.nn.Module,
    state: TrainingState,
    final_loss: float,
    wall_time_seconds: float,
    background_pushes: list[Future],
) -> dict:
    """Waits for every process and checkpoint upload, then saves (`model` as prepared: its weights are gathered on
    every process, which FSDP needs) with what the job adds (processor, evaluation, model card), and pushes when
    asked."""
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)
    summary = run_summary(accelerator, args, state, final_loss, wall_time_seconds, job.dataset_name)
    summary.update(job.summary_extras)
    if state.samples_skipped:
        accelerator.print(f"Skipped {state.samples_skipped} undecodable samples of {state.samples_seen}.")
    for push in background_pushes:  # a failed checkpoint upload is reported, never fatal: the final push follows
        if push.exception() is not None:
            logger.warning(f"Pushing a checkpoint to the Hub failed: {push.exception()}")
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        save_gathered_model(unwrapped, state_dict, args.output_dir)
        summary.update(job.save(unwrapped, summary))
        if args.push_to_hub:
            summary["hub_url"] = str(
                push_to_hub(
                    args.output_dir,
                    args.hub_model_id,
                    private=args.hub_private_repo,
                    token=args.hub_token,
                    update_model_card=job.push_updates_card,
                )
            )
    accelerator.end_training()
    return summary
