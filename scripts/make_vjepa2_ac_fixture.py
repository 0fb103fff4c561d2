# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Writes tests/fixtures/vjepa2_ac: a tiny random V-JEPA 2-AC checkpoint made by the official code, and its outputs.

The official code (facebookresearch/vjepa2, MIT licence) is not a dependency: give this script a work tree of it,

    git clone https://github.com/facebookresearch/vjepa2 /tmp/vjepa2   # or: git -C <mirror> archive HEAD | tar -x
    python scripts/make_vjepa2_ac_fixture.py --official_code /tmp/vjepa2

It builds a `VisionTransformer` encoder (V-JEPA 2's, rotary positions, tubelet 2) and a `VisionTransformerPredictorAC`
with every weight random, saves them as the official training loop does (`encoder`, `predictor`, `target_encoder`,
keys prefixed with `module.`), and runs them on a fixed clip, actions and states as `app/vjepa_droid/train.py`
does: each frame encoded alone, repeated into a 2-frame tubelet, latents layer-normed; one teacher-forced predictor
pass over the clip, and a 2-step autoregressive rollout from the first frame; L1 losses. It runs the same weights
again as a predictor built with `use_extrinsics=True` (the official predictor always has its extrinsics encoder; the
flag makes it read the extrinsics as a token of each frame), on the same inputs with camera extrinsics.
tests/test_vjepa2_ac.py compares the converted `JEPAWorldModel` with these outputs (and, where the official code is at
hand, with the official modules themselves). The folder `converted_image_encoder` beside them is not written here: it
is the checkpoint as hf_jepa's import saved it when it made the encoder an image encoder (the tubelet kernel summed
over time), kept as written so that such folders stay tested.
"""

import argparse
import sys
import types
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "vjepa2_ac"
CHECKPOINT_NAME = "vjepa2_ac_tiny.pt"
OUTPUTS_NAME = "official_outputs.safetensors"
EXTRINSICS_OUTPUTS_NAME = "official_outputs_extrinsics.safetensors"
# Small enough to commit; head widths that leave channels unrotated (encoder 12 = 3 x 4, predictor 16 = 3 x 4 + 4).
ENCODER = dict(img_size=16, patch_size=4, tubelet_size=2, embed_dim=24, depth=2, num_heads=2, mlp_ratio=4.0)
PREDICTOR = dict(predictor_embed_dim=32, depth=2, num_heads=2, action_embed_dim=7)
# The official extrinsics encoder's input: one value fewer than an action.
EXTRINSICS_DIM = PREDICTOR["action_embed_dim"] - 1
# `config_overrides` for hf_jepa's conversion: what the checkpoint does not record.
CONFIG_OVERRIDES = dict(num_attention_heads=2, image_size=16, predictor_num_attention_heads=2)
FRAMES, BATCH, ROLLOUT_STEPS = 4, 2, 2


def import_official(code: Path) -> types.SimpleNamespace:
    """The official encoder and AC predictor modules from a work tree of facebookresearch/vjepa2. Its `timm` and
    `einops` imports serve code paths these tiny models never take (drop path > 0, an unused import); where those
    packages are absent, stand-ins that refuse to run take their place."""

    def unavailable(*args, **kwargs):
        raise NotImplementedError("a stand-in for a package the official code imports but these models do not use")

    stand_ins = {"timm": None, "timm.models": None, "timm.models.layers": "drop_path", "einops": "rearrange"}
    for name, attribute in stand_ins.items():
        try:
            __import__(name)
        except ImportError:
            module = sys.modules[name] = types.ModuleType(name)
            if attribute:
                setattr(module, attribute, unavailable)
    sys.path.insert(0, str(code))
    try:
        from src.models import ac_predictor, vision_transformer
    finally:
        sys.path.remove(str(code))
    return types.SimpleNamespace(ac_predictor=ac_predictor, vision_transformer=vision_transformer)


def randomize(module: torch.nn.Module, seed: int) -> None:
    """Every parameter random (layer norms and biases too), at a scale that keeps the activations moderate."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)


def build_official(
    official: types.SimpleNamespace, seed: int = 0, use_extrinsics: bool = False
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A tiny random official V-JEPA 2 encoder and V-JEPA 2-AC predictor, in eval mode; the same weights for a seed
    whether the predictor reads extrinsics or not."""
    encoder = official.vision_transformer.VisionTransformer(
        num_frames=2, use_rope=True, use_sdpa=True, qkv_bias=True, norm_layer=_layer_norm, **ENCODER
    )
    predictor = official.ac_predictor.vit_ac_predictor(
        img_size=ENCODER["img_size"],
        patch_size=ENCODER["patch_size"],
        num_frames=2 * FRAMES,
        tubelet_size=ENCODER["tubelet_size"],
        embed_dim=ENCODER["embed_dim"],
        use_rope=True,
        use_extrinsics=use_extrinsics,
        **PREDICTOR,
    )
    randomize(encoder, seed)
    randomize(predictor, seed + 1)
    return encoder.eval(), predictor.eval()


def _layer_norm(width: int) -> torch.nn.LayerNorm:
    return torch.nn.LayerNorm(width, eps=1e-6)


def official_checkpoint(encoder: torch.nn.Module, predictor: torch.nn.Module) -> dict:
    """The dict the official training loop saves (without optimiser state): the frozen encoder under `encoder` and
    `target_encoder` (the same tensors, stored once), DistributedDataParallel's `module.` prefixes."""
    encoder_state = {f"module.{key}": tensor for key, tensor in encoder.state_dict().items()}
    predictor_state = {f"module.{key}": tensor for key, tensor in predictor.state_dict().items()}
    return {"encoder": encoder_state, "predictor": predictor_state, "target_encoder": encoder_state, "epoch": 1}


def fixed_inputs(seed: int = 0, extrinsics: bool = False) -> dict[str, torch.Tensor]:
    """A clip `[B, T, C, H, W]`, the `T - 1` actions between its frames, the `T` states of its frames and, with
    `extrinsics`, their `T` camera extrinsics (drawn last: the other inputs are the same either way)."""
    generator = torch.Generator().manual_seed(seed)
    size = ENCODER["img_size"]
    dim = PREDICTOR["action_embed_dim"]
    inputs = {
        "pixel_values": torch.randn(BATCH, FRAMES, 3, size, size, generator=generator),
        "actions": torch.randn(BATCH, FRAMES - 1, dim, generator=generator),
        "states": torch.randn(BATCH, FRAMES, dim, generator=generator),
    }
    if extrinsics:
        inputs["extrinsics"] = torch.randn(BATCH, FRAMES, EXTRINSICS_DIM, generator=generator)
    return inputs


@torch.no_grad()
def official_outputs(
    encoder: torch.nn.Module, predictor: torch.nn.Module, inputs: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The official modules on `inputs`, as V-JEPA 2-AC trains: `latents` `[B, T, N, D]`, the teacher-forced
    `predicted` latents of frames 1..T-1, the `rollout` latents of frames 1..ROLLOUT_STEPS predicted from frame 0,
    and the two L1 losses. A predictor without `use_extrinsics` does not read `inputs["extrinsics"]`."""
    clip, actions, states = inputs["pixel_values"], inputs["actions"], inputs["states"]
    extrinsics = inputs.get("extrinsics")
    batch, frames = clip.shape[:2]
    tubelets = clip.flatten(0, 1).unsqueeze(2).repeat(1, 1, ENCODER["tubelet_size"], 1, 1)  # [B*T, C, 2, H, W]
    latents = encoder(tubelets)
    latents = F.layer_norm(latents, latents.shape[-1:]).unflatten(0, (batch, frames))  # [B, T, N, D]

    def predict(context: torch.Tensor, count: int) -> torch.Tensor:
        """The predictor on the first `count` frames of `context` and their actions, states and extrinsics."""
        context_extrinsics = None if extrinsics is None else extrinsics[:, :count]
        output = predictor(context.flatten(1, 2), actions[:, :count], states[:, :count], context_extrinsics)
        return F.layer_norm(output, output.shape[-1:]).unflatten(1, context.shape[1:3])

    predicted = predict(latents[:, :-1], frames - 1)
    rolled = latents[:, :1]
    for step in range(ROLLOUT_STEPS):
        following = predict(rolled, step + 1)[:, -1:]
        rolled = torch.cat([rolled, following], dim=1)
    rollout = rolled[:, 1:]
    return {
        "latents": latents,
        "predicted": predicted,
        "rollout": rollout,
        "teacher_forcing_loss": (predicted - latents[:, 1:]).abs().mean(),
        "rollout_loss": (rollout - latents[:, 1 : 1 + ROLLOUT_STEPS]).abs().mean(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official_code", type=Path, required=True, help="A work tree of facebookresearch/vjepa2.")
    parser.add_argument("--output_dir", type=Path, default=FIXTURE)
    args = parser.parse_args()
    official = import_official(args.official_code)
    encoder, predictor = build_official(official)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    torch.save(official_checkpoint(encoder, predictor), args.output_dir / CHECKPOINT_NAME)
    for use_extrinsics, filename in ((False, OUTPUTS_NAME), (True, EXTRINSICS_OUTPUTS_NAME)):
        encoder, predictor = build_official(official, use_extrinsics=use_extrinsics)
        inputs = fixed_inputs(extrinsics=use_extrinsics)
        outputs = official_outputs(encoder, predictor, inputs)
        tensors = {name: tensor.contiguous() for name, tensor in {**inputs, **outputs}.items()}
        save_file(tensors, str(args.output_dir / filename))
    for path in sorted(args.output_dir.iterdir()):
        print(f"{path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
