# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The datasets shipped with the package: Fashion-MNIST (the IDX files of Debian's `dataset-fashion-mnist` and
the class-balanced subset in the package data) and moving Fashion-MNIST clips generated from its items."""

import csv
import gzip
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from importlib import resources

import datasets
import numpy as np
import PIL.Image
import torch
from datasets.fingerprint import Hasher

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


def check_split(split: str, splits: Sequence[str], source: str) -> None:
    if split not in splits:
        raise ValueError(f"Unknown split {split!r} for {source}; the available splits are {list(splits)}.")


def fashion_mnist_files(split: str, directory: str | os.PathLike | None = None) -> tuple[str, str]:
    """Paths of the image and label IDX files of the full Fashion-MNIST `split`, checked to exist."""
    check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist")
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
    check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist_small")
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


def _fashion_mnist_features() -> datasets.Features:
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
        check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "fashion_mnist_small")
        source_files = (small_dataset_path(),)
    return _cached_dataset(
        _fashion_mnist_examples,
        {"split": split, "full": full},
        _fashion_mnist_features(),
        split,
        source_files,
        cache_dir,
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
    check_split(split, tuple(FASHION_MNIST_FILE_PREFIXES), "moving_fashion_mnist")
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


def load_shipped_dataset(dataset_name: str, split: str = "train", cache_dir: str | None = None) -> datasets.Dataset:
    """One of the datasets shipped with the package: `fashion_mnist_small`, `fashion_mnist` or
    `moving_fashion_mnist` (16 frames of 32x32, 1000 train / 200 test videos)."""
    if dataset_name == "fashion_mnist_small":
        return fashion_mnist_dataset(split, full=False, cache_dir=cache_dir)
    if dataset_name == "fashion_mnist":
        return fashion_mnist_dataset(split, full=True, cache_dir=cache_dir)
    if dataset_name == "moving_fashion_mnist":
        check_split(split, tuple(MOVING_FASHION_MNIST_SIZES), dataset_name)
        return make_moving_fashion_mnist(MOVING_FASHION_MNIST_SIZES[split], split=split, cache_dir=cache_dir)
    raise ValueError(f"Unknown shipped dataset {dataset_name!r}; the shipped datasets are {list(SHIPPED_DATASETS)}.")
