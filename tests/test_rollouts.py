"""hf_jepa.rollouts and the frame-skip wrapper without Gradio: real TwoRoom environments and episodes, a micro world
model (conftest MICRO) acting two TwoRoom steps per model step."""

import numpy as np
import pytest
import torch
from conftest import MICRO

pytest.importorskip("gymnasium")

from hf_jepa import JEPAWorldModel, JEPAWorldModelConfig, rollouts  # noqa: E402
from hf_jepa.data.episodes import frame_transform, record_episodes, render_to_pixel_values  # noqa: E402
from hf_jepa.envs import TWO_ROOM_ID, RepeatActionPolicy, TwoRoomEnv, make_env  # noqa: E402
from hf_jepa.envs.frame_skip import FrameSkip, model_frame_step  # noqa: E402
from hf_jepa.planning import WorldModelObservation, latent_distance  # noqa: E402

START, GOAL = (0.2, 0.3), (0.8, 0.7)  # in the left and the right room


@pytest.fixture(scope="module")
def model() -> JEPAWorldModel:
    torch.manual_seed(0)
    config = JEPAWorldModelConfig(
        encoder_config=dict(MICRO),
        action_dim=4,  # two TwoRoom actions
        history_length=2,
        predictor_hidden_size=24,
        predictor_num_hidden_layers=1,
        predictor_num_attention_heads=2,
    )
    return JEPAWorldModel(config).eval()


@pytest.fixture(scope="module")
def episodes(tmp_path_factory) -> str:
    """Three real TwoRoom episodes of 6 frames at 16 px."""
    path = tmp_path_factory.mktemp("rollouts") / "two_room"
    env = make_env(TWO_ROOM_ID, 16)
    record_episodes(env, 3, policy=RepeatActionPolicy(mean_repeat=2), seed=0, max_steps=5).save_to_disk(str(path))
    return str(path)


def test_frame_skip_takes_frame_step_environment_steps_per_action():
    env = TwoRoomEnv(render_mode=None)
    assert model_frame_step(4, env) == 2 and model_frame_step(4, env, frame_step=2) == 2
    with pytest.raises(ValueError, match="The model takes actions of 3 values, the environment 2"):
        model_frame_step(3, env)
    skipping = FrameSkip(TwoRoomEnv(render_mode=None), frame_step=2)
    assert skipping.action_space.shape == (4,)
    skipping.reset(options={"start": START, "goal": GOAL})
    env.reset(options={"start": START, "goal": GOAL})
    skipping.step(np.array([0.5, 0.0, 0.0, 0.5]))
    env.step(np.array([0.5, 0.0]))
    env.step(np.array([0.0, 0.5]))
    assert np.allclose(skipping.unwrapped.position, env.position)


def test_pairs_are_the_evaluations_and_bad_ones_are_named():
    start, goal = rollouts.two_room_pair(1000)
    observation, info = TwoRoomEnv(render_mode=None).reset(seed=1000)
    assert start == tuple(observation.tolist()) and goal == tuple(info["goal"].tolist())
    assert rollouts.check_two_room_pair(START, GOAL) == {"start": START, "goal": GOAL}
    with pytest.raises(ValueError, match=r"The start \(0.2, 0.3\) is already at the goal \(0.2, 0.3\)"):
        rollouts.check_two_room_pair(START, START)
    with pytest.raises(ValueError, match=r"options\['goal'\]=\(0.5, 0.1\) is not a free position"):
        rollouts.check_two_room_pair(START, (0.5, 0.1))  # inside the wall


def test_replay_follows_the_actions_and_draws_every_position():
    actions = [torch.tensor([1.0, 0.0, 1.0, 0.0]), torch.tensor([0.0, 1.0, 0.0, 1.0])]
    positions, distances, ends = rollouts.replay(rollouts.TWO_ROOM, actions, options={"start": START, "goal": GOAL})
    env = TwoRoomEnv(render_mode=None)
    env.reset(options={"start": START, "goal": GOAL})
    expected = [env.position.copy()] + [
        env.step(part)[0].copy() for part in np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    ]
    assert np.allclose(positions, expected) and ends == [0, 2, 4]
    assert distances == pytest.approx(np.linalg.norm(positions - GOAL, axis=1).tolist())
    frames = rollouts.arena_frames(positions, GOAL, side=64)
    assert len(frames) == 5 and frames[0].shape == (64, 64, 3)
    assert (frames[-1] == rollouts.TRAIL_COLOUR).all(-1).any() and (frames[0] == rollouts.GOAL_COLOUR).all(-1).any()


def test_recorded_frames_and_imagined_rollouts_are_the_nearest_encoded_frames(model, episodes, tmp_path):
    recorded = rollouts.load_recorded_frames(model, episodes, max_frames=10)
    assert len(recorded.rows) == 10 and recorded.rows[0] == 0 and recorded.rows[-1] == recorded.dataset_rows - 1
    assert rollouts.episodes_environment(episodes) == rollouts.TWO_ROOM  # recorded without naming its environment
    assert rollouts.model_environment(model.config, episodes) == rollouts.TWO_ROOM
    push_t = JEPAWorldModelConfig(env_id="hf_jepa/PushT-v0", env_kwargs={"image_size": 16})
    assert rollouts.model_environment(push_t, episodes) == rollouts.Environment("hf_jepa/PushT-v0", {"image_size": 16})
    assert recorded.pixels.shape == (10, 3, 16, 16) and recorded.latents.shape[0] == 10
    transform = frame_transform(16)
    with torch.no_grad():
        expected = model.encode(torch.stack([transform(frame) for frame in recorded.pixels])[:, None])[:, 0]
    torch.testing.assert_close(recorded.latents, expected)

    start = render_to_pixel_values(TwoRoomEnv(image_size=16).render_at(START), 16)
    actions = torch.rand(3, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    nearest, distances = rollouts.imagine(model, WorldModelObservation(start), actions, recorded)
    with torch.no_grad():
        latent = model.encode(start[None, None])[0]
        predicted = model.rollout(latent[None], model.normalize_actions(actions[None]))[0]
    brute = [latent_distance(recorded.latents, step[None]) for step in predicted]
    assert nearest == [int(values.argmin()) for values in brute]
    assert distances == pytest.approx([values.min().item() for values in brute])

    with pytest.raises(ValueError, match="Could not load the episode dataset"):
        rollouts.load_recorded_frames(model, str(tmp_path / "missing"), 10)


def test_plan_in_two_room_executes_and_reports_the_episode(model):
    episode = rollouts.plan_in_two_room(
        model, START, GOAL, 3, "cem", horizon=2, population=8, iterations=2, num_elites=2
    )
    result = episode.result
    assert episode.frame_step == 2 and len(result.actions) == 3 == len(result.plans) == len(episode.plan_seconds)
    positions, _, ends = rollouts.replay(rollouts.TWO_ROOM, result.actions, options={"start": START, "goal": GOAL})
    assert np.allclose(episode.states, positions)
    assert episode.distances == pytest.approx(np.linalg.norm(positions[ends] - GOAL, axis=1).tolist())
    assert episode.frames["goal"].shape == (16, 16, 3)
    summary = episode.summary()
    assert summary["model_steps"] == 3 and summary["environment_steps"] == 6 and not summary["reached"]
    assert summary["final_distance"] == pytest.approx(episode.distances[-1], abs=1e-6)
    with pytest.raises(ValueError, match="planner must be one of"):
        rollouts.plan_in_two_room(model, START, GOAL, 1, "random", horizon=2)
    assert rollouts.environment_frame_step(model, rollouts.TWO_ROOM) == 2
    with pytest.raises(ValueError, match="The model does not act in hf_jepa/TwoRoom-v0"):
        bad = JEPAWorldModel(JEPAWorldModelConfig(encoder_config=dict(MICRO), action_dim=3)).eval()
        rollouts.environment_at_model_size(bad, rollouts.TWO_ROOM, 1)


def test_a_model_plans_where_its_config_says_even_without_episodes():
    """The Plan tab's environment: the one the world model's config records, whatever the episodes; the episodes'
    recording (else TwoRoom) only for a model that records none."""
    push_t = rollouts.Environment("hf_jepa/PushT-v0")
    assert rollouts.model_environment(JEPAWorldModelConfig(env_id=push_t.env_id), None) == push_t
    assert rollouts.model_environment(JEPAWorldModelConfig(), None) == rollouts.TWO_ROOM
    assert push_t.name == "PushT" and rollouts.TWO_ROOM.name == "TwoRoom"
    pytest.importorskip("gym_pusht")
    positions, picture = rollouts.seeded_pair(push_t, 1000, 64)  # the pair is its seed: no positions to type
    env = make_env(push_t.env_id, 64)
    start, info = env.reset(seed=1000)
    expected = np.concatenate([env.unwrapped.render_at(start), env.unwrapped.render_at(info["goal"])], 1)
    assert positions is None and np.array_equal(picture, expected)


def test_a_seeded_two_room_pair_is_typed_and_drawn_in_the_arena():
    positions, picture = rollouts.seeded_pair(rollouts.TWO_ROOM, 1000, 64)
    start, goal = rollouts.two_room_pair(1000)
    assert positions == [*start, *goal]
    assert np.array_equal(picture, rollouts.arena_frames(np.array([start]), goal, 64)[0])
    assert np.array_equal(rollouts.pair_picture(rollouts.TWO_ROOM, 64, start=start, goal=goal), picture)
    with pytest.raises(ValueError, match=r"options\['goal'\]=\(0.5, 0.1\) is not a free position"):
        rollouts.pair_picture(rollouts.TWO_ROOM, 64, start=START, goal=(0.5, 0.1))


def test_the_plan_tab_can_score_the_goals_state(model):
    torch.manual_seed(0)
    config = JEPAWorldModelConfig(**{**model.config.to_dict(), "state_dim": 2, "state_mean": [0.5] * 2})
    with_state = JEPAWorldModel(config).eval()
    plans = {
        weight: rollouts.PlanSettings("cem", 2, 16, 1, 1, 0, state_weight=weight).plan(
            with_state, rollouts.TWO_ROOM, start=START, goal=GOAL
        )
        for weight in (0.0, 5.0)
    }
    # the same candidates are scored: their energies gain the weighted distance of their states to the goal's
    assert plans[5.0].result.plans[0].energy > plans[0.0].result.plans[0].energy
    task = rollouts.Environment("hf_jepa/PushT-v0", {"goal": "task"})
    with pytest.raises(
        ValueError, match=r"hf_jepa/PushT-v0 \(env_kwargs \{'goal': 'task'\}\) gives no goal state .* weight to 0"
    ):
        rollouts.PlanSettings("cem", 2, 16, 1, 1, 0, state_weight=1.0).plan(with_state, task, pair=0)
    with pytest.raises(ValueError, match="a model that predicts its states \\(this one has state_dim=0"):
        rollouts.PlanSettings("cem", 2, 16, 1, 1, 0, state_weight=1.0).plan(
            model, rollouts.TWO_ROOM, start=START, goal=GOAL
        )


def test_plan_settings_plan_the_typed_two_room_pair_and_the_episode_draws_itself(model, episodes):
    settings = rollouts.PlanSettings("cem", 2, 16, 2, max_steps=3, seed=0)
    assert settings.planner_settings() == dict(
        planner="cem", horizon=2, population=16, iterations=2, seed=0, num_elites=2
    )
    assert rollouts.PlanSettings("mppi", 5, 150, 4, 20, 1).planner_settings()["num_elites"] == 15  # a tenth
    episode = settings.plan(model, rollouts.TWO_ROOM, pair=7, start=START, goal=GOAL)  # TwoRoom: the typed pair
    expected = rollouts.plan_in_two_room(model, START, GOAL, 3, **settings.planner_settings())
    assert np.allclose(episode.states, expected.states) and episode.goal == GOAL
    pictures = episode.pictures(32)
    assert len(pictures) == len(episode.states) == 7  # 3 model steps of 2 TwoRoom steps, and the start
    assert all(np.array_equal(a, b) for a, b in zip(pictures, rollouts.arena_frames(episode.states, GOAL, 32)))
    energies, distances = episode.curves()
    assert energies == {"model step": [0, 1, 2], "plan energy": episode.result.plan_energies}
    assert distances == {"model step": [0, 1, 2, 3], "distance to the goal": episode.distances}

    recorded = rollouts.load_recorded_frames(model, episodes, max_frames=10)
    frames, numbers = rollouts.imagined_frames(model, episode, recorded)
    first_plan = episode.result.plans[0].actions
    nearest, distances = rollouts.imagine(model, episode.result.observations[0], first_plan, recorded)
    assert numbers == {
        "imagined_rows": recorded.rows[nearest].tolist(),
        "imagined_latent_distances": distances,
        "frames_searched": 10,
        "dataset_rows": recorded.dataset_rows,
    }
    assert [caption for _, caption in frames][:: len(frames) - 1] == ["start (observed)", "goal"]
    where = f"episode {recorded.episodes[nearest[1]]}, frame {recorded.frame_indices[nearest[1]]}"
    assert frames[2][1] == f"+4 steps, imagined: {where} ({distances[1]:.3g})"  # two model steps of two
    assert np.array_equal(frames[2][0], recorded.pixels[nearest[1]].permute(1, 2, 0).numpy())
    assert np.array_equal(frames[0][0], episode.frames["start"]) and frames[0][0].shape == (16, 16, 3)


def test_world_model_summary_names_the_environment_and_the_training_episodes(model):
    summary = rollouts.world_model_summary(model, rollouts.TWO_ROOM)
    assert summary.startswith("**JEPAWorldModel**, 16 px frames") and summary.endswith("parameters.")
    assert "one model step = 2 TwoRoom steps" in summary and "history 2 frames" in summary
    assert rollouts.world_model_summary(model, rollouts.TWO_ROOM, "outputs/two_room").endswith(
        "; trained on `outputs/two_room`."
    )
