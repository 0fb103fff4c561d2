# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Writes tests/fixtures/vjepa2_1: tiny random V-JEPA 2.1 checkpoints built with the official code, in the official
checkpoint layout, and the official modules' outputs on fixed inputs, which tests/test_vjepa2_1.py compares the
converted hf_jepa models with.

Needs a checkout of facebookresearch/vjepa2 that has app/vjepa_2_1 (commit be434e46 or later):

    python scripts/make_vjepa2_1_fixture.py --official_repo /path/to/vjepa2

Two models, each as the released ones are built by the official `src/hub/backbones.py` (rotary embeddings with
`interpolate_rope` in the encoder only, an image patch embedding, modality embeddings, a predictor that also predicts
the context tokens), but 12 layers of 12 channels, 14-pixel patches of 42 px one-channel frames:

- `multilevel.pt` (like ViT-g / ViT-G): `encoder`, `target_encoder` and a predictor that reads and predicts 4 levels;
- `distilled.pt` (like the distilled ViT-B / ViT-L): `ema_encoder` and a predictor that reads the last level and
  predicts a 20-wide teacher's features.

Weights and inputs are rounded to float16 and stored so, and the tensors of a checkpoint are views into one storage
(which `torch.load` gives back as such): the fixture stays small. The outputs are computed in float32 from the rounded
values. The official code imports timm (`drop_path`, unused at drop rate 0) and einops (unused);
stand-ins are installed when they are missing.
"""

import argparse
import sys
import types
from functools import partial
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

IMAGE_SIZE, PATCH_SIZE, NUM_FRAMES, TUBELET_SIZE, CHANNELS = 42, 14, 4, 2, 1
WIDTH, DEPTH, HEADS, PRED_DEPTH, TEACHER_WIDTH = 12, 12, 1, 4, 20


def _install_stand_ins() -> None:
    """Minimal `timm.models.layers.drop_path` and `einops.rearrange` when the packages are absent."""
    try:
        import timm.models.layers  # noqa: F401
    except ImportError:
        layers = types.ModuleType("timm.models.layers")

        def drop_path(x: torch.Tensor, drop_prob: float = 0.0, training: bool = False) -> torch.Tensor:
            if drop_prob:
                raise NotImplementedError("the fixture models have no stochastic depth")
            return x

        layers.drop_path = drop_path
        models = types.ModuleType("timm.models")
        sys.modules.update({"timm": types.ModuleType("timm"), "timm.models": models, "timm.models.layers": layers})
    try:
        import einops  # noqa: F401
    except ImportError:
        einops = types.ModuleType("einops")
        einops.rearrange = None
        sys.modules["einops"] = einops


def _randomise(module: nn.Module, generator: torch.Generator) -> None:
    """Moves every parameter off its initial value (so that a misplaced tensor shows) and rounds it to float16."""
    with torch.no_grad():
        for parameter in module.parameters():
            noise = torch.randn(parameter.shape, generator=generator) * 0.2
            parameter.copy_((parameter + noise).half().float())


def _official_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict as the official training saves it (DistributedDataParallel around the multi-sequence wrapper),
    in float16."""
    return {f"module.backbone.{key}": tensor.half() for key, tensor in module.state_dict().items()}


def _save_in_one_storage(checkpoint: dict, path: Path) -> None:
    """Saves `checkpoint` with every tensor of its state dicts a view into one float16 storage."""
    states = {entry: value for entry, value in checkpoint.items() if isinstance(value, dict)}
    flat = torch.cat([tensor.flatten() for state in states.values() for tensor in state.values()])
    offset, packed = 0, dict(checkpoint)
    for entry, state in states.items():
        packed[entry] = {}
        for key, tensor in state.items():
            packed[entry][key] = flat[offset : offset + tensor.numel()].view(tensor.shape)
            offset += tensor.numel()
    torch.save(packed, path)


def build(official_repo: Path, output_dir: Path) -> None:
    sys.path.insert(0, str(official_repo))
    _install_stand_ins()
    from app.vjepa_2_1.models.predictor import VisionTransformerPredictor
    from app.vjepa_2_1.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)  # the official modules initialise from the global generator
    generator = torch.Generator().manual_seed(0)
    norm_layer = partial(nn.LayerNorm, eps=1e-6)
    shape = dict(img_size=(IMAGE_SIZE, IMAGE_SIZE), patch_size=PATCH_SIZE, num_frames=NUM_FRAMES)
    shape["tubelet_size"] = TUBELET_SIZE

    def encoder() -> VisionTransformer:
        model = VisionTransformer(
            **shape, in_chans=CHANNELS, embed_dim=WIDTH, depth=DEPTH, num_heads=HEADS, mlp_ratio=1.0,
            qkv_bias=True, norm_layer=norm_layer, use_sdpa=True, use_rope=True, img_temporal_dim_size=1,
            interpolate_rope=True,
        )  # fmt: skip
        _randomise(model, generator)
        return model.eval()

    def predictor(**kwargs) -> VisionTransformerPredictor:
        model = VisionTransformerPredictor(
            **shape, embed_dim=WIDTH, predictor_embed_dim=WIDTH, depth=PRED_DEPTH, num_heads=HEADS, mlp_ratio=1.0,
            qkv_bias=True, norm_layer=norm_layer, use_mask_tokens=True, num_mask_tokens=8, use_rope=True,
            use_sdpa=True, return_all_tokens=True, img_temporal_dim_size=1, **kwargs,
        )  # fmt: skip
        _randomise(model, generator)
        return model.eval()

    # images and clips in hf_jepa's layout: [B, C, H, W] and [B, T, C, H, W]
    image = torch.randn(2, CHANNELS, IMAGE_SIZE, IMAGE_SIZE, generator=generator).half().float()
    clip = torch.randn(2, NUM_FRAMES, CHANNELS, IMAGE_SIZE, IMAGE_SIZE, generator=generator).half().float()
    inputs = {"image": image.unsqueeze(2), "clip": clip.transpose(1, 2)}  # the official [B, C, T, H, W]
    records = {"image": image.half(), "clip": clip.half()}
    for name, num_tokens, num_context in (("image", 9, 5), ("clip", 18, 11)):
        order = torch.stack([torch.randperm(num_tokens, generator=generator) for _ in range(2)])
        records[f"{name}_context_mask"] = order[:, :num_context].sort(dim=1).values
        records[f"{name}_target_mask"] = order[:, num_context:].sort(dim=1).values
    mask_indices = {"image": 5, "clip": 3}

    multilevel_encoder, multilevel_target = encoder(), encoder()
    multilevel_predictor = predictor()
    distilled_encoder = encoder()
    distilled_predictor = predictor(n_output_distillation=1, teacher_embed_dim=TEACHER_WIDTH)
    with torch.no_grad():
        for prefix, target, context_encoder, model_predictor, predictor_reads_levels in (
            ("multilevel", multilevel_target, multilevel_encoder, multilevel_predictor, True),
            ("distilled", distilled_encoder, distilled_encoder, distilled_predictor, False),
        ):
            for name, pixels in inputs.items():
                # the inference output (the last level's norm) is the last level of the training output
                levels = target(pixels, training=True)
                torch.testing.assert_close(target(pixels), levels[..., -WIDTH:], rtol=0, atol=0)
                records[f"{prefix}.{name}_levels"] = levels
                context_mask = records[f"{name}_context_mask"]
                target_mask = records[f"{name}_target_mask"]
                context = context_encoder(pixels, masks=[context_mask], training=predictor_reads_levels)
                records[f"{prefix}.{name}_context"] = context
                predictions, context_predictions = model_predictor(
                    context, [context_mask], [target_mask], mod="image" if name == "image" else "video",
                    mask_index=mask_indices[name],
                )  # fmt: skip
                records[f"{prefix}.{name}_predictions"] = predictions
                records[f"{prefix}.{name}_context_predictions"] = context_predictions

    output_dir.mkdir(parents=True, exist_ok=True)
    _save_in_one_storage(
        {
            "encoder": _official_state(multilevel_encoder),
            "predictor": _official_state(multilevel_predictor),
            "target_encoder": _official_state(multilevel_target),
            "epoch": 1,
        },
        output_dir / "multilevel.pt",
    )
    _save_in_one_storage(
        {"ema_encoder": _official_state(distilled_encoder), "predictor": _official_state(distilled_predictor)},
        output_dir / "distilled.pt",
    )
    save_file({name: tensor.contiguous() for name, tensor in records.items()}, output_dir / "outputs.safetensors")
    print(f"Wrote {sorted(path.name for path in output_dir.iterdir())} to {output_dir}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official_repo", type=Path, required=True, help="A checkout of facebookresearch/vjepa2.")
    default_output = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "vjepa2_1"
    parser.add_argument("--output_dir", type=Path, default=default_output)
    args = parser.parse_args()
    build(args.official_repo, args.output_dir)


if __name__ == "__main__":
    main()
