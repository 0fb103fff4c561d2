# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The JSON files a run leaves in its output folder (`training_args.json`, `training_summary.json`,
`eval_results.json`, ...), as the model card and the upload read them, and which arguments are credentials that
neither of them publishes."""

import json
from pathlib import Path


def read_json(path: Path, default):
    """The content of the JSON file `path`, `default` when there is no such file."""
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}.") from error


def read_training_arguments(folder: str | Path) -> dict:
    """The arguments a run wrote to `folder/training_args.json`; `{}` when there is none."""
    return read_json(Path(folder) / "training_args.json", {})


def is_credential(argument: str) -> bool:
    """Training arguments that hold secrets (`hub_token`, `..._api_key`): never published."""
    return argument.lower().endswith(("token", "api_key"))
