# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Environments for world models and planning, and recording their episodes as 🤗 datasets.

Importing this package registers `hf_jepa/TwoRoom-v0` and `hf_jepa/PushT-v0` (`push_t.py`, imported on first use)
with Gymnasium (the `world-model` extra installs Gymnasium and Push-T). `RecordingArguments` / `record_dataset` are
what `hf-jepa record-episodes` runs; a recording names its environment in the dataset's description
(`data.episodes.recorded_environment`), so that the Space's Plan tab knows where a model trained on it plans.
"""

import importlib
import inspect
import json
import logging
from dataclasses import dataclass, field

import datasets
import gymnasium as gym

from ..data.episodes import describe_environment, record_episodes, recording_fps
from ..data.lerobot import write_lerobot_dataset
from .two_room import RepeatActionPolicy, TwoRoomEnv, repeat_action_policy

logger = logging.getLogger(__name__)

TWO_ROOM_ID = "hf_jepa/TwoRoom-v0"
if TWO_ROOM_ID not in gym.registry:
    gym.register(id=TWO_ROOM_ID, entry_point="hf_jepa.envs.two_room:TwoRoomEnv", max_episode_steps=100)
PUSH_T_ID = "hf_jepa/PushT-v0"
if PUSH_T_ID not in gym.registry:
    gym.register(id=PUSH_T_ID, entry_point="hf_jepa.envs.push_t:PushTEnv", max_episode_steps=300)


@dataclass
class RecordingArguments:
    """What `hf-jepa record-episodes` records and where it writes it."""

    env_id: str = field(default=TWO_ROOM_ID, metadata={"help": "A Gymnasium id, e.g. gym_pusht/PushT-v0."})
    env_kwargs: str | None = field(default=None, metadata={"help": "Extra gymnasium.make arguments, as JSON."})
    num_episodes: int = field(default=200, metadata={"help": "Episode e is reset with seed + e."})
    max_steps: int = field(default=100, metadata={"help": "Actions per episode at most."})
    policy: str = field(default="random", metadata={"help": "'random' or 'package.module:function' (obs, info, rng)."})
    seed: int = 0
    image_size: int | None = field(default=64, metadata={"help": "Frames are square, this many pixels a side."})
    fps: float | None = field(default=None, metadata={"help": "Default: the environment's render_fps."})
    output_dir: str | None = field(default=None, metadata={"help": "Where the dataset is written."})
    format: str = field(
        default="datasets",
        metadata={"help": "'datasets' (`save_to_disk`) or 'lerobot' (a LeRobot v3.0 folder: parquet and mp4 files)."},
    )
    push_to_hub: bool = False
    hub_repo_id: str | None = field(default=None, metadata={"help": "The dataset repository to push to."})
    private: bool = False

    def __post_init__(self):
        if self.format not in ("datasets", "lerobot"):
            raise ValueError(f"--format must be 'datasets' or 'lerobot', got {self.format!r}.")
        if self.format == "lerobot" and (self.output_dir is None or self.push_to_hub):
            raise ValueError(
                "--format lerobot writes a folder: give --output_dir, then upload it with "
                "`hf upload <repo_id> <output_dir> --repo-type dataset`."
            )
        if self.output_dir is None and not self.push_to_hub:
            raise ValueError("Give --output_dir, --push_to_hub --hub_repo_id, or both.")
        if self.push_to_hub and not self.hub_repo_id:
            raise ValueError("--push_to_hub needs --hub_repo_id.")


def make_env(env_id: str, image_size: int | None = None, **kwargs) -> gym.Env:
    """`gymnasium.make(env_id, render_mode="rgb_array")`, importing the package a `package/Name-v0` id names when it
    is not registered yet (e.g. `gym_pusht`), and passing `image_size` to environments that take it."""
    if env_id not in gym.registry and "/" in env_id:
        try:
            importlib.import_module(env_id.split("/")[0])
        except ImportError as error:
            raise ValueError(f"{env_id!r} is not registered and its package cannot be imported: {error}") from error
    if env_id not in gym.registry:
        raise ValueError(f"{env_id!r} is not a registered Gymnasium environment.")
    creator = gym.envs.registration.load_env_creator(gym.spec(env_id).entry_point)
    if image_size is not None and "image_size" in inspect.signature(creator).parameters:
        kwargs.setdefault("image_size", image_size)
    return gym.make(env_id, render_mode="rgb_array", **kwargs)


def load_policy(name: str):
    """'random', or the callable that 'package.module:function' names."""
    if name == "random":
        return name
    module, _, attribute = name.partition(":")
    if not attribute:
        raise ValueError(f"policy must be 'random' or 'package.module:function', got {name!r}.")
    return getattr(importlib.import_module(module), attribute)


def record_dataset(args: RecordingArguments) -> datasets.Dataset:
    """Records `args.num_episodes` episodes and writes them to `args.output_dir` (with `save_to_disk`, or as a
    LeRobot v3.0 folder with `--format lerobot`) and / or the Hub."""
    env = make_env(args.env_id, args.image_size, **json.loads(args.env_kwargs or "{}"))
    try:
        dataset = record_episodes(
            env,
            args.num_episodes,
            policy=load_policy(args.policy),
            seed=args.seed,
            max_steps=args.max_steps,
            fps=args.fps,
            image_size=args.image_size,
        )
    finally:
        env.close()
    logger.info("Recorded %d episodes, %d frames, from %s.", args.num_episodes, len(dataset), args.env_id)
    describe_environment(dataset, args.env_id, json.loads(args.env_kwargs or "{}"))
    if args.format == "lerobot":
        write_lerobot_dataset(dataset, args.output_dir, fps=recording_fps(env, args.fps), task=args.env_id)
        logger.info("Wrote a LeRobot v3.0 dataset to %s.", args.output_dir)
    elif args.output_dir is not None:
        dataset.save_to_disk(args.output_dir)
        logger.info("Saved to %s.", args.output_dir)
    if args.push_to_hub:
        dataset.push_to_hub(args.hub_repo_id, private=args.private)
        logger.info("Pushed to https://huggingface.co/datasets/%s.", args.hub_repo_id)
    return dataset


__all__ = [
    "PUSH_T_ID",
    "TWO_ROOM_ID",
    "RecordingArguments",
    "RepeatActionPolicy",
    "TwoRoomEnv",
    "load_policy",
    "make_env",
    "record_dataset",
    "repeat_action_policy",
]
