# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a frozen encoder with kNN, linear and attentive probes and writes `OUTPUT_DIR/eval_results.json`.

python scripts/evaluate.py --model_name_or_path CHECKPOINT --output_dir OUT [--dataset_name NAME | --train_dir DIR]
    [--label_column_name label] [--protocols knn linear attentive] [--baselines]
python scripts/evaluate.py eval.yaml   # the same arguments from a YAML or JSON file
"""

import logging
from pathlib import Path

from hf_jepa.cli import parse_arguments
from hf_jepa.evaluation import EvaluationArguments, evaluate, format_results
from hf_jepa.hub import write_model_card


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    args = parse_arguments(EvaluationArguments)
    print(format_results(evaluate(args)))
    if (Path(args.output_dir) / "config.json").is_file():  # evaluating a model folder in place: refresh its card
        write_model_card(args.output_dir)


if __name__ == "__main__":
    main()
