import dataclasses
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hf_jepa.hub.local_hub import LocalHub

# No test may reach the Hub (there is no network here); set before transformers / huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]

# A JEPA small enough that hundreds of optimisation steps take seconds on a CPU (the `tiny` preset is ~2.7M).
MICRO = dict(
    image_size=16,
    patch_size=4,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    pred_hidden_size=16,
    pred_num_hidden_layers=1,
    pred_num_attention_heads=2,
)


def output_without_hf_jepa(checkpoint: Path, inputs, expression: str, work_dir: Path):
    """Loads `checkpoint` with `AutoModel.from_pretrained(..., trust_remote_code=True)` in a fresh process in which
    importing hf_jepa fails, evaluates `expression` (of `model` and `inputs`) there under no_grad and returns it."""
    import torch

    torch.save(inputs, work_dir / "input.pt")
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["hf_jepa"] = None  # importing hf_jepa must fail in this process
        import torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(checkpoint)!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        inputs = torch.load({str(work_dir / "input.pt")!r})
        with torch.no_grad():
            torch.save({expression}, {str(work_dir / "output.pt")!r})
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(work_dir / "hf_home")}
    result = subprocess.run([sys.executable, "-c", script], cwd=work_dir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return torch.load(work_dir / "output.pt")


@pytest.fixture
def local_hub() -> Iterator["LocalHub"]:
    """A running local Hub; start clients with `subprocess.run(..., env=local_hub.client_env(tmp_path / "hf"))`."""
    from hf_jepa.hub.local_hub import LocalHub  # imported here, once HF_HUB_OFFLINE is set

    with LocalHub() as hub:
        yield hub


@dataclasses.dataclass
class InstalledWheel:
    wheel: Path  # the built wheel
    python: Path  # the fresh environment's interpreter
    environment: dict  # os.environ with the fresh environment's bin/ first on PATH (for its `hf-jepa`)


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory) -> InstalledWheel:
    """What a pip user gets: hf_jepa's wheel, built from a copy of the checkout's package files (so that no build
    folder lands in the checkout), installed without its dependencies into a fresh virtual environment. Those come
    from this environment through a `.pth` file, which adds its site-packages to `sys.path` without running the
    `.pth` files there, so the editable install of the checkout stays out of reach."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO / "hf_jepa", source / "hf_jepa", ignore=shutil.ignore_patterns("__pycache__", "checkpoint*"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(root), str(source)], check=True, capture_output=True)
    (wheel,) = root.glob("hf_jepa-*.whl")

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps", str(wheel)], check=True)
    (site_packages,) = (venv / "lib").glob("python*/site-packages")
    (site_packages / "parent_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return InstalledWheel(wheel, venv / "bin" / "python", environment)
