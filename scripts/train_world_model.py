#!/usr/bin/env python
# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Trains a JEPA world model on recorded episodes (a `save_to_disk` folder or a Hub dataset in LeRobot's schema).

    python scripts/train_world_model.py recipes/world-model-two-room.yaml
    python scripts/train_world_model.py --dataset_name data/two_room --output_dir outputs/wm --max_steps 1000 \\
        --frame_step 5 --config_overrides "sigreg_projector_size=256,encoder.num_hidden_layers=4"
    accelerate launch scripts/train_world_model.py ...   # several processes / GPUs; --resume_from_checkpoint latest
"""

from hf_jepa.cli import parse_arguments
from hf_jepa.world_model_training import WorldModelTrainingArguments, train_world_model


def main() -> None:
    summary = train_world_model(parse_arguments(WorldModelTrainingArguments))
    print(
        f"World model saved to {summary['output_dir']} ({summary['steps']} steps, loss {summary['final_loss']:.4f}, "
        f"{summary['wall_time_seconds']:.0f} s)"
    )
    if summary.get("hub_url"):
        print(f"Pushed to {summary['hub_url']}")


if __name__ == "__main__":
    main()
