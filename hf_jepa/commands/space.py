# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Serve the Gradio demo (the app a Space runs) for a model on this machine, until Ctrl-C.

    hf-jepa space --model_name_or_path outputs/jepa-tiny-fashion-mnist            # http://127.0.0.1:7860
    hf-jepa space --model_name_or_path outputs/world-model-two-room-latent-projector \\
        --episodes outputs/two_room_32                                          # the Plan tab
    hf-jepa space                          # the models of JEPA_MODEL, then those in outputs/ of this folder
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..spaces import serve_space
from .arguments import parse_arguments


@dataclass
class ServeArguments:
    model_name_or_path: str | None = field(
        default=None, metadata={"help": "A model folder or Hub id, shown first (default: JEPA_MODEL, outputs/)."}
    )
    episodes: str | None = field(
        default=None, metadata={"help": "A saved episode dataset for a world model's Plan tab."}
    )
    server_name: str = field(default="127.0.0.1", metadata={"help": "0.0.0.0 to serve other machines too."})
    server_port: int = field(default=7860)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(ServeArguments, argv, prog="hf-jepa space", description=__doc__)
    serve_space(
        args.model_name_or_path, episodes=args.episodes, server_name=args.server_name, server_port=args.server_port
    )
