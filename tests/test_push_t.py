# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Push-T (`hf_jepa/PushT-v0`, on gym-pusht): real episodes recorded in LeRobot's schema, seeded goals, and a world
model trained a few steps on them that plans actions within the environment's bounds."""

import math

import numpy as np
import pytest
import torch

pytest.importorskip("gym_pusht")

from conftest import MICRO  # noqa: E402
from test_world_model_training import fresh_accelerator_state_on_one_thread, quick_args  # noqa: E402, F401

from hf_jepa import JEPAWorldModel, JEPAWorldModelConfig, rollouts  # noqa: E402
from hf_jepa.data.episodes import render_to_pixel_values  # noqa: E402
from hf_jepa.envs import PUSH_T_ID, RecordingArguments, make_env, record_dataset  # noqa: E402
from hf_jepa.envs.push_t import angle_difference  # noqa: E402
from hf_jepa.planning import CEMPlanner, MPCController  # noqa: E402
from hf_jepa.planning_evaluation import FrameSkip  # noqa: E402
from hf_jepa.training import train_world_model  # noqa: E402


@pytest.fixture(scope="module")
def episodes(tmp_path_factory):
    """Four real Push-T episodes of 9 frames at 16 px, recorded with the scripted push policy."""
    path = tmp_path_factory.mktemp("episodes") / "push_t"
    args = RecordingArguments(
        env_id=PUSH_T_ID,
        num_episodes=4,
        max_steps=8,
        image_size=16,
        policy="hf_jepa.envs.push_t:push_policy",
        output_dir=str(path),
    )
    return path, record_dataset(args)


def test_recorded_episodes_follow_lerobot_schema(episodes):
    _, dataset = episodes
    assert len(dataset) == 4 * 9 and dataset["episode_index"][:] == [e for e in range(4) for _ in range(9)]
    assert dataset["frame_index"][:9] == list(range(9))
    row = dataset[0]
    assert row["observation.image"].size == (16, 16)
    # the state is the agent's proprioception, its position and velocity (at rest after reset), not the block's
    states = np.asarray(dataset["observation.state"][:])
    assert states.shape == (36, 4) and np.all(states[0, 2:] == 0.0) and np.abs(states[1:9, 2:]).max() > 0
    actions = np.asarray(dataset["action"][:])
    assert actions.shape == (36, 2) and np.all(np.abs(actions) <= 1.0)


def test_a_reset_draws_a_reproducible_goal_that_its_own_state_reaches():
    env = make_env(PUSH_T_ID, 16, goal_steps=5).unwrapped
    start, info = env.reset(seed=3)
    again, info_again = env.reset(seed=3)
    np.testing.assert_array_equal(start, again)
    np.testing.assert_array_equal(info["goal"], info_again["goal"])
    assert not info["is_success"] and env.render_at(info["goal"]).shape == (16, 16, 3)
    env.place(info["goal"])
    assert env._info()["is_success"]

    task = make_env(PUSH_T_ID, 16, goal="task").unwrapped
    _, info = task.reset(seed=3)
    np.testing.assert_allclose(info["goal"][2:], [256.0, 256.0, math.pi / 4], rtol=1e-6)


def test_a_reset_gives_the_goals_proprioception_the_agent_has_there_at_rest():
    env = make_env(PUSH_T_ID, 16, goal_steps=5).unwrapped
    _, info = env.reset(seed=3)
    np.testing.assert_allclose(info["goal_proprio"], [*info["goal"][:2], 0.0, 0.0], rtol=1e-6)
    env.place(info["goal"])
    np.testing.assert_allclose(env._info()["proprio"], info["goal_proprio"], rtol=1e-6)
    assert (
        "goal_proprio" not in make_env(PUSH_T_ID, 16, goal="task").reset(seed=3)[1]
    )  # the task leaves the agent free
    two_room = make_env("hf_jepa/TwoRoom-v0", 16)
    _, info = two_room.reset(seed=0)
    np.testing.assert_array_equal(info["goal_proprio"], info["goal"])


def test_near_target_starts_put_the_block_around_the_t_pose():
    near = make_env(PUSH_T_ID, 16, goal="task", start="near_target", start_spread=20.0).unwrapped
    anywhere = make_env(PUSH_T_ID, 16, goal="task").unwrapped
    near.reset(seed=0)
    target = np.asarray(near.goal_pose[:2])
    distances = {
        name: [np.linalg.norm(env.reset(seed=seed)[0][2:4] - target) for seed in range(30)]
        for name, env in (("near", near), ("anywhere", anywhere))
    }
    assert np.median(distances["near"]) < 40 < np.median(distances["anywhere"])
    angles = [angle_difference(near.reset(seed=seed)[0][4], near.goal_pose[2]) for seed in range(30)]
    assert np.median(angles) < 0.5
    np.testing.assert_array_equal(near.reset(seed=4)[0], near.reset(seed=4)[0])


def test_bad_settings_raise_clear_errors():
    with pytest.raises(ValueError, match="goal must be one of"):
        make_env(PUSH_T_ID, 16, goal="anywhere")
    with pytest.raises(ValueError, match="start must be one of"):
        make_env(PUSH_T_ID, 16, start="elsewhere")
    with pytest.raises(ValueError, match="image_size"):
        make_env(PUSH_T_ID, 4)
    env = make_env(PUSH_T_ID, 16)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="2 values"):
        env.step(np.zeros(3))


def test_a_world_model_trained_on_push_t_plans_actions_within_bounds(tmp_path, episodes):
    path, _ = episodes
    train_world_model(quick_args(tmp_path, path, frame_step=2))
    model = JEPAWorldModel.from_pretrained(tmp_path).eval()
    assert model.config.action_dim == 4
    env = FrameSkip(make_env(PUSH_T_ID, 16, goal_steps=5), frame_step=2)
    _, info = env.reset(seed=0)
    goal = render_to_pixel_values(env.unwrapped.render_at(info["goal"]), 16)
    bounds = dict(action_low=env.action_space.low, action_high=env.action_space.high)
    planner = CEMPlanner(horizon=2, action_dim=4, population=8, iterations=2, num_elites=2, seed=0, **bounds)
    result = MPCController.from_world_model(model, planner, goal).run(env, max_steps=3, seed=0)
    actions = torch.stack(result.actions)
    low, high = torch.as_tensor(env.action_space.low), torch.as_tensor(env.action_space.high)
    assert actions.shape[1] == 4 and (len(actions) == 3 or result.final_info["is_success"])
    assert bool(torch.all((actions >= low) & (actions <= high)))


def test_the_plan_tabs_library_plans_in_the_environment_a_recording_names(episodes):
    """What the Space's Plan tab runs for Push-T episodes, without Gradio: the environment named by the recording,
    a start and goal from the pair seed, model-predictive control with a state model, the replay that draws it."""
    path, _ = episodes
    environment = rollouts.episodes_environment(str(path))
    assert environment == rollouts.Environment(PUSH_T_ID, {})
    torch.manual_seed(0)
    config = JEPAWorldModelConfig(
        encoder_config=dict(MICRO),
        state_dim=4,
        state_embedding="concat",
        history_length=2,
        predictor_hidden_size=24,
        predictor_num_hidden_layers=1,
        predictor_num_attention_heads=2,
    )
    model = JEPAWorldModel(config).eval()
    recorded = rollouts.load_recorded_frames(model, str(path), max_frames=8)
    settings = dict(horizon=2, population=8, iterations=1, num_elites=2, seed=0)
    episode = rollouts.plan_in_environment(model, environment, 2, "cem", pair=1000, **settings)

    env = make_env(PUSH_T_ID, 16)
    start, info = env.reset(seed=1000)
    np.testing.assert_allclose(episode.states[0], start)
    np.testing.assert_array_equal(episode.frames["goal"], env.unwrapped.render_at(info["goal"]))
    np.testing.assert_array_equal(episode.result.observations[0].state.numpy(), info["proprio"])
    summary = episode.summary()
    assert summary["environment"] == PUSH_T_ID and summary["model_steps"] == 2 == summary["environment_steps"]
    assert episode.distances[0] == pytest.approx(info["distance"])
    assert episode.distances[-1] == pytest.approx(summary["final_distance"])  # the replay retraces the run
    frames = rollouts.state_frames(environment, episode.states, 32)
    assert len(frames) == 3 and frames[0].shape == (32, 32, 3)
    nearest, _ = rollouts.imagine(model, episode.result.observations[0], episode.result.plans[0].actions, recorded)
    assert len(nearest) == 2 and all(0 <= index < 8 for index in nearest)
