"""What a training run does with ordinary mistakes and hostile files: replacing and resuming runs, checkpoints that are
damaged or hold planted pickles, non-finite losses, and settings that cannot work. Real runs of a tiny model, real
checkpoint folders."""

import json
import logging
import math
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from accelerate.state import AcceleratorState
from safetensors.torch import load_file
from test_training import SMALL, fresh_accelerator_state, history, quick_args  # noqa: F401  (an autouse fixture)

from hf_jepa import pretrain
from hf_jepa.training import CheckpointError, NonFiniteTrainingError


def checkpointed_args(output_dir, **overrides):
    """Four steps with a checkpoint every two, all kept."""
    return quick_args(output_dir, checkpointing_steps=2, save_total_limit=5, **overrides)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished run of four steps with checkpoint-2 and checkpoint-4; tests work on copies (`run_copy`)."""
    output_dir = tmp_path_factory.mktemp("finished") / "run"
    pretrain(checkpointed_args(output_dir, report_to="tensorboard"))
    AcceleratorState._reset_state(reset_partial_state=True)
    return output_dir


def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def losses(output_dir) -> dict[int, float]:
    return {step: record["train/loss"] for step, record in history(output_dir).items()}


def logged_steps(output_dir) -> list[int]:
    return [json.loads(line)["step"] for line in (Path(output_dir) / "log_history.jsonl").read_text().splitlines()]


def assert_same_weights(folder, reference):
    expected, actual = load_file(Path(reference) / "model.safetensors"), load_file(Path(folder) / "model.safetensors")
    assert expected.keys() == actual.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, rtol=1e-5, atol=1e-6, msg=name)


def test_overwrite_replaces_every_part_of_the_previous_run_and_keeps_other_files(finished_run, tmp_path):
    output_dir = run_copy(finished_run, tmp_path)
    (output_dir / "notes.txt").write_text("mine")
    pretrain(quick_args(output_dir, overwrite_output_dir=True, max_steps=3, checkpointing_steps=3))
    assert sorted(path.name for path in output_dir.glob("checkpoint-*")) == ["checkpoint-3"]
    assert logged_steps(output_dir) == [1, 2, 3]
    assert json.loads((output_dir / "training_args.json").read_text())["max_steps"] == 3
    assert (output_dir / "notes.txt").read_text() == "mine"
    assert not (output_dir / "runs").exists()  # the old run's tensorboard logs (this one reports to none)
    # 'latest' now finds the new run's checkpoint, not the replaced run's checkpoint-4
    summary = pretrain(quick_args(output_dir, max_steps=3, checkpointing_steps=3, resume_from_checkpoint="latest"))
    assert summary["steps"] == 3 and logged_steps(output_dir) == [1, 2, 3]


def test_a_run_that_stopped_before_its_first_step_does_not_block_the_next(tmp_path):
    output_dir = tmp_path / "run"
    (output_dir / "runs").mkdir(parents=True)  # what a run that failed before its first step leaves
    (output_dir / "training_args.json").write_text(json.dumps({"max_steps": 99}))
    assert pretrain(quick_args(output_dir, max_steps=2))["steps"] == 2
    assert json.loads((output_dir / "training_args.json").read_text())["max_steps"] == 2
    with pytest.raises(ValueError, match="already holds a run.*--overwrite_output_dir"):
        pretrain(quick_args(output_dir, max_steps=2))


def test_a_resumed_run_logs_each_step_once_and_repeats_the_uninterrupted_run(finished_run, tmp_path):
    output_dir = run_copy(finished_run, tmp_path)
    pretrain(checkpointed_args(output_dir, resume_from_checkpoint=str(output_dir / "checkpoint-2")))
    assert logged_steps(output_dir) == [1, 2, 3, 4]
    assert losses(output_dir) == pytest.approx(losses(finished_run), rel=1e-5)
    assert_same_weights(output_dir, finished_run)
    checkpoint = output_dir / "checkpoint-4"
    assert sorted(path.name for path in checkpoint.iterdir()) == [
        "config.json",
        "model.safetensors",
        "optimizer.pt",
        "rng_state_0.json",
        "training_state.json",
    ]
    assert json.loads((checkpoint / "training_state.json").read_text())["step"] == 4


class Payload:
    """Unpickling it runs code: it writes `marker`."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('ran')",)


def test_resuming_never_unpickles_a_planted_payload(finished_run, tmp_path):
    output_dir = run_copy(finished_run, tmp_path)
    marker = tmp_path / "payload-ran"
    pickle.loads(pickle.dumps(Payload(marker)))  # the payload is real
    assert marker.exists()
    marker.unlink()
    for checkpoint in ("checkpoint-2", "checkpoint-4"):  # the files accelerate's save_state wrote, all unpickled
        for name in ("custom_checkpoint_0.pkl", "random_states_0.pkl", "optimizer.bin", "scheduler.bin"):
            torch.save(Payload(marker), output_dir / checkpoint / name)
    checkpoint = output_dir / "checkpoint-4"
    pickled = [path for path in checkpoint.iterdir() if path.suffix not in (".json", ".safetensors")]
    assert {path.name for path in pickled} >= {"optimizer.pt", "custom_checkpoint_0.pkl"}
    for path in pickled:  # every pickle-like file of checkpoint-4
        torch.save(Payload(marker), path)

    with pytest.raises(CheckpointError, match=r"checkpoint-4/optimizer\.pt holds Python objects .*refused"):
        pretrain(checkpointed_args(output_dir, resume_from_checkpoint=str(output_dir / "checkpoint-4")))
    assert not marker.exists()
    # 'latest' names checkpoint-4, falls back to checkpoint-2 (whose own files are intact) and finishes the run exactly
    AcceleratorState._reset_state(reset_partial_state=True)
    pretrain(checkpointed_args(output_dir, resume_from_checkpoint="latest"))
    assert not marker.exists()
    assert losses(output_dir) == pytest.approx(losses(finished_run), rel=1e-5)
    assert_same_weights(output_dir, finished_run)


def test_a_damaged_latest_checkpoint_is_named_and_the_one_before_it_is_used(finished_run, tmp_path, caplog, capsys):
    output_dir = run_copy(finished_run, tmp_path)
    weights = output_dir / "checkpoint-4" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        pretrain(checkpointed_args(output_dir, resume_from_checkpoint="latest"))
    assert "checkpoint-4/model.safetensors is damaged" in caplog.text
    assert f"Resuming from {output_dir / 'checkpoint-2'}" in capsys.readouterr().out
    assert logged_steps(output_dir) == [1, 2, 3, 4]
    assert_same_weights(output_dir, finished_run)
    assert_same_weights(output_dir / "checkpoint-4", finished_run / "checkpoint-4")  # rewritten whole

    (output_dir / "checkpoint-2" / "training_state.json").unlink()
    (output_dir / "checkpoint-4" / "rng_state_0.json").write_text("{")
    AcceleratorState._reset_state(reset_partial_state=True)
    with pytest.raises(CheckpointError, match="No checkpoint to resume from.*rng_state_0.json is damaged.*missing"):
        pretrain(checkpointed_args(output_dir, resume_from_checkpoint="latest"))


def test_resuming_from_a_folder_that_is_not_a_checkpoint_lists_the_checkpoints(finished_run, tmp_path):
    output_dir = run_copy(finished_run, tmp_path)
    with pytest.raises(CheckpointError, match=r"'.*run' is not a checkpoint folder.*checkpoint-2, .*checkpoint-4"):
        pretrain(checkpointed_args(output_dir, resume_from_checkpoint=str(output_dir)))
    with pytest.raises(CheckpointError, match="'checkpoint-4' does not exist.*checkpoint-2, .*checkpoint-4"):
        pretrain(checkpointed_args(output_dir, resume_from_checkpoint="checkpoint-4"))


def test_resuming_with_another_model_names_the_fields_that_differ(finished_run, tmp_path):
    output_dir = run_copy(finished_run, tmp_path)
    other = SMALL.replace("hidden_size=64", "hidden_size=32")
    with pytest.raises(ValueError, match=r"another model .*\(checkpoint -> this run: hidden_size 64 -> 32\)") as error:
        pretrain(checkpointed_args(output_dir, config_overrides=other, resume_from_checkpoint="latest"))
    assert "\n" not in str(error.value)


def test_a_nonfinite_loss_stops_the_run_before_it_saves_a_model(tmp_path):
    output_dir = tmp_path / "run"
    args = quick_args(
        output_dir, learning_rate=1e30, warmup_steps=0, max_steps=8, checkpointing_steps=1, max_nonfinite_steps=2
    )
    # step 1 throws the weights far out; every later loss is NaN: steps 2 and 3 are skipped, step 4 stops the run
    with pytest.raises(NonFiniteTrainingError, match=r"step 4: the loss is not finite .*checkpoint is .*checkpoint-3"):
        pretrain(args)
    assert not (output_dir / "model.safetensors").exists()
    logged = losses(output_dir)
    assert sorted(logged) == [1, 2, 3] and math.isfinite(logged[1]) and math.isnan(logged[3])
    saved = [load_file(output_dir / name / "model.safetensors") for name in ("checkpoint-2", "checkpoint-3")]
    for name, tensor in saved[0].items():  # the skipped steps changed nothing
        assert torch.isfinite(tensor).all() and torch.equal(saved[1][name], tensor), name

    with pytest.raises(NonFiniteTrainingError, match="step 2: the loss is not finite"):
        pretrain(quick_args(tmp_path / "strict", learning_rate=1e30, warmup_steps=0, max_nonfinite_steps=0))


def test_clear_errors_for_the_output_dir_and_config_overrides(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="output_dir '.*a-file' is a file, not a folder"):
        pretrain(quick_args(tmp_path / "a-file"))
    with pytest.raises(ValueError, match="output_dir '.*a-file/run' cannot be written: Not a directory"):
        pretrain(quick_args(tmp_path / "a-file" / "run"))
    if Path("/sys").is_dir():  # read-only, even for root
        with pytest.raises(ValueError, match="output_dir '/sys/hf_jepa-run' cannot be written"):
            pretrain(quick_args("/sys/hf_jepa-run"))

    cases = {
        "mask_ratio=abc": "mask_ratio expects a value of type float, got 'abc'",
        "num_hidden_layers=2.5": "num_hidden_layers expects a value of type int, got '2.5'",
        "normalize_targets=maybe": "normalize_targets expects a value of type bool, got 'maybe'",
        "mask_ratoi=0.5": "'mask_ratoi' is not a field of JEPAConfig",
        "mask_ratio": "'mask_ratio' is not of the form key=value",
        "target_block_scale=0.2": "target_block_scale holds a tuple; config_overrides sets int, float, bool",
    }
    for overrides, message in cases.items():
        with pytest.raises(ValueError, match=f"config_overrides: {message}"):
            pretrain(quick_args(tmp_path / "run", config_overrides=f"{SMALL},{overrides}"))
