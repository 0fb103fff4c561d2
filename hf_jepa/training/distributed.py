# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a launch decides for a run: the accelerator with the launch's precision and the attention that suits it,
FSDP set up for this package's models (DeepSpeed refused), and saving the weights that FSDP gathered."""

from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import (
    DataLoaderConfiguration,
    DistributedType,
    FullyShardedDataParallelPlugin,
    ProjectConfiguration,
)
from torch.distributed.fsdp import FSDPModule
from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy
from transformers import PreTrainedModel

from .arguments import TrainingLoopArguments


def default_attn_implementation(mixed_precision: str, device_type: str) -> str:
    """sdpa, except eager for bf16 on CPU: there sdpa's bf16 kernels (its backward above all) are slow, and bf16
    autocast with eager attention trains the `tiny` step 1.8x as fast as fp32, against 1.07x with sdpa
    (`results/performance/bf16_bound.py`)."""
    return "eager" if mixed_precision == "bf16" and device_type == "cpu" else "sdpa"


def build_accelerator(args: TrainingLoopArguments) -> Accelerator:
    """The run's accelerator. What `args` leaves open comes from the launch: the mixed precision of `accelerate
    config` or `accelerate launch --mixed_precision` (none without them), then the attention implementation that suits
    it on this device; `args` records both, so that training_args.json says what ran. FSDP is set up for this
    package's models (`configure_fsdp`); DeepSpeed is refused."""
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        mixed_precision=args.mixed_precision,
        log_with=None if args.report_to == "none" else args.report_to,
        project_config=ProjectConfiguration(project_dir=args.output_dir, logging_dir=f"{args.output_dir}/runs"),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=args.seed),
    )
    args.mixed_precision = accelerator.mixed_precision
    if args.attn_implementation is None:
        args.attn_implementation = default_attn_implementation(accelerator.mixed_precision, accelerator.device.type)
    if accelerator.distributed_type == DistributedType.DEEPSPEED:
        raise ValueError(
            "DeepSpeed is not supported (ZeRO's sharded and 16-bit parameters would leave the EMA target encoder "
            "silently unchanged): choose FSDP or multi-GPU (DDP) in `accelerate config`."
        )
    if accelerator.distributed_type == DistributedType.FSDP:
        configure_fsdp(accelerator.state.fsdp_plugin)
    return accelerator


# FSDP's units (the modules sharded and gathered together) for each FSDP version, as class names: see `configure_fsdp`
FSDP_UNITS = {1: ["JEPALayer", "JEPAModel"], 2: ["JEPALayer"]}


def configure_fsdp(plugin: FullyShardedDataParallelPlugin) -> None:
    """FSDP for this package's models, so that `accelerate config` needs no class names. FSDP1 flattens the
    parameters of each unit into one tensor of one `requires_grad` and shards it: every encoder is a unit of its own
    (which keeps a frozen encoder apart from the trained weights, and shards the EMA's two encoders alike) and so is
    every transformer block; and the original parameters stay visible (`use_orig_params`), which the optimiser's
    groups hold. FSDP2 shards parameter by parameter: its units are the blocks (Accelerate adds the input embedding and
    the final norm). Class names chosen in `accelerate config` are kept, unless FSDP1 would break with them."""
    if plugin.transformer_cls_names_to_wrap is None:
        plugin.transformer_cls_names_to_wrap = FSDP_UNITS[plugin.fsdp_version]
    if plugin.fsdp_version == 1:
        policy = getattr(plugin.auto_wrap_policy, "__name__", "no_wrap")
        classes = ",".join(plugin.transformer_cls_names_to_wrap)
        if policy != transformer_auto_wrap_policy.__name__ or "JEPAModel" not in classes.split(","):
            raise ValueError(
                "FSDP1 needs the transformer-based auto-wrap policy with JEPAModel among the classes to wrap (each "
                f"encoder a unit of its own), got {policy} with {classes}. Leave the class names empty in `accelerate "
                "config` (fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP), or choose FSDP2."
            )
        plugin.use_orig_params = True


def save_gathered_model(model: PreTrainedModel, state_dict: dict[str, torch.Tensor], output_dir: str | Path) -> None:
    """`model.save_pretrained` with the weights that `accelerator.get_state_dict` gathered. FSDP2 gives the model a
    class that torch defines (`FSDP<name>`), whose source files save_pretrained would ship as the model's code: the
    weights are then saved from an empty instance (on the meta device) of the model's own class."""
    if isinstance(model, FSDPModule):  # class FSDP<name>(FSDPModule, <name>)
        with torch.device("meta"):
            model = type(model).__bases__[1](model.config)
    model.save_pretrained(output_dir, state_dict=state_dict)
