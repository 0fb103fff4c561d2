# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""`hf-jepa <command>`: the command list, every command's and every script's --help, recipes (shipped names, files,
YAML types, flags after them) and the one-line errors of user mistakes."""

import dataclasses
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hf_jepa import PretrainingArguments, WorldModelTrainingArguments
from hf_jepa.commands import COMMANDS, is_user_error, main, run_command
from hf_jepa.commands.arguments import parse_arguments
from hf_jepa.recipes import RECIPES_DIR, shipped_recipes
from hf_jepa.training.world_model import build_world_model

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


def test_help_lists_every_command(capsys):
    main(["--help"])
    listing = capsys.readouterr().out
    for name, summary in COMMANDS.items():
        assert f"  {name} " in listing and summary in listing
    assert set(COMMANDS) >= {"pretrain", "evaluate", "convert", "push-to-hub", "push-space", "space"}


def test_unknown_command_suggests_the_closest(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["pretrian"])
    assert "unknown command 'pretrian'. Did you mean 'pretrain'?" in str(exit_info.value.code)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: hf-jepa {name}")
    assert f"hf-jepa {name}" in text.split("options:")[0]  # the usage examples of the description


def test_help_shows_every_flag_with_its_help(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    text = capsys.readouterr().out
    for field in dataclasses.fields(PretrainingArguments):
        assert f"--{field.name}" in text
    assert "Peak learning rate, reached after the warm-up. (default: 0.0001)" in " ".join(text.split())


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_script_has_help(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(script), run_name="__main__")
    assert exit_info.value.code in (0, None)
    assert capsys.readouterr().out.startswith("usage: ")


def test_python_m_hf_jepa_runs_the_commands():
    result = subprocess.run([sys.executable, "-m", "hf_jepa", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train-world-model" in result.stdout


def test_shipped_recipes_by_name_or_path_with_overriding_flags():
    assert {"tiny-cpu", "tiny-video-cpu", "world-model-two-room"} <= set(shipped_recipes())
    by_name = parse_arguments(
        PretrainingArguments, ["tiny-cpu", "--max_steps", "7", "--resume_from_checkpoint", "latest"]
    )
    by_path = parse_arguments(PretrainingArguments, [str(REPO / "recipes" / "tiny-cpu.yaml")])
    assert by_name.max_steps == 7 and by_name.resume_from_checkpoint == "latest"
    assert by_path.max_steps == 300 and by_name.learning_rate == by_path.learning_rate == 1e-3
    assert by_name.output_dir == by_path.output_dir == "outputs/jepa-tiny-fashion-mnist"
    world_model = parse_arguments(WorldModelTrainingArguments, ["world-model-two-room", "--max_steps", "3"])
    assert world_model.max_steps == 3 and world_model.frame_step == 5


@pytest.mark.parametrize("name", [name for name in shipped_recipes() if name.startswith("world-model")])
def test_world_model_recipes_build_their_model(name):
    """Each world-model recipe's settings build a valid model for data of its environment (TwoRoom's and Push-T's
    actions have 2 values, Push-T's states 4)."""
    args = parse_arguments(WorldModelTrainingArguments, [name])
    stats = {
        "action": {"mean": [0.0] * 2, "std": [1.0] * 2},
        "observation.state": {"mean": [0.0] * 4, "std": [1.0] * 4},
    }
    model = build_world_model(args, stats)
    assert model.config.action_dim == 2 * args.frame_step and model.config.state_dim in (0, 4)
    assert model.config.encoder_config.image_size == (32 if "two-room" in name else 64)


def test_list_recipes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["pretrain", "--list_recipes"])
    assert exit_info.value.code == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in shipped_recipes())
    assert (RECIPES_DIR / "tiny-cpu.yaml").read_text().splitlines()[0].lstrip("# ")[:40] in listing


def test_recipe_values_are_read_as_flags(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("learning_rate: 1e-3\ncrop_scale: [0.5, 1]\nhorizontal_flip: true\nhub_model_id: null\n")
    args = parse_arguments(PretrainingArguments, [str(recipe), "--horizontal_flip", "false"])
    assert args.learning_rate == 0.001 and isinstance(args.learning_rate, float)  # YAML 1.1 reads 1e-3 as a string
    assert args.crop_scale == [0.5, 1.0] and args.horizontal_flip is False and args.hub_model_id is None

    recipe.write_text("max_steps: two\n")
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(PretrainingArguments, [str(recipe)], prog="hf-jepa pretrain")
    assert exit_info.value.code == 2
    assert "argument --max_steps/--max-steps: invalid int value: 'two'" in capsys.readouterr().err

    recipe.write_text("max_step: 2\nlearning_rate: 0.1\n")
    with pytest.raises(SystemExit):
        parse_arguments(PretrainingArguments, [str(recipe)], prog="hf-jepa pretrain")
    assert "unknown setting(s) max_step for hf-jepa pretrain" in capsys.readouterr().err


def test_a_missing_recipe_names_the_shipped_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(PretrainingArguments, ["tiny-cpuu"], prog="hf-jepa pretrain")
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "Recipe 'tiny-cpuu' is neither a file nor a shipped recipe (" in error and "tiny-cpu, " in error


def test_user_errors_are_one_line(tmp_path, capsys):
    argv = ["--config_name_or_path", "tinyy", "--output_dir", str(tmp_path / "out"), "--report_to", "none"]
    with pytest.raises(SystemExit) as exit_info:
        run_command("pretrain", argv, debug=False)
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: config_name_or_path 'tinyy' is neither a preset (tiny, ")
    assert len(error.strip().splitlines()) == 1

    with pytest.raises(ValueError, match="'tinyy'"):  # --debug: the exception itself, with its traceback
        run_command("pretrain", argv, debug=True)


def test_errors_from_inside_libraries_keep_their_traceback():
    try:
        torch.zeros(2).reshape(3)
    except RuntimeError as error:
        assert not is_user_error(error)
    try:
        PretrainingArguments(mixed_precision="fp8")
    except ValueError as error:
        assert is_user_error(error) and "mixed_precision must be no, bf16 or fp16, got 'fp8'" in str(error)
