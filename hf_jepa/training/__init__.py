# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training with 🤗 Accelerate: one engine (`engine.train`: setup -> loop -> finish, once) and the jobs that plug into
it, JEPA pretraining (`pretrain`) and the world model (`train_world_model`).

- `arguments`: the settings every job shares (`TrainingLoopArguments`);
- `engine`: the accelerator's loop, schedules, optimiser, logging, the run's start and finish, the `Job` protocol;
- `state`: the run's counters (`TrainingState`) and their checkpoints (JSON, safetensors), exact resume, rotation,
  the non-finite guard;
- `distributed`: what a launch decides (precision, attention, FSDP, DeepSpeed refused);
- `pretraining`, `world_model`: the two jobs.
"""

from .arguments import TrainingLoopArguments
from .engine import Job, train
from .pretraining import PretrainingArguments, pretrain
from .state import CheckpointError, NonFiniteTrainingError
from .world_model import WorldModelTrainingArguments, train_world_model

__all__ = [
    "CheckpointError",
    "Job",
    "NonFiniteTrainingError",
    "PretrainingArguments",
    "TrainingLoopArguments",
    "WorldModelTrainingArguments",
    "pretrain",
    "train",
    "train_world_model",
]
