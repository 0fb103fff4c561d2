#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Measures planning with a JEPA world model: success over seeded start / goal pairs (beside a greedy one-step
lookahead and a random policy), time per plan, and latent prediction error per horizon beside copying the last latent.

    python scripts/evaluate_planning.py --model_name_or_path outputs/world-model-two-room \\
        --heldout_dataset data/two_room_heldout --num_pairs 50 --output_json results/planning.json
    python scripts/evaluate_planning.py --model_name_or_path outputs/world-model-push-t --env_id hf_jepa/PushT-v0 \
        --env_kwargs '{"goal": "task"}' --max_steps 100 --output_json results/push_t_task.json
"""

import logging

from hf_jepa.cli import parse_arguments
from hf_jepa.planning_evaluation import PlanningEvaluationArguments, evaluate_planning


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    print(evaluate_planning(parse_arguments(PlanningEvaluationArguments))["table"])


if __name__ == "__main__":
    main()
