# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Convert JEPA weights between hf_jepa, transformers (IJepa / VJEPA2) and the official I-JEPA / V-JEPA checkpoints.

    # official checkpoint -> hf_jepa, to continue pretraining from
    hf-jepa convert --source IN1K-vit.h.14-300e.pth.tar --source_format official_ijepa --output_dir ijepa-vith14
    # hf_jepa -> plain transformers IJepaModel
    hf-jepa convert --source my-run --source_format hf_jepa --output_dir my-run-ijepa --target_format ijepa
    # hf_jepa -> the official I-JEPA code's checkpoint (my-run-official/jepa-latest.pth.tar)
    hf-jepa convert --source my-run --source_format hf_jepa --output_dir my-run-official \\
        --target_format official_ijepa

An IJepaModel / official encoder whose position table is not the fixed sin-cos table (trained positions) becomes
position_embedding_type "learned"; the log names the type chosen.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..convert import ENCODER_CHOICES, FORMATS, TARGET_FORMATS, convert_checkpoint
from .arguments import parse_arguments


@dataclass
class ConversionArguments:
    source: str = field(metadata={"help": "Checkpoint file, model directory or Hub id to convert."})
    source_format: str = field(metadata={"help": f"The source's format: {', '.join(FORMATS)}."})
    output_dir: str = field(metadata={"help": "Directory to write the converted checkpoint to."})
    target_format: str = field(default="hf_jepa", metadata={"help": f"One of {', '.join(TARGET_FORMATS)}."})
    target_encoder: str = field(
        default="target_encoder",
        metadata={
            "help": f"Official checkpoints: the entry that becomes the (EMA) target encoder: {ENCODER_CHOICES}."
        },
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Replace a model already in output_dir (never the source itself)."}
    )
    config_overrides: str | None = field(
        default=None,
        metadata={
            "help": "JSON object of JEPAConfig settings the weights do not fix, "
            "e.g. '{\"pred_num_hidden_layers\": 12}'."
        },
    )

    def __post_init__(self):
        for name, choices in (
            ("source_format", FORMATS),
            ("target_format", TARGET_FORMATS),
            ("target_encoder", ENCODER_CHOICES),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}.")

    def overrides(self) -> dict | None:
        if self.config_overrides is None:
            return None
        try:
            overrides = json.loads(self.config_overrides)
        except json.JSONDecodeError as error:
            raise ValueError(f"config_overrides is not a JSON object: {self.config_overrides!r} ({error}).") from None
        if not isinstance(overrides, dict):
            raise ValueError(f"config_overrides must be a JSON object, got {self.config_overrides!r}.")
        return overrides


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_arguments(ConversionArguments, argv, prog="hf-jepa convert", description=__doc__)
    convert_checkpoint(
        args.source,
        args.source_format,
        args.output_dir,
        target_format=args.target_format,
        target_encoder=args.target_encoder,
        config_overrides=args.overrides(),
        overwrite_output_dir=args.overwrite_output_dir,
    )
