#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training and inference speed of JEPA on this machine: prints tables, optionally writes JSON.

python scripts/benchmark.py                                   # tiny, small, base, tiny-video; fp32 and bf16
python scripts/benchmark.py --presets small --batch_size 64 --json outputs/benchmark.json
python scripts/benchmark.py --presets tiny --smoke            # a few steps, to check that it runs
"""

from hf_jepa.benchmark import BenchmarkArguments, run_benchmark
from hf_jepa.cli import parse_arguments


def main() -> None:
    args = parse_arguments(BenchmarkArguments)
    run_benchmark(args)


if __name__ == "__main__":
    main()
