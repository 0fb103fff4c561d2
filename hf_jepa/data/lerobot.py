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

`load_lerobot_dataset` returns the frames as a 🤗 dataset, its columns in info.json's order: the data columns as
they are, and each video feature as a `datasets.Video(decode=False)` column naming the row's file beside a
`videos/{key}/from_timestamp` column; `episodes.read_frames` decodes those frames when a window asks for them.
`write_lerobot_dataset` writes recorded episodes in this layout (`hf-jepa record-episodes --format lerobot`). No
`lerobot` install is needed.
"""

import json
import os
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, HFValidationError, RepositoryNotFoundError

from .episodes import (
    ACTION_COLUMN,
    EPISODE_COLUMN,
    INDEX_COLUMN,
    STATE_COLUMN,
    Stats,
    episode_ranges,
    open_video,
    video_offset_column,
)
from .shipped import check_split

CODEBASE_VERSION = "v3.0"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
EPISODES_DIR = "meta/episodes"
TASKS_PATH = "meta/tasks.parquet"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
TASK_COLUMN = "task_index"
MAX_STATS_FRAMES = 1000  # image statistics are taken over at most this many evenly spaced frames


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
    """Every feature of info.json but the videos is a data column, and the rows hold the episodes of `episodes`, in
    their order and with their lengths (the video columns are built in that order)."""
    missing = [name for name in info["features"] if name not in video_keys(info) and name not in dataset.column_names]
    if missing:
        raise ValueError(f"{INFO_PATH} lists the feature(s) {missing}, but the data files {files} lack them.")
    ids = np.asarray(dataset.with_format(None)[EPISODE_COLUMN][:])
    rows = dict(zip(*(values.tolist() for values in np.unique(ids, return_counts=True))))
    for episode in episodes:
        if rows.get(episode[EPISODE_COLUMN], 0) != episode["length"]:
            raise ValueError(
                f"Episode {episode[EPISODE_COLUMN]} has {episode['length']} frames in {EPISODES_DIR} but "
                f"{rows.get(episode[EPISODE_COLUMN], 0)} rows in {files}."
            )
    if not np.array_equal(ids, np.repeat([e[EPISODE_COLUMN] for e in episodes], [e["length"] for e in episodes])):
        raise ValueError(f"The rows of {files} are not in the episode order of {EPISODES_DIR}.")


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
    listed = [name for name in info["features"] if name in dataset.column_names]
    return dataset.select_columns(listed + [name for name in dataset.column_names if name not in listed])


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


# ---------------------------------------------------------------- writing


def _feature_info(feature) -> dict:
    """info.json's entry for a number or number-list column."""
    if isinstance(feature, datasets.Value):
        return {"dtype": feature.dtype, "shape": [1], "names": None}
    return {"dtype": feature.feature.dtype, "shape": [feature.length], "names": None}


def _stats(values: np.ndarray, shape: tuple[int, ...]) -> dict[str, list]:
    """Mean, std, min and max over the rows of a `[rows, size]` array, each reshaped to `shape`, and the count."""
    values = values.astype(np.float64)
    stats = {name: getattr(np, name)(values, axis=0).reshape(shape).tolist() for name in ("mean", "std", "min", "max")}
    return stats | {"count": [len(values)]}


def _write_camera(frames: np.ndarray, folder: Path, name: str, fps: int, crf: int) -> dict:
    """uint8 `[N, H, W, 3]` frames as the H.264 video of camera `name`, with a key frame every 2 frames (as
    LeRobot's encoder) so that any frame of a window decodes quickly; returns info.json's entry of the camera."""
    from torchcodec.encoders import VideoEncoder

    path = folder / VIDEO_PATH.format(video_key=name, chunk_index=0, file_index=0)
    path.parent.mkdir(parents=True)
    encoder = VideoEncoder(torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous(), frame_rate=fps)
    encoder.to_file(str(path), codec="libx264", pixel_format="yuv420p", crf=crf, extra_options={"g": 2})
    height, width = frames.shape[1:3]
    video = {"video.height": height, "video.width": width, "video.codec": "h264", "video.pix_fmt": "yuv420p"}
    video |= {"video.fps": fps, "video.channels": 3, "has_audio": False, "is_depth_map": False}
    return {"dtype": "video", "shape": [height, width, 3], "names": ["height", "width", "channels"], "info": video}


def _episode_rows(ranges: list[tuple[int, int]], cameras: list[str], fps: int, task: str) -> list[dict]:
    """meta/episodes' rows: every episode in data file 0 and, one after another, in video file 0 of each camera."""
    rows = []
    for episode, (start, end) in enumerate(ranges):
        row = {EPISODE_COLUMN: episode, "tasks": [task], "length": end - start}
        row |= {"data/chunk_index": 0, "data/file_index": 0, "dataset_from_index": start, "dataset_to_index": end}
        for name in cameras:
            row |= {f"videos/{name}/chunk_index": 0, f"videos/{name}/file_index": 0}
            row |= {f"videos/{name}/from_timestamp": start / fps, f"videos/{name}/to_timestamp": end / fps}
        rows.append(row | {"meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0})
    return rows


def write_lerobot_dataset(
    dataset: datasets.Dataset, folder: str | os.PathLike, fps: int, task: str, crf: int = 18
) -> Path:
    """Writes episodes in the schema of `episodes.py` (what `record_episodes` returns) as a LeRobot v3.0 dataset in
    `folder`, which must be empty or absent: one data file, one H.264 video file per image column (`crf` sets its
    quality), the episodes' metadata, one task (`task`) and the statistics of every feature (mean, std, min, max,
    count; images per channel in [0, 1], over at most `MAX_STATS_FRAMES` frames). `lerobot.datasets.LeRobotDataset`
    reads it (`scripts/make_lerobot_fixture.py --check`). Returns the folder."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder} is not empty: a LeRobot dataset is written into an empty folder.")
    ranges = episode_ranges(dataset)
    numbers = dataset.with_format(None).select_columns([EPISODE_COLUMN, INDEX_COLUMN])[:]
    episodes_in_order = [numbers[EPISODE_COLUMN][start] for start, _ in ranges] == list(range(len(ranges)))
    if not episodes_in_order or numbers[INDEX_COLUMN] != list(range(len(dataset))):
        raise ValueError(f"LeRobot needs episodes numbered 0, 1, ... in row order and {INDEX_COLUMN} 0 .. rows - 1.")
    cameras = [name for name, feature in dataset.features.items() if isinstance(feature, datasets.Image)]
    data = dataset.remove_columns(cameras).add_column(TASK_COLUMN, [0] * len(dataset), feature=datasets.Value("int64"))
    features, stats = {}, {}
    for name in cameras:
        frames = np.stack([np.asarray(image.convert("RGB")) for image in dataset[name]])
        features[name] = _write_camera(frames, folder, name, fps, crf)
        sample = frames[:: max(1, len(frames) // MAX_STATS_FRAMES)]
        stats[name] = _stats(sample.reshape(-1, 3) / 255.0, (3, 1, 1)) | {"count": [len(sample)]}
    for name, feature in data.features.items():
        features[name] = _feature_info(feature)
        stats[name] = _stats(np.asarray(data.with_format(None)[name][:]).reshape(len(data), -1), (-1,))
    info = {
        "codebase_version": CODEBASE_VERSION,
        "fps": fps,
        "features": features,
        "total_episodes": len(ranges),
        "total_frames": len(dataset),
        "total_tasks": 1,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH,
        "robot_type": None,
        "splits": {"train": f"0:{len(ranges)}"},
    }
    for subfolder in ("data/chunk-000", f"{EPISODES_DIR}/chunk-000"):
        (folder / subfolder).mkdir(parents=True)
    data.to_parquet(str(folder / DATA_PATH.format(chunk_index=0, file_index=0)))
    episodes = pa.Table.from_pylist(_episode_rows(ranges, cameras, fps, task))
    pq.write_table(episodes, folder / EPISODES_DIR / "chunk-000" / "file-000.parquet")
    pd.DataFrame({TASK_COLUMN: [0]}, index=pd.Index([task], name="task")).to_parquet(folder / TASKS_PATH)
    (folder / INFO_PATH).write_text(json.dumps(info, indent=4))
    (folder / STATS_PATH).write_text(json.dumps(stats, indent=4))
    return folder
