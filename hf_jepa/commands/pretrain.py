# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Pretrain a JEPA on 🤗 datasets, an image / video folder or the shipped data; continue pretraining a checkpoint.

    hf-jepa pretrain tiny-cpu                                   # the shipped recipe: ~15 min on 2 CPU cores
    hf-jepa pretrain tiny-cpu --max_steps 100 --output_dir outputs/short
    hf-jepa pretrain --config_name_or_path small --dataset_name ILSVRC/imagenet-1k \\
        --output_dir outputs/jepa-small --per_device_train_batch_size 64 --mixed_precision bf16
    accelerate launch -m hf_jepa pretrain tiny-cpu               # several processes / GPUs
    hf-jepa pretrain tiny-cpu --resume_from_checkpoint latest
"""

from collections.abc import Sequence

from accelerate import PartialState

from ..evaluation import format_results
from ..training import PretrainingArguments, pretrain
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(PretrainingArguments, argv, prog="hf-jepa pretrain", description=__doc__)
    summary = pretrain(args)
    if PartialState().is_main_process:
        print(format_summary(summary))


def format_summary(summary: dict) -> str:
    lines = [f"Model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f})"]
    if summary.get("eval_results"):
        lines.append(format_results(summary["eval_results"]))
    if summary.get("hub_url"):
        lines.append(f"Pushed to {summary['hub_url']}")
    return "\n".join(lines)
