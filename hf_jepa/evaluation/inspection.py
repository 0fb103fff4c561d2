# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""What a JEPA model hides, sees and predicts, as numbers for one input.

- a model and its input: `load_inspected_model` (any hf_jepa checkpoint or transformers ViT, with the processor it
  ships or hf_jepa's for its config; its `summary`), `read_image` and `read_clip` (uploads as uint8 frames),
  `pixel_values`, `image_inputs`, `clip_inputs`, and `patch_at`, the patch under a click on an image;
- masks: `MaskSettings.sample` (the masks of `hf_jepa.masking`, as pretraining draws them; `MaskSettings.of_model`,
  those of a model's configuration), `cell_labels`, `sample_labels` and `mask_counts` on the model's token grid;
- predictions: `prediction_scores`, the predictor's latents against the target encoder's
  (`JEPAForPreTraining.masked_prediction`), and `video_surprise`, a clip's future against copying its last seen time
  step forward (`Surprise.curve`);
- features: `patch_features`, `similarity_maps`, `pca_colours` and both at once, `compare_patch`.

The Space (`hf_jepa/space/app.py`) draws them with `hf_jepa.visualization`.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, BaseImageProcessor, PreTrainedConfig

from ..configuration_jepa import VIDEO_ONLY_STRATEGIES, JEPAConfig
from ..data import apply_processor, build_processor, checkpoint_processor, to_rgb_tensor
from ..masking import MASKING_STRATEGIES, sample_masks, temporal_masks

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

    @property
    def mask_strategies(self) -> list[str]:
        """The masking strategies of `hf_jepa.masking` that the model takes (the video-only ones for video models)."""
        return [name for name in MASKING_STRATEGIES if self.is_video or name not in VIDEO_ONLY_STRATEGIES]

    @property
    def most_frames_ahead(self) -> int:
        """The most time steps that temporal masking can predict: all but the first (at least 1)."""
        return max(1, self.grid[0] - 1)

    def summary(self) -> str:
        """One line of Markdown: the model's class, kind, size, patch grid, parameters, predictor and preprocessing."""
        time_steps, height, width = self.grid
        kind = f"video model ({self.num_frames} frames, {time_steps} time steps)" if self.is_video else "image model"
        parameters = sum(parameter.numel() for parameter in self.model.parameters())
        return (
            f"**{type(self.model).__name__}**, {kind}, {self.image_size} px, patch grid {height}x{width}, "
            f"{parameters / 1e6:.1f}M parameters; predictor: {'yes' if self.has_predictor else 'no'}; "
            f"preprocessing: {self.processor_source}."
        )

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

    def patch_at(self, path: str, x: float, y: float) -> tuple[int, int]:
        """The (row, column) of the patch under pixel (x, y) of the image file `path` as it is shown (upright, by its
        EXIF orientation), in the centre crop the model sees; a click outside the crop gets the nearest patch."""
        left, top, seen_width, seen_height = self.seen_region(*shown_size(path))
        _, rows, cols = self.grid
        row, col = int((y - top) * rows / seen_height), int((x - left) * cols / seen_width)
        return min(rows - 1, max(0, row)), min(cols - 1, max(0, col))

    def image_inputs(self, path: str, largest: int) -> torch.Tensor:
        """The `pixel_values` of an image file (`read_image`: at most `largest` px to a side are decoded)."""
        return self.pixel_values(read_image(path, self.grid[1], largest)[None])

    def check_predicts_clips(self) -> None:
        """A `ValueError` unless the model predicts a clip's future: a video model with a predictor."""
        if not self.is_video:
            raise ValueError(
                f"{self.name!r} is an image model (num_frames 1); predicting a clip's future needs a video checkpoint."
            )
        check_predictor(self.model)

    def clip_inputs(self, path: str, start: int, step: int) -> tuple[torch.Tensor, list[int], int]:
        """The `pixel_values` of the model's clip of a video file (`num_frames` frames every `step` from `start`, by
        `read_clip`), the frame indices and the video's length."""
        frames, indices, total = read_clip(path, self.num_frames, start, step, self.grid[1])
        return self.pixel_values(frames), indices, total


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


def shown_size(path: str) -> tuple[int, int]:
    """`(width, height)` of an image file as it is shown: turned upright by its EXIF orientation (read from the
    header only)."""
    with Image.open(path) as image:
        width, height = image.size
        if image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):  # shown rotated by 90 degrees
            return height, width
    return width, height


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

    @classmethod
    def of_model(cls, model: InspectedModel, seed: int = 0) -> "MaskSettings":
        """The settings of a model's configuration (`JEPAConfig`'s defaults where it has none, as `IJepaModel`'s),
        with its first strategy where the configured one is not one it takes."""

        def setting(name: str):
            return getattr(model.config, name, getattr(JEPAConfig, name))

        strategy = setting("mask_strategy")
        strategy = strategy if strategy in model.mask_strategies else model.mask_strategies[0]
        scale, aspect = setting("target_block_scale"), setting("target_aspect_ratio")
        ratio, blocks, ahead = setting("mask_ratio"), setting("num_target_blocks"), setting("frames_ahead")
        return cls(strategy, ratio, blocks, *scale, *aspect, ahead, seed)


def strategies_taking(*parameters: str) -> list[str]:
    """The masking strategies of `hf_jepa.masking` that take any of the `JEPAConfig` settings `parameters`."""
    return [name for name, strategy in MASKING_STRATEGIES.items() if set(parameters) & set(strategy.parameters)]


def cell_labels(grid: Grid, context: torch.Tensor, targets: list[torch.Tensor]) -> np.ndarray:
    """`[T, H, W]` labels of one sample's tokens: DROPPED, CONTEXT or k + 1 for target block k (a token in several
    blocks gets the last one's)."""
    labels = np.full(grid[0] * grid[1] * grid[2], DROPPED)
    labels[context.numpy()] = CONTEXT
    for block, indices in enumerate(targets):
        labels[indices.numpy()] = block + 1
    return labels.reshape(grid)


def sample_labels(grid: Grid, context_mask: list[torch.Tensor], target_mask: list[torch.Tensor]) -> np.ndarray:
    """`cell_labels` of the first sample of a batch's masks (lists of `[batch, K]` index tensors)."""
    return cell_labels(grid, context_mask[0][0], [block[0] for block in target_mask])


def mask_counts(grid: Grid, context_mask: list[torch.Tensor], target_mask: list[torch.Tensor]) -> dict:
    """The token counts of one sample's masks: the grid, all tokens, the context, each target block, their union and
    the tokens neither sees."""
    labels = sample_labels(grid, context_mask, target_mask)
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

    def curve(self, frame_indices: list[int]) -> dict[str, list]:
        """The mean cosine similarity per predicted time step, of the predicted and of the copied latents, as the
        columns of a plot in long form: `frame` (in the video, of `frame_indices`), `cosine similarity`, `latents`."""
        frames = self.time_step_frames(frame_indices)
        predicted, copied = self.predicted.mean(1).tolist(), self.copied.mean(1).tolist()
        series = ["predicted"] * len(predicted) + ["copy of the last seen frame"] * len(copied)
        return {"frame": frames * 2, "cosine similarity": predicted + copied, "latents": series}


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
    labels = sample_labels(grid, context_mask, target_mask)
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


@dataclass(frozen=True)
class PatchComparison:
    """Patch (row, col) of the first input against every patch of each input (inputs a, b, ...): the cosine
    similarity maps `[H, W]` (`similarity_maps`) and the PCA colours of all inputs' patches (`pca_colours`)."""

    row: int
    col: int
    maps: list[torch.Tensor]
    pca: np.ndarray

    @property
    def low(self) -> float:
        """The lowest similarity of all maps: one scale for all of them, up to 1.0 (the patch itself)."""
        return min(float(values.min()) for values in self.maps)

    def summary(self) -> dict:
        """The numbers, as JSON: the patch, and for each input its similarity map and best match."""
        summary = {"patch": [self.row, self.col]}
        for name, values in zip("ab", self.maps):
            summary[f"similarity_{name}"] = values.numpy().round(4).tolist()
            summary[f"best_match_{name}"] = best_match(values)
        return summary


def compare_patch(features: list[torch.Tensor], grid: Grid, row: int, col: int) -> PatchComparison:
    """Patch (row, col) of the first input's `features` (`patch_features`) against every patch of each input, and
    the inputs' PCA colours; a `ValueError` for a patch outside the grid."""
    return PatchComparison(row, col, similarity_maps(features, grid, row, col), pca_colours(features, grid))


__all__ = [
    "CONTEXT",
    "DROPPED",
    "InspectedModel",
    "MaskSettings",
    "PatchComparison",
    "PredictionScores",
    "Surprise",
    "best_match",
    "cell_labels",
    "check_predictor",
    "compare_patch",
    "load_checkpoint",
    "load_inspected_model",
    "mask_counts",
    "patch_features",
    "pca_colours",
    "prediction_scores",
    "read_clip",
    "read_image",
    "sample_labels",
    "shown_size",
    "similarity_maps",
    "strategies_taking",
    "token_grid",
    "video_surprise",
]
