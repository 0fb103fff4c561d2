# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Episodes as datasets: the TwoRoom environment, recording (TwoRoom and Push-T), windows, normalisation, the CLI."""

import json
import os
import runpy
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch

gym = pytest.importorskip("gymnasium")

import hf_jepa.envs  # noqa: E402  (registers hf_jepa/TwoRoom-v0)
from hf_jepa.data import (  # noqa: E402
    ACTION_COLUMN,
    DEFAULT_IMAGE_MEAN,
    DEFAULT_IMAGE_STD,
    EPISODE_COLUMN,
    FRAME_COLUMN,
    IMAGE_COLUMN,
    STATE_COLUMN,
    TIMESTAMP_COLUMN,
    EpisodeWindows,
    compute_normalization_stats,
    denormalize,
    episode_features,
    find_image_column,
    normalize,
    record_episodes,
)
from hf_jepa.envs import TwoRoomEnv, load_policy  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "record_episodes.py"


def synthetic_episodes(lengths, image_column=IMAGE_COLUMN, with_state=True) -> datasets.Dataset:
    """Episodes whose row r has a 4x4 frame of grey level r, action (r, -r) and state (10 r)."""
    rows = sum(lengths)
    columns = {
        image_column: [np.full((4, 4, 3), row, dtype=np.uint8) for row in range(rows)],
        ACTION_COLUMN: [[row, -row] for row in range(rows)],
        EPISODE_COLUMN: [episode for episode, length in enumerate(lengths) for _ in range(length)],
        FRAME_COLUMN: [frame for length in lengths for frame in range(length)],
    }
    features = {image_column: datasets.Image(), ACTION_COLUMN: datasets.List(datasets.Value("float32"), length=2)}
    if with_state:
        columns[STATE_COLUMN] = [[10.0 * row] for row in range(rows)]
        features[STATE_COLUMN] = datasets.List(datasets.Value("float32"), length=1)
    features.update({EPISODE_COLUMN: datasets.Value("int64"), FRAME_COLUMN: datasets.Value("int64")})
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def grey_levels(pixel_values: torch.Tensor) -> list[int]:
    return pixel_values[:, 0, 0, 0].round().int().tolist()


def raw(frame: torch.Tensor) -> torch.Tensor:
    return frame.float()


# ---------------------------------------------------------------- the TwoRoom environment


def test_two_room_wall_stops_the_agent_and_the_door_lets_it_through():
    env = TwoRoomEnv()
    r = env.agent_radius
    env.reset(seed=0, options={"start": (0.3, 0.15), "goal": (0.8, 0.8)})
    for _ in range(10):
        position, *_ = env.step(np.array([1.0, 0.0]))
    assert position[0] == pytest.approx(env.wall_low - r, abs=1e-5)  # stopped at the wall, above the door
    env.reset(seed=0, options={"start": (0.3, 0.5), "goal": (0.8, 0.8)})
    for _ in range(10):
        position, *_ = env.step(np.array([1.0, 0.0]))
    assert position == pytest.approx([0.8, 0.5], abs=1e-6)  # through the door, 10 full steps of 0.05
    for _ in range(40):
        position, *_ = env.step(np.array([1.0, 1.0]))
    assert position == pytest.approx([1 - r, 1 - r], abs=1e-5)  # slid along the right side into the corner


def test_two_room_long_steps_do_not_tunnel_through_the_wall():
    env = TwoRoomEnv(max_step=0.5)
    env.reset(options={"start": (0.3, 0.15), "goal": (0.8, 0.8)})
    position, *_ = env.step(np.array([1.0, 0.2]))
    assert position[0] == pytest.approx(env.wall_low - env.agent_radius, abs=1e-5)
    assert position[1] == pytest.approx(0.25, abs=1e-5)  # the rest of the move slid along the wall
    assert env.room_of(position) == 0


def test_two_room_success_terminates_and_truncation_comes_from_gymnasium():
    env = gym.make("hf_jepa/TwoRoom-v0", max_episode_steps=3)
    _, info = env.reset(options={"start": (0.7, 0.5), "goal": (0.8, 0.5)})
    assert not info["is_success"] and info["distance"] == pytest.approx(0.1)
    _, reward, terminated, _, info = env.step(np.array([1.0, 0.0]))
    assert (reward, terminated, info["is_success"]) == (0.0, False, False)
    _, reward, terminated, truncated, info = env.step(np.array([1.0, 0.0]))
    assert (reward, terminated, truncated, info["is_success"]) == (1.0, True, False, True)
    np.testing.assert_allclose(info["goal"], [0.8, 0.5])
    env.reset(options={"start": (0.2, 0.2), "goal": (0.8, 0.8)})
    outcomes = [env.step(np.zeros(2))[2:4] for _ in range(3)]
    assert outcomes == [(False, False), (False, False), (False, True)]


def test_two_room_is_deterministic_and_starts_and_goals_lie_in_different_rooms():
    first, second = TwoRoomEnv(), TwoRoomEnv()
    for seed in range(5):
        start, info = first.reset(seed=seed)
        again, info_again = second.reset(seed=seed)
        np.testing.assert_array_equal(start, again)
        np.testing.assert_array_equal(info["goal"], info_again["goal"])
        assert first.room_of(start) != first.room_of(info["goal"])
        assert first.is_free(start) and first.is_free(info["goal"])
    actions = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    first.reset(seed=7), second.reset(seed=7)
    for action in actions:
        np.testing.assert_array_equal(first.step(action)[0], second.step(action)[0])
    np.testing.assert_array_equal(first.render(), second.render())
    assert not np.array_equal(first.reset(seed=1)[0], first.reset(seed=2)[0])


def test_two_room_renders_the_agent_but_not_the_goal():
    env = TwoRoomEnv(image_size=32)
    env.reset(options={"start": (0.25, 0.5), "goal": (0.75, 0.5)})
    frame = env.render()
    assert frame.shape == (32, 32, 3) and frame.dtype == np.uint8
    np.testing.assert_array_equal(frame, env.render_at(env.position))
    np.testing.assert_array_equal(frame[16, 8], [220, 40, 40])  # the agent
    np.testing.assert_array_equal(frame[16, 24], [235, 235, 235])  # the goal is not drawn
    np.testing.assert_array_equal(frame[2, 16], [60, 60, 60])  # the wall
    np.testing.assert_array_equal(frame[16, 16], [235, 235, 235])  # the door
    np.testing.assert_array_equal(env.render_at((0.75, 0.5))[16, 24], [220, 40, 40])
    assert TwoRoomEnv().render().shape == (64, 64, 3)


def test_two_room_rejects_a_start_inside_the_wall():
    with pytest.raises(ValueError, match="'start'.*not a free position"):
        TwoRoomEnv().reset(options={"start": (0.5, 0.1)})


# ---------------------------------------------------------------- recording


def test_record_episodes_follows_lerobot_conventions_and_round_trips(tmp_path):
    env = gym.make("hf_jepa/TwoRoom-v0", image_size=16)
    dataset = record_episodes(env, 3, seed=0, max_steps=6, fps=5)
    assert dataset.features == episode_features(action_dim=2, state_dim=2)
    assert len(dataset) == 3 * 7
    assert dataset[FRAME_COLUMN][:] == list(range(7)) * 3
    assert dataset[EPISODE_COLUMN][:] == [0] * 7 + [1] * 7 + [2] * 7
    assert dataset[TIMESTAMP_COLUMN][:7] == pytest.approx([frame / 5 for frame in range(7)])
    rows = dataset.with_format("numpy")
    two_room = env.unwrapped
    for row in range(len(dataset)):
        np.testing.assert_array_equal(rows[row][IMAGE_COLUMN], two_room.render_at(rows[row][STATE_COLUMN]))
        if dataset[row][FRAME_COLUMN] < 6:  # the action at row t leads from frame t to frame t + 1
            expected = two_room.move(rows[row][STATE_COLUMN].astype(np.float64), rows[row][ACTION_COLUMN])
            np.testing.assert_allclose(rows[row + 1][STATE_COLUMN], expected, atol=1e-6)
        else:  # the final frame's padding repeats the last action
            np.testing.assert_array_equal(rows[row][ACTION_COLUMN], rows[row - 1][ACTION_COLUMN])
            assert dataset[row]["next.done"]
    dataset.save_to_disk(tmp_path / "episodes")
    loaded = datasets.load_from_disk(tmp_path / "episodes")
    assert loaded.features == dataset.features
    assert loaded[ACTION_COLUMN][:] == dataset[ACTION_COLUMN][:]
    np.testing.assert_array_equal(np.asarray(loaded[5][IMAGE_COLUMN]), np.asarray(dataset[5][IMAGE_COLUMN]))
    again = record_episodes(gym.make("hf_jepa/TwoRoom-v0", image_size=16), 3, seed=0, max_steps=6, fps=5)
    assert again[ACTION_COLUMN][:] == dataset[ACTION_COLUMN][:]


class FixedStartAndGoal(gym.Wrapper):
    def reset(self, *, seed=None, options=None):
        return self.env.reset(seed=seed, options={"start": (0.58, 0.5), "goal": (0.8, 0.5)})


def test_record_episodes_with_a_scripted_policy_stops_on_success():
    env = gym.make("hf_jepa/TwoRoom-v0", image_size=16)
    seen = []

    def right(observation, info, rng):
        seen.append(isinstance(rng, np.random.Generator))
        return np.array([1.0, 0.0])

    dataset = record_episodes(FixedStartAndGoal(env), 1, policy=right, max_steps=20, image_size=8)
    assert len(dataset) == 5 and all(seen)  # 0.58 → 0.78, within 0.05 of the goal, in four steps
    assert dataset[ACTION_COLUMN][:] == [[1.0, 0.0]] * 5
    assert dataset["next.reward"][:] == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert np.asarray(dataset[0][IMAGE_COLUMN]).shape == (8, 8, 3)


def test_record_push_t_headless(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pytest.importorskip("gym_pusht")
    env = hf_jepa.envs.make_env("gym_pusht/PushT-v0", visualization_width=96, visualization_height=96)
    dataset = record_episodes(env, 2, seed=0, max_steps=4, image_size=64)
    assert len(dataset) == 10
    assert dataset.features[STATE_COLUMN].length == 5  # agent x, y, block x, y, angle
    assert dataset.features[ACTION_COLUMN].length == 2
    assert np.asarray(dataset[0][IMAGE_COLUMN]).shape == (64, 64, 3)
    assert dataset.features[TIMESTAMP_COLUMN].dtype == "float32" and dataset[1][TIMESTAMP_COLUMN] == pytest.approx(0.1)


def test_record_episodes_rejects_a_non_rgb_environment_and_an_unknown_policy():
    with pytest.warns(UserWarning, match="without render_mode"), pytest.raises(ValueError, match="rgb_array"):
        record_episodes(TwoRoomEnv(render_mode=None), 1)
    with pytest.raises(ValueError, match="'random' or a callable"):
        record_episodes(TwoRoomEnv(), 1, policy="greedy")


# ---------------------------------------------------------------- reading


def test_find_image_column_accepts_cameras_and_lists_the_columns_otherwise():
    assert find_image_column(synthetic_episodes([2])) == IMAGE_COLUMN
    assert find_image_column(synthetic_episodes([2], image_column="observation.images.top")) == (
        "observation.images.top"
    )
    with pytest.raises(ValueError, match=r"no frame column.*'pixels', 'action'"):
        find_image_column(synthetic_episodes([2], image_column="pixels"))


def test_windows_stay_inside_episodes_and_skip_short_ones():
    dataset = synthetic_episodes([5, 8, 2])
    windows = EpisodeWindows(dataset, history=2, horizon=1, transform=raw)
    assert len(windows) == 3 + 6 and windows.num_skipped_episodes == 1
    assert (windows.action_dim, windows.state_dim) == (2, 1)
    starts = []
    for item in windows:
        levels = grey_levels(item["pixel_values"])
        assert item["pixel_values"].shape == (3, 3, 4, 4)
        assert levels == [levels[0], levels[0] + 1, levels[0] + 2]
        assert item["actions"].tolist() == [[levels[0], -levels[0]], [levels[0] + 1, -levels[0] - 1]]
        assert item["states"].tolist() == [[10.0 * level] for level in levels]
        starts.append(levels[0])
    assert starts == [0, 1, 2, 5, 6, 7, 8, 9, 10]  # none spans rows 4-5 or 12-13


def test_windows_with_a_frame_step_concatenate_the_actions_in_between():
    windows = EpisodeWindows(synthetic_episodes([5, 8]), history=2, horizon=1, frame_step=2, transform=raw)
    assert len(windows) == 1 + 4 and windows.action_dim == 4
    item = windows[1]
    assert grey_levels(item["pixel_values"]) == [5, 7, 9]
    assert item["actions"].tolist() == [[5, -5, 6, -6], [7, -7, 8, -8]]
    assert item["states"].tolist() == [[50.0], [70.0], [90.0]]


def test_windows_normalise_actions_states_and_pixels():
    dataset = synthetic_episodes([4])
    stats = compute_normalization_stats(dataset)
    item = EpisodeWindows(dataset, history=1, horizon=1, stats=stats)[0]
    std = np.std([0, 1, 2, 3])
    np.testing.assert_allclose(item["actions"], [[-1.5 / std, 1.5 / std]], rtol=1e-6)
    np.testing.assert_allclose(item["states"], [[-1.5 / std], [-0.5 / std]], rtol=1e-6)
    mean, image_std = torch.tensor(DEFAULT_IMAGE_MEAN), torch.tensor(DEFAULT_IMAGE_STD)
    torch.testing.assert_close(item["pixel_values"][1, :, 0, 0], (1 / 255 - mean) / image_std)
    assert "states" not in EpisodeWindows(synthetic_episodes([3], with_state=False), 1, 1)[0]


def test_windows_read_lerobot_style_video(tmp_path):
    from torchcodec.encoders import VideoEncoder

    rows, fps = [], 10
    for episode in range(2):
        path = str(tmp_path / f"episode_{episode:06d}.mp4")
        levels = [40 * episode + 20 * frame for frame in range(8)]
        frames = torch.stack([torch.full((3, 16, 16), level, dtype=torch.uint8) for level in levels])
        VideoEncoder(frames, frame_rate=fps).to_file(path)
        rows += [(path, episode, frame) for frame in range(8)]
    paths, episodes, frames = zip(*rows)
    features = {
        IMAGE_COLUMN: datasets.Video(),
        ACTION_COLUMN: datasets.List(datasets.Value("float32"), length=1),
        EPISODE_COLUMN: datasets.Value("int64"),
        TIMESTAMP_COLUMN: datasets.Value("float32"),
    }
    columns = [paths, [[0.0]] * 16, episodes, [frame / fps for frame in frames]]
    dataset = datasets.Dataset.from_dict(dict(zip(features, columns)), features=datasets.Features(features))
    windows = EpisodeWindows(dataset, history=3, horizon=2, transform=raw)
    assert len(windows) == 8
    assert grey_levels(windows[3]["pixel_values"]) == pytest.approx([60, 80, 100, 120, 140], abs=2)
    assert grey_levels(windows[7]["pixel_values"]) == pytest.approx([100, 120, 140, 160, 180], abs=2)


def test_windows_give_clear_errors():
    with pytest.raises(ValueError, match=r"window of 7 frames 1 apart.*longest of the 2 episodes has 5 frames"):
        EpisodeWindows(synthetic_episodes([3, 5]), history=4, horizon=3)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['action'\]"):
        EpisodeWindows(synthetic_episodes([3]).remove_columns(ACTION_COLUMN), 1, 1)
    ragged = (
        synthetic_episodes([3]).remove_columns(ACTION_COLUMN).add_column(ACTION_COLUMN, [[1.0], [1.0, 2.0], [3.0]])
    )
    with pytest.raises(ValueError, match=r"'action' column has rows of different sizes \[1, 2\]"):
        EpisodeWindows(ragged, 1, 1)
    stats = {"action": {"mean": [0.0], "std": [1.0]}}
    with pytest.raises(ValueError, match=r"stats\['action'\] has 1 dimensions but the column has 2"):
        EpisodeWindows(synthetic_episodes([3]), 1, 1, stats=stats)
    shuffled = synthetic_episodes([3, 3]).select([0, 3, 1, 4, 2, 5])
    with pytest.raises(ValueError, match="not contiguous"):
        EpisodeWindows(shuffled, 1, 1)


# ---------------------------------------------------------------- normalisation


def test_normalization_stats_are_json_numbers_and_invert():
    dataset = synthetic_episodes([2]).map(
        lambda row, index: {ACTION_COLUMN: [2.0 * index, 4.0 * index]}, with_indices=True
    )
    stats = json.loads(json.dumps(compute_normalization_stats(dataset)))
    assert stats["action"] == {"mean": [1.0, 2.0], "std": [1.0, 2.0]}
    assert stats[STATE_COLUMN] == {"mean": [5.0], "std": [5.0]}
    constant = synthetic_episodes([3]).map(lambda row: {ACTION_COLUMN: [1.0, 1.0]})
    assert compute_normalization_stats(constant)["action"]["std"] == [1e-6, 1e-6]
    values = np.array([[0.0, 0.0], [3.0, 6.0]], dtype=np.float32)
    np.testing.assert_allclose(normalize(values, stats["action"]), [[-1.0, -1.0], [2.0, 2.0]])
    np.testing.assert_allclose(denormalize(normalize(values, stats["action"]), stats["action"]), values)
    tensor = torch.tensor(values, dtype=torch.float64)
    assert normalize(tensor, stats["action"]).dtype == torch.float64
    torch.testing.assert_close(denormalize(normalize(tensor, stats["action"]), stats["action"]), tensor)


# ---------------------------------------------------------------- the command line


def test_record_episodes_script_writes_a_dataset(tmp_path, monkeypatch):
    output = tmp_path / "two_room"
    arguments = ["--num_episodes", "2", "--max_steps", "3", "--image_size", "24", "--seed", "3"]
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *arguments, "--output_dir", str(output)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    dataset = datasets.load_from_disk(output)
    assert len(dataset) == 8 and set(dataset[EPISODE_COLUMN][:]) == {0, 1}
    assert np.asarray(dataset[0][IMAGE_COLUMN]).shape == (24, 24, 3)
    assert len(EpisodeWindows(dataset, history=2, horizon=2)) == 2


def test_recording_arguments_and_policies_are_checked():
    with pytest.raises(ValueError, match="--output_dir"):
        hf_jepa.envs.RecordingArguments()
    with pytest.raises(ValueError, match="--hub_repo_id"):
        hf_jepa.envs.RecordingArguments(push_to_hub=True)
    assert load_policy("random") == "random"
    assert load_policy("os.path:join") is os.path.join
    with pytest.raises(ValueError, match="not registered"):
        hf_jepa.envs.make_env("no_such_package_xyz/Env-v0")
