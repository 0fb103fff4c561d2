#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA pretraining on 🤗 datasets.

    accelerate launch scripts/pretrain.py recipes/tiny-cpu.yaml
    accelerate launch scripts/pretrain.py --config_name_or_path small --dataset_name ILSVRC/imagenet-1k \\
        --output_dir outputs/jepa-small --per_device_train_batch_size 64 --mixed_precision bf16
"""

import sys

from transformers import HfArgumentParser

from hf_jepa import PretrainingArguments, pretrain


def main() -> None:
    parser = HfArgumentParser(PretrainingArguments)
    if len(sys.argv) == 2 and sys.argv[1].endswith((".yaml", ".yml")):
        (args,) = parser.parse_yaml_file(sys.argv[1])
    elif len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        (args,) = parser.parse_json_file(sys.argv[1])
    else:
        (args,) = parser.parse_args_into_dataclasses()
    summary = pretrain(args)
    print(format_summary(summary))


def format_summary(summary: dict) -> str:
    lines = [f"Model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f})"]
    for record in summary.get("eval_results") or []:
        lines.append(f"  {record['protocol']:>7} accuracy of the {record['model']:<11} encoder: {record['value']:.2%}")
    if summary.get("hub_url"):
        lines.append(f"Pushed to {summary['hub_url']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
