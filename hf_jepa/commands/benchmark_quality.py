# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Does a recipe learn? Pretrain it with several seeds, then kNN and linear probes of the target encoder next to the
same network at random initialisation and raw pixels, with the effective rank of the features.

    hf-jepa benchmark-quality --recipe tiny-cpu --dataset_name fashion_mnist --seeds 0 1 2
"""

from collections.abc import Sequence

from ..quality import QualityBenchmarkArguments, run_quality_benchmark
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(QualityBenchmarkArguments, argv, prog="hf-jepa benchmark-quality", description=__doc__)
    run_quality_benchmark(args)
