"""A converted V-JEPA 2-AC model plans in TwoRoom through `evaluate_planning` and fine-tunes on recorded episodes.

TwoRoom's actions and proprioceptive states have 2 values where DROID's have 7, so the tiny official-layout
checkpoint here is the committed fixture's (tests/fixtures/vjepa2_ac, written with the official code) with its
action and state encoders cut to their first 2 input columns: still the official layout, converted by
`convert_ac_checkpoint` as any official file. Its random weights plan at random; what is shown is that every part runs.
"""

import math
from pathlib import Path

import gymnasium as gym
import pytest
import torch
from test_vjepa2_ac import FIXTURE, fine_tune, fixture_script
from torch.utils.data import default_collate

from hf_jepa import JEPAWorldModel
from hf_jepa.convert_world_model import convert_ac_checkpoint
from hf_jepa.data import record_episodes
from hf_jepa.data.episodes import EpisodeWindows, frame_transform
from hf_jepa.envs import TWO_ROOM_ID, RepeatActionPolicy
from hf_jepa.planning_evaluation import PlanningEvaluationArguments, evaluate_planning
from hf_jepa.training import WorldModelTrainingArguments, train_world_model

TWO_ROOM_SIZE = 2  # TwoRoom's action and proprioceptive state: a 2-d move and the agent's position


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """The fixture's official checkpoint with 2-d actions and states, converted into a JEPAWorldModel folder whose
    predictor attends to 2 frames (V-JEPA 2-AC's 8 would need longer episodes)."""
    checkpoint = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    for encoder in ("action_encoder", "state_encoder"):
        key = f"module.{encoder}.weight"
        checkpoint["predictor"][key] = checkpoint["predictor"][key][:, :TWO_ROOM_SIZE].clone()
    folder = tmp_path_factory.mktemp("vjepa2_ac")
    torch.save(checkpoint, folder / "vjepa2_ac_two_room.pt")
    overrides = {**fixture_script.CONFIG_OVERRIDES, "history_length": 2}
    return convert_ac_checkpoint(folder / "vjepa2_ac_two_room.pt", folder / "converted", config_overrides=overrides)


@pytest.fixture(scope="module")
def episodes(tmp_path_factory):
    """Four real TwoRoom episodes of 8 frames at the fixture's 16 px, with the agent's position as the state."""
    path = tmp_path_factory.mktemp("episodes") / "two_room"
    env = gym.make(TWO_ROOM_ID, image_size=fixture_script.CONFIG_OVERRIDES["image_size"])
    dataset = record_episodes(env, 4, policy=RepeatActionPolicy(mean_repeat=4), seed=0, max_steps=7)
    dataset.save_to_disk(str(path))
    return path, dataset


def test_a_converted_ac_model_plans_in_two_room_through_evaluate_planning(converted, episodes):
    path, _ = episodes
    args = PlanningEvaluationArguments(
        model_name_or_path=str(converted),
        num_pairs=2,
        max_steps=4,
        horizon=3,
        population=8,
        iterations=2,
        num_elites=2,
        greedy_population=8,
        # V-JEPA 2-AC's planning: L1 to the last predicted latent, CEM with momentum and no std floor returning its
        # final mean, and the predicted frames' states computed from the actions (TwoRoom's position integrates its
        # moves)
        distance="l1",
        all_steps=False,
        momentum_mean=0.15,
        momentum_std=0.15,
        min_std=0.0,
        plan_result="mean",
        state_from_actions="add",
        heldout_dataset=str(path),
        latent_horizon=2,
        latent_windows=4,
    )
    results = evaluate_planning(args)
    planning = results["planning"]
    assert planning["frame_step"] == 1 and set(planning["success_rate"]) == {"cem", "greedy", "random"}
    assert all(0.0 <= rate <= 1.0 for rate in planning["success_rate"].values())
    assert planning["median_plan_seconds"]["cem"] > 0
    assert len(results["latent"]["model_mse"]) == 2  # rolled out with the recorded states of the predicted frames
    with pytest.raises(ValueError, match="compute them from the actions with state_from_actions"):
        evaluate_planning(PlanningEvaluationArguments(model_name_or_path=str(converted), num_pairs=1, max_steps=1))


def test_a_converted_ac_model_fine_tunes_on_recorded_two_room_episodes(converted, episodes, tmp_path):
    """A few optimiser steps on the model's teacher-forcing + rollout L1 loss, its encoder frozen, then saved."""
    _, dataset = episodes
    model = JEPAWorldModel.from_pretrained(converted)
    config = model.config
    windows = EpisodeWindows(
        dataset, config.rollout_start, config.rollout_steps, frame_transform(config.encoder_config.image_size)
    )
    batch = default_collate([windows[index] for index in range(len(windows))])
    predictor_before = model.predictor.action_embed.weight.detach().clone()
    fine_tune(model, batch, steps=4)
    model.save_pretrained(tmp_path / "fine_tuned")
    tuned = JEPAWorldModel.from_pretrained(tmp_path / "fine_tuned")
    assert not torch.equal(tuned.predictor.action_embed.weight, predictor_before)
    assert all(torch.equal(tuned.encoder.state_dict()[name], t) for name, t in model.encoder.state_dict().items())


def test_train_world_model_fine_tunes_a_converted_ac_model_whole(converted, episodes, tmp_path):
    """`--model_name_or_path`: the converted model trains through the world-model job, its encoder frozen as its
    config says and its raw actions kept raw; data of another action size is one clear error."""
    path, _ = episodes
    values = dict(
        dataset_name=str(path),
        model_name_or_path=str(converted),
        frame_step=1,
        per_device_train_batch_size=4,
        max_steps=2,
        report_to="none",
        dataloader_num_workers=0,
    )
    summary = train_world_model(WorldModelTrainingArguments(output_dir=str(tmp_path / "tuned"), **values))
    assert summary["steps"] == 2 and math.isfinite(summary["final_loss"])
    before, tuned = JEPAWorldModel.from_pretrained(converted), JEPAWorldModel.from_pretrained(tmp_path / "tuned")
    assert tuned.config.action_mean is None and tuned.config.freeze_encoder
    assert all(torch.equal(tuned.encoder.state_dict()[name], t) for name, t in before.encoder.state_dict().items())
    with pytest.raises(ValueError, match="takes actions of 2 values and states of 2; this data has actions of 4"):
        train_world_model(
            WorldModelTrainingArguments(**{**values, "output_dir": str(tmp_path / "b"), "frame_step": 2})
        )
    with pytest.raises(ValueError, match="change the shapes"):
        overrides = {"output_dir": str(tmp_path / "other"), "config_overrides": "predictor_num_hidden_layers=1"}
        train_world_model(WorldModelTrainingArguments(**{**values, **overrides}))
    with pytest.raises(ValueError, match="not both"):
        WorldModelTrainingArguments(output_dir=str(tmp_path), encoder_name_or_path=str(converted), **values)
