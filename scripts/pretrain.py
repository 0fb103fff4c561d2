#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA pretraining on 🤗 datasets.

    accelerate launch scripts/pretrain.py recipes/tiny-cpu.yaml
    accelerate launch scripts/pretrain.py --config_name_or_path small --dataset_name ILSVRC/imagenet-1k \\
        --output_dir outputs/jepa-small --per_device_train_batch_size 64 --mixed_precision bf16
"""

from hf_jepa import PretrainingArguments, pretrain
from hf_jepa.cli import parse_arguments
from hf_jepa.evaluation import format_results


def main() -> None:
    args = parse_arguments(PretrainingArguments)
    summary = pretrain(args)
    print(format_summary(summary))


def format_summary(summary: dict) -> str:
    lines = [f"Model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f})"]
    if summary.get("eval_results"):
        lines.append(format_results(summary["eval_results"]))
    if summary.get("hub_url"):
        lines.append(f"Pushed to {summary['hub_url']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
