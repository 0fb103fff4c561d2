# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a world model imagines and what its plans do, in the environment its episodes were recorded in.

- `load_recorded_frames`: evenly spaced recorded frames of an episode dataset, encoded by the world model;
- `model_environment`: where a world model plans, the environment its config records, else `episodes_environment`:
  the one an episode dataset was recorded in (TwoRoom when it does not say); `world_model_summary` says both;
- `imagine`: the model's rollout of an action sequence, each predicted latent shown as the nearest recorded frame
  (`imagined_frames`: the first plan's, with captions);
- `plan_in_environment`: model-predictive control from a start to a goal of any environment with `render_at(goal)`
  goals (TwoRoom, Push-T), the pair given by a seed as in `hf-jepa evaluate-planning`, and `replay`, the states and
  distances after every environment step of the executed actions (`PlannedEpisode.pictures` draws them);
- TwoRoom's typed pairs: `two_room_pair`, `check_two_room_pair`, `plan_in_two_room`, and `arena_frames`, the agent's
  path drawn frame by frame;
- the Plan tab's settings, `PlanSettings` (`plan`: a typed TwoRoom pair or a pair seed elsewhere), and
  `pair_picture` / `seeded_pair`, the pair it would plan.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from .configuration_world_model import JEPAWorldModelConfig
from .data import EPISODE_COLUMN, FRAME_COLUMN, check_episode_dataset, load_media_dataset
from .data.episodes import frame_transform, read_frames, recorded_environment, render_to_pixel_values
from .envs import TWO_ROOM_ID, TwoRoomEnv, make_env
from .envs.frame_skip import FrameSkip, model_frame_step
from .envs.two_room import FLOOR_COLOR
from .modeling_world_model import JEPAWorldModel
from .planning import (
    MPCController,
    MPCResult,
    TimedPlanner,
    WorldModelObservation,
    build_planner,
    latent_distance,
    read_goal_state,
)

GOAL_COLOUR, TRAIL_COLOUR = np.array([30, 160, 60], dtype=np.uint8), np.array([240, 160, 160], dtype=np.uint8)


@dataclass(frozen=True)
class Environment:
    """An environment a world model plans in: a Gymnasium id whose resets give `info["goal"]` and whose
    `render_at(goal)` draws it, and its `gymnasium.make` arguments."""

    env_id: str
    env_kwargs: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The id without its package and version: `TwoRoom`, `PushT`."""
        return self.env_id.rpartition("/")[2].rpartition("-v")[0] or self.env_id


TWO_ROOM = Environment(TWO_ROOM_ID)


@dataclass(frozen=True)
class RecordedFrames:
    """Recorded frames to show imagined latents with: their dataset rows, episodes and frame indices, uint8 pixels
    `[M, 3, H, W]`, the model's latents `[M, N, D]`, and the number of rows in the dataset."""

    rows: np.ndarray
    episodes: np.ndarray
    frame_indices: np.ndarray
    pixels: torch.Tensor
    latents: torch.Tensor
    dataset_rows: int


@torch.no_grad()
def load_recorded_frames(model: JEPAWorldModel, episodes_name: str, max_frames: int) -> RecordedFrames:
    """At most `max_frames` evenly spaced frames of an episode dataset (a saved folder or a Hub id), encoded by
    `model`; a `ValueError` names a dataset that does not load or is not an episode dataset."""
    try:
        dataset = load_media_dataset(episodes_name)
    except (OSError, ValueError) as error:
        raise ValueError(f"Could not load the episode dataset {episodes_name!r}: {error}") from error
    image_column = check_episode_dataset(dataset, repr(episodes_name))
    rows = np.linspace(0, len(dataset) - 1, min(len(dataset), max_frames)).round().astype(int)
    pixels = torch.stack(read_frames(dataset, image_column, rows.tolist()))
    transform = frame_transform(model.config.encoder_config.image_size)
    latents = [
        model.encode(torch.stack([transform(frame) for frame in chunk])[:, None])[:, 0] for chunk in pixels.split(512)
    ]
    columns = dataset.select_columns([EPISODE_COLUMN, FRAME_COLUMN]).with_format("numpy")[rows]
    return RecordedFrames(
        rows, columns[EPISODE_COLUMN], columns[FRAME_COLUMN], pixels, torch.cat(latents), len(dataset)
    )


@torch.no_grad()
def imagine(
    model: JEPAWorldModel, start: WorldModelObservation, actions: torch.Tensor, recorded: RecordedFrames
) -> tuple[list[int], list[float]]:
    """The model's rollout of `actions [H, A]` from one observation (a frame `[3, S, S]` and, for a model with
    states, its state): for each predicted latent, the index in `recorded` of the frame whose latent is nearest (in
    the planners' `latent_distance`) and that distance."""
    latent = model.encode(start.pixel_values[None, None])[0]
    states = None if start.state is None else model.normalize_states(start.state[None, None])
    predicted = model.rollout(latent[None], model.normalize_actions(actions[None]), history_states=states)[0]
    distances = torch.stack([latent_distance(recorded.latents, latent[None]) for latent in predicted])  # [H, M]
    nearest = distances.argmin(1)
    return nearest.tolist(), distances.gather(1, nearest[:, None])[:, 0].tolist()


def imagined_frames(
    model: JEPAWorldModel, episode: "PlannedEpisode", recorded: RecordedFrames
) -> tuple[list[tuple[np.ndarray, str]], dict]:
    """The first plan of `episode` imagined (`imagine`) between its start and goal frames, each predicted latent as
    the nearest of the `recorded` frames: uint8 `[H, W, 3]` frames with their captions, and the numbers (the rows of
    those recorded frames, their latent distances, the frames searched and the dataset's rows)."""
    nearest, distances = imagine(model, episode.result.observations[0], episode.result.plans[0].actions, recorded)
    frames = [(episode.frames["start"], "start (observed)")]
    for step, (index, distance) in enumerate(zip(nearest, distances), start=1):
        where = f"episode {recorded.episodes[index]}, frame {recorded.frame_indices[index]}"
        caption = f"+{step * episode.frame_step} steps, imagined: {where} ({distance:.3g})"
        frames.append((recorded.pixels[index].permute(1, 2, 0).numpy(), caption))
    frames.append((episode.frames["goal"], "goal"))
    numbers = {
        "imagined_rows": recorded.rows[nearest].tolist(),
        "imagined_latent_distances": distances,
        "frames_searched": len(recorded.rows),
        "dataset_rows": recorded.dataset_rows,
    }
    return frames, numbers


def two_room_pair(seed: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The start and goal of pair `seed` of the planning evaluation (TwoRoom's `reset(seed=seed)`: in different
    rooms)."""
    start, goal = environment_pair(TWO_ROOM, int(seed))
    return tuple(start.tolist()), tuple(goal.tolist())


def check_two_room_pair(start: tuple[float, float], goal: tuple[float, float]) -> dict:
    """TwoRoom's reset options for a start and a goal; a `ValueError` names a position the agent cannot take, or a
    start already at the goal."""
    arena = TwoRoomEnv(render_mode=None)
    options = {"start": tuple(map(float, start)), "goal": tuple(map(float, goal))}
    _, info = arena.reset(options=options)
    if info["is_success"]:
        raise ValueError(
            f"The start {options['start']} is already at the goal {options['goal']} (closer than the goal tolerance "
            f"{arena.goal_tolerance}); pick a goal further away."
        )
    return options


def episodes_environment(episodes_name: str | None) -> Environment:
    """The environment an episode dataset (a saved folder or a Hub id) was recorded in (`recorded_environment`);
    TwoRoom for none, or for a dataset that does not name one (the recordings made before it did)."""
    if episodes_name is None:
        return TWO_ROOM
    try:
        dataset = load_media_dataset(episodes_name)
    except (OSError, ValueError) as error:
        raise ValueError(f"Could not load the episode dataset {episodes_name!r}: {error}") from error
    recorded = recorded_environment(dataset)
    return Environment(*recorded) if recorded else TWO_ROOM


def model_environment(config: JEPAWorldModelConfig, episodes_name: str | None) -> Environment:
    """The environment a world model plans in: the one its config records (`env_id`, set by training on episodes
    that name theirs), else `episodes_environment(episodes_name)`."""
    if config.env_id is not None:
        return Environment(config.env_id, dict(config.env_kwargs or {}))
    return episodes_environment(episodes_name)


def world_model_summary(model: JEPAWorldModel, environment: Environment, trained_on: str | None = None) -> str:
    """One line of Markdown: the world model's class, frames, latents, states, history, model step in `environment`
    (`environment_frame_step`) and parameters, and the episodes it was `trained_on` where known; a `ValueError` when
    it does not act in the environment."""
    config = model.config
    frame_step = environment_frame_step(model, environment)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    states = f", {config.state_dim} state values ({config.state_embedding})" if config.state_dim else ""
    summary = (
        f"**{type(model).__name__}**, {config.encoder_config.image_size} px frames, {config.embedding_type} latents "
        f"({config.tokens_per_frame} x {config.latent_size} values per frame){states}, history "
        f"{config.history_length} frames, one model step = {frame_step} {environment.name} steps, "
        f"{parameters / 1e6:.1f}M parameters"
    )
    return summary + (f"; trained on `{trained_on}`." if trained_on is not None else ".")


def environment_pair(environment: Environment, pair: int) -> tuple[np.ndarray, np.ndarray]:
    """The start state and the goal of pair `pair` of the planning evaluation (the environment's
    `reset(seed=pair)`)."""
    env = make_env(environment.env_id, **environment.env_kwargs)
    start, info = env.reset(seed=pair)
    env.close()
    return np.asarray(start), np.asarray(info["goal"])


def environment_frame_step(model: JEPAWorldModel, environment: Environment) -> int:
    """Environment steps per model step (the model's action is that many environment actions); a `ValueError` when
    the model's actions are not whole actions of the environment."""
    env = make_env(environment.env_id, **environment.env_kwargs)
    try:
        return model_frame_step(model.config.action_dim, env)
    except ValueError as error:
        raise ValueError(f"The model does not act in {environment.env_id}: {error}") from error
    finally:
        env.close()


def environment_at_model_size(model: JEPAWorldModel, environment: Environment, max_model_steps: int) -> FrameSkip:
    """The environment rendered at the model's frame size, one step of it = one model step
    (`environment_frame_step`)."""
    frame_step = environment_frame_step(model, environment)
    image_size = model.config.encoder_config.image_size
    env = make_env(
        environment.env_id, image_size, max_episode_steps=max_model_steps * frame_step, **environment.env_kwargs
    )
    return FrameSkip(env, frame_step)


def replay(
    environment: Environment, actions: list[torch.Tensor], seed: int | None = None, options: dict | None = None
) -> tuple[np.ndarray, list[float], list[int]]:
    """The environment's state (its observation) and distance to the goal after every environment step of the
    executed model actions (each their environment actions concatenated, cut short by success as `FrameSkip` does),
    from `reset(seed=seed, options=options)`, and the index of the state each model step ends at."""
    env = make_env(environment.env_id, **environment.env_kwargs)
    observation, info = env.reset(seed=seed, options=options)
    states, distances, ends = [np.asarray(observation).copy()], [float(info["distance"])], [0]
    size = int(np.prod(env.action_space.shape))
    for action in actions:
        for part in action.numpy().reshape(-1, size):
            observation, _, terminated, _, info = env.step(part)
            states.append(np.asarray(observation).copy())
            distances.append(float(info["distance"]))
            if terminated:
                break
        ends.append(len(states) - 1)
    env.close()
    return np.array(states), distances, ends


def arena_frames(positions: np.ndarray, goal: tuple, side: int) -> list[np.ndarray]:
    """One `side` px TwoRoom frame per position: the agent, the path so far as a trail, the goal as a green ring."""
    arena = TwoRoomEnv(render_mode=None, image_size=side)
    centres = (np.arange(side) + 0.5) / side
    goal_distance = np.hypot(centres[None, :] - goal[0], centres[:, None] - goal[1])
    ring = np.abs(goal_distance - arena.agent_radius) < 2.0 / side
    trail, frames = np.zeros((side, side), dtype=bool), []
    for x, y in positions:
        column, row = min(int(x * side), side - 1), min(int(y * side), side - 1)
        trail[max(0, row - 1) : row + 2, max(0, column - 1) : column + 2] = True
        frame = arena.render_at((x, y))
        floor = (frame == FLOOR_COLOR).all(-1)
        frame[trail & floor] = TRAIL_COLOUR
        frame[ring & floor] = GOAL_COLOUR
        frames.append(frame)
    return frames


def state_frames(environment: Environment, states: np.ndarray, side: int) -> list[np.ndarray]:
    """One `side` px frame per state of `replay` (the environment's `render_at`)."""
    env = make_env(environment.env_id, side, **environment.env_kwargs)
    env.reset(seed=0)
    frames = [env.unwrapped.render_at(state) for state in states]
    env.close()
    return frames


def pair_picture(
    environment: Environment, side: int, pair: int | None = None, start: tuple | None = None, goal: tuple | None = None
) -> np.ndarray:
    """The start and goal a plan goes between, `side` px high: in TwoRoom the arena with the agent at `start` and the
    ring of `goal` (`check_two_room_pair` names a bad one); elsewhere the start and goal frames of pair `pair` of the
    planning evaluation (`environment_pair`), side by side."""
    if environment == TWO_ROOM:
        options = check_two_room_pair(start, goal)
        return arena_frames(np.array([options["start"]]), options["goal"], side)[0]
    start_state, goal_state = environment_pair(environment, int(pair))
    return np.concatenate(state_frames(environment, np.stack([start_state, goal_state]), side), 1)


def seeded_pair(environment: Environment, pair: int, side: int) -> tuple[list[float] | None, np.ndarray]:
    """Pair `pair` of the planning evaluation: TwoRoom's start and goal positions `[x, y, x, y]` (None elsewhere,
    where the pair is its seed) and its `pair_picture`."""
    if environment == TWO_ROOM:
        start, goal = two_room_pair(pair)
        return [*start, *goal], pair_picture(environment, side, start=start, goal=goal)
    return None, pair_picture(environment, side, pair=pair)


@dataclass(frozen=True)
class PlannedEpisode:
    """A planned episode: the environment, the controller's result, the start and goal frames rendered at the
    model's size, the environment's state after every environment step (`replay`), the distance to the goal after
    every model step, the time of every plan, the environment steps per model step and the goal (the reset options'
    when given, else the reset's `info["goal"]`)."""

    environment: Environment
    result: MPCResult
    frames: dict[str, np.ndarray]
    states: np.ndarray
    distances: list[float]
    plan_seconds: list[float]
    frame_step: int
    goal: tuple | np.ndarray

    def pictures(self, side: int) -> list[np.ndarray]:
        """One `side` px frame per environment step: in TwoRoom the arena with the agent's path and the goal's ring
        (`arena_frames`), elsewhere the environment's own rendering of each state (`state_frames`)."""
        if self.environment == TWO_ROOM:
            return arena_frames(self.states, self.goal, side)
        return state_frames(self.environment, self.states, side)

    def curves(self) -> tuple[dict[str, list], dict[str, list]]:
        """The energy of every plan and the true distance to the goal after every model step, as the columns of two
        plots: `model step` and `plan energy`, `model step` and `distance to the goal`."""
        energies, distances = self.result.plan_energies, self.distances
        return (
            {"model step": list(range(len(energies))), "plan energy": energies},
            {"model step": list(range(len(distances))), "distance to the goal": distances},
        )

    def summary(self) -> dict:
        """The numbers, as JSON: success, distances, steps, plan energies and times, and the actions."""
        result = self.result
        return {
            "environment": self.environment.env_id,
            "reached": bool(result.final_info.get("is_success")),
            "final_distance": float(result.final_info["distance"]),
            "frame_step": self.frame_step,
            "model_steps": len(result.actions),
            "environment_steps": len(self.states) - 1,
            "plan_energies": result.plan_energies,
            "distances": self.distances,
            "median_plan_seconds": float(np.median(self.plan_seconds)),
            "executed_actions": torch.stack(result.actions).tolist(),
            "first_plan_actions": result.plans[0].actions.tolist(),
        }


def plan_in_environment(
    model: JEPAWorldModel,
    environment: Environment,
    max_steps: int,
    planner: str = "cem",
    pair: int | None = None,
    options: dict | None = None,
    state_weight: float = 0.0,
    **planner_settings,
) -> PlannedEpisode:
    """Model-predictive control from the start of `reset(seed=pair, options=options)` to the frame of its goal
    (`render_at(info["goal"])`, as `hf-jepa evaluate-planning`), at most `max_steps` model steps, with
    `build_planner(planner, **planner_settings)` (horizon, population, ...) within the environment's action bounds,
    scoring every predicted step and, with `state_weight`, the predicted states against the goal's
    (`info["goal_proprio"]`); a `ValueError` names a bad setting or a model that does not act there."""
    env = environment_at_model_size(model, environment, max_steps)
    _, info = env.reset(seed=pair, options=options)
    frames = {"start": env.unwrapped.render(), "goal": env.unwrapped.render_at(info["goal"])}
    goal_pixels = render_to_pixel_values(frames["goal"], model.config.encoder_config.image_size)
    bounds = dict(action_low=env.action_space.low.tolist(), action_high=env.action_space.high.tolist())
    timed = TimedPlanner(build_planner(planner, action_dim=model.config.action_dim, **bounds, **planner_settings))
    where = f"{environment.env_id} (env_kwargs {environment.env_kwargs})"
    goal_state = read_goal_state(info, where) if state_weight else None
    controller = MPCController.from_world_model(
        model, timed, goal_pixels, all_steps=True, goal_state=goal_state, state_weight=state_weight
    )
    result = controller.run(env, max_steps, seed=pair, options=options)
    env.close()
    states, distances, ends = replay(environment, result.actions, pair, options)
    goal = (options or {}).get("goal", info["goal"])
    distances = [distances[end] for end in ends]
    return PlannedEpisode(environment, result, frames, states, distances, timed.seconds, env.frame_step, goal)


def plan_in_two_room(
    model: JEPAWorldModel, start: tuple, goal: tuple, max_steps: int, planner: str = "cem", **planner_settings
) -> PlannedEpisode:
    """`plan_in_environment` in TwoRoom from `start` to `goal` (its `states` are the agent's positions); a
    `ValueError` names a bad start, goal, setting or model."""
    options = check_two_room_pair(start, goal)
    return plan_in_environment(model, TWO_ROOM, max_steps, planner, options=options, **planner_settings)


@dataclass(frozen=True)
class PlanSettings:
    """The Plan tab's settings: the planner (`cem` or `mppi`), its horizon (model steps per plan), population and
    iterations per plan, the most model steps of the episode, the planner's seed, and the weight of the goal's
    state in the energy (`goal_energy`'s `state_weight`, for models that predict their states)."""

    planner: str
    horizon: int
    population: int
    iterations: int
    max_steps: int
    seed: int
    state_weight: float = 0.0

    def planner_settings(self) -> dict:
        """`build_planner`'s settings; CEM keeps a tenth of the population as elites (at least 2)."""
        population = int(self.population)
        return dict(
            planner=self.planner,
            horizon=int(self.horizon),
            population=population,
            iterations=int(self.iterations),
            seed=int(self.seed),
            num_elites=max(2, population // 10),
        )

    def plan(
        self,
        model: JEPAWorldModel,
        environment: Environment,
        pair: int | None = None,
        start: tuple | None = None,
        goal: tuple | None = None,
    ) -> PlannedEpisode:
        """Model-predictive control in `environment`: in TwoRoom from the typed `start` to `goal`
        (`plan_in_two_room`), elsewhere pair `pair` of the planning evaluation (`plan_in_environment`)."""
        settings = dict(self.planner_settings(), state_weight=float(self.state_weight))
        if environment == TWO_ROOM:
            return plan_in_two_room(model, start, goal, int(self.max_steps), **settings)
        return plan_in_environment(model, environment, int(self.max_steps), pair=pair, **settings)


__all__ = [
    "TWO_ROOM",
    "Environment",
    "PlanSettings",
    "PlannedEpisode",
    "RecordedFrames",
    "arena_frames",
    "check_two_room_pair",
    "environment_at_model_size",
    "environment_frame_step",
    "environment_pair",
    "episodes_environment",
    "imagine",
    "imagined_frames",
    "load_recorded_frames",
    "model_environment",
    "pair_picture",
    "plan_in_environment",
    "plan_in_two_room",
    "replay",
    "seeded_pair",
    "state_frames",
    "two_room_pair",
    "world_model_summary",
]
