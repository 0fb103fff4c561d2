# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Evaluate a frozen encoder with kNN, linear and attentive probes; writes OUTPUT_DIR/eval_results.json.

    hf-jepa evaluate --model_name_or_path outputs/jepa-tiny-fashion-mnist --output_dir outputs/eval
    hf-jepa evaluate --model_name_or_path CHECKPOINT --train_dir DIR --label_column_name label \\
        --protocols knn linear attentive --baselines
    hf-jepa evaluate eval.yaml                                   # the same settings from a YAML / JSON file
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from ..evaluation import EvaluationArguments, evaluate, format_results
from ..hub.cards import write_model_card
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    args = parse_arguments(EvaluationArguments, argv, prog="hf-jepa evaluate", description=__doc__)
    print(format_results(evaluate(args)))
    if (Path(args.output_dir) / "config.json").is_file():  # evaluating a model folder in place: refresh its card
        write_model_card(args.output_dir)
