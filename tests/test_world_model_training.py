# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Training a world model with `train_world_model` on real TwoRoom episodes, resuming it, and measuring planning."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState
from datasets import load_from_disk
from safetensors.torch import load_file
from transformers import AutoModel

gym = pytest.importorskip("gymnasium")

from conftest import MICRO  # noqa: E402

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAWorldModel  # noqa: E402
from hf_jepa.data import compute_normalization_stats, record_episodes  # noqa: E402
from hf_jepa.data.episodes import describe_environment  # noqa: E402
from hf_jepa.envs import RepeatActionPolicy, TwoRoomEnv  # noqa: E402  (registers hf_jepa/TwoRoom-v0)
from hf_jepa.planning import CEMPlanner, MPCController  # noqa: E402
from hf_jepa.planning_evaluation import PlanningEvaluationArguments, evaluate_planning  # noqa: E402
from hf_jepa.training import NonFiniteTrainingError, WorldModelTrainingArguments, train_world_model  # noqa: E402

TINY = (
    "history_length=2,rollout_steps=1,predictor_hidden_size=24,predictor_num_hidden_layers=1,"
    "predictor_num_attention_heads=2,sigreg_projector_size=16,sigreg_num_projections=32,encoder.image_size=16,"
    "encoder.hidden_size=32,encoder.num_hidden_layers=1,encoder.num_attention_heads=2"
)


@pytest.fixture(autouse=True)
def fresh_accelerator_state_on_one_thread():
    """Accelerate keeps one global state per process; tiny models run far faster on one thread of a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture(scope="module")
def episodes(tmp_path_factory):
    """Eight real TwoRoom episodes of 12 frames at 16 px, recorded with the repeat-action policy."""
    path = tmp_path_factory.mktemp("episodes") / "two_room"
    env = gym.make("hf_jepa/TwoRoom-v0", image_size=16)
    dataset = record_episodes(env, 8, policy=RepeatActionPolicy(mean_repeat=4), seed=0, max_steps=11)
    dataset.save_to_disk(str(path))
    return path, dataset


def quick_args(output_dir, dataset_path, **overrides) -> WorldModelTrainingArguments:
    values = dict(
        dataset_name=str(dataset_path),
        output_dir=str(output_dir),
        config_overrides=TINY,
        frame_step=2,
        per_device_train_batch_size=8,
        max_steps=3,
        logging_steps=1,
        learning_rate=1e-3,
        warmup_steps=1,
        report_to="none",
        dataloader_num_workers=0,
        seed=0,
    )
    return WorldModelTrainingArguments(**{**values, **overrides})


def test_training_writes_a_model_that_loads_with_auto_model_and_carries_the_action_stats(tmp_path, episodes):
    path, dataset = episodes
    summary = train_world_model(quick_args(tmp_path, path))
    assert summary["steps"] == 3 and np.isfinite(summary["final_loss"])
    model = AutoModel.from_pretrained(tmp_path)
    assert isinstance(model, JEPAWorldModel) and model.config.action_dim == 4  # frame_step 2 x 2
    stats = compute_normalization_stats(dataset)["action"]
    np.testing.assert_allclose(model.config.action_mean, stats["mean"] * 2, rtol=1e-6)
    np.testing.assert_allclose(model.config.action_std, stats["std"] * 2, rtol=1e-6)
    records = [json.loads(line) for line in (tmp_path / "log_history.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == [1, 2, 3]
    assert all(record["train/sigreg_loss"] > 0 and "train/ema_momentum" not in record for record in records)
    card = (tmp_path / "README.md").read_text()
    assert "world-model" in card and "Optimisation steps" in card


def test_a_frozen_pretrained_encoder_stays_as_it_was(tmp_path, episodes):
    path, _ = episodes
    pretrained = JEPAForPreTraining(JEPAConfig(**MICRO))
    pretrained.save_pretrained(tmp_path / "encoder")
    own = "history_length=2,rollout_steps=1,predictor_hidden_size=24,predictor_num_hidden_layers=1"
    args = quick_args(tmp_path / "model", path, config_overrides=own, encoder_name_or_path=str(tmp_path / "encoder"))
    train_world_model(args)
    model = JEPAWorldModel.from_pretrained(tmp_path / "model")
    assert model.config.freeze_encoder and model.config.predictor_num_hidden_layers == 1
    for name, tensor in pretrained.target_encoder.state_dict().items():
        assert torch.equal(model.encoder.state_dict()[name], tensor), name


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, episodes):
    path, _ = episodes
    train_world_model(quick_args(tmp_path / "reference", path, max_steps=4, checkpointing_steps=2))
    interrupted = tmp_path / "interrupted"
    train_world_model(quick_args(interrupted, path, max_steps=4, checkpointing_steps=2))
    # what a run killed after its step-2 checkpoint leaves behind
    shutil.rmtree(interrupted / "checkpoint-4")
    (interrupted / "model.safetensors").unlink()
    lines = (interrupted / "log_history.jsonl").read_text().splitlines()
    (interrupted / "log_history.jsonl").write_text("\n".join(lines[:2]) + "\n")
    AcceleratorState._reset_state(reset_partial_state=True)
    train_world_model(
        quick_args(interrupted, path, max_steps=4, checkpointing_steps=2, resume_from_checkpoint="latest")
    )

    def losses(folder):
        return [json.loads(line)["train/loss"] for line in (folder / "log_history.jsonl").read_text().splitlines()]

    assert losses(interrupted) == pytest.approx(losses(tmp_path / "reference"), rel=1e-5)
    expected, actual = (
        load_file(tmp_path / "reference" / "model.safetensors"),
        load_file(interrupted / "model.safetensors"),
    )
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, rtol=1e-5, atol=1e-6, msg=name)


def test_evaluate_planning_runs_end_to_end(tmp_path, episodes):
    path, _ = episodes
    train_world_model(quick_args(tmp_path / "model", path))
    args = PlanningEvaluationArguments(
        model_name_or_path=str(tmp_path / "model"),
        num_pairs=3,
        max_steps=6,
        horizon=2,
        population=8,
        iterations=2,
        num_elites=2,
        greedy_population=8,
        heldout_dataset=str(path),
        latent_horizon=2,
        latent_windows=8,
        output_json=str(tmp_path / "planning.json"),
    )
    results = evaluate_planning(args)
    planning = results["planning"]
    assert set(planning["success_rate"]) == {"cem", "greedy", "random"}
    assert all(0.0 <= rate <= 1.0 for rate in planning["success_rate"].values())
    assert planning["frame_step"] == 2 and planning["median_plan_seconds"]["cem"] > 0
    latent = results["latent"]
    assert latent["horizons"] == [1, 2] and len(latent["model_mse"]) == len(latent["copy_last_mse"]) == 2
    assert latent["effective_rank"] >= 1.0
    assert json.loads((tmp_path / "planning.json").read_text())["num_pairs"] == 3
    assert "copy-last MSE" in results["table"] and "greedy" in results["table"]
    assert "## Planning" in (tmp_path / "model" / "README.md").read_text()  # the model card reports the results


def oracle_energy_for(env: TwoRoomEnv, goal: np.ndarray):
    """The true dynamics as the energy: the distance to the goal where each candidate action sequence ends."""

    def energy_for(observations, actions):
        start = np.asarray(observations[-1], dtype=np.float64)

        def energy(candidates: torch.Tensor) -> torch.Tensor:
            ends = []
            for sequence in candidates.numpy():
                position = start
                for action in sequence:
                    position = env.move(position, action)
                ends.append(np.linalg.norm(position - goal))
            return torch.tensor(ends)

        return energy

    return energy_for


def test_planning_on_two_room_beats_the_random_policy_on_an_easy_pair():
    """The planner and MPC loop on the real TwoRoom, with an oracle energy on the true state (a world model trained
    for a few test-sized steps does not reliably beat random; the benchmark measures the learned one)."""
    options = {"start": (0.2, 0.3), "goal": (0.4, 0.55)}
    env = TwoRoomEnv(render_mode=None)
    planner = CEMPlanner(horizon=4, action_dim=2, population=32, iterations=3, num_elites=4, seed=0)
    controller = MPCController(planner, oracle_energy_for(env, np.asarray(options["goal"])))
    planned = controller.run(env, max_steps=20, seed=0, options=options)
    assert planned.final_info["is_success"] and len(planned.actions) < 20

    _, info = env.reset(seed=0, options=options)
    rng = np.random.default_rng(0)
    for _ in range(20):
        _, _, done, _, info = env.step(rng.uniform(-1, 1, 2))
        if done:
            break
    assert not info["is_success"] and info["distance"] > planned.final_info["distance"]


def test_clear_errors_for_short_episodes_and_a_wrong_action_size(tmp_path, episodes):
    path, _ = episodes
    with pytest.raises(ValueError, match="No episode is long enough"):
        train_world_model(quick_args(tmp_path / "a", path, frame_step=6))
    with pytest.raises(ValueError, match="action_dim=3.*frame_step x the dataset's action size"):
        train_world_model(quick_args(tmp_path / "b", path, config_overrides=TINY + ",action_dim=3"))
    with pytest.raises(ValueError, match="config_overrides: encoder.hidden_size expects a value of type int"):
        train_world_model(quick_args(tmp_path / "b", path, config_overrides=TINY + ",encoder.hidden_size=3x"))
    with pytest.raises(ValueError, match="needs --dataset_name|Give --dataset_name"):
        WorldModelTrainingArguments(output_dir=str(tmp_path / "c"))
    train_world_model(quick_args(tmp_path / "model", path, max_steps=1))
    model = JEPAWorldModel.from_pretrained(tmp_path / "model")
    with pytest.raises(ValueError, match="action_dim=4"):
        model.rollout(torch.zeros(1, 1, 1, 32), torch.zeros(1, 2, 2))


def test_a_nonfinite_loss_stops_training_before_it_saves_a_model(tmp_path, episodes):
    path, _ = episodes
    args = quick_args(tmp_path, path, learning_rate=1e30, warmup_steps=0, max_steps=6, max_nonfinite_steps=1)
    with pytest.raises(NonFiniteTrainingError, match="step 3: the loss is not finite.*no checkpoint was saved"):
        train_world_model(args)
    assert not (tmp_path / "model.safetensors").exists()


def test_resuming_with_another_action_size_names_the_fields_that_differ(tmp_path, episodes):
    path, _ = episodes
    train_world_model(quick_args(tmp_path, path, max_steps=2, checkpointing_steps=2))
    AcceleratorState._reset_state(reset_partial_state=True)
    with pytest.raises(ValueError, match=r"another model .*: action_dim 4 -> 2; action_mean"):
        train_world_model(quick_args(tmp_path, path, frame_step=1, max_steps=2, resume_from_checkpoint="latest"))


def test_the_trained_model_records_the_environment_its_episodes_name(tmp_path, episodes):
    dataset = load_from_disk(str(episodes[0]))  # a copy: the module's episodes stay unnamed
    describe_environment(dataset, "hf_jepa/TwoRoom-v0", {"image_size": 16})
    dataset.save_to_disk(str(tmp_path / "named"))
    train_world_model(quick_args(tmp_path / "model", tmp_path / "named", max_steps=2))
    config = JEPAWorldModel.from_pretrained(tmp_path / "model").config
    assert config.env_id == "hf_jepa/TwoRoom-v0" and config.env_kwargs == {"image_size": 16}


def test_fine_tuning_a_trained_model_keeps_its_normalisation_statistics(tmp_path, episodes):
    path, _ = episodes
    train_world_model(quick_args(tmp_path / "first", path, max_steps=1))
    first = JEPAWorldModel.from_pretrained(tmp_path / "first").config
    # other episodes, other statistics: the model still reads its actions as it learnt them
    args = quick_args(tmp_path / "tuned", path, config_overrides=None, max_steps=1, max_train_samples=48)
    train_world_model(dataclasses.replace(args, model_name_or_path=str(tmp_path / "first")))
    tuned = JEPAWorldModel.from_pretrained(tmp_path / "tuned").config
    assert (tuned.action_mean, tuned.action_std) == (first.action_mean, first.action_std)
