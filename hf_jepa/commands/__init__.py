# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""`hf-jepa <command>` and `python -m hf_jepa <command>` (so `accelerate launch -m hf_jepa pretrain ...` runs on
several processes). Each command is a module of this package whose `main(argv)` parses its arguments and calls the
library; nothing else lives here.

A mistake of the user's (a bad value, a missing file, a refused overwrite) is one `error: ...` line and exit code 1;
`--debug` (or `HF_JEPA_DEBUG=1`) shows its traceback too. Anything else is a bug and shows its traceback.
"""

import difflib
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

COMMANDS = {
    "pretrain": "Pretrain a JEPA encoder (images or video), or continue pretraining one.",
    "evaluate": "Probe a frozen encoder (kNN, linear, attentive) and write eval_results.json.",
    "convert": "Convert weights between hf_jepa, transformers (IJepa, VJEPA2) and the official checkpoints.",
    "push-to-hub": "Push a saved model folder to the Hugging Face Hub.",
    "push-space": "Build the Gradio demo for a model as a Space folder, and push it to the Hub.",
    "space": "Serve the Gradio demo for a model on this machine.",
    "record-episodes": "Record episodes of a Gymnasium environment as a dataset in LeRobot's schema.",
    "train-world-model": "Train an action-conditioned JEPA world model on recorded episodes.",
    "evaluate-planning": "Plan with a world model: success rate, time per plan and latent error per horizon.",
    "benchmark": "Measure training and inference speed of JEPA models on this machine.",
    "benchmark-quality": "Pretrain a recipe with several seeds; probe it beside random-init and raw pixels.",
}
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        "usage: hf-jepa [--debug] COMMAND [RECIPE] [--flag value ...]",
        "",
        "JEPA self-supervised learning for images, video and world models, as Hugging Face models.",
        "",
        "commands:",
        *(f"  {name:{width}}  {summary}" for name, summary in COMMANDS.items()),
        "",
        "`hf-jepa COMMAND --help` shows a command's flags; `hf-jepa pretrain --list_recipes` the shipped recipes.",
        "--debug (or HF_JEPA_DEBUG=1) shows the traceback of an error.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = bool(os.environ.get("HF_JEPA_DEBUG"))
    if argv[:1] == ["--debug"]:
        debug, argv = True, argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return
    if argv[0] == "--version":
        from .. import __version__

        print(f"hf-jepa {__version__}")
        return
    if argv[0] not in COMMANDS:
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        sys.exit(f"hf-jepa: unknown command {argv[0]!r}.{hint} `hf-jepa --help` lists the commands.")
    run_command(argv[0], argv[1:], debug=debug)


def run_command(name: str, argv: Sequence[str] | None = None, debug: bool | None = None) -> None:
    """Runs the command `name` (e.g. "pretrain") on `argv` (default: the command line after the script's name)."""
    if debug is None:
        debug = bool(os.environ.get("HF_JEPA_DEBUG"))
    command = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    try:
        command.main(list(sys.argv[1:] if argv is None else argv))
    except Exception as error:
        if debug or not is_user_error(error):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


def is_user_error(error: Exception) -> bool:
    """Whether hf_jepa raised `error` on purpose about its input: a `ValueError`, an `OSError` (a missing or
    unwritable file) or one of its own exception classes, raised by hf_jepa's own code rather than from deep
    inside a library."""
    ours = type(error).__module__.startswith("hf_jepa.")
    if not (ours or isinstance(error, (ValueError, OSError))):
        return False
    raised_in = traceback.extract_tb(error.__traceback__)[-1].filename
    return Path(raised_in).resolve().is_relative_to(PACKAGE_DIR)
