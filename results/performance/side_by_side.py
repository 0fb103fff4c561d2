"""The official I-JEPA training step and hf_jepa's, timed side by side in one process (issue 16).

Measurement only: the official code (facebookresearch/ijepa, CC BY-NC 4.0) is imported from a checkout you point
to and is neither copied nor shipped. Both sides train the anchor configuration (28 px images, 4 px patches, a
192-wide 6-layer encoder with 3 heads, a 96-wide 4-layer predictor, batch 128, smooth-L1, fp32, gradient clipping,
AdamW, EMA) on the same random images, with multi-block masks of the official recipe's token counts (hf_jepa:
`--equal_masks`'s `official_context_block_scale`); windows of steps alternate between the two so that both see the
same load. With `--precision bf16`, hf_jepa trains under bf16 autocast with the attention `pretrain` picks for it.

    git clone https://github.com/facebookresearch/ijepa /path/to/ijepa
    python results/performance/side_by_side.py --official /path/to/ijepa --windows 6 --steps 5
"""

import argparse
import copy
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from accelerate import Accelerator

from hf_jepa import JEPAConfig, JEPAForPreTraining
from hf_jepa.benchmark import measure_matmul_peak, official_context_block_scale
from hf_jepa.masking import sample_masks
from hf_jepa.training.distributed import default_attn_implementation
from hf_jepa.training.engine import training_step

IMAGE_SIZE, PATCH, WIDTH, DEPTH, HEADS, PRED_WIDTH, PRED_DEPTH = 28, 4, 192, 6, 3, 96, 4
MOMENTUM, LEARNING_RATE = 0.996, 1e-3


def official_step_factory(batch_size: int, num_steps: int):
    from src.masks.multiblock import MaskCollator
    from src.masks.utils import apply_masks
    from src.models.vision_transformer import VisionTransformer, vit_predictor
    from src.utils.tensors import repeat_interleave_batch

    encoder = VisionTransformer(
        img_size=[IMAGE_SIZE], patch_size=PATCH, embed_dim=WIDTH, depth=DEPTH, num_heads=HEADS, qkv_bias=True
    )
    predictor = vit_predictor(
        num_patches=encoder.patch_embed.num_patches,
        embed_dim=WIDTH,
        predictor_embed_dim=PRED_WIDTH,
        depth=PRED_DEPTH,
        num_heads=HEADS,
    )
    target_encoder = copy.deepcopy(encoder).requires_grad_(False)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *predictor.parameters()], lr=LEARNING_RATE)
    # the official recipe's mask settings (configs/in1k_vith14_ep300.yaml), on the 7 x 7 grid
    collator = MaskCollator(
        input_size=(IMAGE_SIZE, IMAGE_SIZE), patch_size=PATCH, enc_mask_scale=(0.85, 1.0),
        pred_mask_scale=(0.15, 0.2), aspect_ratio=(0.75, 1.5), nenc=1, npred=4, min_keep=4, allow_overlap=False,
    )  # fmt: skip
    masks = [collator([torch.zeros(1)] * batch_size)[1:] for _ in range(num_steps)]

    def step(images: torch.Tensor, index: int) -> None:
        masks_enc, masks_pred = masks[index % num_steps]
        with torch.no_grad():
            targets = target_encoder(images)
            targets = F.layer_norm(targets, (targets.size(-1),))
            targets = repeat_interleave_batch(apply_masks(targets, masks_pred), len(images), repeat=len(masks_enc))
        predictions = predictor(encoder(images, masks_enc), masks_enc, masks_pred)
        loss = F.smooth_l1_loss(predictions, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*encoder.parameters(), *predictor.parameters()], 1.0)
        optimizer.step()
        optimizer.zero_grad()
        with torch.no_grad():
            for online, target in zip(encoder.parameters(), target_encoder.parameters()):
                target.mul_(MOMENTUM).add_((1 - MOMENTUM) * online.detach())

    counts = (
        statistics.mean(m[0][0].shape[1] for m in masks),
        statistics.mean(sum(t.shape[1] for t in m[1]) for m in masks),
    )
    return step, counts


def hf_jepa_step_factory(batch_size: int, num_steps: int, precision: str):
    mixed_precision = "bf16" if precision == "bf16" else "no"
    config = JEPAConfig(
        image_size=IMAGE_SIZE, patch_size=PATCH, num_channels=3, hidden_size=WIDTH, num_hidden_layers=DEPTH,
        num_attention_heads=HEADS, mlp_ratio=4.0, pred_hidden_size=PRED_WIDTH,
        pred_num_hidden_layers=PRED_DEPTH, pred_num_attention_heads=HEADS, loss_type="smooth_l1",
        attn_implementation=default_attn_implementation(mixed_precision, "cpu"),
    )  # fmt: skip
    config.context_block_scale = official_context_block_scale(config)
    model = JEPAForPreTraining(config).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE)
    accelerator = Accelerator(cpu=True, mixed_precision=mixed_precision)  # the loop's own step (`training_step`)
    model, optimizer = accelerator.prepare(model, optimizer)
    generator = torch.Generator().manual_seed(0)
    masks = [sample_masks(config, batch_size, generator) for _ in range(num_steps)]

    def step(images: torch.Tensor, index: int) -> None:
        context, targets = masks[index % num_steps]
        inputs = {"pixel_values": images, "context_mask": context, "target_mask": targets}
        training_step(accelerator, model, optimizer, inputs, 1.0, MOMENTUM)

    counts = (
        statistics.mean(c[0].shape[1] for c, _ in masks),
        statistics.mean(sum(t.shape[1] for t in ts) for _, ts in masks),
    )
    return step, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", required=True, help="A checkout of facebookresearch/ijepa.")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument(
        "--precision", choices=["fp32", "bf16"], default="fp32", help="hf_jepa's precision (the official code: fp32)."
    )
    parser.add_argument("--windows", type=int, default=6, help="Timed windows per implementation (alternating).")
    parser.add_argument("--steps", type=int, default=5, help="Steps per window.")
    args = parser.parse_args()
    sys.path.insert(0, args.official)
    torch.manual_seed(0)
    images = torch.randn(args.batch_size, 3, IMAGE_SIZE, IMAGE_SIZE)
    num_masks = args.windows * args.steps
    sides = {
        "official I-JEPA (fp32)": official_step_factory(args.batch_size, num_masks),
        f"hf_jepa ({args.precision})": hf_jepa_step_factory(args.batch_size, num_masks, args.precision),
    }
    peak = measure_matmul_peak("fp32", "cpu", 4096)
    throughput = {name: [] for name in sides}
    for step, _ in sides.values():  # warm-up
        step(images, 0)
    for window in range(args.windows):
        order = list(sides.items()) if window % 2 == 0 else list(sides.items())[::-1]
        for name, (step, _) in order:
            start = time.perf_counter()
            for index in range(args.steps):
                step(images, window * args.steps + index)
            throughput[name].append(args.batch_size * args.steps / (time.perf_counter() - start))
    reference = statistics.median(throughput["official I-JEPA (fp32)"])
    print(f"{torch.get_num_threads()} threads; fp32 matmul peak {peak / 1e9:.0f} GFLOP/s")
    print("| implementation | context tokens | target tokens | images/s (median of windows) | min-max | vs official |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (_, (context, target)) in sides.items():
        values = throughput[name]
        median = statistics.median(values)
        spread = f"{min(values):.1f}-{max(values):.1f}"
        print(f"| {name} | {context:.1f} | {target:.1f} | {median:.1f} | {spread} | {median / reference:.2f}x |")


if __name__ == "__main__":
    main()
