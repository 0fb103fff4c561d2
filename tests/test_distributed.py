"""Scale-out on the CPU: real 2-process gloo runs (started with torchrun) of the paths that DDP and FSDP take, and
what a launch decides for a run (its precision; DeepSpeed refused)."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from accelerate import Accelerator, FullyShardedDataParallelPlugin
from accelerate.state import AcceleratorState
from accelerate.utils import DistributedType
from safetensors.torch import load_file
from test_training import fresh_accelerator_state, quick_args  # noqa: F401 (the fixture is autouse)
from transformers import AutoModel

from hf_jepa.training import distributed, pretraining
from hf_jepa.training.state import TrainingState

TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Appended to every script: once it has run to its end, a process leaves without the interpreter's teardown, where
# gloo's threads under FSDP on the CPU now and then abort it ("terminate called without an active exception") after
# all the work is done. A script that fails raises before it gets here.
LEAVE = "\nimport os, sys\nsys.stdout.flush()\nsys.stderr.flush()\nos._exit(0)\n"


def run_two_processes(script: str, work_dir: Path) -> str:
    """Runs `script` in 2 gloo processes (`torchrun`, tests/ on the path) and returns their output."""
    path = work_dir / "script.py"
    path.write_text(textwrap.dedent(script) + LEAVE)
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), str(path),
    ]  # fmt: skip
    python_path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, cwd=work_dir, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


# Accelerate refuses FSDP on the CPU (it sets FSDP up for GPUs only): this accelerator is set up as `accelerate launch
# --use_fsdp --fsdp_version N --fsdp_auto_wrap_policy TRANSFORMER_BASED_WRAP` sets it up on GPUs, and the package's
# own code (`build_accelerator`, `configure_fsdp`) then runs unchanged. FSDP1 compares the `device_id=cpu` that
# Accelerate passes with "cpu:0"; on the CPU the harness passes none.
FSDP_ON_CPU = """
    import torch
    import torch.distributed.fsdp._init_utils as fsdp_init
    from accelerate import Accelerator, FullyShardedDataParallelPlugin
    from accelerate.state import AcceleratorState, PartialState
    from accelerate.utils import DistributedType

    from hf_jepa.training import distributed, pretraining

    device_from_id = fsdp_init._get_device_from_device_id
    fsdp_init._get_device_from_device_id = lambda device_id, *args: (
        None if torch.device(device_id).type == "cpu" else device_from_id(device_id, *args)
    )


    def accelerator_class(fsdp_version):
        class CPUAccelerator(Accelerator):
            def __init__(self, **kwargs):
                super().__init__(cpu=True, **kwargs)
                if fsdp_version:
                    self.state.fsdp_plugin = FullyShardedDataParallelPlugin(
                        fsdp_version=fsdp_version, auto_wrap_policy="transformer_based_wrap"
                    )
                    self.state.distributed_type = DistributedType.FSDP
                    PartialState._shared_state["distributed_type"] = DistributedType.FSDP

        return CPUAccelerator
"""


def pretrain_on_two_processes(output_dir: Path, fsdp_version: int | None) -> None:
    """Pretrains the same small model on the same data in 2 processes, with DDP (`fsdp_version` None) or FSDP (with
    activation checkpointing). One run per launch: `pretrain` ends the processes' group."""
    run_two_processes(
        FSDP_ON_CPU
        + f"""
    from test_training import SMALL
    from transformers import modeling_utils

    recomputed = []
    checkpoint = modeling_utils.checkpoint
    modeling_utils.checkpoint = lambda *args, **kwargs: recomputed.append(1) or checkpoint(*args, **kwargs)
    distributed.Accelerator = accelerator_class({fsdp_version})
    args = pretraining.PretrainingArguments(
        output_dir={str(output_dir)!r}, config_overrides=SMALL, max_train_samples=128, max_eval_samples=64,
        per_device_train_batch_size=16, max_steps=4, logging_steps=1, eval_steps=2, report_to="none", do_eval=False,
        seed=0, dataloader_num_workers=0, gradient_checkpointing={fsdp_version is not None},
    )
    pretraining.pretrain(args)
    assert bool(recomputed) == args.gradient_checkpointing
    """,
        output_dir.parent,
    )


def test_fsdp1_and_fsdp2_train_evaluate_and_save_as_ddp_does(tmp_path):
    """One data split, three ways to run it on 2 processes: DDP, FSDP1 and FSDP2 (with activation checkpointing) give
    the same losses, gradient norms, kNN accuracies during training (`--eval_steps`) and saved weights, and the saved
    folders load as remote code."""
    for name, fsdp_version in (("ddp", None), ("fsdp1", 1), ("fsdp2", 2)):
        pretrain_on_two_processes(tmp_path / name, fsdp_version)

    def history(name: str) -> list[dict]:
        return [json.loads(line) for line in (tmp_path / name / "log_history.jsonl").read_text().splitlines()]

    expected = history("ddp")
    assert [record["step"] for record in expected if "eval/knn_accuracy" in record] == [2, 4]
    weights = load_file(tmp_path / "ddp" / "model.safetensors")
    for name in ("fsdp1", "fsdp2"):
        for record, reference in zip(history(name), expected, strict=True):
            for key in ("train/loss", "train/grad_norm", "eval/knn_accuracy"):
                if key in reference:
                    assert record[key] == pytest.approx(reference[key], rel=1e-4, abs=1e-6), (name, key)
        saved = load_file(tmp_path / name / "model.safetensors")
        assert saved.keys() == weights.keys()
        for key, tensor in weights.items():
            torch.testing.assert_close(saved[key], tensor, atol=1e-5, rtol=1e-4, msg=f"{name}: {key}")
        assert {"modeling_jepa.py", "configuration_jepa.py"} <= {path.name for path in (tmp_path / name).iterdir()}
        encoder = AutoModel.from_pretrained(tmp_path / name, trust_remote_code=True)
        torch.testing.assert_close(encoder.layernorm.weight, weights["target_encoder.layernorm.weight"])


@pytest.mark.parametrize(
    "fsdp_version, overrides", [(None, dict(sigreg_weight=0.0)), (1, dict(freeze_encoder=True)), (2, {})]
)
def test_world_model_trains_under_ddp_fsdp1_and_fsdp2(fsdp_version, overrides, tmp_path):
    """DDP: with `sigreg_weight=0` and latents of the encoder's own, a projector would get no gradient and DDP would
    stop at the second step ("Expected to have finished reduction"). FSDP1: a frozen encoder beside the trained
    predictor must be a unit of its own. FSDP2: the world model has input embeddings to carve out (the encoder's).
    One mode per launch, as for pretraining."""
    output = run_two_processes(
        FSDP_ON_CPU
        + f"""
    from test_world_model import tiny_batch, tiny_config
    from hf_jepa import JEPAWorldModel

    accelerator = accelerator_class({fsdp_version})()
    if {fsdp_version}:
        distributed.configure_fsdp(accelerator.state.fsdp_plugin)
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(sigreg_projector_size=16, **{overrides!r}))
    optimizer = torch.optim.AdamW([parameter for parameter in model.parameters() if parameter.requires_grad])
    model, optimizer = accelerator.prepare(model, optimizer)
    for step in range(2):
        accelerator.backward(model(**tiny_batch(seed=accelerator.process_index)).loss)
        optimizer.step()
        optimizer.zero_grad()
    state_dict = accelerator.get_state_dict(model)
    accelerator.print("trained", {fsdp_version}, len(state_dict))
    accelerator.end_training()
    """,
        tmp_path,
    )
    assert f"trained {fsdp_version} " in output


def test_a_run_takes_the_precision_of_its_launch(tmp_path, monkeypatch):
    """`accelerate launch --mixed_precision bf16` (or `accelerate config`) tells the processes through the environment;
    a run that chose no precision takes it, with eager attention on the CPU. Without a launcher: fp32 and sdpa."""
    args = quick_args(tmp_path)
    accelerator = distributed.build_accelerator(args)
    assert (accelerator.mixed_precision, args.mixed_precision, args.attn_implementation) == ("no", "no", "sdpa")
    AcceleratorState._reset_state(reset_partial_state=True)

    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    args = quick_args(tmp_path)
    accelerator = distributed.build_accelerator(args)
    assert (accelerator.mixed_precision, args.mixed_precision, args.attn_implementation) == ("bf16", "bf16", "eager")
    AcceleratorState._reset_state(reset_partial_state=True)

    args = quick_args(tmp_path, mixed_precision="no", attn_implementation="eager")  # chosen for the run, they win
    assert (distributed.build_accelerator(args).mixed_precision, args.attn_implementation) == ("no", "eager")


def test_deepspeed_is_refused_in_one_line(tmp_path, monkeypatch):
    class DeepSpeedAccelerator(Accelerator):
        distributed_type = DistributedType.DEEPSPEED

    monkeypatch.setattr(distributed, "Accelerator", DeepSpeedAccelerator)
    with pytest.raises(ValueError, match="^DeepSpeed is not supported.*FSDP or multi-GPU"):
        distributed.build_accelerator(quick_args(tmp_path))


def test_fsdp_units_are_chosen_for_jepa_and_fsdp1_without_encoder_units_is_refused():
    plugins = {
        version: FullyShardedDataParallelPlugin(fsdp_version=version, auto_wrap_policy="transformer_based_wrap")
        for version in (1, 2)
    }
    for plugin in plugins.values():
        distributed.configure_fsdp(plugin)
    assert plugins[1].transformer_cls_names_to_wrap == ["JEPALayer", "JEPAModel"] and plugins[1].use_orig_params
    assert plugins[2].transformer_cls_names_to_wrap == ["JEPALayer"]
    for wrapping in (dict(auto_wrap_policy="no_wrap"), dict(transformer_cls_names_to_wrap=["JEPALayer"])):
        plugin = FullyShardedDataParallelPlugin(
            **{"fsdp_version": 1, "auto_wrap_policy": "transformer_based_wrap", **wrapping}
        )
        with pytest.raises(ValueError, match="^FSDP1 needs the transformer-based auto-wrap policy with JEPAModel"):
            distributed.configure_fsdp(plugin)


def test_a_batch_of_only_undecodable_samples_stops_several_processes(tmp_path):
    """One process cannot skip a step that the others take (they would wait for it); one alone skips the batch."""
    broken = {
        "pixel_values": torch.empty(0),
        "num_skipped": 4,
        "skipped_ids": ["a.png"] * 4,
        "skipped_errors": ["?"] * 4,
    }
    args = quick_args(tmp_path, streaming=True, max_bad_fraction=1.0, per_device_train_batch_size=4)
    job = pretraining.PretrainingJob(args)
    job.training_data = pretraining.TrainingData(
        [broken], SimpleNamespace(set_epoch=lambda epoch: None), "image", None
    )
    for num_processes in (1, 2):
        accelerator = SimpleNamespace(num_processes=num_processes, process_index=1, skip_first_batches=lambda b, n: b)
        batches = job.batches(accelerator, job.training_data.loader, TrainingState())
        if num_processes == 1:
            assert list(batches) == []
        else:
            with pytest.raises(ValueError, match="^Every sample of a batch of process 1 is undecodable"):
                list(batches)
