# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Frozen encoders and their features: loading a checkpoint (and its processor), encoding a labelled loader, and the
kNN monitor of pretraining."""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import (
    AutoConfig,
    AutoModel,
    PreTrainedConfig,
    PreTrainedModel,
)

from ..configuration_world_model import JEPAWorldModelConfig
from ..data import build_processor, checkpoint_processor, processor_transform
from .probes import accuracy, default_device, knn_predict

logger = logging.getLogger(__name__)


PIXEL_INPUT_NAMES = ("pixel_values", "pixel_values_videos")


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
    if getattr(model.config, "model_type", None) == JEPAWorldModelConfig.model_type:
        raise ValueError(
            f"The checkpoint holds a {type(model).__name__}, a world model of frames and actions; evaluation probes "
            "an image or video encoder such as a JEPAModel, JEPAForPreTraining or IJepaModel checkpoint. Measure a "
            "world model with `hf-jepa evaluate-planning`."
        )
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
    `AutoImageProcessor.from_pretrained` gives), or the one `build_processor` makes for a `config` without one."""
    processor = checkpoint_processor(model_name_or_path) or build_processor(config)
    return processor_transform(processor, getattr(config, "num_frames", 1), frame_step)


def processor_settings(model_name_or_path: str, config: PreTrainedConfig) -> tuple[int, list[float], list[float]]:
    """`(image_size, mean, std)` of the checkpoint's image or video processor, or of the one `build_processor`
    makes for `config` when the checkpoint has none (the config's `image_size`, the ImageNet mean / std)."""
    processor = checkpoint_processor(model_name_or_path) or build_processor(config)
    crop = getattr(processor, "crop_size", None)
    size = crop if getattr(processor, "do_center_crop", False) and crop else processor.size
    return size.height or size.shortest_edge, list(processor.image_mean), list(processor.image_std)


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
