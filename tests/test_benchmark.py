import json
import os
import statistics
from concurrent.futures.process import BrokenProcessPool

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from conftest import MICRO
from torch.utils.flop_counter import FlopCounterMode
from transformers import HfArgumentParser

from hf_jepa import JEPAConfig, JEPAForPreTraining, benchmark
from hf_jepa.benchmark import (
    BenchmarkArguments,
    benchmark_tables,
    official_context_block_scale,
    run_benchmark,
    training_flops,
)
from hf_jepa.masking import sample_masks
from hf_jepa.training.engine import optimizer_groups
from hf_jepa.training.pretraining import PretrainingArguments


def transformer_flops(tokens: int, width: int, depth: int) -> int:
    """Forward FLOPs of `depth` pre-norm ViT blocks (MLP ratio 4) on one sequence: q, k, v, o and the two MLP
    products (24 n d^2) plus the two attention products (4 n^2 d)."""
    return depth * (24 * tokens * width**2 + 4 * tokens**2 * width)


def test_training_flops_match_the_analytic_count():
    config = JEPAConfig(**MICRO, attn_implementation="sdpa")
    model = JEPAForPreTraining(config)
    batch = 3
    pixel_values = torch.randn(batch, 3, 16, 16)
    context, targets = sample_masks(config, batch, torch.Generator().manual_seed(0))
    k_context, k_target, blocks = context[0].shape[1], targets[0].shape[1], len(targets)
    tokens, width, pred_width = config.num_patches, config.hidden_size, config.pred_hidden_size

    patch_embedding = 2 * tokens * (3 * 4 * 4) * width
    target_encoder = patch_embedding + transformer_flops(tokens, width, 2)  # forward only, no grad
    # forward + backward (2x); the patch embedding's backward computes only the weight gradient
    context_encoder = 2 * patch_embedding + 3 * transformer_flops(k_context, width, 2)
    predictor = 3 * (
        2 * k_context * width * pred_width  # embed, once per context
        + blocks * transformer_flops(k_context + k_target, pred_width, 1)  # one sequence per target block
        + blocks * 2 * k_target * pred_width * width  # projection back to the encoder width
    )
    expected = batch * (target_encoder + context_encoder + predictor)

    counted = training_flops(model, {"pixel_values": pixel_values, "context_mask": context, "target_mask": targets})
    assert counted["total"] == expected
    assert counted["target_encoder"] == batch * target_encoder and counted["predictor"] == batch * predictor
    assert counted["context_encoder"] == batch * context_encoder
    assert model.config._attn_implementation == "sdpa"  # restored after counting with eager attention
    assert all(p.grad is None for p in model.parameters())
    # the counter misses CPU sdpa attention: that is why the count runs with eager attention
    with FlopCounterMode(display=False) as counter:
        model(pixel_values, context_mask=context, target_mask=targets).loss.backward()
    assert counter.get_total_flops() < expected


def test_equal_masks_keep_the_official_collators_token_counts():
    # the official I-JEPA collator at 28 px / patch 4 and batch 128 keeps ~7.2 context and ~34.5 target tokens
    config = JEPAConfig(image_size=28, patch_size=4, hidden_size=192, num_attention_heads=3)
    equal = JEPAConfig(**{**MICRO, "image_size": 28}, context_block_scale=official_context_block_scale(config))

    def mean_counts(config: JEPAConfig) -> tuple[float, float]:
        masks = [sample_masks(config, 128, torch.Generator().manual_seed(seed)) for seed in range(8)]
        context = statistics.mean(c[0].shape[1] for c, _ in masks)
        return context, statistics.mean(sum(t.shape[1] for t in targets) for _, targets in masks)

    (default_context, default_targets), (context, targets) = mean_counts(config), mean_counts(equal)
    assert 6 <= context <= 9 and default_context >= 13
    assert targets == default_targets and 30 <= targets <= 40  # the targets are drawn as before
    assert official_context_block_scale(config) == pytest.approx((0.85 * 36 / 49, 36 / 49))
    with pytest.raises(ValueError, match="multiblock"):
        BenchmarkArguments(presets=["tiny-video"], equal_masks=True)


def test_cli_arguments_and_bad_values():
    parser = HfArgumentParser(BenchmarkArguments)
    (args,) = parser.parse_args_into_dataclasses(
        [
            "--presets",
            "tiny",
            "small",
            "--batch_size",
            "8",
            "32",
            "--json",
            "out.json",
            "--no_activation_checkpointing",
        ]
    )
    assert args.presets == ["tiny", "small"] and args.batch_sizes("small") == [8, 32]
    assert args.json_path == "out.json" and not args.activation_checkpointing and args.device in ("cpu", "cuda")
    assert BenchmarkArguments(presets=["base"]).batch_sizes("base") == [8]
    assert BenchmarkArguments(smoke=True).steps == 2
    with pytest.raises(ValueError, match="'tinyy'"):
        BenchmarkArguments(presets=["tinyy"])
    with pytest.raises(ValueError, match="fp16"):
        BenchmarkArguments(precisions=["fp16"])
    with pytest.raises(ValueError, match="'sdpaa'"):
        BenchmarkArguments(attn_implementation=["sdpaa"])
    with pytest.raises(ValueError, match="-2"):
        BenchmarkArguments(batch_size=[-2])


def test_smoke_run_tables_and_json_are_consistent(tmp_path):
    path = tmp_path / "bench" / "results.json"
    lines = []
    results = run_benchmark(
        BenchmarkArguments(presets=["tiny"], smoke=True, device="cpu", json_path=str(path)), log=lines.append
    )
    assert json.loads(path.read_text()) == json.loads(json.dumps(results))
    peaks = results["matmul_peak_flops_per_second"]
    assert set(peaks) == {"fp32", "bf16"} and min(peaks.values()) > 0

    # fp32, bf16, and fp32 with activation checkpointing, each with the attention pretraining uses on CPU
    training = results["training"]
    assert [(r["precision"], r["attn_implementation"], r["activation_checkpointing"]) for r in training] == [
        ("fp32", "sdpa", False),
        ("bf16", "eager", False),
        ("fp32", "sdpa", True),
    ]
    config = JEPAConfig.from_preset("tiny")
    model = JEPAForPreTraining(config)
    trainable = sum(p.numel() for group in optimizer_groups(model) for p in group["params"])
    for run in training:
        assert run["batch_size"] == 4 and len(run["step_seconds"]) == len(run["flops_per_step"]) == 2
        assert min(run["step_seconds"]) > 0 and 0 < min(run["context_tokens"]) < config.num_patches
        assert run["warmup_seconds"] > 0  # the untimed first step, reported on its own (compilation, under compile)
        speed = run["samples_per_second"]
        assert 0 < speed["min"] <= speed["median"] <= speed["max"]
        achieved = statistics.median(f / s for f, s in zip(run["flops_per_step"], run["step_seconds"]))
        assert run["achieved_flops_per_second"] == pytest.approx(achieved)
        assert run["mfu"] == pytest.approx(achieved / peaks[run["precision"]])
        assert sum(run["flops_by_part"].values()) == pytest.approx(run["mean_flops_per_step"])
        memory = run["memory"]
        assert memory["state_bytes"] == 4 * (sum(p.numel() for p in model.parameters()) + 3 * trainable)
        assert memory["peak_bytes"] >= memory["baseline_bytes"] + memory["state_bytes"] > 0
        assert memory["activation_bytes"] == memory["used_bytes"] - memory["state_bytes"]
    # same seeded masks, so the same work in every precision; checkpointing's recomputation is not model FLOPs
    assert training[0]["flops_per_step"] == training[1]["flops_per_step"] == training[2]["flops_per_step"]
    assert training[0]["context_tokens"] == training[1]["context_tokens"]

    (effect,) = results["activation_checkpointing"]
    assert effect["activation_bytes_without"] == training[0]["memory"]["activation_bytes"]
    assert effect["activation_reduction"] == pytest.approx(
        1 - training[2]["memory"]["activation_bytes"] / training[0]["memory"]["activation_bytes"]
    )

    inference = results["inference"]
    assert [(r["precision"], r["attn_implementation"]) for r in inference] == [
        ("fp32", "eager"),
        ("fp32", "sdpa"),
        ("bf16", "eager"),
        ("bf16", "sdpa"),
    ]
    for row in inference:
        assert row["ratio"] == pytest.approx(row["ours_samples_per_second"] / row["transformers_samples_per_second"])
        assert row["max_abs_difference"] < (1e-4 if row["precision"] == "fp32" else 0.25)

    (pipeline,) = results["data_pipeline"]
    assert pipeline["num_workers"] == PretrainingArguments.dataloader_num_workers  # as `pretrain` loads data
    assert pipeline["samples_per_second"] > 0 and pipeline["mask_seconds_per_batch"] > 0
    assert pipeline["model_samples_per_second"] == max(r["samples_per_second"]["median"] for r in training)
    assert pipeline["data_to_model_ratio"] == pytest.approx(
        pipeline["samples_per_second"] / pipeline["model_samples_per_second"]
    )

    table = "\n".join(lines)
    titles = ("Matrix-multiply peak", "Training step", "FLOPs of a training step", "Activation checkpointing")
    for title in titles + ("Inference", "Data pipeline"):
        assert title in table
    assert table.count("|   tiny |") == 3 + 1 + 1 + 4 + 1  # training, FLOPs, checkpointing, inference, data rows
    assert f"Wrote {path}" in lines[-1]


def test_a_training_case_whose_process_dies_stops_the_run_naming_it(monkeypatch):
    """A case's process that dies (as one the system kills for want of memory) ends the run with a message naming
    the case and what to do; the process really dies (`os._exit` in the fresh process)."""
    run_isolated = benchmark.run_isolated
    monkeypatch.setattr(benchmark, "run_isolated", lambda function, case: run_isolated(os._exit, 1))
    args = BenchmarkArguments(
        presets=["tiny"], precisions=["fp32"], activation_checkpointing=False, inference=False, data_pipeline=False,
        smoke=True, device="cpu",
    )  # fmt: skip
    lines = []
    with pytest.raises(RuntimeError) as error:
        run_benchmark(args, log=lines.append)
    assert str(error.value) == (
        "The process timing tiny, batch 4, fp32, sdpa died, most likely out of memory: lower --batch_size or leave "
        "this preset out."
    )
    assert isinstance(error.value.__cause__, BrokenProcessPool)
    assert lines[-1] == "training: tiny, batch 4, fp32, sdpa"


def training_run(precision: str, attention: str, compiled: bool, checkpointing: bool, predictor_flops: float) -> dict:
    return {
        "preset": "tiny", "batch_size": 4, "precision": precision, "attn_implementation": attention,
        "compile": compiled, "activation_checkpointing": checkpointing, "warmup_seconds": 1.234,
        "samples_per_second": {"median": 101.25, "min": 99.75, "max": 103.5}, "mean_flops_per_step": 12.5e9,
        "achieved_flops_per_second": 98.76e9, "mfu": 0.1234,
        "memory": {"used_bytes": 3 * 2**30, "activation_bytes": 2**29},
        "num_tokens": 64, "context_tokens": [40, 43], "target_tokens": [20, 21],
        "flops_by_part": {"target_encoder": 2.5e9, "context_encoder": 10e9 - predictor_flops,
                          "predictor": predictor_flops},
    }  # fmt: skip


def test_tables_print_exactly():
    results = {
        "settings": {"matmul_size": 512},
        "matmul_peak_flops_per_second": {"fp32": 123.45e9, "bf16": 1234.5e9},
        # the FLOPs table shows the first run of each preset and batch size
        "training": [
            training_run("fp32", "sdpa", False, False, predictor_flops=4e9),
            training_run("bf16", "eager", True, True, predictor_flops=2.5e9),
        ],
        "activation_checkpointing": [
            {"preset": "tiny", "batch_size": 4, "precision": "fp32", "activation_bytes_without": 2**30,
             "activation_bytes_with": 2**28, "activation_reduction": 0.75, "speed_ratio": 0.79}
        ],
        "inference": [
            {"preset": "tiny", "batch_size": 4, "precision": "bf16", "attn_implementation": "sdpa", "compile": True,
             "ours_samples_per_second": 250.0, "transformers_samples_per_second": 200.0, "ratio": 1.25,
             "max_abs_difference": 0.0123}
        ],
        "data_pipeline": [
            {"preset": "tiny", "batch_size": 4, "num_workers": 2, "samples_per_second": 512.3,
             "mask_seconds_per_batch": 0.00125, "model_samples_per_second": 101.25, "data_to_model_ratio": 5.06}
        ],
    }  # fmt: skip
    assert "\n".join(benchmark_tables(results)) == EXPECTED_TABLES


EXPECTED_TABLES = """
Matrix-multiply peak (512x512):
| precision | GFLOP/s |
|----------:|--------:|
|      fp32 |   123.5 |
|      bf16 |  1234.5 |

Training step (forward + backward + clip + AdamW + EMA; MFU against the same precision's peak):
| preset | batch | precision | attention | compile | ckpt | warm-up s | samples/s (median) |    min-max | GFLOP/step | GFLOP/s |   MFU | peak mem GiB | activations GiB |
|-------:|------:|----------:|----------:|--------:|-----:|----------:|-------------------:|-----------:|-----------:|--------:|------:|-------------:|----------------:|
|   tiny |     4 |      fp32 |      sdpa |      no |   no |       1.2 |              101.2 | 99.8-103.5 |       12.5 |    98.8 | 12.3% |         3.00 |            0.50 |
|   tiny |     4 |      bf16 |     eager |     yes |  yes |       1.2 |              101.2 | 99.8-103.5 |       12.5 |    98.8 | 12.3% |         3.00 |            0.50 |

FLOPs of a training step by part (target encoder: forward only; the others: forward + backward):
| preset | batch | tokens | context tokens | target tokens | GFLOP/step | target encoder | context encoder | predictor |
|-------:|------:|-------:|---------------:|--------------:|-----------:|---------------:|----------------:|----------:|
|   tiny |     4 |     64 |             42 |            20 |       12.5 |            20% |             48% |       32% |

Activation checkpointing:
| preset | batch | precision | activations GiB | with checkpointing | reduction | speed |
|-------:|------:|----------:|----------------:|-------------------:|----------:|------:|
|   tiny |     4 |      fp32 |            1.00 |               0.25 |       75% | 0.79x |

Inference, JEPAModel vs transformers' IJepaModel with the same weights:
| preset | batch | precision | attention | compile | ours samples/s | IJepaModel samples/s | ours / theirs | max abs diff |
|-------:|------:|----------:|----------:|--------:|---------------:|---------------------:|--------------:|-------------:|
|   tiny |     4 |      bf16 |      sdpa |     yes |          250.0 |                200.0 |         1.25x |      1.2e-02 |

Data pipeline alone (decode, augment and masks in the workers; masks also timed alone), next to the model:
| preset | batch | workers | data samples/s | masks ms/batch | model samples/s | data / model |
|-------:|------:|--------:|---------------:|---------------:|----------------:|-------------:|
|   tiny |     4 |       2 |          512.3 |            1.2 |           101.2 |         5.1x |"""  # noqa: E501
