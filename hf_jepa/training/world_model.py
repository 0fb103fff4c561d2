# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training a JEPA world model on recorded episodes: `hf_jepa.train_world_model(WorldModelTrainingArguments(...))`.

The world-model job that the engine (`engine.train`) runs, as pretraining is: its arguments (`TrainingLoopArguments`),
accelerator, schedules, optimiser, `training_step`, atomic checkpoints with exact resume, trackers and
log_history.jsonl, then a final `save_pretrained` whose config carries the action (and state) normalisation
statistics, and a model card.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from torch.utils.data import DataLoader

from ..configuration_world_model import JEPAWorldModelConfig
from ..data.episodes import (
    ACTION_COLUMN,
    STATE_COLUMN,
    EpisodeWindows,
    Stats,
    compute_normalization_stats,
    frame_transform,
    recorded_environment,
)
from ..data.loading import load_media_dataset
from ..hub.cards import write_world_model_card
from ..hub.run_files import read_training_arguments
from ..modeling_world_model import JEPAWorldModel
from .arguments import TrainingLoopArguments, apply_config_overrides, public_arguments
from .engine import (
    RUN_FACTS,
    Job,
    check_one_batch_per_process,
    loader_generator,
    target_spread,
    train,
)

logger = get_logger(__name__)

ENCODER_PREFIX = "encoder."


@dataclass
class WorldModelTrainingArguments(TrainingLoopArguments):
    """How a world model is trained: the data, optimisation, logging and sharing settings it shares with pretraining
    ([`TrainingLoopArguments`]; `dataset_name` is an episode dataset in LeRobot's schema, a `save_to_disk` folder or a
    Hub id, and `frame_step` the rows between two frames of a window), then the window and the model.

    The model is `JEPAWorldModelConfig`'s defaults changed by `config_overrides` (`encoder.<name>=value` reaches the
    frame encoder), a frozen pretrained encoder with `encoder_name_or_path`, or a whole world model to fine-tune with
    `model_name_or_path`."""

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
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "A JEPAWorldModel folder or Hub id to fine-tune whole (e.g. a converted V-JEPA 2-AC model): its "
            "weights, its frozen-encoder setting and its normalisation statistics; a model without statistics (a "
            "converted V-JEPA 2-AC model) takes raw actions and states and keeps none. config_overrides may change "
            "no shape."
        },
    )

    def __post_init__(self):
        super().__post_init__()
        if self.dataset_name is None:
            raise ValueError(
                "Give --dataset_name: an episode dataset (a save_to_disk folder, a LeRobot v3.0 folder or a Hub id)."
            )
        if self.model_name_or_path is not None and self.encoder_name_or_path is not None:
            raise ValueError("Give model_name_or_path (a whole world model) or encoder_name_or_path, not both.")
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


def check_data_sizes(config: JEPAWorldModelConfig, stats: Stats, frame_step: int) -> None:
    """A `ValueError` naming both sizes when the data's model-step action (`frame_step` recorded actions) or state
    is not the size the model takes."""
    action_size = len(stats[ACTION_COLUMN]["mean"]) * frame_step
    state_size = len(stats[STATE_COLUMN]["mean"]) if STATE_COLUMN in stats else 0
    if action_size != config.action_dim or (config.state_dim and state_size != config.state_dim):
        raise ValueError(
            f"The model takes actions of {config.action_dim} values and states of {config.state_dim}; this data has "
            f"actions of {action_size} ({frame_step} x {len(stats[ACTION_COLUMN]['mean'])}, frame_step x the "
            f"dataset's action size) and states of {state_size}."
        )


def parameter_shapes(config: JEPAWorldModelConfig) -> dict[str, torch.Size]:
    """The shape of every tensor of the model `config` describes (built on the meta device: no memory)."""
    with torch.device("meta"):
        return {name: tensor.shape for name, tensor in JEPAWorldModel(config).state_dict().items()}


def load_world_model(args: WorldModelTrainingArguments, stats: Stats) -> JEPAWorldModel:
    """`model_name_or_path` to fine-tune, as saved (its normalisation statistics and frozen-encoder setting), with
    `config_overrides` that change no shape."""
    saved = JEPAWorldModelConfig.from_pretrained(args.model_name_or_path)
    config = JEPAWorldModelConfig(**saved.to_dict())
    own, encoder = split_overrides(args.config_overrides)
    apply_config_overrides(config, own)
    apply_config_overrides(config.encoder_config, encoder, prefix=ENCODER_PREFIX)
    config = JEPAWorldModelConfig(**config.to_dict())  # validates the overridden values
    if parameter_shapes(config) != parameter_shapes(saved):
        raise ValueError(f"config_overrides {args.config_overrides!r} change the shapes of {args.model_name_or_path}.")
    check_data_sizes(config, stats, args.frame_step)
    model = JEPAWorldModel.from_pretrained(args.model_name_or_path, config=config)
    model.set_attn_implementation(args.attn_implementation)
    return model


def window_stats(config: JEPAWorldModelConfig, stats: Stats, frame_step: int) -> Stats | None:
    """What a fine-tuned model's windows are normalised with: one recorded action's share of the model's action
    statistics (saved `frame_step` times over) and its state statistics; None for a model without statistics."""
    if config.action_mean is None:
        return None
    size = len(stats[ACTION_COLUMN]["mean"])
    action = {"mean": config.action_mean[:size], "std": config.action_std[:size]}
    if tiled_stats(action, frame_step) != {"mean": config.action_mean, "std": config.action_std}:
        raise ValueError(f"The model's action statistics are not {frame_step} repeats of one recorded action's.")
    states = {STATE_COLUMN: {"mean": config.state_mean, "std": config.state_std}} if config.state_dim else {}
    return {**stats, ACTION_COLUMN: action, **states}


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


class WorldModelJob(Job):
    """What the world model adds to the engine: episodes cut into windows, no EMA, a model card of its own."""

    project_name = "jepa-world-model"
    progress_name = "world model"
    push_updates_card = False  # the world model's card is written by `save`

    def __init__(self, args: WorldModelTrainingArguments):
        super().__init__(args)
        self.dataset_name = args.dataset_name

    def build(self, accelerator: Accelerator) -> tuple[JEPAWorldModel, DataLoader]:
        args = self.args
        dataset = load_episodes(args)
        stats = compute_normalization_stats(dataset)
        if args.model_name_or_path is None:
            model = build_world_model(args, stats)
        else:
            model = load_world_model(args, stats)
            stats = window_stats(model.config, stats, args.frame_step)
        if recorded := recorded_environment(dataset):
            model.config.env_id, model.config.env_kwargs = recorded
        self.config = model.config
        self.windows = build_windows(args, dataset, model, stats)
        check_one_batch_per_process(
            f"The episodes hold {len(self.windows)} training windows", len(self.windows), args, accelerator
        )
        loader = DataLoader(
            self.windows,
            batch_size=args.per_device_train_batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=args.dataloader_num_workers,
            generator=loader_generator(args.seed),
        )
        return model, loader

    def start(self, accelerator: Accelerator, model: JEPAWorldModel, total_steps: int, batch_size: int) -> None:
        windows = self.windows
        skipped = (
            f", {windows.num_skipped_episodes} episodes too short skipped" if windows.num_skipped_episodes else ""
        )
        accelerator.print(
            f"Training a {model.num_parameters() / 1e6:.1f}M-parameter world model on {len(windows)} windows of "
            f"{windows.num_frames} frames{skipped} for {total_steps} steps of "
            f"{batch_size} windows"
        )

    def model_inputs(self, batch: dict, device: torch.device) -> dict:
        """The batch (on the device already) without the states when the model has none."""
        return {key: value for key, value in batch.items() if key != "states" or self.config.state_dim}

    def feature_spread(self, outputs) -> float:
        """The encoded target frames."""
        return target_spread(outputs.target_embeddings)

    def save(self, model: JEPAWorldModel, summary: dict) -> dict:
        """The model card (the config beside the weights carries the normalisation statistics)."""
        write_world_model_card(
            self.args.output_dir,
            config=model.config,
            training_args=public_arguments(self.args),
            training_summary={key: summary[key] for key in RUN_FACTS},
        )
        return {}


def train_world_model(args: WorldModelTrainingArguments) -> dict:
    """Trains a world model as `args` says; returns a summary (output_dir, steps, final loss, wall time)."""
    return train(args, WorldModelJob(args))


__all__ = [
    "WorldModelTrainingArguments",
    "build_world_model",
    "load_episodes",
    "train_world_model",
    "training_episodes_folder",
]
