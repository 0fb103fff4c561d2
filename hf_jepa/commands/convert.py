# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Convert JEPA weights between hf_jepa, transformers (IJepa / VJEPA2) and the official I-JEPA / V-JEPA checkpoints,
and the official V-JEPA 2-AC world model into a JEPAWorldModel and back.

    # official checkpoint -> hf_jepa, to continue pretraining from
    hf-jepa convert --source IN1K-vit.h.14-300e.pth.tar --source_format official_ijepa --output_dir ijepa-vith14
    # hf_jepa -> plain transformers IJepaModel
    hf-jepa convert --source my-run --source_format hf_jepa --output_dir my-run-ijepa --target_format ijepa
    # hf_jepa -> the official I-JEPA code's checkpoint (my-run-official/jepa-latest.pth.tar)
    hf-jepa convert --source my-run --source_format hf_jepa --output_dir my-run-official \\
        --target_format official_ijepa
    # the official V-JEPA 2-AC checkpoint -> a JEPAWorldModel, to plan with or fine-tune on your own episodes
    hf-jepa convert --source vjepa2-ac-vitg.pt --source_format official_vjepa2_ac --output_dir vjepa2-ac-vitg
    # a JEPAWorldModel in the V-JEPA 2-AC arrangement -> the official code's checkpoint (my-ac-official/latest.pt)
    hf-jepa convert --source my-ac --source_format hf_jepa --output_dir my-ac-official \\
        --target_format official_vjepa2_ac

An IJepaModel / official encoder whose position table is not the fixed sin-cos table (trained positions) becomes
position_embedding_type "learned"; the log names the type chosen.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..convert import ENCODER_CHOICES, FORMATS, TARGET_FORMATS, convert_checkpoint
from ..convert_world_model import OFFICIAL_VJEPA2_AC, convert_ac_checkpoint, export_ac_checkpoint
from .arguments import parse_arguments

SOURCE_FORMATS = (*FORMATS, OFFICIAL_VJEPA2_AC)
TARGET_CHOICES = (*TARGET_FORMATS, OFFICIAL_VJEPA2_AC)


@dataclass
class ConversionArguments:
    source: str = field(metadata={"help": "Checkpoint file, model directory or Hub id to convert."})
    source_format: str = field(metadata={"help": f"The source's format: {', '.join(SOURCE_FORMATS)}."})
    output_dir: str = field(metadata={"help": "Directory to write the converted checkpoint to."})
    target_format: str = field(
        default="hf_jepa",
        metadata={
            "help": f"One of {', '.join(TARGET_CHOICES)}. {OFFICIAL_VJEPA2_AC} is written from a JEPAWorldModel "
            f"folder (source_format hf_jepa); an {OFFICIAL_VJEPA2_AC} source converts to hf_jepa only."
        },
    )
    target_encoder: str | None = field(
        default=None,
        metadata={
            "help": f"Official checkpoints: the entry that becomes the (EMA) target encoder, {ENCODER_CHOICES} "
            f"(default target_encoder); for {OFFICIAL_VJEPA2_AC} the frozen encoder (default encoder, the entry "
            "torch hub loads)."
        },
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Replace a model already in output_dir (never the source itself)."}
    )
    config_overrides: str | None = field(
        default=None,
        metadata={
            "help": "JSON object of JEPAConfig settings the weights do not fix, "
            "e.g. '{\"pred_num_hidden_layers\": 12}'; for official_vjepa2_ac, JEPAWorldModelConfig settings and the "
            "encoder's num_attention_heads / image_size, e.g. '{\"predictor_num_attention_heads\": 16}', or "
            "'{\"extrinsics_dim\": 6}' for a predictor trained with camera extrinsics."
        },
    )

    def __post_init__(self):
        for name, choices in (
            ("source_format", SOURCE_FORMATS),
            ("target_format", TARGET_CHOICES),
            ("target_encoder", (*ENCODER_CHOICES, None)),
        ):
            if getattr(self, name) not in choices:
                names = ", ".join(choice for choice in choices if choice)
                raise ValueError(f"{name} must be one of {names}, got {getattr(self, name)!r}.")
        if self.source_format == OFFICIAL_VJEPA2_AC and self.target_format != "hf_jepa":
            raise ValueError(
                f"{OFFICIAL_VJEPA2_AC} converts to target_format hf_jepa only, got {self.target_format!r}."
            )
        if self.target_format == OFFICIAL_VJEPA2_AC and self.source_format != "hf_jepa":
            raise ValueError(
                f"target_format {OFFICIAL_VJEPA2_AC} is written from a JEPAWorldModel folder (source_format hf_jepa), "
                f"got source_format {self.source_format!r}."
            )

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
    if args.source_format == OFFICIAL_VJEPA2_AC:
        convert_ac_checkpoint(
            args.source,
            args.output_dir,
            encoder_entry=args.target_encoder or "encoder",
            config_overrides=args.overrides(),
            overwrite_output_dir=args.overwrite_output_dir,
        )
    elif args.target_format == OFFICIAL_VJEPA2_AC:
        export_ac_checkpoint(args.source, args.output_dir, overwrite_output_dir=args.overwrite_output_dir)
    else:
        convert_checkpoint(
            args.source,
            args.source_format,
            args.output_dir,
            target_format=args.target_format,
            target_encoder=args.target_encoder or "target_encoder",
            config_overrides=args.overrides(),
            overwrite_output_dir=args.overwrite_output_dir,
        )
