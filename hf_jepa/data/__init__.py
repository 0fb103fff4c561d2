# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Data for JEPA: 🤗 datasets loading, image / video transforms and torch datasets that skip bad samples.

- `loading`: the data settings (`DataArguments`) and the sources they name, all returned as a `datasets.Dataset` or
  `datasets.IterableDataset`: a Hub dataset id or a local folder `load_dataset` understands, a folder written by
  `save_to_disk`, a folder of image or video files (`train_dir`), or a shipped dataset;
- `lerobot`: LeRobot v3.0 datasets (parquet + mp4 folders, local or on the Hub) read directly as episode datasets, and
  recorded episodes written in that layout;
- `shipped`: the datasets shipped with the package: `fashion_mnist_small` (the default), `fashion_mnist` (the full
  set, read from Debian's `dataset-fashion-mnist` package) and `moving_fashion_mnist` (clips made of its items);
- `columns`: which column holds the images or videos, and which the labels;
- `transforms`: the training augmentation, and the evaluation processor that ships with the model;
- `processing`: that processor for a model config (`build_processor`), or the one a checkpoint saved;
- `torch_datasets`: torch datasets that turn undecodable samples into records, and the collate function that
  counts them.
"""

from .columns import find_label_column, find_media_column, media_kind
from .episodes import (
    ACTION_COLUMN,
    EPISODE_COLUMN,
    FRAME_COLUMN,
    IMAGE_COLUMN,
    STATE_COLUMN,
    TIMESTAMP_COLUMN,
    EpisodeWindows,
    check_episode_dataset,
    compute_normalization_stats,
    denormalize,
    episode_features,
    find_image_column,
    frame_transform,
    normalize,
    record_episodes,
    render_to_pixel_values,
)
from .lerobot import load_lerobot_dataset, read_lerobot_stats, write_lerobot_dataset
from .loading import (
    DataArguments,
    dataset_name_or_default,
    is_saved_dataset,
    load_media_dataset,
    load_media_split,
    split_by_process,
)
from .processing import build_processor, checkpoint_processor
from .shipped import (
    FASHION_MNIST_CLASSES,
    build_fashion_mnist_small,
    default_dataset,
    fashion_mnist_dataset,
    load_fashion_mnist_arrays,
    load_shipped_dataset,
    load_small_arrays,
    make_moving_fashion_mnist,
    read_idx,
    small_dataset_path,
    write_video_folder,
)
from .torch_datasets import (
    MediaDataset,
    StreamingMediaDataset,
    check_bad_fraction,
    collate_examples,
    collate_skipping_bad,
    split_skipped,
)
from .transforms import (
    DEFAULT_IMAGE_MEAN,
    DEFAULT_IMAGE_STD,
    ImageTransform,
    MultiViewTransform,
    VideoTransform,
    apply_processor,
    build_eval_processor,
    build_transform,
    clip_indices,
    processor_transform,
    read_clip,
    to_rgb_tensor,
)

__all__ = [
    "ACTION_COLUMN",
    "EPISODE_COLUMN",
    "FRAME_COLUMN",
    "IMAGE_COLUMN",
    "STATE_COLUMN",
    "TIMESTAMP_COLUMN",
    "EpisodeWindows",
    "check_episode_dataset",
    "compute_normalization_stats",
    "denormalize",
    "episode_features",
    "find_image_column",
    "load_lerobot_dataset",
    "normalize",
    "read_lerobot_stats",
    "record_episodes",
    "render_to_pixel_values",
    "write_lerobot_dataset",
    "DEFAULT_IMAGE_MEAN",
    "DEFAULT_IMAGE_STD",
    "FASHION_MNIST_CLASSES",
    "DataArguments",
    "ImageTransform",
    "MultiViewTransform",
    "MediaDataset",
    "StreamingMediaDataset",
    "VideoTransform",
    "apply_processor",
    "build_eval_processor",
    "build_fashion_mnist_small",
    "build_processor",
    "build_transform",
    "check_bad_fraction",
    "checkpoint_processor",
    "clip_indices",
    "collate_examples",
    "collate_skipping_bad",
    "dataset_name_or_default",
    "default_dataset",
    "fashion_mnist_dataset",
    "find_label_column",
    "find_media_column",
    "frame_transform",
    "load_fashion_mnist_arrays",
    "is_saved_dataset",
    "load_media_dataset",
    "load_media_split",
    "load_shipped_dataset",
    "load_small_arrays",
    "make_moving_fashion_mnist",
    "media_kind",
    "processor_transform",
    "read_clip",
    "read_idx",
    "small_dataset_path",
    "split_by_process",
    "split_skipped",
    "to_rgb_tensor",
    "write_video_folder",
]
