# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The evaluation driver: `EvaluationArguments`, the labelled splits, and `evaluate`, which probes a checkpoint (and
the baselines) and writes `eval_results.json`."""

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from datasets import ClassLabel, Dataset
from torch.utils.data import DataLoader
from transformers import (
    PreTrainedModel,
    set_seed,
)

from ..data import (
    DataArguments,
    MediaDataset,
    collate_skipping_bad,
    dataset_name_or_default,
    find_label_column,
    load_media_split,
)
from ..tables import REPORTED_MODELS, format_table
from .features import Features, extract_features, extract_pixels, load_encoder, model_transform
from .probes import ProbeResult, attentive_probe, effective_rank, knn_probe, linear_probe

logger = logging.getLogger(__name__)


PROTOCOLS = ("knn", "linear", "attentive")


@dataclass
class EvaluationArguments(DataArguments):
    """What `hf-jepa evaluate` (and [`evaluate`]) takes: the data settings of [`DataArguments`] and the probes'.
    Parsed by `HfArgumentParser`, also from a JSON/YAML file."""

    model_name_or_path: str = field(
        kw_only=True,
        metadata={"help": "Checkpoint to evaluate: ours (JEPAModel / JEPAForPreTraining), or e.g. an IJepaModel."},
    )
    output_dir: str = field(kw_only=True, metadata={"help": "Where eval_results.json is written."})
    batch_size: int = field(default=64, metadata={"help": "Batch size of the feature extraction."})
    protocols: list[str] | None = field(
        default=None,
        metadata={"help": f"Any of {PROTOCOLS}; default: knn and linear, plus attentive for video models."},
    )
    feature_layers: int = field(
        default=1, metadata={"help": "Concatenate the mean-pooled outputs of this many last layers."}
    )
    baselines: bool = field(
        default=False, metadata={"help": "Also evaluate the randomly initialised architecture and raw pixels."}
    )
    holdout_fraction: float = field(
        default=0.2,
        metadata={
            "help": "Fraction of the train split held out to choose the probes' hyper-parameters (and used as the "
            "eval split when the dataset has only one split)."
        },
    )
    linear_epochs: int = field(default=100, metadata={"help": "Epochs of the linear probe."})
    attentive_epochs: int = field(default=20, metadata={"help": "Epochs of the attentive probe."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Load the model with its own saved code."})

    def __post_init__(self):
        super().__post_init__()
        unknown = sorted(set(self.protocols or ()) - set(PROTOCOLS))
        if unknown or self.protocols == []:
            raise ValueError(f"protocols must be a non-empty subset of {PROTOCOLS}, got {self.protocols}.")
        for name in ("batch_size", "feature_layers", "linear_epochs", "attentive_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction must lie strictly between 0 and 1, got {self.holdout_fraction}.")


class MissingLabelsError(ValueError):
    """The dataset has no integer label column, so there is nothing to probe."""


@dataclass
class LabelledData:
    """The loaders of the probes' train and eval splits, and how the records name them."""

    train: DataLoader
    eval: DataLoader
    dataset: str
    split: str
    num_classes: int | None


def _subset(dataset: Dataset, max_samples: int | None, seed: int) -> Dataset:
    if max_samples is None:
        return dataset
    return dataset.shuffle(seed=seed).select(range(min(max_samples, len(dataset))))


def build_labelled_data(
    args: EvaluationArguments, transform: Callable[[Any], torch.Tensor], num_frames: int = 1
) -> LabelledData:
    """Loads the train and eval splits of `args`' dataset with their image / video and label columns, and wraps
    them in loaders that apply `transform` (the model's processor, see [`model_transform`]). Without an `eval_split`
    in the dataset, a seeded `holdout_fraction` of the train split becomes the eval split."""
    train_set, column = load_media_split(args, args.train_split, num_frames)
    try:
        eval_set, _ = load_media_split(args, args.eval_split, num_frames)
        split = args.eval_split
    except ValueError as error:
        if "unknown split" not in str(error).lower():
            raise
        logger.warning(
            f"{error} Holding out {args.holdout_fraction:.0%} of the {args.train_split!r} split (seed {args.seed}) as "
            "the eval split."
        )
        parts = train_set.train_test_split(test_size=args.holdout_fraction, seed=args.seed)
        train_set, eval_set = parts["train"], parts["test"]
        split = f"{args.train_split} (held-out {args.holdout_fraction:g}, seed {args.seed})"
    train_set = _subset(train_set, args.max_train_samples, args.seed)
    eval_set = _subset(eval_set, args.max_eval_samples, args.seed)

    label_column = find_label_column(train_set, args.label_column_name)
    if label_column is None:
        raise MissingLabelsError(
            f"The dataset has no integer label column (columns: {train_set.column_names}); name one with "
            "--label_column_name (a column of strings can be encoded with `dataset.class_encode_column(name)`)."
        )
    label_feature = train_set.features[label_column]

    def loader(dataset: Dataset) -> DataLoader:
        return DataLoader(
            MediaDataset(dataset, column, transform, label_column),
            batch_size=args.batch_size,
            collate_fn=collate_skipping_bad,
            num_workers=args.dataloader_num_workers,
        )

    return LabelledData(
        train=loader(train_set),
        eval=loader(eval_set),
        dataset=dataset_name_or_default(args, num_frames > 1) or args.train_dir,
        split=split,
        num_classes=label_feature.num_classes if isinstance(label_feature, ClassLabel) else None,
    )


def run_protocols(
    protocols: Sequence[str],
    train: Features,
    evaluation: Features,
    *,
    num_classes: int | None = None,
    num_attention_heads: int | None = None,
    args: EvaluationArguments,
) -> dict[str, ProbeResult]:
    """Runs each protocol on the extracted features; the attentive probe needs their `tokens`."""
    for split, features in (("train", train), ("eval", evaluation)):
        labels = features.labels
        if len(labels) == 0:
            raise ValueError(f"The {split} split has no (readable) examples.")
        if labels.min() < 0 or (num_classes is not None and labels.max() >= num_classes):
            raise ValueError(
                f"The {split} split has labels in [{int(labels.min())}, {int(labels.max())}], outside the class "
                f"indices [0, {num_classes or 'num_classes'}) (-1 usually marks unlabelled examples): choose a "
                "labelled split."
            )
    common = dict(num_classes=num_classes, holdout_fraction=args.holdout_fraction, seed=args.seed)
    results = {}
    for protocol in protocols:
        if protocol == "knn":
            results[protocol] = knn_probe(
                train.pooled, train.labels, evaluation.pooled, evaluation.labels, num_classes=num_classes
            )
        elif protocol == "linear":
            results[protocol] = linear_probe(
                train.pooled,
                train.labels,
                evaluation.pooled,
                evaluation.labels,
                epochs=args.linear_epochs,
                **common,
            )
        else:
            results[protocol] = attentive_probe(
                train.tokens,
                train.labels,
                evaluation.tokens,
                evaluation.labels,
                num_attention_heads=num_attention_heads,
                epochs=args.attentive_epochs,
                **common,
            )
        logger.info(f"{protocol}: accuracy {results[protocol].accuracy:.4f} with {results[protocol].hyperparameters}")
    return results


def format_results(records: list[dict]) -> str:
    """The records as a table."""
    headers = ("model", "protocol", "layers", "accuracy", "effective rank", "seconds")
    rows = [
        (
            record["model"],
            record["protocol"],
            record.get("feature_layers", "-"),
            f"{record['value']:.2%}",
            f"{record['effective_rank']:.1f}",
            f"{record['seconds']:.1f}",
        )
        for record in records
    ]
    return format_table(headers, rows)


def probe_model(
    name: str, encoder: PreTrainedModel | None, data: LabelledData, protocols: Sequence[str], args: EvaluationArguments
) -> list[dict]:
    """Extracts the features of one model (`None`: the raw pixels, which have no patch tokens for the attentive
    probe), runs each protocol on them and returns their records."""
    if encoder is None:
        train, evaluation = extract_pixels(data.train), extract_pixels(data.eval)
        protocols = [protocol for protocol in protocols if protocol != "attentive"]
    else:
        train, evaluation = (
            extract_features(
                encoder,
                loader,
                feature_layers=args.feature_layers,
                return_tokens="attentive" in protocols,
                desc=f"{name} {split}",
            )
            for loader, split in ((data.train, "train"), (data.eval, "eval"))
        )
    logger.info(f"{name}: features extracted in {train.seconds + evaluation.seconds:.1f}s")
    num_attention_heads = encoder.config.num_attention_heads if encoder is not None else None
    probes = run_protocols(
        protocols, train, evaluation, num_classes=data.num_classes, num_attention_heads=num_attention_heads, args=args
    )
    rank = effective_rank(train.pooled)
    records = []
    for protocol, probe in probes.items():
        record = {"metric": "accuracy", "value": probe.accuracy, "dataset": data.dataset, "split": data.split}
        record.update(protocol=protocol, model=name)
        if encoder is not None:
            record["feature_layers"] = args.feature_layers
        record.update(effective_rank=rank, seconds=round(probe.seconds, 3))
        records.append(record)
    return records


def evaluate(args: EvaluationArguments) -> list[dict]:
    """Probes the frozen encoder of `args.model_name_or_path` (and, with `baselines`, the same architecture randomly
    initialised and the raw pixels) with each protocol and writes `output_dir/eval_results.json`; `format_results`
    makes a table of the records.

    Returns the records `{metric, value, dataset, split, protocol, model, feature_layers, effective_rank, seconds}`:
    `value` is the accuracy in [0, 1] on the eval split, `model` is "trained", "random-init" or "raw-pixels" (whose
    records have no `feature_layers`), `effective_rank` that of the model's pooled train features, and `seconds` the
    time of the probe itself, feature extraction excluded (it is logged).
    """
    set_seed(args.seed)
    model = load_encoder(args.model_name_or_path, trust_remote_code=args.trust_remote_code)
    num_frames = getattr(model.config, "num_frames", 1)
    transform = model_transform(args.model_name_or_path, model.config, args.frame_step)
    data = build_labelled_data(args, transform, num_frames)
    protocols = args.protocols or (["knn", "linear", "attentive"] if num_frames > 1 else ["knn", "linear"])
    models = [model]
    if args.baselines:
        random_model = load_encoder(
            args.model_name_or_path, trust_remote_code=args.trust_remote_code, random_init=True, seed=args.seed
        )
        models += [random_model, None]
    records = [
        record
        for name, encoder in zip(REPORTED_MODELS, models)
        for record in probe_model(name, encoder, data, protocols, args)
    ]
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "eval_results.json"), "w") as file:
        json.dump(records, file, indent=2)
    return records
