# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Evaluates a frozen encoder with kNN, linear and attentive probes and writes `OUTPUT_DIR/eval_results.json`.

python scripts/evaluate.py --model_name_or_path CHECKPOINT --output_dir OUT [--dataset_name NAME | --train_dir DIR]
    [--label_column_name label] [--protocols knn linear attentive] [--baselines]
python scripts/evaluate.py eval.yaml   # the same arguments from a YAML or JSON file
"""

import logging
import sys

from transformers import HfArgumentParser

from hf_jepa.evaluation import EvaluationArguments, evaluate


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    parser = HfArgumentParser(EvaluationArguments)
    if len(sys.argv) == 2 and sys.argv[1].endswith((".yaml", ".yml")):
        (args,) = parser.parse_yaml_file(sys.argv[1])
    elif len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        (args,) = parser.parse_json_file(sys.argv[1])
    else:
        (args,) = parser.parse_args_into_dataclasses()
    evaluate(args)


if __name__ == "__main__":
    main()
