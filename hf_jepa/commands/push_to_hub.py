# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Push a saved hf_jepa model folder (from `hf-jepa pretrain`, `train-world-model` or `save_pretrained`) to the Hub.

    hf-jepa push-to-hub outputs/jepa-tiny-fashion-mnist USER/jepa-tiny [--private] [--commit_message MESSAGE]

The token comes from `HF_TOKEN` or `hf auth login`; `HF_ENDPOINT` selects another Hub server.
"""

import argparse
from collections.abc import Sequence

from ..hub.upload import push_to_hub


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="hf-jepa push-to-hub", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output_dir", help="a model folder written by hf-jepa pretrain (or save_pretrained)")
    parser.add_argument("repo_id", help="the Hub repository, as namespace/name; created if it does not exist")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--commit_message", default="Upload JEPA model with hf_jepa")
    args = parser.parse_args(argv)
    commit = push_to_hub(args.output_dir, args.repo_id, private=args.private, commit_message=args.commit_message)
    print(f"Pushed {args.output_dir} to {commit.repo_url} ({commit.commit_url})")
