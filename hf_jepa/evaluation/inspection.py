# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a JEPA model hides, sees and predicts, as numbers for one input.

- a model and its input: `load_inspected_model` (any hf_jepa checkpoint or transformers ViT, with the processor it
  ships or hf_jepa's for its config), `read_image` and `read_clip` (uploads as uint8 frames), `pixel_values`;
- masks: `MaskSettings.sample` (the masks of `hf_jepa.masking`, as pretraining draws them), `cell_labels` and
  `mask_counts` on the model's token grid;
- predictions: `prediction_scores`, the predictor's latents against the target encoder's
  (`JEPAForPreTraining.masked_prediction`), and `video_surprise`, a clip's future against copying its last seen time
  step forward;
- features: `patch_features`, `similarity_maps` and `pca_colours`.

The Space (`hf_jepa/space/app.py`) draws them with `hf_jepa.visualization`.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError
from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, BaseImageProcessor, PreTrainedConfig

from ..configuration_jepa import JEPAConfig
from ..data import apply_processor, build_processor, checkpoint_processor, to_rgb_tensor
from ..masking import sample_masks, temporal_masks

Grid = tuple[int, int, int]
Masks = tuple[list[torch.Tensor], list[torch.Tensor]]
CONTEXT, DROPPED = 0, -1  # cell labels; target block k is k + 1


def token_grid(config: PreTrainedConfig) -> Grid:
    """`(time steps, rows, columns)` of a ViT's tokens (an hf_jepa `JEPAConfig`, or a transformers ViT such as
    `IJepaConfig`: one time step); a `ValueError` for a configuration without integer image and patch sizes."""
    image_size, patch_size = getattr(config, "image_size", None), getattr(config, "patch_size", None)
    if not (isinstance(image_size, int) and isinstance(patch_size, int)):
        raise ValueError(f"{type(config).__name__} is not a ViT with an integer image_size and patch_size.")
    num_frames = getattr(config, "num_frames", 1)
    tubelet_size = getattr(config, "tubelet_size", 1) if num_frames > 1 else 1
    side = image_size // patch_size
    return num_frames // tubelet_size, side, side


def load_checkpoint(name: str, config: PreTrainedConfig) -> torch.nn.Module:
    """The model of a checkpoint (folder or Hub id) with configuration `config`, in eval mode: through
    `AutoModelForPreTraining` when it holds a predictor, else `AutoModel`; a `ValueError` when it does not load."""
    pretraining = any(architecture.endswith("ForPreTraining") for architecture in config.architectures or [])
    auto_class = AutoModelForPreTraining if pretraining else AutoModel
    try:
        return auto_class.from_pretrained(name, trust_remote_code=True).eval()
    except (OSError, ValueError) as error:
        raise ValueError(f"Could not load the model {name!r}: {error}") from error


@dataclass(frozen=True)
class InspectedModel:
    """A checkpoint to inspect: its model, token grid `(T, H, W)` and image processor (the checkpoint's, or
    hf_jepa's for its configuration, which `processor_source` says)."""

    name: str
    model: torch.nn.Module
    grid: Grid
    processor: BaseImageProcessor
    processor_source: str

    @property
    def config(self) -> PreTrainedConfig:
        return self.model.config

    @property
    def encoder(self) -> torch.nn.Module:
        """The encoder whose features are shown: the EMA target encoder of a pretraining checkpoint."""
        return getattr(self.model, "target_encoder", self.model)

    @property
    def image_size(self) -> int:
        return self.config.image_size

    @property
    def num_frames(self) -> int:
        return getattr(self.config, "num_frames", 1)

    @property
    def is_video(self) -> bool:
        return self.num_frames > 1

    @property
    def has_predictor(self) -> bool:
        return getattr(self.model, "predictor", None) is not None  # a multi-view model has none

    def pixel_values(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 frames `[F, 3, H, W]` → the model's input, made by its processor: `[1, 3, S, S]` (the first frame)
        for an image model, `[1, T, 3, S, S]` for a video model (a single frame becomes a still clip)."""
        if not self.is_video:
            return apply_processor(self.processor, frames[0])[None]
        return apply_processor(self.processor, frames.expand(self.num_frames, -1, -1, -1))[None]

    def seen_region(self, width: int, height: int) -> tuple[float, float, float, float]:
        """`(left, top, width, height)` of the part of a `width` x `height` image that the processor keeps (its
        centre crop), in the image's pixels."""
        size, crop = self.processor.size, self.processor.crop_size
        if size.shortest_edge:
            scale_x = scale_y = size.shortest_edge / min(width, height)
        else:  # resized to height x width
            scale_x, scale_y = size.width / width, size.height / height
        seen_width, seen_height = width, height
        if self.processor.do_center_crop:
            seen_width, seen_height = min(width, crop.width / scale_x), min(height, crop.height / scale_y)
        return (width - seen_width) / 2, (height - seen_height) / 2, seen_width, seen_height


def load_inspected_model(name: str, config: PreTrainedConfig | None = None) -> InspectedModel:
    """The checkpoint `name` (a folder or Hub id; `config`: its configuration, read when not given) to inspect; a
    `ValueError` when it does not load or is not a ViT."""
    try:
        config = config or AutoConfig.from_pretrained(name, trust_remote_code=True)
    except OSError as error:
        raise ValueError(f"Could not load the model {name!r}: {error}") from error
    model = load_checkpoint(name, config)
    try:
        grid = token_grid(config)
        processor = checkpoint_processor(name)
    except (OSError, ValueError) as error:
        raise ValueError(f"Could not inspect {name!r} ({type(model).__name__}): {error}") from error
    source = "the checkpoint's processor" if processor else "hf_jepa's processor for its config, ImageNet defaults"
    return InspectedModel(name, model, grid, processor or build_processor(config), source)


def read_image(path: str, min_side: int, largest: int) -> torch.Tensor:
    """An image file as a `[3, height, width]` uint8 tensor: orientation fixed, transparency over white, at most
    `largest` px to a side (huge images are decoded at reduced size where the format allows); a `ValueError` for a
    file that is not an image or is smaller than `min_side` px (one pixel per patch)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            image.draft("RGB", (largest, largest))  # JPEG: decode directly at a reduced size
            image = ImageOps.exif_transpose(image)
            image.thumbnail((largest, largest))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as error:
        raise ValueError(f"Could not read '{Path(path).name}' as an image: {error}") from error
    if min(width, height) < min_side:
        raise ValueError(
            f"The image is {width}x{height} px, smaller than the model's {min_side}x{min_side} patch grid "
            f"(at least one pixel per patch); upload a larger image."
        )
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    return to_rgb_tensor(image)  # 16-bit and float images scaled, not clipped


def read_clip(path: str, num_frames: int, start: int, step: int, min_side: int) -> tuple[torch.Tensor, list[int], int]:
    """`num_frames` frames `[F, 3, H, W]` (uint8) of a video file, every `step` frames from `start`; only those frames
    are decoded, so long videos cost no more than short ones. Also returns the frame indices and the video's length.
    A `ValueError` for a file that is not a video, frames past its end, or frames smaller than `min_side` px."""
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError as error:
        raise ImportError(f"Reading the video {path} needs torchcodec: pip install 'hf-jepa[video]'.") from error
    try:
        decoder = VideoDecoder(path)
        total = len(decoder)
    except (RuntimeError, ValueError) as error:
        raise ValueError(
            f"Could not decode '{Path(path).name}' as a video; upload an MP4, WebM or AVI clip."
        ) from error
    if start < 0 or step < 1:
        raise ValueError(f"The start frame must be >= 0 and the frame step >= 1, got start {start} and step {step}.")
    indices = list(range(start, start + step * num_frames, step))
    if indices[-1] >= total:
        raise ValueError(
            f"The video has {total} frames, but {num_frames} frames every {step} from frame {start} need "
            f"{indices[-1] + 1}; lower the start frame or the frame step."
        )
    frames = decoder.get_frames_at(indices).data
    if min(frames.shape[-2:]) < min_side:
        raise ValueError(
            f"The video is {frames.shape[-1]}x{frames.shape[-2]} px, smaller than the model's {min_side}x{min_side} "
            "patch grid; upload a larger video."
        )
    return frames, indices, total


@dataclass(frozen=True)
class MaskSettings:
    """The masking settings of `JEPAConfig` that a user varies, and the seed of one sample's masks."""

    strategy: str
    mask_ratio: float
    num_target_blocks: int
    scale_min: float
    scale_max: float
    aspect_min: float
    aspect_max: float
    frames_ahead: int
    seed: int

    def sample(self, grid: Grid, image_size: int, num_frames: int) -> Masks:
        """One sample's context and target masks on `grid` (of an `image_size` px, `num_frames` frame model) from
        `hf_jepa.masking`; `JEPAConfig` checks the settings (a `ValueError` names a bad one)."""
        config = JEPAConfig(
            image_size=image_size,
            patch_size=image_size // grid[1],
            num_frames=num_frames,
            tubelet_size=num_frames // grid[0],
            mask_strategy=self.strategy,
            mask_ratio=self.mask_ratio,
            num_target_blocks=int(self.num_target_blocks),
            target_block_scale=(self.scale_min, self.scale_max),
            target_aspect_ratio=(self.aspect_min, self.aspect_max),
            frames_ahead=int(self.frames_ahead),
        )
        return sample_masks(config, 1, torch.Generator().manual_seed(int(self.seed)))


def cell_labels(grid: Grid, context: torch.Tensor, targets: list[torch.Tensor]) -> np.ndarray:
    """`[T, H, W]` labels of one sample's tokens: DROPPED, CONTEXT or k + 1 for target block k (a token in several
    blocks gets the last one's)."""
    labels = np.full(grid[0] * grid[1] * grid[2], DROPPED)
    labels[context.numpy()] = CONTEXT
    for block, indices in enumerate(targets):
        labels[indices.numpy()] = block + 1
    return labels.reshape(grid)


def mask_counts(grid: Grid, context_mask: list[torch.Tensor], target_mask: list[torch.Tensor]) -> dict:
    """The token counts of one sample's masks: the grid, all tokens, the context, each target block, their union and
    the tokens neither sees."""
    labels = cell_labels(grid, context_mask[0][0], [block[0] for block in target_mask])
    return {
        "grid": list(grid),
        "tokens": int(labels.size),
        "context": int(context_mask[0].shape[1]),
        "target_blocks": [int(block.shape[1]) for block in target_mask],
        "target_union": int((labels > CONTEXT).sum()),
        "dropped": int((labels == DROPPED).sum()),
    }


def check_predictor(model: torch.nn.Module) -> None:
    """A `ValueError` unless `model` is a `JEPAForPreTraining` with a predictor (the multi-view objective has none)."""
    if getattr(model, "predictor", None) is None:
        raise ValueError(
            f"{type(model).__name__} has no predictor; prediction needs a JEPAForPreTraining checkpoint of the masked "
            "or hybrid objective. Masks and features still work."
        )


@dataclass(frozen=True)
class PredictionScores:
    """How well one sample's target blocks are predicted: the prediction loss (`config.loss_type`), the cosine
    similarity of predicted and actual latents per block and token `[num_targets, K]`, and per patch of the grid
    `[T, H, W]` (the mean over the blocks that hold it; NaN where no block does)."""

    loss: float
    cosine: torch.Tensor
    patch_cosine: np.ndarray

    def summary(self) -> dict:
        """The numbers, as JSON: the loss, the mean cosine similarity overall and per block, and per patch (None
        where no block holds the patch)."""
        patch_cosine = np.where(np.isnan(self.patch_cosine), None, self.patch_cosine.round(4))
        return {
            "loss": self.loss,
            "mean_cosine": self.cosine.mean().item(),
            "block_cosine": self.cosine.mean(1).tolist(),
            "patch_cosine": patch_cosine.tolist(),
        }


@torch.no_grad()
def prediction_scores(
    model: torch.nn.Module,
    pixel_values: torch.Tensor,
    context_mask: list[torch.Tensor],
    target_mask: list[torch.Tensor],
) -> PredictionScores:
    """The predictor's latents of one sample's target blocks against the target encoder's, as pretraining compares
    them (`JEPAForPreTraining.masked_prediction`)."""
    check_predictor(model)
    outputs = model.masked_prediction(pixel_values, context_mask, target_mask)
    cosine = F.cosine_similarity(outputs["predictions"], outputs["targets"], dim=-1)
    grid = model.config.grid_size
    sums, counts = torch.zeros(math.prod(grid)), torch.zeros(math.prod(grid))
    for block, values in zip(target_mask, cosine):
        sums.index_add_(0, block[0], values)
        counts.index_add_(0, block[0], torch.ones_like(values))
    patch_cosine = (sums / counts).reshape(grid).numpy()  # 0 / 0: NaN where no block holds the patch
    return PredictionScores(outputs["prediction_loss"].item(), cosine, patch_cosine)


@dataclass(frozen=True)
class Surprise:
    """A clip's last `frames_ahead` time steps predicted from the first ones: the cosine similarity of the predicted
    and of the copied latents (the last seen time step's, copied forward) with the actual ones `[frames_ahead, H * W]`,
    the prediction loss, and the cell labels of the temporal masks."""

    predicted: torch.Tensor
    copied: torch.Tensor
    loss: float
    labels: np.ndarray

    def time_step_frames(self, frame_indices: list[int]) -> list[int]:
        """The first of `frame_indices` (the clip's frames in the video) in each predicted time step."""
        tubelet = len(frame_indices) // len(self.labels)
        return frame_indices[(len(self.labels) - len(self.predicted)) * tubelet :: tubelet]

    def summary(self, frame_indices: list[int]) -> dict:
        """The numbers, as JSON: the clip's frames (`frame_indices`, in the video) seen and predicted, the mean cosine
        similarity per predicted time step of the predicted and of the copied latents, and the prediction loss."""
        seen = (len(self.labels) - len(self.predicted)) * (len(frame_indices) // len(self.labels))
        return {
            "context_frames": frame_indices[:seen],
            "predicted_frames": frame_indices[seen:],
            "predicted_cosine": self.predicted.mean(1).tolist(),
            "copy_last_frame_cosine": self.copied.mean(1).tolist(),
            "loss": self.loss,
        }

    @property
    def scores(self) -> np.ndarray:
        """`[T, H, W]`: the predicted cosine similarity on the future time steps, 0 on the seen ones."""
        scores = np.zeros(self.labels.shape)
        scores[len(scores) - len(self.predicted) :] = self.predicted.reshape(-1, *scores.shape[1:]).numpy()
        return scores


@torch.no_grad()
def video_surprise(model: torch.nn.Module, pixel_values: torch.Tensor, frames_ahead: int) -> Surprise:
    """Temporal masking on one clip `[1, T, C, H, W]`: the predictor's latents of the last `frames_ahead` time steps
    against the actual ones, next to copying the last seen time step's latents forward."""
    check_predictor(model)
    grid = model.config.grid_size
    context_mask, target_mask = temporal_masks(grid, 1, frames_ahead=int(frames_ahead))
    outputs = model.masked_prediction(pixel_values, context_mask, target_mask)
    latents = model.target_latents(pixel_values)[0].unflatten(0, (grid[0], -1))  # [T, H * W, D]
    seen = grid[0] - int(frames_ahead)
    future = latents[seen:]
    predicted = F.cosine_similarity(outputs["predictions"][0].reshape(future.shape), future, dim=-1)
    copied = F.cosine_similarity(latents[seen - 1 : seen].expand_as(future), future, dim=-1)
    labels = cell_labels(grid, context_mask[0][0], [target_mask[0][0]])
    return Surprise(predicted, copied, outputs["prediction_loss"].item(), labels)


@torch.no_grad()
def patch_features(encoder: torch.nn.Module, pixel_values: torch.Tensor, grid: Grid) -> torch.Tensor:
    """`[H * W, D]` features of one input's patches from `encoder` (averaged over time for a clip)."""
    hidden = encoder(pixel_values=pixel_values).last_hidden_state[0]
    return hidden.reshape(grid[0], grid[1] * grid[2], -1).mean(0)


def similarity_maps(features: list[torch.Tensor], grid: Grid, row: int, col: int) -> list[torch.Tensor]:
    """The cosine similarity `[H, W]` of patch (row, col) of the first input's `features` with every patch of each
    input; a `ValueError` for a patch outside the grid."""
    _, rows, cols = grid
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"Patch (row {row}, column {col}) is outside the model's {rows}x{cols} patch grid.")
    query = features[0][row * cols + col]
    return [F.cosine_similarity(values, query[None], dim=-1).reshape(rows, cols) for values in features]


def best_match(similarity: torch.Tensor) -> list[int]:
    """`[row, column]` of the most similar patch of a `[H, W]` map."""
    return list(divmod(int(similarity.argmax()), similarity.shape[1]))


def pca_colours(features: list[torch.Tensor], grid: Grid) -> np.ndarray:
    """The first three principal components of all inputs' patch features (fitted together), each scaled to [0, 1]:
    `[inputs, H, W, 3]` RGB colours."""
    stacked = torch.cat(features)
    centered = stacked - stacked.mean(0)
    components = torch.linalg.svd(centered, full_matrices=False).Vh[:3]
    projected = F.pad(centered @ components.T, (0, 3 - len(components)))
    low, high = projected.min(0).values, projected.max(0).values
    return ((projected - low) / (high - low).clamp(min=1e-8)).reshape(len(features), *grid[1:], 3).numpy()


__all__ = [
    "CONTEXT",
    "DROPPED",
    "InspectedModel",
    "MaskSettings",
    "PredictionScores",
    "Surprise",
    "best_match",
    "cell_labels",
    "check_predictor",
    "load_checkpoint",
    "load_inspected_model",
    "mask_counts",
    "patch_features",
    "pca_colours",
    "prediction_scores",
    "read_clip",
    "read_image",
    "similarity_maps",
    "token_grid",
    "video_surprise",
]
