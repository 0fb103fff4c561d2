import hashlib
import inspect

import pytest
import torch

from hf_jepa import JEPAConfig, JEPAMaskCollator, data, sample_masks
from hf_jepa.configuration_jepa import MASK_STRATEGIES
from hf_jepa.masking import MASKING_STRATEGIES, masking_parameters, multiblock_masks, temporal_masks

IMAGE_STRATEGIES = ["multiblock", "block", "random"]
VIDEO_STRATEGIES = ["multiblock", "block", "random", "tube", "multiblock3d", "temporal"]
CASES = [("tiny", s) for s in IMAGE_STRATEGIES] + [("base", "multiblock")]
CASES += [("tiny-video", s) for s in VIDEO_STRATEGIES]


def draw(preset, strategy, seed=0, batch_size=16, **overrides):
    config = JEPAConfig.from_preset(preset, mask_strategy=strategy, **overrides)
    return config, sample_masks(config, batch_size, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("preset,strategy", CASES)
def test_masks_are_valid_index_sets(preset, strategy):
    config, (contexts, targets) = draw(preset, strategy)
    num_tokens = config.num_patches
    for masks in (contexts, targets):
        assert len({mask.shape for mask in masks}) == 1, "every tensor of a list has the same [B, K] shape"
        for mask in masks:
            assert mask.shape[0] == 16 and mask.shape[1] >= 1
            assert mask.dtype == torch.int64
            assert mask.min() >= 0 and mask.max() < num_tokens
            assert torch.equal(mask, mask.sort(dim=1).values)
            assert all(len(set(row.tolist())) == len(row) for row in mask)
    for row in range(16):
        context = set(contexts[0][row].tolist())
        for target in targets:
            assert context.isdisjoint(target[row].tolist())


@pytest.mark.parametrize("preset,strategy", CASES)
def test_same_seed_same_masks_other_seed_other_masks(preset, strategy):
    _, first = draw(preset, strategy, seed=3)
    _, again = draw(preset, strategy, seed=3)
    _, other = draw(preset, strategy, seed=4)
    flatten = lambda masks: torch.cat([m.flatten() for group in masks for m in group])  # noqa: E731
    assert torch.equal(flatten(first), flatten(again))
    if strategy != "temporal":  # temporal masking is deterministic by design
        assert not torch.equal(flatten(first), flatten(other))


@pytest.mark.parametrize("ratio", [0.3, 0.75, 0.9])
def test_random_and_tube_ratios(ratio):
    config, (contexts, targets) = draw("tiny", "random", mask_ratio=ratio)
    assert targets[0].shape[1] == round(ratio * config.num_patches)
    assert contexts[0].shape[1] + targets[0].shape[1] == config.num_patches
    config, (contexts, targets) = draw("tiny-video", "tube", mask_ratio=ratio)
    time, height, width = config.grid_size
    spatial = targets[0] % (height * width)
    assert targets[0].shape[1] == time * round(ratio * height * width)
    # a tube covers the same spatial positions at every time step
    per_step = spatial.view(16, time, -1)
    assert torch.equal(per_step, per_step[:, :1].expand_as(per_step))


def test_multiblock_matches_official_proportions_at_224px():
    config, (contexts, targets) = draw("base", "multiblock", batch_size=64)
    num_tokens = config.num_patches
    assert len(targets) == 4
    for target in targets:
        assert 0.1 <= target.shape[1] / num_tokens <= 0.25
    assert 0.1 <= contexts[0].shape[1] / num_tokens <= 0.6


def test_multiblock_target_blocks_are_rectangles():
    (contexts, targets) = multiblock_masks((1, 10, 12), 8, torch.Generator().manual_seed(0))
    for target in targets:
        for row in target:
            rows, cols = row // 12, row % 12
            height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
            assert height * width == len(row)


def test_temporal_masks_split_past_and_future():
    contexts, targets = temporal_masks((4, 2, 2), batch_size=3, frames_ahead=1)
    assert torch.equal(contexts[0][0], torch.arange(12))
    assert torch.equal(targets[0][0], torch.arange(12, 16))
    with pytest.raises(ValueError, match="frames_ahead"):
        temporal_masks((4, 2, 2), batch_size=3, frames_ahead=4)


def test_multiblock_that_covers_everything_is_a_clear_error():
    with pytest.raises(ValueError, match="leaves no context"):
        multiblock_masks((1, 2, 2), 2, torch.Generator(), num_target_blocks=8, target_block_scale=(1.0, 1.0))


def test_collator_stacks_examples_and_adds_masks():
    config = JEPAConfig.from_preset("tiny")
    examples = [{"pixel_values": torch.randn(3, 32, 32), "labels": index % 3} for index in range(5)]
    batch = JEPAMaskCollator(config, seed=1)(examples)
    assert batch["pixel_values"].shape == (5, 3, 32, 32)
    assert batch["labels"].tolist() == [0, 1, 2, 0, 1]
    assert len(batch["context_mask"]) == 1 and len(batch["target_mask"]) == config.num_target_blocks
    assert batch["context_mask"][0].shape[0] == 5


@pytest.mark.parametrize("keep_batch_size", [False, True])
def test_collator_replaces_undecodable_samples_where_batches_keep_their_size(keep_batch_size):
    """Processes all-gather their batches for the batch statistics (one size from each): there, undecodable samples
    are replaced by repeats of the batch's decodable ones."""
    config = JEPAConfig.from_preset("tiny")
    examples = [{"pixel_values": torch.full((3, 32, 32), float(index)), "labels": index} for index in range(3)]
    examples.insert(1, {"skipped": True, "id": "broken.png", "error": "truncated"})
    collator = JEPAMaskCollator(config, collate_fn=data.collate_skipping_bad, keep_batch_size=keep_batch_size)
    batch = collator(examples)
    expected = [0, 1, 2, 0] if keep_batch_size else [0, 1, 2]
    assert batch["labels"].tolist() == expected and batch["num_skipped"] == 1
    assert batch["pixel_values"][:, 0, 0, 0].tolist() == expected
    assert all(mask.shape[0] == len(expected) for mask in [*batch["context_mask"], *batch["target_mask"]])
    every_one_broken = collator([examples[1]] * 2)
    assert len(every_one_broken["pixel_values"]) == 0 and "context_mask" not in every_one_broken


def test_collator_seeds_masks_by_the_batch_samples_not_by_the_call():
    config = JEPAConfig.from_preset("tiny")
    examples = [{"pixel_values": torch.randn(3, 32, 32), "sample_key": (0, index)} for index in range(4)]
    first, second = JEPAMaskCollator(config, seed=1), JEPAMaskCollator(config, seed=1)
    second(examples[::-1])  # another batch first: the draws of a keyed batch do not depend on what came before
    masks = [collator(examples)["context_mask"][0] for collator in (first, second)]
    assert torch.equal(masks[0], masks[1])
    other_epoch = [{**example, "sample_key": (1, example["sample_key"][1])} for example in examples]
    other_seed = JEPAMaskCollator(config, seed=2)(examples)["context_mask"][0]
    other_samples = first(other_epoch)["context_mask"][0]
    assert not torch.equal(other_seed, masks[0]) and not torch.equal(other_samples, masks[0])
    # without keys, the collator's own generator: one seed, a fixed sequence of different draws
    plain = [{"pixel_values": example["pixel_values"]} for example in examples]
    collator = JEPAMaskCollator(config, seed=1)
    draws = [collator(plain)["target_mask"][0] for _ in range(2)]
    assert not torch.equal(draws[0], draws[1])
    assert torch.equal(JEPAMaskCollator(config, seed=1)(plain)["target_mask"][0], draws[0])


def test_pretraining_loader_draws_the_same_masks_in_workers_as_in_the_main_process(tmp_path):
    """The masks of a batch depend on the samples it holds, not on the DataLoader worker that collates it."""
    config = JEPAConfig.from_preset("tiny")
    images = data.load_media_dataset(cache_dir=str(tmp_path)).select(range(64))
    dataset = data.MediaDataset(images, "image", data.build_transform(32, [0.5] * 3, [0.5] * 3, train=True), seed=0)
    dataset.set_epoch(3)

    def masks(num_workers: int) -> list[torch.Tensor]:
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_size=8,
            shuffle=True,
            generator=torch.Generator().manual_seed(0),
            num_workers=num_workers,
            collate_fn=JEPAMaskCollator(config, seed=0, collate_fn=data.collate_skipping_bad),
        )
        return [torch.cat([*batch["context_mask"], *batch["target_mask"]], 1) for batch in loader]

    in_main, in_workers = masks(0), masks(2)
    assert len(in_main) == 8
    assert all(torch.equal(a, b) for a, b in zip(in_main, in_workers, strict=True))
    assert len({tuple(mask[0].tolist()) for mask in in_main}) > 1, "every batch draws its own masks"


def test_small_grids_keep_the_official_proportions():
    """The tiny preset's 8x8 grid keeps the context / target shares that multi-block masking has at 224 px (14x14)."""

    def shares(preset):
        config = JEPAConfig.from_preset(preset)
        draws = [sample_masks(config, 128, torch.Generator().manual_seed(seed)) for seed in range(20)]
        context = sum(c[0].shape[1] for c, _ in draws) / len(draws) / config.num_patches
        target = sum(t[0].shape[1] for _, t in draws) / len(draws) / config.num_patches
        return context, target

    (tiny_context, tiny_target), (base_context, base_target) = shares("tiny"), shares("base")
    assert abs(tiny_context - base_context) < 0.06 and abs(tiny_target - base_target) < 0.03
    assert 0.2 < base_context < 0.4 and 0.13 < base_target < 0.22


def test_registry_matches_the_configuration():
    """The configuration keeps the strategy names for its own validation (it ships as remote code): they cannot
    drift from the registry, and every parameter is both a JEPAConfig attribute and a keyword of the sampler."""
    assert tuple(MASKING_STRATEGIES) == MASK_STRATEGIES
    config = JEPAConfig()
    for name, strategy in MASKING_STRATEGIES.items():
        keywords = inspect.signature(strategy.sampler).parameters
        assert list(keywords)[:2] == ["grid", "batch_size"] and "generator" in keywords, name
        for parameter in strategy.parameters:
            assert hasattr(config, parameter) and parameter in keywords, (name, parameter)
    video = JEPAConfig.from_preset("tiny-video", mask_strategy="tube", mask_ratio=0.5)
    assert masking_parameters(video) == {"mask_ratio": 0.5}
    with pytest.raises(ValueError, match="Unknown mask_strategy 'grid'"):
        masking_parameters(type("Config", (), {"mask_strategy": "grid"})())


def _digest(masks) -> str:
    contexts, targets = masks
    digest = hashlib.sha256()
    for mask in contexts + targets:
        digest.update(str(tuple(mask.shape)).encode())
        digest.update(mask.numpy().tobytes())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize(
    ("preset", "strategy", "seed", "expected"),
    [
        ("tiny", "multiblock", 0, "366d3eb7a3ec72f1"),
        ("tiny", "block", 1, "8771bef4d2f3b01b"),
        ("tiny", "random", 2, "8aa90d4597d001e9"),
        ("tiny-video", "tube", 3, "7656f6400b53f461"),
        ("tiny-video", "multiblock3d", 4, "6213440ce27ee428"),
        ("tiny-video", "temporal", 5, "5e95f34ae44ca04e"),
        ("base", "multiblock", 6, "22aef39ab910a3fe"),
    ],
)
def test_known_draws_stay_bit_identical(preset, strategy, seed, expected):
    """Masks drawn before the strategies moved into one registry: a run resumed or repeated gets the same masks."""
    _, masks = draw(preset, strategy, seed=seed, batch_size=4)
    assert _digest(masks) == expected
