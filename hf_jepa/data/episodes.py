# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Episodes of an agent acting in an environment, as 🤗 datasets in LeRobot's schema, and windows of them for world
models.

One row per frame: `observation.image` (or `observation.images.<camera>`), `observation.state`, `action`,
`episode_index`, `frame_index`, `timestamp`, `index`, `next.reward`, `next.done`. Rows of an episode are contiguous
and in frame order. The action at row t is the one taken after observing frame t (LeRobot's convention), so it leads
from frame t to frame t+1. The recorder also keeps the episode's final frame, the one reached by the last action;
its row repeats the last action as padding (repeating keeps the padding inside the action distribution, so the
normalisation statistics barely move) and is never used as a transition by `EpisodeWindows`.
"""

import functools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import datasets
import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F

from .transforms import DEFAULT_IMAGE_MEAN, DEFAULT_IMAGE_STD, to_rgb_tensor

IMAGE_COLUMN = "observation.image"
CAMERA_COLUMN_PREFIX = "observation.images."
STATE_COLUMN = "observation.state"
ACTION_COLUMN = "action"
EPISODE_COLUMN = "episode_index"
FRAME_COLUMN = "frame_index"
TIMESTAMP_COLUMN = "timestamp"
INDEX_COLUMN = "index"
REWARD_COLUMN = "next.reward"
DONE_COLUMN = "next.done"

Policy = Callable[[Any, dict, np.random.Generator], Any]
Stats = dict[str, dict[str, list[float]]]


def episode_features(action_dim: int, state_dim: int | None = None) -> datasets.Features:
    """The `datasets.Features` of recorded episodes; no state column when `state_dim` is None."""

    def vector(size: int) -> datasets.List:
        return datasets.List(datasets.Value("float32"), length=size)

    features = {IMAGE_COLUMN: datasets.Image()}
    if state_dim is not None:
        features[STATE_COLUMN] = vector(state_dim)
    features.update(
        {
            ACTION_COLUMN: vector(action_dim),
            EPISODE_COLUMN: datasets.Value("int64"),
            FRAME_COLUMN: datasets.Value("int64"),
            TIMESTAMP_COLUMN: datasets.Value("float32"),
            INDEX_COLUMN: datasets.Value("int64"),
            REWARD_COLUMN: datasets.Value("float32"),
            DONE_COLUMN: datasets.Value("bool"),
        }
    )
    return datasets.Features(features)


# ---------------------------------------------------------------- recording


def observation_state(observation: Any, info: dict | None = None) -> np.ndarray | None:
    """The proprioceptive state of a step: `info["proprio"]` when the environment gives it (hf_jepa's TwoRoom and
    Push-T), else in the observation: a flat numeric observation itself, a dict's `agent_pos` (gym-pusht) or the
    concatenation of a dict's 1-D entries; None for image observations."""
    if info is not None and "proprio" in info:
        return np.asarray(info["proprio"], dtype=np.float32).reshape(-1)
    if isinstance(observation, dict):
        if "agent_pos" in observation:
            return np.asarray(observation["agent_pos"], dtype=np.float32).reshape(-1)
        parts = [np.asarray(value) for _, value in sorted(observation.items())]
        parts = [part.reshape(-1) for part in parts if part.ndim <= 1]
        return np.concatenate(parts).astype(np.float32) if parts else None
    array = np.asarray(observation)
    return array.astype(np.float32).reshape(-1) if array.ndim <= 1 else None


def _frame(env, image_size: int | None) -> np.ndarray:
    frame = env.render()
    if not isinstance(frame, np.ndarray) or frame.ndim != 3:
        raise ValueError(
            f"env.render() returned {type(frame).__name__}, not an RGB array: create the environment with "
            "render_mode='rgb_array'."
        )
    if image_size is not None and frame.shape[:2] != (image_size, image_size):
        frame = np.asarray(PIL.Image.fromarray(frame[..., :3]).resize((image_size, image_size), PIL.Image.BILINEAR))
    return frame


def _random_policy(env, seed: int) -> Policy:
    env.action_space.seed(seed)
    return lambda observation, info, rng: env.action_space.sample()


def _record_episode(env, policy: Policy, rng: np.random.Generator, seed: int, max_steps: int, image_size):
    """One episode as lists of per-frame values: the frame after reset, then one per step."""
    observation, info = env.reset(seed=seed)
    frames, states, actions, rewards, dones = (
        [_frame(env, image_size)],
        [observation_state(observation, info)],
        [],
        [],
        [],
    )
    for _ in range(max_steps):
        action = np.asarray(policy(observation, info, rng), dtype=np.float32).reshape(-1)
        observation, reward, terminated, truncated, info = env.step(action)
        frames.append(_frame(env, image_size))
        states.append(observation_state(observation, info))
        actions.append(action)
        rewards.append(float(reward))
        dones.append(bool(terminated or truncated))
        if terminated or truncated:
            break
    actions.append(actions[-1])  # the final frame's padding action
    rewards.append(0.0)
    dones.append(True)
    return frames, states, actions, rewards, dones


def recording_fps(env, fps: float | None = None) -> float:
    """The frame rate of recorded episodes: `fps` if given, else the environment's `render_fps`, else 10."""
    return fps or getattr(env, "metadata", {}).get("render_fps") or 10


def record_episodes(
    env,
    num_episodes: int,
    policy: str | Policy = "random",
    seed: int = 0,
    max_steps: int = 100,
    fps: float | None = None,
    image_size: int | None = None,
) -> datasets.Dataset:
    """Runs `env` (a Gymnasium environment with `render_mode="rgb_array"`) and returns its episodes as a dataset in
    the schema of this module (`episode_features`).

    Episode e is reset with seed `seed + e`; it ends on termination, truncation or after `max_steps` actions, so it
    has at most `max_steps + 1` frames. `policy` is "random" (the action space's own sampler, seeded with `seed`) or
    a callable `(observation, info, rng) -> action` given a `numpy` generator seeded with `seed`. Frames are read
    with `env.render()`, resized to `image_size` x `image_size` when given; `fps` (default: the environment's
    `render_fps`, else 10) sets the timestamps.
    """
    if num_episodes < 1 or max_steps < 1:
        raise ValueError(f"num_episodes ({num_episodes}) and max_steps ({max_steps}) must be at least 1.")
    if isinstance(policy, str):
        if policy != "random":
            raise ValueError(
                f"policy must be 'random' or a callable (observation, info, rng) -> action, got {policy!r}."
            )
        policy = _random_policy(env, seed)
    fps = recording_fps(env, fps)
    rng = np.random.default_rng(seed)
    columns = {name: [] for name in episode_features(1, 1)}
    for episode in range(num_episodes):
        frames, states, actions, rewards, dones = _record_episode(
            env, policy, rng, seed + episode, max_steps, image_size
        )
        length = len(frames)
        columns[IMAGE_COLUMN] += [datasets.Image().encode_example(frame) for frame in frames]
        columns[STATE_COLUMN] += states
        columns[ACTION_COLUMN] += actions
        columns[EPISODE_COLUMN] += [episode] * length
        columns[FRAME_COLUMN] += list(range(length))
        columns[TIMESTAMP_COLUMN] += [frame / fps for frame in range(length)]
        columns[REWARD_COLUMN] += rewards
        columns[DONE_COLUMN] += dones
    columns[INDEX_COLUMN] = list(range(len(columns[EPISODE_COLUMN])))
    state_dim = None if columns[STATE_COLUMN][0] is None else len(columns[STATE_COLUMN][0])
    if state_dim is None:
        del columns[STATE_COLUMN]
    return datasets.Dataset.from_dict(columns, features=episode_features(len(columns[ACTION_COLUMN][0]), state_dim))


def describe_environment(dataset: datasets.Dataset, env_id: str, env_kwargs: dict) -> None:
    """Names the environment a recording comes from in the dataset's description (kept by `save_to_disk`, `select`
    and the Space's copy of the episodes), for `recorded_environment`."""
    dataset.info.description = json.dumps({"env_id": env_id, "env_kwargs": env_kwargs})


def recorded_environment(dataset: datasets.Dataset) -> tuple[str, dict] | None:
    """The environment id and `gymnasium.make` arguments that `describe_environment` wrote into a dataset's
    description; None for other datasets."""
    try:
        recorded = json.loads(dataset.info.description or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("env_id"), str):
        return None
    return recorded["env_id"], dict(recorded.get("env_kwargs") or {})


# ---------------------------------------------------------------- reading


def find_image_column(dataset: datasets.Dataset, image_column: str | None = None) -> str:
    """The column holding the frames: `image_column` if given, else `observation.image`, else the first
    `observation.images.<camera>` column."""
    names = dataset.column_names
    if image_column is not None:
        if image_column not in names:
            raise ValueError(f"image_column={image_column!r} is not a column of the dataset; its columns are {names}.")
        return image_column
    if IMAGE_COLUMN in names:
        return IMAGE_COLUMN
    cameras = [name for name in names if name.startswith(CAMERA_COLUMN_PREFIX)]
    if cameras:
        return cameras[0]
    raise ValueError(
        f"The dataset has no frame column: expected {IMAGE_COLUMN!r} or '{CAMERA_COLUMN_PREFIX}<camera>' "
        f"(LeRobot's schema); its columns are {names}."
    )


def check_episode_dataset(dataset: datasets.Dataset, name: str) -> str:
    """The frame column of an episode dataset (`find_image_column`); raises `ValueError` when `dataset` (called `name`
    in the message) has no episode_index or frame_index column, or no frames."""
    missing = [column for column in (EPISODE_COLUMN, FRAME_COLUMN) if column not in dataset.column_names]
    if missing:
        raise ValueError(
            f"{name} is not an episode dataset: it has no {missing} column(s); its columns are "
            f"{dataset.column_names}. Record one with `hf-jepa record-episodes`."
        )
    return find_image_column(dataset)


def _require_columns(dataset: datasets.Dataset, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in dataset.column_names]
    if missing:
        raise ValueError(
            f"The episode dataset lacks the column(s) {missing}; its columns are {dataset.column_names}. Episodes "
            f"need {list(names)} (LeRobot's schema)."
        )


def describe_row(dataset: datasets.Dataset, index: int) -> str:
    """How messages name row `index`: its episode and frame (as far as the dataset has those columns) and the row."""
    names = [name for name in (EPISODE_COLUMN, FRAME_COLUMN) if name in dataset.column_names]
    row = dataset.select_columns(names).with_format(None)[index]
    return ", ".join([f"{name.removesuffix('_index')} {row[name]}" for name in names] + [f"row {index}"])


def read_vectors(dataset: datasets.Dataset, column: str) -> np.ndarray:
    """A column of numbers or of equal-length number lists as a float32 `[rows, size]` array; a NaN or infinite value
    (after the conversion to float32) is a `ValueError` naming the first one's episode and frame."""
    values = dataset.with_format(None)[column][:]
    sizes = {len(value) if isinstance(value, (list, tuple)) else 1 for value in values}
    if len(sizes) > 1:
        raise ValueError(
            f"The {column!r} column has rows of different sizes {sorted(sizes)}; every row needs one size."
        )
    vectors = np.asarray(values, dtype=np.float32).reshape(len(values), -1)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if len(bad):
        raise ValueError(
            f"The {column!r} column holds NaN or infinite values in {len(bad)} row(s), the first in "
            f"{describe_row(dataset, int(bad[0]))}: {vectors[bad[0]].tolist()}. Fix or drop those episodes."
        )
    return vectors


def episode_ranges(dataset: datasets.Dataset) -> list[tuple[int, int]]:
    """The `[start, end)` row range of each episode, checking that each episode's rows are contiguous (and in
    `frame_index` order when the dataset has that column)."""
    episodes = np.asarray(dataset.with_format(None)[EPISODE_COLUMN][:])
    boundaries = np.flatnonzero(np.diff(episodes)) + 1
    starts, ends = np.r_[0, boundaries], np.r_[boundaries, len(episodes)]
    ids = episodes[starts]
    if len(set(ids.tolist())) != len(ids):
        raise ValueError(
            f"The rows of an episode are not contiguous; sort the dataset by ({EPISODE_COLUMN}, {FRAME_COLUMN})."
        )
    if FRAME_COLUMN in dataset.column_names:
        frames = np.asarray(dataset.with_format(None)[FRAME_COLUMN][:])
        steps = np.diff(frames)
        inside = np.ones(len(steps), dtype=bool)
        inside[boundaries - 1] = False
        if np.any(steps[inside] <= 0):
            raise ValueError(f"The frames of an episode are not in {FRAME_COLUMN} order; sort the dataset.")
    return list(zip(starts.tolist(), ends.tolist()))


def video_offset_column(column: str) -> str:
    """The column saying where a row's episode starts, in seconds, in the video file of the video column `column`
    (a LeRobot v3.0 file holds many episodes one after another); a dataset without it has a video per episode."""
    return f"videos/{column}/from_timestamp"


def open_video(path: str):
    """A torchcodec `VideoDecoder` of the local video file `path`, kept open for the frames that follow: a LeRobot
    video file holds many episodes, so every window reads the same few files. Each process (a data loader worker)
    opens its own, since a decoder inherited through a fork would share its file offset with the parent's, and a
    file written again is opened again."""
    return _open_video(path, os.getpid(), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _open_video(path: str, process: int, modified: int):
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError as error:
        raise ImportError(f"Reading the video {path} needs torchcodec: pip install 'hf-jepa[video]'.") from error
    return VideoDecoder(path, seek_mode="exact")


def _read_video_frames(dataset: datasets.Dataset, column: str, rows: Sequence[int]) -> list[torch.Tensor]:
    _require_columns(dataset, [TIMESTAMP_COLUMN])
    offset_column = video_offset_column(column)
    has_offsets = offset_column in dataset.column_names
    names = [column, TIMESTAMP_COLUMN, offset_column] if has_offsets else [column, TIMESTAMP_COLUMN]
    table = dataset.select_columns(names).with_format("arrow")[list(rows)]  # the files' paths, not decoded videos
    offsets = table[offset_column].to_pylist() if has_offsets else [0.0] * len(rows)
    frames = []
    for value, seconds, offset in zip(table[column].to_pylist(), table[TIMESTAMP_COLUMN].to_pylist(), offsets):
        local = value["bytes"] is None and os.path.isfile(value["path"])
        video = open_video(value["path"]) if local else datasets.Video().decode_example(value)
        # the nearest frame: float32 timestamps can fall a hair before the frame they name
        frames.append(video.get_frame_at(round((offset + seconds) * video.metadata.average_fps)).data)
    return frames


def read_frames(dataset: datasets.Dataset, image_column: str, rows: Sequence[int]) -> list[torch.Tensor]:
    """The frames at `rows` as uint8 `[3, H, W]` tensors. An image column holds one frame per row; a video column
    (LeRobot's video datasets) names a video file per row, read at the row's `timestamp` plus, when the dataset has
    a `video_offset_column`, the time its episode starts at in the file."""
    if isinstance(dataset.features[image_column], datasets.Video):
        return _read_video_frames(dataset, image_column, rows)
    values = dataset[list(rows)][image_column]
    frames = []
    for row, value in zip(rows, values):
        try:
            frames.append(to_rgb_tensor(value if isinstance(value, PIL.Image.Image) else np.asarray(value)))
        except ValueError as error:
            raise ValueError(f"The frame of {describe_row(dataset, row)}: {error}") from error
    return frames


# built once: the transform runs for every frame the loader serves
_FRAME_MEAN = torch.tensor(DEFAULT_IMAGE_MEAN).view(3, 1, 1)
_FRAME_STD = torch.tensor(DEFAULT_IMAGE_STD).view(3, 1, 1)


def default_frame_transform(frame: torch.Tensor) -> torch.Tensor:
    """uint8 `[3, H, W]` → float in [0, 1], normalised with the ImageNet mean and std (`DEFAULT_IMAGE_MEAN/STD`)."""
    return (frame.float() / 255.0 - _FRAME_MEAN) / _FRAME_STD


def frame_transform(image_size: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 `[3, H, W]` frames → a world model's input: resized to `image_size` when needed, then
    `default_frame_transform`. Training windows and planning observations both go through it."""

    def transform(frame: torch.Tensor) -> torch.Tensor:
        if frame.shape[-2:] != (image_size, image_size):
            frame = F.interpolate(frame[None].float(), size=(image_size, image_size), mode="bilinear", antialias=True)
            frame = frame[0].round().clamp(0, 255)
        return default_frame_transform(frame)

    return transform


def render_to_pixel_values(image: Any, image_size: int) -> torch.Tensor:
    """A frame as `env.render()` returns it (uint8 `[H, W, 3]`) → the world model's input
    `[3, image_size, image_size]`, exactly as [`frame_transform`] prepares the training frames."""
    return frame_transform(image_size)(torch.as_tensor(np.ascontiguousarray(image)).permute(2, 0, 1))


# ---------------------------------------------------------------- normalisation


def compute_normalization_stats(dataset: datasets.Dataset, min_std: float = 1e-6) -> Stats:
    """Mean and standard deviation of the action (and state, when present) columns, per dimension, as plain lists
    (JSON-serialisable, to be saved with the model): `{"action": {"mean": [...], "std": [...]},
    "observation.state": {...}}`. A standard deviation below `min_std` (a constant dimension) becomes `min_std`."""
    _require_columns(dataset, [ACTION_COLUMN])
    columns = [ACTION_COLUMN] + ([STATE_COLUMN] if STATE_COLUMN in dataset.column_names else [])
    stats = {}
    for column in columns:
        values = read_vectors(dataset, column).astype(np.float64)
        std = np.maximum(values.std(axis=0), min_std)
        stats[column] = {"mean": values.mean(axis=0).tolist(), "std": std.tolist()}
    return stats


def _mean_std(values, stats: dict[str, list[float]]):
    if isinstance(values, torch.Tensor):
        kind = {"dtype": values.dtype if values.is_floating_point() else torch.float32, "device": values.device}
        return torch.tensor(stats["mean"], **kind), torch.tensor(stats["std"], **kind)
    return np.asarray(stats["mean"], dtype=np.float32), np.asarray(stats["std"], dtype=np.float32)


def normalize(values, stats: dict[str, list[float]]):
    """`(values - mean) / std` over the last dimension, for a numpy array or a tensor; `stats` is one entry of
    `compute_normalization_stats`, e.g. `stats["action"]`."""
    mean, std = _mean_std(values, stats)
    return (values - mean) / std


def denormalize(values, stats: dict[str, list[float]]):
    """The inverse of `normalize`: `values * std + mean`."""
    mean, std = _mean_std(values, stats)
    return values * std + mean


# ---------------------------------------------------------------- windows


class EpisodesTooShortError(ValueError):
    """No episode holds a whole window of [`EpisodeWindows`]; `longest` is the longest episode's number of frames,
    for callers that name their own settings in the message."""

    def __init__(self, message: str, longest: int):
        super().__init__(message)
        self.longest = longest


class EpisodeWindows(torch.utils.data.Dataset):
    """Every window of `history + horizon` frames, `frame_step` rows apart, inside one episode of `dataset`.

    An item is a dict:
    - `pixel_values`: float `[history + horizon, 3, H, W]`, each frame through `transform` (uint8 `[3, H, W]` →
      float; default `default_frame_transform`);
    - `actions`: float `[history + horizon - 1, frame_step * A]`, the actions leading from each window frame to the
      next. With `frame_step > 1` the `frame_step` actions in between are concatenated in time order (as DINO-WM's
      frame skip does), so no information is lost and a planner samples one vector per model step;
    - `states`: float `[history + horizon, S]`, when the dataset has an `observation.state` column.
    Actions and states are normalised with `stats` (from `compute_normalization_stats`) when given. Episodes
    shorter than a window are skipped and counted in `num_skipped_episodes`.
    """

    def __init__(
        self,
        dataset: datasets.Dataset,
        history: int,
        horizon: int,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        stats: Stats | None = None,
        frame_step: int = 1,
        image_column: str | None = None,
    ):
        if history < 1 or horizon < 1 or frame_step < 1:
            raise ValueError(f"history ({history}), horizon ({horizon}) and frame_step ({frame_step}) must be >= 1.")
        _require_columns(dataset, [ACTION_COLUMN, EPISODE_COLUMN])
        self.dataset = dataset
        self.image_column = find_image_column(dataset, image_column)
        self.num_frames = history + horizon
        self.frame_step = frame_step
        self.transform = transform or default_frame_transform
        self.actions = self._vectors(ACTION_COLUMN, stats)
        self.states = self._vectors(STATE_COLUMN, stats) if STATE_COLUMN in dataset.column_names else None
        self.window_rows = (self.num_frames - 1) * frame_step + 1
        self.starts, self.num_skipped_episodes = self._window_starts(episode_ranges(dataset))

    def _vectors(self, column: str, stats: Stats | None) -> torch.Tensor:
        values = read_vectors(self.dataset, column)
        if stats is not None:
            if column not in stats:
                raise ValueError(f"stats has no entry for {column!r}; its entries are {list(stats)}.")
            if len(stats[column]["mean"]) != values.shape[1]:
                raise ValueError(
                    f"stats[{column!r}] has {len(stats[column]['mean'])} dimensions but the column has "
                    f"{values.shape[1]}: were the statistics computed on another dataset?"
                )
            values = normalize(values, stats[column])
        return torch.from_numpy(values)

    def _window_starts(self, ranges: list[tuple[int, int]]) -> tuple[np.ndarray, int]:
        long_enough = [(start, end) for start, end in ranges if end - start >= self.window_rows]
        if not long_enough:
            longest = max(end - start for start, end in ranges)
            raise EpisodesTooShortError(
                f"No episode is long enough for a window of {self.num_frames} frames {self.frame_step} apart "
                f"({self.window_rows} rows): the longest of the {len(ranges)} episodes has {longest} frames. Record "
                "longer episodes, or lower history, horizon or frame_step.",
                longest,
            )
        starts = [np.arange(start, end - self.window_rows + 1) for start, end in long_enough]
        return np.concatenate(starts), len(ranges) - len(long_enough)

    @property
    def action_dim(self) -> int:
        """The size of one model step's action: `frame_step` times the dataset's action size."""
        return self.frame_step * self.actions.shape[1]

    @property
    def state_dim(self) -> int | None:
        return None if self.states is None else self.states.shape[1]

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        start = int(self.starts[index])
        rows = range(start, start + self.window_rows, self.frame_step)
        frames = read_frames(self.dataset, self.image_column, rows)
        # the actions of rows start .. end-1 of the window, frame_step of them per model step
        actions = self.actions[start : start + self.window_rows - 1].reshape(self.num_frames - 1, -1)
        item = {"pixel_values": torch.stack([self.transform(frame) for frame in frames]), "actions": actions}
        if self.states is not None:
            item["states"] = self.states[list(rows)]
        return item
