# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training and inference speed of JEPA on this machine: prints tables, optionally writes JSON.

hf-jepa benchmark                                            # tiny, small, base, tiny-video; fp32 and bf16
hf-jepa benchmark --presets small --batch_size 64 --json outputs/benchmark.json
hf-jepa benchmark --presets tiny --smoke                     # a few steps, to check that it runs
"""

from collections.abc import Sequence

from ..benchmark import BenchmarkArguments, run_benchmark
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    run_benchmark(parse_arguments(BenchmarkArguments, argv, prog="hf-jepa benchmark", description=__doc__))
