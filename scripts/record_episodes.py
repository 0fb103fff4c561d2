# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Records episodes of a Gymnasium environment as a 🤗 dataset in LeRobot's schema (see `hf_jepa.data.episodes`).

python scripts/record_episodes.py --env_id hf_jepa/TwoRoom-v0 --num_episodes 200 --max_steps 100 --policy random \
    --seed 0 --image_size 64 --output_dir data/two_room [--push_to_hub --hub_repo_id USER/two_room]
python scripts/record_episodes.py --env_id gym_pusht/PushT-v0 --num_episodes 50 --output_dir data/pusht
python scripts/record_episodes.py --env_id hf_jepa/PushT-v0 --num_episodes 300 --image_size 64 \
    --policy hf_jepa.envs.push_t:push_policy --output_dir data/push_t   # relative actions, no action marker
python scripts/record_episodes.py recording.yaml   # the same arguments from a YAML or JSON file
"""

import logging

from hf_jepa.cli import parse_arguments
from hf_jepa.envs import RecordingArguments, record_dataset


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    record_dataset(parse_arguments(RecordingArguments))


if __name__ == "__main__":
    main()
