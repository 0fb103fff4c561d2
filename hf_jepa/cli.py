# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What the scripts share: arguments from the command line, or from one YAML / JSON file."""

import sys

from transformers import HfArgumentParser


def parse_arguments(dataclass_type: type):
    """`script.py --flag value ...` or `script.py arguments.yaml` (or `.json`) → one instance of `dataclass_type`."""
    parser = HfArgumentParser(dataclass_type)
    if len(sys.argv) == 2 and sys.argv[1].endswith((".yaml", ".yml")):
        (arguments,) = parser.parse_yaml_file(sys.argv[1])
    elif len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        (arguments,) = parser.parse_json_file(sys.argv[1])
    else:
        (arguments,) = parser.parse_args_into_dataclasses()
    return arguments
