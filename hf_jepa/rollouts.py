# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a world model imagines and what its plans do, in TwoRoom.

- `load_recorded_frames`: evenly spaced recorded frames of an episode dataset, encoded by the world model;
- `imagine`: the model's rollout of an action sequence, each predicted latent shown as the nearest recorded frame;
- `two_room_pair`, `check_two_room_pair`, `two_room_env`: the start / goal pairs of `hf-jepa evaluate-planning`
  and the environment a model plans in;
- `replay` and `arena_frames`: the agent's path under executed model actions, drawn frame by frame;
- `plan_in_two_room`: model-predictive control from a start to a goal, with all of the above.
"""

from dataclasses import dataclass

import numpy as np
import torch

from .data import EPISODE_COLUMN, FRAME_COLUMN, check_episode_dataset, load_media_dataset
from .data.episodes import frame_transform, read_frames, render_to_pixel_values
from .envs import TWO_ROOM_ID, TwoRoomEnv, make_env
from .envs.frame_skip import FrameSkip, model_frame_step
from .envs.two_room import FLOOR_COLOR
from .modeling_world_model import JEPAWorldModel
from .planning import MPCController, MPCResult, TimedPlanner, build_planner, latent_distance

GOAL_COLOUR, TRAIL_COLOUR = np.array([30, 160, 60], dtype=np.uint8), np.array([240, 160, 160], dtype=np.uint8)


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
    model: JEPAWorldModel, start_pixels: torch.Tensor, actions: torch.Tensor, recorded: RecordedFrames
) -> tuple[list[int], list[float]]:
    """The model's rollout of `actions [H, A]` from one frame `[3, S, S]`: for each predicted latent, the index in
    `recorded` of the frame whose latent is nearest (in the planners' `latent_distance`) and that distance."""
    start = model.encode(start_pixels[None, None])[0]
    predicted = model.rollout(start[None], model.normalize_actions(actions[None]))[0]  # [H, N, D]
    distances = torch.stack([latent_distance(recorded.latents, latent[None]) for latent in predicted])  # [H, M]
    nearest = distances.argmin(1)
    return nearest.tolist(), distances.gather(1, nearest[:, None])[:, 0].tolist()


def two_room_pair(seed: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The start and goal of pair `seed` of the planning evaluation (TwoRoom's `reset(seed=seed)`: in different
    rooms)."""
    start, info = TwoRoomEnv(render_mode=None).reset(seed=int(seed))
    return tuple(start.tolist()), tuple(info["goal"].tolist())


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


def two_room_frame_step(model: JEPAWorldModel) -> int:
    """TwoRoom steps per model step (the model's action is that many TwoRoom actions); a `ValueError` when the
    model's actions are not whole TwoRoom actions."""
    try:
        return model_frame_step(model.config.action_dim, TwoRoomEnv(render_mode=None))
    except ValueError as error:
        raise ValueError(f"The model does not act in TwoRoom: {error}") from error


def two_room_env(model: JEPAWorldModel, max_model_steps: int) -> FrameSkip:
    """TwoRoom rendered at the model's frame size, one step of it = one model step (`two_room_frame_step`)."""
    frame_step = two_room_frame_step(model)
    env = make_env(TWO_ROOM_ID, model.config.encoder_config.image_size, max_episode_steps=max_model_steps * frame_step)
    return FrameSkip(env, frame_step)


def replay(start: tuple, goal: tuple, actions: list[torch.Tensor]) -> tuple[np.ndarray, list[int]]:
    """The agent's position in TwoRoom after every environment step of the executed model actions (each their
    environment actions concatenated, cut short by success as `FrameSkip` does), and the index of the position each
    model step ends at."""
    arena = TwoRoomEnv(render_mode=None)
    arena.reset(options={"start": start, "goal": goal})
    positions, ends = [arena.position.copy()], [0]
    for action in actions:
        for part in action.numpy().reshape(-1, 2):
            _, _, terminated, _, _ = arena.step(part)
            positions.append(arena.position.copy())
            if terminated:
                break
        ends.append(len(positions) - 1)
    return np.array(positions), ends


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


@dataclass(frozen=True)
class TwoRoomEpisode:
    """A planned episode in TwoRoom: the controller's result, the start and goal frames rendered at the model's size,
    the agent's position after every environment step, its distance to the goal after every model step, the time of
    every plan and the environment steps per model step."""

    result: MPCResult
    frames: dict[str, np.ndarray]
    positions: np.ndarray
    distances: list[float]
    plan_seconds: list[float]
    frame_step: int

    def summary(self) -> dict:
        """The numbers, as JSON: success, distances, steps, plan energies and times, and the actions."""
        result = self.result
        return {
            "reached": bool(result.final_info.get("is_success")),
            "final_distance": float(result.final_info["distance"]),
            "frame_step": self.frame_step,
            "model_steps": len(result.actions),
            "environment_steps": len(self.positions) - 1,
            "plan_energies": result.plan_energies,
            "distances": self.distances,
            "median_plan_seconds": float(np.median(self.plan_seconds)),
            "executed_actions": torch.stack(result.actions).tolist(),
            "first_plan_actions": result.plans[0].actions.tolist(),
        }


def plan_in_two_room(
    model: JEPAWorldModel, start: tuple, goal: tuple, max_steps: int, planner: str = "cem", **planner_settings
) -> TwoRoomEpisode:
    """Model-predictive control in TwoRoom from `start` to the goal frame of `goal`, at most `max_steps` model steps,
    with `build_planner(planner, **planner_settings)` (horizon, population, ...) within TwoRoom's action bounds,
    scoring every predicted step; a `ValueError` names a bad start, goal, setting or model."""
    options = check_two_room_pair(start, goal)
    env = two_room_env(model, max_steps)
    frames = {name: env.unwrapped.render_at(position) for name, position in options.items()}
    goal_pixels = render_to_pixel_values(frames["goal"], model.config.encoder_config.image_size)
    bounds = dict(action_low=env.action_space.low.tolist(), action_high=env.action_space.high.tolist())
    timed = TimedPlanner(build_planner(planner, action_dim=model.config.action_dim, **bounds, **planner_settings))
    result = MPCController.from_world_model(model, timed, goal_pixels, all_steps=True).run(
        env, max_steps, options=options
    )
    env.close()
    positions, ends = replay(options["start"], options["goal"], result.actions)
    distances = np.linalg.norm(positions[ends] - np.asarray(options["goal"]), axis=1).tolist()
    return TwoRoomEpisode(result, frames, positions, distances, timed.seconds, env.frame_step)


__all__ = [
    "RecordedFrames",
    "TwoRoomEpisode",
    "arena_frames",
    "check_two_room_pair",
    "imagine",
    "load_recorded_frames",
    "plan_in_two_room",
    "replay",
    "two_room_env",
    "two_room_frame_step",
    "two_room_pair",
]
