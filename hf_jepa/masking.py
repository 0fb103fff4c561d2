# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Mask generators for JEPA pretraining.

Every generator is a pure function of the token grid `(time, height, width)`, its parameters and a
`torch.Generator`, and returns index tensors in the convention of the official I-JEPA / V-JEPA code and of
transformers' `VJEPA2Model`: a list of context masks and a list of target masks, each a `[batch, num_kept]`
tensor of sorted token indices (`t * height * width + h * width + w`). Within one list all tensors have the
same length, so that the model can batch them.
"""

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .configuration_jepa import JEPAConfig
from .data import collate_examples

Grid = tuple[int, int, int]
Masks = tuple[list[torch.Tensor], list[torch.Tensor]]


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * torch.rand(1, generator=generator).item()


def sample_block_shape(
    generator: torch.Generator, grid: Grid, scale: Sequence[float], aspect_ratio: Sequence[float]
) -> tuple[int, int]:
    """Samples the (height, width) of a block covering `scale` of the grid; aspect ratio drawn log-uniformly."""
    _, height, width = grid
    area = _uniform(generator, *scale) * height * width
    aspect = math.exp(_uniform(generator, math.log(aspect_ratio[0]), math.log(aspect_ratio[1])))
    block_height = min(height, max(1, round(math.sqrt(area * aspect))))
    block_width = min(width, max(1, round(math.sqrt(area / aspect))))
    return block_height, block_width


def place_block(generator: torch.Generator, grid: Grid, shape: tuple[int, int]) -> torch.Tensor:
    """A spatial `[height, width]` boolean mask with one block of `shape` at a uniformly random position."""
    _, height, width = grid
    block_height, block_width = shape
    top = int(torch.randint(0, height - block_height + 1, (1,), generator=generator))
    left = int(torch.randint(0, width - block_width + 1, (1,), generator=generator))
    mask = torch.zeros(height, width, dtype=torch.bool)
    mask[top : top + block_height, left : left + block_width] = True
    return mask


def place_blocks(
    generator: torch.Generator, grid: Grid, shape: tuple[int, int], count: int
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """`count` blocks of one `shape`, each placed by `place_block`, and their union: the target blocks of one sample
    of multi-block masking (2-D and 3-D)."""
    blocks = [place_block(generator, grid, shape) for _ in range(count)]
    return blocks, torch.stack(blocks).any(0)


def _through_time(spatial_mask: torch.Tensor, grid: Grid) -> torch.Tensor:
    """Token indices of a spatial mask repeated over every time step of the grid."""
    return spatial_mask.expand(grid[0], -1, -1).flatten().nonzero().squeeze(1)


def _equal_length(
    per_sample: list[torch.Tensor], generator: torch.Generator, length: int | None = None
) -> torch.Tensor:
    """Stacks index sets into `[batch, length]` by keeping a random subset of each (default: the shortest size)."""
    length = min(len(indices) for indices in per_sample) if length is None else length
    kept = []
    for indices in per_sample:
        if len(indices) > length:
            choice = torch.randperm(len(indices), generator=generator)[:length]
            indices = indices[choice].sort().values
        kept.append(indices)
    return torch.stack(kept)


def multiblock_masks(
    grid: Grid,
    batch_size: int,
    generator: torch.Generator,
    num_target_blocks: int = JEPAConfig.num_target_blocks,
    target_block_scale: Sequence[float] = JEPAConfig.target_block_scale,
    target_aspect_ratio: Sequence[float] = JEPAConfig.target_aspect_ratio,
    context_block_scale: Sequence[float] = JEPAConfig.context_block_scale,
    min_context_fraction: float = JEPAConfig.min_context_fraction,
    max_tries: int = 20,
) -> Masks:
    """I-JEPA multi-block masking (the defaults are `JEPAConfig`'s).

    One target-block shape and one context-block shape are drawn per batch (so all target blocks of a batch have the
    same number of tokens); their positions are drawn per sample. The context is a large square-ish block with every
    target block removed. Spatial blocks extend through all time steps of a video grid.
    """
    spatial_size = grid[1] * grid[2]
    target_shape = sample_block_shape(generator, grid, target_block_scale, target_aspect_ratio)
    context_shape = sample_block_shape(generator, grid, context_block_scale, (1.0, 1.0))
    min_context = max(1, math.ceil(min_context_fraction * spatial_size))

    contexts, targets = [], [[] for _ in range(num_target_blocks)]
    for _ in range(batch_size):
        for _ in range(max_tries):
            blocks, covered = place_blocks(generator, grid, target_shape, num_target_blocks)
            context = place_block(generator, grid, context_shape) & ~covered
            if context.sum() >= min_context:
                break
        else:  # the context block keeps too little after removing targets: use everything the targets leave
            context = ~covered
            if not context.any():
                raise ValueError(
                    f"multiblock masking with {num_target_blocks} target blocks of shape {target_shape} covers the "
                    f"whole {grid[1]}x{grid[2]} grid and leaves no context; lower num_target_blocks or "
                    f"target_block_scale."
                )
        contexts.append(_through_time(context, grid))
        for block_index, block in enumerate(blocks):
            targets[block_index].append(_through_time(block, grid))
    return [_equal_length(contexts, generator)], [torch.stack(block) for block in targets]


def block_masks(
    grid: Grid,
    batch_size: int,
    generator: torch.Generator,
    target_block_scale: Sequence[float] = (0.15, 0.2),
    target_aspect_ratio: Sequence[float] = (0.75, 1.5),
) -> Masks:
    """One rectangular target block per sample (through all time steps); the context is everything else."""
    shape = sample_block_shape(generator, grid, target_block_scale, target_aspect_ratio)
    if shape[0] * shape[1] == grid[1] * grid[2]:
        raise ValueError(
            f"block masking with target_block_scale {tuple(target_block_scale)} covers the whole "
            f"{grid[1]}x{grid[2]} grid and leaves no context; lower target_block_scale."
        )
    contexts, targets = [], []
    for _ in range(batch_size):
        block = place_block(generator, grid, shape)
        targets.append(_through_time(block, grid))
        contexts.append(_through_time(~block, grid))
    return [torch.stack(contexts)], [torch.stack(targets)]


def _random_split(num_tokens: int, mask_ratio: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    num_targets = min(num_tokens - 1, max(1, round(mask_ratio * num_tokens)))
    order = torch.randperm(num_tokens, generator=generator)
    return order[num_targets:].sort().values, order[:num_targets].sort().values


def random_masks(grid: Grid, batch_size: int, generator: torch.Generator, mask_ratio: float = 0.75) -> Masks:
    """A random `mask_ratio` of all tokens is target, the rest context."""
    num_tokens = grid[0] * grid[1] * grid[2]
    contexts, targets = zip(*(_random_split(num_tokens, mask_ratio, generator) for _ in range(batch_size)))
    return [torch.stack(contexts)], [torch.stack(targets)]


def tube_masks(grid: Grid, batch_size: int, generator: torch.Generator, mask_ratio: float = 0.75) -> Masks:
    """V-JEPA tube masking: a random `mask_ratio` of the spatial positions is target through all time steps."""
    time, height, width = grid
    offsets = torch.arange(time).unsqueeze(1) * height * width
    contexts, targets = [], []
    for _ in range(batch_size):
        context, target = _random_split(height * width, mask_ratio, generator)
        contexts.append((offsets + context).flatten())
        targets.append((offsets + target).flatten())
    return [torch.stack(contexts)], [torch.stack(targets)]


def multiblock3d_masks(
    grid: Grid,
    batch_size: int,
    generator: torch.Generator,
    num_target_blocks: int = JEPAConfig.num_target_blocks,
    target_block_scale: Sequence[float] = JEPAConfig.target_block_scale,
    target_aspect_ratio: Sequence[float] = JEPAConfig.target_aspect_ratio,
) -> Masks:
    """V-JEPA multi-block masking (the defaults are `JEPAConfig`'s): the target is the union of several spatial blocks
    extended through time, the context is every other token."""
    shape = sample_block_shape(generator, grid, target_block_scale, target_aspect_ratio)
    contexts, targets = [], []
    for _ in range(batch_size):
        _, covered = place_blocks(generator, grid, shape, num_target_blocks)
        if covered.all():  # all blocks together cover the frame: free one random position for the context
            covered.view(-1)[torch.randint(covered.numel(), (1,), generator=generator)] = False
        targets.append(_through_time(covered, grid))
        contexts.append(_through_time(~covered, grid))
    return [_equal_length(contexts, generator)], [_equal_length(targets, generator)]


def temporal_masks(
    grid: Grid, batch_size: int, frames_ahead: int = 1, generator: torch.Generator | None = None
) -> Masks:
    """Future-frame prediction: context = every token of the first time steps, target = the last `frames_ahead`.

    Deterministic: `generator` is unused, taken so that every sampler of `MASKING_STRATEGIES` can be called alike
    (`generator=` by name).
    """
    time, height, width = grid
    if not 1 <= frames_ahead < time:
        raise ValueError(f"frames_ahead ({frames_ahead}) must be at least 1 and smaller than the {time} time steps.")
    boundary = (time - frames_ahead) * height * width
    context = torch.arange(boundary).expand(batch_size, -1)
    target = torch.arange(boundary, time * height * width).expand(batch_size, -1)
    return [context.clone()], [target.clone()]


@dataclass(frozen=True)
class MaskingStrategy:
    """A mask generator and the `JEPAConfig` attributes it takes, which are also the names of its keyword arguments."""

    sampler: Callable[..., Masks]
    parameters: tuple[str, ...]


# The one table of strategies: `sample_masks` dispatches through it, the model card lists each strategy's parameters
# from it and the Space labels its controls with it. Its names are `configuration_jepa.MASK_STRATEGIES`, which the
# configuration keeps for its own validation because it ships as remote code and cannot import this module.
MASKING_STRATEGIES: dict[str, MaskingStrategy] = {
    "multiblock": MaskingStrategy(
        multiblock_masks,
        (
            "num_target_blocks",
            "target_block_scale",
            "target_aspect_ratio",
            "context_block_scale",
            "min_context_fraction",
        ),
    ),
    "block": MaskingStrategy(block_masks, ("target_block_scale", "target_aspect_ratio")),
    "random": MaskingStrategy(random_masks, ("mask_ratio",)),
    "tube": MaskingStrategy(tube_masks, ("mask_ratio",)),
    "multiblock3d": MaskingStrategy(
        multiblock3d_masks, ("num_target_blocks", "target_block_scale", "target_aspect_ratio")
    ),
    "temporal": MaskingStrategy(temporal_masks, ("frames_ahead",)),
}


def _strategy(name: str) -> MaskingStrategy:
    if name not in MASKING_STRATEGIES:
        raise ValueError(f"Unknown mask_strategy {name!r}; choose one of {list(MASKING_STRATEGIES)}.")
    return MASKING_STRATEGIES[name]


def masking_parameters(config: JEPAConfig) -> dict[str, Any]:
    """The parameters of `config.mask_strategy`, as `config` sets them."""
    return {name: getattr(config, name) for name in _strategy(config.mask_strategy).parameters}


def sample_masks(config: JEPAConfig, batch_size: int, generator: torch.Generator) -> Masks:
    """Masks for one batch following the masking settings of `config`."""
    sampler = _strategy(config.mask_strategy).sampler
    return sampler(config.grid_size, batch_size, generator=generator, **masking_parameters(config))


def refill(batch: dict, size: int) -> dict:
    """`batch` with its samples (pixels, local views, labels) repeated in turn up to `size` rows."""
    index = torch.arange(size) % len(batch["pixel_values"])
    per_sample = ("pixel_values", "local_pixel_values", "labels")
    return {**batch, **{name: batch[name][index] for name in per_sample if name in batch}}


class JEPAMaskCollator:
    """Collates examples into a batch and adds the masks of `config`'s strategy, as `JEPAForPreTraining` takes them:
    one `context_mask` / `target_mask` row per sample, or per view and sample (view-major) for the hybrid objective;
    none for the multi-view objective. Pretraining uses it as its DataLoader's `collate_fn`, so that the masks are
    drawn in the DataLoader workers, off the training loop.

    Examples that carry a `"sample_key"` (those of `data.MediaDataset` and `data.StreamingMediaDataset`: epoch and
    position) get masks drawn from a generator seeded by `seed` and the keys of the whole batch: a batch's masks then
    depend only on which samples it holds, not on the worker that collates it, so a resumed run draws the same ones.
    Other examples get masks from the collator's own generator, seeded by `seed`.

    Args:
        config: the model configuration; its masking settings choose the strategy and parameters.
        seed: the seed of the masks.
        collate_fn: how examples become a batch; pretraining passes `data.collate_skipping_bad`, which also counts the
            undecodable samples.
        keep_batch_size: a batch that lost undecodable samples gets repeats of its decodable ones in their place
            (`refill`). Several processes need it: their batches are all-gathered (`gather_batch`), which takes one
            size from every process.
    """

    def __init__(
        self,
        config: JEPAConfig,
        seed: int = 0,
        collate_fn: Callable[[list[dict]], dict] = collate_examples,
        keep_batch_size: bool = False,
    ):
        self.config = config
        self.seed = seed
        self.collate_fn = collate_fn
        self.keep_batch_size = keep_batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def keyed_generator(self, sample_keys: list) -> torch.Generator:
        """A generator seeded by the seed and the batch's sample keys (a stable hash: Python's `hash` of a string
        changes from process to process)."""
        digest = hashlib.blake2b(repr((self.seed, sample_keys)).encode(), digest_size=8).digest()
        return torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)

    def __call__(self, examples: list[dict]) -> dict:
        batch = self.collate_fn(examples)
        if self.keep_batch_size and 0 < len(batch["pixel_values"]) < len(examples):
            batch = refill(batch, len(examples))
        pixel_values = batch["pixel_values"]
        if self.config.objective == "multiview" or len(pixel_values) == 0:
            return batch
        sample_keys = [example.get("sample_key") for example in examples]
        generator = self.generator if None in sample_keys else self.keyed_generator(sample_keys)
        rows = len(pixel_values) * (pixel_values.shape[1] if self.config.objective == "hybrid" else 1)
        batch["context_mask"], batch["target_mask"] = sample_masks(self.config, rows, generator)
        return batch


__all__ = [
    "MASKING_STRATEGIES",
    "JEPAMaskCollator",
    "MaskingStrategy",
    "block_masks",
    "masking_parameters",
    "multiblock3d_masks",
    "multiblock_masks",
    "random_masks",
    "sample_masks",
    "temporal_masks",
    "tube_masks",
]
