# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Representation-quality benchmark: pretrain a recipe with several seeds, probe the target encoder, and compare it
with the same network at random initialisation and with raw pixels (`hf-jepa benchmark-quality`)."""

import dataclasses
import functools
import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import PIL.Image
import torch
from accelerate.state import AcceleratorState

from .benchmark import training_flops
from .commands.arguments import parse_arguments
from .evaluation import EvaluationArguments, effective_rank, evaluate
from .hub.run_files import read_training_arguments
from .masking import JEPAMaskCollator
from .tables import REPORTED_MODELS, format_records
from .training.arguments import public_arguments
from .training.pretraining import (
    PretrainingArguments,
    build_model,
    evaluation_arguments,
    pretrain,
    pretraining_inputs,
    training_transform,
)


@dataclass
class QualityBenchmarkArguments:
    recipe: str = field(
        default="tiny-cpu", metadata={"help": "A pretraining recipe: a shipped name or a YAML / JSON file."}
    )
    dataset_name: str = field(default="fashion_mnist", metadata={"help": "Labelled dataset to pretrain and probe on."})
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    max_steps: int | None = field(default=None, metadata={"help": "Override the recipe's number of steps."})
    train_tflops: float | None = field(
        default=None,
        metadata={
            "help": "Train for this many TFLOPs instead (forward and backward, counted per step with the benchmark's "
            "FLOP counter), so that recipes of different step costs compare at equal compute."
        },
    )
    max_eval_samples: int | None = field(default=None, metadata={"help": "Probe on at most this many samples."})
    linear_epochs: int = field(default=100)
    baselines: bool = field(
        default=True, metadata={"help": "Also probe the random-init network and raw pixels (same for every recipe)."}
    )
    output_dir: str = field(default="outputs/quality")
    json: str | None = field(default=None, metadata={"help": "Also write the table as JSON here."})


def recipe_arguments(args: QualityBenchmarkArguments, seed: int) -> PretrainingArguments:
    recipe = parse_arguments(PretrainingArguments, [args.recipe])
    overrides = dict(
        seed=seed,
        dataset_name=args.dataset_name,
        output_dir=str(Path(args.output_dir) / f"seed-{seed}"),
        overwrite_output_dir=True,
        do_eval=False,
        push_to_hub=False,
        report_to="none",
    )
    if args.max_steps is not None:
        overrides["max_steps"] = args.max_steps
    return dataclasses.replace(recipe, **overrides)


def step_flops(training: PretrainingArguments, num_draws: int = 200) -> float:
    """Mean FLOPs of one optimiser step of `training` (forward and backward of the global batch of one process) over
    `num_draws` draws of its masks; the views come from the recipe's own transform. Image recipes only.

    The masks are drawn with seed 0 whatever the training seed: the budget's step count is a property of the recipe,
    the same for every seed. A step's FLOPs depend on the mask shapes alone, which take a few dozen values, so many
    draws cost little more than a few (a tiny recipe's mean context size varies by 10 % between sets of 20 draws).
    """
    model, _ = build_model(training)
    config = model.config
    if config.is_video:
        raise ValueError("train_tflops counts image recipes only; set max_steps for a video recipe.")
    example = training_transform(training, config)(PIL.Image.new("RGB", (config.image_size, config.image_size)))
    examples = [example if isinstance(example, dict) else {"pixel_values": example}]
    collator = JEPAMaskCollator(config, seed=0)
    flops_by_shape, flops = {}, []
    for _ in range(num_draws):
        inputs = pretraining_inputs(collator(examples * training.per_device_train_batch_size), torch.device("cpu"))
        shape = tuple(tuple(mask.shape) for name in ("context_mask", "target_mask") for mask in inputs.get(name, []))
        if shape not in flops_by_shape:
            flops_by_shape[shape] = training_flops(model, inputs)["total"]
        flops.append(flops_by_shape[shape])
    return statistics.mean(flops) * training.gradient_accumulation_steps


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def comparable_training_arguments(training: dict) -> dict:
    """Public training arguments as JSON values, without `resume_from_checkpoint` (which says how a run started,
    not what it trains): two runs with equal results train the same model."""
    return json.loads(json.dumps({key: value for key, value in training.items() if key != "resume_from_checkpoint"}))


def trains_as_wanted(started: dict, wanted: dict) -> bool:
    """Whether a seed folder's training_args.json (`started`) holds the pretraining that `wanted` asks for. A setting
    that `wanted` leaves open (None: e.g. `mixed_precision`, the launcher's choice) matches the value the run chose."""
    started, wanted = comparable_training_arguments(started), comparable_training_arguments(wanted)
    return started.keys() == wanted.keys() and all(value in (None, started[key]) for key, value in wanted.items())


def benchmark_seed(
    args: QualityBenchmarkArguments, training: PretrainingArguments, flops_per_step: float
) -> list[dict]:
    """Pretrains one seed, then probes its target encoder, the same network at random initialisation and raw pixels
    with `evaluate`. `flops_per_step`: the recipe's [`step_flops`], to report the training compute."""
    start = time.perf_counter()
    summary = pretrain(training)
    pretraining_seconds = time.perf_counter() - start
    AcceleratorState._reset_state(reset_partial_state=True)  # the next seed may run another Accelerator

    records = evaluate(probe_arguments(training, probe_settings(args)))
    runs = []
    for model in reported_models(args):
        run = {"seed": training.seed, "model": model}
        for record in records:
            if record["model"] == model:
                run.update({record["protocol"]: record["value"], "effective_rank": record["effective_rank"]})
        if model == "trained":
            run.update(
                final_loss=summary["final_loss"],
                pretraining_seconds=pretraining_seconds,
                steps=summary["steps"],
                training_tflops=flops_per_step * summary["steps"] / 1e12,
            )
        runs.append(run)
        print(json.dumps(run))
    return runs


def probe_settings(args: QualityBenchmarkArguments) -> dict:
    """How the benchmark probes a seed. A seed's quality_runs.json keeps them: a rerun reuses only results probed
    the same way."""
    settings = ("max_eval_samples", "linear_epochs", "baselines")
    return {name: getattr(args, name) for name in settings}


def probe_arguments(training: PretrainingArguments, settings: dict, **overrides) -> EvaluationArguments:
    """The kNN-20 and linear probes of a seed pretrained with `training`, as `settings` ([`probe_settings`]) say;
    `overrides` change other evaluation arguments (e.g. `feature_layers`)."""
    samples = settings["max_eval_samples"]
    probes = dict(
        max_train_samples=samples,
        max_eval_samples=samples,
        protocols=["knn", "linear"],
        linear_epochs=settings["linear_epochs"],
        baselines=settings["baselines"],
        batch_size=256,
    )
    return evaluation_arguments(training, **{**probes, **overrides})


def reported_models(args: QualityBenchmarkArguments) -> tuple[str, ...]:
    return REPORTED_MODELS if args.baselines else REPORTED_MODELS[:1]


def run_quality_benchmark(args: QualityBenchmarkArguments) -> dict:
    """Returns `{"runs": [...per seed and model...], "summary": {model: {metric: (mean, std)}}}` and prints a table.

    Each finished seed leaves `quality_runs.json` in its output folder; running the same benchmark again reuses it
    (and continues an interrupted seed from its last checkpoint), so hours of CPU time survive an interruption.
    """
    runs = []

    @functools.cache
    def flops_per_step() -> float:  # the same for every seed; counted only when a budget or a seed to train needs it
        return step_flops(recipe_arguments(args, args.seeds[0]))

    for seed in args.seeds:
        training = recipe_arguments(args, seed)
        if args.train_tflops is not None:
            training.max_steps = max(1, round(args.train_tflops * 1e12 / flops_per_step()))
        seed_dir = Path(training.output_dir)
        # the seed's training_args.json says which pretraining its folder holds; quality_runs.json how it was probed
        if trains_as_wanted(read_training_arguments(seed_dir), public_arguments(training)):
            earlier = read_json(seed_dir / "quality_runs.json")
            if earlier is not None and earlier["probe_settings"] == probe_settings(args):
                print(f"seed {seed}: reusing the results in {seed_dir / 'quality_runs.json'}")
                runs.extend(earlier["runs"])
                continue
            training.resume_from_checkpoint = "latest"  # an interrupted seed continues from its last checkpoint
        elif seed_dir.exists():
            shutil.rmtree(seed_dir)  # a run of other arguments: none of its checkpoints or results may be reused
        seed_runs = benchmark_seed(args, training, flops_per_step())
        results = {"probe_settings": probe_settings(args), "runs": seed_runs}
        (seed_dir / "quality_runs.json").write_text(json.dumps(results, indent=2))
        runs.extend(seed_runs)

    table = {
        model: {
            metric: (
                statistics.mean(run[metric] for run in runs if run["model"] == model),
                statistics.pstdev(run[metric] for run in runs if run["model"] == model),
            )
            for metric in ("knn", "linear", "effective_rank")
        }
        for model in reported_models(args)
    }
    print(format_summary(table, args))
    result = {"arguments": dataclasses.asdict(args), "runs": runs, "summary": table}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


def _mean_and_std(metric: str, spec: str) -> Callable[[tuple[str, dict]], str]:
    return lambda item: f"{item[1][metric][0]:{spec}} ± {item[1][metric][1]:{spec}}"


_SUMMARY_COLUMNS = {
    "model": lambda item: item[0],
    "kNN-20": _mean_and_std("knn", ".1%"),
    "linear probe": _mean_and_std("linear", ".1%"),
    "effective rank": _mean_and_std("effective_rank", ".1f"),
}


def format_summary(table: dict, args: QualityBenchmarkArguments) -> str:
    title = f"{args.recipe} on {args.dataset_name}, seeds {args.seeds} (mean ± std)"
    return format_records(title, _SUMMARY_COLUMNS, table.items())


__all__ = ["QualityBenchmarkArguments", "effective_rank", "run_quality_benchmark"]
