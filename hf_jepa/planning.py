# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Planning with a latent world model: CEM and MPPI over action sequences, and a model-predictive control loop.

A planner minimises an *energy*: any callable `energy(actions [P, H, A]) -> [P]` that scores a population of action
sequences at once. With a [`JEPAWorldModel`], [`goal_energy`] is the distance between the latents the model predicts
for each candidate and the goal observation's latents, so one planning iteration is `H` batched predictor passes.
[`MPCController`] plans, executes the first `execute_steps` actions in an environment, and replans.

V-JEPA 2-AC plans this way with these settings: `distance="l1"` on the last predicted frame only (`all_steps=False`),
CEM with momentum on the mean and std (`momentum_mean`, `momentum_std`), sampling only the action dimensions it
moves (`sample_dims`; the others stay at the middle of their bounds) within per-dimension bounds (its `maxnorm`), and
the states of the predicted frames computed from the actions (`state_from_actions="droid_pose"`), since its predictor
does not predict them.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike

from .configuration_world_model import JEPAWorldModelConfig
from .data.episodes import observation_state, render_to_pixel_values
from .modeling_world_model import JEPAWorldModel

Energy = Callable[[torch.Tensor], torch.Tensor]
DISTANCES = ("l2", "l1")
PLANNERS = ("cem", "mppi")
PLAN_RESULTS = ("best", "mean")


@dataclass
class PlanResult:
    """The action sequence a plan returns `[H, A]` (the best one found, or the final sampling mean), its energy, and
    the best energy after each iteration."""

    actions: torch.Tensor
    energy: float
    energy_per_iteration: list[float] = field(default_factory=list)


class SamplingPlanner:
    """Shared machinery of the sampling planners: bounds, a seeded generator, sampling around a mean.

    Args:
        horizon: Steps of every action sequence.
        action_dim: Size of one action.
        population: Candidates per iteration (scored in one energy call).
        iterations: Refinement iterations per plan.
        action_low / action_high: Bounds of the actions (scalars or one value per dimension); samples are clipped.
        init_std: Standard deviation of the first sampling distribution, as a fraction of half the action range.
        seed: Seed of the planner's `torch.Generator`, so that plans are reproducible.
        plan_result: What a plan returns: `"best"`, the best sequence any iteration scored, or `"mean"`, the final
            sampling mean (V-JEPA 2-AC's planner), scored once more for its energy.
    """

    def __init__(
        self,
        horizon: int,
        action_dim: int,
        population: int = 300,
        iterations: int = 10,
        action_low: float | Sequence[float] = -1.0,
        action_high: float | Sequence[float] = 1.0,
        init_std: float = 1.0,
        seed: int = 0,
        plan_result: str = "best",
    ):
        if plan_result not in PLAN_RESULTS:
            raise ValueError(f"plan_result must be one of {PLAN_RESULTS}, got {plan_result!r}.")
        for name, value in (("horizon", horizon), ("action_dim", action_dim), ("iterations", iterations)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}.")
        if population < 2:
            raise ValueError(f"population must be >= 2, got {population}.")
        self.horizon, self.action_dim = horizon, action_dim
        self.population, self.iterations = population, iterations
        self.low = torch.as_tensor(action_low, dtype=torch.float32).expand(action_dim).clone()
        self.high = torch.as_tensor(action_high, dtype=torch.float32).expand(action_dim).clone()
        if not torch.all(self.low < self.high):
            raise ValueError(
                f"action_low must be below action_high, got {self.low.tolist()} and {self.high.tolist()}."
            )
        self.init_std, self.plan_result = init_std, plan_result
        self.generator = torch.Generator().manual_seed(seed)

    def initial_distribution(self, initial_mean: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std `[H, A]` to sample from first: the given mean (a warm start) or the middle of the bounds."""
        middle, half_range = (self.low + self.high) / 2, (self.high - self.low) / 2
        mean = middle.expand(self.horizon, -1).clone() if initial_mean is None else initial_mean.float().clone()
        if tuple(mean.shape) != (self.horizon, self.action_dim):
            raise ValueError(
                f"initial_mean must have shape [horizon={self.horizon}, action_dim={self.action_dim}], "
                f"got {tuple(mean.shape)}."
            )
        return mean, (self.init_std * half_range).expand(self.horizon, -1).clone()

    def sample(self, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        """`[P, H, A]` candidates around `mean`, clipped to the bounds; candidate 0 is the mean itself, so a plan
        never gets worse from one iteration to the next."""
        noise = torch.randn((self.population, *mean.shape), generator=self.generator)
        candidates = mean + std * noise
        candidates[0] = mean
        return torch.maximum(torch.minimum(candidates, self.high), self.low)

    def update(
        self, candidates: torch.Tensor, energies: torch.Tensor, mean: torch.Tensor, std: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The next sampling distribution from the scored candidates."""
        raise NotImplementedError

    @torch.no_grad()
    def plan(self, energy: Energy, initial_mean: torch.Tensor | None = None) -> PlanResult:
        """Minimises `energy` over action sequences; returns the best sequence any iteration scored, or the final
        sampling mean (`plan_result`)."""
        mean, std = self.initial_distribution(initial_mean)
        best_actions, best_energy, history = mean, math.inf, []
        for _ in range(self.iterations):
            candidates = self.sample(mean, std)
            energies = energy(candidates).detach().float().cpu()
            if tuple(energies.shape) != (self.population,):
                raise ValueError(
                    f"energy must return one value per candidate [{self.population}], got {energies.shape}."
                )
            index = int(energies.argmin())
            if energies[index] < best_energy:
                best_actions, best_energy = candidates[index].clone(), float(energies[index])
            history.append(best_energy)
            mean, std = self.update(candidates, energies, mean, std)
        if self.plan_result == "mean":
            mean = torch.maximum(torch.minimum(mean, self.high), self.low)
            best_actions, best_energy = mean, float(energy(mean[None]).detach().float().cpu()[0])
        return PlanResult(actions=best_actions, energy=best_energy, energy_per_iteration=history)


class CEMPlanner(SamplingPlanner):
    """Cross-entropy method: refit a diagonal Gaussian to the `num_elites` lowest-energy candidates, optionally
    keeping a fraction of the previous mean and std (momentum, as V-JEPA 2-AC's planner).

    Args:
        num_elites: Candidates kept per iteration.
        min_std: Floor of the standard deviation, as a fraction of half the action range (keeps exploring).
        momentum_mean / momentum_std: Fraction of the previous mean / std kept at each refit (scalars or one value
            per dimension): `new = (1 - momentum) * elites' + momentum * previous`; 0 refits from the elites alone.
        sample_dims: The action dimensions sampled (default: all); the others stay at the mean (the middle of the
            bounds, or the warm start), as V-JEPA 2-AC keeps its rotation at 0.
        (the rest: see `SamplingPlanner`)
    """

    def __init__(
        self,
        horizon: int,
        action_dim: int,
        num_elites: int = 30,
        min_std: float = 0.05,
        momentum_mean: float | Sequence[float] = 0.0,
        momentum_std: float | Sequence[float] = 0.0,
        sample_dims: Sequence[int] | None = None,
        **kwargs,
    ):
        super().__init__(horizon, action_dim, **kwargs)
        if not 1 <= num_elites <= self.population:
            raise ValueError(f"num_elites must lie in [1, population={self.population}], got {num_elites}.")
        self.num_elites, self.min_std = num_elites, min_std
        self.momentum_mean = torch.as_tensor(momentum_mean, dtype=torch.float32).expand(action_dim).clone()
        self.momentum_std = torch.as_tensor(momentum_std, dtype=torch.float32).expand(action_dim).clone()
        for name, momentum in (("momentum_mean", self.momentum_mean), ("momentum_std", self.momentum_std)):
            if not torch.all((momentum >= 0) & (momentum < 1)):
                raise ValueError(f"{name} must lie in [0, 1), got {momentum.tolist()}.")
        dims = list(range(action_dim)) if sample_dims is None else list(sample_dims)
        if not dims or any(not 0 <= dim < action_dim for dim in dims):
            raise ValueError(f"sample_dims must be action dimensions in [0, {action_dim}), got {dims}.")
        self.sampled = torch.zeros(action_dim)
        self.sampled[dims] = 1.0

    def sample(self, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        return super().sample(mean, std * self.sampled)

    def update(self, candidates, energies, mean, std):
        elites = candidates[energies.topk(self.num_elites, largest=False).indices]
        floor = self.min_std * (self.high - self.low) / 2
        spread = elites.std(0, unbiased=False) if self.num_elites > 1 else torch.zeros_like(mean)
        new_mean = (1 - self.momentum_mean) * elites.mean(0) + self.momentum_mean * mean
        new_std = (1 - self.momentum_std) * spread + self.momentum_std * std
        return new_mean, torch.maximum(new_std, floor)


class MPPIPlanner(SamplingPlanner):
    """Model-predictive path integral: the next mean is the candidates' average weighted by
    `softmax(-energy / (temperature * energy std))`, the next std their weighted spread (floored at `min_std`), as
    TD-MPC's MPPI. Dividing by the population's energy spread makes `temperature` independent of the energy's units.

    Args:
        temperature: Lower values trust the best candidates more (relative to the spread of the energies).
        min_std: Floor of the standard deviation, as a fraction of half the action range.
        (the rest: see `SamplingPlanner`)
    """

    def __init__(self, horizon: int, action_dim: int, temperature: float = 0.1, min_std: float = 0.05, **kwargs):
        super().__init__(horizon, action_dim, **kwargs)
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}.")
        self.temperature, self.min_std = temperature, min_std

    def update(self, candidates, energies, mean, std):
        scale = self.temperature * energies.std().clamp_min(1e-12)
        weights = torch.softmax(-(energies - energies.min()) / scale, dim=0)
        new_mean = torch.einsum("p,pha->ha", weights, candidates)
        spread = torch.einsum("p,pha->ha", weights, (candidates - new_mean).pow(2)).sqrt()
        return new_mean, torch.maximum(spread, self.min_std * (self.high - self.low) / 2)


class GreedyPlanner(SamplingPlanner):
    """The simple baseline: one-step lookahead. Scores `population` uniformly drawn single actions with the energy
    once and returns the best; with [`MPCController`] it descends the energy greedily, one step at a time.

    Args: as `SamplingPlanner`, with `horizon=1` and one iteration.
    """

    def __init__(self, action_dim: int, population: int = 64, **kwargs):
        super().__init__(horizon=1, action_dim=action_dim, population=population, iterations=1, **kwargs)

    def sample(self, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        uniform = torch.rand((self.population, *mean.shape), generator=self.generator)
        return self.low + (self.high - self.low) * uniform

    def update(self, candidates, energies, mean, std):
        return mean, std


def build_planner(
    kind: str,
    horizon: int,
    action_dim: int,
    population: int = 300,
    iterations: int = 10,
    num_elites: int = 30,
    action_low: float | Sequence[float] = -1.0,
    action_high: float | Sequence[float] = 1.0,
    seed: int = 0,
    min_std: float = 0.05,
    momentum_mean: float | Sequence[float] = 0.0,
    momentum_std: float | Sequence[float] = 0.0,
    sample_dims: Sequence[int] | None = None,
    plan_result: str = "best",
) -> SamplingPlanner:
    """A `CEMPlanner` (`kind="cem"`, keeping `num_elites`, with `momentum_mean`, `momentum_std` and `sample_dims`)
    or an `MPPIPlanner` (`"mppi"`, which has none of these three) with these settings."""
    if kind not in PLANNERS:
        raise ValueError(f"planner must be one of {PLANNERS}, got {kind!r}.")
    settings = dict(
        population=population,
        iterations=iterations,
        action_low=action_low,
        action_high=action_high,
        seed=seed,
        min_std=min_std,
        plan_result=plan_result,
    )
    if kind == "cem":
        cem = dict(momentum_mean=momentum_mean, momentum_std=momentum_std, sample_dims=sample_dims)
        return CEMPlanner(horizon, action_dim, num_elites=num_elites, **settings, **cem)
    if momentum_mean or momentum_std or sample_dims is not None:
        raise ValueError("momentum_mean, momentum_std and sample_dims are CEM settings; MPPI has none of them.")
    return MPPIPlanner(horizon, action_dim, **settings)


class TimedPlanner:
    """A planner that records how long each plan takes (`seconds`, one entry per plan)."""

    def __init__(self, planner: SamplingPlanner):
        self.planner, self.horizon, self.seconds = planner, planner.horizon, []

    def plan(self, energy: Energy, initial_mean: torch.Tensor | None = None) -> PlanResult:
        start = time.perf_counter()
        result = self.planner.plan(energy, initial_mean=initial_mean)
        self.seconds.append(time.perf_counter() - start)
        return result


def latent_distance(predicted: torch.Tensor, goal: torch.Tensor, distance: str = "l2") -> torch.Tensor:
    """Mean squared (`"l2"`) or absolute (`"l1"`) difference over all dimensions but the first: `[P, ...] -> [P]`."""
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}.")
    difference = predicted - goal
    values = difference.pow(2) if distance == "l2" else difference.abs()
    return values.flatten(1).mean(1)


StateStep = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def add_action(state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
    """The state after a delta action of the same size: `state + action` (a state that integrates its actions)."""
    return state + action


def euler_to_matrix(angles: torch.Tensor) -> torch.Tensor:
    """Rotation matrices `[..., 3, 3]` of extrinsic x-y-z Euler angles `[..., 3]` (scipy's `from_euler("xyz")`):
    `Rz(yaw) @ Ry(pitch) @ Rx(roll)`."""
    cos, sin = angles.cos().unbind(-1), angles.sin().unbind(-1)
    one, zero = torch.ones_like(cos[0]), torch.zeros_like(cos[0])

    def matrix(*rows: torch.Tensor) -> torch.Tensor:
        return torch.stack(rows, -1).unflatten(-1, (3, 3))

    x = matrix(one, zero, zero, zero, cos[0], -sin[0], zero, sin[0], cos[0])
    y = matrix(cos[1], zero, sin[1], zero, one, zero, -sin[1], zero, cos[1])
    z = matrix(cos[2], -sin[2], zero, sin[2], cos[2], zero, zero, zero, one)
    return z @ y @ x


def matrix_to_euler(matrix: torch.Tensor) -> torch.Tensor:
    """Extrinsic x-y-z Euler angles `[..., 3]` of rotation matrices `[..., 3, 3]` (the inverse of
    `euler_to_matrix`, pitch in [-pi/2, pi/2])."""
    roll = torch.atan2(matrix[..., 2, 1], matrix[..., 2, 2])
    pitch = torch.asin((-matrix[..., 2, 0]).clamp(-1, 1))
    yaw = torch.atan2(matrix[..., 1, 0], matrix[..., 0, 0])
    return torch.stack([roll, pitch, yaw], -1)


def droid_pose(state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
    """The DROID end-effector pose `[x, y, z, roll, pitch, yaw, gripper]` after a delta action of the same layout,
    as V-JEPA 2-AC's planner computes it: position added, rotation composed (`R(delta) @ R(pose)`, extrinsic x-y-z
    Euler angles), gripper added and clipped to [0, 1]."""
    position = state[..., :3] + action[..., :3]
    rotation = matrix_to_euler(euler_to_matrix(action[..., 3:6]) @ euler_to_matrix(state[..., 3:6]))
    gripper = (state[..., 6:] + action[..., 6:]).clamp(0, 1)
    return torch.cat([position, rotation, gripper], -1)


STATE_FROM_ACTIONS: dict[str, StateStep] = {"add": add_action, "droid_pose": droid_pose}


def state_step(name: str, state_dim: int, action_dim: int) -> StateStep:
    """The `STATE_FROM_ACTIONS` function `name`, checked against the sizes of the model's states and actions."""
    if name not in STATE_FROM_ACTIONS:
        raise ValueError(f"state_from_actions must be one of {tuple(STATE_FROM_ACTIONS)}, got {name!r}.")
    sizes = {"add": (state_dim, state_dim), "droid_pose": (7, 7)}[name]
    if (state_dim, action_dim) != sizes:
        raise ValueError(
            f"state_from_actions={name!r} needs states and actions of {sizes[0]} and {sizes[1]} values, but the model "
            f"has state_dim={state_dim} and action_dim={action_dim}."
        )
    return STATE_FROM_ACTIONS[name]


def integrate_states(step: StateStep, state: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """The states `[P, H - 1, S]` after each of the candidates' actions `[P, H, A]` but the last, from the current
    state `[S]` (all in the environment's units): what the later steps of a rollout read."""
    current, states = state.expand(actions.shape[0], -1), []
    for action in actions[:, :-1].unbind(1):
        current = step(current, action)
        states.append(current)
    return torch.stack(states, 1) if states else actions.new_zeros(actions.shape[0], 0, state.shape[-1])


def _check_state_scoring(config: JEPAWorldModelConfig, goal_state: ArrayLike | None, state_weight: float) -> None:
    if state_weight < 0:
        raise ValueError(f"state_weight must be >= 0, got {state_weight}.")
    if state_weight and (goal_state is None or not config.predicts_states):
        raise ValueError(
            "state_weight > 0 compares predicted states to the goal's: it needs goal_state and a model that predicts "
            f"its states (this one has state_dim={config.state_dim}, predict_states={config.predict_states})."
        )


def goal_energy(
    model: JEPAWorldModel,
    history_embeddings: torch.Tensor,
    goal_embeddings: torch.Tensor,
    history_actions: torch.Tensor | None = None,
    history_states: torch.Tensor | None = None,
    distance: str = "l2",
    all_steps: bool = False,
    future_states: Callable[[torch.Tensor], torch.Tensor] | None = None,
    goal_state: torch.Tensor | None = None,
    state_weight: float = 0.0,
) -> Energy:
    """The energy of planning towards a goal with a world model.

    Args:
        model: The world model.
        history_embeddings: `[h, N, D]` embeddings of the observed frames (`model.encode(...)[0]`).
        goal_embeddings: `[N, D]` embeddings of the goal observation.
        history_actions: `[h - 1, A]` normalised actions between the history frames (when `h > 1`).
        history_states: `[h, S]` normalised states, for models with states.
        distance: `"l2"` or `"l1"` between predicted and goal latents, averaged over tokens and channels.
        all_steps: Score every predicted step against the goal (reach it fast) instead of only the last one.
        future_states: For models with states they do not predict: the normalised states `[P, H - 1, S]` of the
            predicted frames but the last, from the candidates' actions `[P, H, A]` (environment units).
        goal_state: `[S]` the goal's normalised state, read when `state_weight > 0`.
        state_weight: Weight of the `distance` between the predicted states and `goal_state`, added to the latents'
            (DINO-WM's proprioceptive term: a frame may show the agent too small to plan by). Needs a model that
            predicts its states; 0 scores the latents only.

    Returns:
        `energy(actions [P, H, A]) -> [P]` taking actions in the environment's units (normalised with the statistics
        saved in the model config before the rollout).
    """

    _check_state_scoring(model.config, goal_state, state_weight)
    scored = slice(None) if all_steps else slice(-1, None)

    def expand(tensor: torch.Tensor | None, size: int) -> torch.Tensor | None:
        return None if tensor is None else tensor.unsqueeze(0).expand(size, *tensor.shape)

    def energy(actions: torch.Tensor) -> torch.Tensor:
        size = actions.shape[0]
        device, dtype = history_embeddings.device, history_embeddings.dtype
        actions = actions.to(device=device, dtype=dtype)
        predicted = model.rollout(
            expand(history_embeddings, size),
            model.normalize_actions(actions),
            history_actions=expand(history_actions, size),
            history_states=expand(history_states, size),
            future_states=None if future_states is None else future_states(actions),
            return_states=bool(state_weight),
        )
        if not state_weight:
            return latent_distance(predicted[:, scored], goal_embeddings[None, None], distance)
        predicted, predicted_states = predicted
        latent = latent_distance(predicted[:, scored], goal_embeddings[None, None], distance)
        return latent + state_weight * latent_distance(predicted_states[:, scored], goal_state[None, None], distance)

    return energy


@dataclass
class MPCResult:
    """One controlled episode: the observations seen, the actions executed, every plan made (in order; their energies
    in `plan_energies`), whether the environment ended it (terminated or truncated) and its last `info`."""

    observations: list[Any]
    actions: list[torch.Tensor]
    plans: list[PlanResult]
    done: bool
    final_info: dict

    @property
    def plan_energies(self) -> list[float]:
        return [plan.energy for plan in self.plans]


class WorldModelObservation(NamedTuple):
    """What a world model's controller observes at a step: the rendered frame as the model's input `[3, S, S]` and,
    for models with states, the environment's proprioceptive state `[S]` in its own units (else None)."""

    pixel_values: torch.Tensor
    state: torch.Tensor | None = None


def read_goal_state(info: dict, environment: str) -> np.ndarray:
    """The goal's proprioceptive state that `environment` gives on reset (`info["goal_proprio"]`), which an energy
    with `state_weight` scores; a `ValueError` naming the environment when it gives none."""
    if "goal_proprio" not in info:
        raise ValueError(
            f"{environment} gives no goal state (info['goal_proprio']) to weigh: set the goal state weight to 0 "
            "(--state_weight 0)."
        )
    return np.asarray(info["goal_proprio"])


def read_state(observation: Any, info: dict, state_dim: int) -> torch.Tensor:
    """The proprioceptive state a model with `state_dim` states reads at a step, as the recorder wrote it
    (`observation_state`: `info["proprio"]`, else a flat observation); a `ValueError` when the environment gives none
    of that size."""
    state = observation_state(observation, info)
    if state is None or state.shape != (state_dim,):
        found = "none" if state is None else f"{state.size} values"
        raise ValueError(
            f"The model reads a state of {state_dim} values at every step, but the environment gives {found} "
            '(info["proprio"], or a flat observation): plan in the environment the model was trained on.'
        )
    return torch.from_numpy(state)


def future_state_step(config: JEPAWorldModelConfig, state_from_actions: str | None) -> StateStep | None:
    """How a plan computes the future states of a model that reads states it does not predict (`predict_states=False`,
    as V-JEPA 2-AC): the `STATE_FROM_ACTIONS` function `state_from_actions`; None for every other model. A missing or
    unread `state_from_actions` is a `ValueError`."""
    needs_states = bool(config.state_dim) and not config.predicts_states
    if needs_states and state_from_actions is None:
        raise ValueError(
            "The model reads states it does not predict (predict_states=False): a plan of several steps needs "
            "the future states; compute them from the actions with state_from_actions (one of "
            f"{tuple(STATE_FROM_ACTIONS)}), or train the model with predict_states=True."
        )
    if state_from_actions is not None and not needs_states:
        raise ValueError("state_from_actions is read only by models with states they do not predict.")
    return state_step(state_from_actions, config.state_dim, config.action_dim) if needs_states else None


def checked_goal_state(goal_state: ArrayLike, config: JEPAWorldModelConfig) -> torch.Tensor:
    """The goal's proprioceptive state as a float tensor `[state_dim]`; a `ValueError` naming both sizes otherwise."""
    state = torch.as_tensor(np.asarray(goal_state, dtype=np.float32)).reshape(-1)
    if state.shape != (config.state_dim,):
        raise ValueError(
            f"goal_state has {state.numel()} values, but the model reads states of state_dim={config.state_dim}."
        )
    return state


class MPCController:
    """Model-predictive control: plan `horizon` steps, execute the first `execute_steps`, observe, replan.

    Args:
        planner: A `CEMPlanner` or `MPPIPlanner` (or anything with `plan(energy, initial_mean)` and `horizon`).
        energy_for: Builds the energy to minimise from what has happened so far:
            `energy_for(observations, actions) -> energy`.
        execute_steps: Actions executed from each plan before replanning.
        observe: Turns `(env, observation, info)` into what `energy_for` reads (default: the observation itself).
    """

    def __init__(
        self,
        planner: SamplingPlanner,
        energy_for: Callable[[list[Any], list[torch.Tensor]], Energy],
        execute_steps: int = 1,
        observe: Callable[[Any, Any, dict], Any] | None = None,
    ):
        if not 1 <= execute_steps <= planner.horizon:
            raise ValueError(f"execute_steps must lie in [1, horizon={planner.horizon}], got {execute_steps}.")
        self.planner, self.energy_for, self.execute_steps = planner, energy_for, execute_steps
        self.observe = observe if observe is not None else (lambda env, observation, info: observation)

    @classmethod
    def from_world_model(
        cls,
        model: JEPAWorldModel,
        planner: SamplingPlanner,
        goal_pixel_values: torch.Tensor,
        execute_steps: int = 1,
        distance: str = "l2",
        all_steps: bool = False,
        preprocess: Callable[[Any], torch.Tensor] | None = None,
        state_from_actions: str | None = None,
        goal_state: ArrayLike | None = None,
        state_weight: float = 0.0,
    ) -> "MPCController":
        """A controller that reaches the goal frame `goal_pixel_values [C, H, W]` with `model`: it observes
        `env.render()` through `preprocess` (default: `render_to_pixel_values` at the encoder's size, the frames'
        training preprocessing) and, for a model with states, the environment's proprioceptive state (`read_state`),
        as `WorldModelObservation`s, and plans with `goal_energy` over the last `history_length` frames, their states
        and the actions between them. A model with states it does not predict (`predict_states=False`, as V-JEPA
        2-AC) reads the states of the predicted frames computed from the actions by `state_from_actions`, a name in
        `STATE_FROM_ACTIONS` (`"droid_pose"`: V-JEPA 2-AC's end-effector pose; `"add"`: a state that integrates its
        delta actions); without one it is a `ValueError`. `goal_state` is the goal's proprioceptive state in the
        environment's units (`info["goal_proprio"]`), which the energy scores with `state_weight`."""
        config = model.config
        step = future_state_step(config, state_from_actions)
        preprocess = preprocess or (lambda image: render_to_pixel_values(image, config.encoder_config.image_size))
        device = next(model.parameters()).device
        with torch.no_grad():
            goal_embeddings = model.encode(goal_pixel_values.to(device)[None, None])[0, 0]
        _check_state_scoring(config, goal_state, state_weight)
        if state_weight:
            goal_state = model.normalize_states(checked_goal_state(goal_state, config).to(device))
        scoring = dict(distance=distance, all_steps=all_steps, goal_state=goal_state, state_weight=state_weight)

        def observe(env: Any, observation: Any, info: dict) -> WorldModelObservation:
            state = read_state(observation, info, config.state_dim) if config.state_dim else None
            return WorldModelObservation(preprocess(env.render()), state)

        @torch.no_grad()
        def energy_for(observations: list[WorldModelObservation], actions: list[torch.Tensor]) -> Energy:
            recent = observations[-min(len(observations), config.history_length) :]
            frames = torch.stack([observation.pixel_values for observation in recent]).to(device)
            history_actions, states, future_states = None, None, None
            if len(recent) > 1:
                history_actions = model.normalize_actions(torch.stack(actions[-(len(recent) - 1) :]).to(device))
            if config.state_dim:
                states = model.normalize_states(torch.stack([observation.state for observation in recent]).to(device))
            if step is not None:
                current = recent[-1].state.to(device)

                def future_states(actions: torch.Tensor) -> torch.Tensor:
                    return model.normalize_states(integrate_states(step, current.to(actions.dtype), actions))

            embeddings = model.encode(frames.unsqueeze(0))[0]
            return goal_energy(
                model, embeddings, goal_embeddings, history_actions, states, **scoring, future_states=future_states
            )

        return cls(planner, energy_for, execute_steps, observe=observe)

    def warm_start(self, previous: torch.Tensor | None) -> torch.Tensor | None:
        """The previous plan shifted by the executed steps, its last action repeated: the next plan's first mean."""
        if previous is None:
            return None
        rest = previous[self.execute_steps :]
        return torch.cat([rest, rest[-1:].expand(self.execute_steps, -1)]) if len(rest) else None

    def run(self, env: Any, max_steps: int, seed: int | None = None, options: dict | None = None) -> MPCResult:
        """Controls `env` (Gymnasium API: `reset(seed=, options=)`, `step(action)`) for at most `max_steps` steps or
        until it terminates or truncates. `options` go to `reset` (TwoRoom: `{"start": xy, "goal": xy}`)."""
        observation, info = env.reset(seed=seed, options=options)
        observations, actions, plans = [self.observe(env, observation, info)], [], []
        previous, done = None, False
        while len(actions) < max_steps and not done:
            plan = self.planner.plan(self.energy_for(observations, actions), initial_mean=self.warm_start(previous))
            plans.append(plan)
            previous = plan.actions
            for action in plan.actions[: min(self.execute_steps, max_steps - len(actions))]:
                observation, _, terminated, truncated, info = env.step(action.numpy())
                observations.append(self.observe(env, observation, info))
                actions.append(action)
                done = terminated or truncated
                if done:
                    break
        return MPCResult(observations, actions, plans, done, info)


__all__ = [
    "CEMPlanner",
    "GreedyPlanner",
    "MPCController",
    "MPCResult",
    "MPPIPlanner",
    "PlanResult",
    "STATE_FROM_ACTIONS",
    "SamplingPlanner",
    "TimedPlanner",
    "WorldModelObservation",
    "add_action",
    "checked_goal_state",
    "build_planner",
    "droid_pose",
    "future_state_step",
    "goal_energy",
    "integrate_states",
    "latent_distance",
    "read_goal_state",
    "read_state",
]
