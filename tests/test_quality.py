import dataclasses
import json

import pytest
import torch
import yaml

from hf_jepa import JEPAMaskCollator, quality
from hf_jepa.benchmark import training_flops
from hf_jepa.quality import QualityBenchmarkArguments, effective_rank, run_quality_benchmark
from hf_jepa.training.arguments import public_arguments
from hf_jepa.training.pretraining import build_model


def test_effective_rank_counts_the_dimensions_in_use():
    torch.manual_seed(0)
    assert effective_rank(torch.randn(4000, 8)) == pytest.approx(8.0, rel=0.05)
    assert effective_rank(torch.randn(500, 1) * torch.ones(1, 8)) == pytest.approx(1.0, abs=1e-6)
    two = torch.cat([torch.randn(500, 2), torch.zeros(500, 6)], dim=1)
    assert effective_rank(two) == pytest.approx(2.0, rel=0.1)


def write_recipe(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            dict(
                config_name_or_path="tiny",
                config_overrides="num_hidden_layers=2,pred_num_hidden_layers=1",
                per_device_train_batch_size=16,
                max_steps=2,
                dataloader_num_workers=0,
                max_train_samples=64,
            )
        )
    )
    return recipe


def test_quality_benchmark_reports_every_model_and_seed(tmp_path, monkeypatch):
    args = QualityBenchmarkArguments(
        recipe=str(write_recipe(tmp_path)),
        dataset_name="fashion_mnist_small",
        seeds=[0, 1],
        max_eval_samples=120,
        linear_epochs=3,
        output_dir=str(tmp_path / "out"),
        json=str(tmp_path / "quality.json"),
    )
    result = run_quality_benchmark(args)
    assert {(run["seed"], run["model"]) for run in result["runs"]} == {
        (seed, model) for seed in (0, 1) for model in ("trained", "random-init", "raw-pixels")
    }
    for run in result["runs"]:
        assert 0.0 < run["knn"] <= 1.0 and 0.0 < run["linear"] <= 1.0 and run["effective_rank"] >= 1.0
    pixels = [run for run in result["runs"] if run["model"] == "raw-pixels"]
    assert pixels[0]["knn"] == pytest.approx(pixels[1]["knn"], abs=0.15)  # same data, another probe seed
    mean, std = result["summary"]["trained"]["knn"]
    trained = [run["knn"] for run in result["runs"] if run["model"] == "trained"]
    assert mean == pytest.approx(sum(trained) / 2) and std == pytest.approx(abs(trained[0] - trained[1]) / 2)
    assert json.loads((tmp_path / "quality.json").read_text())["summary"]["raw-pixels"]["linear"][0] > 0.3

    # run again, it reuses every finished seed instead of pretraining again; other probe settings run them again
    def pretrain_again(_):
        raise AssertionError("pretrained again")

    monkeypatch.setattr(quality, "pretrain", pretrain_again)
    assert run_quality_benchmark(args)["runs"] == result["runs"]
    with pytest.raises(AssertionError, match="pretrained again"):
        run_quality_benchmark(dataclasses.replace(args, linear_epochs=4))


def test_an_interrupted_seed_resumes_only_a_run_of_the_same_arguments(tmp_path, monkeypatch):
    args = QualityBenchmarkArguments(
        recipe=str(write_recipe(tmp_path)), dataset_name="fashion_mnist_small", seeds=[0], output_dir=str(tmp_path)
    )
    seed_dir = tmp_path / "seed-0"
    (seed_dir / "checkpoint-1").mkdir(parents=True)  # a seed interrupted after its first checkpoint
    (seed_dir / "training_args.json").write_text(json.dumps(public_arguments(quality.recipe_arguments(args, 0))))

    class Interrupted(Exception):
        pass

    started = []

    def pretrain(training):
        started.append((training.resume_from_checkpoint, (seed_dir / "checkpoint-1").exists()))
        raise Interrupted

    monkeypatch.setattr(quality, "pretrain", pretrain)
    with pytest.raises(Interrupted):
        run_quality_benchmark(args)
    assert started[-1] == ("latest", True)
    with pytest.raises(Interrupted):  # another step count: start afresh, without the other run's checkpoints
        run_quality_benchmark(dataclasses.replace(args, max_steps=3))
    assert started[-1] == (None, False)


def test_flop_budget_buys_every_seed_the_steps_of_the_recipes_mean_step_cost(tmp_path):
    args = QualityBenchmarkArguments(
        recipe=str(write_recipe(tmp_path)),
        dataset_name="fashion_mnist_small",
        seeds=[3],
        max_eval_samples=60,
        linear_epochs=1,
        baselines=False,
        output_dir=str(tmp_path / "out"),
    )
    seed_zero = quality.recipe_arguments(args, 0)
    per_step = quality.step_flops(seed_zero)
    assert quality.step_flops(quality.recipe_arguments(args, 3)) == per_step  # the recipe's cost, not the seed's

    # a budget of 2.4 steps trains 2, and reports their compute
    (run,) = run_quality_benchmark(dataclasses.replace(args, train_tflops=2.4 * per_step / 1e12))["runs"]
    assert run["steps"] == 2 and run["training_tflops"] == pytest.approx(2 * per_step / 1e12)

    # the cost is the mean over the mask draws of the benchmark's count of each drawn batch
    model, _ = build_model(seed_zero)
    example = {"pixel_values": torch.zeros(3, 32, 32)}
    collator = JEPAMaskCollator(model.config, seed=0)
    draws = [training_flops(model, collator([example] * 16))["total"] for _ in range(3)]
    assert quality.step_flops(seed_zero, num_draws=3) == pytest.approx(sum(draws) / 3)
    assert len(set(draws)) > 1, "the masks' sizes, and so the FLOPs, change from draw to draw"


def test_summary_prints_exactly():
    summary = {
        "trained": {"knn": (0.8125, 0.0123), "linear": (0.85, 0.004), "effective_rank": (12.34, 1.25)},
        "random-init": {"knn": (0.5, 0.0), "linear": (0.61234, 0.1), "effective_rank": (3.0, 0.05)},
    }
    args = QualityBenchmarkArguments(recipe="tiny-cpu", dataset_name="fashion_mnist_small", seeds=[0, 1])
    assert quality.format_summary(summary, args) == EXPECTED_SUMMARY


EXPECTED_SUMMARY = """tiny-cpu on fashion_mnist_small, seeds [0, 1] (mean ± std)
|       model |       kNN-20 |  linear probe | effective rank |
|------------:|-------------:|--------------:|---------------:|
|     trained | 81.2% ± 1.2% |  85.0% ± 0.4% |     12.3 ± 1.2 |
| random-init | 50.0% ± 0.0% | 61.2% ± 10.0% |      3.0 ± 0.1 |"""
