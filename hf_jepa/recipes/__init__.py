# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The shipped recipes (this folder's YAML files), named by file name without suffix: `hf-jepa pretrain tiny-cpu`.

A recipe is the settings of one command as a YAML or JSON mapping, `key: value` for `--key value`.
"""

from pathlib import Path

import yaml

RECIPE_SUFFIXES = (".yaml", ".yml", ".json")
RECIPES_DIR = Path(__file__).parent


def shipped_recipes() -> dict[str, str]:
    """Every shipped recipe's name and the first line of its header comment."""
    return {path.stem: _first_comment(path) for path in sorted(RECIPES_DIR.glob("*.yaml"))}


def _first_comment(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    return first.removeprefix("#").strip() if first.startswith("#") else ""


def recipe_path(name_or_path: str) -> Path:
    """A recipe file: a path to a YAML / JSON file, or the name of a shipped recipe."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.name == name_or_path and (RECIPES_DIR / f"{name_or_path}.yaml").is_file():
        return RECIPES_DIR / f"{name_or_path}.yaml"
    raise FileNotFoundError(
        f"Recipe {name_or_path!r} is neither a file nor a shipped recipe ({', '.join(shipped_recipes())})."
    )


def read_recipe(name_or_path: str) -> dict:
    """The settings of a recipe as a dict (YAML's and JSON's own types: numbers may still be strings)."""
    path = recipe_path(name_or_path)
    try:
        settings = yaml.safe_load(path.read_text())  # JSON is YAML too
    except yaml.YAMLError as error:
        raise ValueError(f"Recipe {str(path)!r} is not valid YAML / JSON: {error}") from error
    if not isinstance(settings, dict):
        raise ValueError(
            f"Recipe {str(path)!r} must be a mapping of settings (key: value), not {type(settings).__name__}."
        )
    return settings
