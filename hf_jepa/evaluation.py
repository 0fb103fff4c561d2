# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Frozen-encoder evaluation: feature extraction, kNN, linear and attentive probes, and the `evaluate` entry point.

The protocols follow the self-supervised learning literature: a weighted kNN on cosine similarities (k = 20,
T = 0.07, as in DINO), a linear classifier on frozen standardised features whose learning rate and weight decay are
chosen on a held-out part of the train split, and an attentive probe (one learned query cross-attending to the patch
tokens, as in V-JEPA) for video and, optionally, images.
"""

import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from datasets import ClassLabel, Dataset
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import (
    AutoConfig,
    AutoModel,
    PreTrainedConfig,
    PreTrainedModel,
    set_seed,
)

from .configuration_jepa import JEPAConfig
from .data import (
    DataArguments,
    MediaDataset,
    collate_skipping_bad,
    dataset_name_or_default,
    find_label_column,
    load_media_split,
    processor_transform,
)
from .hub import build_processor, checkpoint_processor
from .modeling_jepa import JEPAAttentivePooler
from .tables import format_table

logger = logging.getLogger(__name__)

PROTOCOLS = ("knn", "linear", "attentive")
PIXEL_INPUT_NAMES = ("pixel_values", "pixel_values_videos")


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# ----------------------------------------------------------------------------------------------- feature extraction


@dataclass
class Features:
    """Frozen features of a dataset split.

    pooled: `[N, D]` float32 vectors (for kNN and the linear probe).
    labels: `[N]` int64 class indices.
    tokens: `[N, num_tokens, hidden_size]` float16 patch tokens of the last layer (for the attentive probe), or None.
    seconds: wall time of the extraction.
    """

    pooled: torch.Tensor
    labels: torch.Tensor
    tokens: torch.Tensor | None = None
    seconds: float = 0.0


def check_is_encoder(model: nn.Module) -> None:
    """Raises a ValueError unless `model` is a vision encoder that takes pixel values (ours, IJepaModel, ...)."""
    input_name = getattr(model, "main_input_name", None)
    if input_name not in PIXEL_INPUT_NAMES:
        raise ValueError(
            f"{type(model).__name__} takes {input_name!r} as its main input, not pixel values: feature extraction "
            "needs a vision encoder such as a JEPAModel, JEPAForPreTraining or IJepaModel checkpoint."
        )


def encode(
    model: PreTrainedModel, pixel_values: torch.Tensor, feature_layers: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Runs the encoder on one batch and returns `(pooled [B, feature_layers * D], tokens [B, N, D])`.

    `pooled` concatenates the token means of the last `feature_layers` layers. The last layer is taken after the
    encoder's final layer norm (`last_hidden_state`, what downstream users see); the earlier ones are the residual
    stream as the encoder computes it (`hidden_states`), without a norm, since a generic encoder does not expose its
    final norm. The linear probe standardises every dimension anyway. `tokens` is `last_hidden_state`.
    """
    if feature_layers < 1:
        raise ValueError(f"feature_layers must be at least 1, got {feature_layers}.")
    outputs = model(**{model.main_input_name: pixel_values}, output_hidden_states=feature_layers > 1)
    last = getattr(outputs, "last_hidden_state", None)
    if last is None or last.dim() != 3:
        raise ValueError(
            f"{type(model).__name__} returns no [batch, tokens, hidden] `last_hidden_state`; feature extraction "
            "needs an encoder model (load the checkpoint with AutoModel)."
        )
    pooled = [last.mean(1)]
    if feature_layers > 1:
        hidden_states = outputs.hidden_states
        available = len(hidden_states) - 1  # hidden_states[0] is the embedding output
        if feature_layers > available:
            raise ValueError(f"feature_layers={feature_layers} but {type(model).__name__} has {available} layers.")
        pooled = [hidden.mean(1) for hidden in hidden_states[-feature_layers:-1]] + pooled
    return torch.cat(pooled, dim=1), last


def _batches(loader: Iterable, desc: str, progress: bool) -> Iterable[dict]:
    for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
        if batch.get("num_skipped"):
            logger.warning(f"Skipped {batch['num_skipped']} unreadable examples: {batch.get('skipped_ids')}")
        if len(batch["pixel_values"]) == 0:
            continue
        if batch.get("labels") is None:
            raise ValueError("The evaluation batches carry no 'labels': the dataset needs a label column.")
        yield batch


def extract_features(
    model: PreTrainedModel,
    loader: Iterable[dict],
    *,
    feature_layers: int = 1,
    return_tokens: bool = False,
    progress: bool = True,
    desc: str = "features",
) -> Features:
    """Encodes every batch `{"pixel_values", "labels"}` of `loader` with the frozen `model` on the model's device.

    Features come back on the CPU; tokens (only with `return_tokens`) as float16 to halve their memory.
    """
    check_is_encoder(model)
    parameter = next(model.parameters())
    start = time.perf_counter()
    pooled, labels, tokens = [], [], []
    with torch.inference_mode():
        for batch in _batches(loader, desc, progress):
            pixel_values = batch["pixel_values"].to(parameter.device, parameter.dtype)
            batch_pooled, batch_tokens = encode(model, pixel_values, feature_layers)
            pooled.append(batch_pooled.float().cpu())
            labels.append(batch["labels"].long().cpu())
            if return_tokens:
                tokens.append(batch_tokens.half().cpu())
    # concatenating outside inference mode gives ordinary tensors, which the probes may train on
    return Features(
        pooled=torch.cat(pooled),
        labels=torch.cat(labels),
        tokens=torch.cat(tokens) if return_tokens else None,
        seconds=time.perf_counter() - start,
    )


def extract_pixels(loader: Iterable[dict], *, progress: bool = True, desc: str = "pixels") -> Features:
    """The raw-pixel baseline: every (transformed) image or clip flattened into one vector."""
    start = time.perf_counter()
    pixels, labels = [], []
    for batch in _batches(loader, desc, progress):
        pixels.append(batch["pixel_values"].flatten(1).float())
        labels.append(batch["labels"].long())
    return Features(pooled=torch.cat(pixels), labels=torch.cat(labels), seconds=time.perf_counter() - start)


def load_encoder(
    model_name_or_path: str,
    *,
    trust_remote_code: bool = False,
    random_init: bool = False,
    seed: int = 0,
    device: torch.device | None = None,
) -> PreTrainedModel:
    """Loads a frozen encoder with `AutoModel` (for a `JEPAForPreTraining` checkpoint: its target encoder).

    With `random_init`, the same architecture with freshly initialised weights (seeded), for the baseline.
    """
    if random_init:
        config = AutoConfig.from_pretrained(model_name_or_path, trust_remote_code=trust_remote_code)
        torch.manual_seed(seed)
        model = AutoModel.from_config(config, trust_remote_code=trust_remote_code)
    else:
        model = AutoModel.from_pretrained(model_name_or_path, trust_remote_code=trust_remote_code)
    check_is_encoder(model)
    model.requires_grad_(False)
    return model.eval().to(device or default_device())


def model_transform(
    model_name_or_path: str, config: PreTrainedConfig, frame_step: int = 4
) -> Callable[[Any], torch.Tensor]:
    """The evaluation transform of a checkpoint: its own image or video processor (what
    `AutoImageProcessor.from_pretrained` gives), or the one `hub.build_processor` makes for a `config` without one."""
    processor = checkpoint_processor(model_name_or_path) or build_processor(config)
    return processor_transform(processor, getattr(config, "num_frames", 1), frame_step)


def processor_settings(model_name_or_path: str, config: PreTrainedConfig) -> tuple[int, list[float], list[float]]:
    """`(image_size, mean, std)` of the checkpoint's image or video processor, or of the one `hub.build_processor`
    makes for `config` when the checkpoint has none (the config's `image_size`, the ImageNet mean / std)."""
    processor = checkpoint_processor(model_name_or_path) or build_processor(config)
    crop = getattr(processor, "crop_size", None)
    size = crop if getattr(processor, "do_center_crop", False) and crop else processor.size
    return size.height or size.shortest_edge, list(processor.image_mean), list(processor.image_std)


# ------------------------------------------------------------------------------------------------------ kNN


def knn_predict(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    query_features: torch.Tensor,
    *,
    k: int = 20,
    temperature: float = 0.07,
    num_classes: int | None = None,
    chunk_size: int = 4096,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Weighted kNN on cosine similarity: each of the k nearest training points votes for its class with weight
    `exp(similarity / temperature)`. Queries and training points are both processed in chunks of `chunk_size`, keeping
    a running top-k, so memory stays at `chunk_size**2` similarities whatever the dataset sizes."""
    if k < 1 or temperature <= 0:
        raise ValueError(f"k must be >= 1 and temperature > 0, got k={k}, temperature={temperature}.")
    if len(train_features) != len(train_labels) or len(train_features) == 0:
        raise ValueError(f"Got {len(train_features)} training features for {len(train_labels)} labels.")
    device = device or default_device()
    num_classes = num_classes or int(train_labels.max()) + 1
    k = min(k, len(train_features))
    train = F.normalize(train_features.float(), dim=1).to(device)
    train_labels = train_labels.to(device)
    predictions = []
    for query_start in range(0, len(query_features), chunk_size):
        query = F.normalize(query_features[query_start : query_start + chunk_size].float(), dim=1).to(device)
        top_similarity = query.new_empty(len(query), 0)
        top_index = torch.empty(len(query), 0, dtype=torch.long, device=device)
        for train_start in range(0, len(train), chunk_size):
            similarity = query @ train[train_start : train_start + chunk_size].T
            index = torch.arange(train_start, train_start + similarity.shape[1], device=device)
            candidates = torch.cat([top_similarity, similarity], dim=1)
            candidate_index = torch.cat([top_index, index.expand(len(query), -1)], dim=1)
            top_similarity, position = candidates.topk(min(k, candidates.shape[1]), dim=1)
            top_index = candidate_index.gather(1, position)
        votes = torch.zeros(len(query), num_classes, device=device)
        votes.scatter_add_(1, train_labels[top_index], (top_similarity / temperature).exp())
        predictions.append(votes.argmax(1).cpu())
    return torch.cat(predictions)


def accuracy(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    return (predictions.cpu() == labels.cpu()).sum().item() / len(labels)


@dataclass
class ProbeResult:
    """Accuracy of a probe on the eval split, its wall time and the hyper-parameters it used."""

    accuracy: float
    seconds: float
    hyperparameters: dict = field(default_factory=dict)


def knn_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    eval_features: torch.Tensor,
    eval_labels: torch.Tensor,
    *,
    k: int = 20,
    temperature: float = 0.07,
    num_classes: int | None = None,
) -> ProbeResult:
    """Accuracy on the eval split of [`knn_predict`] with the train split as memory bank."""
    start = time.perf_counter()
    predictions = knn_predict(
        train_features, train_labels, eval_features, k=k, temperature=temperature, num_classes=num_classes
    )
    return ProbeResult(accuracy(predictions, eval_labels), time.perf_counter() - start, {"k": k, "T": temperature})


def knn_accuracy_during_training(
    encoder: PreTrainedModel,
    train_loader: Iterable[dict],
    eval_loader: Iterable[dict],
    *,
    k: int = 20,
    temperature: float = 0.07,
    feature_layers: int = 1,
    device: torch.device | None = None,
) -> float:
    """kNN accuracy of `encoder` (e.g. the EMA target encoder, unwrapped from DDP) from labelled loaders, for
    monitoring during pretraining. Encodes on the encoder's device, runs the kNN on `device` (default: the same) and
    restores the encoder's train / eval mode."""
    was_training = encoder.training
    encoder.eval()
    try:
        train = extract_features(encoder, train_loader, feature_layers=feature_layers, progress=False)
        evaluation = extract_features(encoder, eval_loader, feature_layers=feature_layers, progress=False)
    finally:
        encoder.train(was_training)
    predictions = knn_predict(
        train.pooled,
        train.labels,
        evaluation.pooled,
        k=k,
        temperature=temperature,
        device=device or next(encoder.parameters()).device,
    )
    return accuracy(predictions, evaluation.labels)


# ------------------------------------------------------------------------------------------- trained probes


class Standardize(nn.Module):
    """Fixed per-dimension standardisation with statistics of the training features."""

    def __init__(self, features: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", features.mean(0))
        # constant dimensions (e.g. always-black border pixels) keep their zero instead of dividing by zero
        self.register_buffer("std", features.std(0).clamp(min=1e-6))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) / self.std


class AttentiveClassifier(nn.Module):
    """Attentive probe: `JEPAAttentivePooler` (one learned query over the patch tokens) and a linear layer."""

    def __init__(self, hidden_size: int, num_attention_heads: int, num_classes: int):
        super().__init__()
        self.pooler = JEPAAttentivePooler(JEPAConfig(hidden_size=hidden_size, num_attention_heads=num_attention_heads))
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pooler(tokens.float()))


def holdout_split(num_examples: int, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded random `(kept, held_out)` index split with `fraction` of the examples held out (at least one each)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"The held-out fraction must lie strictly between 0 and 1, got {fraction}.")
    if num_examples < 2:
        raise ValueError(f"Need at least 2 examples to hold some out, got {num_examples}.")
    num_held_out = min(max(round(num_examples * fraction), 1), num_examples - 1)
    order = torch.randperm(num_examples, generator=torch.Generator().manual_seed(seed))
    return order[num_held_out:], order[:num_held_out]


def _predict(model: nn.Module, inputs: torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
    model.eval()
    with torch.inference_mode():
        return torch.cat(
            [model(inputs[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(inputs), batch_size)]
        )


def _train_classifier(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    learning_rate: float,
    weight_decay: float,
    epochs: int,
    batch_size: int,
    seed: int,
    device: torch.device,
) -> nn.Module:
    """Minibatch AdamW with a cosine learning-rate decay; the inputs stay where they are and move batch by batch."""
    model.to(device).train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=weight_decay
    )
    steps_per_epoch = math.ceil(len(inputs) / batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(inputs), generator=generator).split(batch_size):
            loss = F.cross_entropy(model(inputs[batch].to(device)), labels[batch].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model


def _select_and_fit(
    build,
    train_inputs: torch.Tensor,
    train_labels: torch.Tensor,
    eval_inputs: torch.Tensor,
    eval_labels: torch.Tensor,
    *,
    learning_rates: Sequence[float],
    weight_decays: Sequence[float],
    epochs: int,
    batch_size: int,
    holdout_fraction: float,
    seed: int,
    device: torch.device | None,
) -> ProbeResult:
    """Chooses (learning rate, weight decay) by accuracy on a held-out part of the train split, refits on the whole
    train split with the winner and reports the accuracy on the eval split. `build(inputs)` makes a fresh probe."""
    if len(train_inputs) != len(train_labels) or len(eval_inputs) != len(eval_labels):
        raise ValueError(
            f"Every input needs exactly one label, got {len(train_inputs)} train inputs for {len(train_labels)} "
            f"labels and {len(eval_inputs)} eval inputs for {len(eval_labels)} labels."
        )
    start = time.perf_counter()
    device = device or default_device()
    kept, held_out = holdout_split(len(train_inputs), holdout_fraction, seed)

    def fit(inputs: torch.Tensor, labels: torch.Tensor, learning_rate: float, weight_decay: float) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build(inputs)
        return _train_classifier(
            model,
            inputs,
            labels,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            device=device,
        )

    scores = {}
    for learning_rate in learning_rates:
        for weight_decay in weight_decays:
            model = fit(train_inputs[kept], train_labels[kept], learning_rate, weight_decay)
            predictions = _predict(model, train_inputs[held_out], batch_size, device)
            scores[learning_rate, weight_decay] = accuracy(predictions, train_labels[held_out])
    learning_rate, weight_decay = max(scores, key=scores.get)
    logger.info(f"Probe selection (learning rate, weight decay) -> held-out accuracy: {scores}")
    model = fit(train_inputs, train_labels, learning_rate, weight_decay)
    result = accuracy(_predict(model, eval_inputs, batch_size, device), eval_labels)
    hyperparameters = {
        "learning_rate": learning_rate,
        "weight_decay": weight_decay,
        "held_out_accuracy": scores[learning_rate, weight_decay],
    }
    return ProbeResult(result, time.perf_counter() - start, hyperparameters)


def _num_classes(*labels: torch.Tensor) -> int:
    return int(max(label.max() for label in labels)) + 1


def linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    eval_features: torch.Tensor,
    eval_labels: torch.Tensor,
    *,
    num_classes: int | None = None,
    learning_rates: Sequence[float] = (1e-3, 1e-2, 1e-1),
    weight_decays: Sequence[float] = (0.0, 0.1),
    epochs: int = 100,
    batch_size: int = 256,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    device: torch.device | None = None,
) -> ProbeResult:
    """A linear layer on frozen features standardised with the statistics of the data it is trained on."""
    num_classes = num_classes or _num_classes(train_labels, eval_labels)
    device = device or default_device()
    train_features, eval_features = train_features.float().to(device), eval_features.float().to(device)

    def build(inputs: torch.Tensor) -> nn.Module:
        return nn.Sequential(Standardize(inputs), nn.Linear(inputs.shape[1], num_classes))

    return _select_and_fit(
        build,
        train_features,
        train_labels.to(device),
        eval_features,
        eval_labels,
        learning_rates=learning_rates,
        weight_decays=weight_decays,
        epochs=epochs,
        batch_size=batch_size,
        holdout_fraction=holdout_fraction,
        seed=seed,
        device=device,
    )


def attentive_probe(
    train_tokens: torch.Tensor,
    train_labels: torch.Tensor,
    eval_tokens: torch.Tensor,
    eval_labels: torch.Tensor,
    *,
    num_attention_heads: int,
    num_classes: int | None = None,
    learning_rates: Sequence[float] = (1e-3, 3e-3),
    weight_decays: Sequence[float] = (0.01,),
    epochs: int = 20,
    batch_size: int = 256,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    device: torch.device | None = None,
) -> ProbeResult:
    """An `AttentiveClassifier` trained on frozen patch tokens `[N, num_tokens, hidden_size]`."""
    if train_tokens.dim() != 3 or eval_tokens.dim() != 3:
        raise ValueError(
            f"The attentive probe needs [N, tokens, hidden] patch tokens, got {tuple(train_tokens.shape)} and "
            f"{tuple(eval_tokens.shape)}."
        )
    num_classes = num_classes or _num_classes(train_labels, eval_labels)

    def build(inputs: torch.Tensor) -> nn.Module:
        return AttentiveClassifier(inputs.shape[-1], num_attention_heads, num_classes)

    return _select_and_fit(
        build,
        train_tokens,
        train_labels,
        eval_tokens,
        eval_labels,
        learning_rates=learning_rates,
        weight_decays=weight_decays,
        epochs=epochs,
        batch_size=batch_size,
        holdout_fraction=holdout_fraction,
        seed=seed,
        device=device,
    )


# ------------------------------------------------------------------------------------------------ entry point


@dataclass
class EvaluationArguments(DataArguments):
    """What `scripts/evaluate.py` (and [`evaluate`]) take: the data settings of [`DataArguments`] and the probes'.
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


def effective_rank(features: torch.Tensor) -> float:
    """exp(entropy) of the normalised singular values of the centred features (Roy & Vetterli, 2007): how many
    dimensions the representation really uses; 1 for a collapsed one."""
    singular_values = torch.linalg.svdvals(features.double() - features.double().mean(0))
    weights = singular_values / singular_values.sum()
    return float(torch.exp(-(weights * weights.clamp_min(1e-30).log()).sum()))


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
    initialised and the raw pixels) with each protocol; prints a table and writes `output_dir/eval_results.json`.

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
    models = [("trained", model)]
    if args.baselines:
        random_model = load_encoder(
            args.model_name_or_path, trust_remote_code=args.trust_remote_code, random_init=True, seed=args.seed
        )
        models += [("random-init", random_model), ("raw-pixels", None)]
    records = [record for name, encoder in models for record in probe_model(name, encoder, data, protocols, args)]
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "eval_results.json"), "w") as file:
        json.dump(records, file, indent=2)
    print(format_results(records))
    return records
