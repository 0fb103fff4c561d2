# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a pip user gets: the built wheel, installed into a fresh virtual environment (conftest's `installed_wheel`),
run from an empty folder far from this checkout. Every command runs on tiny settings through the `hf-jepa` console
script (or `python -m hf_jepa`) and is checked by what it leaves behind."""

import json
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY_WORLD_MODEL = (
    "history_length=2,rollout_steps=1,predictor_hidden_size=24,predictor_num_hidden_layers=1,"
    "predictor_num_attention_heads=2,sigreg_projector_size=16,sigreg_num_projections=32,encoder.image_size=16,"
    "encoder.hidden_size=32,encoder.num_hidden_layers=1,encoder.num_attention_heads=2"
)


def run(environment: dict, folder: Path, *command: str) -> str:
    result = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_wheel_carries_the_commands_recipes_space_and_licence(installed_wheel):
    wheel = installed_wheel.wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "hf_jepa/recipes/tiny-cpu.yaml" in names and "hf_jepa/space/app.py" in names
    assert "hf_jepa/space/examples/sneaker_1.png" in names and "hf_jepa/hub/jepa_model_card.md" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    (entry_points,) = [name for name in names if name.endswith("entry_points.txt")]
    assert "hf-jepa = hf_jepa.commands:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(name.startswith(("tests/", "scripts/", "results/")) for name in names)


def test_every_command_runs_from_the_installed_wheel(installed_wheel, tmp_path):
    installed = {**installed_wheel.environment, "HF_HUB_OFFLINE": "1", "SDL_VIDEODRIVER": "dummy"}
    work = tmp_path / "empty"
    work.mkdir()
    where = run(installed, work, "python", "-c", "import hf_jepa; print(hf_jepa.__file__)")
    assert not Path(where.strip()).is_relative_to(REPO)
    assert "train-world-model" in run(installed, work, "hf-jepa", "--help")

    summary = run(
        installed, work, "hf-jepa", "pretrain", "tiny-cpu", "--max_steps", "2", "--per_device_train_batch_size", "8",
        "--max_train_samples", "64", "--max_eval_samples", "64", "--eval_baselines", "false", "--report_to", "none",
        "--output_dir", "jepa",
    )  # fmt: skip
    assert "Model saved to jepa (2 steps, loss " in summary and "| trained |" in summary
    assert (work / "jepa" / "model.safetensors").is_file()

    run(
        installed, work, "python", "-m", "hf_jepa", "evaluate", "--model_name_or_path", "jepa", "--output_dir",
        "evaluation", "--max_train_samples", "64", "--max_eval_samples", "64", "--protocols", "knn",
    )  # fmt: skip
    (result,) = json.loads((work / "evaluation" / "eval_results.json").read_text())
    assert result["protocol"] == "knn" and result["metric"] == "accuracy" and 0.0 <= result["value"] <= 1.0

    run(
        installed, work, "hf-jepa", "convert", "--source", "jepa", "--source_format", "hf_jepa", "--output_dir",
        "ijepa", "--target_format", "ijepa",
    )  # fmt: skip
    assert json.loads((work / "ijepa" / "config.json").read_text())["model_type"] == "ijepa"

    output = run(installed, work, "hf-jepa", "push-space", "--model_name_or_path", "jepa", "--output_dir", "space")
    assert "Wrote the Space to space" in output
    assert (work / "space" / "app.py").is_file() and (work / "space" / "hf_jepa" / "commands").is_dir()

    run(
        installed, work, "hf-jepa", "record-episodes", "--num_episodes", "2", "--max_steps", "10", "--image_size",
        "16", "--output_dir", "episodes",
    )  # fmt: skip
    output = run(
        installed, work, "hf-jepa", "train-world-model", "--dataset_name", "episodes", "--output_dir", "world-model",
        "--config_overrides", TINY_WORLD_MODEL, "--frame_step", "2", "--per_device_train_batch_size", "4",
        "--max_steps", "2", "--report_to", "none",
    )  # fmt: skip
    assert "World model saved to world-model (2 steps, loss " in output

    table = run(
        installed, work, "hf-jepa", "evaluate-planning", "--model_name_or_path", "world-model", "--num_pairs", "1",
        "--max_steps", "4", "--horizon", "2", "--population", "8", "--iterations", "1", "--num_elites", "2",
        "--greedy_population", "8",
    )  # fmt: skip
    assert "cem" in table and "random" in table
