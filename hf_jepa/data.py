# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Data for JEPA pretraining: 🤗 datasets loading, image / video transforms and torch datasets that skip bad samples.

Sources, all returned as a `datasets.Dataset` or `datasets.IterableDataset`:

- a Hub dataset id or a local folder `load_dataset` understands (parquet, csv, imagefolder, ...);
- a folder written by `save_to_disk`;
- a folder of image or video files (`train_dir`, read by the `imagefolder` / `videofolder` builders);
- the datasets shipped with the package: `fashion_mnist_small` (the default), `fashion_mnist` (the full set, read
  from Debian's `dataset-fashion-mnist` package) and `moving_fashion_mnist` (videos generated from the shipped items).
"""

import csv
import dataclasses
import gzip
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any

import datasets
import numpy as np
import PIL.Image
import torch
from datasets.distributed import split_dataset_by_node
from datasets.features.features import require_decoding
from datasets.fingerprint import Hasher
from datasets.packaged_modules.imagefolder.imagefolder import IMAGE_EXTENSIONS
from datasets.packaged_modules.videofolder.videofolder import VIDEO_EXTENSIONS
from torchvision import tv_tensors
from torchvision.transforms import v2
from transformers import BaseVideoProcessor, ViTImageProcessor
from transformers.image_processing_utils import BaseImageProcessor
from transformers.image_utils import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from transformers.models.videomae.video_processing_videomae import VideoMAEVideoProcessor

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# Where Debian's `dataset-fashion-mnist` package installs the original IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_FILE_PREFIXES = {"train": "train", "test": "t10k"}
SMALL_DATASET_FILE = "fashion_mnist_small.npz"
MOVING_FASHION_MNIST_SIZES = {"train": 1000, "test": 200}
SHIPPED_DATASETS = ("fashion_mnist_small", "fashion_mnist", "moving_fashion_mnist")
DEFAULT_DATASET = "fashion_mnist_small"
DEFAULT_VIDEO_DATASET = "moving_fashion_mnist"


def default_dataset(is_video: bool) -> str:
    """The shipped dataset used when neither a dataset name nor a folder is given."""
    return DEFAULT_VIDEO_DATASET if is_video else DEFAULT_DATASET


IMAGE_COLUMN_NAMES = ("image", "img", "images", "pixel_values", "picture", "photo")
VIDEO_COLUMN_NAMES = ("video", "videos", "frames", "clip")
LABEL_COLUMN_NAMES = ("label", "labels", "class", "class_label", "target", "category", "fine_label")
IMAGE_FEATURES = (datasets.Image, datasets.Array2D, datasets.Array3D)
VIDEO_FEATURES = (datasets.Video, datasets.Array4D)
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


# --------------------------------------------------------------------------------------------------------------------
# Fashion-MNIST: the IDX files and the shipped subset
# --------------------------------------------------------------------------------------------------------------------


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file of unsigned bytes (the MNIST / Fashion-MNIST format, optionally gzipped) into an array."""
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rb") as file:
        data = file.read()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic number {data[:4].hex()!r}).")
    num_dims = data[3]
    header_size = 4 + 4 * num_dims
    shape = struct.unpack(f">{num_dims}I", data[4:header_size])
    array = np.frombuffer(data, dtype=np.uint8, offset=header_size)
    if array.size != np.prod(shape):
        raise ValueError(
            f"{path} is truncated: the header announces shape {shape}, the file holds {array.size} bytes."
        )
    return array.reshape(shape)


def _check_split(split: str, splits: Sequence[str], source: str) -> None:
    if split not in splits:
        raise ValueError(f"Unknown split {split!r} for {source}; the available splits are {list(splits)}.")


def fashion_mnist_files(split: str, directory: str | os.PathLike | None = None) -> tuple[str, str]:
    """Paths of the image and label IDX files of the full Fashion-MNIST `split`, checked to exist."""
    _check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist")
    directory = os.fspath(FASHION_MNIST_DIR if directory is None else directory)
    prefix = FASHION_MNIST_FILE_PREFIXES[split]
    paths = tuple(
        os.path.join(directory, f"{prefix}-{kind}-idx{dims}-ubyte.gz") for kind, dims in (("images", 3), ("labels", 1))
    )
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f"The full Fashion-MNIST is read from Debian's dataset-fashion-mnist package, but {missing[0]} does not "
            "exist. Install it with `sudo apt-get install dataset-fashion-mnist`, use the shipped subset "
            "(dataset_name='fashion_mnist_small'), or load it from the Hub "
            "(dataset_name='zalando-datasets/fashion_mnist')."
        )
    return paths


def load_fashion_mnist_arrays(split: str, directory: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The full Fashion-MNIST `split` ("train": 60k, "test": 10k) as uint8 images `[N, 28, 28]` and labels `[N]`."""
    images_path, labels_path = fashion_mnist_files(split, directory)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels.")
    return images, labels


def small_dataset_path() -> str:
    """Path of the shipped `fashion_mnist_small` arrays (package data)."""
    return str(resources.files("hf_jepa").joinpath("resources", SMALL_DATASET_FILE))


def load_small_arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    """The shipped class-balanced Fashion-MNIST subset: uint8 images `[N, 28, 28]` and labels `[N]` of `split`."""
    _check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist_small")
    with np.load(small_dataset_path()) as arrays:
        return arrays[f"{split}_images"], arrays[f"{split}_labels"]


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """`per_class` random indices of every class in `labels`, in random order."""
    chosen = []
    for label in np.unique(labels):
        candidates = np.flatnonzero(labels == label)
        if len(candidates) < per_class:
            raise ValueError(f"Class {label} has {len(candidates)} examples, fewer than per_class={per_class}.")
        chosen.append(rng.choice(candidates, size=per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def build_fashion_mnist_small(
    output_path: str | os.PathLike,
    source_dir: str | os.PathLike | None = None,
    train_per_class: int = 500,
    test_per_class: int = 100,
    seed: int = 0,
) -> dict[str, int]:
    """Writes the class-balanced Fashion-MNIST subset shipped as `fashion_mnist_small` (a compressed .npz).

    The file holds `{split}_images` (uint8 `[N, 28, 28]`), `{split}_labels` and `{split}_indices` (the rows of the
    original IDX files) for the splits "train" and "test". The same arguments always give the same arrays.
    Returns the number of examples per split.
    """
    arrays, sizes = {}, {}
    for split_index, (split, per_class) in enumerate((("train", train_per_class), ("test", test_per_class))):
        images, labels = load_fashion_mnist_arrays(split, source_dir)
        indices = balanced_indices(labels, per_class, np.random.default_rng([seed, split_index]))
        arrays[f"{split}_images"] = images[indices]
        arrays[f"{split}_labels"] = labels[indices]
        arrays[f"{split}_indices"] = indices.astype(np.int32)
        sizes[split] = len(indices)
    np.savez_compressed(output_path, **arrays)
    return sizes


def _image_features() -> datasets.Features:
    return datasets.Features(
        {"image": datasets.Image(), "label": datasets.ClassLabel(names=list(FASHION_MNIST_CLASSES))}
    )


def _fashion_mnist_examples(split: str, full: bool) -> Iterator[dict]:
    images, labels = load_fashion_mnist_arrays(split) if full else load_small_arrays(split)
    for image, label in zip(images, labels):
        yield {"image": image, "label": int(label)}


def _cached_dataset(
    generator: Callable[..., Iterator[dict]],
    gen_kwargs: dict,
    features: datasets.Features,
    split: str,
    source_files: Sequence[str],
    cache_dir: str | None,
) -> datasets.Dataset:
    # The cache key covers the generator's code, its arguments and the state of the files it reads, so that a rebuilt
    # file is never served from a stale cache.
    stamps = [(path, os.stat(path).st_size, os.stat(path).st_mtime_ns) for path in source_files]
    return datasets.Dataset.from_generator(
        generator,
        features=features,
        gen_kwargs=gen_kwargs,
        cache_dir=cache_dir,
        split=datasets.NamedSplit(split),
        fingerprint=Hasher.hash((generator, gen_kwargs, stamps)),
    )


def fashion_mnist_dataset(split: str = "train", full: bool = False, cache_dir: str | None = None) -> datasets.Dataset:
    """Fashion-MNIST as a `datasets.Dataset` with an `Image` column "image" and a `ClassLabel` column "label".

    `full=False` gives the shipped subset (5,000 train / 1,000 test), `full=True` the 60,000 / 10,000 of Debian's
    dataset-fashion-mnist package.
    """
    if full:
        source_files = fashion_mnist_files(split)
    else:
        _check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist_small")
        source_files = (small_dataset_path(),)
    return _cached_dataset(
        _fashion_mnist_examples, {"split": split, "full": full}, _image_features(), split, source_files, cache_dir
    )


# --------------------------------------------------------------------------------------------------------------------
# Moving Fashion-MNIST: items moving with constant velocity and bouncing off the edges of the canvas
# --------------------------------------------------------------------------------------------------------------------


def _moving_fashion_mnist_examples(
    num_videos: int,
    num_frames: int,
    image_size: int,
    seed: int,
    split: str,
    max_items: int,
    speed_range: tuple[float, float],
) -> Iterator[dict]:
    images, labels = load_small_arrays(split)
    rng = np.random.default_rng([seed, tuple(FASHION_MNIST_FILE_PREFIXES).index(split)])
    item_size = image_size // 2
    free_space = image_size - item_size
    for _ in range(num_videos):
        num_items = int(rng.integers(1, max_items + 1))
        chosen = rng.choice(len(images), size=num_items, replace=False)
        items = [
            np.asarray(PIL.Image.fromarray(images[index]).resize((item_size, item_size), PIL.Image.BILINEAR))
            for index in chosen
        ]
        position = rng.uniform(0, free_space, size=(num_items, 2))
        angle = rng.uniform(0, 2 * np.pi, size=num_items)
        speed = rng.uniform(*speed_range, size=num_items)
        velocity = np.stack([np.sin(angle), np.cos(angle)], axis=1) * speed[:, None]
        video = np.zeros((num_frames, image_size, image_size), dtype=np.uint8)
        for frame in video:
            for item, (top, left) in zip(items, np.rint(position).astype(int)):
                window = frame[top : top + item_size, left : left + item_size]
                np.maximum(window, item, out=window)
            position += velocity
            # Bounce: reflect the positions that left [0, free_space] back inside and reverse that velocity component.
            below, above = position < 0, position > free_space
            position[below] = -position[below]
            position[above] = 2 * free_space - position[above]
            velocity[below | above] *= -1
        yield {"video": np.repeat(video[..., None], 3, axis=-1), "label": int(labels[chosen[0]])}


def make_moving_fashion_mnist(
    num_videos: int,
    num_frames: int = 16,
    image_size: int = 32,
    seed: int = 0,
    split: str = "train",
    max_items: int = 2,
    speed_range: tuple[float, float] = (1.0, 3.0),
    cache_dir: str | None = None,
) -> datasets.Dataset:
    """A Moving-MNIST-style video dataset made of the shipped Fashion-MNIST items of `split`.

    Every video shows 1 to `max_items` items, scaled to half the canvas, moving with a constant velocity of
    `speed_range` pixels per frame and bouncing off the edges of the `image_size` x `image_size` canvas. Columns:
    "video" (uint8 `[num_frames, image_size, image_size, 3]`, an `Array4D`) and "label" (the class of the first item).
    The same arguments always give the same videos.
    """
    _check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "moving_fashion_mnist")
    for name, value, minimum in (
        ("num_videos", num_videos, 1),
        ("num_frames", num_frames, 1),
        ("max_items", max_items, 1),
    ):
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    if image_size < 4:
        raise ValueError(f"image_size must be at least 4 pixels, got {image_size}.")
    free_space = image_size - image_size // 2
    if not 0 <= speed_range[0] <= speed_range[1] <= free_space:
        raise ValueError(
            f"speed_range must be (low, high) with 0 <= low <= high <= {free_space} pixels per frame (the room an "
            f"item has to move on a {image_size}-pixel canvas), got {speed_range}."
        )
    features = datasets.Features(
        {
            "video": datasets.Array4D(shape=(num_frames, image_size, image_size, 3), dtype="uint8"),
            "label": datasets.ClassLabel(names=list(FASHION_MNIST_CLASSES)),
        }
    )
    gen_kwargs = dict(
        num_videos=num_videos,
        num_frames=num_frames,
        image_size=image_size,
        seed=seed,
        split=split,
        max_items=max_items,
        speed_range=tuple(speed_range),
    )
    return _cached_dataset(
        _moving_fashion_mnist_examples, gen_kwargs, features, split, (small_dataset_path(),), cache_dir
    )


def write_video_folder(
    dataset: datasets.Dataset,
    folder: str | os.PathLike,
    fps: float = 8.0,
    video_column: str = "video",
    label_column: str | None = "label",
) -> list[str]:
    """Writes every video of `dataset` (uint8 `[T, H, W, 3]`) as an H.264 .mp4 file, plus a metadata.csv with the
    labels, so that the folder loads with the `videofolder` builder. Returns the paths of the videos."""
    from torchcodec.encoders import VideoEncoder

    missing = [name for name in (video_column, label_column) if name is not None and name not in dataset.column_names]
    if missing:
        raise ValueError(f"Column {missing[0]!r} is not in the dataset; its columns are {dataset.column_names}.")
    os.makedirs(folder, exist_ok=True)
    columns = [video_column] + ([label_column] if label_column else [])
    rows = dataset.select_columns(columns).with_format("numpy")
    paths, metadata = [], []
    for index, row in enumerate(rows):
        video = row[video_column]
        if (
            not isinstance(video, np.ndarray)
            or video.ndim != 4
            or video.shape[-1] != 3
            or video.shape[1] % 2
            or video.shape[2] % 2
        ):
            raise ValueError(
                f"Row {index} of column {video_column!r} holds {getattr(video, 'shape', type(video).__name__)}; "
                "write_video_folder needs uint8 arrays [T, H, W, 3] with an even height and width (for H.264)."
            )
        file_name = f"{index:06d}.mp4"
        frames = torch.from_numpy(video.astype(np.uint8)).permute(0, 3, 1, 2).contiguous()
        VideoEncoder(frames, frame_rate=fps).to_file(os.path.join(folder, file_name))
        paths.append(os.path.join(folder, file_name))
        metadata.append([file_name] + ([int(row[label_column])] if label_column else []))
    with open(os.path.join(folder, "metadata.csv"), "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["file_name"] + ([label_column] if label_column else []))
        writer.writerows(metadata)
    return paths


# --------------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class DataArguments:
    """Which data a job reads: the one home of the data and probe settings that pretraining (`PretrainingArguments`),
    evaluation (`EvaluationArguments`) and the benchmarks share. Parsed by `HfArgumentParser` as part of them."""

    dataset_name: str | None = dataclasses.field(
        default=None,
        metadata={
            "help": "A Hub dataset id, a save_to_disk folder, or a shipped dataset (fashion_mnist_small, "
            "fashion_mnist, moving_fashion_mnist). Default: fashion_mnist_small, or moving_fashion_mnist "
            "for video models."
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


def load_shipped_dataset(dataset_name: str, split: str = "train", cache_dir: str | None = None) -> datasets.Dataset:
    """One of the datasets shipped with the package: `fashion_mnist_small`, `fashion_mnist` or
    `moving_fashion_mnist` (16 frames of 32x32, 1000 train / 200 test videos)."""
    if dataset_name == "fashion_mnist_small":
        return fashion_mnist_dataset(split, full=False, cache_dir=cache_dir)
    if dataset_name == "fashion_mnist":
        return fashion_mnist_dataset(split, full=True, cache_dir=cache_dir)
    if dataset_name == "moving_fashion_mnist":
        _check_split(split, tuple(MOVING_FASHION_MNIST_SIZES), dataset_name)
        return make_moving_fashion_mnist(MOVING_FASHION_MNIST_SIZES[split], split=split, cache_dir=cache_dir)
    raise ValueError(f"Unknown shipped dataset {dataset_name!r}; the shipped datasets are {list(SHIPPED_DATASETS)}.")


def _is_saved_dataset(path: str) -> bool:
    """Whether `path` is a folder written by `Dataset.save_to_disk` or `DatasetDict.save_to_disk`."""
    return os.path.isfile(os.path.join(path, "dataset_dict.json")) or (
        os.path.isfile(os.path.join(path, "state.json")) and os.path.isfile(os.path.join(path, "dataset_info.json"))
    )


def _load_saved_dataset(path: str, split: str) -> datasets.Dataset:
    saved = datasets.load_from_disk(path)
    if isinstance(saved, datasets.DatasetDict):
        _check_split(split, list(saved), f"the saved dataset {path}")
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
            `moving_fashion_mnist`), a folder written by `save_to_disk`, a Hub dataset id or a local folder that
            `datasets.load_dataset` reads (a builder name such as "imagefolder" takes its files from `train_dir`).
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
        dataset_name = DEFAULT_DATASET
    if dataset_name in SHIPPED_DATASETS:
        if train_dir is not None or dataset_config_name is not None:
            raise ValueError(
                f"The shipped dataset {dataset_name!r} takes neither train_dir nor dataset_config_name "
                f"(got train_dir={train_dir!r}, dataset_config_name={dataset_config_name!r})."
            )
        dataset = load_shipped_dataset(dataset_name, split, cache_dir)
    elif dataset_name is None and _is_saved_dataset(train_dir):
        dataset = _load_saved_dataset(train_dir, split)
    elif dataset_name is None:
        dataset = datasets.load_dataset(
            _folder_builder(train_dir), data_dir=train_dir, split=split, streaming=streaming, cache_dir=cache_dir
        )
    elif _is_saved_dataset(dataset_name):
        dataset = _load_saved_dataset(dataset_name, split)
    else:
        dataset = datasets.load_dataset(
            dataset_name,
            dataset_config_name,
            data_dir=train_dir,
            split=split,
            streaming=streaming,
            cache_dir=cache_dir,
        )
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


# --------------------------------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------------------------------


def _features(dataset: datasets.Dataset | datasets.IterableDataset) -> datasets.Features:
    if dataset.features is None:
        raise ValueError(
            "The dataset does not declare its features (column types), so the image / video and label columns "
            "cannot be checked. Declare them with `dataset = dataset.cast(features)`."
        )
    return dataset.features


def _describe_columns(features: datasets.Features) -> str:
    return ", ".join(f"{name} ({feature})" for name, feature in features.items())


def media_kind(feature: Any) -> str | None:
    """The kind of media a `datasets` feature holds: "image", "video" or None."""
    if isinstance(feature, IMAGE_FEATURES):
        return "image"
    if isinstance(feature, VIDEO_FEATURES):
        return "video"
    return None


def find_media_column(
    dataset: datasets.Dataset | datasets.IterableDataset,
    image_column_name: str | None = None,
    video_column_name: str | None = None,
) -> tuple[str, str]:
    """The column holding the images or videos and its kind, `(name, "image" | "video")`.

    A named column is checked to exist and to have an image (`Image`, `Array2D`, `Array3D`) or video (`Video`,
    `Array4D`) type. Otherwise the media columns are found by type, a common name (image, img, video, frames, ...)
    deciding between several.
    """
    if image_column_name is not None and video_column_name is not None:
        raise ValueError(
            f"Give image_column_name ({image_column_name!r}) or video_column_name ({video_column_name!r}), not both."
        )
    features = _features(dataset)
    for argument, name, kind in (
        ("image_column_name", image_column_name, "image"),
        ("video_column_name", video_column_name, "video"),
    ):
        if name is None:
            continue
        if name not in features:
            raise ValueError(
                f"{argument}={name!r} is not a column of the dataset; its columns are: {_describe_columns(features)}."
            )
        if media_kind(features[name]) != kind:
            accepted = " / ".join(
                feature.__name__ for feature in (IMAGE_FEATURES if kind == "image" else VIDEO_FEATURES)
            )
            raise ValueError(f"{argument}={name!r} is a column of type {features[name]}, not {kind}s ({accepted}).")
        return name, kind
    candidates = {name: media_kind(feature) for name, feature in features.items() if media_kind(feature)}
    if not candidates:
        raise ValueError(
            "The dataset has no image or video column (a datasets Image / Array2D / Array3D or Video / Array4D "
            f"feature); its columns are: {_describe_columns(features)}. Name the column with image_column_name or "
            "video_column_name, after casting it to one of these types."
        )
    for name in IMAGE_COLUMN_NAMES + VIDEO_COLUMN_NAMES:
        if name in candidates:
            return name, candidates[name]
    name = next(iter(candidates))
    return name, candidates[name]


def _is_label_feature(feature: Any) -> bool:
    return isinstance(feature, datasets.ClassLabel) or (
        isinstance(feature, datasets.Value) and feature.dtype in INTEGER_DTYPES
    )


def find_label_column(
    dataset: datasets.Dataset | datasets.IterableDataset, label_column_name: str | None = None
) -> str | None:
    """The column holding integer class labels: `label_column_name` (checked), else the first `ClassLabel` column,
    else an integer column with a common name (label, labels, class, target, ...); None when there is none."""
    features = _features(dataset)
    if label_column_name is not None:
        if label_column_name not in features:
            raise ValueError(
                f"label_column_name={label_column_name!r} is not a column of the dataset; its columns "
                f"are: {_describe_columns(features)}."
            )
        if not _is_label_feature(features[label_column_name]):
            raise ValueError(
                f"label_column_name={label_column_name!r} is a column of type {features[label_column_name]}; labels "
                "must be a ClassLabel or an integer Value."
            )
        return label_column_name
    for name, feature in features.items():
        if isinstance(feature, datasets.ClassLabel):
            return name
    for name in LABEL_COLUMN_NAMES:
        if name in features and _is_label_feature(features[name]):
            return name
    return None


# --------------------------------------------------------------------------------------------------------------------
# Transforms
# --------------------------------------------------------------------------------------------------------------------


def _channels_first(array: torch.Tensor, prefer_channels_last: bool, what: str) -> torch.Tensor:
    """`[..., H, W, C]` or `[..., C, H, W]` → `[..., C, H, W]`, guessing the layout from where C in 1..4 is."""
    last_ok, first_ok = array.shape[-1] in (1, 2, 3, 4), array.shape[-3] in (1, 2, 3, 4)
    if last_ok and (prefer_channels_last or not first_ok):
        return array.movedim(-1, -3)
    if first_ok:
        return array
    raise ValueError(f"Cannot find the channels of {what} of shape {tuple(array.shape)}: expected 1 to 4 channels.")


def _rgb(array: torch.Tensor, what: str) -> torch.Tensor:
    """`[..., C, H, W]` uint8 / float → `[..., 3, H, W]`: grey is repeated, alpha dropped, other ints checked."""
    if not (array.dtype == torch.uint8 or array.is_floating_point()):
        if array.dtype == torch.bool or array.is_complex():
            raise ValueError(f"{what} has dtype {array.dtype}; expected uint8 or float pixels.")
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(f"{what} has {array.dtype} values in [{low}, {high}]; expected pixels in [0, 255].")
        array = array.to(torch.uint8)
    channels = array.shape[-3]
    if channels in (1, 2):  # grey, grey + alpha
        return array.narrow(-3, 0, 1).expand(*array.shape[:-3], 3, *array.shape[-2:])
    return array.narrow(-3, 0, 3)  # RGB, RGBA


def to_rgb_tensor(image: Any) -> torch.Tensor:
    """An image as a `[3, H, W]` tensor: uint8, or float in [0, 1] when given floats.

    Takes a PIL image of any mode (converted to RGB), a numpy array `[H, W]` / `[H, W, C]` or a tensor `[H, W]` /
    `[C, H, W]` (numpy arrays are read channels-last, tensors channels-first, when the shape allows both).
    """
    if isinstance(image, PIL.Image.Image):
        return v2.functional.pil_to_tensor(image.convert("RGB"))
    if not isinstance(image, (np.ndarray, torch.Tensor)):
        raise TypeError(f"Expected a PIL image, a numpy array or a tensor, got {type(image).__name__}.")
    array = torch.as_tensor(np.array(image)) if isinstance(image, np.ndarray) else image
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3:
        array = _channels_first(array, isinstance(image, np.ndarray), "an image")
    else:
        raise ValueError(f"An image must have 2 or 3 dimensions, got shape {tuple(array.shape)}.")
    return _rgb(array, "the image")


def clip_indices(num_video_frames: int, num_frames: int, frame_step: int, train: bool) -> list[int]:
    """Frame indices of a clip of `num_frames` frames `frame_step` apart: a random start (`train`) or the centred
    clip; a video shorter than the clip is padded with its last frame."""
    if num_video_frames < 1:
        raise ValueError("The video has no frames.")
    span = (num_frames - 1) * frame_step + 1
    if num_video_frames < span:
        start = 0
    elif train:
        start = int(torch.randint(num_video_frames - span + 1, ()))
    else:
        start = (num_video_frames - span) // 2
    return [min(start + index * frame_step, num_video_frames - 1) for index in range(num_frames)]


def read_clip(video: Any, num_frames: int, frame_step: int, train: bool) -> torch.Tensor:
    """Samples a clip from `video` as `[num_frames, 3, H, W]` (uint8, or float when given floats).

    `video` is a torchcodec `VideoDecoder` (what 🤗 datasets yields for a `Video` feature; only the clip's frames
    are decoded), a numpy array `[T, H, W, C]` / `[T, H, W]`, or a tensor `[T, H, W, C]` / `[T, C, H, W]`.
    """
    if isinstance(video, (np.ndarray, torch.Tensor)):
        if video.ndim not in (3, 4):
            raise ValueError(f"A video array must be [T, H, W, C] or [T, H, W], got shape {tuple(video.shape)}.")
        indices = clip_indices(video.shape[0], num_frames, frame_step, train)
        frames = torch.from_numpy(video[indices]) if isinstance(video, np.ndarray) else video[indices]
        if frames.ndim == 3:
            frames = frames[:, None]
        else:
            frames = _channels_first(frames, prefer_channels_last=True, what="a video")
        return _rgb(frames, "the video")
    if not hasattr(video, "get_frames_at"):
        raise TypeError(f"Expected a torchcodec VideoDecoder, a numpy array or a tensor, got {type(video).__name__}.")
    frames = video.get_frames_at(clip_indices(len(video), num_frames, frame_step, train)).data
    # A `Video(dimension_order="NHWC")` feature yields channels-last frames: tell the layouts apart by the frame size.
    if tuple(frames.shape[-2:]) != (video.metadata.height, video.metadata.width):
        frames = frames.permute(0, 3, 1, 2)
    return _rgb(frames, "the video")


# The normalisation of a model that ships no processor, and of a run that names none: ImageNet's, as ViT uses.
DEFAULT_IMAGE_MEAN = tuple(IMAGENET_DEFAULT_MEAN)
DEFAULT_IMAGE_STD = tuple(IMAGENET_DEFAULT_STD)

Processor = BaseImageProcessor | BaseVideoProcessor


def build_eval_processor(
    image_size: int,
    image_mean: Sequence[float] | None = None,
    image_std: Sequence[float] | None = None,
    *,
    video: bool = False,
    convert_rgb: bool = True,
) -> ViTImageProcessor | VideoMAEVideoProcessor:
    """The evaluation preprocessing, as the transformers processor that ships with a model (`hub.build_processor`).

    Images get a `ViTImageProcessor`, clips a `VideoMAEVideoProcessor` (a generic video processor whose output key,
    `pixel_values`, is the input name of hf_jepa's video models). Both resize the shorter side to `image_size` and
    centre-crop `image_size` pixels, the geometry of the training crops, then scale to [0, 1] and normalise with
    `image_mean` / `image_std` (default: `DEFAULT_IMAGE_MEAN` / `DEFAULT_IMAGE_STD`).
    """
    common = dict(
        image_mean=list(DEFAULT_IMAGE_MEAN if image_mean is None else image_mean),
        image_std=list(DEFAULT_IMAGE_STD if image_std is None else image_std),
        do_convert_rgb=convert_rgb,
    )
    geometry = dict(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    if video:
        return VideoMAEVideoProcessor(**geometry, **common)
    return ViTImageProcessor(do_center_crop=True, **geometry, **common)


def apply_processor(processor: Processor, pixels: torch.Tensor) -> torch.Tensor:
    """A `[3, H, W]` image or `[T, 3, H, W]` clip (uint8, or float in [0, 1]) through a transformers image or video
    processor: its pixel values without the batch axis (an image processor takes a clip frame by frame)."""
    pixels = pixels.as_subclass(torch.Tensor)
    # Float pixels are in [0, 1] already: the processor must not divide them by 255 again.
    rescale = processor.do_rescale and not pixels.is_floating_point()
    if isinstance(processor, BaseVideoProcessor):
        processed = processor(videos=pixels, do_rescale=rescale, return_tensors="pt")
        # VideoMAE's processor names its output `pixel_values`, V-JEPA 2's `pixel_values_videos`
        return processed.get("pixel_values", processed.get("pixel_values_videos"))[0]
    processed = processor(images=pixels, do_rescale=rescale, return_tensors="pt")["pixel_values"]
    return processed[0] if pixels.ndim == 3 else processed


class _Processed:
    """A processor as the spatial step of `ImageTransform` / `VideoTransform`."""

    def __init__(self, processor: Processor):
        self.processor = processor

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        return apply_processor(self.processor, pixels)


class ImageTransform:
    """Image → normalised float `[3, H, W]`. Built by [`build_transform`] or [`processor_transform`]."""

    def __init__(self, spatial: Callable[[torch.Tensor], torch.Tensor]):
        self.spatial = spatial

    def __call__(self, image: Any) -> torch.Tensor:
        return self.spatial(to_rgb_tensor(image))


class VideoTransform:
    """Video → normalised float `[num_frames, 3, H, W]`, one random crop for all frames. Built by
    [`build_transform`] or [`processor_transform`]."""

    def __init__(self, spatial: Callable[[torch.Tensor], torch.Tensor], num_frames: int, frame_step: int, train: bool):
        self.spatial = spatial
        self.num_frames = num_frames
        self.frame_step = frame_step
        self.train = train

    def __call__(self, video: Any) -> torch.Tensor:
        clip = read_clip(video, self.num_frames, self.frame_step, self.train)
        # A `tv_tensors.Video` makes the v2 transforms draw one set of random parameters for the whole clip.
        return self.spatial(tv_tensors.Video(clip)).as_subclass(torch.Tensor)


def processor_transform(
    processor: Processor, num_frames: int = 1, frame_step: int = 4
) -> ImageTransform | VideoTransform:
    """The evaluation transform of a model's own processor (e.g. `AutoImageProcessor.from_pretrained(model)`): images,
    or the centred clip of `num_frames` frames `frame_step` apart when `num_frames > 1`."""
    if num_frames == 1:
        return ImageTransform(_Processed(processor))
    return VideoTransform(_Processed(processor), num_frames, frame_step, train=False)


def build_transform(
    image_size: int,
    image_mean: Sequence[float],
    image_std: Sequence[float],
    *,
    train: bool,
    crop_scale: tuple[float, float] = (0.3, 1.0),
    horizontal_flip: bool = False,
    num_frames: int = 1,
    frame_step: int = 4,
) -> Callable[[Any], torch.Tensor]:
    """The preprocessing of images (`num_frames == 1`) or video clips (`num_frames > 1`).

    Training: a random resized crop of `crop_scale` of the area (and a random horizontal flip when
    `horizontal_flip`), then scale to [0, 1] and normalise with `image_mean` / `image_std`. Evaluation: the processor
    of [`build_eval_processor`], the one that ships with the model, so that evaluation sees the pixels that
    `AutoImageProcessor` / `AutoVideoProcessor` give. Images give float `[3, image_size, image_size]`; videos a clip
    of `num_frames` frames `frame_step` apart, `[num_frames, 3, image_size, image_size]`, with the same crop and
    flip for every frame.
    """
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}.")
    if len(image_mean) not in (1, 3) or len(image_std) not in (1, 3):
        raise ValueError(f"image_mean and image_std need 1 or 3 values, got {list(image_mean)} and {list(image_std)}.")
    if min(image_std) <= 0:
        raise ValueError(f"image_std must be positive, got {list(image_std)}.")
    if not 0 < crop_scale[0] <= crop_scale[1] <= 1:
        raise ValueError(f"crop_scale must be (low, high) with 0 < low <= high <= 1, got {crop_scale}.")
    if num_frames < 1 or frame_step < 1:
        raise ValueError(f"num_frames and frame_step must be positive, got {num_frames} and {frame_step}.")
    if not train:
        processor = build_eval_processor(image_size, image_mean, image_std, video=num_frames > 1)
        return processor_transform(processor, num_frames, frame_step)
    geometry = [v2.RandomResizedCrop(image_size, scale=tuple(crop_scale))]
    if horizontal_flip:
        geometry.append(v2.RandomHorizontalFlip())
    spatial = v2.Compose(
        geometry + [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(image_mean), list(image_std))]
    )
    if num_frames == 1:
        return ImageTransform(spatial)
    return VideoTransform(spatial, num_frames, frame_step, train)


# --------------------------------------------------------------------------------------------------------------------
# Torch datasets that skip undecodable samples
# --------------------------------------------------------------------------------------------------------------------


def _check_transform_kind(transform: Callable, column: str, kind: str) -> None:
    expected = {"image": ImageTransform, "video": VideoTransform}[kind]
    if isinstance(transform, (ImageTransform, VideoTransform)) and not isinstance(transform, expected):
        raise ValueError(
            f"Column {column!r} holds {kind}s but the transform is for "
            f"{'videos' if kind == 'image' else 'images'}: build it with "
            f"{'num_frames=1' if kind == 'image' else 'num_frames > 1'}."
        )


def _sample_id(value: Any, index: int) -> str:
    path = value.get("path") if isinstance(value, dict) else None
    return path or str(index)


class _MediaReader:
    """What `MediaDataset` and `StreamingMediaDataset` share: the checks of the columns and the per-example work."""

    def __init__(
        self,
        hf_dataset: datasets.Dataset | datasets.IterableDataset,
        column: str,
        transform: Callable[[Any], torch.Tensor],
        label_column: str | None = None,
    ):
        features = _features(hf_dataset)
        for argument, name in (("column", column), ("label_column", label_column)):
            if name is not None and name not in features:
                raise ValueError(
                    f"{argument}={name!r} is not a column of the dataset; its columns are: "
                    f"{_describe_columns(features)}."
                )
        kind = media_kind(features[column])
        if kind is None:
            raise ValueError(f"Column {column!r} has type {features[column]}, which holds neither images nor videos.")
        _check_transform_kind(transform, column, kind)
        self.column = column
        self.transform = transform
        self.label_column = label_column
        self.feature = features[column]
        self.decode = require_decoding(self.feature)
        hf_dataset = hf_dataset.select_columns([column] + ([label_column] if label_column else []))
        if not self.decode:
            hf_dataset = hf_dataset.with_format("numpy")  # Array features: one array instead of nested lists
        elif isinstance(hf_dataset, datasets.IterableDataset):
            hf_dataset = hf_dataset.decode(False)  # decoded in `_example`, where a corrupt file becomes a record
        else:
            hf_dataset = hf_dataset.cast_column(column, dataclasses.replace(self.feature, decode=False))
        self.hf_dataset = hf_dataset

    def _example(self, row: dict, index: int) -> dict:
        value = row[self.column]
        try:
            media = self.feature.decode_example(value) if self.decode else value
            example = {"pixel_values": self.transform(media)}
        except Exception as error:  # any undecodable sample is skipped; `check_bad_fraction` bounds how many
            return {"skipped": True, "id": _sample_id(value, index), "error": f"{type(error).__name__}: {error}"}
        if self.label_column is not None:
            example["labels"] = int(row[self.label_column])
        return example


class MediaDataset(_MediaReader, torch.utils.data.Dataset):
    """A map-style torch dataset over a `datasets.Dataset` `(hf_dataset, column, transform, label_column=None,
    seed=None)`.

    Items are `{"pixel_values": tensor, "labels": int}` (labels when `label_column` is given), or
    `{"skipped": True, "id": ..., "error": ...}` for a sample that cannot be decoded or transformed; the id is the
    sample's file path, else its row index.
    """

    def __init__(
        self,
        hf_dataset: datasets.Dataset,
        column: str,
        transform: Callable[[Any], torch.Tensor],
        label_column: str | None = None,
        seed: int | None = None,
    ):
        super().__init__(hf_dataset, column, transform, label_column)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """With a `seed`, the random augmentation of a sample depends only on (seed, epoch, index)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.hf_dataset)

    def __getitem__(self, index: int) -> dict:
        if self.seed is None:
            return self._example(self.hf_dataset[index], index)
        # Seeding per sample makes the crops independent of the worker that draws them, so that a resumed run
        # (which skips batches without loading them) sees exactly the crops of an uninterrupted one.
        with torch.random.fork_rng(devices=[]):
            # only the CPU generator: `torch.manual_seed` would also queue CUDA seeding, at ~10 ms a call
            torch.default_generator.manual_seed(((self.seed * 1_000_003 + self.epoch) * 2**31 + index) % 2**63)
            return self._example(self.hf_dataset[index], index)


class StreamingMediaDataset(_MediaReader, torch.utils.data.IterableDataset):
    """[`MediaDataset`] over a `datasets.IterableDataset`. DataLoader workers each read their own shards; split the
    stream between processes first with [`split_by_process`]. The id of a skipped sample without a file path is its
    position in the stream this process reads."""

    def set_epoch(self, epoch: int) -> None:
        """Reshuffles a shuffled stream differently in every epoch."""
        self.hf_dataset.set_epoch(epoch)

    def __iter__(self) -> Iterator[dict]:
        for index, row in enumerate(self.hf_dataset):
            yield self._example(row, index)


def split_skipped(examples: list[dict]) -> tuple[list[dict], list[dict]]:
    """Separates the good examples from the skipped records."""
    good = [example for example in examples if not example.get("skipped")]
    skipped = [example for example in examples if example.get("skipped")]
    return good, skipped


def collate_skipping_bad(examples: list[dict]) -> dict:
    """Collates the good examples and counts the skipped ones: `{"pixel_values": [B', ...], "labels": [B']` (when the
    examples have labels), `"num_skipped": int, "skipped_ids": [...], "skipped_errors": [...]}`. When every example
    was skipped, `pixel_values` is empty (`B' == 0`)."""
    good, skipped = split_skipped(examples)
    batch = {
        "pixel_values": torch.stack([example["pixel_values"] for example in good]) if good else torch.empty(0),
    }
    if good and "labels" in good[0]:
        batch["labels"] = torch.tensor([example["labels"] for example in good])
    batch["num_skipped"] = len(skipped)
    batch["skipped_ids"] = [example["id"] for example in skipped]
    batch["skipped_errors"] = [example["error"] for example in skipped]
    return batch


def check_bad_fraction(
    num_bad: int,
    num_seen: int,
    max_bad_fraction: float,
    column: str,
    example_id: str,
    error: str | None = None,
    min_seen: int = 32,
) -> None:
    """Raises when more than `max_bad_fraction` of the `num_seen` samples read so far could not be decoded.

    The verdict waits for `min_seen` samples, except that a run of only bad samples fails at once: a wrong column
    or a missing codec shows in the first batch.
    """
    if not 0 <= max_bad_fraction <= 1:
        raise ValueError(f"max_bad_fraction must be in [0, 1], got {max_bad_fraction}.")
    if num_bad < 0 or num_seen < num_bad:
        raise ValueError(f"Need 0 <= num_bad <= num_seen, got num_bad={num_bad}, num_seen={num_seen}.")
    judged = num_seen >= min_seen or num_bad == num_seen
    if num_bad == 0 or not judged or num_bad <= max_bad_fraction * num_seen:
        return
    raise ValueError(
        f"{num_bad} of the {num_seen} samples read so far ({num_bad / num_seen:.1%}) in column {column!r} could not "
        f"be decoded, more than max_bad_fraction={max_bad_fraction}. For example {example_id}"
        + (f": {error}" if error else ".")
        + " Check the column and the files, or raise max_bad_fraction."
    )


__all__ = [
    "FASHION_MNIST_CLASSES",
    "ImageTransform",
    "MediaDataset",
    "StreamingMediaDataset",
    "VideoTransform",
    "build_fashion_mnist_small",
    "DEFAULT_IMAGE_MEAN",
    "DEFAULT_IMAGE_STD",
    "apply_processor",
    "build_eval_processor",
    "build_transform",
    "processor_transform",
    "DataArguments",
    "check_bad_fraction",
    "clip_indices",
    "collate_skipping_bad",
    "dataset_name_or_default",
    "default_dataset",
    "fashion_mnist_dataset",
    "find_label_column",
    "find_media_column",
    "load_fashion_mnist_arrays",
    "load_media_dataset",
    "load_media_split",
    "load_shipped_dataset",
    "load_small_arrays",
    "make_moving_fashion_mnist",
    "media_kind",
    "read_clip",
    "read_idx",
    "small_dataset_path",
    "split_by_process",
    "split_skipped",
    "to_rgb_tensor",
    "write_video_folder",
]
