# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""A world model's step in an environment: `frame_step` environment steps, its action their actions concatenated."""

import gymnasium as gym
import numpy as np


class FrameSkip(gym.Wrapper):
    """One model step = `frame_step` environment steps: the action is their `frame_step` actions concatenated (as
    `EpisodeWindows` serves them); stops early when the episode ends."""

    def __init__(self, env: gym.Env, frame_step: int):
        super().__init__(env)
        self.frame_step = frame_step
        low, high = env.action_space.low, env.action_space.high
        self.action_space = gym.spaces.Box(np.tile(low, frame_step), np.tile(high, frame_step), dtype=np.float32)

    def step(self, action):
        for part in np.asarray(action, dtype=np.float32).reshape(self.frame_step, -1):
            result = self.env.step(part)
            if result[2] or result[3]:
                break
        return result


def model_frame_step(action_dim: int, env: gym.Env, frame_step: int | None = None) -> int:
    """Environment steps per model step for a model taking actions of `action_dim` values: `frame_step` when given,
    else `action_dim` over the environment's action size; a `ValueError` when they do not match."""
    env_action = int(np.prod(env.action_space.shape))
    frame_step = frame_step or action_dim // env_action
    if frame_step * env_action != action_dim:
        raise ValueError(
            f"The model takes actions of {action_dim} values, the environment {env_action}: "
            f"frame_step={frame_step} does not match (the model's action is frame_step environment actions)."
        )
    return frame_step
