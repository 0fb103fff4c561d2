"""hf_jepa.evaluation.inspection and hf_jepa.visualization without Gradio: micro models (conftest MICRO), the Space's
example images and clip."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import MICRO
from PIL import Image
from transformers import AutoImageProcessor, IJepaConfig, PreTrainedConfig

from hf_jepa import JEPAConfig, JEPAForPreTraining
from hf_jepa.data import build_processor
from hf_jepa.evaluation import inspection
from hf_jepa.evaluation.inspection import CONTEXT, DROPPED, MaskSettings
from hf_jepa.masking import sample_masks, temporal_masks
from hf_jepa.spaces import SPACE_SOURCE
from hf_jepa.visualization import (
    colour_grid_image,
    colour_map,
    display_frames,
    mask_image,
    score_image,
    similarity_image,
    thumbnail,
    write_gif,
)

EXAMPLES = SPACE_SOURCE / "examples"
CLIP = str(EXAMPLES / "moving_fashion.mp4")  # 32 frames of 64 x 64 px
MULTIBLOCK = MaskSettings("multiblock", 0.75, 3, 0.15, 0.3, 0.75, 1.5, 1, seed=5)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    """Micro pretraining checkpoints: an image model saved with its own processor, and a video model without one."""
    root = tmp_path_factory.mktemp("inspection")
    torch.manual_seed(0)
    image, video = str(root / "image"), str(root / "video")
    JEPAForPreTraining(JEPAConfig(**MICRO)).save_pretrained(image)
    build_processor(JEPAConfig(**MICRO), [0.3, 0.4, 0.5], [0.2, 0.25, 0.3]).save_pretrained(image)
    JEPAForPreTraining(JEPAConfig(**MICRO, num_frames=4, tubelet_size=2)).save_pretrained(video)
    return {"image": image, "video": video}


def inspected(path: str) -> inspection.InspectedModel:
    return inspection.load_inspected_model(path)


def example_inputs(model: inspection.InspectedModel, name: str = "bag.png") -> torch.Tensor:
    return model.pixel_values(inspection.read_image(str(EXAMPLES / name), model.grid[1], 768)[None])


def example_features(model: inspection.InspectedModel, *names: str) -> list[torch.Tensor]:
    return [inspection.patch_features(model.encoder, example_inputs(model, name), model.grid) for name in names]


def test_token_grid_of_jepa_and_transformers_configs():
    assert inspection.token_grid(JEPAConfig(**MICRO)) == (1, 4, 4)
    assert inspection.token_grid(JEPAConfig(**MICRO, num_frames=4, tubelet_size=2)) == (2, 4, 4)
    assert inspection.token_grid(IJepaConfig(image_size=32, patch_size=4)) == (1, 8, 8)
    with pytest.raises(ValueError, match="PreTrainedConfig is not a ViT with an integer image_size and patch_size"):
        inspection.token_grid(PreTrainedConfig())


def test_a_loaded_model_preprocesses_with_its_checkpoints_processor(checkpoints, tmp_path):
    model = inspected(checkpoints["image"])
    assert model.processor_source == "the checkpoint's processor" and model.grid == (1, 4, 4)
    assert model.has_predictor and model.encoder is model.model.target_encoder and not model.is_video
    path = EXAMPLES / "sneaker_1.png"  # grayscale: read as three equal channels
    expected = AutoImageProcessor.from_pretrained(checkpoints["image"])(Image.open(path), return_tensors="pt")
    torch.testing.assert_close(example_inputs(model, path.name), expected["pixel_values"], atol=1e-5, rtol=0)
    assert model.seen_region(64, 48) == (8.0, 0.0, 48.0, 48.0)  # the centre crop of the shorter side

    with pytest.raises(ValueError, match="Could not load the model"):
        inspected(str(tmp_path / "missing"))
    video = inspection.load_inspected_model(checkpoints["video"], JEPAConfig.from_pretrained(checkpoints["video"]))
    assert video.processor_source.startswith("hf_jepa's processor") and video.is_video
    assert example_inputs(video).shape == (1, 4, 3, 16, 16)  # one image: a still clip


def test_read_image_scales_16_bit_images(tmp_path):
    grey = np.array([[0, 257 * 128], [65535, 257]] * 4, dtype=np.uint16).repeat(4, axis=1)  # 8 x 8
    Image.fromarray(grey).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode in ("I;16", "I")
    image = inspection.read_image(str(tmp_path / "deep.png"), 4, largest=100)
    assert image.dtype == torch.uint8 and image[:, 0, :4].unique().tolist() == [0]
    assert image[:, 0, 4:].unique().tolist() == [128] and image[:, 1, :4].unique().tolist() == [255]


def test_read_image_and_read_clip_name_bad_files(tmp_path):
    image = inspection.read_image(str(EXAMPLES / "bag.png"), 4, largest=100)
    assert image.dtype == torch.uint8 and image.shape == (3, 100, 100)
    assert torch.equal(image[0], image[1])  # a grayscale example
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(clear)
    assert (inspection.read_image(str(clear), 4, 100) == 255).all()  # transparency over white
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    with pytest.raises(ValueError, match="Could not read 'notes.txt' as an image"):
        inspection.read_image(str(notes), 4, 100)
    with pytest.raises(ValueError, match="The image is 8x8 px, smaller than the model's 16x16 patch grid"):
        inspection.read_image(str(clear), 16, 100)

    frames, indices, total = inspection.read_clip(CLIP, 4, start=3, step=5, min_side=4)
    assert frames.shape == (4, 3, 64, 64) and indices == [3, 8, 13, 18] and total == 32
    with pytest.raises(ValueError, match="The video has 32 frames, but 4 frames every 10 from frame 3 need 34"):
        inspection.read_clip(CLIP, 4, start=3, step=10, min_side=4)
    with pytest.raises(ValueError, match="Could not decode 'notes.txt' as a video"):
        inspection.read_clip(str(notes), 4, 0, 1, 4)


def test_masks_are_hf_jepa_masking_and_their_counts_add_up():
    context, targets = MULTIBLOCK.sample((1, 4, 4), image_size=16, num_frames=1)
    config = JEPAConfig(**MICRO, num_target_blocks=3, target_block_scale=(0.15, 0.3), target_aspect_ratio=(0.75, 1.5))
    expected_context, expected_targets = sample_masks(config, 1, torch.Generator().manual_seed(5))
    assert torch.equal(context[0], expected_context[0])
    assert all(torch.equal(a, b) for a, b in zip(targets, expected_targets))
    labels = inspection.cell_labels((1, 4, 4), context[0][0], [block[0] for block in targets])
    counts = inspection.mask_counts((1, 4, 4), context, targets)
    assert counts["tokens"] == 16 and counts["context"] == (labels == CONTEXT).sum() == context[0].shape[1]
    assert counts["target_union"] == (labels > CONTEXT).sum() == len(torch.cat(targets, 1).unique())
    assert counts["context"] + counts["target_union"] + counts["dropped"] == 16
    assert counts["dropped"] == (labels == DROPPED).sum()
    with pytest.raises(ValueError, match="mask_strategy"):
        MaskSettings("spiral", 0.75, 3, 0.15, 0.3, 0.75, 1.5, 1, 0).sample((1, 4, 4), 16, 1)


def test_prediction_scores_are_the_models_forward(checkpoints):
    model = inspected(checkpoints["image"])
    pixel_values = example_inputs(model)
    context, targets = MULTIBLOCK.sample(model.grid, 16, 1)
    scores = inspection.prediction_scores(model.model, pixel_values, context, targets)
    with torch.no_grad():
        output = model.model(pixel_values=pixel_values, context_mask=context, target_mask=targets)
    assert scores.loss == pytest.approx(output.prediction_loss.item(), rel=1e-5)
    torch.testing.assert_close(scores.cosine, F.cosine_similarity(output.predictions, output.targets, dim=-1))
    in_targets = set(torch.cat([block[0] for block in targets]).tolist())
    assert set(np.flatnonzero(~np.isnan(scores.patch_cosine.reshape(-1))).tolist()) == in_targets
    summary = scores.summary()
    assert summary["block_cosine"] == pytest.approx(scores.cosine.mean(1).tolist())
    assert sum(value is not None for value in np.ravel(summary["patch_cosine"])) == len(in_targets)


def test_target_latents_are_what_predictions_are_compared_with(checkpoints):
    model = inspected(checkpoints["image"]).model
    pixel_values = example_inputs(inspected(checkpoints["image"]))
    with torch.no_grad():
        hidden = model.target_encoder(pixel_values).last_hidden_state
    torch.testing.assert_close(model.target_latents(pixel_values), F.layer_norm(hidden, hidden.shape[-1:]))
    model.config.normalize_targets = False
    try:
        torch.testing.assert_close(model.target_latents(pixel_values), hidden)
    finally:
        model.config.normalize_targets = True


def test_video_surprise_against_the_forward_and_copying_the_last_seen_step(checkpoints):
    model = inspected(checkpoints["video"])
    frames, _, _ = inspection.read_clip(CLIP, 4, 0, 2, 4)
    pixel_values = model.pixel_values(frames)
    surprise = inspection.video_surprise(model.model, pixel_values, frames_ahead=1)
    context, targets = temporal_masks((2, 4, 4), 1, frames_ahead=1)
    with torch.no_grad():
        output = model.model(pixel_values=pixel_values, context_mask=context, target_mask=targets)
    latents = model.model.target_latents(pixel_values)[0]
    assert surprise.loss == pytest.approx(output.prediction_loss.item(), rel=1e-5)
    torch.testing.assert_close(
        surprise.predicted[0], F.cosine_similarity(output.predictions, output.targets, dim=-1)[0]
    )
    torch.testing.assert_close(surprise.copied[0], F.cosine_similarity(latents[:16], latents[16:], dim=-1))
    assert (surprise.labels[0] == CONTEXT).all() and (surprise.labels[1] == 1).all()
    assert surprise.time_step_frames([0, 2, 4, 6]) == [4]  # the first frame of the predicted time step
    assert surprise.summary([0, 2, 4, 6]) == {
        "context_frames": [0, 2],
        "predicted_frames": [4, 6],
        "predicted_cosine": surprise.predicted.mean(1).tolist(),
        "copy_last_frame_cosine": surprise.copied.mean(1).tolist(),
        "loss": surprise.loss,
    }
    assert (surprise.scores[0] == 0).all() and np.allclose(surprise.scores[1].reshape(-1), surprise.predicted[0])
    with pytest.raises(ValueError, match="frames_ahead"):
        inspection.video_surprise(model.model, pixel_values, frames_ahead=2)
    with pytest.raises(ValueError, match="JEPAModel has no predictor"):
        inspection.video_surprise(model.model.target_encoder, pixel_values, frames_ahead=1)


def test_similarity_maps_best_match_and_pca(checkpoints):
    model = inspected(checkpoints["image"])
    features = example_features(model, "sneaker_1.png", "sneaker_2.png")
    assert features[0].shape == (16, 32)
    maps = inspection.similarity_maps(features, model.grid, 2, 3)
    assert [tuple(values.shape) for values in maps] == [(4, 4), (4, 4)]
    assert maps[0][2, 3].item() == pytest.approx(1.0, abs=1e-5) and inspection.best_match(maps[0]) == [2, 3]
    with pytest.raises(ValueError, match=r"Patch \(row 4, column 0\) is outside the model's 4x4 patch grid"):
        inspection.similarity_maps(features, model.grid, 4, 0)
    colours = inspection.pca_colours(features, model.grid)
    assert colours.shape == (2, 4, 4, 3) and colours.min() == 0.0 and colours.max() == 1.0


def test_pictures_of_masks_scores_similarity_and_pca():
    panels = np.full((2, 8, 8, 3), 0.5)  # two time steps of a 4 x 4 grid, 2 px per patch
    labels = np.full((2, 4, 4), CONTEXT)
    labels[0, 0, 0], labels[1, 3, 3] = DROPPED, 1
    image = mask_image(panels, labels, cell=2)
    assert image.shape == (8, 8 + 2 + 8, 3) and image.dtype == np.uint8  # a 2 px gap between the time steps
    assert (image[1, 1] == 32).all() and (image[1, 3] == 128).all()  # dropped: dark; context: the panel
    assert tuple(image[7, -1]) == tuple(np.round((0.4 * 0.5 + 0.6 * np.array([230, 25, 75]) / 255) * 255))
    scores = np.where(labels > CONTEXT, 1.0, np.nan)
    assert tuple(score_image(panels, labels, scores, 2)[7, -1]) != (128, 128, 128)
    assert colour_map(np.array([0.0, 1.0])).tolist() == (np.array([[68, 1, 84], [253, 231, 37]]) / 255).tolist()
    heat = similarity_image(panels[0], torch.eye(4), low=0.0, cell=2)
    assert (heat[:2, :2] == 255).all() and (heat[2:4, 2:4] != 255).all()  # the best match (the first maximum)
    assert colour_grid_image(np.ones((2, 4, 4, 3)), cell=2).shape == (8, 18, 3)


def test_display_frames_undo_the_processor_and_gifs_hold_every_frame(tmp_path):
    pixel_values = (torch.full((1, 4, 3, 16, 16), 0.25) - 0.5) / 0.5
    frames = display_frames(pixel_values, [0.5] * 3, [0.5] * 3, time_steps=2, side=8)
    assert frames.shape == (2, 8, 8, 3) and np.allclose(frames, 0.25, atol=1e-6)
    assert display_frames(pixel_values[:, 0], [0.5] * 3, [0.5] * 3, 1, 8).shape == (1, 8, 8, 3)
    assert thumbnail(np.zeros((4, 4, 3), dtype=np.uint8), side=32).shape == (32, 32, 3)
    gif = Image.open(write_gif([np.full((8, 8, 3), value, dtype=np.uint8) for value in (0, 128, 255)], fps=10))
    assert gif.format == "GIF" and gif.n_frames == 3


def test_what_the_space_says_of_a_model_and_the_mask_settings_it_starts_from(checkpoints):
    image, video = inspected(checkpoints["image"]), inspected(checkpoints["video"])
    parameters = sum(parameter.numel() for parameter in image.model.parameters())
    assert image.summary() == (
        f"**JEPAForPreTraining**, image model, 16 px, patch grid 4x4, {parameters / 1e6:.1f}M parameters; "
        "predictor: yes; preprocessing: the checkpoint's processor."
    )
    assert "video model (4 frames, 2 time steps)" in video.summary()
    assert image.mask_strategies == ["multiblock", "block", "random"] and image.most_frames_ahead == 1
    assert video.mask_strategies[-3:] == ["tube", "multiblock3d", "temporal"] and video.most_frames_ahead == 1
    config = image.config
    assert MaskSettings.of_model(image, seed=3) == MaskSettings(
        config.mask_strategy,
        config.mask_ratio,
        config.num_target_blocks,
        *config.target_block_scale,
        *config.target_aspect_ratio,
        config.frames_ahead,
        3,
    )
    image.model.config.mask_strategy = "tube"  # a video strategy: an image model starts from its first one
    try:
        assert MaskSettings.of_model(image).strategy == "multiblock"
    finally:
        image.model.config.mask_strategy = JEPAConfig.mask_strategy
    assert inspection.strategies_taking("mask_ratio") == ["random", "tube"]
    assert inspection.strategies_taking("num_target_blocks", "frames_ahead")[-1] == "temporal"


def test_a_click_finds_the_patch_under_it_in_the_image_as_shown(checkpoints, tmp_path):
    model = inspected(checkpoints["image"])  # a 4 x 4 grid over the centre crop of the shorter side
    plain = tmp_path / "plain.png"
    Image.new("RGB", (64, 48)).save(plain)  # the model sees x in [8, 56)
    assert inspection.shown_size(str(plain)) == (64, 48)
    assert model.patch_at(str(plain), 8, 0) == (0, 0) and model.patch_at(str(plain), 55, 47) == (3, 3)
    assert model.patch_at(str(plain), 20, 13) == (1, 1) and model.patch_at(str(plain), 2, 60) == (3, 0)  # clamped
    turned = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # EXIF orientation: shown turned by 90 degrees, 48 x 64
    Image.new("RGB", (64, 48)).save(turned, exif=exif)
    assert inspection.shown_size(str(turned)) == (48, 64)
    assert model.patch_at(str(turned), 47, 8) == (0, 3)  # the model sees y in [8, 56)


def test_clip_inputs_and_the_surprise_curve(checkpoints):
    image, video = inspected(checkpoints["image"]), inspected(checkpoints["video"])
    with pytest.raises(ValueError, match="image' is an image model .* needs a video checkpoint"):
        image.check_predicts_clips()
    video.check_predicts_clips()
    pixel_values, indices, total = video.clip_inputs(CLIP, start=2, step=3)
    frames, _, _ = inspection.read_clip(CLIP, 4, 2, 3, 4)
    assert indices == [2, 5, 8, 11] and total == 32
    torch.testing.assert_close(pixel_values, video.pixel_values(frames))
    surprise = inspection.video_surprise(video.model, pixel_values, frames_ahead=1)
    predicted, copied = surprise.predicted.mean(1).tolist(), surprise.copied.mean(1).tolist()
    assert surprise.curve(indices) == {
        "frame": [8, 8],
        "cosine similarity": predicted + copied,
        "latents": ["predicted", "copy of the last seen frame"],
    }


def test_compare_patch_is_the_similarity_maps_and_pca_of_both_images(checkpoints):
    model = inspected(checkpoints["image"])
    features = example_features(model, "sneaker_1.png", "bag.png")
    compared = inspection.compare_patch(features, model.grid, 1, 2)
    maps = inspection.similarity_maps(features, model.grid, 1, 2)
    assert all(torch.equal(a, b) for a, b in zip(compared.maps, maps))
    assert np.array_equal(compared.pca, inspection.pca_colours(features, model.grid))
    assert compared.low == min(values.min().item() for values in maps)
    summary = compared.summary()
    assert summary["patch"] == summary["best_match_a"] == [1, 2]
    assert summary["similarity_b"] == maps[1].numpy().round(4).tolist()
    assert summary["best_match_b"] == inspection.best_match(maps[1])
    single = inspection.compare_patch(features[:1], model.grid, 0, 0).summary()
    assert "similarity_b" not in single and single["best_match_a"] == [0, 0]
    context, targets = MULTIBLOCK.sample(model.grid, 16, 1)
    labels = inspection.cell_labels(model.grid, context[0][0], [block[0] for block in targets])
    assert np.array_equal(inspection.sample_labels(model.grid, context, targets), labels)
