# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The run's counters (`TrainingState`) and its checkpoints: JSON and safetensors, and the optimiser's tensors read
with `torch.load(weights_only=True)`, so that resuming never unpickles anything. Exact resume, rotation, and the
non-finite guard that keeps bad weights out of them."""

import json
import os
import pickle
import random
import reprlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import DistributedType
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from transformers import PreTrainedModel

from .arguments import TrainingLoopArguments

logger = get_logger(__name__)

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


T = TypeVar("T")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from: the message names the missing, damaged or refused file."""


class NonFiniteTrainingError(ValueError):
    """The loss or the weights stopped being finite; the message names the step and the last checkpoint."""


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
