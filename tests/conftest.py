import os
import subprocess
import sys
import textwrap
from pathlib import Path

# No test may reach the Hub (there is no network here); set before transformers / huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

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
