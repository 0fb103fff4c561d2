# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Probes on frozen features, pure tensor functions: a weighted kNN on cosine similarities (k = 20, T = 0.07, as in
DINO), a linear classifier on standardised features whose learning rate and weight decay are chosen on a held-out
part of the train split, an attentive probe (one learned query cross-attending to the patch tokens, as in V-JEPA),
and the effective rank of a representation."""

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration_jepa import JEPAConfig
from ..modeling_jepa import JEPAAttentivePooler

logger = logging.getLogger(__name__)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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


@dataclass(frozen=True)
class ProbeTraining:
    """How a trained probe (linear, attentive) is fitted: each (learning rate, weight decay) of the grid is scored on
    a held-out `holdout_fraction` of the train split, then the best refits on all of it; minibatch AdamW for `epochs`
    of `batch_size`, seeded by `seed`, on `device`."""

    learning_rates: Sequence[float]
    weight_decays: Sequence[float]
    epochs: int
    batch_size: int
    holdout_fraction: float
    seed: int
    device: torch.device


def _train_classifier(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    learning_rate: float,
    weight_decay: float,
    training: ProbeTraining,
) -> nn.Module:
    """Minibatch AdamW with a cosine learning-rate decay; the inputs stay where they are and move batch by batch."""
    device, batch_size = training.device, training.batch_size
    model.to(device).train()
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=weight_decay
    )
    steps_per_epoch = math.ceil(len(inputs) / batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=training.epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(training.seed)
    for _ in range(training.epochs):
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
    training: ProbeTraining,
) -> ProbeResult:
    """Chooses (learning rate, weight decay) by accuracy on a held-out part of the train split, refits on the whole
    train split with the winner and reports the accuracy on the eval split. `build(inputs)` makes a fresh probe."""
    if len(train_inputs) != len(train_labels) or len(eval_inputs) != len(eval_labels):
        raise ValueError(
            f"Every input needs exactly one label, got {len(train_inputs)} train inputs for {len(train_labels)} "
            f"labels and {len(eval_inputs)} eval inputs for {len(eval_labels)} labels."
        )
    start = time.perf_counter()
    device, batch_size = training.device, training.batch_size
    kept, held_out = holdout_split(len(train_inputs), training.holdout_fraction, training.seed)

    def fit(inputs: torch.Tensor, labels: torch.Tensor, learning_rate: float, weight_decay: float) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(training.seed)
            model = build(inputs)
        return _train_classifier(model, inputs, labels, learning_rate, weight_decay, training)

    scores = {}
    for learning_rate in training.learning_rates:
        for weight_decay in training.weight_decays:
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

    training = ProbeTraining(learning_rates, weight_decays, epochs, batch_size, holdout_fraction, seed, device)
    return _select_and_fit(build, train_features, train_labels.to(device), eval_features, eval_labels, training)


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

    device = device or default_device()
    training = ProbeTraining(learning_rates, weight_decays, epochs, batch_size, holdout_fraction, seed, device)
    return _select_and_fit(build, train_tokens, train_labels, eval_tokens, eval_labels, training)


def effective_rank(features: torch.Tensor) -> float:
    """exp(entropy) of the normalised singular values of the centred features (Roy & Vetterli, 2007): how many
    dimensions the representation really uses; 1 for a collapsed one."""
    singular_values = torch.linalg.svdvals(features.double() - features.double().mean(0))
    weights = singular_values / singular_values.sum()
    return float(torch.exp(-(weights * weights.clamp_min(1e-30).log()).sum()))
