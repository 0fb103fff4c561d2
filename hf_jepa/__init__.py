# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""hf_jepa: JEPA self-supervised pretraining for images and video, as native Hugging Face models."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForImageClassification,
    AutoModelForPreTraining,
    AutoModelForVideoClassification,
)

from .configuration_jepa import JEPA_PRESETS, JEPAConfig
from .configuration_world_model import JEPAWorldModelConfig
from .masking import JEPAMaskCollator, sample_masks
from .modeling_jepa import (
    JEPAForImageClassification,
    JEPAForPreTraining,
    JEPAForPreTrainingOutput,
    JEPAForVideoClassification,
    JEPAModel,
    JEPAPredictor,
    JEPAPreTrainedModel,
)
from .modeling_world_model import JEPAWorldModel, JEPAWorldModelOutput
from .planning import CEMPlanner, GreedyPlanner, MPCController, MPPIPlanner, goal_energy
from .training import PretrainingArguments, WorldModelTrainingArguments, pretrain, train_world_model

__version__ = "0.1.0"

# `import hf_jepa` makes the Auto* classes know "jepa" without remote code ...
AutoConfig.register("jepa", JEPAConfig, exist_ok=True)
AutoModel.register(JEPAConfig, JEPAModel, exist_ok=True)
AutoModelForPreTraining.register(JEPAConfig, JEPAForPreTraining, exist_ok=True)
AutoModelForImageClassification.register(JEPAConfig, JEPAForImageClassification, exist_ok=True)
AutoModelForVideoClassification.register(JEPAConfig, JEPAForVideoClassification, exist_ok=True)
AutoConfig.register("jepa_world_model", JEPAWorldModelConfig, exist_ok=True)
AutoModel.register(JEPAWorldModelConfig, JEPAWorldModel, exist_ok=True)
# ... and `save_pretrained` ships the code with an `auto_map`, so checkpoints load without hf_jepa too.
JEPAConfig.register_for_auto_class()
JEPAModel.register_for_auto_class("AutoModel")
JEPAForPreTraining.register_for_auto_class("AutoModelForPreTraining")
JEPAForImageClassification.register_for_auto_class("AutoModelForImageClassification")
JEPAForVideoClassification.register_for_auto_class("AutoModelForVideoClassification")
JEPAWorldModelConfig.register_for_auto_class()
JEPAWorldModel.register_for_auto_class("AutoModel")

__all__ = [
    "JEPA_PRESETS",
    "CEMPlanner",
    "GreedyPlanner",
    "JEPAConfig",
    "JEPAForImageClassification",
    "JEPAForPreTraining",
    "JEPAForPreTrainingOutput",
    "JEPAForVideoClassification",
    "JEPAMaskCollator",
    "JEPAModel",
    "JEPAPreTrainedModel",
    "JEPAPredictor",
    "JEPAWorldModel",
    "JEPAWorldModelConfig",
    "JEPAWorldModelOutput",
    "MPCController",
    "MPPIPlanner",
    "PretrainingArguments",
    "WorldModelTrainingArguments",
    "goal_energy",
    "pretrain",
    "sample_masks",
    "train_world_model",
]
