# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA explorer: what a JEPA model hides (masks), sees (patch features) and predicts (latents of hidden patches).

    hf-jepa space    # or: python hf_jepa/space/app.py, and python app.py in a Space folder

The models offered are those named in the `JEPA_MODEL` environment variable (Hub ids or local folders, separated by
commas; the first is the default), the Hub ids of `models.txt` next to this file, the checkpoints next to it
(`checkpoint*/`; `hf-jepa push-space` writes either into a Space) and the models the README's recipes trained into
`outputs/` of the working directory (the main job and the video recipe). A model is
loaded through `AutoModelForPreTraining` when its checkpoint holds a predictor (an hf_jepa `JEPAForPreTraining`),
else through `AutoModel` (an hf_jepa encoder or a transformers `IJepaModel`: masks and features, no prediction).
Masks come from `hf_jepa.masking`, so that the Space shows exactly what pretraining uses.

A `JEPAWorldModel` among those models gets the Plan tab instead: model-predictive control on TwoRoom with
`hf_jepa.planning`, and the first plan's imagined rollout shown as the nearest recorded frames. Those frames come from
the episode datasets named in `JEPA_EPISODES` (saved folders or Hub ids, separated by commas), the saved datasets next
to this file (`episodes*/`) and in `outputs/`, and the world models' own training data (their `training_args.json`).

The names of the files it reads beside it (`models.txt`, `checkpoint*/`, `episodes*/`) and the cap on recorded frames
come from `hf_jepa.spaces`, which writes them into a Space (where hf_jepa's sources sit beside this file).
"""

import functools
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from torchcodec.decoders import VideoDecoder
from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, PreTrainedConfig

from hf_jepa import JEPAConfig, MPCController
from hf_jepa.configuration_jepa import VIDEO_ONLY_STRATEGIES
from hf_jepa.data import (
    EPISODE_COLUMN,
    FRAME_COLUMN,
    apply_processor,
    build_processor,
    check_episode_dataset,
    checkpoint_processor,
    is_saved_dataset,
    load_media_dataset,
)
from hf_jepa.data.episodes import frame_transform, read_frames, render_to_pixel_values
from hf_jepa.masking import MASKING_STRATEGIES, sample_masks, temporal_masks
from hf_jepa.planning import latent_distance
from hf_jepa.spaces import (
    CHECKPOINT_DIR,
    EPISODES_DIR,
    MAX_RECORDED_FRAMES,
    MODELS_FILE,
    PROJECT_ROOT,
    WORLD_MODEL_TYPE,
)
from hf_jepa.world_model_training import training_episodes_folder

# The Plan tab's environment needs gymnasium (hf_jepa's `world-model` extra); the other tabs do not.
PLANNING_AVAILABLE = importlib.util.find_spec("gymnasium") is not None
if PLANNING_AVAILABLE:
    from hf_jepa.envs import TWO_ROOM_ID, TwoRoomEnv, make_env
    from hf_jepa.envs.two_room import FLOOR_COLOR
    from hf_jepa.planning_evaluation import (
        PLANNERS,
        FrameSkip,
        PlanningEvaluationArguments,
        TimedPlanner,
        build_planner,
        model_frame_step,
    )

APP_DIR = Path(__file__).resolve().parent
EXAMPLES_DIR = APP_DIR / "examples"
TRAINED_DIR = Path("outputs").resolve()  # where the README's main job and video recipe write their models
PANEL_SIDE = 384  # rendered panels are about this many pixels wide, rounded to whole patches
# One colour per target block (cycled when there are more blocks).
BLOCK_COLOURS = np.array(
    [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230)]
)
# Anchors of the viridis colour map (CC0): dark purple for low values, yellow for high ones.
VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)])
CONTEXT, DROPPED = 0, -1  # cell labels; target block k is k + 1
ARENA_SIDE = 256  # the executed episode is drawn this many pixels wide
GOAL_COLOUR, TRAIL_COLOUR = np.array([30, 160, 60], dtype=np.uint8), np.array([240, 160, 160], dtype=np.uint8)
FIRST_PAIR_SEED = 1000  # pair i of hf-jepa evaluate-planning is TwoRoom's reset(seed=1000 + i)


@dataclass(frozen=True)
class LoadedModel:
    name: str
    model: torch.nn.Module
    config: object
    grid: tuple[int, int, int]
    image_size: int
    num_frames: int
    processor: object  # the checkpoint's image / video processor, or the one hf_jepa ships for its config
    processor_source: str

    @property
    def encoder(self) -> torch.nn.Module:
        """The encoder whose features are shown: the EMA target encoder of a pretraining checkpoint."""
        return getattr(self.model, "target_encoder", self.model)

    @property
    def has_predictor(self) -> bool:
        return getattr(self.model, "predictor", None) is not None  # a multi-view model has none

    @property
    def is_video(self) -> bool:
        return self.num_frames > 1

    @property
    def cell(self) -> int:
        """Side of one patch in the rendered panels, in pixels."""
        return max(1, round(PANEL_SIDE / self.grid[1]))


def model_choices() -> list[str]:
    requested = [name.strip() for name in os.environ.get("JEPA_MODEL", "").split(",") if name.strip()]
    models_file = APP_DIR / MODELS_FILE  # a deployed Space's default Hub models, one a line
    listed = models_file.read_text().split() if models_file.is_file() else []
    shipped = [str(path.parent) for path in sorted(APP_DIR.glob(f"{CHECKPOINT_DIR}*/config.json"))]
    trained = [str(path.parent) for path in sorted(TRAINED_DIR.glob("*/config.json"))]
    return list(dict.fromkeys(requested + listed + shipped + trained))


def checkpoint_config(name: str) -> PreTrainedConfig:
    """The configuration of one of the offered models (`model_choices`)."""
    if name not in model_choices():
        raise gr.Error(f"Unknown model {name!r}; choose one of {model_choices()}.")
    try:
        return AutoConfig.from_pretrained(name, trust_remote_code=True)
    except (OSError, ValueError) as error:
        raise gr.Error(f"Could not load the model {name!r}: {error}") from error


def load_weights(name: str, config: PreTrainedConfig) -> torch.nn.Module:
    """The model in eval mode: through `AutoModelForPreTraining` when the checkpoint holds a predictor."""
    pretraining = any(arch.endswith("ForPreTraining") for arch in config.architectures or [])
    auto_class = AutoModelForPreTraining if pretraining else AutoModel
    try:
        return auto_class.from_pretrained(name, trust_remote_code=True).eval()
    except (OSError, ValueError) as error:
        raise gr.Error(f"Could not load the model {name!r}: {error}") from error


@functools.lru_cache(maxsize=16)
def is_world_model(name: str) -> bool:
    """Whether an offered model is a `JEPAWorldModel` (shown in the Plan tab, not in the others)."""
    try:
        return checkpoint_config(name).model_type == WORLD_MODEL_TYPE
    except gr.Error:  # the tab that offers it reports the error when it is chosen
        return False


@functools.lru_cache(maxsize=4)
def load_model(name: str) -> LoadedModel:
    config = checkpoint_config(name)
    model = load_weights(name, config)
    image_size, patch_size = getattr(config, "image_size", None), getattr(config, "patch_size", None)
    if not (isinstance(image_size, int) and isinstance(patch_size, int)):
        raise gr.Error(f"{name!r} ({type(model).__name__}) is not a ViT with an integer image_size and patch_size.")
    num_frames = getattr(config, "num_frames", 1)
    tubelet_size = getattr(config, "tubelet_size", 1) if num_frames > 1 else 1
    side = image_size // patch_size
    try:
        processor = checkpoint_processor(name)
    except (OSError, ValueError) as error:
        raise gr.Error(f"Could not load the processor of {name!r}: {error}") from error
    source = "the checkpoint's processor" if processor else "hf_jepa's processor for its config, ImageNet defaults"
    return LoadedModel(
        name=name,
        model=model,
        config=config,
        grid=(num_frames // tubelet_size, side, side),
        image_size=image_size,
        num_frames=num_frames,
        processor=processor or build_processor(config),
        processor_source=source,
    )


# ---------------------------------------------------------------------------------------------------- inputs


def read_image(path: str | None, loaded: LoadedModel) -> torch.Tensor:
    """The image as a `[3, height, width]` uint8 tensor: orientation fixed, transparency over white, at most a few
    panel sizes large (huge images are decoded at reduced size where the format allows)."""
    if path is None:
        raise gr.Error("Upload an image or pick an example first.")
    largest = 2 * max(loaded.image_size, PANEL_SIDE)
    try:
        with Image.open(path) as image:
            width, height = image.size
            image.draft("RGB", (largest, largest))  # JPEG: decode directly at a reduced size
            image = ImageOps.exif_transpose(image)
            image.thumbnail((largest, largest))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as error:
        raise gr.Error(f"Could not read '{Path(path).name}' as an image: {error}") from error
    if min(width, height) < loaded.grid[1]:
        raise gr.Error(
            f"The image is {width}x{height} px, smaller than the model's {loaded.grid[1]}x{loaded.grid[2]} patch grid "
            f"(at least one pixel per patch); upload a larger image."
        )
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    return torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)


def read_clip(path: str | None, loaded: LoadedModel, start: int, step: int) -> tuple[torch.Tensor, list[int], int]:
    """The model's clip length of frames `[F, 3, H, W]` (uint8) every `step` frames from `start`; only those frames
    are decoded, so long videos cost no more than short ones. Also returns the frame indices and the video's length."""
    if path is None:
        raise gr.Error("Upload a video or pick the example first.")
    try:
        decoder = VideoDecoder(path)
        total = len(decoder)
    except (RuntimeError, ValueError) as error:
        raise gr.Error(f"Could not decode '{Path(path).name}' as a video; upload an MP4, WebM or AVI clip.") from error
    start, step = int(start), int(step)
    if start < 0 or step < 1:
        raise gr.Error(f"The start frame must be >= 0 and the frame step >= 1, got start {start} and step {step}.")
    indices = list(range(start, start + step * loaded.num_frames, step))
    if indices[-1] >= total:
        raise gr.Error(
            f"The video has {total} frames, but {loaded.num_frames} frames every {step} from frame {start} need "
            f"{indices[-1] + 1}; lower the start frame or the frame step."
        )
    frames = decoder.get_frames_at(indices).data
    if min(frames.shape[-2:]) < loaded.grid[1]:
        raise gr.Error(
            f"The video is {frames.shape[-1]}x{frames.shape[-2]} px, smaller than the model's "
            f"{loaded.grid[1]}x{loaded.grid[2]} patch grid; upload a larger video."
        )
    return frames, indices, total


def model_inputs(loaded: LoadedModel, frames: torch.Tensor) -> torch.Tensor:
    """`pixel_values` for the model, made by its processor: `[1, 3, S, S]` for an image model, `[1, T, 3, S, S]` for a
    video model (a single image becomes a still clip)."""
    if not loaded.is_video:
        return apply_processor(loaded.processor, frames[0])[None]
    return apply_processor(loaded.processor, frames.expand(loaded.num_frames, -1, -1, -1))[None]


def seen_region(loaded: LoadedModel, width: int, height: int) -> tuple[float, float, float, float]:
    """`(left, top, width, height)` of the part of a `width` x `height` image that the processor keeps (its centre
    crop), in the image's pixels."""
    size, crop = loaded.processor.size, loaded.processor.crop_size
    if size.shortest_edge:
        scale_x = scale_y = size.shortest_edge / min(width, height)
    else:  # resized to height x width
        scale_x, scale_y = size.width / width, size.height / height
    seen_width, seen_height = width, height
    if loaded.processor.do_center_crop:
        seen_width, seen_height = min(width, crop.width / scale_x), min(height, crop.height / scale_y)
    return (width - seen_width) / 2, (height - seen_height) / 2, seen_width, seen_height


def panel_frames(loaded: LoadedModel, pixel_values: torch.Tensor) -> np.ndarray:
    """What the model sees, one display frame per time step of the token grid (the first frame of each tubelet; an
    image model's single frame): `[T, side, side, 3]` floats in [0, 1]."""
    mean = torch.tensor(loaded.processor.image_mean, dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(loaded.processor.image_std, dtype=torch.float32).view(-1, 1, 1)
    frames = pixel_values[0] * std + mean
    frames = frames[:: len(frames) // loaded.grid[0]] if loaded.is_video else frames[None]
    side = loaded.cell * loaded.grid[1]
    panels = F.interpolate(frames, size=(side, side), mode="bicubic", antialias=True).clamp(0, 1)
    return panels.permute(0, 2, 3, 1).numpy()


def strategies_taking(*parameters: str) -> str:
    """The masking strategies that take any of `parameters`, for a control's label."""
    takers = [name for name, strategy in MASKING_STRATEGIES.items() if set(parameters) & set(strategy.parameters)]
    return ", ".join(takers)


@dataclass(frozen=True)
class MaskSettings:
    """The Masking tab's controls, in the order the /masks and /predict endpoints take them after model and image."""

    strategy: str
    mask_ratio: float
    num_target_blocks: int
    scale_min: float
    scale_max: float
    aspect_min: float
    aspect_max: float
    frames_ahead: int
    seed: int

    def sample(self, loaded: LoadedModel) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """One sample's masks from `hf_jepa.masking`, with the settings validated by `JEPAConfig`."""
        try:
            config = JEPAConfig(
                image_size=loaded.image_size,
                patch_size=loaded.image_size // loaded.grid[1],
                num_frames=loaded.num_frames,
                tubelet_size=loaded.num_frames // loaded.grid[0],
                mask_strategy=self.strategy,
                mask_ratio=self.mask_ratio,
                num_target_blocks=int(self.num_target_blocks),
                target_block_scale=(self.scale_min, self.scale_max),
                target_aspect_ratio=(self.aspect_min, self.aspect_max),
                frames_ahead=int(self.frames_ahead),
            )
            return sample_masks(config, 1, torch.Generator().manual_seed(int(self.seed)))
        except ValueError as error:
            raise gr.Error(str(error)) from error


def mask_controls() -> list[gr.components.Component]:
    """The Masking tab's controls, one per field of `MaskSettings` and in its order; labels say which strategies
    take each."""
    blocks, scale, aspect = (strategies_taking(name) for name in MASKING_STRATEGIES["multiblock"].parameters[:3])
    strategy = gr.Dropdown(list(MASKING_STRATEGIES), label="Strategy", elem_id="strategy")
    mask_ratio = gr.Slider(0.05, 0.95, step=0.05, label=f"Mask ratio ({strategies_taking('mask_ratio')})")
    num_blocks = gr.Slider(1, 8, step=1, label=f"Target blocks ({blocks})")
    with gr.Row():
        scale_min = gr.Slider(0.02, 1.0, step=0.01, label=f"Block scale min ({scale})")
        scale_max = gr.Slider(0.02, 1.0, step=0.01, label="Block scale max")
    with gr.Row():
        aspect_min = gr.Slider(0.2, 5.0, step=0.05, label=f"Aspect ratio min ({aspect})")
        aspect_max = gr.Slider(0.2, 5.0, step=0.05, label="Aspect ratio max")
    ahead_label = f"Time steps ahead ({strategies_taking('frames_ahead')}, video)"
    mask_ahead = gr.Number(1, minimum=1, precision=0, label=ahead_label)
    seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
    return [strategy, mask_ratio, num_blocks, scale_min, scale_max, aspect_min, aspect_max, mask_ahead, seed]


# ---------------------------------------------------------------------------------------------------- drawing


def colour_map(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] → viridis RGB floats in [0, 1] (one more trailing axis)."""
    position = np.clip(values, 0, 1) * (len(VIRIDIS) - 1)
    low = np.floor(position).astype(int).clip(max=len(VIRIDIS) - 2)
    fraction = (position - low)[..., None]
    return ((1 - fraction) * VIRIDIS[low] + fraction * VIRIDIS[low + 1]) / 255


def paint(panels: np.ndarray, colours: np.ndarray, opacity: np.ndarray, cell: int) -> np.ndarray:
    """Blends one colour per patch (`[T, H, W, 3]`, opacity `[T, H, W]`) over the panels, draws the patch grid and
    lays the time steps side by side: a uint8 image."""
    colours = colours.repeat(cell, 1).repeat(cell, 2)
    opacity = opacity.repeat(cell, 1).repeat(cell, 2)[..., None]
    painted = panels * (1 - opacity) + colours * opacity
    painted[:, ::cell] *= 0.7
    painted[:, :, ::cell] *= 0.7
    gap = np.ones((len(painted), painted.shape[1], max(2, cell // 4), 3))
    strip = np.concatenate([np.concatenate([panel, space], 1) for panel, space in zip(painted, gap)], 1)
    return (strip[:, : -gap.shape[2]] * 255).round().astype(np.uint8)


def outline(image: np.ndarray, row: int, col: int, cell: int, colour: tuple[int, int, int]) -> np.ndarray:
    """Draws a frame around patch (row, col) of a single-panel rendering."""
    width = max(1, cell // 8)
    top, left = row * cell, col * cell
    box = image[top : top + cell, left : left + cell]
    box[:width], box[-width:], box[:, :width], box[:, -width:] = colour, colour, colour, colour
    return image


def cell_labels(grid: tuple[int, int, int], context: torch.Tensor, targets: list[torch.Tensor]) -> np.ndarray:
    """`[T, H, W]` labels: DROPPED, CONTEXT or k + 1 for target block k (later blocks drawn over earlier ones)."""
    labels = np.full(grid[0] * grid[1] * grid[2], DROPPED)
    labels[context.numpy()] = CONTEXT
    for block, indices in enumerate(targets):
        labels[indices.numpy()] = block + 1
    return labels.reshape(grid)


def render_masks(loaded: LoadedModel, panels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    colours = np.zeros((*labels.shape, 3))
    is_target = labels > CONTEXT
    colours[is_target] = BLOCK_COLOURS[(labels[is_target] - 1) % len(BLOCK_COLOURS)] / 255
    opacity = np.where(is_target, 0.6, np.where(labels == DROPPED, 0.75, 0.0))
    return paint(panels, colours, opacity, loaded.cell)


def render_scores(loaded: LoadedModel, panels: np.ndarray, labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Target patches coloured by a [0, 1] score, context patches plain, dropped ones dark."""
    colours = colour_map(scores)
    opacity = np.where(labels > CONTEXT, 0.85, np.where(labels == DROPPED, 0.75, 0.0))
    return paint(panels, np.where((labels == DROPPED)[..., None], 0.0, colours), opacity, loaded.cell)


# ---------------------------------------------------------------------------------------------------- endpoints


def describe_model(model_name: str) -> tuple:
    """The model's summary, and the masking controls set to its configuration's defaults."""
    loaded = load_model(model_name)
    time_steps, height, width = loaded.grid
    kind = f"video model ({loaded.num_frames} frames, {time_steps} time steps)" if loaded.is_video else "image model"
    parameters = sum(parameter.numel() for parameter in loaded.model.parameters())
    summary = (
        f"**{type(loaded.model).__name__}**, {kind}, {loaded.image_size} px, patch grid {height}x{width}, "
        f"{parameters / 1e6:.1f}M parameters; predictor: {'yes' if loaded.has_predictor else 'no'}; "
        f"preprocessing: {loaded.processor_source}."
    )

    def setting(name: str):  # a checkpoint without masking settings (e.g. IJepaModel) gets JEPAConfig's defaults
        return getattr(loaded.config, name, getattr(JEPAConfig, name))

    strategies = [name for name in MASKING_STRATEGIES if loaded.is_video or name not in VIDEO_ONLY_STRATEGIES]
    strategy = setting("mask_strategy") if setting("mask_strategy") in strategies else strategies[0]
    most_ahead = max(1, time_steps - 1)
    return (
        summary,
        gr.Dropdown(choices=strategies, value=strategy),
        setting("mask_ratio"),
        setting("num_target_blocks"),
        *setting("target_block_scale"),
        *setting("target_aspect_ratio"),
        gr.Number(maximum=most_ahead, value=setting("frames_ahead"), visible=loaded.is_video),
        gr.Number(maximum=most_ahead, value=setting("frames_ahead")),
    )


def show_masks(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, dict]:
    """The image with context patches clear, each target block in its own colour and dropped patches dark; counts.
    `controls`: the fields of `MaskSettings`."""
    loaded = load_model(model_name)
    pixel_values = model_inputs(loaded, read_image(image, loaded)[None])
    context, targets = MaskSettings(*controls).sample(loaded)
    labels = cell_labels(loaded.grid, context[0][0], [target[0] for target in targets])
    counts = {
        "grid": list(loaded.grid),
        "tokens": int(labels.size),
        "context": int(context[0].shape[1]),
        "target_blocks": [int(target.shape[1]) for target in targets],
        "target_union": int((labels > CONTEXT).sum()),
        "dropped": int((labels == DROPPED).sum()),
    }
    return render_masks(loaded, panel_frames(loaded, pixel_values), labels), counts


def require_predictor(loaded: LoadedModel) -> None:
    if not loaded.has_predictor:
        raise gr.Error(
            f"{loaded.name!r} ({type(loaded.model).__name__}) has no predictor; prediction needs a JEPAForPreTraining "
            "checkpoint of the masked or hybrid objective. Masks and features still work."
        )


@torch.no_grad()
def predict_latents(
    loaded: LoadedModel, pixel_values: torch.Tensor, context_mask: list[torch.Tensor], target_mask: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The predictor's latents `[num_targets, K, D]` for one sample, and the target encoder's latents of every token
    `[N, D]` in the space the loss compares them in (layer-normed when the configuration says so)."""
    model = loaded.model
    latents = model.target_encoder(pixel_values).last_hidden_state[0]
    if model.config.normalize_targets:
        latents = F.layer_norm(latents, latents.shape[-1:])
    context = model.context_encoder(pixel_values, mask=context_mask).last_hidden_state
    return model.predictor(context, context_mask, target_mask), latents


def predict(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, float, dict]:
    """For the masks of the Masking tab (`controls`: the fields of `MaskSettings`): cosine similarity between
    predicted and actual target latents per target patch, and the prediction loss."""
    loaded = load_model(model_name)
    require_predictor(loaded)
    pixel_values = model_inputs(loaded, read_image(image, loaded)[None])
    context_mask, target_mask = MaskSettings(*controls).sample(loaded)
    predictions, latents = predict_latents(loaded, pixel_values, context_mask, target_mask)
    targets = torch.stack([latents[block[0]] for block in target_mask])
    loss = loaded.model.prediction_loss(predictions, targets).item()
    cosine = F.cosine_similarity(predictions, targets, dim=-1)  # [num_targets, K]
    # a patch in several target blocks is predicted once per block: show the mean
    sums, counts = torch.zeros(len(latents)), torch.zeros(len(latents))
    for block, values in zip(target_mask, cosine):
        sums.index_add_(0, block[0], values)
        counts.index_add_(0, block[0], torch.ones_like(values))
    per_patch = (sums / counts.clamp(min=1)).reshape(loaded.grid).numpy()
    labels = cell_labels(loaded.grid, context_mask[0][0], [block[0] for block in target_mask])
    patch_cosine = np.where(counts.reshape(loaded.grid).numpy() > 0, per_patch.round(4), None)  # None: not a target
    info = {
        "loss": loss,
        "loss_type": loaded.model.config.loss_type,
        "mean_cosine": cosine.mean().item(),
        "block_cosine": cosine.mean(1).tolist(),
        "patch_cosine": patch_cosine.tolist(),
    }
    return render_scores(loaded, panel_frames(loaded, pixel_values), labels, per_patch), loss, info


@functools.lru_cache(maxsize=16)
def patch_features(model_name: str, image: str) -> tuple[torch.Tensor, np.ndarray]:
    """`[H * W, D]` features of the image's patches (averaged over time for a video model) and its display panel."""
    loaded = load_model(model_name)
    pixel_values = model_inputs(loaded, read_image(image, loaded)[None])
    with torch.no_grad():
        hidden = loaded.encoder(pixel_values=pixel_values).last_hidden_state[0]
    time_steps, height, width = loaded.grid
    return hidden.reshape(time_steps, height * width, -1).mean(0), panel_frames(loaded, pixel_values)[0]


def pick_patch(model_name: str, image: str | None, event: gr.SelectData) -> tuple[int, int]:
    """The (row, column) of the patch under a click on the image (the click is in the uploaded image's pixels)."""
    loaded = load_model(model_name)
    with Image.open(image) as opened:
        width, height = opened.size
        if opened.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):  # shown rotated by 90 degrees
            width, height = height, width
    left, top, seen_width, seen_height = seen_region(loaded, width, height)
    x, y = event.index
    _, rows, cols = loaded.grid
    row, col = int((y - top) * rows / seen_height), int((x - left) * cols / seen_width)
    return min(rows - 1, max(0, row)), min(cols - 1, max(0, col))


def similarity(
    model_name: str, image_a: str | None, image_b: str | None, row: int, col: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict]:
    """Cosine similarity between patch (row, col) of image A and every patch of A and of B, and a PCA view."""
    loaded = load_model(model_name)
    _, rows, cols = loaded.grid
    row, col = int(row), int(col)
    if not (0 <= row < rows and 0 <= col < cols):
        raise gr.Error(f"Patch (row {row}, column {col}) is outside the model's {rows}x{cols} patch grid.")
    features_a, panel_a = patch_features(model_name, image_a)
    query = features_a[row * cols + col]
    all_features, panels = [features_a], [panel_a]
    if image_b is not None:
        features_b, panel_b = patch_features(model_name, image_b)
        all_features.append(features_b)
        panels.append(panel_b)
    maps = [F.cosine_similarity(features, query[None], dim=-1).reshape(rows, cols) for features in all_features]
    low = min(float(values.min()) for values in maps)
    heat = []
    for values, panel in zip(maps, panels):
        scaled = ((values - low) / max(1.0 - low, 1e-6)).numpy()  # shared scale: 1.0 is the clicked patch itself
        best_row, best_col = divmod(int(values.argmax()), cols)
        image = paint(panel[None], colour_map(scaled)[None], np.full((1, rows, cols), 0.65), loaded.cell)
        heat.append(outline(image, best_row, best_col, loaded.cell, (255, 255, 255)))
    info = {"patch": [row, col], "similarity_a": maps[0].numpy().round(4).tolist()}
    info["best_match_a"] = list(divmod(int(maps[0].argmax()), cols))
    if image_b is not None:
        info["similarity_b"] = maps[1].numpy().round(4).tolist()
        info["best_match_b"] = list(divmod(int(maps[1].argmax()), cols))
    return heat[0], heat[1] if image_b is not None else None, pca_view(loaded, all_features), info


def pca_view(loaded: LoadedModel, features: list[torch.Tensor]) -> np.ndarray:
    """The first three principal components of all images' patch features as RGB, images side by side."""
    _, rows, cols = loaded.grid
    stacked = torch.cat(features)
    centered = stacked - stacked.mean(0)
    components = torch.linalg.svd(centered, full_matrices=False).Vh[:3]
    projected = F.pad(centered @ components.T, (0, 3 - len(components)))
    low, high = projected.min(0).values, projected.max(0).values
    colours = ((projected - low) / (high - low).clamp(min=1e-8)).reshape(len(features), rows, cols, 3).numpy()
    side = loaded.cell * rows
    return paint(np.zeros((len(features), side, side, 3)), colours, np.ones(colours.shape[:3]), loaded.cell)


@torch.no_grad()
def surprise(
    model_name: str, video: str | None, start_frame: int, frame_step: int, frames_ahead: int
) -> tuple[np.ndarray, pd.DataFrame, dict]:
    """Temporal masking on one clip: the predictor's latents of the last `frames_ahead` time steps against the actual
    ones, per time step, next to copying the last seen time step's latents forward."""
    loaded = load_model(model_name)
    if not loaded.is_video:
        raise gr.Error(f"{model_name!r} is an image model (num_frames 1); choose a video checkpoint for this tab.")
    require_predictor(loaded)
    frames, indices, total = read_clip(video, loaded, start_frame, frame_step)
    time_steps, rows, cols = loaded.grid
    try:
        context_mask, target_mask = temporal_masks(loaded.grid, 1, frames_ahead=int(frames_ahead))
    except ValueError as error:
        raise gr.Error(str(error)) from error
    pixel_values = model_inputs(loaded, frames)
    predictions, latents = predict_latents(loaded, pixel_values, context_mask, target_mask)
    latents = latents.reshape(time_steps, rows * cols, -1)
    seen = time_steps - int(frames_ahead)
    future = latents[seen:]
    predicted = F.cosine_similarity(predictions[0].reshape(future.shape), future, dim=-1)  # [frames_ahead, H * W]
    copied = F.cosine_similarity(latents[seen - 1 : seen].expand_as(future), future, dim=-1)
    tubelet = loaded.num_frames // time_steps
    future_frames = [indices[step * tubelet] for step in range(seen, time_steps)]
    curve = pd.DataFrame(
        {
            "frame": future_frames * 2,
            "cosine similarity": predicted.mean(1).tolist() + copied.mean(1).tolist(),
            "latents": ["predicted"] * len(future_frames) + ["copy of the last seen frame"] * len(future_frames),
        }
    )
    labels = cell_labels(loaded.grid, context_mask[0][0], [target_mask[0][0]])
    scores = np.zeros(loaded.grid)
    scores[seen:] = predicted.reshape(-1, rows, cols).numpy()
    info = {
        "video_frames": total,
        "frames_used": indices,
        "context_frames": indices[: seen * tubelet],
        "predicted_frames": indices[seen * tubelet :],
        "predicted_cosine": predicted.mean(1).tolist(),
        "copy_last_frame_cosine": copied.mean(1).tolist(),
        "loss": loaded.model.prediction_loss(predictions[0], future.flatten(0, 1)).item(),
    }
    return render_scores(loaded, panel_frames(loaded, pixel_values), labels, scores), curve, info


# ---------------------------------------------------------------------------------------------------- planning


def local_folder(name: str) -> str:
    """A local folder's absolute path (so that one folder named two ways is offered once); a Hub id unchanged."""
    return os.path.abspath(name) if Path(name).is_dir() else name


def training_dataset(model_name: str) -> str | None:
    """The saved episode folder a local world model was trained on, from its `training_args.json`: a relative path
    is taken from the working directory, then from the folder that holds hf_jepa (None when it is not there)."""
    folder = training_episodes_folder(model_name, [PROJECT_ROOT])
    return os.path.abspath(folder) if folder is not None else None


def episode_choices() -> list[str]:
    """The recorded episode datasets the Plan tab can search for the frames nearest to the imagined latents."""
    requested = [name.strip() for name in os.environ.get("JEPA_EPISODES", "").split(",") if name.strip()]
    saved = [
        str(path)
        for folder, pattern in ((APP_DIR, f"{EPISODES_DIR}*"), (TRAINED_DIR, "*"))
        for path in sorted(folder.glob(pattern))
        if is_saved_dataset(str(path))
    ]
    trained_on = [training_dataset(name) for name in model_choices() if is_world_model(name)]
    names = [local_folder(name) for name in requested + saved + [name for name in trained_on if name]]
    return list(dict.fromkeys(names))


@functools.lru_cache(maxsize=2)
def load_world_model(name: str) -> torch.nn.Module:
    """An offered world model (the Plan tab offers only those, `is_world_model`) in eval mode."""
    config = checkpoint_config(name)
    if config.state_dim:
        raise gr.Error(f"{name!r} takes states (state_dim {config.state_dim}); the Plan tab plans from frames only.")
    return load_weights(name, config)


def two_room_frame_step(model: torch.nn.Module) -> int:
    """TwoRoom steps per model step: the model's action is that many TwoRoom actions."""
    try:
        return model_frame_step(model, TwoRoomEnv(render_mode=None), None)
    except ValueError as error:
        raise gr.Error(f"The model does not act in TwoRoom: {error}") from error


def two_room(model: torch.nn.Module, max_model_steps: int) -> tuple["FrameSkip", int]:
    """TwoRoom rendered at the model's frame size, one model step = `frame_step` environment steps."""
    frame_step = two_room_frame_step(model)
    env = make_env(TWO_ROOM_ID, model.config.encoder_config.image_size, max_episode_steps=max_model_steps * frame_step)
    return FrameSkip(env, frame_step), frame_step


def checked_pair(start_x: float, start_y: float, goal_x: float, goal_y: float) -> dict:
    """TwoRoom's reset options for the start and goal; `gr.Error` naming a position the agent cannot take, or a
    start already at the goal."""
    arena = TwoRoomEnv(render_mode=None)
    options = {"start": (float(start_x), float(start_y)), "goal": (float(goal_x), float(goal_y))}
    try:
        _, info = arena.reset(options=options)
    except ValueError as error:
        raise gr.Error(str(error)) from error
    if info["is_success"]:
        raise gr.Error(
            f"The start {options['start']} is already at the goal {options['goal']} (closer than the goal tolerance "
            f"{arena.goal_tolerance}); pick a goal further away."
        )
    return options


@dataclass(frozen=True)
class RecordedFrames:
    """Recorded frames to show imagined latents with: their dataset rows, episodes and frame indices, uint8 pixels
    `[M, 3, H, W]` and the model's latents `[M, N, D]`."""

    rows: np.ndarray
    episodes: np.ndarray
    frame_indices: np.ndarray
    pixels: torch.Tensor
    latents: torch.Tensor
    dataset_rows: int


@functools.lru_cache(maxsize=2)
@torch.no_grad()
def recorded_frames(model_name: str, episodes_name: str | None) -> RecordedFrames:
    """At most `MAX_RECORDED_FRAMES` evenly spaced frames of an offered episode dataset, encoded by the model."""
    if episodes_name is None:
        raise gr.Error(
            "No recorded episodes to show the imagined frames with: set JEPA_EPISODES to an episode dataset (a "
            "folder of hf-jepa record-episodes or a Hub id), or record one into outputs/."
        )
    try:
        dataset = load_media_dataset(episodes_name)
    except (OSError, ValueError) as error:
        raise gr.Error(f"Could not load the episode dataset {episodes_name!r}: {error}") from error
    try:
        image_column = check_episode_dataset(dataset, repr(episodes_name))
    except ValueError as error:
        raise gr.Error(str(error)) from error
    rows = np.linspace(0, len(dataset) - 1, min(len(dataset), MAX_RECORDED_FRAMES)).round().astype(int)
    pixels = torch.stack(read_frames(dataset, image_column, rows.tolist()))
    model = load_world_model(model_name)
    transform = frame_transform(model.config.encoder_config.image_size)
    latents = [
        model.encode(torch.stack([transform(frame) for frame in chunk])[:, None]) for chunk in pixels.split(512)
    ]
    columns = dataset.select_columns([EPISODE_COLUMN, FRAME_COLUMN]).with_format("numpy")[rows]
    return RecordedFrames(
        rows, columns[EPISODE_COLUMN], columns[FRAME_COLUMN], pixels, torch.cat(latents)[:, 0], len(dataset)
    )


@torch.no_grad()
def imagined_rollout(
    model: torch.nn.Module,
    start_pixels: torch.Tensor,
    actions: torch.Tensor,
    recorded: RecordedFrames,
    frame_step: int,
    frames: dict,
) -> tuple[list, dict]:
    """The model's rollout of the plan `actions [H, A]` from the start frame, each predicted latent shown as the
    recorded frame whose latent is nearest (in the planner's distance), between the start and goal `frames`: the
    gallery, and the rows and distances of those recorded frames."""
    start = model.encode(start_pixels[None, None])[0]
    predicted = model.rollout(start[None], model.normalize_actions(actions[None]))[0]  # [H, N, D]
    distances = torch.stack([latent_distance(recorded.latents, latent[None]) for latent in predicted])  # [H, M]
    nearest = distances.argmin(1).tolist()
    gallery = [(thumbnail(frames["start"]), "start (observed)")]
    for step, index in enumerate(nearest, start=1):
        where = f"episode {recorded.episodes[index]}, frame {recorded.frame_indices[index]}"
        caption = f"+{step * frame_step} steps, imagined: {where} ({distances[step - 1, index]:.3g})"
        gallery.append((thumbnail(recorded.pixels[index].permute(1, 2, 0).numpy()), caption))
    gallery.append((thumbnail(frames["goal"]), "goal"))
    numbers = {
        "imagined_rows": recorded.rows[nearest].tolist(),
        "imagined_latent_distances": [distances[step, index].item() for step, index in enumerate(nearest)],
        "frames_searched": len(recorded.rows),
        "dataset_rows": recorded.dataset_rows,
    }
    return gallery, numbers


def replay(start: tuple, goal: tuple, actions: list[torch.Tensor]) -> tuple[np.ndarray, list[int]]:
    """The agent's position after every environment step of the executed model actions (each `frame_step`
    environment actions, cut short by success as `FrameSkip` does), and the position each model step ends at."""
    arena = TwoRoomEnv(render_mode=None)
    arena.reset(options={"start": start, "goal": goal})
    positions, ends = [arena.position.copy()], [0]
    for action in actions:
        for part in action.numpy().reshape(-1, 2):
            _, _, terminated, _, _ = arena.step(part)
            positions.append(arena.position.copy())
            if terminated:
                break
        ends.append(len(positions) - 1)
    return np.array(positions), ends


def arena_frames(positions: np.ndarray, goal: tuple) -> list[np.ndarray]:
    """One `ARENA_SIDE` px frame per position: the agent, the path so far as a trail, the goal as a green ring."""
    arena = TwoRoomEnv(render_mode=None, image_size=ARENA_SIDE)
    centres = (np.arange(ARENA_SIDE) + 0.5) / ARENA_SIDE
    goal_distance = np.hypot(centres[None, :] - goal[0], centres[:, None] - goal[1])
    ring = np.abs(goal_distance - arena.agent_radius) < 2.0 / ARENA_SIDE
    trail, frames = np.zeros((ARENA_SIDE, ARENA_SIDE), dtype=bool), []
    for x, y in positions:
        column, row = min(int(x * ARENA_SIDE), ARENA_SIDE - 1), min(int(y * ARENA_SIDE), ARENA_SIDE - 1)
        trail[max(0, row - 1) : row + 2, max(0, column - 1) : column + 2] = True
        frame = arena.render_at((x, y))
        floor = (frame == FLOOR_COLOR).all(-1)
        frame[trail & floor] = TRAIL_COLOUR
        frame[ring & floor] = GOAL_COLOUR
        frames.append(frame)
    return frames


def write_gif(frames: list[np.ndarray], fps: int) -> str:
    """An animated GIF of the frames (the last one held for a second and a half); returns its path."""
    images = [Image.fromarray(frame) for frame in frames]
    durations = [1000 // fps] * (len(images) - 1) + [1500]
    path = tempfile.NamedTemporaryFile(prefix="plan_", suffix=".gif", delete=False).name
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


def thumbnail(frame: np.ndarray, side: int = 128) -> np.ndarray:
    """A uint8 `[H, W, 3]` frame enlarged to `side` px without smoothing, so that its pixels stay visible."""
    return np.asarray(Image.fromarray(frame).resize((side, side), Image.NEAREST))


def timed_planner(
    model_name: str, kind: str, horizon: int, population: int, iterations: int, seed: int, action_space
) -> "TimedPlanner":
    """The evaluation's planner (`build_planner`; CEM keeps a tenth of the population as elites), timed."""
    try:
        args = PlanningEvaluationArguments(
            model_name_or_path=model_name,
            planner=kind,
            horizon=int(horizon),
            population=int(population),
            iterations=int(iterations),
            num_elites=max(2, int(population) // 10),
            seed=int(seed),
        )
        low, high = action_space.low.tolist(), action_space.high.tolist()
        return TimedPlanner(build_planner(args, action_space.shape[0], low, high))
    except ValueError as error:
        raise gr.Error(str(error)) from error


def draw_pair(seed: int) -> tuple[float, float, float, float, np.ndarray]:
    """Pair `seed` of the planning evaluation (TwoRoom's `reset(seed=seed)`: start and goal in different rooms)."""
    start, info = TwoRoomEnv(render_mode=None).reset(seed=int(seed))
    (start_x, start_y), (goal_x, goal_y) = start.tolist(), info["goal"].tolist()
    return start_x, start_y, goal_x, goal_y, pair_preview(start_x, start_y, goal_x, goal_y)


def pair_preview(start_x: float, start_y: float, goal_x: float, goal_y: float) -> np.ndarray:
    """The arena with the agent at the start and the goal's ring."""
    options = checked_pair(start_x, start_y, goal_x, goal_y)
    return arena_frames(np.array([options["start"]]), options["goal"])[0]


def click_goal(event: gr.SelectData) -> tuple[float, float]:
    """The arena position under a click on the arena picture (its pixels are `ARENA_SIDE` to a side)."""
    x, y = event.index
    return round((x + 0.5) / ARENA_SIDE, 3), round((y + 0.5) / ARENA_SIDE, 3)


def describe_world_model(model_name: str) -> tuple[str, dict]:
    """The world model's summary, and its training episodes chosen for the imagined frames when they are offered."""
    model = load_world_model(model_name)
    config = model.config
    frame_step = two_room_frame_step(model)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    summary = (
        f"**{type(model).__name__}**, {config.encoder_config.image_size} px frames, {config.embedding_type} latents "
        f"({config.tokens_per_frame} x {config.latent_size} values per frame), history {config.history_length} "
        f"frames, one model step = {frame_step} TwoRoom steps, {parameters / 1e6:.1f}M parameters"
    )
    trained_on = training_dataset(model_name)
    if trained_on is None:
        return summary + ".", gr.skip()
    summary += f"; trained on `{trained_on}`."
    return summary, gr.update(value=trained_on) if trained_on in episode_choices() else gr.skip()


def plan_episode(
    model_name: str,
    episodes_name: str | None,
    start_x: float,
    start_y: float,
    goal_x: float,
    goal_y: float,
    kind: str,
    horizon: int,
    population: int,
    iterations: int,
    max_steps: int,
    seed: int,
) -> tuple[str, pd.DataFrame, pd.DataFrame, list, dict]:
    """Model-predictive control on TwoRoom from the start to the goal image with the world model: the executed
    episode (an animated GIF of every environment step), the energy of each plan (the predicted latents' distance
    to the goal's), the true distance to the goal at each model step, the first plan's imagined rollout as the
    nearest recorded frames, and the numbers."""
    model = load_world_model(model_name)
    options = checked_pair(start_x, start_y, goal_x, goal_y)
    recorded = recorded_frames(model_name, episodes_name)
    env, frame_step = two_room(model, int(max_steps))
    frames = {name: env.unwrapped.render_at(position) for name, position in options.items()}
    goal_pixels = render_to_pixel_values(frames["goal"], model.config.encoder_config.image_size)
    planner = timed_planner(model_name, kind, horizon, population, iterations, seed, env.action_space)
    controller = MPCController.from_world_model(model, planner, goal_pixels, all_steps=True)
    result = controller.run(env, max_steps=int(max_steps), options=options)
    env.close()
    positions, ends = replay(options["start"], options["goal"], result.actions)
    distances = np.linalg.norm(positions[ends] - np.asarray(options["goal"]), axis=1).tolist()
    first_plan = result.plans[0].actions
    gallery, imagined = imagined_rollout(model, result.observations[0], first_plan, recorded, frame_step, frames)
    info = {
        "reached": bool(result.final_info.get("is_success")),
        "final_distance": float(result.final_info["distance"]),
        "frame_step": frame_step,
        "model_steps": len(result.actions),
        "environment_steps": len(positions) - 1,
        "plan_energies": result.plan_energies,
        "distances": distances,
        "median_plan_seconds": float(np.median(planner.seconds)),
        "executed_actions": torch.stack(result.actions).tolist(),
        "first_plan_actions": first_plan.tolist(),
        **imagined,
    }
    gif = write_gif(arena_frames(positions, options["goal"]), TwoRoomEnv.metadata["render_fps"])
    energies = pd.DataFrame({"model step": range(len(result.plan_energies)), "plan energy": result.plan_energies})
    reached = pd.DataFrame({"model step": range(len(distances)), "distance to the goal": distances})
    return gif, energies, reached, gallery, info


# ---------------------------------------------------------------------------------------------------- layout


# uploads reach `read_image` untouched (image_mode=None): it handles grayscale, transparency and huge files
image_input = functools.partial(gr.Image, type="filepath", image_mode=None, height=320)


def masking_tab(model: gr.Dropdown, examples: list[str], pair: list[str]) -> tuple[gr.Image, list]:
    """The Masking tab; returns its image and mask controls, which the Prediction tab uses too."""
    with gr.Row():
        with gr.Column():
            mask_image = image_input(label="Image", elem_id="mask_image", value=pair[0])
            gr.Examples(examples, mask_image)
        with gr.Column():
            masking = mask_controls()
            mask_button = gr.Button("Sample masks", variant="primary", elem_id="mask_button")
    with gr.Row():
        mask_view = gr.Image(
            label="Context (clear), target blocks (colours), dropped (dark)", elem_id="mask_view", format="png"
        )
        mask_counts = gr.JSON(label="Token counts", elem_id="mask_counts")
    mask_button.click(show_masks, [model, mask_image, *masking], [mask_view, mask_counts], api_name="masks")
    return mask_image, masking


def prediction_tab(model: gr.Dropdown, mask_image: gr.Image, masking: list) -> None:
    gr.Markdown(
        "Uses the image and the mask settings of the **Masking** tab. Each target patch is coloured by the "
        "cosine similarity between the predictor's latent and the target encoder's (dark purple: 0 or less, "
        "yellow: 1): the model's imagination of what it cannot see, compared with what is there."
    )
    predict_button = gr.Button("Predict the hidden patches", variant="primary", elem_id="predict_button")
    with gr.Row():
        prediction_view = gr.Image(
            label="Prediction quality per target patch", elem_id="prediction_view", format="png"
        )
        with gr.Column():
            prediction_loss = gr.Number(label="Prediction loss", elem_id="prediction_loss")
            prediction_info = gr.JSON(label="Details", elem_id="prediction_info")
    predict_button.click(
        predict, [model, mask_image, *masking], [prediction_view, prediction_loss, prediction_info], api_name="predict"
    )


def similarity_tab(model: gr.Dropdown, examples: list[str], pair: list[str]) -> None:
    gr.Markdown(
        "Click a patch of image A: the heat maps show the cosine similarity of its feature with every patch "
        "of A and of B (white frame: the best match). PCA: the first three principal components as RGB."
    )
    with gr.Row():
        image_a = image_input(label="Image A (click)", elem_id="image_a", value=pair[0])
        image_b = image_input(label="Image B", elem_id="image_b", value=pair[1])
    gr.Examples([pair, *([example, pair[0]] for example in examples if example not in pair)], [image_a, image_b])
    with gr.Row():
        patch_row = gr.Number(0, precision=0, label="Patch row", elem_id="patch_row")
        patch_col = gr.Number(0, precision=0, label="Patch column", elem_id="patch_col")
        similarity_button = gr.Button("Compare", elem_id="similarity_button")
    with gr.Row():
        heat_a = gr.Image(label="Similarity in A", elem_id="heat_a", format="png")
        heat_b = gr.Image(label="Similarity in B (correspondence)", elem_id="heat_b", format="png")
        pca = gr.Image(label="PCA of patch features (A | B)", elem_id="pca", format="png")
    with gr.Accordion("Similarity values", open=False):
        similarity_info = gr.JSON(label="Similarities", elem_id="similarity_info")
    inputs, outputs = [model, image_a, image_b, patch_row, patch_col], [heat_a, heat_b, pca, similarity_info]
    image_a.select(pick_patch, [model, image_a], [patch_row, patch_col], api_visibility="private").then(
        similarity, inputs, outputs, api_name="similarity_on_click", api_visibility="private"
    )
    similarity_button.click(similarity, inputs, outputs, api_name="similarity")


def video_tab(model: gr.Dropdown, clips: list[str]) -> gr.Number:
    """The Video tab; returns its "time steps ahead" control, which follows the model's configuration."""
    gr.Markdown(
        "Temporal masking: the model sees the first time steps of a clip and predicts the latents of the "
        "last ones. The curve compares its predictions with the actual latents, next to the baseline of "
        "copying the last seen frame's latents forward; a low value is a surprise."
    )
    with gr.Row():
        with gr.Column():
            video = gr.Video(label="Clip", elem_id="video", value=clips[0] if clips else None, height=320)
            if clips:
                gr.Examples(clips, video)
            start_frame = gr.Number(0, precision=0, label="Start frame", elem_id="start_frame")
            frame_step = gr.Slider(1, 8, value=1, step=1, label="Frame step", elem_id="frame_step")
            video_ahead = gr.Number(1, minimum=1, precision=0, label="Time steps ahead", elem_id="video_ahead")
            video_button = gr.Button("Predict the future", variant="primary", elem_id="video_button")
        with gr.Column():
            video_view = gr.Image(label="Seen (clear) and predicted time steps", elem_id="video_view", format="png")
            curve = gr.LinePlot(x="frame", y="cosine similarity", color="latents", elem_id="surprise_plot")
            video_info = gr.JSON(label="Details", elem_id="video_info")
    video_button.click(
        surprise,
        [model, video, start_frame, frame_step, video_ahead],
        [video_view, curve, video_info],
        api_name="surprise",
    )
    return video_ahead


def plan_tab(world_models: list[str]) -> tuple[gr.Dropdown, gr.Markdown, gr.Dropdown]:
    """The Plan tab; returns the world-model choice, its summary and the episodes choice (set when the page
    loads)."""
    gr.Markdown(
        "Model-predictive control on **TwoRoom** (reach the goal through the door): the planner (CEM or MPPI) "
        "scores action sequences by the distance between the latents the world model predicts and the goal "
        "image's, executes the first action and plans again. Below: the executed episode, the energy of every plan "
        "beside the true distance to the goal, and the first plan's **imagined** rollout: for each predicted "
        "latent, the recorded frame whose latent is nearest (what the model believes it will see)."
    )
    episodes = episode_choices()
    with gr.Row():
        world_model = gr.Dropdown(
            choice_labels(world_models), value=world_models[0], label="World model", elem_id="world_model"
        )
        episode_data = gr.Dropdown(
            choice_labels(episodes),
            value=episodes[0] if episodes else None,
            label="Recorded episodes (searched for the imagined frames)",
            elem_id="episodes",
        )
    world_summary = gr.Markdown(elem_id="world_model_summary")
    *first_pair, first_preview = draw_pair(FIRST_PAIR_SEED)
    with gr.Row():
        with gr.Column():
            with gr.Row():
                pair_seed = gr.Number(
                    FIRST_PAIR_SEED,
                    precision=0,
                    label="Pair seed (as hf-jepa evaluate-planning)",
                    elem_id="pair_seed",
                )
                pair_button = gr.Button("Draw a start and goal", elem_id="pair_button")
            with gr.Row():
                start_x = gr.Number(first_pair[0], label="Start x", elem_id="start_x")
                start_y = gr.Number(first_pair[1], label="Start y (down)", elem_id="start_y")
            with gr.Row():
                goal_x = gr.Number(first_pair[2], label="Goal x", elem_id="goal_x")
                goal_y = gr.Number(first_pair[3], label="Goal y (down)", elem_id="goal_y")
            arena = gr.Image(
                first_preview,
                label="Executed episode (green ring: the goal; click to move the goal)",
                elem_id="executed",
                format="png",
                height=ARENA_SIDE + 40,
            )
        with gr.Column():
            settings = planner_controls()
            plan_button = gr.Button("Plan and execute", variant="primary", elem_id="plan_button")
    with gr.Row():
        energy_plot = gr.LinePlot(x="model step", y="plan energy", elem_id="energy_plot", label="Energy of each plan")
        distance_plot = gr.LinePlot(
            x="model step", y="distance to the goal", elem_id="distance_plot", label="True distance to the goal"
        )
    imagined = gr.Gallery(
        label="The first plan, imagined: the nearest recorded frame to each predicted latent (latent distance)",
        elem_id="imagined",
        columns=8,
        format="png",
        height=220,
    )
    with gr.Accordion("Numbers (actions, energies, distances, recorded rows)", open=False):
        plan_info = gr.JSON(label="Details", elem_id="plan_info")
    pair = [start_x, start_y, goal_x, goal_y]
    pair_button.click(draw_pair, pair_seed, [*pair, arena], api_name="draw_pair")
    arena.select(click_goal, None, [goal_x, goal_y], api_visibility="private").then(
        pair_preview, pair, arena, api_visibility="private"
    )
    plan_button.click(
        plan_episode,
        [world_model, episode_data, *pair, *settings],
        [arena, energy_plot, distance_plot, imagined, plan_info],
        api_name="plan",
    )
    world_model.change(
        describe_world_model, world_model, [world_summary, episode_data], api_name="describe_world_model"
    )
    return world_model, world_summary, episode_data


def planner_controls() -> list[gr.components.Component]:
    """The planner's settings, in the order `plan_episode` takes them; the defaults are the measured TwoRoom recipe's
    (results/world_model_two_room.md), a plan of ~0.4-0.7 s on a CPU."""
    return [
        gr.Radio(list(PLANNERS), value="cem", label="Planner", elem_id="planner"),
        gr.Slider(1, 10, value=5, step=1, label="Horizon (model steps per plan)", elem_id="horizon"),
        gr.Slider(
            8, 300, value=150, step=1, label="Population (action sequences per iteration)", elem_id="population"
        ),
        gr.Slider(1, 8, value=4, step=1, label="Iterations per plan", elem_id="iterations"),
        gr.Slider(1, 20, value=20, step=1, label="Model steps at most", elem_id="max_steps"),
        gr.Number(0, precision=0, label="Planner seed", elem_id="planner_seed"),
    ]


def choice_labels(names: list[str]) -> list[tuple[str, str]]:
    """Dropdown choices: a local folder shown by its name, a Hub id as it is."""
    return [(Path(name).name if Path(name).is_dir() else name, name) for name in names]


def jepa_tabs(demo: gr.Blocks, models: list[str]) -> None:
    """The model choice and the Masking, Prediction, Feature similarity and Video tabs, for JEPA encoders."""
    examples = sorted(str(path) for path in EXAMPLES_DIR.glob("*.png"))
    pair = [str(EXAMPLES_DIR / "sneaker_1.png"), str(EXAMPLES_DIR / "sneaker_2.png")]  # two items of one class
    clips = sorted(str(path) for path in EXAMPLES_DIR.glob("*.mp4"))
    with gr.Row():
        model = gr.Dropdown(choice_labels(models), value=models[0], label="Model", elem_id="model", scale=1)
        summary = gr.Markdown(elem_id="model_summary")
    with gr.Tab("Masking"):
        mask_image, masking = masking_tab(model, examples, pair)
    with gr.Tab("Prediction"):
        prediction_tab(model, mask_image, masking)
    with gr.Tab("Feature similarity"):
        similarity_tab(model, examples, pair)
    with gr.Tab("Video"):
        video_ahead = video_tab(model, clips)
    described = [summary, *masking[:-1], video_ahead]  # every mask control but the seed
    demo.load(describe_model, model, described, api_name="describe_model_on_load", api_visibility="private")
    model.change(describe_model, model, described, api_name="describe_model")


def build_demo() -> gr.Blocks:
    choices = model_choices()
    if not choices:
        raise SystemExit(
            f"No model to show: none in {TRAINED_DIR}, where the main job (hf-jepa pretrain tiny-cpu) writes one; set "
            "JEPA_MODEL to a Hub id or a checkpoint folder."
        )
    world_models = [name for name in choices if is_world_model(name)]
    encoders = [name for name in choices if name not in world_models]
    with gr.Blocks(title="JEPA explorer") as demo:
        gr.Markdown(
            "# JEPA explorer\nWhat a JEPA model **hides** (masks), **sees** (patch features) and **predicts** "
            "(the latents of hidden patches, from the visible ones)"
            + (", and how a JEPA world model **plans**." if world_models else ".")
        )
        if encoders:
            jepa_tabs(demo, encoders)
        if world_models and not PLANNING_AVAILABLE:
            with gr.Tab("Plan"):
                gr.Markdown("Planning needs the TwoRoom environment: `pip install 'hf-jepa[world-model]'`.")
        elif world_models:
            with gr.Tab("Plan"):
                world_model, world_summary, episode_data = plan_tab(world_models)
            demo.load(
                describe_world_model,
                world_model,
                [world_summary, episode_data],
                api_name="describe_world_model_on_load",
                api_visibility="private",
            )
    return demo


if __name__ == "__main__":
    build_demo().queue(default_concurrency_limit=1, max_size=32).launch(show_error=True)
