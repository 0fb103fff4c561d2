# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""LeRobot v3.0 datasets read directly: tests/fixtures/lerobot_v30 was written by the real `lerobot` package
(scripts/make_lerobot_fixture.py), and tests/fixtures/lerobot_v30_frames.npz holds every value it was given."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState

from hf_jepa.data import EpisodeWindows, compute_normalization_stats, load_media_dataset
from hf_jepa.data import lerobot as lerobot_module
from hf_jepa.data.episodes import read_frames, record_episodes
from hf_jepa.data.lerobot import load_lerobot_dataset, read_lerobot_stats, write_lerobot_dataset
from hf_jepa.training import WorldModelTrainingArguments, train_world_model

FIXTURE = Path(__file__).parent / "fixtures" / "lerobot_v30"
WRITTEN = dict(np.load(FIXTURE.with_name("lerobot_v30_frames.npz")))
VIDEO, IMAGE = "observation.images.top", "observation.images.wrist"
EPISODE_LENGTHS = [10, 12, 8]
VIDEO_FILE = "videos/observation.images.top/chunk-000/file-000.mp4"
TINY = (
    "history_length=2,rollout_steps=1,predictor_hidden_size=24,predictor_num_hidden_layers=1,"
    "predictor_num_attention_heads=2,sigreg_projector_size=16,sigreg_num_projections=32,encoder.image_size=16,"
    "encoder.hidden_size=32,encoder.num_hidden_layers=1,encoder.num_attention_heads=2"
)


@pytest.fixture
def copy_of_fixture(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "lerobot_v30"))


def frames_hwc(dataset, column) -> np.ndarray:
    return np.stack([frame.permute(1, 2, 0).numpy() for frame in read_frames(dataset, column, range(len(dataset)))])


def test_reads_the_episodes_and_their_values_exactly():
    dataset = load_lerobot_dataset(FIXTURE)
    assert len(dataset) == sum(EPISODE_LENGTHS)
    assert np.bincount(dataset["episode_index"][:]).tolist() == EPISODE_LENGTHS
    assert dataset.column_names[:4] == [VIDEO, IMAGE, "observation.state", "action"]  # info.json's order
    for name in ("observation.state", "action"):
        np.testing.assert_array_equal(np.asarray(dataset[name][:], dtype=np.float32), WRITTEN[name])


def test_decoded_frames_are_the_written_ones():
    dataset = load_lerobot_dataset(FIXTURE)
    np.testing.assert_array_equal(frames_hwc(dataset, IMAGE), WRITTEN[IMAGE])  # PNG: lossless
    decoded, written = frames_hwc(dataset, VIDEO).astype(float), WRITTEN[VIDEO].astype(float)
    distances = np.abs(decoded[:, None] - written[None]).mean(axis=(2, 3, 4))  # [decoded, written]
    assert distances.argmin(axis=1).tolist() == list(range(len(dataset)))  # each episode read at its own offset
    assert distances.diagonal().max() < 8  # AV1 at crf 30 on 32 x 32 frames


def test_stats_from_meta_stats_json_are_those_of_the_data():
    dataset = load_lerobot_dataset(FIXTURE)
    stats, computed = read_lerobot_stats(FIXTURE), compute_normalization_stats(dataset)
    assert list(stats) == ["action", "observation.state"]
    for name in stats:
        np.testing.assert_allclose(stats[name]["mean"], WRITTEN[name].mean(axis=0), rtol=1e-5)
        for key in ("mean", "std"):
            np.testing.assert_allclose(stats[name][key], computed[name][key], rtol=1e-5)


def test_windows_stay_inside_episodes():
    windows = EpisodeWindows(load_lerobot_dataset(FIXTURE), history=3, horizon=2, image_column=VIDEO)
    assert len(windows) == sum(length - 4 for length in EPISODE_LENGTHS)
    assert windows[0]["pixel_values"].shape == (5, 3, 32, 32) and windows[0]["states"].shape == (5, 2)
    long_windows = EpisodeWindows(load_lerobot_dataset(FIXTURE), history=9, horizon=2)
    assert (len(long_windows), long_windows.num_skipped_episodes) == (2, 2)  # only in the 12-frame episode
    with pytest.raises(ValueError, match="longest of the 3 episodes has 12 frames"):
        EpisodeWindows(load_lerobot_dataset(FIXTURE), history=10, horizon=3)


def test_load_media_dataset_reads_a_folder_or_a_hub_id(monkeypatch):
    assert load_media_dataset(str(FIXTURE)).column_names == load_lerobot_dataset(FIXTURE).column_names
    downloads = []

    def hf_hub_download(repo_id, filename, repo_type, cache_dir):
        downloads.append((repo_id, filename, repo_type))
        return str(FIXTURE / filename)

    monkeypatch.setattr(lerobot_module, "hf_hub_download", hf_hub_download)
    monkeypatch.setattr(lerobot_module, "snapshot_download", lambda repo_id, repo_type, cache_dir: str(FIXTURE))
    assert len(load_media_dataset("lerobot/fixture")) == sum(EPISODE_LENGTHS)
    assert downloads == [("lerobot/fixture", "meta/info.json", "dataset")]
    with pytest.raises(ValueError, match=r"Unknown split 'test'.*\[.train.\]"):
        load_media_dataset(str(FIXTURE), split="test")


def test_a_world_model_trains_from_the_folder(tmp_path):
    torch.set_num_threads(1)
    try:
        args = WorldModelTrainingArguments(
            dataset_name=str(FIXTURE),
            image_column_name=VIDEO,
            output_dir=str(tmp_path / "model"),
            config_overrides=TINY + ",state_dim=2",
            frame_step=1,
            per_device_train_batch_size=4,
            max_steps=2,
            learning_rate=1e-3,
            report_to="none",
            dataloader_num_workers=0,
            seed=0,
        )
        summary = train_world_model(args)
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)
    assert summary["steps"] == 2 and np.isfinite(summary["final_loss"])
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    stats = read_lerobot_stats(FIXTURE)
    np.testing.assert_allclose(config["action_mean"], stats["action"]["mean"], rtol=1e-5)
    np.testing.assert_allclose(config["state_std"], stats["observation.state"]["std"], rtol=1e-5)


def edit_info(folder: Path, **changes) -> None:
    path = folder / "meta" / "info.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_bad_folders_get_errors_that_name_the_problem(copy_of_fixture):
    (copy_of_fixture / "meta" / "info.json").unlink()
    with pytest.raises(ValueError, match=r"is not a LeRobot dataset: it has no meta/info.json"):
        load_media_dataset(str(copy_of_fixture))
    shutil.copy(FIXTURE / "meta" / "info.json", copy_of_fixture / "meta" / "info.json")
    edit_info(copy_of_fixture, codebase_version="v2.1")
    with pytest.raises(ValueError, match=r"codebase_version 'v2.1'; hf_jepa reads LeRobot v3.0.*convert_dataset_v21"):
        load_lerobot_dataset(copy_of_fixture)
    features = json.loads((FIXTURE / "meta" / "info.json").read_text())["features"]
    velocity = {"dtype": "float32", "shape": [2], "names": None}
    edit_info(copy_of_fixture, codebase_version="v3.0", features={**features, "observation.velocity": velocity})
    with pytest.raises(ValueError, match=r"lists the feature\(s\) \['observation.velocity'\], but the data files"):
        load_lerobot_dataset(copy_of_fixture)


def test_a_video_that_disagrees_with_the_metadata_is_named(copy_of_fixture):
    from torchcodec.encoders import VideoEncoder

    video = copy_of_fixture / VIDEO_FILE
    frames = torch.from_numpy(WRITTEN[VIDEO][:20]).permute(0, 3, 1, 2).contiguous()
    VideoEncoder(frames, frame_rate=10).to_file(str(video))
    with pytest.raises(
        ValueError, match=rf"{re.escape(str(video))} holds 20 frames, but episode 1 of 12 frames is at 1 s"
    ):
        load_lerobot_dataset(copy_of_fixture)
    video.unlink()
    with pytest.raises(ValueError, match=rf"The video {re.escape(str(video))} that meta/episodes names is missing"):
        load_lerobot_dataset(copy_of_fixture)


def test_recorded_episodes_written_as_lerobot_read_back_as_they_were(tmp_path):
    pytest.importorskip("gymnasium")
    from hf_jepa.envs import make_env

    episodes = record_episodes(make_env("hf_jepa/TwoRoom-v0", image_size=32), 3, seed=0, max_steps=7)
    folder = write_lerobot_dataset(episodes, tmp_path / "two_room", fps=10, task="reach the other room")
    read = load_lerobot_dataset(folder)
    for name in episodes.column_names[1:]:  # every column but the frames
        assert read[name][:] == episodes[name][:], name
    decoded, recorded = (frames_hwc(dataset, "observation.image").astype(float) for dataset in (read, episodes))
    assert np.abs(decoded - recorded).mean() < 2  # H.264 at crf 18
    stats, computed = read_lerobot_stats(folder), compute_normalization_stats(episodes)
    for name in stats:
        np.testing.assert_allclose(stats[name]["std"], computed[name]["std"], rtol=1e-5)
    with pytest.raises(ValueError, match="is not empty"):
        write_lerobot_dataset(episodes, folder, fps=10, task="reach the other room")


def test_record_episodes_writes_a_lerobot_folder(tmp_path):
    pytest.importorskip("gymnasium")
    from hf_jepa.envs import RecordingArguments, record_dataset

    folder = tmp_path / "recorded"
    recorded = record_dataset(
        RecordingArguments(num_episodes=2, max_steps=4, image_size=32, output_dir=str(folder), format="lerobot")
    )
    info = json.loads((folder / "meta" / "info.json").read_text())
    assert (info["codebase_version"], info["total_episodes"], info["fps"]) == ("v3.0", 2, 10)
    assert load_media_dataset(str(folder))["action"][:] == recorded["action"][:]
    with pytest.raises(ValueError, match="--format lerobot writes a folder"):
        RecordingArguments(push_to_hub=True, hub_repo_id="me/episodes", format="lerobot")
