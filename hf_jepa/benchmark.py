# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Speed of JEPA pretraining and inference on this machine: `run_benchmark(BenchmarkArguments(...))`.

Measured side by side in one run, because shared machines are noisy:

- the training step of `JEPAForPreTraining` (forward with the default masking, backward, gradient clipping, AdamW,
  EMA update: the work `training.pretrain` does per step) per preset, batch size and precision: samples/s, FLOPs
  per step (counted by `torch.utils.flop_counter.FlopCounterMode`) and the model-FLOPs utilisation (MFU) against the
  matrix-multiply peak measured in the same run; peak memory; the effect of activation checkpointing;
- inference of `JEPAModel` next to transformers' `IJepaModel` with the same weights (`convert.jepa_to_ijepa`);
- the data pipeline alone (decode, augmentation and mask sampling in DataLoader workers), next to the model.

Every training configuration runs in a fresh process, so that its peak memory (the process high-water mark, or
`torch.cuda.max_memory_allocated`) is its own.
"""

import contextlib
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import torch
import transformers
from accelerate import Accelerator
from torch.utils.data import DataLoader
from torch.utils.flop_counter import FlopCounterMode
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from . import data
from .configuration_jepa import JEPA_PRESETS, JEPAConfig
from .convert import jepa_to_ijepa
from .masking import JEPAMaskCollator, sample_masks
from .modeling_jepa import JEPAForPreTraining, JEPAModel
from .tables import format_records
from .training.distributed import default_attn_implementation
from .training.engine import Schedules, build_optimizer, training_step
from .training.pretraining import PretrainingArguments, training_transform

PRECISIONS = ("fp32", "bf16")
MATMUL_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
GIB = 2**30


@dataclass
class BenchmarkArguments:
    """What `hf-jepa benchmark` measures. Defaults keep a full run on two CPU cores within about ten minutes."""

    presets: list[str] = field(
        default_factory=lambda: ["tiny", "small", "base", "tiny-video"],
        metadata={"help": "JEPA presets to benchmark (tiny, small = ViT-S/16, base = ViT-B/16, NAME-video, ...)."},
    )
    batch_size: list[int] | None = field(
        default=None,
        metadata={
            "help": "Batch sizes to run every preset at. Default: 64 for tiny, 16 for tiny-video and small, "
            "8 for larger presets (4 with --smoke)."
        },
    )
    precisions: list[str] = field(default_factory=lambda: list(PRECISIONS), metadata={"help": "fp32 and/or bf16."})
    attn_implementation: list[str] | None = field(
        default=None,
        metadata={
            "help": "Attention of the timed training steps (one or more). Default: what pretraining uses at each "
            "precision (`training.default_attn_implementation`: sdpa, eager for bf16 on CPU)."
        },
    )
    compile: bool = field(default=False, metadata={"help": "Also time every configuration under torch.compile."})
    activation_checkpointing: bool = field(
        default=True,
        metadata={"help": "Also run each preset with activation checkpointing (first precision and attention)."},
    )
    equal_masks: bool = field(
        default=False,
        metadata={
            "help": "Time the training steps with the official I-JEPA recipe's mask token counts (see "
            "`official_context_block_scale`), so that images/s compare like with like against the official code."
        },
    )
    inference: bool = field(default=True, metadata={"help": "Compare JEPAModel with transformers' IJepaModel."})
    data_pipeline: bool = field(default=True, metadata={"help": "Time the data pipeline on its own."})
    steps: int = field(default=4, metadata={"help": "Timed steps (after the warm-up) per configuration."})
    warmup_steps: int = field(default=1, metadata={"help": "Untimed steps first (two more under torch.compile)."})
    data_batches: int = field(default=10, metadata={"help": "Timed batches of the data pipeline."})
    data_workers: int = field(
        default=PretrainingArguments.dataloader_num_workers, metadata={"help": "DataLoader workers (as pretrain)."}
    )
    matmul_size: int | None = field(
        default=None, metadata={"help": "Side of the square matmul that measures the peak (4096 CPU, 8192 GPU)."}
    )
    device: str | None = field(default=None, metadata={"help": "cpu or cuda; default: cuda when available."})
    seed: int = field(default=0)
    smoke: bool = field(default=False, metadata={"help": "A few tiny steps to check that everything runs (CI)."})
    json_path: str | None = field(
        default=None, metadata={"aliases": ["--json"], "help": "Also write the results to this JSON file."}
    )

    def __post_init__(self):
        unknown = [name for name in self.presets if name not in JEPA_PRESETS]
        if unknown:
            raise ValueError(f"Unknown presets {unknown}; choose from {sorted(JEPA_PRESETS)}.")
        wrong = [name for name in self.precisions if name not in PRECISIONS]
        if wrong:
            raise ValueError(f"precisions must be among {PRECISIONS}, got {wrong}.")
        known = ["eager", *ALL_ATTENTION_FUNCTIONS.valid_keys()]
        if self.attn_implementation is not None and (
            not self.attn_implementation or any(name not in known for name in self.attn_implementation)
        ):
            raise ValueError(f"attn_implementation must be among {known}, got {self.attn_implementation}.")
        if self.batch_size is not None and min(self.batch_size) < 1:
            raise ValueError(f"batch_size values must be positive, got {self.batch_size}.")
        for name in ("steps", "data_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.warmup_steps < 0 or self.data_workers < 0:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) and data_workers ({self.data_workers}) must be >= 0."
            )
        strategies = {JEPAConfig.from_preset(name).mask_strategy for name in self.presets}
        if self.equal_masks and strategies != {"multiblock"}:
            raise ValueError(f"equal_masks applies to multiblock masking (image presets), got {sorted(strategies)}.")
        if self.device not in (None, "cpu", "cuda"):
            raise ValueError(f"device must be cpu or cuda, got {self.device!r}.")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' but torch sees no CUDA GPU; use --device cpu.")
        if self.smoke:
            self.steps, self.warmup_steps, self.data_batches = 2, 1, 2
            self.matmul_size = self.matmul_size or 1024
        self.device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.matmul_size = self.matmul_size or (8192 if self.device == "cuda" else 4096)

    def attentions(self, precision: str) -> list[str]:
        """The attention implementations timed at `precision`."""
        if self.attn_implementation is not None:
            return self.attn_implementation
        return [default_attn_implementation("bf16" if precision == "bf16" else "no", self.device)]

    def batch_sizes(self, preset: str) -> list[int]:
        if self.batch_size is not None:
            return self.batch_size
        if self.smoke:
            return [4]
        if preset == "tiny":
            return [64]
        return [16] if preset in ("tiny-video", "small") else [8]


@dataclass
class TrainingCase:
    """One timed training configuration; run by [`run_training_case`] in its own process."""

    preset: str
    batch_size: int
    precision: str
    attn_implementation: str
    compile: bool
    activation_checkpointing: bool
    equal_masks: bool
    steps: int
    warmup_steps: int
    device: str
    seed: int

    def describe(self) -> str:
        extras = [
            name
            for name, on in (
                ("activation checkpointing", self.activation_checkpointing),
                ("compiled", self.compile),
                ("official mask counts", self.equal_masks),
            )
            if on
        ]
        return ", ".join([self.preset, f"batch {self.batch_size}", self.precision, self.attn_implementation, *extras])


# --------------------------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------------------------


def synchronize(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def autocast(precision: str, device: str) -> contextlib.AbstractContextManager:
    """bf16 runs under autocast with fp32 weights, as `accelerate`'s `mixed_precision="bf16"` does."""
    return torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")


def timed(function: Callable, device: str, *args) -> float:
    """Seconds that `function(*args)` takes, GPU work included."""
    synchronize(device)
    start = time.perf_counter()
    function(*args)
    synchronize(device)
    return time.perf_counter() - start


def measure_matmul_peak(precision: str, device: str, size: int, repeats: int = 5) -> float:
    """FLOP/s of the fastest of `repeats` square `size` x `size` matrix products in `precision` (after a warm-up)."""
    dtype = MATMUL_DTYPES[precision]
    left = torch.randn(size, size, device=device, dtype=dtype)
    right = torch.randn(size, size, device=device, dtype=dtype)
    torch.matmul(left, right)
    best = min(timed(torch.matmul, device, left, right) for _ in range(repeats))
    return 2 * size**3 / best


def official_context_block_scale(config: JEPAConfig) -> tuple[float, float]:
    """The `context_block_scale` with which our multiblock masks keep as many context tokens as the official I-JEPA
    collator does.

    The official context block never spans the whole grid (its side stays below the grid's), and what the four target
    blocks leave of it is cut to the batch's smallest context. Capping our context block the same way, by scaling
    `context_block_scale` with `(H - 1) / H * (W - 1) / W`, gives its counts: at 28 px / patch 4 (7x7 tokens) and
    batch 128, ~7.5 context and ~35 target tokens (official collator: 7.2 and 34.5; our default: ~15 and ~35).
    """
    _, height, width = config.grid_size
    shrink = (height - 1) / height * (width - 1) / width
    low, high = config.context_block_scale
    return (low * shrink, high * shrink)


def dummy_pixel_values(config: JEPAConfig, batch_size: int, device: str) -> torch.Tensor:
    frames = (config.num_frames,) if config.is_video else ()
    shape = (batch_size, *frames, config.num_channels, config.image_size, config.image_size)
    return torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device)


def first_sample(inputs: dict) -> dict:
    """The inputs of `JEPAForPreTraining` (pixels, views, masks) cut to the first sample of the batch; masks of the
    hybrid objective hold one row per view and sample (view-major), and keep the first sample's row of every view."""
    batch_size = len(inputs["pixel_values"])
    sample = {}
    for name, value in inputs.items():
        if isinstance(value, list):
            sample[name] = [mask.unflatten(0, (-1, batch_size))[:, :1].flatten(0, 1) for mask in value]
        else:
            sample[name] = value[:1]
    return sample


def training_flops(model: JEPAForPreTraining, inputs: dict) -> dict[str, int]:
    """FLOPs of one forward and backward pass of `model` on a batch of inputs (not the optimiser's element-wise work):
    the `"total"` and the share of each part (`"target_encoder"`, `"context_encoder"`, `"predictor"`, `"projector"`).

    Counted with eager attention (the counter does not see CPU sdpa) on the first sample: every product of the model
    is linear in the batch size, so the batch costs `batch_size` times as much. Leaves no gradients behind.
    """
    implementation = model.config._attn_implementation
    model.set_attn_implementation("eager")
    with FlopCounterMode(display=False) as counter, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="var\\(\\): degrees of freedom")  # batch statistics of one sample
        outputs = model(**first_sample(inputs))
        outputs.loss.backward()
    model.zero_grad(set_to_none=True)
    model.set_attn_implementation(implementation)
    by_module = counter.get_flop_counts()
    parts = {
        name: sum(by_module.get(f"{type(model).__name__}.{name}", {}).values()) for name, _ in model.named_children()
    }
    batch_size = len(inputs["pixel_values"])
    return {"total": counter.get_total_flops() * batch_size, **{name: f * batch_size for name, f in parts.items()}}


def state_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Bytes of the parameters, the gradients of the trainable ones and AdamW's two moments per trainable one."""
    parameters = sum(p.numel() * p.element_size() for p in model.parameters())
    trainable = sum(p.numel() * p.element_size() for group in optimizer.param_groups for p in group["params"])
    return parameters + 3 * trainable


def process_peak_bytes() -> int:
    """The high-water mark of this process's resident memory."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def _case_masks(config: JEPAConfig, case: TrainingCase, num_steps: int) -> list[tuple[list, list]]:
    """The `(context, target)` masks of each of `num_steps` steps, on the case's device. The same for every
    configuration, so that each times the same work; their shapes change from step to step, as in training."""
    generator = torch.Generator().manual_seed(case.seed)
    masks = [sample_masks(config, case.batch_size, generator) for _ in range(num_steps)]
    return [([m.to(case.device) for m in context], [m.to(case.device) for m in targets]) for context, targets in masks]


def _flops_per_step(model: JEPAForPreTraining, pixel_values: torch.Tensor, masks: list) -> list[dict[str, int]]:
    """The `training_flops` of a step with each of `masks`, counted once per mask shape: nothing else changes them."""
    flops_by_shape, flops = {}, []
    for context, targets in masks:
        shape = (context[0].shape[1], tuple(target.shape[1] for target in targets))
        if shape not in flops_by_shape:
            inputs = {"pixel_values": pixel_values, "context_mask": context, "target_mask": targets}
            flops_by_shape[shape] = training_flops(model, inputs)
        flops.append(flops_by_shape[shape])
    return flops


def _memory_baseline(device: str) -> int:
    """The bytes in use before the model is built: allocated on the GPU (whose peak is reset here), or this
    process's resident memory on the CPU."""
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    return psutil.Process().memory_info().rss


def _memory_use(device: str, baseline: int, model_state: int) -> dict[str, int]:
    """The peak memory of the run and its parts: over the baseline, the model's state and the rest, activations."""
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else process_peak_bytes()
    return {
        "baseline_bytes": baseline,
        "peak_bytes": peak,
        "used_bytes": peak - baseline,
        "state_bytes": model_state,
        "activation_bytes": peak - baseline - model_state,
    }


def run_training_case(case: TrainingCase) -> dict:
    """Times `case.steps` real training steps after `case.warmup_steps`; meant to run in a fresh process."""
    device = case.device
    defaults = PretrainingArguments()
    config = JEPAConfig.from_preset(case.preset, attn_implementation=case.attn_implementation)
    if case.equal_masks:
        config.context_block_scale = official_context_block_scale(config)
    pixel_values = dummy_pixel_values(config, case.batch_size, device)
    warmup_steps = case.warmup_steps + (2 if case.compile else 0)
    masks = _case_masks(config, case, warmup_steps + case.steps)  # the warm-up uses the first ones
    timed_masks = masks[-case.steps :]

    baseline = _memory_baseline(device)
    torch.manual_seed(case.seed)
    model = JEPAForPreTraining(config).to(device).train()
    optimizer = build_optimizer(model, defaults)
    Schedules(defaults, total_steps=len(masks)).apply(optimizer, step=0)
    flops = _flops_per_step(model, pixel_values, timed_masks)
    if case.activation_checkpointing:
        model.activation_checkpointing_enable()
    # The loop's own step: an Accelerator in this process runs the model as `pretrain` does (bf16 autocast included).
    accelerator = Accelerator(cpu=device == "cpu", mixed_precision="bf16" if case.precision == "bf16" else "no")
    model, optimizer = accelerator.prepare(model, optimizer)
    forward = torch.compile(model, dynamic=True) if case.compile else model  # the mask shapes vary

    def step(context_mask: list, target_mask: list) -> None:
        inputs = {"pixel_values": pixel_values, "context_mask": context_mask, "target_mask": target_mask}
        training_step(accelerator, forward, optimizer, inputs, defaults.max_grad_norm, defaults.ema_momentum)

    all_seconds = [timed(step, device, context, targets) for context, targets in masks]
    memory = _memory_use(device, baseline, state_bytes(model, optimizer))
    return {
        **asdict(case),
        "step_seconds": all_seconds[-case.steps :],
        "warmup_seconds": sum(all_seconds[: -case.steps]),  # under torch.compile: mostly the compilation
        "flops_per_step": [f["total"] for f in flops],
        "flops_by_part": {part: statistics.mean(f[part] for f in flops) for part in flops[0] if part != "total"},
        "context_tokens": [context[0].shape[1] for context, _ in timed_masks],
        "target_tokens": [sum(t.shape[1] for t in targets) for _, targets in timed_masks],
        "num_tokens": config.num_patches,
        "parameters": sum(p.numel() for p in model.parameters()),
        "memory": memory,
    }


def run_isolated(function: Callable, *args) -> object:
    """`function(*args)` in a fresh process, so that its memory high-water mark is its own. Processes fork from a
    server that has imported hf_jepa once (spawned from scratch where there is no fork server)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def summarize_training(result: dict, peaks: dict[str, float]) -> dict:
    """Adds throughput (median, min, max), achieved FLOP/s and MFU to a [`run_training_case`] result."""
    seconds, flops = result["step_seconds"], result["flops_per_step"]
    throughput = [result["batch_size"] / s for s in seconds]
    achieved = statistics.median(f / s for f, s in zip(flops, seconds))
    return {
        **result,
        "samples_per_second": {
            "median": statistics.median(throughput),
            "min": min(throughput),
            "max": max(throughput),
        },
        "mean_flops_per_step": statistics.mean(flops),
        "achieved_flops_per_second": achieved,
        "peak_flops_per_second": peaks[result["precision"]],
        "mfu": achieved / peaks[result["precision"]],
    }


def benchmark_inference(
    preset: str, batch_size: int, precision: str, attn_implementation: str, compile: bool, args: BenchmarkArguments
) -> dict:
    """Forward passes of `JEPAModel` and of transformers' `IJepaModel` holding the same weights, interleaved step by
    step so that both see the same machine load."""
    torch.manual_seed(args.seed)
    config = JEPAConfig.from_preset(preset, attn_implementation=attn_implementation)
    ours = JEPAModel(config).to(args.device).eval()
    theirs = jepa_to_ijepa(ours).to(args.device).eval()
    theirs.set_attn_implementation(attn_implementation)
    pixel_values = dummy_pixel_values(config, batch_size, args.device)
    models = {"ours": ours, "transformers": theirs}
    runners = {name: torch.compile(model) if compile else model for name, model in models.items()}
    seconds = {name: [] for name in models}
    with torch.inference_mode(), autocast(precision, args.device):
        outputs = {name: runner(pixel_values).last_hidden_state for name, runner in runners.items()}  # 1st warm-up
        for runner in runners.values():
            for _ in range(max(args.warmup_steps - 1, 0) + (2 if compile else 0)):
                runner(pixel_values)
        for step in range(args.steps):
            order = list(runners.items())
            for name, runner in order if step % 2 == 0 else reversed(order):  # neither always runs first
                seconds[name].append(timed(runner, args.device, pixel_values))
    speed = {name: batch_size / statistics.median(times) for name, times in seconds.items()}
    return {
        "preset": preset,
        "batch_size": batch_size,
        "precision": precision,
        "attn_implementation": attn_implementation,
        "compile": compile,
        "ours_samples_per_second": speed["ours"],
        "transformers_samples_per_second": speed["transformers"],
        "ratio": speed["ours"] / speed["transformers"],
        "max_abs_difference": (outputs["ours"].float() - outputs["transformers"].float()).abs().max().item(),
    }


def benchmark_data_pipeline(preset: str, batch_size: int, args: BenchmarkArguments) -> dict:
    """Samples/s of the pretraining input pipeline alone: the default dataset read by `data.MediaDataset` with the
    training transform and the masks of `JEPAMaskCollator` in `args.data_workers` DataLoader workers, as `pretrain`
    reads it; and what the masks alone cost per batch (timed on this process)."""
    config = JEPAConfig.from_preset(preset)
    defaults = PretrainingArguments()
    dataset = data.load_media_dataset(data.default_dataset(config.is_video), seed=args.seed)
    column, _ = data.find_media_column(dataset)
    transform = training_transform(defaults, config)
    needed = batch_size * (args.data_batches + 1)
    if len(dataset) < needed:
        raise ValueError(
            f"The data benchmark needs {needed} samples ({args.data_batches} + 1 batches of {batch_size}); "
            f"the dataset has {len(dataset)}. Lower --data_batches or --batch_size."
        )
    loader = DataLoader(
        data.MediaDataset(dataset, column, transform, seed=args.seed),
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.data_workers,
        collate_fn=JEPAMaskCollator(config, args.seed, collate_fn=data.collate_skipping_bad),
        generator=torch.Generator().manual_seed(args.seed),
    )
    batches = iter(loader)
    next(batches)  # the workers start and fill their queues
    start = time.perf_counter()
    samples = sum(len(next(batches)["pixel_values"]) for _ in range(args.data_batches))
    elapsed = time.perf_counter() - start
    generator = torch.Generator().manual_seed(args.seed)
    mask_start = time.perf_counter()
    for _ in range(args.data_batches):
        sample_masks(config, batch_size, generator)
    mask_seconds = time.perf_counter() - mask_start
    return {
        "preset": preset,
        "batch_size": batch_size,
        "num_workers": args.data_workers,
        "samples_per_second": samples / elapsed,
        "mask_seconds_per_batch": mask_seconds / args.data_batches,
    }


# --------------------------------------------------------------------------------------------------------------------
# The whole benchmark
# --------------------------------------------------------------------------------------------------------------------


def describe_machine(device: str) -> dict:
    if device == "cuda":
        name = torch.cuda.get_device_name()
    else:
        name = platform.processor() or platform.machine()
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.is_file():
            models = [
                line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
            ]
            name = models[0] if models else name
    return {
        "device": device,
        "name": name,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def training_cases(args: BenchmarkArguments) -> list[TrainingCase]:
    cases = []
    for preset in args.presets:
        for batch_size in args.batch_sizes(preset):
            variants = [(p, attention, False) for p in args.precisions for attention in args.attentions(p)]
            if args.activation_checkpointing:
                variants.append((args.precisions[0], args.attentions(args.precisions[0])[0], True))
            for compiled in (False, True) if args.compile else (False,):
                for precision, attention, checkpointing in variants:
                    cases.append(
                        TrainingCase(
                            preset=preset,
                            batch_size=batch_size,
                            precision=precision,
                            attn_implementation=attention,
                            compile=compiled,
                            activation_checkpointing=checkpointing,
                            equal_masks=args.equal_masks,
                            steps=args.steps,
                            warmup_steps=args.warmup_steps,
                            device=args.device,
                            seed=args.seed,
                        )
                    )
    return cases


def checkpointing_effect(training: list[dict]) -> list[dict]:
    """Activation memory and speed with activation checkpointing against the same run without it."""
    rows = []
    for run in training:
        if not run["activation_checkpointing"]:
            continue
        same = ("preset", "batch_size", "precision", "attn_implementation", "compile")
        plain = next(r for r in training if not r["activation_checkpointing"] and all(r[k] == run[k] for k in same))
        without, with_ = plain["memory"]["activation_bytes"], run["memory"]["activation_bytes"]
        rows.append(
            {
                **{key: run[key] for key in same},
                "activation_bytes_without": without,
                "activation_bytes_with": with_,
                "activation_reduction": 1 - with_ / without,
                "speed_ratio": run["samples_per_second"]["median"] / plain["samples_per_second"]["median"],
            }
        )
    return rows


def _run_training_cases(args: BenchmarkArguments, log: Callable[[str], None]) -> list[dict]:
    """The raw results of every training case, each timed in a fresh process."""
    results = []
    for case in training_cases(args):
        log(f"training: {case.describe()}")
        try:
            results.append(run_isolated(run_training_case, case))
        except BrokenProcessPool as error:
            raise RuntimeError(
                f"The process timing {case.describe()} died, most likely out of memory: lower --batch_size or leave "
                "this preset out."
            ) from error
    return results


def _inference_rows(args: BenchmarkArguments, presets: list[str]) -> list[dict]:
    """`benchmark_inference` of each image preset at each batch size, precision, attention and compilation."""
    return [
        benchmark_inference(preset, batch_size, precision, attention, compiled, args)
        for preset in presets
        for batch_size in args.batch_sizes(preset)
        for precision in args.precisions
        for attention in ("eager", "sdpa")
        for compiled in ((False, True) if args.compile else (False,))
    ]


def _with_model_speed(data_rows: list[dict], training: list[dict]) -> list[dict]:
    """The data pipeline's rows with the model's fastest training speed at the same preset and batch size beside
    them, and the ratio of the two."""
    for row in data_rows:
        row["model_samples_per_second"] = max(
            run["samples_per_second"]["median"]
            for run in training
            if run["preset"] == row["preset"] and run["batch_size"] == row["batch_size"]
        )
        row["data_to_model_ratio"] = row["samples_per_second"] / row["model_samples_per_second"]
    return data_rows


def run_benchmark(args: BenchmarkArguments, log: Callable[[str], None] = print) -> dict:
    """Runs every measurement `args` asks for, prints the tables through `log`, writes `args.json_path`.

    The matrix-multiply peak is measured before and after the rest, and the higher value kept: a peak measured while
    the machine was briefly busy would inflate every MFU.
    """
    results = {"machine": describe_machine(args.device), "settings": asdict(args)}
    log(f"Benchmarking on {results['machine']['name']} ({args.device}, {torch.get_num_threads()} threads)")
    first_peaks = {
        precision: measure_matmul_peak(precision, args.device, args.matmul_size) for precision in args.precisions
    }

    raw_training = _run_training_cases(args, log)
    image_presets = [preset for preset in args.presets if not JEPAConfig.from_preset(preset).is_video]
    if args.inference and image_presets:
        log("inference: JEPAModel vs IJepaModel")
        results["inference"] = _inference_rows(args, image_presets)
    if args.data_pipeline:
        log("data pipeline")
        data_rows = [
            benchmark_data_pipeline(preset, batch_size, args)
            for preset in args.presets
            for batch_size in args.batch_sizes(preset)
        ]

    peaks = {
        precision: max(first_peaks[precision], measure_matmul_peak(precision, args.device, args.matmul_size))
        for precision in args.precisions
    }
    results["matmul_peak_flops_per_second"] = peaks
    results["training"] = [summarize_training(result, peaks) for result in raw_training]
    results["activation_checkpointing"] = checkpointing_effect(results["training"])
    if args.data_pipeline:
        results["data_pipeline"] = _with_model_speed(data_rows, results["training"])
    for table in benchmark_tables(results):
        log(table)

    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(results, indent=2))
        log(f"Wrote {args.json_path}")
    return results


# --------------------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------------------


def _gib(value: float) -> str:
    return f"{value / GIB:.2f}"


def _field(key: str, spec: str = "") -> Callable[[dict], str]:
    """A column showing a record's `key` formatted with `spec`."""
    return lambda record: format(record[key], spec)


def _yes_no(key: str) -> Callable[[dict], str]:
    return lambda record: "yes" if record[key] else "no"


def _share_of_step(part: str) -> Callable[[dict], str]:
    return lambda record: f"{record['flops_by_part'][part] / record['mean_flops_per_step']:.0%}"


def _gflops(key: str) -> Callable[[dict], str]:
    return lambda record: f"{record[key] / 1e9:.1f}"


_PRESET_AND_BATCH = {"preset": _field("preset"), "batch": _field("batch_size")}
_CASE_COLUMNS = {
    **_PRESET_AND_BATCH,
    "precision": _field("precision"),
    "attention": _field("attn_implementation"),
    "compile": _yes_no("compile"),
}
_TRAINING_COLUMNS = {
    **_CASE_COLUMNS,
    "ckpt": _yes_no("activation_checkpointing"),
    "warm-up s": _field("warmup_seconds", ".1f"),
    "samples/s (median)": lambda r: f"{r['samples_per_second']['median']:.1f}",
    "min-max": lambda r: "{min:.1f}-{max:.1f}".format(**r["samples_per_second"]),
    "GFLOP/step": _gflops("mean_flops_per_step"),
    "GFLOP/s": _gflops("achieved_flops_per_second"),
    "MFU": _field("mfu", ".1%"),
    "peak mem GiB": lambda r: _gib(r["memory"]["used_bytes"]),
    "activations GiB": lambda r: _gib(r["memory"]["activation_bytes"]),
}
_FLOPS_COLUMNS = {
    **_PRESET_AND_BATCH,
    "tokens": _field("num_tokens"),
    "context tokens": lambda r: f"{statistics.mean(r['context_tokens']):.0f}",
    "target tokens": lambda r: f"{statistics.mean(r['target_tokens']):.0f}",
    "GFLOP/step": _gflops("mean_flops_per_step"),
    "target encoder": _share_of_step("target_encoder"),
    "context encoder": _share_of_step("context_encoder"),
    "predictor": _share_of_step("predictor"),
}
_CHECKPOINTING_COLUMNS = {
    **_PRESET_AND_BATCH,
    "precision": _field("precision"),
    "activations GiB": lambda r: _gib(r["activation_bytes_without"]),
    "with checkpointing": lambda r: _gib(r["activation_bytes_with"]),
    "reduction": _field("activation_reduction", ".0%"),
    "speed": lambda r: f"{r['speed_ratio']:.2f}x",
}
_INFERENCE_COLUMNS = {
    **_CASE_COLUMNS,
    "ours samples/s": _field("ours_samples_per_second", ".1f"),
    "IJepaModel samples/s": _field("transformers_samples_per_second", ".1f"),
    "ours / theirs": lambda r: f"{r['ratio']:.2f}x",
    "max abs diff": _field("max_abs_difference", ".1e"),
}
_DATA_COLUMNS = {
    **_PRESET_AND_BATCH,
    "workers": _field("num_workers"),
    "data samples/s": _field("samples_per_second", ".1f"),
    "masks ms/batch": lambda r: f"{r['mask_seconds_per_batch'] * 1e3:.1f}",
    "model samples/s": _field("model_samples_per_second", ".1f"),
    "data / model": lambda r: f"{r['data_to_model_ratio']:.1f}x",
}


def benchmark_tables(results: dict) -> list[str]:
    """The tables of `run_benchmark`'s results, each under its title."""
    size = results["settings"]["matmul_size"]
    peaks = {"precision": lambda item: item[0], "GFLOP/s": lambda item: f"{item[1] / 1e9:.1f}"}
    first_run_per_batch: dict[
        tuple[str, int], dict
    ] = {}  # the FLOPs of a step depend on the preset and batch size alone
    for run in results["training"]:
        first_run_per_batch.setdefault((run["preset"], run["batch_size"]), run)
    tables = [
        format_records(
            f"\nMatrix-multiply peak ({size}x{size}):", peaks, results["matmul_peak_flops_per_second"].items()
        ),
        format_records(
            "\nTraining step (forward + backward + clip + AdamW + EMA; MFU against the same precision's peak):",
            _TRAINING_COLUMNS,
            results["training"],
        ),
        format_records(
            "\nFLOPs of a training step by part (target encoder: forward only; the others: forward + backward):",
            _FLOPS_COLUMNS,
            first_run_per_batch.values(),
        ),
    ]
    if results["activation_checkpointing"]:
        tables.append(
            format_records("\nActivation checkpointing:", _CHECKPOINTING_COLUMNS, results["activation_checkpointing"])
        )
    if "inference" in results:
        title = "\nInference, JEPAModel vs transformers' IJepaModel with the same weights:"
        tables.append(format_records(title, _INFERENCE_COLUMNS, results["inference"]))
    if "data_pipeline" in results:
        title = (
            "\nData pipeline alone (decode, augment and masks in the workers; masks also timed alone), next to the "
            "model:"
        )
        tables.append(format_records(title, _DATA_COLUMNS, results["data_pipeline"]))
    return tables


__all__ = [
    "BenchmarkArguments",
    "TrainingCase",
    "benchmark_data_pipeline",
    "benchmark_inference",
    "benchmark_tables",
    "measure_matmul_peak",
    "official_context_block_scale",
    "run_benchmark",
    "run_training_case",
    "training_flops",
]
