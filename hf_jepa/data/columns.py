# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Which column of a 🤗 dataset holds the images or videos, and which the labels."""

from typing import Any

import datasets

IMAGE_COLUMN_NAMES = ("image", "img", "images", "pixel_values", "picture", "photo")
VIDEO_COLUMN_NAMES = ("video", "videos", "frames", "clip")
LABEL_COLUMN_NAMES = ("label", "labels", "class", "class_label", "target", "category", "fine_label")
IMAGE_FEATURES = (datasets.Image, datasets.Array2D, datasets.Array3D)
VIDEO_FEATURES = (datasets.Video, datasets.Array4D)
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def dataset_features(dataset: datasets.Dataset | datasets.IterableDataset) -> datasets.Features:
    if dataset.features is None:
        raise ValueError(
            "The dataset does not declare its features (column types), so the image / video and label columns "
            "cannot be checked. Declare them with `dataset = dataset.cast(features)`."
        )
    return dataset.features


def describe_columns(features: datasets.Features) -> str:
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
    features = dataset_features(dataset)
    for argument, name, kind in (
        ("image_column_name", image_column_name, "image"),
        ("video_column_name", video_column_name, "video"),
    ):
        if name is None:
            continue
        if name not in features:
            raise ValueError(
                f"{argument}={name!r} is not a column of the dataset; its columns are: {describe_columns(features)}."
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
            f"feature); its columns are: {describe_columns(features)}. Name the column with image_column_name or "
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
    features = dataset_features(dataset)
    if label_column_name is not None:
        if label_column_name not in features:
            raise ValueError(
                f"label_column_name={label_column_name!r} is not a column of the dataset; its columns "
                f"are: {describe_columns(features)}."
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
