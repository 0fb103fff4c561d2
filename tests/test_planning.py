import numpy as np
import pytest
import torch
from conftest import MICRO

from hf_jepa import CEMPlanner, JEPAWorldModel, JEPAWorldModelConfig, MPCController, MPPIPlanner, goal_energy
from hf_jepa.data.episodes import render_to_pixel_values
from hf_jepa.planning import (
    TimedPlanner,
    WorldModelObservation,
    build_planner,
    droid_pose,
    euler_to_matrix,
    integrate_states,
    latent_distance,
    matrix_to_euler,
)

HORIZON, ACTION_DIM = 5, 2
TARGET = torch.linspace(-0.8, 0.8, HORIZON * ACTION_DIM).reshape(HORIZON, ACTION_DIM)


def quadratic_energy(actions: torch.Tensor) -> torch.Tensor:
    return (actions - TARGET).pow(2).sum((1, 2))


def make_planner(kind: str, **kwargs):
    settings = dict(horizon=HORIZON, action_dim=ACTION_DIM, population=64, iterations=12, seed=0, **kwargs)
    return CEMPlanner(num_elites=8, **settings) if kind == "cem" else MPPIPlanner(**settings)


@pytest.mark.parametrize("kind", ["cem", "mppi"])
def test_planners_find_a_quadratic_minimum_far_better_than_random_sampling(kind):
    planner = make_planner(kind)
    result = planner.plan(quadratic_energy)
    budget = planner.population * planner.iterations
    random_actions = torch.rand(budget, HORIZON, ACTION_DIM, generator=torch.Generator().manual_seed(0)) * 2 - 1
    random_best = float(quadratic_energy(random_actions).min())
    assert result.energy < 0.1 * random_best, (result.energy, random_best)
    assert result.energy == pytest.approx(float(quadratic_energy(result.actions[None])[0]))
    assert all(a >= b for a, b in zip(result.energy_per_iteration, result.energy_per_iteration[1:]))
    assert result.actions.abs().max() <= 1.0
    again = make_planner(kind).plan(quadratic_energy)
    assert torch.equal(again.actions, result.actions)  # seeded


def test_planner_respects_bounds_and_warm_start():
    planner = make_planner("cem", action_low=[-0.5, 0.0], action_high=[0.5, 0.2])
    result = planner.plan(quadratic_energy)
    assert (result.actions[:, 0].abs() <= 0.5).all() and (result.actions[:, 1] >= 0).all()
    assert (result.actions[:, 1] <= 0.2).all()
    warm = make_planner("mppi").plan(quadratic_energy, initial_mean=TARGET)
    assert warm.energy == 0.0  # candidate 0 is the mean


class PointMass:
    """A point in the unit square moved by velocity actions in [-1, 1]^2 (0.1 per step); done within 0.05 of the
    goal. A Gymnasium-like `reset` / `step` / `render`."""

    def __init__(self, goal=(0.8, 0.7)):
        self.goal = np.asarray(goal, dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        self.position = np.asarray([0.1, 0.2], dtype=np.float32)
        return self.position.copy(), {}

    def step(self, action):
        self.position = np.clip(self.position + 0.1 * np.clip(action, -1, 1), 0.0, 1.0).astype(np.float32)
        distance = float(np.linalg.norm(self.position - self.goal))
        return self.position.copy(), -distance, distance < 0.05, False, {"distance": distance}

    def render(self):
        image = np.zeros((16, 16, 3), dtype=np.uint8)
        row, column = (self.position * 15).astype(int)
        image[row, column] = 255
        return image


def point_mass_energy(goal: torch.Tensor):
    """The known energy: distance to the goal of the final position an action sequence reaches."""

    def energy_for(observations, actions):
        start = torch.as_tensor(observations[-1])

        def energy(candidates: torch.Tensor) -> torch.Tensor:
            final = (start + 0.1 * candidates.cumsum(1)).clamp(0, 1)[:, -1]
            return (final - goal).norm(dim=-1)

        return energy

    return energy_for


@pytest.mark.parametrize("kind", ["cem", "mppi"])
def test_mpc_drives_a_point_mass_to_its_goal(kind):
    env = PointMass()
    controller = MPCController(make_planner(kind), point_mass_energy(torch.tensor(env.goal)), execute_steps=2)
    result = controller.run(env, max_steps=40, seed=0)
    assert result.done and result.final_info["distance"] < 0.05
    assert len(result.actions) < 20  # the straight line takes ~9 steps
    assert len(result.observations) == len(result.actions) + 1


def micro_world_model(**config) -> JEPAWorldModel:
    torch.manual_seed(0)
    return JEPAWorldModel(
        JEPAWorldModelConfig(
            encoder_config=dict(MICRO),
            history_length=2,
            predictor_hidden_size=24,
            predictor_num_hidden_layers=1,
            predictor_num_attention_heads=2,
            **config,
        )
    ).eval()


def test_goal_energy_scores_a_population_with_one_rollout():
    model = micro_world_model(action_mean=[0.5, 0.5], action_std=[2.0, 2.0])
    with torch.no_grad():
        embeddings = model.encode(torch.randn(1, 3, 3, 16, 16))[0]
        history_actions = torch.randn(1, 2)
        energy = goal_energy(model, embeddings[:2], embeddings[2], history_actions)
        candidates = torch.rand(300, 4, 2)
        values = energy(candidates)
        predicted = model.rollout(embeddings[None, :2], (candidates[:1] - 0.5) / 2.0, history_actions[None])
    assert values.shape == (300,)
    expected = latent_distance(predicted[:, -1:], embeddings[2][None, None])
    assert torch.allclose(values[:1], expected, atol=1e-5)


def test_goal_energy_adds_the_weighted_distance_of_the_predicted_states_to_the_goal_state():
    model = micro_world_model(state_dim=2, state_mean=[0.5, 0.5], state_std=[0.25, 0.25])
    goal_state = torch.tensor([1.0, -1.0])
    with torch.no_grad():
        embeddings = model.encode(torch.randn(1, 3, 3, 16, 16))[0]
        history = dict(history_actions=torch.randn(1, 2), history_states=torch.randn(2, 2))
        candidates = torch.rand(6, 4, 2)
        latents_only = goal_energy(model, embeddings[:2], embeddings[2], **history, all_steps=True)(candidates)
        weighted = goal_energy(
            model, embeddings[:2], embeddings[2], **history, all_steps=True, goal_state=goal_state, state_weight=0.5
        )(candidates)
        expand = {name: value.expand(6, *value.shape) for name, value in history.items()}
        predicted, states = model.rollout(
            embeddings[None, :2].expand(6, -1, -1, -1), candidates, **expand, return_states=True
        )
    assert states.shape == (6, 4, 2)
    assert torch.allclose(predicted, model.rollout(embeddings[None, :2].expand(6, -1, -1, -1), candidates, **expand))
    state_term = (states - goal_state).pow(2).mean((1, 2))
    assert torch.allclose(weighted, latents_only + 0.5 * state_term, atol=1e-5)
    assert torch.allclose(latents_only, latent_distance(predicted, embeddings[2][None, None]), atol=1e-5)
    with pytest.raises(
        ValueError, match=r"needs goal_state and a model that predicts its states \(this one has state_dim=0"
    ):
        goal_energy(micro_world_model(), embeddings[:2], embeddings[2], goal_state=goal_state, state_weight=1.0)
    with pytest.raises(ValueError, match="state_weight must be >= 0, got -1"):
        goal_energy(model, embeddings[:2], embeddings[2], goal_state=goal_state, state_weight=-1.0)
    with pytest.raises(ValueError, match="return_states needs a model that predicts its states"):
        micro_world_model().rollout(embeddings[None, :1], candidates[:1], return_states=True)


def test_mpc_scores_the_goal_state_the_environment_gives_in_its_units():
    stats = dict(state_mean=[0.5, 0.5], state_std=[0.25, 0.25])
    model = micro_world_model(state_dim=2, **stats)
    planner = CEMPlanner(horizon=3, action_dim=2, population=16, iterations=2, num_elites=4)
    goal = torch.rand(3, 16, 16)
    near, far = (
        MPCController.from_world_model(model, planner, goal, goal_state=state, state_weight=1.0)
        for state in ([0.1, 0.2], [0.9, 0.9])
    )
    env = PointMass()
    start = near.observe(env, *env.reset())
    candidates = torch.rand(5, 3, 2)
    with torch.no_grad():
        energies = [controller.energy_for([start], [])(candidates) for controller in (near, far)]
        _, predicted_states = model.rollout(
            model.encode(start.pixel_values[None, None]).expand(5, -1, -1, -1),
            candidates,
            history_states=model.normalize_states(start.state)[None, None].expand(5, 1, 2),
            return_states=True,
        )
    # the two goals differ only in their state, normalised with the model's statistics before the distance
    difference = energies[1] - energies[0]
    goals = model.normalize_states(torch.tensor([[0.1, 0.2], [0.9, 0.9]]))
    expected = (predicted_states[:, -1] - goals[1]).pow(2).mean(1) - (predicted_states[:, -1] - goals[0]).pow(2).mean(
        1
    )
    assert torch.allclose(difference, expected, atol=1e-5)
    with pytest.raises(ValueError, match="goal_state has 3 values, but the model reads states of state_dim=2"):
        MPCController.from_world_model(model, planner, goal, goal_state=[0.1, 0.2, 0.3], state_weight=1.0)


def test_mpc_from_world_model_plans_from_rendered_frames():
    model = micro_world_model()
    planner = CEMPlanner(horizon=3, action_dim=2, population=16, iterations=2, num_elites=4)
    env = PointMass()
    controller = MPCController.from_world_model(model, planner, torch.rand(3, 16, 16), execute_steps=1)
    result = controller.run(env, max_steps=3, seed=0)
    assert len(result.actions) == 3 and len(result.plan_energies) == 3
    env.reset(seed=0)  # the frames are observed with the training preprocessing (ImageNet-normalised)
    assert torch.allclose(result.observations[0].pixel_values, render_to_pixel_values(env.render(), 16))
    assert result.observations[0].state is None


@pytest.mark.parametrize("state_embedding", ["token", "concat"])
def test_mpc_from_world_model_reads_the_state_from_the_environment(state_embedding):
    stats = dict(state_mean=[0.5, 0.5], state_std=[0.25, 0.25])
    model = micro_world_model(state_dim=2, state_embedding=state_embedding, **stats)
    planner = CEMPlanner(horizon=3, action_dim=2, population=16, iterations=2, num_elites=4)
    controller = MPCController.from_world_model(model, planner, torch.rand(3, 16, 16))
    result = controller.run(PointMass(), max_steps=2, seed=0)
    assert result.observations[0].state.tolist() == pytest.approx([0.1, 0.2])  # PointMass's observation: its position
    expected = torch.tensor([0.1, 0.2]) + 0.1 * result.actions[0]
    assert result.observations[1].state.tolist() == pytest.approx(expected.tolist())
    start = result.observations[0]
    elsewhere = WorldModelObservation(start.pixel_values, start.state + 0.3)
    candidates = torch.rand(5, 3, 2)
    energies = [controller.energy_for([observation], [])(candidates) for observation in (start, elsewhere)]
    assert not torch.allclose(*energies)  # the plan depends on where the environment says the agent is
    with pytest.raises(ValueError, match="a state of 3 values at every step, but the environment gives 2 values"):
        three = micro_world_model(state_dim=3, state_embedding=state_embedding)
        MPCController.from_world_model(three, planner, torch.rand(3, 16, 16)).run(PointMass(), max_steps=1)
    with pytest.raises(ValueError, match="predict_states=False"):
        MPCController.from_world_model(
            micro_world_model(state_dim=2, predict_states=False), planner, torch.rand(3, 16, 16)
        )


def test_planner_errors_name_the_bad_value():
    with pytest.raises(ValueError, match="num_elites"):
        CEMPlanner(horizon=3, action_dim=2, population=10, num_elites=20)
    with pytest.raises(ValueError, match="action_low"):
        MPPIPlanner(horizon=3, action_dim=2, action_low=1.0, action_high=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        MPPIPlanner(horizon=3, action_dim=2, temperature=0.0)
    with pytest.raises(ValueError, match="initial_mean"):
        make_planner("cem").plan(quadratic_energy, initial_mean=torch.zeros(2, 2))
    with pytest.raises(ValueError, match="one value per candidate"):
        make_planner("cem").plan(lambda actions: actions.sum(-1))
    with pytest.raises(ValueError, match="execute_steps"):
        MPCController(make_planner("cem"), point_mass_energy(torch.zeros(2)), execute_steps=HORIZON + 1)


@pytest.mark.parametrize("kind", ["cem", "mppi"])
def test_a_plan_can_return_the_final_sampling_mean(kind):
    calls = []

    def energy(actions: torch.Tensor) -> torch.Tensor:
        calls.append(len(actions))
        return quadratic_energy(actions)

    best = build_planner(kind, HORIZON, ACTION_DIM, population=64, iterations=6, num_elites=8, seed=0).plan(energy)
    calls.clear()
    planner = build_planner(
        kind, HORIZON, ACTION_DIM, population=64, iterations=6, num_elites=8, seed=0, plan_result="mean"
    )
    mean = planner.plan(energy)
    assert calls == [64] * 6 + [1]  # the mean is scored once more, after the last refit
    assert mean.energy == pytest.approx(float(quadratic_energy(mean.actions[None])[0]))
    assert mean.energy_per_iteration == best.energy_per_iteration  # the same search, another answer
    assert not torch.equal(mean.actions, best.actions)
    assert bool(torch.all(mean.actions.abs() <= 1.0))
    with pytest.raises(ValueError, match="plan_result must be one of \\('best', 'mean'\\), got 'last'"):
        build_planner(kind, HORIZON, ACTION_DIM, plan_result="last")


def test_build_planner_from_plain_settings_and_timed_plans():
    cem = build_planner("cem", HORIZON, ACTION_DIM, population=64, iterations=12, num_elites=8, seed=0)
    assert isinstance(cem, CEMPlanner) and cem.num_elites == 8
    assert torch.equal(cem.plan(quadratic_energy).actions, make_planner("cem").plan(quadratic_energy).actions)
    mppi = build_planner("mppi", 3, 4, population=8, iterations=2, action_low=[-0.5] * 4, action_high=0.5)
    assert isinstance(mppi, MPPIPlanner) and mppi.high.tolist() == [0.5] * 4
    timed = TimedPlanner(mppi)
    plans = [timed.plan(lambda actions: actions.pow(2).sum((1, 2))) for _ in range(2)]
    assert timed.horizon == 3 and len(timed.seconds) == 2 and all(seconds > 0 for seconds in timed.seconds)
    assert all(plan.actions.shape == (3, 4) for plan in plans)
    with pytest.raises(ValueError, match=r"planner must be one of \('cem', 'mppi'\), got 'random'"):
        build_planner("random", HORIZON, ACTION_DIM)


def test_cem_with_momentum_samples_only_the_chosen_dimensions_and_keeps_part_of_its_mean():
    """V-JEPA 2-AC's CEM: dimension 1 held at the middle of its bounds, the refit keeps a part of the old mean."""
    planner = make_planner("cem", action_low=[-1.0, 0.2], action_high=[1.0, 0.6], sample_dims=[0], momentum_mean=0.25)
    result = planner.plan(quadratic_energy)
    assert torch.all(result.actions[:, 1] == 0.4) and result.actions[:, 0].abs().max() <= 1.0
    assert result.energy < float(quadratic_energy(torch.tensor([[0.0, 0.4]]).expand(1, HORIZON, 2)))
    mean, std = torch.zeros(HORIZON, 2), torch.ones(HORIZON, 2)
    candidates, energies = torch.ones(64, HORIZON, 2), torch.arange(64.0)
    both = CEMPlanner(HORIZON, 2, population=64, num_elites=8, min_std=0.0, momentum_mean=0.25, momentum_std=[0.5, 0])
    new_mean, new_std = both.update(candidates, energies, mean, std)
    assert torch.allclose(new_mean, torch.full_like(mean, 0.75))  # 0.75 * elites' mean 1 + 0.25 * previous 0
    assert new_std[:, 0].eq(0.5).all() and new_std[:, 1].eq(0.0).all()
    with pytest.raises(ValueError, match=r"sample_dims must be action dimensions in \[0, 2\), got \[2\]"):
        make_planner("cem", sample_dims=[2])
    with pytest.raises(ValueError, match="momentum_std must lie in"):
        make_planner("cem", momentum_std=1.0)
    with pytest.raises(ValueError, match="CEM settings; MPPI has none"):
        build_planner("mppi", HORIZON, ACTION_DIM, momentum_mean=0.1)


def test_droid_pose_adds_the_position_composes_the_rotation_and_clips_the_gripper():
    angles = torch.tensor([[0.3, -0.4, 1.2], [-2.0, 1.1, 0.5]])
    assert torch.allclose(matrix_to_euler(euler_to_matrix(angles)), angles, atol=1e-6)
    # extrinsic x-y-z: roll about x first, then pitch about the fixed y, then yaw about the fixed z
    roll, yaw = euler_to_matrix(torch.tensor([0.5, 0.0, 0.0])), euler_to_matrix(torch.tensor([0.0, 0.0, 0.5]))
    assert torch.allclose(euler_to_matrix(torch.tensor([0.5, 0.0, 0.5])), yaw @ roll, atol=1e-6)
    assert torch.allclose(roll[1:, 1:], torch.tensor([[0.8776, -0.4794], [0.4794, 0.8776]]), atol=1e-4)
    pose = torch.tensor([0.1, 0.2, 0.3, 0.0, 0.0, 0.4, 0.9])
    action = torch.tensor([0.05, -0.05, 0.0, 0.0, 0.0, 0.2, 0.5])
    expected = torch.tensor([0.15, 0.15, 0.3, 0.0, 0.0, 0.6, 1.0])  # yaws add up, the gripper stops at 1
    assert torch.allclose(droid_pose(pose, action), expected, atol=1e-6)
    states = integrate_states(droid_pose, pose, action.expand(4, 3, 7))
    assert states.shape == (4, 2, 7) and torch.allclose(states[:, 1, 5], torch.full((4,), 0.8), atol=1e-6)
    assert integrate_states(droid_pose, pose, action.expand(4, 1, 7)).shape == (4, 0, 7)


def test_mpc_plans_with_a_model_that_does_not_predict_its_states_from_states_computed_from_the_actions():
    model = micro_world_model(state_dim=2, predict_states=False, state_mean=[0.5, 0.5], state_std=[0.25, 0.25])
    planner = CEMPlanner(horizon=3, action_dim=2, population=16, iterations=2, num_elites=4)
    goal = torch.rand(3, 16, 16)
    controller = MPCController.from_world_model(model, planner, goal, distance="l1", state_from_actions="add")
    result = controller.run(PointMass(), max_steps=2, seed=0)
    assert len(result.actions) == 2
    start, candidates = result.observations[0], torch.rand(5, 3, 2)
    with torch.no_grad():
        passed = start.state + torch.stack([candidates[:, 0], candidates[:, :2].sum(1)], 1)  # the states it adds up
        predicted = model.rollout(
            model.encode(start.pixel_values[None, None]).expand(5, -1, -1, -1),
            candidates,
            history_states=model.normalize_states(start.state).expand(5, 1, 2),
            future_states=model.normalize_states(passed),
        )
        expected = latent_distance(predicted[:, -1:], model.encode(goal[None, None]), "l1")
        energy = controller.energy_for([start], [])(candidates)
    assert torch.allclose(energy, expected, atol=1e-6)
    with pytest.raises(ValueError, match="compute them from the actions with state_from_actions"):
        MPCController.from_world_model(model, planner, goal)
    with pytest.raises(ValueError, match="needs states and actions of 7 and 7 values"):
        MPCController.from_world_model(model, planner, goal, state_from_actions="droid_pose")
    with pytest.raises(ValueError, match="read only by models with states they do not predict"):
        MPCController.from_world_model(micro_world_model(), planner, goal, state_from_actions="add")
