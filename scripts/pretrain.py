#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA pretraining on 🤗 datasets.

    accelerate launch scripts/pretrain.py recipes/tiny-cpu.yaml
    accelerate launch scripts/pretrain.py --config_name_or_path small --dataset_name ILSVRC/imagenet-1k \\
        --output_dir outputs/jepa-small --per_device_train_batch_size 64 --mixed_precision bf16
"""

from hf_jepa import PretrainingArguments, pretrain
from hf_jepa.cli import parse_arguments


def main() -> None:
    args = parse_arguments(PretrainingArguments)
    summary = pretrain(args)
    print(format_summary(summary))


def format_summary(summary: dict) -> str:
    lines = [f"Model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f})"]
    for record in summary.get("eval_results") or []:
        lines.append(f"  {record['protocol']:>6} probe accuracy, {record['model']:<11} {record['value']:.2%}")
    if summary.get("hub_url"):
        lines.append(f"Pushed to {summary['hub_url']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
