# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Loading 🤗 datasets for a job: the data settings (`DataArguments`) and every source they can name."""

import dataclasses
import difflib
import os

import datasets
from datasets.distributed import split_dataset_by_node
from datasets.packaged_modules.imagefolder.imagefolder import IMAGE_EXTENSIONS
from datasets.packaged_modules.videofolder.videofolder import VIDEO_EXTENSIONS

from .columns import find_media_column
from .lerobot import lerobot_folder, load_lerobot_dataset
from .shipped import SHIPPED_DATASETS, check_split, default_dataset, load_shipped_dataset


@dataclasses.dataclass
class DataArguments:
    """Which data a job reads: the one home of the data and probe settings that pretraining (`PretrainingArguments`),
    evaluation (`EvaluationArguments`) and the benchmarks share. Parsed by `HfArgumentParser` as part of them."""

    dataset_name: str | None = dataclasses.field(
        default=None,
        metadata={
            "help": "A Hub dataset id, a save_to_disk folder, a LeRobot v3.0 dataset (a folder or Hub id), or a "
            "shipped dataset (fashion_mnist_small, fashion_mnist, moving_fashion_mnist). Default: "
            "fashion_mnist_small, or moving_fashion_mnist for video models."
        },
    )
    dataset_config_name: str | None = dataclasses.field(default=None, metadata={"help": "The dataset configuration."})
    train_dir: str | None = dataclasses.field(
        default=None, metadata={"help": "A local folder of images or videos (imagefolder / videofolder)."}
    )
    image_column_name: str | None = dataclasses.field(
        default=None, metadata={"help": "Image column (found when unset)."}
    )
    video_column_name: str | None = dataclasses.field(
        default=None, metadata={"help": "Video column (found when unset)."}
    )
    label_column_name: str | None = dataclasses.field(
        default=None, metadata={"help": "Integer label column of the probes (found when unset)."}
    )
    train_split: str = dataclasses.field(
        default="train", metadata={"help": "The split to pretrain on, and the one the probes are trained on."}
    )
    eval_split: str = dataclasses.field(
        default="test",
        metadata={
            "help": "The split the probes are scored on; if the dataset has only one split, a seeded part of it."
        },
    )
    max_train_samples: int | None = dataclasses.field(
        default=None, metadata={"help": "Use at most this many examples of the train split (a seeded subset)."}
    )
    max_eval_samples: int | None = dataclasses.field(
        default=None,
        metadata={
            "help": "Use at most this many examples of the eval split. The probes that follow pretraining also train "
            "on at most this many examples."
        },
    )
    streaming: bool = dataclasses.field(
        default=False, metadata={"help": "Stream the dataset instead of downloading it."}
    )
    cache_dir: str | None = dataclasses.field(default=None, metadata={"help": "Where 🤗 datasets caches downloads."})
    frame_step: int = dataclasses.field(
        default=4, metadata={"help": "Video: frames between two sampled frames of a clip."}
    )
    dataloader_num_workers: int = dataclasses.field(
        default=2, metadata={"help": "Worker processes decoding the data."}
    )
    seed: int = dataclasses.field(
        default=42, metadata={"help": "Seed of the run: data order and subsets, masks, held-out splits, probes."}
    )

    def __post_init__(self):
        if self.dataset_name and self.train_dir:
            raise ValueError(f"Give either dataset_name ({self.dataset_name!r}) or train_dir ({self.train_dir!r}).")
        for name in ("max_train_samples", "max_eval_samples"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive number of examples, got {getattr(self, name)}.")
        if self.frame_step < 1 or self.dataloader_num_workers < 0:
            raise ValueError(
                f"frame_step must be at least 1 and dataloader_num_workers at least 0, got {self.frame_step} and "
                f"{self.dataloader_num_workers}."
            )

    def data_arguments(self) -> "DataArguments":
        """The data settings alone, e.g. to hand the data of a pretraining run to its evaluation."""
        return DataArguments(**{item.name: getattr(self, item.name) for item in dataclasses.fields(DataArguments)})


def dataset_name_or_default(args: DataArguments, is_video: bool) -> str | None:
    """The dataset `args` names; the shipped default for the model's media when it names neither dataset nor folder."""
    if args.dataset_name is None and args.train_dir is None:
        return default_dataset(is_video)
    return args.dataset_name


def load_media_split(
    args: DataArguments, split: str, num_frames: int, max_samples: int | None = None, streaming: bool = False
) -> tuple[datasets.Dataset | datasets.IterableDataset, str]:
    """One split of the data `args` names, for a model of `num_frames` frames: `(dataset, media column)`.

    Owns the default-dataset choice and the check that the column holds the model's media (images or videos).
    Pretraining streams when `args.streaming` says so; the probes always read a map-style dataset.
    """
    is_video = num_frames > 1
    dataset = load_media_dataset(
        dataset_name_or_default(args, is_video),
        args.dataset_config_name,
        args.train_dir,
        split=split,
        streaming=streaming,
        max_samples=max_samples,
        cache_dir=args.cache_dir,
        seed=args.seed,
    )
    column, kind = find_media_column(dataset, args.image_column_name, args.video_column_name)
    if (kind == "video") != is_video:
        model_kind = "a video" if is_video else "an image"
        raise ValueError(
            f"Column {column!r} holds {kind}s but the model is {model_kind} model (num_frames={num_frames}); choose "
            f"{model_kind} dataset or column, or a {kind} model."
        )
    return dataset, column


def is_saved_dataset(path: str) -> bool:
    """Whether `path` is a folder written by `Dataset.save_to_disk` or `DatasetDict.save_to_disk`."""
    return os.path.isfile(os.path.join(path, "dataset_dict.json")) or (
        os.path.isfile(os.path.join(path, "state.json")) and os.path.isfile(os.path.join(path, "dataset_info.json"))
    )


def _load_saved_dataset(path: str, split: str) -> datasets.Dataset:
    saved = datasets.load_from_disk(path)
    if isinstance(saved, datasets.DatasetDict):
        check_split(split, list(saved), f"the saved dataset {path}")
        return saved[split]
    if saved.split is not None and str(saved.split) != split:
        raise ValueError(f"The saved dataset {path} holds the split {str(saved.split)!r}, not {split!r}.")
    return saved


def _folder_builder(folder: str) -> str:
    """`imagefolder` or `videofolder`, from the first media file found in `folder`."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"train_dir={folder!r} is not a directory.")
    for _root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            extension = os.path.splitext(name)[1].lower()
            if extension in IMAGE_EXTENSIONS:
                return "imagefolder"
            if extension in VIDEO_EXTENSIONS:
                return "videofolder"
    raise ValueError(
        f"train_dir={folder!r} holds no image or video files (looked for {', '.join(IMAGE_EXTENSIONS[:6])}, ... "
        f"and {', '.join(VIDEO_EXTENSIONS)})."
    )


def _load_hub_or_builder(
    dataset_name: str,
    dataset_config_name: str | None,
    train_dir: str | None,
    split: str,
    streaming: bool,
    cache_dir: str | None,
) -> datasets.Dataset | datasets.IterableDataset:
    """`datasets.load_dataset`; a name it finds neither on disk nor on the Hub is a `FileNotFoundError` that lists
    every kind of source a name can be."""
    try:
        return datasets.load_dataset(
            dataset_name,
            dataset_config_name,
            data_dir=train_dir,
            split=split,
            streaming=streaming,
            cache_dir=cache_dir,
        )
    except (ConnectionError, FileNotFoundError) as error:
        if os.path.isdir(dataset_name):
            raise
        close = difflib.get_close_matches(dataset_name, SHIPPED_DATASETS, n=1)
        raise FileNotFoundError(
            f"dataset_name={dataset_name!r} is neither a shipped dataset ({', '.join(SHIPPED_DATASETS)}"
            + (f"; did you mean {close[0]!r}?" if close else "")
            + f"), nor a local folder, nor a dataset reachable on the Hub: {error}"
        ) from error


def load_media_dataset(
    dataset_name: str | None = None,
    dataset_config_name: str | None = None,
    train_dir: str | None = None,
    split: str = "train",
    streaming: bool = False,
    max_samples: int | None = None,
    cache_dir: str | None = None,
    seed: int = 0,
) -> datasets.Dataset | datasets.IterableDataset:
    """Loads an image or video dataset through 🤗 datasets.

    Args:
        dataset_name: a shipped dataset (`fashion_mnist_small`, the default; `fashion_mnist`;
            `moving_fashion_mnist`), a folder written by `save_to_disk`, a LeRobot v3.0 dataset (a folder or a Hub
            id; `lerobot.load_lerobot_dataset`), a Hub dataset id or a local folder that `datasets.load_dataset`
            reads (a builder name such as "imagefolder" takes its files from `train_dir`).
        dataset_config_name: the dataset configuration (Hub datasets).
        train_dir: a folder of images or videos (read by `imagefolder` / `videofolder`, labels from sub-folder names
            or a metadata.csv), or a folder written by `save_to_disk`.
        split: the split to load.
        streaming: return a `datasets.IterableDataset` that reads examples lazily.
        max_samples: keep this many examples: a random subset chosen by `seed`, or the first ones when streaming.
        cache_dir: the 🤗 datasets cache folder.
        seed: the seed of the `max_samples` subset.
    """
    if max_samples is not None and max_samples < 1:
        raise ValueError(f"max_samples must be a positive number of examples, got {max_samples}.")
    if dataset_name is None and train_dir is None:
        dataset_name = default_dataset(is_video=False)
    if dataset_name in SHIPPED_DATASETS:
        if train_dir is not None or dataset_config_name is not None:
            raise ValueError(
                f"The shipped dataset {dataset_name!r} takes neither train_dir nor dataset_config_name "
                f"(got train_dir={train_dir!r}, dataset_config_name={dataset_config_name!r})."
            )
        dataset = load_shipped_dataset(dataset_name, split, cache_dir)
    elif dataset_name is None and is_saved_dataset(train_dir):
        dataset = _load_saved_dataset(train_dir, split)
    elif dataset_name is None:
        dataset = datasets.load_dataset(
            _folder_builder(train_dir), data_dir=train_dir, split=split, streaming=streaming, cache_dir=cache_dir
        )
    elif is_saved_dataset(dataset_name):
        dataset = _load_saved_dataset(dataset_name, split)
    elif train_dir is None and (folder := lerobot_folder(dataset_name, cache_dir)) is not None:
        dataset = load_lerobot_dataset(folder, split, cache_dir)
    else:
        dataset = _load_hub_or_builder(dataset_name, dataset_config_name, train_dir, split, streaming, cache_dir)
    if streaming and isinstance(dataset, datasets.Dataset):
        dataset = dataset.to_iterable_dataset()
    if max_samples is not None:
        if isinstance(dataset, datasets.IterableDataset):
            dataset = dataset.take(max_samples)
        else:
            dataset = dataset.shuffle(seed=seed).select(range(min(max_samples, len(dataset))))
    return dataset


def split_by_process(
    dataset: datasets.Dataset | datasets.IterableDataset, rank: int, world_size: int
) -> datasets.Dataset | datasets.IterableDataset:
    """The part of `dataset` that process `rank` of `world_size` reads (`datasets.distributed.split_dataset_by_node`).

    Meant for streamed datasets: a map-style dataset is usually split by the distributed sampler instead.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"Need 0 <= rank < world_size, got rank={rank}, world_size={world_size}.")
    return split_dataset_by_node(dataset, rank=rank, world_size=world_size)
