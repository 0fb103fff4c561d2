# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Convert JEPA weights between hf_jepa, transformers (IJepa / VJEPA2) and the official I-JEPA / V-JEPA checkpoints.

    # official checkpoint -> hf_jepa, to continue pretraining from
    python scripts/convert_checkpoint.py --source IN1K-vit.h.14-300e.pth.tar --source_format official_ijepa \\
        --output_dir ijepa-vith14
    # hf_jepa -> plain transformers IJepaModel
    python scripts/convert_checkpoint.py --source my-run --source_format hf_jepa --output_dir my-run-ijepa \\
        --target_format ijepa
    # hf_jepa -> the official I-JEPA code's checkpoint (my-run-official/jepa-latest.pth.tar)
    python scripts/convert_checkpoint.py --source my-run --source_format hf_jepa --output_dir my-run-official \\
        --target_format official_ijepa

An IJepaModel / official encoder whose position table is not the fixed sin-cos table (trained positions) becomes
position_embedding_type "learned"; the log names the type chosen.
"""

import argparse
import json
import logging

from hf_jepa.convert import ENCODER_CHOICES, FORMATS, TARGET_FORMATS, convert_checkpoint


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="Checkpoint file, model directory or Hub id to convert.")
    parser.add_argument("--source_format", required=True, choices=FORMATS)
    parser.add_argument("--output_dir", required=True, help="Directory to write the converted checkpoint to.")
    parser.add_argument("--target_format", default="hf_jepa", choices=TARGET_FORMATS)
    parser.add_argument(
        "--target_encoder",
        default="target_encoder",
        choices=ENCODER_CHOICES,
        help="Official checkpoints: the entry that becomes the (EMA) target encoder.",
    )
    parser.add_argument(
        "--config_overrides",
        type=json.loads,
        default=None,
        help="JSON object of JEPAConfig settings the weights do not fix, e.g. '{\"pred_num_hidden_layers\": 12}'.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    convert_checkpoint(
        args.source,
        args.source_format,
        args.output_dir,
        target_format=args.target_format,
        target_encoder=args.target_encoder,
        config_overrides=args.config_overrides,
    )


if __name__ == "__main__":
    main()
