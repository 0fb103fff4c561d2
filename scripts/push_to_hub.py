# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Push a saved hf_jepa checkpoint folder to the Hugging Face Hub.

    python scripts/push_to_hub.py OUTPUT_DIR REPO_ID [--private] [--commit_message MESSAGE]

The token comes from `HF_TOKEN` or `hf auth login`; `HF_ENDPOINT` selects another Hub server.
"""

import argparse
import sys

from hf_jepa.hub import PushToHubError, push_to_hub


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir", help="a folder written by scripts/pretrain.py (or save_pretrained)")
    parser.add_argument("repo_id", help="the Hub repository, as namespace/name; created if it does not exist")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--commit_message", default="Upload JEPA model with hf_jepa")
    args = parser.parse_args(argv)
    try:
        commit = push_to_hub(args.output_dir, args.repo_id, private=args.private, commit_message=args.commit_message)
    except (PushToHubError, ValueError) as error:
        sys.exit(f"error: {error}")
    print(f"Pushed {args.output_dir} to {commit.repo_url} ({commit.commit_url})")


if __name__ == "__main__":
    main()
