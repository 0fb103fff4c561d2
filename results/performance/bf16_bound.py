"""How much bf16 can give the `tiny` training step on this CPU (issue 16): the step in fp32, under bf16 autocast (what
`--mixed_precision bf16` runs: fp32 weights, casts around every matrix product) and with the whole model and its
inputs in bf16 (no casts at all; not a training recipe, only an upper bound for what removing the casts could give),
each with sdpa and eager attention. Forward with multi-block masks, backward, AdamW; batch 128 of random images.
Configurations alternate step by step so that all see the same load.

    python results/performance/bf16_bound.py --steps 12
"""

import argparse
import statistics
import time

import torch

from hf_jepa import JEPAConfig, JEPAForPreTraining
from hf_jepa.benchmark import measure_matmul_peak
from hf_jepa.masking import sample_masks

MODES = ("fp32", "bf16 autocast", "bf16 weights")


def make_step(config: JEPAConfig, mode: str, images: torch.Tensor, masks: list):
    torch.manual_seed(0)
    model = JEPAForPreTraining(config).train()
    if mode == "bf16 weights":
        model, images = model.to(torch.bfloat16), images.to(torch.bfloat16)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step(index: int) -> None:
        context, targets = masks[index % len(masks)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "bf16 autocast"):
            loss = model(pixel_values=images, context_mask=context, target_mask=targets).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12, help="Timed steps per configuration (after 2 warm-up).")
    parser.add_argument("--batch_size", type=int, default=128)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)
    steps = {}
    for attention in ("sdpa", "eager"):
        config = JEPAConfig.from_preset("tiny", attn_implementation=attention)
        images = torch.randn(args.batch_size, config.num_channels, config.image_size, config.image_size)
        masks = [sample_masks(config, args.batch_size, generator) for _ in range(8)]
        for mode in MODES:
            steps[(mode, attention)] = make_step(config, mode, images, masks)
    peaks = {precision: measure_matmul_peak(precision, "cpu", 4096) for precision in ("fp32", "bf16")}
    seconds = {key: [] for key in steps}
    for index in range(args.steps + 2):
        for key, step in steps.items() if index % 2 == 0 else reversed(steps.items()):
            start = time.perf_counter()
            step(index)
            if index >= 2:
                seconds[key].append(time.perf_counter() - start)
    reference = statistics.median(seconds[("fp32", "sdpa")])
    fp32, bf16 = peaks["fp32"] / 1e9, peaks["bf16"] / 1e9
    print(
        f"{torch.get_num_threads()} threads; matmul peak fp32 {fp32:.0f}, bf16 {bf16:.0f} GFLOP/s ({bf16 / fp32:.2f}x)"
    )
    print("| precision | attention | images/s (median) | vs fp32 sdpa |")
    print("|---|---|---:|---:|")
    for (mode, attention), values in seconds.items():
        median = statistics.median(values)
        print(f"| {mode} | {attention} | {args.batch_size / median:.1f} | {reference / median:.2f}x |")


if __name__ == "__main__":
    main()
