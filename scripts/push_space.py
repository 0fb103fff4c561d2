# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Deploy the JEPA explorer (space/) as a Hugging Face Space showing your model.

python scripts/push_space.py --model_name_or_path outputs/jepa-tiny-fashion-mnist --space_id USER/jepa-explorer
python scripts/push_space.py --model_name_or_path USER/jepa-tiny --space_id USER/jepa-explorer   # a Hub model
python scripts/push_space.py --model_name_or_path outputs/jepa-tiny-fashion-mnist --output_dir my-space  # no upload
python scripts/push_space.py --model_name_or_path outputs/world-model-two-room-latent-projector \
    --space_id USER/jepa-planner   # the Plan tab, with the first 40 of its training episodes (--max_episodes)

The token comes from `HF_TOKEN` or `hf auth login`; `HF_ENDPOINT` selects another Hub server.
"""

import logging
import sys

from hf_jepa.cli import parse_arguments
from hf_jepa.spaces import PushSpaceError, SpaceArguments, share_space


def main() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    logging.getLogger("hf_jepa").setLevel(logging.INFO)  # what goes into the Space, e.g. the episodes and their size
    args = parse_arguments(SpaceArguments)
    try:
        result = share_space(args)
    except (PushSpaceError, ValueError) as error:
        sys.exit(f"error: {error}")
    if args.space_id is None:
        print(f"Wrote the Space to {result}; run it with: cd {result} && python app.py")
    else:
        print(f"Pushed the Space to {result.repo_url} ({result.commit_url})")


if __name__ == "__main__":
    main()
