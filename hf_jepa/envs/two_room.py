# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""TwoRoom: a fast 2-D navigation task for world models and planning.

A point agent (a disc) moves in the unit square, split in two rooms by a vertical wall with a door. Positions are
`(x, y)` in [0, 1], `y` growing downwards like image rows. An action in [-1, 1]² is a displacement of at most
`max_step` per axis; a move that meets a wall stops where the disc touches it and the rest of the move slides along
the wall (no tunnelling, however long the step).
Frames are drawn with numpy: the agent and the walls, not the goal, so a goal is given by `render_at(goal)`.
"""

import gymnasium as gym
import numpy as np

AGENT_COLOR = np.array([220, 40, 40], dtype=np.uint8)
WALL_COLOR = np.array([60, 60, 60], dtype=np.uint8)
FLOOR_COLOR = np.array([235, 235, 235], dtype=np.uint8)
# a move stops this far before the wall it hits, so the agent never starts a step inside a wall
CONTACT_GAP = 1e-6


def _entry_time(start: np.ndarray, move: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[float, int]:
    """The fraction of `move` at which the segment from `start` enters the open box `(low, high)` (inf if it does
    not), and the axis of the face it enters through (slab method)."""
    enter, leave, face = -np.inf, np.inf, 0
    for axis in range(2):
        if move[axis] == 0.0:
            if not low[axis] < start[axis] < high[axis]:
                return np.inf, 0
            continue
        t1, t2 = (low[axis] - start[axis]) / move[axis], (high[axis] - start[axis]) / move[axis]
        if min(t1, t2) > enter:
            enter, face = min(t1, t2), axis
        leave = min(leave, max(t1, t2))
    if enter > leave or leave <= 0.0 or enter > 1.0:
        return np.inf, 0
    return max(enter, 0.0), face


def _exit_time(start: np.ndarray, move: np.ndarray, low: float, high: float) -> tuple[float, int]:
    """The fraction of `move` at which the segment from `start` leaves the square `[low, high]²` (inf if it does
    not), and the axis it leaves along."""
    time, face = np.inf, 0
    for axis in range(2):
        bound = high if move[axis] > 0.0 else low
        if move[axis] != 0.0 and (bound - start[axis]) / move[axis] < time:
            time, face = max((bound - start[axis]) / move[axis], 0.0), axis
    return (time, face) if time <= 1.0 else (np.inf, 0)


class TwoRoomEnv(gym.Env):
    """Two rooms joined by a door; reach the goal (within `goal_tolerance`) to succeed.

    Observation: the agent's position, `Box(0, 1, (2,), float32)`. Action: `Box(-1, 1, (2,), float32)`, scaled by
    `max_step`. `reset(seed=..., options={"start": xy, "goal": xy})`: by default a random start and a random goal
    in the other room. `info` holds `goal`, `distance`, `is_success` and `proprio` (the agent's proprioceptive
    state, its position: what `hf-jepa record-episodes` writes as `observation.state` and planning reads) and
    `goal_proprio` (the goal's, for a planning energy on states); an episode
    terminates on success (and is truncated by the `max_episode_steps` of `gymnasium.make`). Reward: 1 on success,
    else 0.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        render_mode: str | None = "rgb_array",
        image_size: int = 64,
        max_step: float = 0.05,
        agent_radius: float = 0.05,
        wall_thickness: float = 0.04,
        door_width: float = 0.3,
        goal_tolerance: float = 0.05,
    ):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be 'rgb_array' or None, got {render_mode!r}.")
        if door_width <= 2 * agent_radius:
            raise ValueError(f"door_width={door_width} must exceed the agent's diameter {2 * agent_radius}.")
        self.render_mode = render_mode
        self.image_size = image_size
        self.max_step = max_step
        self.agent_radius = agent_radius
        self.goal_tolerance = goal_tolerance
        self.wall_low, self.wall_high = 0.5 - wall_thickness / 2, 0.5 + wall_thickness / 2
        self.door_low, self.door_high = 0.5 - door_width / 2, 0.5 + door_width / 2
        self.observation_space = gym.spaces.Box(0.0, 1.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self._background = self._draw_background()
        self.position = np.full(2, 0.25)
        self.goal = np.full(2, 0.75)

    # geometry: the wall pieces grown by the agent's radius, so that the agent's centre is a point among boxes
    def _obstacles(self) -> list[tuple[np.ndarray, np.ndarray]]:
        r = self.agent_radius
        x_low, x_high = self.wall_low - r, self.wall_high + r
        return [
            (np.array([x_low, -1.0]), np.array([x_high, self.door_low + r])),  # above the door
            (np.array([x_low, self.door_high - r]), np.array([x_high, 2.0])),  # below the door
        ]

    def is_free(self, position) -> bool:
        """Whether the agent fits at `position` (inside the arena, clear of the walls)."""
        position = np.asarray(position, dtype=np.float64)
        r = self.agent_radius
        inside = bool(np.all(position >= r) and np.all(position <= 1.0 - r))
        return inside and not any(
            np.all(position > low) and np.all(position < high) for low, high in self._obstacles()
        )

    def room_of(self, position) -> int:
        """0 for the left room, 1 for the right one."""
        return int(position[0] >= 0.5)

    def _first_contact(self, position: np.ndarray, displacement: np.ndarray) -> tuple[float, int]:
        r = self.agent_radius
        contacts = [_exit_time(position, displacement, r, 1.0 - r)]
        contacts += [_entry_time(position, displacement, low, high) for low, high in self._obstacles()]
        return min(contacts)

    def move(self, position: np.ndarray, action: np.ndarray) -> np.ndarray:
        """Where the agent at `position` ends up after `action`. At a wall the move stops; what is left of it slides
        along the wall (the component into the wall is dropped), so no move crosses a wall however long it is."""
        position = np.asarray(position, dtype=np.float64)
        displacement = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0) * self.max_step
        for _ in range(2):  # a second contact can only stop the slide
            time, axis = self._first_contact(position, displacement)
            if time > 1.0:
                return position + displacement
            length = float(np.linalg.norm(displacement))
            position = position + max(time - CONTACT_GAP / length, 0.0) * displacement
            displacement = (1.0 - time) * displacement
            displacement[axis] = 0.0
        return position

    def _sample_free(self, room: int) -> np.ndarray:
        r = self.agent_radius
        x_range = (r, self.wall_low - r) if room == 0 else (self.wall_high + r, 1.0 - r)
        return np.array([self.np_random.uniform(*x_range), self.np_random.uniform(r, 1.0 - r)])

    def _checked_position(self, value, name: str) -> np.ndarray:
        position = np.asarray(value, dtype=np.float64).reshape(-1)
        if position.shape != (2,) or not self.is_free(position):
            raise ValueError(
                f"options[{name!r}]={value!r} is not a free position: give (x, y) in "
                f"[{self.agent_radius}, {1 - self.agent_radius}] clear of the wall at x in "
                f"[{self.wall_low}, {self.wall_high}] (door: y in [{self.door_low}, {self.door_high}])."
            )
        return position

    def _info(self) -> dict:
        distance = float(np.linalg.norm(self.position - self.goal))
        return {
            "goal": self.goal.astype(np.float32),
            "distance": distance,
            "is_success": distance < self.goal_tolerance,
            "proprio": self.position.astype(np.float32),
            "goal_proprio": self.goal.astype(np.float32),
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        start_room = int(self.np_random.integers(2))
        if "start" in options:
            self.position = self._checked_position(options["start"], "start")
            start_room = self.room_of(self.position)
        else:
            self.position = self._sample_free(start_room)
        if "goal" in options:
            self.goal = self._checked_position(options["goal"], "goal")
        else:
            self.goal = self._sample_free(1 - start_room)
        return self.position.astype(np.float32), self._info()

    def step(self, action):
        self.position = self.move(self.position, action)
        info = self._info()
        reward = float(info["is_success"])
        return self.position.astype(np.float32), reward, info["is_success"], False, info

    def _pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        centres = (np.arange(self.image_size) + 0.5) / self.image_size
        return centres[None, :], centres[:, None]  # x along columns, y along rows

    def _draw_background(self) -> np.ndarray:
        x, y = self._pixel_centres()
        wall = (x >= self.wall_low) & (x <= self.wall_high) & ((y < self.door_low) | (y > self.door_high))
        frame = np.broadcast_to(FLOOR_COLOR, (self.image_size, self.image_size, 3)).copy()
        frame[wall] = WALL_COLOR
        return frame

    def render_at(self, position) -> np.ndarray:
        """The frame, uint8 `[image_size, image_size, 3]`, with the agent at `position` (e.g. a goal image)."""
        x, y = self._pixel_centres()
        agent = (x - position[0]) ** 2 + (y - position[1]) ** 2 <= self.agent_radius**2
        frame = self._background.copy()
        frame[agent] = AGENT_COLOR
        return frame

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("TwoRoomEnv.render() called without render_mode='rgb_array'.")
            return None
        return self.render_at(self.position)


class RepeatActionPolicy:
    """A random policy that keeps each uniformly drawn action for a random number of steps (geometric, mean
    `mean_repeat`), so that a random walk travels far enough to cross TwoRoom's door; a plain random policy rarely
    does. Use it with `record_episodes(policy=...)` or `--policy hf_jepa.envs.two_room:repeat_action_policy`. It draws
    from the recorder's generator only, so a recording is reproducible; a new generator restarts it."""

    def __init__(self, mean_repeat: float = 8.0, low: float = -1.0, high: float = 1.0, action_dim: int = 2):
        if mean_repeat < 1:
            raise ValueError(f"mean_repeat must be >= 1, got {mean_repeat}.")
        self.mean_repeat, self.low, self.high, self.action_dim = mean_repeat, low, high, action_dim
        self._rng, self._action = None, None

    def __call__(self, observation, info: dict, rng: np.random.Generator) -> np.ndarray:
        if rng is not self._rng:
            self._rng, self._action = rng, None
        if self._action is None or rng.random() < 1.0 / self.mean_repeat:
            self._action = rng.uniform(self.low, self.high, self.action_dim).astype(np.float32)
        return self._action


repeat_action_policy = RepeatActionPolicy()
