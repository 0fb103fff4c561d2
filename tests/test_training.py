import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState
from PIL import Image
from safetensors.torch import load_file
from transformers import AutoModel

from hf_jepa import JEPAModel, PretrainingArguments, pretrain
from hf_jepa.data import load_media_dataset, make_moving_fashion_mnist, write_video_folder

REPO = Path(__file__).resolve().parents[1]
SMALL = (
    "num_hidden_layers=2,pred_num_hidden_layers=1,hidden_size=64,num_attention_heads=2,"
    "pred_hidden_size=32,pred_num_attention_heads=2"
)


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """Each in-process run may choose another mixed precision; Accelerate keeps one global state per process."""
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def quick_args(output_dir, **overrides) -> PretrainingArguments:
    values = dict(
        output_dir=str(output_dir),
        config_name_or_path="tiny",
        config_overrides=SMALL,
        max_train_samples=128,
        per_device_train_batch_size=16,
        max_steps=4,
        logging_steps=1,
        dataloader_num_workers=0,
        report_to="none",
        do_eval=False,
        seed=0,
    )
    return PretrainingArguments(**{**values, **overrides})


def history(output_dir) -> dict[int, dict]:
    """The records of log_history.jsonl by step; a step's train and eval metrics are separate records."""
    records = {}
    for record in map(json.loads, (Path(output_dir) / "log_history.jsonl").read_text().splitlines()):
        records.setdefault(record["step"], {}).update(record)
    return records


def test_main_job_on_the_shipped_dataset_writes_a_loadable_model(tmp_path):
    args = quick_args(
        tmp_path, checkpointing_steps=2, report_to="tensorboard", config_overrides=f"{SMALL},variance_weight=1.0"
    )
    summary = pretrain(args)
    assert summary["steps"] == 4 and np.isfinite(summary["final_loss"])
    files = set(os.listdir(tmp_path))
    assert {"config.json", "model.safetensors", "modeling_jepa.py", "preprocessor_config.json", "README.md"} <= files
    assert {"training_args.json", "checkpoint-2", "checkpoint-4", "runs", "log_history.jsonl"} <= files
    assert json.loads((tmp_path / "training_args.json").read_text())["max_steps"] == 4
    logged = history(tmp_path)
    assert sorted(logged) == [1, 2, 3, 4]
    assert all(
        np.isfinite(record["train/loss"]) and record["train/target_feature_std"] > 0 for record in logged.values()
    )
    # every loss term the model returns is logged, and only those: here the prediction and the variance terms
    for record in logged.values():
        terms = record["train/prediction_loss"] + record["train/variance_loss"]
        assert record["train/loss"] == pytest.approx(terms, rel=1e-5)
        assert "train/sigreg_loss" not in record
    encoder = AutoModel.from_pretrained(tmp_path)
    assert isinstance(encoder, JEPAModel) and encoder.config.hidden_size == 64


def test_probes_during_and_after_pretraining(tmp_path):
    summary = pretrain(quick_args(tmp_path, eval_steps=2, do_eval=True, max_eval_samples=100))
    knn = [history(tmp_path)[step]["eval/knn_accuracy"] for step in (2, 4)]
    assert all(0.0 <= value <= 1.0 for value in knn)
    records = json.loads((tmp_path / "eval_results.json").read_text())
    assert records == summary["eval_results"]
    assert {(r["protocol"], r["model"]) for r in records} >= {
        ("knn", "trained"),
        ("linear", "trained"),
        ("knn", "random-init"),
        ("knn", "raw-pixels"),
    }
    assert all(0.0 < r["value"] <= 1.0 for r in records)
    card = (tmp_path / "README.md").read_text()
    assert "random-init" in card and "model-index" in card


def test_loss_falls_over_a_longer_run(tmp_path):
    pretrain(quick_args(tmp_path, max_steps=40, max_train_samples=256, learning_rate=1e-3, warmup_steps=5))
    losses = [record["train/loss"] for _, record in sorted(history(tmp_path).items())]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses


def test_video_model_on_the_shipped_clips_with_future_frame_masking(tmp_path):
    args = quick_args(
        tmp_path,
        config_name_or_path="tiny-video",
        config_overrides=SMALL + ",mask_strategy=temporal",
        max_train_samples=32,
        per_device_train_batch_size=4,
        max_steps=2,
        frame_step=1,
    )
    summary = pretrain(args)
    assert summary["dataset"] == "moving_fashion_mnist" and np.isfinite(summary["final_loss"])
    assert json.loads((tmp_path / "config.json").read_text())["num_frames"] == 8


def test_saved_dataset_and_image_folder_sources(tmp_path):
    shipped = load_media_dataset("fashion_mnist_small", max_samples=40)
    shipped.save_to_disk(str(tmp_path / "saved"))
    summary = pretrain(quick_args(tmp_path / "run-saved", dataset_name=str(tmp_path / "saved"), max_steps=2))
    assert summary["steps"] == 2
    streamed = quick_args(tmp_path / "run-streamed", dataset_name=str(tmp_path / "saved"), streaming=True, max_steps=2)
    assert pretrain(streamed)["steps"] == 2
    with pytest.raises(ValueError, match="has no length: set --max_steps"):
        pretrain(quick_args(tmp_path / "no-steps", dataset_name=str(tmp_path / "saved"), streaming=True, max_steps=-1))

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(20):  # mixed modes and sizes, as a real folder has
        pixels = rng.integers(0, 255, (20 + index, 24, 3), dtype=np.uint8)
        image = Image.fromarray(pixels).convert(["RGB", "L", "RGBA", "P"][index % 4])
        image.save(folder / f"{index}.png")
    summary = pretrain(
        quick_args(tmp_path / "run-folder", train_dir=str(folder), max_steps=2, per_device_train_batch_size=8)
    )
    assert summary["steps"] == 2


def test_video_folder_source(tmp_path):
    clips = make_moving_fashion_mnist(num_videos=8, num_frames=16, image_size=32, seed=0)
    write_video_folder(clips, tmp_path / "videos")
    args = quick_args(
        tmp_path / "run",
        config_name_or_path="tiny-video",
        config_overrides=SMALL,
        train_dir=str(tmp_path / "videos"),
        per_device_train_batch_size=4,
        max_steps=2,
        frame_step=1,
    )
    assert pretrain(args)["steps"] == 2


def test_corrupt_images_are_skipped_and_counted(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(30):
        Image.fromarray(np.full((32, 32, 3), index * 8, dtype=np.uint8)).save(folder / f"{index}.jpg")
    (folder / "30.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    (folder / "31.jpg").write_bytes((folder / "0.jpg").read_bytes()[:100])  # truncated
    args = quick_args(
        tmp_path / "run", train_dir=str(folder), per_device_train_batch_size=8, max_steps=4, max_bad_fraction=0.2
    )
    assert pretrain(args)["samples_skipped"] == 2

    with pytest.raises(ValueError, match="could not be decoded.*max_bad_fraction"):
        pretrain(
            quick_args(
                tmp_path / "strict",
                train_dir=str(folder),
                per_device_train_batch_size=8,
                max_steps=4,
                max_bad_fraction=0.01,
            )
        )


def test_clear_errors_before_any_work(tmp_path):
    text_only = datasets.Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]})
    text_only.save_to_disk(str(tmp_path / "text"))
    with pytest.raises(ValueError, match="text"):
        pretrain(quick_args(tmp_path / "a", dataset_name=str(tmp_path / "text")))
    with pytest.raises(ValueError, match="holds videos but the model is an image model \\(num_frames=1\\)"):
        pretrain(quick_args(tmp_path / "b", dataset_name="moving_fashion_mnist", max_train_samples=8))
    with pytest.raises(ValueError, match="fewer than one batch on every process"):
        pretrain(quick_args(tmp_path / "c", max_train_samples=8))
    with pytest.raises(ValueError, match="is neither a preset"):
        pretrain(quick_args(tmp_path / "d", config_name_or_path="gigantic"))
    with pytest.raises(ValueError, match="mask_ratio"):
        pretrain(quick_args(tmp_path / "e", config_overrides="mask_ratio=1.5"))
    with pytest.raises(ValueError, match="--push_to_hub needs --hub_model_id"):
        quick_args(tmp_path / "f", push_to_hub=True)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="already holds a run.*--overwrite_output_dir"):
        pretrain(quick_args(occupied))


def run_script(output_dir, *extra, wait=True):
    command = [sys.executable, str(REPO / "scripts" / "pretrain.py"), *quick_cli(output_dir), *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def quick_cli(output_dir):
    return [
        "--output_dir", str(output_dir), "--config_overrides", SMALL, "--max_train_samples", "128",
        "--per_device_train_batch_size", "16", "--max_steps", "12", "--logging_steps", "1", "--report_to", "none",
        "--do_eval", "false", "--seed", "3", "--checkpointing_steps", "3", "--save_total_limit", "5",
        "--dataloader_num_workers", "1", "--learning_rate", "1e-3", "--warmup_steps", "2",
    ]  # fmt: skip


def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    reference = run_script(tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr[-3000:]

    interrupted = tmp_path / "interrupted"
    process = run_script(interrupted, wait=False)
    deadline = time.time() + 300
    while not (interrupted / "checkpoint-6").exists():
        assert process.poll() is None and time.time() < deadline, "the run ended before its second checkpoint"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (interrupted / "model.safetensors").exists(), "the run finished before it could be killed"

    resumed = run_script(interrupted, "--resume_from_checkpoint", "latest")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout

    expected, actual = history(tmp_path / "reference"), history(interrupted)
    assert sorted(actual) == list(range(1, 13))
    # the steps redone after the checkpoint are logged once
    assert len((interrupted / "log_history.jsonl").read_text().splitlines()) == 12
    for step in range(1, 13):
        assert actual[step]["train/loss"] == pytest.approx(expected[step]["train/loss"], rel=1e-5, abs=1e-6), step
    weights, resumed_weights = (
        load_file(tmp_path / "reference" / "model.safetensors"),
        load_file(interrupted / "model.safetensors"),
    )
    assert weights.keys() == resumed_weights.keys()
    for name, tensor in weights.items():
        torch.testing.assert_close(resumed_weights[name], tensor, rtol=1e-5, atol=1e-6, msg=name)


def test_two_process_cpu_launch_shards_the_data(tmp_path):
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        str(REPO / "scripts" / "pretrain.py"), *quick_cli(tmp_path), "--max_steps", "3",
        # batch statistics over the global batch: all_gather's backward under gloo inside DDP
        "--config_overrides", f"{SMALL},objective=hybrid,sigreg_weight=0.05,variance_weight=1.0",
    ]  # fmt: skip
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "steps of 32 samples" in result.stdout  # 16 per device x 2 processes
    summary = json.loads((tmp_path / "training_summary.json").read_text())
    assert summary["global_batch_size"] == 32 and summary["steps"] == 3
    assert "2 x CPU" in summary["hardware"]
    assert {"rng_state_0.json", "rng_state_1.json"} <= set(os.listdir(tmp_path / "checkpoint-3"))  # one per process
    logged = history(tmp_path)
    assert sorted(logged) == [1, 2, 3]
    for record in logged.values():
        for name in ("loss", "prediction_loss", "invariance_loss", "sigreg_loss", "variance_loss"):
            assert np.isfinite(record[f"train/{name}"]), name
        assert record["train/sigreg_loss"] > 0


def test_bf16_mixed_precision_on_cpu(tmp_path):
    args = quick_args(tmp_path, mixed_precision="bf16", max_steps=3)
    summary = pretrain(args)
    assert args.attn_implementation == "eager"  # chosen with the accelerator: sdpa's bf16 backward is slow on CPU
    assert np.isfinite(summary["final_loss"])
    assert load_file(tmp_path / "model.safetensors")["target_encoder.layernorm.weight"].dtype == torch.float32
    assert json.loads((tmp_path / "training_args.json").read_text())["attn_implementation"] == "eager"
