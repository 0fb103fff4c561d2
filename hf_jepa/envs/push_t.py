# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Push-T (`gym-pusht`) for world models and planning: `hf_jepa/PushT-v0`.

gym-pusht's `PushTEnv` is kept for its physics and drawing; this subclass changes what a world model needs:
- `render()` returns the scene at `image_size` pixels (area-averaged from the 512 px drawing), without the cross
  gym-pusht draws at the last action (which fails below 96 px: its line thickness rounds to 0);
- actions are in [-1, 1]², the target of the agent's PD controller relative to the agent:
  `target = agent + action * action_scale` (pixels of the 512 px arena, clipped to it);
- every reset draws a start and a goal, given by `info["goal"]` (a state) and `render_at(goal)` (its frame), so that
  `hf-jepa evaluate-planning` runs on it as on TwoRoom. `goal="reach"` (default): the goal is the state that
  `goal_steps` actions of `push_policy` produce from the start, redrawn until the block has moved by more than the
  tolerance; success is DINO-WM's criterion, `|(agent, block) position - goal's| < position_tolerance` (pixels)
  and block angle within `angle_tolerance`. `goal="task"`: gym-pusht's own task, the T on the green target pose
  (`goal_pose`), success when it covers more than 95 % of it (`info["coverage"]`).

Observations are gym-pusht's state `[agent_x, agent_y, block_x, block_y, block_angle]`; `info["distance"]` is the
block's distance to the goal's in pixels; `info["proprio"]` is the agent's proprioceptive state, its position and
velocity `[x, y, vx, vy]` (DINO-WM's), which `hf-jepa record-episodes` writes as `observation.state` and planning
reads; for reach goals, `info["goal_proprio"]` is the goal's (the agent at the goal's position, at rest), which a
planning energy with `state_weight` compares the predicted states to (the task asks nothing of the agent, so it gives
none). Episodes terminate on success.
"""

import math

import cv2
import gymnasium as gym
import numpy as np
import pygame
from gym_pusht.envs.pusht import PushTEnv as GymPushTEnv
from numpy.typing import ArrayLike

ARENA_SIZE = 512.0
GOALS = ("reach", "task")
STARTS = ("random", "near_target")
# a goal that push_policy does not reach from this many starts in a row is an error, not bad luck
MAX_GOAL_DRAWS = 100


def push_policy(
    observation: ArrayLike, info: dict, rng: np.random.Generator, action_scale: float = 50.0
) -> np.ndarray:
    """A scripted exploration policy that pushes the block: aim at a point drawn around the block's position
    (spread 40 px), or with probability 0.2 take a uniform random action. Use it with `record_episodes(policy=...)`
    or `--policy hf_jepa.envs.push_t:push_policy`."""
    if rng.random() < 0.2:
        return rng.uniform(-1.0, 1.0, 2).astype(np.float32)
    agent, block = np.asarray(observation[:2]), np.asarray(observation[2:4])
    aim = block + rng.normal(0.0, 40.0, 2) - agent
    return np.clip(aim / action_scale, -1.0, 1.0).astype(np.float32)


def angle_difference(first: float, second: float) -> float:
    """The absolute difference of two angles, in [0, pi]."""
    return abs((first - second + math.pi) % (2 * math.pi) - math.pi)


class PushTEnv(GymPushTEnv):
    """Push-T with relative actions, small frames and seeded goals (see the module docstring).

    Args:
        render_mode: "rgb_array" (or None).
        image_size: Side of the rendered frames, in pixels.
        action_scale: Pixels of target offset per unit of action.
        goal: "reach" (a state `goal_steps` scripted pushes away) or "task" (gym-pusht's T pose, coverage > 95 %).
        goal_steps: Actions of `push_policy` from the start to a "reach" goal.
        start: "random" (gym-pusht's starts) or "near_target": the block drawn around the T's target pose (position
            spread `start_spread` pixels, angle spread `start_spread / 100` radians), the agent anywhere, so that
            recorded episodes cover the states the task ends in, which scripted pushes from random starts rarely
            reach.
        start_spread: The spread of "near_target" starts.
        position_tolerance / angle_tolerance: The "reach" success criterion (DINO-WM's: 20 px and pi / 9).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        render_mode: str | None = "rgb_array",
        image_size: int = 64,
        action_scale: float = 50.0,
        goal: str = "reach",
        goal_steps: int = 25,
        position_tolerance: float = 20.0,
        angle_tolerance: float = math.pi / 9,
        start: str = "random",
        start_spread: float = 40.0,
    ):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be 'rgb_array' or None, got {render_mode!r}.")
        if goal not in GOALS:
            raise ValueError(f"goal must be one of {GOALS}, got {goal!r}.")
        if start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {start!r}.")
        if image_size < 8 or goal_steps < 1 or action_scale <= 0 or start_spread < 0:
            raise ValueError(
                f"image_size ({image_size}) must be >= 8, goal_steps ({goal_steps}) >= 1, action_scale "
                f"({action_scale}) > 0, start_spread ({start_spread}) >= 0."
            )
        super().__init__(obs_type="state", render_mode=render_mode)
        self.image_size, self.action_scale = image_size, action_scale
        self.goal, self.goal_steps = goal, goal_steps
        self.start, self.start_spread = start, start_spread
        self.position_tolerance, self.angle_tolerance = position_tolerance, angle_tolerance
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        high = np.array([ARENA_SIZE, ARENA_SIZE, ARENA_SIZE, ARENA_SIZE, 2 * math.pi], np.float32)
        self.observation_space = gym.spaces.Box(np.zeros(5, np.float32), high)
        self.goal_state = np.zeros(5)

    def state(self) -> np.ndarray:
        """`[agent_x, agent_y, block_x, block_y, block_angle]` (float64), the angle in [0, 2 pi)."""
        return np.array([*self.agent.position, *self.block.position, self.block.angle % (2 * math.pi)])

    def place(self, state: ArrayLike) -> None:
        """Puts the agent and the block (at rest) exactly at `state`: the block's angle is set before its position,
        because pymunk turns a body about its centre of gravity (gym-pusht's `_set_state` does the opposite)."""
        self.agent.position, self.agent.velocity = (float(state[0]), float(state[1])), (0.0, 0.0)
        self.block.velocity, self.block.angular_velocity = (0.0, 0.0), 0.0
        self.block.angle = float(state[4])
        self.block.position = (float(state[2]), float(state[3]))
        self.space.reindex_shapes_for_body(self.agent)
        self.space.reindex_shapes_for_body(self.block)

    def _draw_goal(self, start: np.ndarray) -> np.ndarray | None:
        """The "reach" goal: `goal_steps` scripted actions from `start` (None when the block stays within the
        tolerance); the scene is put back at `start`."""
        for _ in range(self.goal_steps):
            self._move(push_policy(self.state(), {}, self.np_random, self.action_scale))
        goal = self.state()
        self._setup()
        self.place(start)
        moved = np.linalg.norm(goal[2:4] - start[2:4]) >= self.position_tolerance
        turned = angle_difference(goal[4], start[4]) >= self.angle_tolerance
        return goal if moved or turned else None

    def _near_target_start(self) -> np.ndarray:
        """A start with the block around the target pose (kept inside the arena) and the agent anywhere."""
        x, y, angle = self.goal_pose
        block = np.clip([x, y] + self.np_random.normal(0.0, self.start_spread, 2), 100.0, 400.0)
        agent = self.np_random.uniform(50.0, 450.0, 2)
        return np.array(
            [*agent, *block, (angle + self.np_random.normal(0.0, self.start_spread / 100)) % (2 * math.pi)]
        )

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        for _ in range(MAX_GOAL_DRAWS):
            super().reset(seed=seed, options=options)
            seed = None  # a redraw continues the seeded generator
            start = self.state() if self.start == "random" else self._near_target_start()
            self._setup()
            self.place(start)
            if self.goal == "task":
                self.goal_state = np.array([*start[:2], *self.goal_pose])
                break
            goal = self._draw_goal(start)
            if goal is not None:
                self.goal_state = goal
                break
        else:
            raise RuntimeError(f"push_policy moved the block in none of {MAX_GOAL_DRAWS} draws of a reach goal.")
        return self.state().astype(np.float32), self._info()

    def _move(self, action) -> None:
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape != (2,):
            raise ValueError(f"A Push-T action has 2 values (in [-1, 1]), got {action.size}.")
        action = np.clip(action, -1.0, 1.0)
        target = np.clip(np.asarray(self.agent.position) + action * self.action_scale, 0.0, ARENA_SIZE)
        super().step(target)

    def _info(self) -> dict:
        state = self.state()
        coverage = self._get_coverage()
        if self.goal == "task":
            success = coverage > self.success_threshold
        else:
            close = np.linalg.norm(state[:4] - self.goal_state[:4]) < self.position_tolerance
            success = bool(close and angle_difference(state[4], self.goal_state[4]) < self.angle_tolerance)
        info = {
            "goal": self.goal_state.astype(np.float32),
            "distance": float(np.linalg.norm(state[2:4] - self.goal_state[2:4])),
            "angle_error": angle_difference(state[4], self.goal_state[4]),
            "coverage": coverage,
            "is_success": bool(success),
            "proprio": np.array([*self.agent.position, *self.agent.velocity], dtype=np.float32),
        }
        if self.goal == "reach":  # the task asks nothing of the agent
            info["goal_proprio"] = np.array([*self.goal_state[:2], 0.0, 0.0], dtype=np.float32)
        return info

    def step(self, action):
        self._move(action)
        info = self._info()
        reward = float(info["is_success"])
        return self.state().astype(np.float32), reward, info["is_success"], False, info

    def _frame(self) -> np.ndarray:
        pixels = np.asarray(pygame.surfarray.pixels3d(self._draw())).transpose(1, 0, 2)
        return cv2.resize(pixels, (self.image_size, self.image_size), interpolation=cv2.INTER_AREA)

    def render_at(self, state: ArrayLike) -> np.ndarray:
        """The frame, uint8 `[image_size, image_size, 3]`, with the agent and block at `state` (e.g. a goal)."""
        current = self.state()
        velocities = (self.agent.velocity, self.block.velocity, self.block.angular_velocity)
        self.place(state)
        frame = self._frame()
        self.place(current)
        self.agent.velocity, self.block.velocity, self.block.angular_velocity = velocities
        return frame

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("PushTEnv.render() called without render_mode='rgb_array'.")
            return None
        return self._frame()
