# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Deploy the JEPA explorer (the Gradio demo in hf_jepa/space) as a Hugging Face Space showing your model.

    hf-jepa push-space --model_name_or_path outputs/jepa-tiny-fashion-mnist --space_id USER/jepa-explorer
    hf-jepa push-space --model_name_or_path USER/jepa-tiny --space_id USER/jepa-explorer     # a Hub model
    hf-jepa push-space --model_name_or_path outputs/jepa-tiny-fashion-mnist --output_dir my-space   # no upload
    hf-jepa push-space --model_name_or_path outputs/world-model-two-room-latent-projector \\
        --space_id USER/jepa-planner   # the Plan tab, with the first 40 of its training episodes (--max_episodes)

The token comes from `HF_TOKEN` or `hf auth login`; `HF_ENDPOINT` selects another Hub server.
"""

import logging
from collections.abc import Sequence

from ..spaces import SpaceArguments, share_space
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    logging.getLogger("hf_jepa").setLevel(logging.INFO)  # what goes into the Space, e.g. the episodes and their size
    args = parse_arguments(SpaceArguments, argv, prog="hf-jepa push-space", description=__doc__)
    result = share_space(args)
    if args.space_id is None:
        print(f"Wrote the Space to {result}; run it with: cd {result} && python app.py")
    else:
        print(f"Pushed the Space to {result.repo_url} ({result.commit_url})")
