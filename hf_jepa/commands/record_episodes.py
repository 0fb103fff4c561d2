# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Record episodes of a Gymnasium environment as a 🤗 dataset in LeRobot's schema (see `hf_jepa.data.episodes`).

    hf-jepa record-episodes --env_id hf_jepa/TwoRoom-v0 --num_episodes 200 --max_steps 100 --policy random \\
        --seed 0 --image_size 64 --output_dir data/two_room [--push_to_hub --hub_repo_id USER/two_room]
    hf-jepa record-episodes --env_id gym_pusht/PushT-v0 --num_episodes 50 --output_dir data/pusht
    hf-jepa record-episodes --env_id hf_jepa/PushT-v0 --num_episodes 300 --image_size 64 \\
        --policy hf_jepa.envs.push_t:push_policy --output_dir data/push_t   # relative actions, no action marker
"""

import logging
from collections.abc import Sequence

from ..envs import RecordingArguments, record_dataset
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    record_dataset(parse_arguments(RecordingArguments, argv, prog="hf-jepa record-episodes", description=__doc__))
