# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training a JEPA world model on recorded episodes: `hf_jepa.train_world_model(WorldModelTrainingArguments(...))`.

The same loop as pretraining (`hf_jepa.training`): its arguments (`TrainingLoopArguments`), accelerator, schedules,
optimiser, `training_step`, atomic checkpoints with exact resume, trackers and log_history.jsonl, then a final
`save_pretrained` whose config carries the action (and state) normalisation statistics, and a model card.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..configuration_world_model import JEPAWorldModelConfig
from ..data.episodes import (
    ACTION_COLUMN,
    STATE_COLUMN,
    EpisodeWindows,
    Stats,
    compute_normalization_stats,
    frame_transform,
)
from ..data.loading import load_media_dataset
from ..hub.cards import write_world_model_card
from ..hub.run_files import read_training_arguments
from ..hub.upload import push_to_hub
from ..modeling_world_model import JEPAWorldModel
from .engine import (
    RUN_FACTS,
    Schedules,
    StepLogger,
    TrainingLoopArguments,
    TrainingState,
    apply_config_overrides,
    build_accelerator,
    build_optimizer,
    check_one_batch_per_process,
    check_output_dir,
    count_training_steps,
    global_batch_size,
    loader_generator,
    public_arguments,
    restore_training_state,
    run_steps,
    run_summary,
    save_checkpoint,
    save_gathered_model,
    start_tracking,
    target_spread,
)

logger = get_logger(__name__)

ENCODER_PREFIX = "encoder."


@dataclass
class WorldModelTrainingArguments(TrainingLoopArguments):
    """How a world model is trained: the data, optimisation, logging and sharing settings it shares with pretraining
    ([`TrainingLoopArguments`]; `dataset_name` is an episode dataset in LeRobot's schema, a `save_to_disk` folder or a
    Hub id, and `frame_step` the rows between two frames of a window), then the window and the model.

    The model is `JEPAWorldModelConfig`'s defaults changed by `config_overrides` (`encoder.<name>=value` reaches the
    frame encoder), or a frozen pretrained encoder with `encoder_name_or_path`."""

    history: int | None = field(
        default=None,
        metadata={"help": "Frames of context per training window (default: the config's history_length)."},
    )
    horizon: int | None = field(
        default=None,
        metadata={"help": "Frames after the history per window (default: the config's rollout_steps, at least 1)."},
    )
    encoder_name_or_path: str | None = field(
        default=None,
        metadata={"help": "A pretrained hf_jepa encoder to use frozen (V-JEPA 2-AC / DINO-WM); default: end to end."},
    )

    def __post_init__(self):
        super().__post_init__()
        if self.dataset_name is None:
            raise ValueError("Give --dataset_name: an episode dataset (a save_to_disk folder or a Hub id).")
        for name in ("history", "horizon"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")


def training_episodes_folder(model_folder: str | Path, search_roots: Sequence[Path] = ()) -> Path | None:
    """The local folder of the episodes a world model was trained on: the `dataset_name` of its training_args.json,
    taken from the working directory, then from each of `search_roots`. None when `model_folder` has no
    training_args.json, it names no dataset, or the dataset is not a folder here (e.g. a Hub id)."""
    name = read_training_arguments(model_folder).get("dataset_name")
    for folder in [Path(name), *(root / name for root in search_roots)] if name else []:
        if folder.is_dir():
            return folder
    return None


def load_episodes(args: WorldModelTrainingArguments) -> datasets.Dataset:
    """The training split of the episode dataset: a `save_to_disk` folder or a Hub id; `max_train_samples` keeps the
    first rows (whole episodes stay in order)."""
    dataset = load_media_dataset(
        args.dataset_name, args.dataset_config_name, split=args.train_split, cache_dir=args.cache_dir
    )
    if args.max_train_samples is not None:
        dataset = dataset.select(range(min(args.max_train_samples, len(dataset))))
    return dataset


def split_overrides(overrides: str | None) -> tuple[str, str]:
    """'a=1,encoder.b=2' -> ('a=1', 'b=2'): the world model's own values and its encoder's."""
    own, encoder = [], []
    for item in filter(None, (part.strip() for part in (overrides or "").split(","))):
        (encoder if item.startswith(ENCODER_PREFIX) else own).append(item.removeprefix(ENCODER_PREFIX))
    return ",".join(own), ",".join(encoder)


def tiled_stats(stats: dict[str, list[float]], times: int) -> dict[str, list[float]]:
    """Statistics of one action repeated for `times` concatenated actions (a window's `frame_step` actions)."""
    return {key: list(values) * times for key, values in stats.items()}


def build_world_model(args: WorldModelTrainingArguments, stats: Stats) -> JEPAWorldModel:
    """The world model `args` describe, with the action (and state) statistics of the data in its config. A model
    step's action is `frame_step` recorded actions, so the action statistics repeat `frame_step` times."""
    action_stats = tiled_stats(stats[ACTION_COLUMN], args.frame_step)
    values = dict(
        action_dim=len(action_stats["mean"]), action_mean=action_stats["mean"], action_std=action_stats["std"]
    )
    own, encoder = split_overrides(args.config_overrides)
    pretrained = None
    if args.encoder_name_or_path is not None:
        if encoder:
            raise ValueError(f"config_overrides cannot change a pretrained encoder ({encoder!r}).")
        pretrained = JEPAWorldModel.from_pretrained_encoder(args.encoder_name_or_path, **values).encoder
        config = JEPAWorldModelConfig(**{**values, "encoder_config": pretrained.config.to_dict()}, freeze_encoder=True)
    else:
        config = JEPAWorldModelConfig(**values)
        apply_config_overrides(config.encoder_config, encoder, prefix=ENCODER_PREFIX)
    apply_config_overrides(config, own)
    if config.action_dim != len(action_stats["mean"]):
        raise ValueError(
            f"config_overrides set action_dim={config.action_dim}, but a model step's action in this data has "
            f"{len(action_stats['mean'])} values ({args.frame_step} recorded action(s) of "
            f"{len(stats[ACTION_COLUMN]['mean'])}: frame_step x the dataset's action size)."
        )
    if config.state_dim:
        if STATE_COLUMN not in stats or len(stats[STATE_COLUMN]["mean"]) != config.state_dim:
            raise ValueError(f"state_dim={config.state_dim} does not match the dataset's {STATE_COLUMN!r} column.")
        config.state_mean, config.state_std = stats[STATE_COLUMN]["mean"], stats[STATE_COLUMN]["std"]
    model = JEPAWorldModel(JEPAWorldModelConfig(**config.to_dict()))  # validates the overridden values
    if pretrained is not None:
        model.encoder.load_state_dict(pretrained.state_dict())
    model.set_attn_implementation(args.attn_implementation)
    return model


def build_windows(args: WorldModelTrainingArguments, dataset: datasets.Dataset, model: JEPAWorldModel, stats: Stats):
    """The training windows: `history + horizon` frames `frame_step` rows apart, with their normalised actions."""
    config = model.config
    history = args.history or config.history_length
    horizon = args.horizon or max(config.rollout_steps, 1)
    if history + horizon < config.min_frames:
        raise ValueError(
            f"history ({history}) + horizon ({horizon}) frames are fewer than the {config.min_frames} the model "
            f"trains on (history_length {config.history_length} + rollout_steps {config.rollout_steps})."
        )
    transform = frame_transform(config.encoder_config.image_size)
    return EpisodeWindows(
        dataset, history, horizon, transform, stats, frame_step=args.frame_step, image_column=args.image_column_name
    )


class WorldModelStepLogger(StepLogger):
    """The pretraining logger without an EMA schedule; the collapse monitor reads the encoded target frames."""

    def schedule_metrics(self, step: int) -> dict:
        return {
            "train/learning_rate": self.schedules.learning_rate(step),
            "train/weight_decay": self.schedules.weight_decay(step),
        }

    def feature_spread(self, outputs) -> float:
        return target_spread(outputs.target_embeddings)


def model_inputs(batch: dict, model: JEPAWorldModel) -> dict:
    """The batch without the states when the model has none."""
    return {key: value for key, value in batch.items() if key != "states" or model.config.state_dim}


def train_world_model(args: WorldModelTrainingArguments) -> dict:
    """Trains a world model as `args` says; returns a summary (output_dir, steps, final loss, wall time)."""
    check_output_dir(args)
    start_time = time.perf_counter()
    accelerator = build_accelerator(args)
    set_seed(args.seed)
    dataset = load_episodes(args)
    stats = compute_normalization_stats(dataset)
    model = build_world_model(args, stats)
    if args.gradient_checkpointing:
        model.activation_checkpointing_enable()
    windows = build_windows(args, dataset, model, stats)
    check_one_batch_per_process(f"The episodes hold {len(windows)} training windows", len(windows), args, accelerator)
    loader = DataLoader(
        windows,
        batch_size=args.per_device_train_batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.dataloader_num_workers,
        generator=loader_generator(args.seed),
    )
    optimizer = build_optimizer(model, args)
    schedules = Schedules(args, count_training_steps(args, loader, accelerator))
    schedules.apply(optimizer, step=0)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    unwrapped = accelerator.unwrap_model(model)
    state = restore_training_state(accelerator, args, unwrapped, optimizer)
    start_world_model_run(accelerator, args, unwrapped, windows, schedules.total_steps)

    progress = tqdm(
        total=schedules.total_steps, initial=state.step, disable=not accelerator.is_main_process, desc="world model"
    )
    step_logger = WorldModelStepLogger(accelerator, args, schedules, progress)

    def epoch_windows():
        """The rest of the current epoch's batches (exact resume), then the next epoch."""
        loader.set_epoch(state.epoch)
        for batch in accelerator.skip_first_batches(loader, state.batches_in_epoch):
            state.batches_in_epoch += 1
            state.samples_seen += len(batch["pixel_values"])
            yield batch
        state.epoch, state.batches_in_epoch = state.epoch + 1, 0

    def after_step(step: int) -> None:
        if args.checkpointing_steps and step % args.checkpointing_steps == 0:
            save_checkpoint(accelerator, args, unwrapped, optimizer, state)

    run_steps(
        accelerator,
        args,
        model,
        optimizer,
        schedules,
        state,
        step_logger,
        batches=epoch_windows,
        model_inputs=lambda batch: model_inputs(batch, unwrapped),
        ema=False,
        after_step=after_step,
    )
    return finish_world_model_run(
        accelerator, args, model, state, step_logger.last_loss, time.perf_counter() - start_time
    )


def start_world_model_run(
    accelerator: Accelerator,
    args: WorldModelTrainingArguments,
    model: JEPAWorldModel,
    windows: EpisodeWindows,
    total_steps: int,
) -> None:
    """Writes training_args.json, starts the trackers and says what is about to be trained."""
    start_tracking(accelerator, args, "jepa-world-model")
    skipped = f", {windows.num_skipped_episodes} episodes too short skipped" if windows.num_skipped_episodes else ""
    accelerator.print(
        f"Training a {model.num_parameters() / 1e6:.1f}M-parameter world model on {len(windows)} windows of "
        f"{windows.num_frames} frames{skipped} for {total_steps} steps of {global_batch_size(args, accelerator)} "
        "windows"
    )


def finish_world_model_run(
    accelerator: Accelerator,
    args: WorldModelTrainingArguments,
    model: torch.nn.Module,
    state: TrainingState,
    final_loss: float,
    wall_time_seconds: float,
) -> dict:
    """Saves the model (`model` as prepared: its weights are gathered on every process, which FSDP needs; its config
    carries the normalisation statistics) with a model card; pushes when asked."""
    accelerator.wait_for_everyone()
    summary = run_summary(accelerator, args, state, final_loss, wall_time_seconds, args.dataset_name)
    state_dict = accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(model)
        save_gathered_model(model, state_dict, args.output_dir)
        write_world_model_card(
            args.output_dir,
            config=model.config,
            training_args=public_arguments(args),
            training_summary={key: summary[key] for key in RUN_FACTS},
        )
        if args.push_to_hub:
            summary["hub_url"] = str(
                push_to_hub(
                    args.output_dir,
                    args.hub_model_id,
                    private=args.hub_private_repo,
                    token=args.hub_token,
                    update_model_card=False,  # the world model's card is written above
                )
            )
    accelerator.end_training()
    return summary


__all__ = [
    "WorldModelTrainingArguments",
    "build_world_model",
    "load_episodes",
    "train_world_model",
    "training_episodes_folder",
]
