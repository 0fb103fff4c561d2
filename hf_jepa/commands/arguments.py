# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Arguments of every command: `[RECIPE] [--flag value ...]` → one instance of the command's arguments dataclass.

A recipe (a shipped name or a YAML / JSON file) is read as the flags it stands for, `key: value` as `--key value`,
and the flags after it override it. So a recipe's values are checked and converted exactly as flags are: YAML's
`1e-3` (a string to YAML) is the float any user means, and `max_steps: two` is refused naming the key.
"""

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence

from transformers import HfArgumentParser

from ..recipes import read_recipe, recipe_path, shipped_recipes

USAGE = "%(prog)s [RECIPE] [--flag value ...]"
RECIPE_HELP = (
    "RECIPE: a shipped recipe's name (--list_recipes shows them) or a YAML / JSON file of settings (key: value); "
    "flags after it override it."
)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each flag's help with its default; descriptions (usage examples) as written."""


def argument_parser(dataclass_type: type, prog: str, description: str | None = None) -> HfArgumentParser:
    parser = HfArgumentParser(
        dataclass_type,
        prog=prog,
        usage=USAGE,
        description=description,
        epilog=RECIPE_HELP,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--list_recipes", action="store_true", help="List the shipped recipes and exit.")
    for action in parser._actions:
        if action.help:  # argparse %-formats help texts: a literal "92 % success" must not be read as a format
            action.help = re.sub(r"%(?!\()", "%%", action.help)
    return parser


def recipe_flags(settings: dict) -> list[str]:
    """A recipe's settings as the command-line flags they stand for (None values are left to the defaults)."""
    flags = []
    for key, value in settings.items():
        if value is None:
            continue
        if isinstance(value, list):
            flags += [f"--{key}", *(str(item) for item in value)]
        elif isinstance(value, dict):  # a JSON-valued flag such as --env_kwargs
            flags += [f"--{key}", json.dumps(value)]
        else:
            flags += [f"--{key}", str(value)]
    return flags


def parse_arguments(
    dataclass_type: type, argv: Sequence[str] | None = None, prog: str | None = None, description: str | None = None
):
    """`argv` (default: the command line) as one instance of `dataclass_type`: an optional recipe first, then flags.

    Bad flags and recipe settings stop with argparse's one-line error (exit code 2); the dataclass's own checks
    (`__post_init__`) raise `ValueError`.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argument_parser(dataclass_type, prog or sys.argv[0], description)
    flags = argv
    if argv and not argv[0].startswith("-"):
        try:
            path = recipe_path(argv[0])
            settings = read_recipe(argv[0])
        except (FileNotFoundError, ValueError) as error:
            parser.error(str(error))
        known = {action.dest for action in parser._actions}
        unknown = [key for key in settings if key not in known]
        if unknown:
            parser.error(f"recipe {str(path)!r}: unknown setting(s) {', '.join(unknown)} for {parser.prog}.")
        flags = recipe_flags(settings) + argv[1:]
    namespace, remaining = parser.parse_known_args(flags)
    if namespace.list_recipes:
        print("\n".join(f"{name:24} {summary}" for name, summary in shipped_recipes().items()))
        parser.exit()
    if remaining:
        parser.error(f"unrecognized arguments: {' '.join(remaining)}")
    return dataclass_type(
        **{field.name: getattr(namespace, field.name) for field in dataclasses.fields(dataclass_type) if field.init}
    )
