"""Scale-out on the CPU: real 2-process gloo runs (started with torchrun) of the paths that DDP and FSDP take."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_two_processes(script: str, work_dir: Path) -> str:
    """Runs `script` in 2 gloo processes (`torchrun`, tests/ on the path) and returns their output."""
    path = work_dir / "script.py"
    path.write_text(textwrap.dedent(script))
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), str(path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(TESTS), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, cwd=work_dir, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def test_world_model_without_sigreg_trains_under_ddp(tmp_path):
    """With `sigreg_weight=0` and latents of the encoder's own, a projector would get no gradient, and DDP would stop
    at the second step ("Expected to have finished reduction")."""
    output = run_two_processes(
        """
        import torch
        from accelerate import Accelerator
        from test_world_model import tiny_batch, tiny_config
        from hf_jepa import JEPAWorldModel

        accelerator = Accelerator(cpu=True)
        torch.manual_seed(0)
        model = JEPAWorldModel(tiny_config(sigreg_projector_size=16, sigreg_weight=0.0))
        optimizer = torch.optim.AdamW(model.parameters())
        model, optimizer = accelerator.prepare(model, optimizer)
        for step in range(3):
            loss = model(**tiny_batch(seed=accelerator.process_index)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
        accelerator.print("trained", accelerator.num_processes, "processes")
        accelerator.end_training()
        """,
        tmp_path,
    )
    assert "trained 2 processes" in output
