# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The processor that ships with a checkpoint: it turns raw images (or clips) into the model's `pixel_values`."""

from collections.abc import Sequence

from transformers import (
    AutoImageProcessor,
    AutoVideoProcessor,
    BaseVideoProcessor,
    PreTrainedConfig,
    ViTImageProcessor,
)
from transformers.image_processing_utils import BaseImageProcessor
from transformers.models.videomae.video_processing_videomae import VideoMAEVideoProcessor
from transformers.utils import cached_file

from .transforms import build_eval_processor


def build_processor(
    config: PreTrainedConfig,
    image_mean: Sequence[float] | None = None,
    image_std: Sequence[float] | None = None,
) -> ViTImageProcessor | VideoMAEVideoProcessor:
    """The transformers processor that turns raw images (or clips) into the model's `pixel_values`.

    It is the evaluation transform of `build_eval_processor` for the config's `image_size` (also for a ViT-like
    config of another library, e.g. `IJepaConfig`): images get a `ViTImageProcessor` (shorter side resized to
    `image_size`, centre crop), clips a `VideoMAEVideoProcessor` (output key `pixel_values`), normalised with
    `image_mean` / `image_std` (ImageNet by default). `save_pretrained(dir)` writes `preprocessor_config.json` for
    images and `video_preprocessor_config.json` for video, the files `AutoImageProcessor` / `AutoVideoProcessor` read.
    """
    num_channels = getattr(config, "num_channels", 3)
    processor = build_eval_processor(
        config.image_size,
        image_mean,
        image_std,
        video=getattr(config, "num_frames", 1) > 1,
        convert_rgb=num_channels == 3,
    )
    for name in ("image_mean", "image_std"):
        values = list(getattr(processor, name))
        if len(values) != num_channels:
            raise ValueError(f"{name} needs one value per input channel (num_channels={num_channels}), got {values}.")
    if any(not std > 0 for std in processor.image_std):
        raise ValueError(f"image_std must be positive, got {list(processor.image_std)}.")
    return processor


def checkpoint_processor(model_name_or_path: str) -> BaseImageProcessor | BaseVideoProcessor | None:
    """The image or video processor saved with a checkpoint (`preprocessor_config.json` /
    `video_preprocessor_config.json`), or `None` when it has none."""
    for file_name, processor_class in (
        ("preprocessor_config.json", AutoImageProcessor),
        ("video_preprocessor_config.json", AutoVideoProcessor),
    ):
        if cached_file(model_name_or_path, file_name, _raise_exceptions_for_missing_entries=False):
            return processor_class.from_pretrained(model_name_or_path)
    return None
