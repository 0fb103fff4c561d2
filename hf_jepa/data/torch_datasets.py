# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Torch datasets over 🤗 datasets that skip undecodable samples, and the collate function that counts them."""

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import datasets
import torch
from datasets.features.features import require_decoding

from .columns import dataset_features, describe_columns, media_kind
from .transforms import ImageTransform, MultiViewTransform, VideoTransform


def _check_transform_kind(transform: Callable, column: str, kind: str) -> None:
    expected = {"image": ImageTransform, "video": VideoTransform}[kind]
    if isinstance(transform, MultiViewTransform):
        transform = transform.global_view
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
        features = dataset_features(hf_dataset)
        for argument, name in (("column", column), ("label_column", label_column)):
            if name is not None and name not in features:
                raise ValueError(
                    f"{argument}={name!r} is not a column of the dataset; its columns are: "
                    f"{describe_columns(features)}."
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
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch goes into every sample's `sample_key` (and, in subclasses, into its random draws)."""
        self.epoch = epoch

    def _example(self, row: dict, sample_key: tuple[int, ...]) -> dict:
        """`sample_key` says where the sample was drawn, its position last; `JEPAMaskCollator` seeds a batch's masks
        with its samples' keys, so that the masks do not depend on the worker that collates the batch."""
        value, index = row[self.column], sample_key[-1]
        try:
            media = self.feature.decode_example(value) if self.decode else value
            transformed = self.transform(media)  # a tensor, or the views of a `MultiViewTransform`
            example = transformed if isinstance(transformed, dict) else {"pixel_values": transformed}
        except Exception as error:  # any undecodable sample is skipped; `check_bad_fraction` bounds how many
            example = {"skipped": True, "id": _sample_id(value, index), "error": f"{type(error).__name__}: {error}"}
        if self.label_column is not None and not example.get("skipped"):
            example["labels"] = int(row[self.label_column])
        example["sample_key"] = sample_key
        return example


class MediaDataset(_MediaReader, torch.utils.data.Dataset):
    """A map-style torch dataset over a `datasets.Dataset` `(hf_dataset, column, transform, label_column=None,
    seed=None)`.

    Items are `{"pixel_values": tensor, "labels": int, "sample_key": (epoch, index)}` (labels when `label_column` is
    given; the views of a `MultiViewTransform` add `"local_pixel_values"` when it has local views), or
    `{"skipped": True, "id": ..., "error": ..., "sample_key": (epoch, index)}` for a sample that cannot be decoded or
    transformed; the id is the sample's file path, else its row index.
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
        self.seed = seed  # with a seed, the random augmentation of a sample depends only on (seed, epoch, index)

    def __len__(self) -> int:
        return len(self.hf_dataset)

    def __getitem__(self, index: int) -> dict:
        row, sample_key = self.hf_dataset[index], (self.epoch, index)
        if self.seed is None:
            return self._example(row, sample_key)
        # Seeding per sample makes the crops independent of the worker that draws them, so that a resumed run
        # (which skips batches without loading them) sees exactly the crops of an uninterrupted one.
        with torch.random.fork_rng(devices=[]):
            # only the CPU generator: `torch.manual_seed` would also queue CUDA seeding, at ~10 ms a call
            torch.default_generator.manual_seed(((self.seed * 1_000_003 + self.epoch) * 2**31 + index) % 2**63)
            return self._example(row, sample_key)


class StreamingMediaDataset(_MediaReader, torch.utils.data.IterableDataset):
    """[`MediaDataset`] over a `datasets.IterableDataset`. DataLoader workers each read their own shards; split the
    stream between processes first with [`split_by_process`], and give each process's dataset its `process_index`.
    The id of a skipped sample without a file path is its position in the stream this process (or DataLoader worker)
    reads; its `sample_key` is (epoch, process, worker, position), unique across processes and workers.
    """

    def __init__(
        self,
        hf_dataset: datasets.IterableDataset,
        column: str,
        transform: Callable[[Any], torch.Tensor],
        label_column: str | None = None,
        process_index: int = 0,
    ):
        super().__init__(hf_dataset, column, transform, label_column)
        self.process_index = process_index

    def set_epoch(self, epoch: int) -> None:
        """Also reshuffles a shuffled stream differently in every epoch."""
        super().set_epoch(epoch)
        self.hf_dataset.set_epoch(epoch)

    def __iter__(self) -> Iterator[dict]:
        worker = torch.utils.data.get_worker_info()
        worker_id = 0 if worker is None else worker.id
        for index, row in enumerate(self.hf_dataset):
            yield self._example(row, (self.epoch, self.process_index, worker_id, index))


def split_skipped(examples: list[dict]) -> tuple[list[dict], list[dict]]:
    """Separates the good examples from the skipped records."""
    good = [example for example in examples if not example.get("skipped")]
    skipped = [example for example in examples if example.get("skipped")]
    return good, skipped


def collate_examples(examples: list[dict]) -> dict:
    """Stacks examples into a batch: `{"pixel_values": [B, ...], "local_pixel_values": [B, ...]` (when the examples
    have local views), `"labels": [B]` (when they have labels)`}`; no examples give an empty `pixel_values`."""
    batch = {
        "pixel_values": torch.stack([example["pixel_values"] for example in examples]) if examples else torch.empty(0),
    }
    if examples and "local_pixel_values" in examples[0]:
        batch["local_pixel_values"] = torch.stack([example["local_pixel_values"] for example in examples])
    if examples and "labels" in examples[0]:
        batch["labels"] = torch.tensor([example["labels"] for example in examples])
    return batch


def collate_skipping_bad(examples: list[dict]) -> dict:
    """Collates the good examples ([`collate_examples`]) and counts the skipped ones, adding `"num_skipped": int,
    "skipped_ids": [...], "skipped_errors": [...]`. When every example was skipped, `pixel_values` is empty."""
    good, skipped = split_skipped(examples)
    batch = collate_examples(good)
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
