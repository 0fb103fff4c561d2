# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Measure planning with a JEPA world model: success over seeded start / goal pairs (beside a greedy one-step
lookahead and a random policy), time per plan, and latent prediction error per horizon beside copying the last latent.

    hf-jepa evaluate-planning --model_name_or_path outputs/world-model-two-room \\
        --heldout_dataset data/two_room_heldout --num_pairs 50 --output_json results/planning.json
    hf-jepa evaluate-planning --model_name_or_path outputs/world-model-push-t --env_id hf_jepa/PushT-v0 \\
        --env_kwargs '{"goal": "task"}' --max_steps 100 --output_json results/push_t_task.json
"""

import logging
from collections.abc import Sequence

from ..planning_evaluation import PlanningEvaluationArguments, evaluate_planning
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    args = parse_arguments(PlanningEvaluationArguments, argv, prog="hf-jepa evaluate-planning", description=__doc__)
    print(evaluate_planning(args)["table"])
