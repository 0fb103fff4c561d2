# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Frozen-encoder evaluation.

- `probes`: pure tensor functions: kNN, linear and attentive probes, the effective rank of a representation;
- `features`: loading an encoder (and its processor) and extracting its features from a labelled loader;
- `driver`: `EvaluationArguments` and `evaluate`, which probes a checkpoint next to the baselines and writes
  `eval_results.json`;
- `inspection`: what a model hides, sees and predicts for one input (masks, predictions, similarity, PCA, video
  surprise), as the Space shows it.
"""

from .driver import (
    PROTOCOLS,
    EvaluationArguments,
    LabelledData,
    MissingLabelsError,
    build_labelled_data,
    evaluate,
    format_results,
    probe_model,
    run_protocols,
)
from .features import (
    Features,
    check_is_encoder,
    encode,
    extract_features,
    extract_pixels,
    knn_accuracy_during_training,
    load_encoder,
    model_transform,
    processor_settings,
)
from .probes import (
    AttentiveClassifier,
    ProbeResult,
    Standardize,
    accuracy,
    attentive_probe,
    default_device,
    effective_rank,
    holdout_split,
    knn_predict,
    knn_probe,
    linear_probe,
)

__all__ = [
    "PROTOCOLS",
    "AttentiveClassifier",
    "EvaluationArguments",
    "Features",
    "LabelledData",
    "MissingLabelsError",
    "ProbeResult",
    "Standardize",
    "accuracy",
    "attentive_probe",
    "build_labelled_data",
    "check_is_encoder",
    "default_device",
    "effective_rank",
    "encode",
    "evaluate",
    "extract_features",
    "extract_pixels",
    "format_results",
    "holdout_split",
    "knn_accuracy_during_training",
    "knn_predict",
    "knn_probe",
    "linear_probe",
    "load_encoder",
    "model_transform",
    "probe_model",
    "processor_settings",
    "run_protocols",
]
