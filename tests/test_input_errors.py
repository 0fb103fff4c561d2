# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""User mistakes in the data, evaluation and planning inputs are one clear error that names the bad value, raised
before any model runs: unknown dataset names, non-finite episode data, short or foreign held-out episodes, and the
wrong kind of checkpoint."""

import dataclasses

import datasets
import numpy as np
import PIL.Image
import pytest
from conftest import MICRO

gym = pytest.importorskip("gymnasium")

from hf_jepa import (  # noqa: E402
    JEPAConfig,
    JEPAForPreTraining,
    JEPAWorldModel,
    JEPAWorldModelConfig,
    planning_evaluation,
)
from hf_jepa.data import (  # noqa: E402
    ACTION_COLUMN,
    IMAGE_COLUMN,
    STATE_COLUMN,
    EpisodeWindows,
    compute_normalization_stats,
    load_media_dataset,
    record_episodes,
)
from hf_jepa.envs import TWO_ROOM_ID  # noqa: E402
from hf_jepa.evaluation import EvaluationArguments, evaluate  # noqa: E402
from hf_jepa.planning_evaluation import PlanningEvaluationArguments, evaluate_planning  # noqa: E402

datasets.disable_progress_bars()


@pytest.fixture(scope="module")
def episodes() -> datasets.Dataset:
    """Three real TwoRoom episodes of 5 frames at 16 px (history 2 + latent horizon 5 needs 7)."""
    return record_episodes(gym.make(TWO_ROOM_ID, image_size=16), 3, seed=0, max_steps=4)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    """A micro JEPA and a micro TwoRoom world model (actions of 2 values, one environment step per model step)."""
    folder = tmp_path_factory.mktemp("checkpoints")
    JEPAForPreTraining(JEPAConfig(**MICRO)).save_pretrained(folder / "jepa")
    world_model_config = JEPAWorldModelConfig(
        encoder_config=dict(MICRO),
        action_dim=2,
        history_length=2,
        predictor_hidden_size=24,
        predictor_num_hidden_layers=1,
        predictor_num_attention_heads=2,
    )
    JEPAWorldModel(world_model_config).save_pretrained(folder / "world_model")
    return {name: str(folder / name) for name in ("jepa", "world_model")}


def save(dataset: datasets.Dataset, path) -> str:
    dataset.save_to_disk(str(path))
    return str(path)


def with_value(dataset: datasets.Dataset, column: str, row: int, value) -> datasets.Dataset:
    """`dataset` with `column` of `row` replaced by `value`."""
    return dataset.map(
        lambda old, index: {column: value if index == row else old}, input_columns=column, with_indices=True
    )


def test_an_unknown_dataset_name_lists_what_a_name_can_be():
    with pytest.raises(FileNotFoundError) as error:
        load_media_dataset("fashion_mnist_smal")
    message = str(error.value)
    assert "dataset_name='fashion_mnist_smal' is neither a shipped dataset" in message
    assert "fashion_mnist_small, fashion_mnist, moving_fashion_mnist; did you mean 'fashion_mnist_small'?" in message
    assert "nor a local folder, nor a dataset reachable on the Hub" in message


def test_non_finite_actions_and_states_are_errors_naming_episode_and_frame(episodes, tmp_path):
    nan_action = with_value(episodes, ACTION_COLUMN, 5 + 2, [0.5, np.nan])  # episode 1, frame 2
    nan_action = load_media_dataset(save(nan_action, tmp_path / "a"))
    for load in (compute_normalization_stats, lambda dataset: EpisodeWindows(dataset, 2, 1)):
        with pytest.raises(
            ValueError, match=r"'action' column holds NaN .* 1 row\(s\), the first in episode 1, frame 2,"
        ):
            load(nan_action)
    inf_state = load_media_dataset(save(with_value(episodes, STATE_COLUMN, 14, [np.inf, 0.0]), tmp_path / "s"))
    with pytest.raises(ValueError, match=r"'observation.state' column .* episode 2, frame 4, row 14: \[inf, 0.0\]"):
        compute_normalization_stats(inf_state)


def test_a_float_frame_with_nan_is_an_error_naming_episode_and_frame(episodes, tmp_path):
    frame = np.full((16, 16), 0.5, dtype=np.float32)
    frame[3, 4] = np.nan
    with_nan = with_value(episodes, IMAGE_COLUMN, 6, datasets.Image().encode_example(PIL.Image.fromarray(frame)))
    windows = EpisodeWindows(load_media_dataset(save(with_nan, tmp_path / "f")), history=2, horizon=1)
    assert windows[0]["pixel_values"].isfinite().all()
    with pytest.raises(ValueError, match=r"frame of episode 1, frame 1, row 6: An image of mode 'F' has NaN"):
        windows[3]  # episode 1's first window: rows 5 to 7


def test_planning_checks_the_held_out_episodes_before_any_pair(episodes, checkpoints, tmp_path, monkeypatch):
    def no_pairs(*args):
        raise AssertionError("a pair ran before the held-out episodes were checked")

    monkeypatch.setattr(planning_evaluation, "planning_success", no_pairs)
    args = dict(model_name_or_path=checkpoints["world_model"], latent_horizon=5)
    with pytest.raises(ValueError) as error:
        evaluate_planning(PlanningEvaluationArguments(heldout_dataset=save(episodes, tmp_path / "short"), **args))
    message = str(error.value)
    assert "too short for --latent_horizon=5" in message and "history_length (2) + 5 frames" in message
    assert "the longest episode has 5 frames; lower --latent_horizon to 3 at most" in message

    features = episodes.features.copy()
    features[ACTION_COLUMN] = datasets.List(datasets.Value("float32"), length=3)
    wider = episodes.map(
        lambda action: {ACTION_COLUMN: action + [0.0]}, input_columns=ACTION_COLUMN, features=features
    )
    args.update(heldout_dataset=save(wider, tmp_path / "wider"), latent_horizon=1)
    with pytest.raises(ValueError, match=r"actions of 3 values .* the model takes 2: .* another environment"):
        evaluate_planning(PlanningEvaluationArguments(**args))


def test_a_state_weight_needs_a_model_that_predicts_states(checkpoints):
    with pytest.raises(ValueError, match="state_weight must be >= 0, got -0.5"):
        PlanningEvaluationArguments(model_name_or_path=checkpoints["world_model"], state_weight=-0.5)
    args = PlanningEvaluationArguments(model_name_or_path=checkpoints["world_model"], num_pairs=1, state_weight=1.0)
    with pytest.raises(ValueError, match=r"a model that predicts its states \(this one has state_dim=0"):
        evaluate_planning(args)
    task = dataclasses.replace(args, env_id="hf_jepa/PushT-v0", env_kwargs='{"goal": "task"}')
    with pytest.raises(ValueError, match=r"hf_jepa/PushT-v0 gives no goal state .* weight to 0 \(--state_weight 0\)"):
        evaluate_planning(task)


def test_the_wrong_kind_of_checkpoint_is_named(checkpoints, tmp_path):
    with pytest.raises(ValueError, match=r"holds a JEPAForPreTraining \(model_type 'jepa'\), but planning needs a "):
        evaluate_planning(PlanningEvaluationArguments(model_name_or_path=checkpoints["jepa"]))
    with pytest.raises(ValueError, match=r"holds a JEPAWorldModel, .* such as a JEPAModel, JEPAForPreTraining or"):
        evaluate(EvaluationArguments(model_name_or_path=checkpoints["world_model"], output_dir=str(tmp_path)))
