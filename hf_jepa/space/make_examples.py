# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Renders the Space's example images and clip from Fashion-MNIST (MIT licence, (c) 2017 Zalando SE).

    python hf_jepa/space/make_examples.py [--fashion_mnist_dir /usr/share/datasets/fashion-mnist]

Debian's `dataset-fashion-mnist` package provides the default directory. Writes `examples/*.png` next to this file
(test-set images upscaled 12x, grayscale) and `examples/moving_fashion.mp4` (two items drifting over a dark canvas
and bouncing off its borders; needs `ffmpeg` with libx264).
"""

import argparse
import gzip
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
CLASS_NAMES = ("t_shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot")


def read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path) as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=offset)


def first_of(labels: np.ndarray, name: str, count: int = 1) -> list[int]:
    return np.flatnonzero(labels == CLASS_NAMES.index(name))[:count].tolist()


def render_clip(items: list[np.ndarray], size: int, num_frames: int, rng: np.random.Generator) -> np.ndarray:
    """`[num_frames, size, size, 3]` uint8 frames of `items` moving at constant speed, bouncing off the borders."""
    side = items[0].shape[0]
    positions = rng.uniform(0, size - side, (len(items), 2))
    velocities = rng.uniform(1.5, 3.0, (len(items), 2)) * rng.choice([-1, 1], (len(items), 2))
    frames = np.zeros((num_frames, size, size), dtype=np.uint8)
    for frame in frames:
        for item, (top, left) in zip(items, positions.round().astype(int)):
            region = frame[top : top + side, left : left + side]
            np.maximum(region, item, out=region)
        positions += velocities
        outside = (positions < 0) | (positions > size - side)
        velocities[outside] *= -1
        positions = positions.clip(0, size - side)
    return np.repeat(frames[..., None], 3, axis=-1)


def write_mp4(frames: np.ndarray, path: Path, fps: int) -> None:
    height, width = frames.shape[1:3]
    command = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    command += ["-s", f"{width}x{height}", "-r", str(fps), "-i", "-"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart", str(path)]
    subprocess.run(command, input=frames.tobytes(), check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fashion_mnist_dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    images = read_idx(args.fashion_mnist_dir / "t10k-images-idx3-ubyte.gz", offset=16).reshape(-1, 28, 28)
    labels = read_idx(args.fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz", offset=8)
    EXAMPLES_DIR.mkdir(exist_ok=True)

    picks = {
        "sneaker_1": first_of(labels, "sneaker", 2)[0],
        "sneaker_2": first_of(labels, "sneaker", 2)[1],
        "ankle_boot": first_of(labels, "ankle_boot")[0],
        "bag": first_of(labels, "bag")[0],
    }
    for name, index in picks.items():
        Image.fromarray(images[index]).resize((336, 336), Image.NEAREST).save(EXAMPLES_DIR / f"{name}.png")

    items = [images[first_of(labels, "ankle_boot")[0]], images[first_of(labels, "trouser")[0]]]
    clip = render_clip(items, size=64, num_frames=32, rng=np.random.default_rng(0))
    write_mp4(clip, EXAMPLES_DIR / "moving_fashion.mp4", fps=8)


if __name__ == "__main__":
    main()
