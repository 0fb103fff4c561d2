# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Images and clips to normalised tensors: the training augmentation and, for evaluation, the processor that ships
with the model."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import PIL.Image
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from transformers import BaseVideoProcessor, ViTImageProcessor
from transformers.image_processing_utils import BaseImageProcessor
from transformers.image_utils import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from transformers.models.videomae.video_processing_videomae import VideoMAEVideoProcessor


def _channels_first(array: torch.Tensor, prefer_channels_last: bool, what: str) -> torch.Tensor:
    """`[..., H, W, C]` or `[..., C, H, W]` → `[..., C, H, W]`, guessing the layout from where C in 1..4 is."""
    last_ok, first_ok = array.shape[-1] in (1, 2, 3, 4), array.shape[-3] in (1, 2, 3, 4)
    if last_ok and (prefer_channels_last or not first_ok):
        return array.movedim(-1, -3)
    if first_ok:
        return array
    raise ValueError(f"Cannot find the channels of {what} of shape {tuple(array.shape)}: expected 1 to 4 channels.")


def _rgb(array: torch.Tensor, what: str) -> torch.Tensor:
    """`[..., C, H, W]` uint8 / float → `[..., 3, H, W]`: grey is repeated, alpha dropped, other ints and floats
    checked."""
    if array.is_floating_point() and not torch.isfinite(array).all():
        raise ValueError(f"{what} has NaN or infinite pixel values.")
    if not (array.dtype == torch.uint8 or array.is_floating_point()):
        if array.dtype == torch.bool or array.is_complex():
            raise ValueError(f"{what} has dtype {array.dtype}; expected uint8 or float pixels.")
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(f"{what} has {array.dtype} values in [{low}, {high}]; expected pixels in [0, 255].")
        array = array.to(torch.uint8)
    channels = array.shape[-3]
    if channels in (1, 2):  # grey, grey + alpha
        return array.narrow(-3, 0, 1).expand(*array.shape[:-3], 3, *array.shape[-2:])
    return array.narrow(-3, 0, 3)  # RGB, RGBA


# Pillow's grey modes of more than 8 bits, which `Image.convert("RGB")` clips to 255 instead of scaling: the value
# that becomes 255, and the range a value must lie in. `I` is how Pillow reads some 16-bit files (TIFF, older PNG
# readers), so its values are read as 16-bit ones; larger `I` values and `F` values outside [0, 1] have no single
# sensible scale (a per-image min-max would change every image's brightness), so they are refused.
_HIGH_DEPTH_MODES = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I;16N": 65535, "I": 65535, "F": 1.0}


def _high_depth_to_uint8(image: PIL.Image.Image) -> torch.Tensor:
    """A 16-bit, 32-bit or float grey PIL image (`_HIGH_DEPTH_MODES`) → uint8 `[1, H, W]`, scaled to [0, 255]."""
    white = _HIGH_DEPTH_MODES[image.mode]
    values = np.asarray(image, dtype=np.float64)
    finite, low, high = np.isfinite(values).all(), values.min(), values.max()
    if not finite or low < 0 or high > white:
        found = f"values in [{low:g}, {high:g}]" if finite else "NaN or infinite values"
        raise ValueError(
            f"An image of mode {image.mode!r} has {found}; this mode needs values in [0, {white:g}] (scaled to "
            "[0, 255]). Save it as 8-bit or 16-bit integers."
        )
    return torch.from_numpy(np.rint(values * (255 / white)).astype(np.uint8))[None]


def to_rgb_tensor(image: Any) -> torch.Tensor:
    """An image as a `[3, H, W]` tensor: uint8, or float in [0, 1] when given floats.

    Takes a PIL image of any mode (converted to RGB; 16-bit grey scaled from [0, 65535], `I` 32-bit grey too when
    its values fit in 16 bits, `F` float grey from [0, 1]; other `I` / `F` values raise `ValueError`), a numpy array
    `[H, W]` / `[H, W, C]` or a tensor `[H, W]` / `[C, H, W]` (numpy arrays are read channels-last, tensors
    channels-first, when the shape allows both).
    """
    if isinstance(image, PIL.Image.Image):
        if image.mode in _HIGH_DEPTH_MODES:
            return _rgb(_high_depth_to_uint8(image), "the image")
        return v2.functional.pil_to_tensor(image.convert("RGB"))
    if not isinstance(image, (np.ndarray, torch.Tensor)):
        raise TypeError(f"Expected a PIL image, a numpy array or a tensor, got {type(image).__name__}.")
    array = torch.as_tensor(np.array(image)) if isinstance(image, np.ndarray) else image
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3:
        array = _channels_first(array, isinstance(image, np.ndarray), "an image")
    else:
        raise ValueError(f"An image must have 2 or 3 dimensions, got shape {tuple(array.shape)}.")
    return _rgb(array, "the image")


def clip_indices(num_video_frames: int, num_frames: int, frame_step: int, train: bool) -> list[int]:
    """Frame indices of a clip of `num_frames` frames `frame_step` apart: a random start (`train`) or the centred
    clip; a video shorter than the clip is padded with its last frame."""
    if num_video_frames < 1:
        raise ValueError("The video has no frames.")
    span = (num_frames - 1) * frame_step + 1
    if num_video_frames < span:
        start = 0
    elif train:
        start = int(torch.randint(num_video_frames - span + 1, ()))
    else:
        start = (num_video_frames - span) // 2
    return [min(start + index * frame_step, num_video_frames - 1) for index in range(num_frames)]


def read_clip(video: Any, num_frames: int, frame_step: int, train: bool) -> torch.Tensor:
    """Samples a clip from `video` as `[num_frames, 3, H, W]` (uint8, or float when given floats).

    `video` is a torchcodec `VideoDecoder` (what 🤗 datasets yields for a `Video` feature; only the clip's frames
    are decoded), a numpy array `[T, H, W, C]` / `[T, H, W]`, or a tensor `[T, H, W, C]` / `[T, C, H, W]`.
    """
    if isinstance(video, (np.ndarray, torch.Tensor)):
        if video.ndim not in (3, 4):
            raise ValueError(f"A video array must be [T, H, W, C] or [T, H, W], got shape {tuple(video.shape)}.")
        indices = clip_indices(video.shape[0], num_frames, frame_step, train)
        frames = torch.from_numpy(video[indices]) if isinstance(video, np.ndarray) else video[indices]
        if frames.ndim == 3:
            frames = frames[:, None]
        else:
            frames = _channels_first(frames, prefer_channels_last=True, what="a video")
        return _rgb(frames, "the video")
    if not hasattr(video, "get_frames_at"):
        raise TypeError(f"Expected a torchcodec VideoDecoder, a numpy array or a tensor, got {type(video).__name__}.")
    frames = video.get_frames_at(clip_indices(len(video), num_frames, frame_step, train)).data
    # A `Video(dimension_order="NHWC")` feature yields channels-last frames: tell the layouts apart by the frame size.
    if tuple(frames.shape[-2:]) != (video.metadata.height, video.metadata.width):
        frames = frames.permute(0, 3, 1, 2)
    return _rgb(frames, "the video")


# The normalisation of a model that ships no processor, and of a run that names none: ImageNet's, as ViT uses.
DEFAULT_IMAGE_MEAN = tuple(IMAGENET_DEFAULT_MEAN)
DEFAULT_IMAGE_STD = tuple(IMAGENET_DEFAULT_STD)

Processor = BaseImageProcessor | BaseVideoProcessor


def build_eval_processor(
    image_size: int,
    image_mean: Sequence[float] | None = None,
    image_std: Sequence[float] | None = None,
    *,
    video: bool = False,
    convert_rgb: bool = True,
) -> ViTImageProcessor | VideoMAEVideoProcessor:
    """The evaluation preprocessing, as the transformers processor that ships with a model (`build_processor`).

    Images get a `ViTImageProcessor`, clips a `VideoMAEVideoProcessor` (a generic video processor whose output key,
    `pixel_values`, is the input name of hf_jepa's video models). Both resize the shorter side to `image_size` and
    centre-crop `image_size` pixels, the geometry of the training crops, then scale to [0, 1] and normalise with
    `image_mean` / `image_std` (default: `DEFAULT_IMAGE_MEAN` / `DEFAULT_IMAGE_STD`).
    """
    common = dict(
        image_mean=list(DEFAULT_IMAGE_MEAN if image_mean is None else image_mean),
        image_std=list(DEFAULT_IMAGE_STD if image_std is None else image_std),
        do_convert_rgb=convert_rgb,
    )
    geometry = dict(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    if video:
        return VideoMAEVideoProcessor(**geometry, **common)
    return ViTImageProcessor(do_center_crop=True, **geometry, **common)


def apply_processor(processor: Processor, pixels: torch.Tensor) -> torch.Tensor:
    """A `[3, H, W]` image or `[T, 3, H, W]` clip (uint8, or float in [0, 1]) through a transformers image or video
    processor: its pixel values without the batch axis (an image processor takes a clip frame by frame)."""
    pixels = pixels.as_subclass(torch.Tensor)
    # Float pixels are in [0, 1] already: the processor must not divide them by 255 again.
    rescale = processor.do_rescale and not pixels.is_floating_point()
    if isinstance(processor, BaseVideoProcessor):
        processed = processor(videos=pixels, do_rescale=rescale, return_tensors="pt")
        # VideoMAE's processor names its output `pixel_values`, V-JEPA 2's `pixel_values_videos`
        return processed.get("pixel_values", processed.get("pixel_values_videos"))[0]
    processed = processor(images=pixels, do_rescale=rescale, return_tensors="pt")["pixel_values"]
    return processed[0] if pixels.ndim == 3 else processed


class _Processed:
    """A processor as the spatial step of `ImageTransform` / `VideoTransform`."""

    def __init__(self, processor: Processor):
        self.processor = processor

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        return apply_processor(self.processor, pixels)


class ImageTransform:
    """Image → normalised float `[3, H, W]`. Built by [`build_transform`] or [`processor_transform`]."""

    def __init__(self, spatial: Callable[[torch.Tensor], torch.Tensor]):
        self.spatial = spatial

    def __call__(self, image: Any) -> torch.Tensor:
        return self.spatial(to_rgb_tensor(image))


class VideoTransform:
    """Video → normalised float `[num_frames, 3, H, W]`, one random crop for all frames. Built by
    [`build_transform`] or [`processor_transform`]."""

    def __init__(self, spatial: Callable[[torch.Tensor], torch.Tensor], num_frames: int, frame_step: int, train: bool):
        self.spatial = spatial
        self.num_frames = num_frames
        self.frame_step = frame_step
        self.train = train

    def __call__(self, video: Any) -> torch.Tensor:
        clip = read_clip(video, self.num_frames, self.frame_step, self.train)
        # A `tv_tensors.Video` makes the v2 transforms draw one set of random parameters for the whole clip.
        return self.spatial(tv_tensors.Video(clip)).as_subclass(torch.Tensor)


class MultiViewTransform:
    """One sample → `{"pixel_values": [num_global_views, ...], "local_pixel_values": [num_local_views, ...]}` (the
    local key only when there are local views): every view an independent draw of its view's augmentation, as the
    multi-view and hybrid objectives take them."""

    def __init__(
        self,
        global_view: ImageTransform | VideoTransform,
        num_global_views: int,
        local_view: ImageTransform | VideoTransform | None = None,
        num_local_views: int = 0,
    ):
        self.global_view, self.num_global_views = global_view, num_global_views
        self.local_view, self.num_local_views = local_view, num_local_views

    def __call__(self, media: Any) -> dict[str, torch.Tensor]:
        views = {"pixel_values": torch.stack([self.global_view(media) for _ in range(self.num_global_views)])}
        if self.num_local_views:
            views["local_pixel_values"] = torch.stack([self.local_view(media) for _ in range(self.num_local_views)])
        return views


def processor_transform(
    processor: Processor, num_frames: int = 1, frame_step: int = 4
) -> ImageTransform | VideoTransform:
    """The evaluation transform of a model's own processor (e.g. `AutoImageProcessor.from_pretrained(model)`): images,
    or the centred clip of `num_frames` frames `frame_step` apart when `num_frames > 1`."""
    if num_frames == 1:
        return ImageTransform(_Processed(processor))
    return VideoTransform(_Processed(processor), num_frames, frame_step, train=False)


def build_transform(
    image_size: int,
    image_mean: Sequence[float],
    image_std: Sequence[float],
    *,
    train: bool,
    crop_scale: tuple[float, float] = (0.3, 1.0),
    horizontal_flip: bool = False,
    color_jitter: float = 0.0,
    blur_probability: float = 0.0,
    num_frames: int = 1,
    frame_step: int = 4,
) -> ImageTransform | VideoTransform:
    """The preprocessing of images (`num_frames == 1`) or video clips (`num_frames > 1`).

    Training: a random resized crop of `crop_scale` of the area (and a random horizontal flip when
    `horizontal_flip`); with `color_jitter` > 0, brightness, contrast and saturation jitter of that strength (0.4,
    0.4 and 0.2 times it) with probability 0.8 (no hue jitter: it costs 40x the rest on a CPU); with
    `blur_probability` > 0, a Gaussian blur (sigma 0.1 to 2) with that probability; then scale to [0, 1] and
    normalise with `image_mean` / `image_std`. Evaluation: the processor of [`build_eval_processor`], the one that
    ships with the model, so that evaluation sees the pixels that `AutoImageProcessor` / `AutoVideoProcessor` give.
    Images give float `[3, image_size, image_size]`; videos a clip of `num_frames` frames `frame_step` apart,
    `[num_frames, 3, image_size, image_size]`, with the same crop and flip for every frame.
    """
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}.")
    if len(image_mean) not in (1, 3) or len(image_std) not in (1, 3):
        raise ValueError(f"image_mean and image_std need 1 or 3 values, got {list(image_mean)} and {list(image_std)}.")
    if min(image_std) <= 0:
        raise ValueError(f"image_std must be positive, got {list(image_std)}.")
    if not 0 < crop_scale[0] <= crop_scale[1] <= 1:
        raise ValueError(f"crop_scale must be (low, high) with 0 < low <= high <= 1, got {crop_scale}.")
    if color_jitter < 0 or not 0 <= blur_probability <= 1:
        raise ValueError(
            f"color_jitter must be >= 0 and blur_probability in [0, 1], got {color_jitter} and {blur_probability}."
        )
    if num_frames < 1 or frame_step < 1:
        raise ValueError(f"num_frames and frame_step must be positive, got {num_frames} and {frame_step}.")
    if not train:
        processor = build_eval_processor(image_size, image_mean, image_std, video=num_frames > 1)
        return processor_transform(processor, num_frames, frame_step)
    geometry = [v2.RandomResizedCrop(image_size, scale=tuple(crop_scale))]
    if horizontal_flip:
        geometry.append(v2.RandomHorizontalFlip())
    photometric = []
    if color_jitter > 0:
        jitter = v2.ColorJitter(0.4 * color_jitter, 0.4 * color_jitter, 0.2 * color_jitter)
        photometric.append(v2.RandomApply([jitter], p=0.8))
    if blur_probability > 0:
        kernel_size = 2 * max(1, image_size // 20) + 1  # about a tenth of the image, odd
        photometric.append(v2.RandomApply([v2.GaussianBlur(kernel_size, sigma=(0.1, 2.0))], p=blur_probability))
    spatial = v2.Compose(
        geometry
        + photometric
        + [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(image_mean), list(image_std))]
    )
    if num_frames == 1:
        return ImageTransform(spatial)
    return VideoTransform(spatial, num_frames, frame_step, train)
