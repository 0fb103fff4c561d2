# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What the scripts share: arguments from the command line, or from one YAML / JSON file."""

import sys

from transformers import HfArgumentParser

ARGUMENT_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def parse_arguments(dataclass_type: type):
    """`script.py --flag value ...` or `script.py arguments.yaml` (or `.json`) → one instance of `dataclass_type`."""
    if len(sys.argv) == 2 and sys.argv[1].endswith(ARGUMENT_FILE_SUFFIXES):
        return parse_argument_file(dataclass_type, sys.argv[1])
    (arguments,) = HfArgumentParser(dataclass_type).parse_args_into_dataclasses()
    return arguments


def parse_argument_file(dataclass_type: type, path: str):
    """One instance of `dataclass_type` from a YAML or JSON file (a recipe)."""
    parser = HfArgumentParser(dataclass_type)
    (arguments,) = parser.parse_json_file(path) if path.endswith(".json") else parser.parse_yaml_file(path)
    return arguments
