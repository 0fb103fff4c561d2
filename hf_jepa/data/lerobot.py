# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""LeRobot datasets (codebase v3.0) read directly, as episode datasets in the schema of `episodes.py`.

A LeRobot v3.0 dataset is a folder (or a Hub dataset repository holding one):
- `meta/info.json`: `codebase_version`, `fps`, the `features` (`{name: {dtype, shape, names}}`, dtype "video",
  "image" or a number type) and the `data_path` / `video_path` templates of the files;
- `meta/stats.json`: statistics per feature (`mean`, `std`, `min`, `max`, ...);
- `meta/episodes/chunk-XXX/file-YYY.parquet`: one row per episode: its `length`, the `data/chunk_index` and
  `data/file_index` of its rows and, per video feature, the `videos/{key}/chunk_index`, `file_index`,
  `from_timestamp` and `to_timestamp` of its frames;
- `data/chunk-XXX/file-YYY.parquet`: one row per frame, many episodes per file, image features as PNG;
- `videos/{key}/chunk-XXX/file-YYY.mp4`: many episodes per file, one after another: the frame of an episode at
  `timestamp` is the file's frame at `from_timestamp + timestamp`.

`load_lerobot_dataset` returns the frames as a 🤗 dataset: the data columns as they are, and each video feature as
a `datasets.Video(decode=False)` column naming the row's file beside a `videos/{key}/from_timestamp` column, in
info.json's order of the features;
`episodes.read_frames` decodes those frames when a window asks for them. No `lerobot` install is needed.
"""

import json
import os
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, HFValidationError, RepositoryNotFoundError

from .episodes import ACTION_COLUMN, EPISODE_COLUMN, STATE_COLUMN, Stats, open_video, video_offset_column
from .shipped import check_split

CODEBASE_VERSION = "v3.0"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
EPISODES_DIR = "meta/episodes"


def is_lerobot_folder(path: str | os.PathLike) -> bool:
    """Whether `path` is a folder laid out as a LeRobot dataset: a `meta/info.json`, or `meta/` and `data/`."""
    path = Path(path)
    return (path / INFO_PATH).is_file() or ((path / "meta").is_dir() and (path / "data").is_dir())


def lerobot_folder(name: str, cache_dir: str | None = None) -> Path | None:
    """The local folder of the LeRobot dataset `name` names: a local folder laid out as one, or a Hub dataset
    repository with a `meta/info.json` (downloaded with `snapshot_download`, which reads the local cache offline).
    None when `name` is neither."""
    if os.path.isdir(name):
        return Path(name) if is_lerobot_folder(name) else None
    try:
        hf_hub_download(name, INFO_PATH, repo_type="dataset", cache_dir=cache_dir)
    except (EntryNotFoundError, RepositoryNotFoundError, HFValidationError):
        return None
    return Path(snapshot_download(name, repo_type="dataset", cache_dir=cache_dir))


def read_info(folder: Path) -> dict:
    """`meta/info.json`, checked to be a LeRobot v3.0 dataset's."""
    path = folder / INFO_PATH
    if not path.is_file():
        raise ValueError(f"{folder} is not a LeRobot dataset: it has no {INFO_PATH}.")
    info = json.loads(path.read_text())
    version = info.get("codebase_version")
    if version != CODEBASE_VERSION:
        raise ValueError(
            f"{path} says codebase_version {version!r}; hf_jepa reads LeRobot {CODEBASE_VERSION} datasets. Convert "
            "a v2.1 dataset with lerobot's `python -m lerobot.datasets.v30.convert_dataset_v21_to_v30`."
        )
    missing = [key for key in ("fps", "features", "data_path", "video_path") if key not in info]
    if missing:
        raise ValueError(f"{path} lacks {missing}.")
    return info


def video_keys(info: dict) -> list[str]:
    """The features stored as videos."""
    return [name for name, feature in info["features"].items() if feature["dtype"] == "video"]


def read_episodes(folder: Path) -> list[dict]:
    """The rows of `meta/episodes/**/*.parquet` (without their statistics), in episode order."""
    files = sorted((folder / EPISODES_DIR).glob("chunk-*/file-*.parquet"))
    if not files:
        raise ValueError(f"{folder} has no episode metadata: no {EPISODES_DIR}/chunk-*/file-*.parquet.")
    episodes = []
    for file in files:
        names = [name for name in pq.read_schema(file).names if not name.startswith("stats/")]
        episodes += pq.read_table(file, columns=names).to_pylist()
    return sorted(episodes, key=lambda episode: episode[EPISODE_COLUMN])


def _existing_file(folder: Path, relative: str, what: str) -> Path:
    path = folder / relative
    if not path.is_file():
        raise ValueError(f"The {what} {path} that {EPISODES_DIR} names is missing.")
    return path


def _check_data(dataset: datasets.Dataset, info: dict, episodes: list[dict], files: list[Path]) -> None:
    """Every feature of info.json but the videos is a data column, and each episode has its number of rows."""
    missing = [name for name in info["features"] if name not in video_keys(info) and name not in dataset.column_names]
    if missing:
        raise ValueError(f"{INFO_PATH} lists the feature(s) {missing}, but the data files {files} lack them.")
    ids, counts = np.unique(np.asarray(dataset.with_format(None)[EPISODE_COLUMN][:]), return_counts=True)
    rows = dict(zip(ids.tolist(), counts.tolist()))
    for episode in episodes:
        if rows.get(episode[EPISODE_COLUMN], 0) != episode["length"]:
            raise ValueError(
                f"Episode {episode[EPISODE_COLUMN]} has {episode['length']} frames in {EPISODES_DIR} but "
                f"{rows.get(episode[EPISODE_COLUMN], 0)} rows in {files}."
            )


def _video_column(folder: Path, info: dict, key: str, episodes: list[dict]) -> tuple[list[dict], list[float]]:
    """Per row, the video file holding the frame of `key` and the time its episode starts at in the file; checks
    that each file holds the frames its episodes name."""
    fps, paths, offsets, frame_counts = info["fps"], [], [], {}
    for episode in episodes:
        relative = info["video_path"].format(
            video_key=key,
            chunk_index=episode[f"videos/{key}/chunk_index"],
            file_index=episode[f"videos/{key}/file_index"],
        )
        path = _existing_file(folder, relative, "video")
        if path not in frame_counts:
            frame_counts[path] = open_video(str(path)).metadata.num_frames
        start, end = episode[f"videos/{key}/from_timestamp"], episode[f"videos/{key}/to_timestamp"]
        if round((end - start) * fps) != episode["length"] or round(end * fps) > frame_counts[path]:
            raise ValueError(
                f"{path} holds {frame_counts[path]} frames, but episode {episode[EPISODE_COLUMN]} of "
                f"{episode['length']} frames is at {start:g} s to {end:g} s in it ({fps} fps): the video and "
                f"{EPISODES_DIR} disagree."
            )
        paths += [{"path": str(path), "bytes": None}] * episode["length"]
        offsets += [float(start)] * episode["length"]
    return paths, offsets


def _episode_range(info: dict, split: str, folder: Path) -> tuple[int, int]:
    """The `[first, end)` episode indices of `split` (info.json's `splits`, e.g. {"train": "0:206"})."""
    splits = info.get("splits") or {"train": f"0:{info.get('total_episodes', 0)}"}
    check_split(split, list(splits), f"the LeRobot dataset {folder}")
    first, end = splits[split].split(":")
    return int(first), int(end)


def load_lerobot_dataset(
    folder: str | os.PathLike, split: str = "train", cache_dir: str | None = None
) -> datasets.Dataset:
    """The frames of the LeRobot v3.0 dataset in `folder`, one row per frame in episode order (see the module's
    docstring); `split` names a range of info.json's `splits`. A folder that is not such a dataset, or whose files
    disagree with its metadata, is a `ValueError` naming the file."""
    folder = Path(folder)
    info = read_info(folder)
    first, end = _episode_range(info, split, folder)
    episodes = [episode for episode in read_episodes(folder) if first <= episode[EPISODE_COLUMN] < end]
    if not episodes:
        raise ValueError(f"The {split!r} split of {folder} holds no episodes.")
    files = sorted(
        {
            _existing_file(folder, info["data_path"].format(chunk_index=chunk, file_index=file), "data file")
            for chunk, file in {(episode["data/chunk_index"], episode["data/file_index"]) for episode in episodes}
        }
    )
    dataset = datasets.Dataset.from_parquet([str(file) for file in files], cache_dir=cache_dir)
    episode_ids = np.asarray(dataset.with_format(None)[EPISODE_COLUMN][:])
    dataset = dataset.select(np.flatnonzero((episode_ids >= first) & (episode_ids < end)))
    _check_data(dataset, info, episodes, files)
    for key in video_keys(info):
        paths, offsets = _video_column(folder, info, key, episodes)
        dataset = dataset.add_column(key, paths, feature=datasets.Video(decode=False))
        dataset = dataset.add_column(video_offset_column(key), offsets, feature=datasets.Value("float64"))
    # info.json's order, so the first camera is the one the dataset lists first
    first = [name for name in info["features"] if name in dataset.column_names]
    return dataset.select_columns(first + [name for name in dataset.column_names if name not in first])


def read_lerobot_stats(folder: str | os.PathLike, min_std: float = 1e-6) -> Stats:
    """The mean and standard deviation of the action (and state) in `meta/stats.json`, in the form of
    `episodes.compute_normalization_stats` (a standard deviation below `min_std` becomes `min_std`)."""
    path = Path(folder) / STATS_PATH
    if not path.is_file():
        raise ValueError(f"{folder} has no {STATS_PATH}.")
    stats = json.loads(path.read_text())
    if ACTION_COLUMN not in stats:
        raise ValueError(f"{path} has no statistics for {ACTION_COLUMN!r}; it has {list(stats)}.")
    return {
        name: {"mean": list(stats[name]["mean"]), "std": np.maximum(stats[name]["std"], min_std).tolist()}
        for name in (ACTION_COLUMN, STATE_COLUMN)
        if name in stats
    }
