# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Pictures of what a JEPA model hides, sees and predicts: one colour per patch of the token grid over the frames the
model sees (uint8 `[H, W, 3]` images, time steps side by side), and animated GIFs. `hf_jepa.evaluation.inspection`
computes what they show; the Space shows them.
"""

import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .evaluation.inspection import CONTEXT, DROPPED

# One colour per target block (cycled when there are more blocks).
BLOCK_COLOURS = np.array(
    [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230)]
)
# Anchors of the viridis colour map (CC0): dark purple for low values, yellow for high ones.
VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)])


def display_frames(
    pixel_values: torch.Tensor, image_mean: list[float], image_std: list[float], time_steps: int, side: int
) -> np.ndarray:
    """What the model sees, one frame per time step of its token grid (the first frame of each tubelet; an image
    model's single frame): `pixel_values` `[1, 3, S, S]` or `[1, T, 3, S, S]` un-normalised with the processor's
    mean and std and resized to `side` px, `[time_steps, side, side, 3]` floats in [0, 1]."""
    mean = torch.tensor(image_mean, dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(image_std, dtype=torch.float32).view(-1, 1, 1)
    frames = pixel_values[0] * std + mean
    frames = frames[:: len(frames) // time_steps] if frames.dim() == 4 else frames[None]
    panels = F.interpolate(frames, size=(side, side), mode="bicubic", antialias=True).clamp(0, 1)
    return panels.permute(0, 2, 3, 1).numpy()


def colour_map(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] → viridis RGB floats in [0, 1] (one more trailing axis)."""
    position = np.clip(values, 0, 1) * (len(VIRIDIS) - 1)
    low = np.floor(position).astype(int).clip(max=len(VIRIDIS) - 2)
    fraction = (position - low)[..., None]
    return ((1 - fraction) * VIRIDIS[low] + fraction * VIRIDIS[low + 1]) / 255


def paint(panels: np.ndarray, colours: np.ndarray, opacity: np.ndarray, cell: int) -> np.ndarray:
    """Blends one colour per patch (`[T, H, W, 3]`, opacity `[T, H, W]`) over the panels `[T, H * cell, W * cell,
    3]`, draws the patch grid and lays the time steps side by side: a uint8 image."""
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


def mask_image(panels: np.ndarray, labels: np.ndarray, cell: int) -> np.ndarray:
    """Context patches clear, each target block in its colour, dropped patches dark (`labels`: `cell_labels`)."""
    colours = np.zeros((*labels.shape, 3))
    is_target = labels > CONTEXT
    colours[is_target] = BLOCK_COLOURS[(labels[is_target] - 1) % len(BLOCK_COLOURS)] / 255
    opacity = np.where(is_target, 0.6, np.where(labels == DROPPED, 0.75, 0.0))
    return paint(panels, colours, opacity, cell)


def score_image(panels: np.ndarray, labels: np.ndarray, scores: np.ndarray, cell: int) -> np.ndarray:
    """Target patches coloured by a [0, 1] score (NaN: none), context patches clear, dropped ones dark."""
    colours = np.where((labels > CONTEXT)[..., None], colour_map(np.nan_to_num(scores)), 0.0)
    opacity = np.where(labels > CONTEXT, 0.85, np.where(labels == DROPPED, 0.75, 0.0))
    return paint(panels, colours, opacity, cell)


def similarity_image(panel: np.ndarray, similarity: torch.Tensor, low: float, cell: int) -> np.ndarray:
    """A `[H, W]` cosine-similarity map over one panel, scaled from `low` to 1 (the query patch itself), with a white
    frame around its best match."""
    scaled = ((similarity - low) / max(1.0 - low, 1e-6)).numpy()
    image = paint(panel[None], colour_map(scaled)[None], np.full((1, *scaled.shape), 0.65), cell)
    best_row, best_col = divmod(int(similarity.argmax()), similarity.shape[1])
    return outline(image, best_row, best_col, cell, (255, 255, 255))


def colour_grid_image(colours: np.ndarray, cell: int) -> np.ndarray:
    """`[N, H, W, 3]` colours in [0, 1] (e.g. `pca_colours`) as N patch grids side by side."""
    _, rows, cols, _ = colours.shape
    return paint(np.zeros((len(colours), rows * cell, cols * cell, 3)), colours, np.ones(colours.shape[:3]), cell)


def thumbnail(frame: np.ndarray, side: int = 128) -> np.ndarray:
    """A uint8 `[H, W, 3]` frame enlarged to `side` px without smoothing, so that its pixels stay visible."""
    return np.asarray(Image.fromarray(frame).resize((side, side), Image.NEAREST))


def write_gif(frames: list[np.ndarray], fps: int) -> str:
    """An animated GIF of uint8 `[H, W, 3]` frames (the last one held for a second and a half) in a new temporary
    file; returns its path."""
    images = [Image.fromarray(frame) for frame in frames]
    durations = [1000 // fps] * (len(images) - 1) + [1500]
    path = tempfile.NamedTemporaryFile(prefix="plan_", suffix=".gif", delete=False).name
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


__all__ = [
    "colour_grid_image",
    "colour_map",
    "display_frames",
    "mask_image",
    "outline",
    "paint",
    "score_image",
    "similarity_image",
    "thumbnail",
    "write_gif",
]
