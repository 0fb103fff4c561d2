# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Builds the datasets shipped in hf_jepa/resources/ from Debian's dataset-fashion-mnist IDX files.

python scripts/build_datasets.py [--source_dir /usr/share/datasets/fashion-mnist] [--output PATH]
"""

import argparse
import os

from hf_jepa.data.shipped import FASHION_MNIST_DIR, build_fashion_mnist_small, small_dataset_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source_dir", default=FASHION_MNIST_DIR, help="folder of the Fashion-MNIST IDX files")
    parser.add_argument("--output", default=small_dataset_path(), help="the .npz file to write")
    parser.add_argument("--train_per_class", type=int, default=500)
    parser.add_argument("--test_per_class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = build_fashion_mnist_small(
        args.output, args.source_dir, args.train_per_class, args.test_per_class, args.seed
    )
    print(f"Wrote {args.output} ({os.path.getsize(args.output) / 1e6:.2f} MB): {sizes}")


if __name__ == "__main__":
    main()
