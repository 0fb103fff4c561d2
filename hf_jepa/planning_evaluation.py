# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""How well a world model plans: `evaluate_planning(PlanningEvaluationArguments(...))`.

- Success rate over fixed seeded start / goal pairs (pair `i` is `env.reset(seed=seed + i)`; the goal image is
  `render_at(goal)`), for the model's planner (CEM or MPPI inside `MPCController`), a greedy one-step lookahead on the
  same energy, and a random policy.
- Median time of one plan.
- Latent prediction error at horizons 1..H on held-out episodes, beside copying the last observed frame's latent,
  and the effective rank of the frame embeddings (1 when they have collapsed).
"""

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from transformers import AutoConfig

from .configuration_world_model import JEPAWorldModelConfig
from .data import load_media_dataset
from .data.episodes import EpisodesTooShortError, EpisodeWindows, frame_transform, render_to_pixel_values
from .envs import TWO_ROOM_ID, make_env
from .envs.frame_skip import FrameSkip, model_frame_step
from .evaluation.probes import effective_rank
from .hub.cards import write_world_model_card
from .modeling_world_model import JEPAWorldModel
from .planning import (
    DISTANCES,
    PLAN_RESULTS,
    PLANNERS,
    STATE_FROM_ACTIONS,
    GreedyPlanner,
    MPCController,
    TimedPlanner,
    build_planner,
    read_goal_state,
)
from .tables import format_table

logger = logging.getLogger(__name__)


@dataclass
class PlanningEvaluationArguments:
    """What `hf-jepa evaluate-planning` measures and where it writes the results."""

    model_name_or_path: str = field(metadata={"help": "A JEPAWorldModel checkpoint (folder or Hub id)."})
    env_id: str = field(default=TWO_ROOM_ID, metadata={"help": "An environment with `render_at(goal)` goals."})
    env_kwargs: str | None = field(
        default=None, metadata={"help": 'Extra gymnasium.make arguments, as JSON, e.g. \'{"goal": "task"}\' (Push-T).'}
    )
    num_pairs: int = field(default=50, metadata={"help": "Start / goal pairs; pair i is reset with seed + i."})
    seed: int = field(default=1000, metadata={"help": "Seed of the first pair (and of the planners)."})
    max_steps: int = field(default=100, metadata={"help": "Environment steps per episode at most."})
    frame_step: int | None = field(
        default=None, metadata={"help": "Environment steps per model step (default: action_dim / env action size)."}
    )
    planner: str = field(default="cem", metadata={"help": "cem or mppi."})
    horizon: int = field(default=5, metadata={"help": "Model steps per plan."})
    population: int = field(default=300, metadata={"help": "Candidate action sequences per iteration."})
    iterations: int = field(default=10, metadata={"help": "Planner iterations per plan."})
    num_elites: int = field(default=30, metadata={"help": "CEM elites."})
    min_std: float = field(
        default=0.05, metadata={"help": "Floor of the sampling std, as a fraction of half the action range."}
    )
    momentum_mean: float = field(
        default=0.0, metadata={"help": "CEM: fraction of the previous mean kept at each refit (V-JEPA 2-AC: 0.15)."}
    )
    momentum_std: float = field(
        default=0.0, metadata={"help": "CEM: fraction of the previous std kept at each refit (V-JEPA 2-AC: 0.15)."}
    )
    sample_dims: list[int] | None = field(
        default=None,
        metadata={
            "help": "CEM: the action dimensions sampled (default all); the others stay at the middle of their bounds."
        },
    )
    plan_result: str = field(
        default="best",
        metadata={"help": "best (the best sequence scored) or mean (the final sampling mean, V-JEPA 2-AC's planner)."},
    )
    distance: str = field(default="l2", metadata={"help": "l2 or l1 between predicted and goal latents."})
    state_from_actions: str | None = field(
        default=None,
        metadata={
            "help": "For models with states they do not predict (V-JEPA 2-AC): how the predicted frames' states "
            "follow from the actions: droid_pose (V-JEPA 2-AC's end-effector pose) or add (state + action)."
        },
    )
    state_weight: float = field(
        default=0.0,
        metadata={
            "help": "Weight of the distance between the predicted states and the goal's (info['goal_proprio']), "
            "added to the latents' (DINO-WM's proprioceptive term); for models that predict their states."
        },
    )
    execute_steps: int = field(default=1, metadata={"help": "Model steps executed from each plan before replanning."})
    all_steps: bool = field(
        default=True,
        metadata={
            "help": "Score every predicted step against the goal (TwoRoom: 92 % success vs 64 % for the last; "
            "V-JEPA 2-AC scores the last)."
        },
    )
    baselines: bool = field(default=True, metadata={"help": "Also run the greedy one-step lookahead and random."})
    greedy_population: int = field(default=300, metadata={"help": "Actions the greedy baseline scores per step."})
    heldout_dataset: str | None = field(
        default=None,
        metadata={"help": "Held-out episodes (a save_to_disk or LeRobot folder, or a Hub id) for the latent errors."},
    )
    latent_horizon: int = field(default=5, metadata={"help": "Horizons 1..H of the latent prediction error."})
    latent_windows: int = field(default=256, metadata={"help": "Held-out windows the latent errors average over."})
    output_json: str | None = field(default=None, metadata={"help": "Where to write the results."})

    def __post_init__(self):
        if self.planner not in PLANNERS:
            raise ValueError(f"planner must be one of {PLANNERS}, got {self.planner!r}.")
        if self.plan_result not in PLAN_RESULTS:
            raise ValueError(f"plan_result must be one of {PLAN_RESULTS}, got {self.plan_result!r}.")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance must be one of {DISTANCES}, got {self.distance!r}.")
        if self.state_from_actions not in (None, *STATE_FROM_ACTIONS):
            raise ValueError(
                f"state_from_actions must be one of {tuple(STATE_FROM_ACTIONS)}, got {self.state_from_actions!r}."
            )
        if self.state_weight < 0:
            raise ValueError(f"state_weight must be >= 0, got {self.state_weight}.")
        for name in ("num_pairs", "max_steps", "horizon", "latent_horizon", "latent_windows"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")


def pair_goal(env: gym.Env, seed: int, with_state: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The goal of pair `seed` and, `with_state`, the goal's proprioceptive state (`info["goal_proprio"]`); the
    environment is reset again with the same seed when the pair runs."""
    _, info = env.reset(seed=seed)
    goal_state = read_goal_state(info, env.spec.id if env.spec else str(env)) if with_state else None
    return np.asarray(info["goal"]), goal_state


def run_controller(controller: MPCController, env: gym.Env, seed: int, max_model_steps: int) -> dict:
    result = controller.run(env, max_steps=max_model_steps, seed=seed)
    return {"success": bool(result.final_info.get("is_success")), "distance": result.final_info.get("distance")}


def run_random(env: gym.Env, seed: int, max_steps: int) -> dict:
    """Uniform random actions from the environment's action space (seeded)."""
    env.action_space.seed(seed)
    _, info = env.reset(seed=seed)
    for _ in range(max_steps):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    return {"success": bool(info.get("is_success")), "distance": info.get("distance")}


def load_world_model(model_name_or_path: str) -> JEPAWorldModel:
    """The `JEPAWorldModel` of a checkpoint, in eval mode; another model's checkpoint is a `ValueError` naming it."""
    config = AutoConfig.from_pretrained(model_name_or_path)
    if not isinstance(config, JEPAWorldModelConfig):
        found = (config.architectures or [type(config).__name__])[0]
        raise ValueError(
            f"{model_name_or_path} holds a {found} (model_type {config.model_type!r}), but planning needs a "
            "JEPAWorldModel: train one with `hf-jepa train-world-model`."
        )
    return JEPAWorldModel.from_pretrained(model_name_or_path, config=config).eval()


def planning_env(args: PlanningEvaluationArguments, model: JEPAWorldModel) -> gym.Env:
    """The environment of the pairs, rendering at the model's image size."""
    env_kwargs = json.loads(args.env_kwargs or "{}")
    image_size = model.config.encoder_config.image_size
    return make_env(args.env_id, image_size, max_episode_steps=args.max_steps, **env_kwargs)


def planning_success(
    args: PlanningEvaluationArguments, model: JEPAWorldModel, base_env: gym.Env, frame_step: int
) -> dict:
    """Success rate, final distance and plan times of the planner (and the baselines) over the seeded pairs in
    `base_env`, `frame_step` environment steps per model step; closes the environment."""
    env = FrameSkip(base_env, frame_step)
    max_model_steps = math.ceil(args.max_steps / frame_step)
    image_size = model.config.encoder_config.image_size
    low, high = env.action_space.low.tolist(), env.action_space.high.tolist()
    settings = dict(population=args.population, iterations=args.iterations, action_low=low, action_high=high)
    cem = dict(momentum_mean=args.momentum_mean, momentum_std=args.momentum_std, sample_dims=args.sample_dims)
    planner = build_planner(
        args.planner,
        args.horizon,
        model.config.action_dim,
        num_elites=args.num_elites,
        seed=args.seed,
        min_std=args.min_std,
        plan_result=args.plan_result,
        **settings,
        **cem,
    )
    methods = {args.planner: lambda: TimedPlanner(planner)}
    if args.baselines:
        greedy = dict(population=args.greedy_population, action_low=low, action_high=high, seed=args.seed)
        methods["greedy"] = lambda: TimedPlanner(GreedyPlanner(model.config.action_dim, **greedy))
    outcomes, plan_seconds = {name: [] for name in [*methods, *(["random"] if args.baselines else [])]}, {}
    for name, make_planner in methods.items():
        planner = make_planner()
        for pair in range(args.num_pairs):
            seed = args.seed + pair
            goal, goal_state = pair_goal(env, seed, with_state=args.state_weight > 0)
            controller = MPCController.from_world_model(
                model,
                planner,
                render_to_pixel_values(base_env.unwrapped.render_at(goal), image_size),
                args.execute_steps,
                distance=args.distance,
                all_steps=args.all_steps,
                state_from_actions=args.state_from_actions,
                goal_state=goal_state,
                state_weight=args.state_weight,
            )
            outcomes[name].append(run_controller(controller, env, seed, max_model_steps))
        plan_seconds[name] = float(np.median(planner.seconds))
        logger.info("%s: %d / %d reached", name, sum(o["success"] for o in outcomes[name]), args.num_pairs)
    if args.baselines:
        outcomes["random"] = [run_random(base_env, args.seed + pair, args.max_steps) for pair in range(args.num_pairs)]
    env.close()

    def mean(key: str) -> dict:
        return {name: float(np.mean([outcome[key] for outcome in runs])) for name, runs in outcomes.items()}

    return {
        "frame_step": frame_step,
        "success_rate": mean("success"),
        "mean_final_distance": mean("distance"),
        "median_plan_seconds": plan_seconds,
    }


def heldout_windows(args: PlanningEvaluationArguments, model: JEPAWorldModel, frame_step: int) -> EpisodeWindows:
    """The windows of `args.heldout_dataset` for the latent errors: the model's `history_length` + `latent_horizon`
    frames, `frame_step` environment steps apart. Raises a `ValueError` naming the flags when the episodes are too
    short or their actions are not the model's."""
    config, history, horizon = model.config, model.config.history_length, args.latent_horizon
    try:
        windows = EpisodeWindows(
            load_media_dataset(args.heldout_dataset),
            history,
            horizon,
            frame_transform(config.encoder_config.image_size),
            frame_step=frame_step,
        )
    except EpisodesTooShortError as error:
        fits = (error.longest - 1) // frame_step + 1 - history
        remedy = f"lower --latent_horizon to {fits} at most" if fits >= 1 else "record longer held-out episodes"
        raise ValueError(
            f"The held-out episodes {args.heldout_dataset} are too short for --latent_horizon={horizon}: a window "
            f"is the model's history_length ({history}) + {horizon} frames, {frame_step} environment steps apart, "
            f"and the longest episode has {error.longest} frames; {remedy}."
        ) from error
    if windows.action_dim != config.action_dim:
        raise ValueError(
            f"The held-out episodes {args.heldout_dataset} have actions of {windows.action_dim // frame_step} values "
            f"({windows.action_dim} per model step of frame_step={frame_step}), but the model takes "
            f"{config.action_dim}: were they recorded in another environment than --env_id={args.env_id}?"
        )
    return windows


@torch.no_grad()
def latent_prediction_errors(model: JEPAWorldModel, windows: EpisodeWindows, num_windows: int = 256) -> dict:
    """Mean squared error of the model's autoregressive prediction at horizons 1..H on `num_windows` of the held-out
    `windows` (of `history_length` + H frames), beside copying the last observed latent, plus the effective rank and
    the spread across samples of the frame embeddings (pooled over tokens)."""
    history = model.config.history_length
    horizon = windows.num_frames - history
    indices = np.linspace(0, len(windows) - 1, min(num_windows, len(windows))).round().astype(int)
    model_errors, copy_errors, pooled = [], [], []
    for chunk in np.array_split(indices, max(1, len(indices) // 64)):
        items = [windows[int(index)] for index in chunk]
        pixels = torch.stack([item["pixel_values"] for item in items])
        actions = model.normalize_actions(torch.stack([item["actions"] for item in items]))
        embeddings = model.encode(pixels)  # [B, history + horizon, N, D]
        states = {}
        if model.config.state_dim:
            recorded = model.normalize_states(torch.stack([item["states"] for item in items]))
            states["history_states"] = recorded[:, :history]
            if not model.config.predicts_states:  # the recorded states of the predicted frames, as in training
                states["future_states"] = recorded[:, history:-1]
        predicted = model.rollout(
            embeddings[:, :history], actions[:, history - 1 :], history_actions=actions[:, : history - 1], **states
        )
        future = embeddings[:, history:]
        model_errors.append((predicted - future).pow(2).flatten(2).mean(2))  # [B, horizon]
        copy_errors.append((embeddings[:, history - 1 : history] - future).pow(2).flatten(2).mean(2))
        pooled.append(embeddings.mean(2).flatten(0, 1))
    model_error, copy_error = torch.cat(model_errors).mean(0), torch.cat(copy_errors).mean(0)
    features = torch.cat(pooled)
    return {
        "horizons": list(range(1, horizon + 1)),
        "model_mse": model_error.tolist(),
        "copy_last_mse": copy_error.tolist(),
        "effective_rank": effective_rank(features),
        "embedding_std": float(features.std(0).mean()),
        "num_windows": len(indices),
    }


def results_table(results: dict) -> str:
    """The success / time table, then the latent errors per horizon."""
    planning = results.get("planning")
    lines = []
    if planning:
        rows = [
            [
                name,
                f"{rate:.0%}",
                f"{planning['mean_final_distance'][name]:.3f}",
                f"{planning['median_plan_seconds'][name]:.3f}" if name in planning["median_plan_seconds"] else "-",
            ]
            for name, rate in planning["success_rate"].items()
        ]
        headers = ["policy", f"success ({results['num_pairs']} pairs)", "final distance", "s / plan"]
        lines.append(format_table(headers, rows))
    latent = results.get("latent")
    if latent:
        rows = [
            [h, f"{model:.4g}", f"{copy:.4g}", f"{model / copy:.2f}"]
            for h, model, copy in zip(latent["horizons"], latent["model_mse"], latent["copy_last_mse"])
        ]
        lines.append(format_table(["horizon", "model MSE", "copy-last MSE", "ratio"], rows))
        lines.append(f"effective rank of the frame embeddings: {latent['effective_rank']:.1f}")
    return "\n\n".join(lines)


def evaluate_planning(args: PlanningEvaluationArguments) -> dict:
    """Runs the measurements `args` ask for; writes `output_json` when given, and returns the results (with a
    printable `table`)."""
    model = load_world_model(args.model_name_or_path)
    env = planning_env(args, model)
    frame_step = model_frame_step(model.config.action_dim, env, args.frame_step)
    windows = heldout_windows(args, model, frame_step) if args.heldout_dataset else None  # checked before any pair
    torch.manual_seed(args.seed)
    results = {"model": args.model_name_or_path, "num_pairs": args.num_pairs, "arguments": asdict(args)}
    results["planning"] = planning_success(args, model, env, frame_step)
    if windows is not None:
        results["latent"] = latent_prediction_errors(model, windows, args.latent_windows)
    results["table"] = results_table(results)
    text = json.dumps(results, indent=2) + "\n"
    if args.output_json:
        Path(args.output_json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output_json).write_text(text)
    if Path(args.model_name_or_path, "config.json").is_file():  # a local checkpoint: its card reports the results
        Path(args.model_name_or_path, "planning_results.json").write_text(text)
        write_world_model_card(args.model_name_or_path)
    return results


__all__ = [
    "PlanningEvaluationArguments",
    "evaluate_planning",
    "heldout_windows",
    "latent_prediction_errors",
    "load_world_model",
    "results_table",
]
