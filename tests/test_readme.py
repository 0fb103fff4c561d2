# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The README's commands and snippets: every `hf-jepa ...`, `python -m hf_jepa ...` and `scripts/*.py` command
line of its bash blocks parses (recipe and flags), and its Python snippets use no undefined name."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hf_jepa.commands import COMMANDS, run_command

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SCRIPT_COMMANDS = {"convert_checkpoint": "convert"}  # other scripts are named as their command
# The library call each command makes once its arguments are parsed.
WORK = {
    "pretrain": "pretrain",
    "evaluate": "evaluate",
    "convert": "convert_checkpoint",
    "push-to-hub": "push_to_hub",
    "push-space": "share_space",
    "space": "serve_space",
    "record-episodes": "record_dataset",
    "train-world-model": "train_world_model",
    "evaluate-planning": "evaluate_planning",
    "benchmark": "run_benchmark",
    "benchmark-quality": "run_quality_benchmark",
}


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def command_lines() -> list[tuple[str, list[str]]]:
    """(command, arguments) of every README command line that runs hf_jepa."""
    found = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = [word for word in shlex.split(line, comments=True) if not word.startswith("[")]
            for position, word in enumerate(words):
                script = re.fullmatch(r"scripts/(\w+)\.py", word)
                if script:
                    name = script.group(1)
                    found.append((SCRIPT_COMMANDS.get(name, name.replace("_", "-")), words[position + 1 :]))
                    break
                if word in ("hf-jepa", "hf_jepa") and position + 1 < len(words) and words[position + 1] in COMMANDS:
                    found.append((words[position + 1], words[position + 2 :]))
                    break
    return found


class Parsed(Exception):
    """Raised in place of the command's work: its arguments parsed."""


@pytest.mark.parametrize("command, argv", command_lines(), ids=lambda value: " ".join(value)[:60])
def test_every_readme_command_parses(command, argv, monkeypatch):
    module = __import__(f"hf_jepa.commands.{command.replace('-', '_')}", fromlist=["main"])

    def parsed(*args, **kwargs):
        raise Parsed

    monkeypatch.setattr(module, WORK[command], parsed)
    with pytest.raises(Parsed):
        run_command(command, argv, debug=True)


def test_the_readme_runs_hf_jepa_commands():
    commands = {command for command, _ in command_lines()}
    assert {"pretrain", "evaluate", "convert", "push-to-hub", "push-space", "train-world-model"} <= commands


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_python_snippets_use_no_undefined_name(number, tmp_path):
    snippet = tmp_path / f"snippet_{number}.py"
    snippet.write_text(blocks("python")[number])
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F821,F822", str(snippet)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "snippet",
    [block for block in blocks("python") if "outputs/" not in block and "your-name/" not in block],  # no run, no Hub
    ids=lambda block: block[:40],
)
def test_python_snippets_that_need_no_trained_model_run(snippet, tmp_path):
    result = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
