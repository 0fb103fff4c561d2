#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Does a recipe learn? Pretrain it with several seeds, then kNN and linear probes of the target encoder next to the
same network at random initialisation and raw pixels, with the effective rank of the features.

    python scripts/benchmark_quality.py --recipe recipes/tiny-cpu.yaml --dataset_name fashion_mnist --seeds 0 1 2
"""

from hf_jepa.cli import parse_arguments
from hf_jepa.quality import QualityBenchmarkArguments, run_quality_benchmark

if __name__ == "__main__":
    arguments = parse_arguments(QualityBenchmarkArguments)
    run_quality_benchmark(arguments)
