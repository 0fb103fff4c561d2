# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The Gradio Space (hf_jepa/space/app.py), end to end: the app runs in a subprocess on 127.0.0.1 with tiny
checkpoints and is driven through gradio_client and a headless Chromium.

The browser test saves a screenshot to a temporary file. To regenerate the README's picture with the main job's model
(it must exist: `accelerate launch scripts/pretrain.py recipes/tiny-cpu.yaml`):

    SPACE_SCREENSHOT=docs/space_screenshot.png pytest tests/test_space.py -k browser

`SPACE_SCREENSHOT_MODEL` names another checkpoint to show (default: the main job's `outputs/jepa-tiny-fashion-mnist`).
"""

import contextlib
import importlib.util
import json
import os
import re
import runpy
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from accelerate.state import AcceleratorState
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from test_world_model_training import episodes, quick_args  # noqa: F401  (a fixture and the tiny training run)
from torchcodec.decoders import VideoDecoder
from transformers import AutoImageProcessor, IJepaConfig, IJepaModel

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAWorldModel, goal_energy, train_world_model
from hf_jepa.data import DEFAULT_IMAGE_MEAN, DEFAULT_IMAGE_STD, build_processor
from hf_jepa.data.episodes import render_to_pixel_values
from hf_jepa.envs import PUSH_T_ID, TwoRoomEnv, make_env
from hf_jepa.masking import sample_masks, temporal_masks
from hf_jepa.planning import latent_distance
from hf_jepa.spaces import SPACE_SOURCE, serve_space

REPO = Path(__file__).resolve().parents[1]
APP = SPACE_SOURCE / "app.py"
EXAMPLES = SPACE_SOURCE / "examples"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAIN_JOB_MODEL = REPO / "outputs" / "jepa-tiny-fashion-mnist"
# the mask settings the tests send to /masks and /predict
MASK_RATIO, NUM_BLOCKS, BLOCK_SCALE, ASPECT_RATIO = 0.75, 4, (0.15, 0.2), (0.75, 1.5)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    paths = {name: str(root / name) for name in ("image", "video", "ijepa")}
    JEPAForPreTraining(JEPAConfig.from_preset("tiny")).save_pretrained(paths["image"])
    JEPAForPreTraining(JEPAConfig.from_preset("tiny-video")).save_pretrained(paths["video"])
    ijepa = IJepaConfig(
        image_size=32, patch_size=4, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128
    )
    IJepaModel(ijepa).save_pretrained(paths["ijepa"])
    return paths


@pytest.fixture(scope="module")
def world_model(episodes, tmp_path_factory) -> str:  # noqa: F811  (the imported fixture)
    """A JEPAWorldModel trained for three steps by `train_world_model` on eight real TwoRoom episodes (16 px,
    frame_step 2); its training_args.json names the episodes, which is how the Space finds them."""
    output_dir = tmp_path_factory.mktemp("world_model")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_world_model(quick_args(output_dir, episodes[0]))
    finally:
        torch.set_num_threads(threads)
        AcceleratorState._reset_state(reset_partial_state=True)
    return str(output_dir)


@pytest.fixture(scope="module")
def push_t_world_model(world_model, tmp_path_factory) -> str:
    """The world model, its config naming Push-T as the environment it was trained in (as training on episodes
    recorded in Push-T writes it): it plans there, whatever the episodes."""
    folder = tmp_path_factory.mktemp("push_t_world_model") / "push_t"
    shutil.copytree(world_model, folder)
    config = json.loads((folder / "config.json").read_text())
    assert config["env_id"] is None  # the TwoRoom episodes it was trained on name no environment
    (folder / "config.json").write_text(json.dumps({**config, "env_id": PUSH_T_ID, "env_kwargs": {}}))
    return str(folder)


@contextlib.contextmanager
def serve_app(command: list[str], cwd: Path, env: dict[str, str], logs: Path) -> Iterator[str]:
    """Runs a Gradio app (`command`, in `cwd`) on a free port of 127.0.0.1 until the block ends; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **env,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(logs / "gradio"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    url = f"http://127.0.0.1:{port}/"
    with open(logs / "app.log", "w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"The app did not start:\n{(logs / 'app.log').read_text()}")
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def screenshot_model() -> list[str]:
    """The model the browser test shows first when it regenerates the README's screenshot (`SPACE_SCREENSHOT`)."""
    if "SPACE_SCREENSHOT" not in os.environ:
        return []
    model = Path(os.environ.get("SPACE_SCREENSHOT_MODEL", MAIN_JOB_MODEL))
    if not (model / "model.safetensors").is_file():
        pytest.fail(f"SPACE_SCREENSHOT asks for a screenshot of a trained model, but {model} holds none yet.")
    return [str(model)]


@pytest.fixture(scope="module")
def unusable_episodes(tmp_path_factory) -> dict[str, str]:
    """Two episode datasets the Space offers (JEPA_EPISODES) but cannot use: a folder deleted since, and saved
    images without episodes."""
    folder = tmp_path_factory.mktemp("unusable_episodes")
    images = datasets.Dataset.from_dict({"observation.image": [Image.new("RGB", (16, 16))]})
    images.save_to_disk(str(folder / "not_episodes"))
    return {"deleted": str(folder / "deleted"), "not_episodes": str(folder / "not_episodes")}


# how the `hf-jepa space` command serves the packaged app, on the port that serve_app chose
SERVE_SPACE = """
import os, sys
from hf_jepa.spaces import serve_space

serve_space(sys.argv[1], server_port=int(os.environ["GRADIO_SERVER_PORT"]))
"""


@pytest.fixture(scope="module")
def server(checkpoints, world_model, push_t_world_model, unusable_episodes, tmp_path_factory) -> Iterator[str]:
    """The packaged app served by `serve_space`, showing the first model on load; the others come from JEPA_MODEL."""
    first, *others = screenshot_model() + list(checkpoints.values()) + [world_model, push_t_world_model]
    env = {**os.environ, "JEPA_MODEL": ",".join(others), "JEPA_EPISODES": ",".join(unusable_episodes.values())}
    with serve_app([sys.executable, "-c", SERVE_SPACE, first], REPO, env, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server, verbose=False)


def mask_arguments(model: str, image, seed: int, strategy: str = "multiblock", frames_ahead: int = 1) -> list:
    """Positional inputs of the /masks and /predict endpoints."""
    return [model, image, strategy, MASK_RATIO, NUM_BLOCKS, *BLOCK_SCALE, *ASPECT_RATIO, frames_ahead, seed]


def reference_masks(preset: str, seed: int, strategy: str = "multiblock", frames_ahead: int = 1):
    """The masks the app must show, drawn here straight from hf_jepa.masking."""
    config = JEPAConfig.from_preset(
        preset,
        mask_strategy=strategy,
        mask_ratio=MASK_RATIO,
        num_target_blocks=NUM_BLOCKS,
        target_block_scale=BLOCK_SCALE,
        target_aspect_ratio=ASPECT_RATIO,
        frames_ahead=frames_ahead,
    )
    return config, sample_masks(config, 1, torch.Generator().manual_seed(seed))


def grey_image(path: Path, size: tuple[int, int] = (40, 40)) -> Path:
    Image.new("RGB", size, (128, 128, 128)).save(path)
    return path


def panels(image: np.ndarray, time_steps: int) -> list[np.ndarray]:
    """Splits a rendering into its square per-time-step panels (laid side by side with a gap)."""
    side = image.shape[0]
    gap = (image.shape[1] - time_steps * side) // max(1, time_steps - 1)
    return [image[:, step * (side + gap) : step * (side + gap) + side] for step in range(time_steps)]


def cell_centres(panel: np.ndarray, grid_side: int) -> np.ndarray:
    cell = panel.shape[0] // grid_side
    centres = np.arange(grid_side) * cell + cell // 2
    return panel[centres][:, centres].astype(int)  # [rows, cols, 3]


def read_png(path: str) -> np.ndarray:
    assert path.endswith(".png")
    return np.asarray(Image.open(path).convert("RGB"))


def test_serve_space_names_a_bad_model_or_episodes_before_the_app_starts(
    checkpoints, unusable_episodes, tmp_path, monkeypatch
):
    monkeypatch.setattr(runpy, "run_path", lambda *args, **kwargs: pytest.fail("the app started"))
    for variable in ("JEPA_MODEL", "JEPA_EPISODES"):
        monkeypatch.setenv(variable, "")  # restored after the test: serve_space sets them for the app
    with pytest.raises(ValueError, match=f"The model folder '{tmp_path / 'missing'}' does not exist"):
        serve_space(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="not_episodes is not an episode dataset"):
        serve_space(checkpoints["image"], episodes=unusable_episodes["not_episodes"])


def test_the_space_preprocesses_with_the_checkpoints_processor(checkpoints, tmp_path, monkeypatch):
    """The Space feeds the model the pixels of `AutoImageProcessor.from_pretrained(model)`, not its own version."""
    folder = tmp_path / "with_processor"
    shutil.copytree(checkpoints["image"], folder)
    build_processor(JEPAConfig.from_preset("tiny"), [0.3, 0.4, 0.5], [0.2, 0.25, 0.3]).save_pretrained(folder)
    monkeypatch.setenv("JEPA_MODEL", str(folder))
    spec = importlib.util.spec_from_file_location("space_app", APP)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    loaded = app.MODELS.inspected(str(folder))
    assert loaded.processor_source == "the checkpoint's processor"
    shipped = AutoImageProcessor.from_pretrained(folder)
    for path in sorted(EXAMPLES.glob("*.png")):
        pixels = app.image_inputs(loaded, str(path))
        expected = shipped(Image.open(path), return_tensors="pt")["pixel_values"]
        assert pixels.shape == expected.shape == (1, 3, 32, 32)
        torch.testing.assert_close(pixels, expected, atol=1e-5, rtol=0)
    # a click maps to the patch under it in the centre crop the model sees: a 64 x 48 image keeps x in [8, 56)
    assert loaded.seen_region(64, 48) == (8.0, 0.0, 48.0, 48.0)


def test_describe_model_sets_controls_from_config(client, checkpoints):
    summary, strategy, mask_ratio, blocks, *_, mask_ahead, video_ahead = client.predict(
        checkpoints["video"], api_name="/describe_model"
    )
    assert "JEPAForPreTraining" in summary and "video model (8 frames, 4 time steps)" in summary
    assert [choice[0] for choice in strategy["choices"]][-3:] == ["tube", "multiblock3d", "temporal"]
    assert strategy["value"] == "multiblock3d"
    assert (mask_ratio, blocks) == (0.75, 4)
    assert video_ahead["maximum"] == 3 and mask_ahead["visible"] is True

    summary, strategy, *_, mask_ahead, _ = client.predict(checkpoints["ijepa"], api_name="/describe_model")
    assert "IJepaModel" in summary and "predictor: no" in summary and "ImageNet defaults" in summary
    assert "preprocessing: hf_jepa's processor for its config" in summary
    assert [choice[0] for choice in strategy["choices"]] == ["multiblock", "block", "random"]
    assert mask_ahead["visible"] is False


@pytest.mark.parametrize(
    ("model", "preset", "strategy", "seed"),
    [
        ("image", "tiny", "multiblock", 3),
        ("image", "tiny", "block", 4),
        ("image", "tiny", "random", 5),
        ("video", "tiny-video", "tube", 6),
        ("video", "tiny-video", "temporal", 7),
    ],
)
def test_masks_match_hf_jepa_masking(client, checkpoints, tmp_path, model, preset, strategy, seed):
    ahead = 2 if model == "video" else 1
    client.predict(checkpoints[model], api_name="/describe_model")  # what choosing the model in the UI does
    image = handle_file(grey_image(tmp_path / "grey.png"))
    rendering, counts = client.predict(
        *mask_arguments(checkpoints[model], image, seed, strategy, frames_ahead=ahead), api_name="/masks"
    )
    config, (context, targets) = reference_masks(preset, seed, strategy, frames_ahead=ahead)
    time_steps, side, _ = config.grid_size
    union = set(torch.cat([target[0] for target in targets]).tolist())
    seen = union | set(context[0][0].tolist())
    assert counts == {
        "grid": list(config.grid_size),
        "tokens": config.num_patches,
        "context": context[0].shape[1],
        "target_blocks": [target.shape[1] for target in targets],
        "target_union": len(union),
        "dropped": config.num_patches - len(seen),
    }

    # read the patches back from the picture: grey = context, dark grey = dropped, anything else = a target block
    image = read_png(rendering)
    cells = np.concatenate([cell_centres(panel, side) for panel in panels(image, time_steps)])
    context_cells = (np.abs(cells - 128) <= 2).all(-1)
    dropped_cells = (np.abs(cells - 32) <= 2).all(-1)
    assert context_cells.sum() == counts["context"]
    assert dropped_cells.sum() == counts["dropped"]
    assert (~context_cells & ~dropped_cells).sum() == counts["target_union"]


def test_prediction_matches_the_model_forward(client, checkpoints, tmp_path):
    seed = 11
    client.predict(checkpoints["image"], api_name="/describe_model")
    rendering, loss, info = client.predict(
        *mask_arguments(checkpoints["image"], handle_file(grey_image(tmp_path / "grey.png")), seed),
        api_name="/predict",
    )
    config, (context, targets) = reference_masks("tiny", seed)
    model = JEPAForPreTraining.from_pretrained(checkpoints["image"]).eval()
    grey = (128 / 255 - torch.tensor(DEFAULT_IMAGE_MEAN)) / torch.tensor(DEFAULT_IMAGE_STD)
    pixel_values = grey.view(1, 3, 1, 1).expand(1, 3, 32, 32)
    with torch.no_grad():
        output = model(pixel_values=pixel_values, context_mask=context, target_mask=targets)
    assert loss == pytest.approx(output.prediction_loss.item(), rel=1e-4)
    assert info["loss"] == loss and info["loss_type"] == "mse"
    block_cosine = F.cosine_similarity(output.predictions, output.targets, dim=-1).mean(1)
    assert info["block_cosine"] == pytest.approx(block_cosine.tolist(), abs=1e-4)
    union = torch.cat([target[0] for target in targets]).unique().tolist()
    patch_cosine = np.array(info["patch_cosine"], dtype=object).reshape(-1)
    assert [index for index, value in enumerate(patch_cosine) if value is not None] == union
    assert read_png(rendering).shape == (384, 384, 3)


def test_feature_similarity_and_correspondence(client, checkpoints):
    sneaker, other = handle_file(EXAMPLES / "sneaker_1.png"), handle_file(EXAMPLES / "sneaker_2.png")
    assert Image.open(EXAMPLES / "sneaker_1.png").mode == "L"  # the examples are grayscale
    for row, col in [(3, 5), (6, 1)]:
        heat_a, heat_b, pca, info = client.predict(
            checkpoints["image"], sneaker, other, row, col, api_name="/similarity"
        )
        similarity_a = np.array(info["similarity_a"])
        assert similarity_a.shape == (8, 8) and np.array(info["similarity_b"]).shape == (8, 8)
        assert info["patch"] == info["best_match_a"] == [row, col]
        assert similarity_a[row, col] == pytest.approx(1.0, abs=1e-4) and similarity_a.max() <= 1.0 + 1e-4
        assert read_png(heat_a).shape == read_png(heat_b).shape == (384, 384, 3)
        pca_image = read_png(pca)
        assert pca_image.shape[0] == 384 and 2 * 384 < pca_image.shape[1] < 2 * 384 + 48

    heat_a, heat_b, pca, info = client.predict(checkpoints["ijepa"], sneaker, None, 0, 0, api_name="/similarity")
    assert heat_b is None and "similarity_b" not in info and info["best_match_a"] == [0, 0]
    assert read_png(pca).shape == (384, 384, 3)

    with pytest.raises(AppError, match=r"Patch \(row 8, column 0\) is outside the model's 8x8 patch grid"):
        client.predict(checkpoints["image"], sneaker, other, 8, 0, api_name="/similarity")


@pytest.fixture(scope="module")
def long_grey_clip(tmp_path_factory) -> Path:
    """A 600-frame (24 s) clip of uniform grey frames."""
    path = tmp_path_factory.mktemp("video") / "long.mp4"
    command = ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=25:d=24"]
    subprocess.run([*command, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_video_surprise_matches_the_model_forward(client, checkpoints, long_grey_clip):
    start, step, ahead = 500, 3, 2
    client.predict(checkpoints["video"], api_name="/describe_model")
    rendering, curve, info = client.predict(
        checkpoints["video"], handle_file(long_grey_clip), start, step, ahead, api_name="/surprise"
    )
    used = list(range(start, start + 8 * step, step))
    assert info["video_frames"] == 600 and info["frames_used"] == used  # cut to the model's 8-frame clip
    assert info["context_frames"] == used[:4] and info["predicted_frames"] == used[4:]

    frames = VideoDecoder(str(long_grey_clip)).get_frames_at(used).data
    assert frames.float().std() == 0  # uniform, so resizing leaves the value unchanged
    colour = frames[0, :, 0, 0].float() / 255
    pixels = (colour - torch.tensor(DEFAULT_IMAGE_MEAN)) / torch.tensor(DEFAULT_IMAGE_STD)
    pixel_values = pixels.view(1, 1, 3, 1, 1).expand(1, 8, 3, 32, 32)
    context, targets = temporal_masks((4, 8, 8), 1, frames_ahead=ahead)
    model = JEPAForPreTraining.from_pretrained(checkpoints["video"]).eval()
    with torch.no_grad():
        output = model(pixel_values=pixel_values, context_mask=context, target_mask=targets)
        latents = F.layer_norm(model.target_encoder(pixel_values).last_hidden_state, (192,)).reshape(4, 64, 192)
    predicted = F.cosine_similarity(output.predictions, output.targets, dim=-1).reshape(ahead, 64).mean(1)
    copied = F.cosine_similarity(latents[1:2].expand(2, -1, -1), latents[2:], dim=-1).mean(1)
    assert info["loss"] == pytest.approx(output.prediction_loss.item(), rel=1e-4)
    assert info["predicted_cosine"] == pytest.approx(predicted.tolist(), abs=1e-4)
    assert info["copy_last_frame_cosine"] == pytest.approx(copied.tolist(), abs=1e-4)

    rows = {(frame, series): value for frame, value, series in curve["data"]}
    assert rows == pytest.approx(
        {
            **{(used[4], "predicted"): predicted[0].item(), (used[6], "predicted"): predicted[1].item()},
            (used[4], "copy of the last seen frame"): copied[0].item(),
            (used[6], "copy of the last seen frame"): copied[1].item(),
        },
        abs=1e-4,
    )
    assert len(panels(read_png(rendering), 4)) == 4 and read_png(rendering).shape[0] == 384


def test_example_clip_and_video_errors(client, checkpoints, long_grey_clip, tmp_path):
    example = handle_file(EXAMPLES / "moving_fashion.mp4")
    client.predict(checkpoints["video"], api_name="/describe_model")
    _, curve, info = client.predict(checkpoints["video"], example, 0, 1, 3, api_name="/surprise")
    assert info["predicted_frames"] == [2, 3, 4, 5, 6, 7] and len(curve["data"]) == 6

    with pytest.raises(AppError, match="is an image model"):
        client.predict(checkpoints["image"], example, 0, 1, 1, api_name="/surprise")
    with pytest.raises(AppError, match="The video has 600 frames, but 8 frames every 4 from frame 580 need 609"):
        client.predict(checkpoints["video"], handle_file(long_grey_clip), 580, 4, 1, api_name="/surprise")
    with pytest.raises(AppError, match="Value 4 is greater than maximum value 3"):  # 4 time steps
        client.predict(checkpoints["video"], example, 0, 1, 4, api_name="/surprise")
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_text("not a video")
    with pytest.raises(AppError, match="Could not decode 'notes.mp4' as a video"):
        client.predict(checkpoints["video"], handle_file(not_a_video), 0, 1, 1, api_name="/surprise")


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares a huge size (PIL refuses it as a decompression bomb before decoding anything)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return path


def test_bad_images_get_clear_messages_and_the_app_stays_up(client, checkpoints, tmp_path):
    model = checkpoints["image"]
    client.predict(model, api_name="/describe_model")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(AppError, match="cannot identify image file .*notes.txt"):
        client.predict(*mask_arguments(model, handle_file(text), 0), api_name="/masks")
    with pytest.raises(AppError, match="exceeds limit of .* pixels"):
        client.predict(
            *mask_arguments(model, handle_file(png_header_only(tmp_path / "huge.png", 20000, 20000)), 0),
            api_name="/masks",
        )
    tiny = grey_image(tmp_path / "tiny.png", size=(6, 40))
    with pytest.raises(AppError, match="The image is 6x40 px, smaller than the model's 8x8 patch grid"):
        client.predict(*mask_arguments(model, handle_file(tiny), 0), api_name="/masks")
    with pytest.raises(AppError, match="has no predictor"):
        client.predict(
            *mask_arguments(checkpoints["ijepa"], handle_file(EXAMPLES / "bag.png"), 0), api_name="/predict"
        )

    # a 24-megapixel JPEG is downscaled first and answers like a small one
    large = tmp_path / "large.jpg"
    Image.new("RGB", (6000, 4000), (128, 128, 128)).save(large, quality=95)
    rendering, counts = client.predict(*mask_arguments(model, handle_file(large), 3), api_name="/masks")
    small = handle_file(grey_image(tmp_path / "small.png"))
    assert counts == client.predict(*mask_arguments(model, small, 3), api_name="/masks")[1]
    assert read_png(rendering).shape == (384, 384, 3)
    assert (np.abs(cell_centres(read_png(rendering), 8) - 128) <= 2).all(-1).sum() == counts["context"]

    # transparency is composited over white: every context patch of a fully transparent image is white
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(clear)
    rendering, counts = client.predict(*mask_arguments(model, handle_file(clear), 3), api_name="/masks")
    cells = cell_centres(read_png(rendering), 8)
    assert (cells == 255).all(-1).sum() == counts["context"]

    summary = client.predict(model, api_name="/describe_model")[0]
    assert "image model" in summary


def test_browser_click_shows_heat_map(server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    screenshot = Path(os.environ.get("SPACE_SCREENSHOT", tmp_path / "space.png"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Feature similarity").click()
        page.locator("#image_a img").wait_for(state="visible", timeout=30_000)
        page.locator("#image_a input[type=file]").set_input_files(str(EXAMPLES / "ankle_boot.png"))
        image = page.locator("#image_a img[src*='ankle_boot']")  # 336 px: shown scaled to fit, filling its box
        image.wait_for(state="visible", timeout=30_000)
        box = image.bounding_box()
        image.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.6})
        page.locator("#heat_a img").wait_for(state="visible", timeout=30_000)
        page.locator("#heat_b img").wait_for(state="visible", timeout=30_000)
        assert page.locator("#patch_row input").input_value() == str(int(0.6 * 8))
        assert page.locator("#patch_col input").input_value() == str(int(0.3 * 8))
        assert page.locator("#heat_a img").get_attribute("src").endswith(".png")
        shown = page.locator("#model input").input_value()
        assert shown == Path(screenshot_model()[0]).name if screenshot_model() else shown == "image"
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert Image.open(screenshot).size[0] == 1400


def replay_in_two_room(start, goal, actions: list[list[float]]) -> tuple[np.ndarray, float, int]:
    """Executes model actions (frame_step TwoRoom actions each) from `start`; returns the final position, its
    distance to the goal and the environment steps taken (stopping on success, as the environment does)."""
    env = TwoRoomEnv(render_mode=None)
    env.reset(options={"start": start, "goal": goal})
    steps, info = 0, {"distance": float(np.linalg.norm(np.subtract(start, goal)))}
    for action in actions:
        for part in np.reshape(action, (-1, 2)):
            _, _, terminated, _, info = env.step(part)
            steps += 1
            if terminated:
                return env.position, info["distance"], steps
    return env.position, info["distance"], steps


def test_plan_tab_executes_mpc_and_shows_the_nearest_recorded_frames(client, world_model, episodes):  # noqa: F811
    episodes_path, dataset = episodes
    summary, chosen = client.predict(world_model, api_name="/describe_world_model")
    assert "one model step = 2 TwoRoom steps" in summary and chosen["value"] == str(episodes_path)
    start, goal, horizon, max_steps = (0.2, 0.3), (0.8, 0.7), 3, 4
    executed, energies, distances, gallery, info = client.predict(
        world_model, str(episodes_path), *start, *goal, 1000, "cem", horizon, 16, 2, max_steps, 0, 0, api_name="/plan"
    )
    # the episode: what the executed actions do in a fresh TwoRoom, frame for frame
    assert not info["reached"] and info["model_steps"] == max_steps  # a three-step model does not reach the goal
    position, distance, steps = replay_in_two_room(start, goal, info["executed_actions"])
    assert info["final_distance"] == pytest.approx(distance, abs=1e-6)
    assert (
        info["distances"][0] == pytest.approx(np.hypot(0.6, 0.4)) and info["distances"][-1] == info["final_distance"]
    )
    assert info["environment_steps"] == steps == 2 * max_steps
    gif = Image.open(executed["path"] if isinstance(executed, dict) else executed)
    assert gif.format == "GIF" and gif.n_frames == steps + 1 and gif.size == (256, 256)
    assert len(info["plan_energies"]) == max_steps and len(info["distances"]) == max_steps + 1
    assert [step for step, _ in energies["data"]] == list(range(max_steps))  # one plan per model step
    assert [value for _, value in energies["data"]] == pytest.approx(info["plan_energies"])
    assert [value for _, value in distances["data"]] == pytest.approx(info["distances"])

    # the first plan's energy and its imagined frames, recomputed from the checkpoint and the dataset
    model = JEPAWorldModel.from_pretrained(world_model).eval()
    frames = [render_to_pixel_values(TwoRoomEnv(image_size=16).render_at(xy), 16) for xy in (start, goal)]
    first_plan = torch.tensor(info["first_plan_actions"])
    with torch.no_grad():
        start_latent, goal_latent = model.encode(torch.stack(frames)[None])[0]
        energy = goal_energy(model, start_latent[None], goal_latent, all_steps=True)(first_plan[None])
        predicted = model.rollout(start_latent[None, None], model.normalize_actions(first_plan[None]))[0]
        pixels = torch.stack([render_to_pixel_values(np.array(image), 16) for image in dataset["observation.image"]])
        recorded = model.encode(pixels[:, None])[:, 0]
    assert energy.item() == pytest.approx(info["plan_energies"][0], rel=1e-4)
    nearest = [int(latent_distance(recorded, latent[None]).argmin()) for latent in predicted]
    assert info["frames_searched"] == info["dataset_rows"] == len(dataset)  # small: every recorded frame
    assert info["imagined_rows"] == nearest and len(nearest) == horizon
    assert [item["caption"] for item in gallery][:: horizon + 1] == ["start (observed)", "goal"]
    assert all(
        f"episode {dataset[row]['episode_index']}, frame {dataset[row]['frame_index']}" in item["caption"]
        for row, item in zip(nearest, gallery[1:-1])
    )

    *_, info = client.predict(
        world_model, str(episodes_path), *start, *goal, 1000, "mppi", horizon, 16, 2, 2, 0, api_name="/plan"
    )
    assert info["model_steps"] == len(info["plan_energies"]) == 2


def test_plan_tab_names_bad_inputs(client, checkpoints, world_model, episodes, unusable_episodes):  # noqa: F811
    settings = [1000, "cem", 3, 16, 2, 2, 0]  # the pair seed (read outside TwoRoom), then the planner

    def plan(model, episodes_name, start, goal):
        return client.predict(model, str(episodes_name), *start, *goal, *settings, api_name="/plan")

    with pytest.raises(AppError, match=rf"Value: .*image is not in the list of choices: \['{re.escape(world_model)}'"):
        plan(checkpoints["image"], episodes[0], (0.2, 0.3), (0.8, 0.7))  # the Plan tab offers world models only
    with pytest.raises(AppError, match=r"The start \(0.2, 0.3\) is already at the goal \(0.2, 0.3\)"):
        plan(world_model, episodes[0], (0.2, 0.3), (0.2, 0.3))
    with pytest.raises(AppError, match=r"options\['goal'\]=\(0.5, 0.1\) is not a free position"):
        plan(world_model, episodes[0], (0.2, 0.3), (0.5, 0.1))  # inside the wall
    deleted = re.escape(unusable_episodes["deleted"])
    with pytest.raises(AppError, match=rf"Could not load the episode dataset '{deleted}'"):
        plan(world_model, unusable_episodes["deleted"], (0.2, 0.3), (0.8, 0.7))
    with pytest.raises(AppError, match=r"'.*not_episodes' is not an episode dataset: it has no \['episode_index'"):
        plan(world_model, unusable_episodes["not_episodes"], (0.2, 0.3), (0.8, 0.7))

    # the evaluation's pair 1000: start and goal in different rooms
    *pair, preview = client.predict(world_model, 1000, None, api_name="/draw_pair")
    start, info = TwoRoomEnv(render_mode=None).reset(seed=1000)
    assert pair == pytest.approx([*start, *info["goal"]]) and (pair[0] < 0.5) != (pair[2] < 0.5)
    assert read_png(preview).shape == (256, 256, 3)


def test_browser_plan_tab_click_sets_the_goal_and_plans(server):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Plan").click()
        page.get_by_text("one model step = 2 TwoRoom steps").wait_for(timeout=30_000)  # described on load
        arena = page.locator("#executed img")
        arena.wait_for(state="visible", timeout=30_000)
        box = arena.bounding_box()  # the 256 px arena, centred in its box and shrunk to fit (object-fit: scale-down)
        side = 256 * min(1.0, box["width"] / 256, box["height"] / 256)
        left, top = (box["width"] - side) / 2, (box["height"] - side) / 2
        arena.click(position={"x": left + 0.8 * side, "y": top + 0.25 * side})
        moved = "Math.abs(document.querySelector('#goal_x input').value - 0.8) < 0.01"
        page.wait_for_function(moved, timeout=30_000)
        assert float(page.locator("#goal_x input").input_value()) == pytest.approx(0.8, abs=0.01)
        assert float(page.locator("#goal_y input").input_value()) == pytest.approx(0.25, abs=0.01)
        page.locator("#max_steps input[type=number]").fill("3")  # a short episode keeps the test quick
        page.locator("#max_steps input[type=number]").press("Enter")
        page.locator("#plan_button").click()
        page.locator("#executed img[src$='.gif']").wait_for(state="visible", timeout=60_000)
        page.wait_for_function("document.querySelectorAll('#imagined img').length == 7", timeout=30_000)  # 5 + 2
        page.get_by_text("Numbers (actions, energies, distances, recorded rows)").click()
        shown = "(document.querySelector('#plan_info')?.innerText ?? '').replace(/\\s/g, '')"
        page.wait_for_function(f"{shown}.includes('\"model_steps\":3,')", timeout=30_000)
        browser.close()


def test_the_plan_tab_plans_where_the_world_model_was_trained(client, push_t_world_model, episodes):  # noqa: F811
    """A world model whose config names Push-T: described, and its pairs drawn, in Push-T, with or without episodes
    (those it was trained on, here TwoRoom's, only give the imagined frames)."""
    pytest.importorskip("gym_pusht")
    summary, _ = client.predict(push_t_world_model, api_name="/describe_world_model")
    assert "one model step = 2 PushT steps" in summary
    env = make_env(PUSH_T_ID, 256)
    start, info = env.reset(seed=1000)
    expected = np.concatenate([env.unwrapped.render_at(start), env.unwrapped.render_at(info["goal"])], 1)
    for episodes_name in (None, str(episodes[0])):
        *_, preview = client.predict(push_t_world_model, 1000, episodes_name, api_name="/draw_pair")
        assert np.array_equal(read_png(preview), expected)  # the start and goal frames of pair 1000, side by side
