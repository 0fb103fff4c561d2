# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Train a JEPA world model on recorded episodes (a `save_to_disk` folder or a Hub dataset in LeRobot's schema).

    hf-jepa train-world-model world-model-two-room
    hf-jepa train-world-model --dataset_name data/two_room --output_dir outputs/wm --max_steps 1000 \\
        --frame_step 5 --config_overrides "sigreg_projector_size=256,encoder.num_hidden_layers=4"
    accelerate launch -m hf_jepa train-world-model ...           # several processes / GPUs
"""

from collections.abc import Sequence

from accelerate import PartialState

from ..training import WorldModelTrainingArguments, train_world_model
from .arguments import parse_arguments


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(WorldModelTrainingArguments, argv, prog="hf-jepa train-world-model", description=__doc__)
    summary = train_world_model(args)
    if not PartialState().is_main_process:
        return
    print(
        f"World model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f}, "
        f"{summary['wall_time_seconds']:.0f} s)"
    )
    if summary.get("hub_url"):
        print(f"Pushed to {summary['hub_url']}")
