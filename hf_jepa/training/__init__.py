# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training with 🤗 Accelerate: the engine and JEPA pretraining (`engine`), the world model's job (`world_model`)."""

from .engine import CheckpointError, NonFiniteTrainingError, PretrainingArguments, TrainingLoopArguments, pretrain
from .world_model import WorldModelTrainingArguments, train_world_model

__all__ = [
    "CheckpointError",
    "NonFiniteTrainingError",
    "PretrainingArguments",
    "TrainingLoopArguments",
    "WorldModelTrainingArguments",
    "pretrain",
    "train_world_model",
]
