# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Writes tests/fixtures/lerobot_v30 with the real `lerobot` package, and checks that `lerobot` reads a folder.

`lerobot` needs Python >= 3.12 and torch < 2.12, so this runs in its own virtual environment, not the project's:

    python3.12 -m venv /tmp/lerobot-venv
    /tmp/lerobot-venv/bin/pip install "torch<2.12" "lerobot[dataset]"
    HF_HUB_OFFLINE=1 /tmp/lerobot-venv/bin/python scripts/make_lerobot_fixture.py

The fixture (made with lerobot 0.6.1, torch 2.11) is a LeRobot v3.0 dataset of 3 short episodes: a 32 x 32 video
camera `observation.images.top` (lerobot's default AV1 encoding), a 32 x 32 image camera `observation.images.wrist`
(PNG in the parquet files), a 2-d `observation.state` and a 2-d `action`. Every value written also goes to
`lerobot_v30_frames.npz` beside it, so tests/test_lerobot.py compares what hf_jepa reads with what was written.

`--check FOLDER` instead opens FOLDER with `lerobot.datasets.LeRobotDataset` and decodes every frame (lerobot checks
each frame's time against the parquet's timestamps). Run it on a recording to see that `lerobot` reads our episodes:

    hf-jepa record-episodes --env_id hf_jepa/PushT-v0 --num_episodes 5 --max_steps 50 --format lerobot \
        --output_dir /tmp/push_t_lerobot
    HF_HUB_OFFLINE=1 /tmp/lerobot-venv/bin/python scripts/make_lerobot_fixture.py --check /tmp/push_t_lerobot
"""

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
EPISODE_LENGTHS = (10, 12, 8)
FPS = 10
SIZE = 32
TASK = "push the block to the goal"
FEATURES = {
    "observation.images.top": {"dtype": "video", "shape": (SIZE, SIZE, 3), "names": ["height", "width", "channels"]},
    "observation.images.wrist": {"dtype": "image", "shape": (SIZE, SIZE, 3), "names": ["height", "width", "channels"]},
    "observation.state": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    "action": {"dtype": "float32", "shape": (2,), "names": ["dx", "dy"]},
}


def camera_frame(step: int, rng: np.random.Generator) -> np.ndarray:
    """A frame a video codec keeps recognisable at 32 x 32: a flat colour that changes every step and a bright
    8 x 8 square that moves with it."""
    frame = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    frame[:] = ((step * 37) % 200 + 20, (step * 71) % 200 + 20, (step * 113) % 200 + 20)
    row, col = (step * 3) % (SIZE - 8), (step * 5) % (SIZE - 8)
    frame[row : row + 8, col : col + 8] = 255
    return np.clip(frame.astype(np.int16) + rng.integers(-3, 4, frame.shape), 0, 255).astype(np.uint8)


def write_fixture(folder: Path) -> dict[str, np.ndarray]:
    """Writes the dataset into `folder` with lerobot and returns every frame's values, in row order."""
    rng = np.random.default_rng(0)
    from lerobot.datasets import LeRobotDataset  # only in the lerobot venv; --help works anywhere

    dataset = LeRobotDataset.create(repo_id="hf_jepa/lerobot_fixture", fps=FPS, features=FEATURES, root=folder)
    written = {name: [] for name in FEATURES}
    step = 0
    for length in EPISODE_LENGTHS:
        for _ in range(length):
            frame = {
                "observation.images.top": camera_frame(step, rng),
                "observation.images.wrist": camera_frame(step + 1000, rng),
                "observation.state": rng.normal(size=2).astype(np.float32),
                "action": rng.uniform(-1, 1, size=2).astype(np.float32),
            }
            for name, value in frame.items():
                written[name].append(value)
            dataset.add_frame({**frame, "task": TASK})
            step += 1
        dataset.save_episode()
    dataset.finalize()
    return {name: np.stack(values) for name, values in written.items()}


def check_folder(folder: Path) -> None:
    """Opens `folder` with lerobot and decodes every frame of every camera."""
    from lerobot.datasets import LeRobotDataset

    dataset = LeRobotDataset(repo_id=f"local/{folder.name}", root=folder)
    for index in range(len(dataset)):
        item = dataset[index]
        for key in dataset.meta.camera_keys:
            assert item[key].shape[0] == 3, f"{key} of frame {index}: shape {tuple(item[key].shape)}"
    print(
        f"lerobot read {folder}: {dataset.meta.total_episodes} episodes, {len(dataset)} frames, "
        f"cameras {dataset.meta.camera_keys}, codebase {dataset.meta.info.codebase_version}, task {item['task']!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", type=Path, default=FIXTURES / "lerobot_v30")
    parser.add_argument("--check", type=Path, help="Only open this folder with lerobot and decode every frame.")
    args = parser.parse_args()
    if args.check is not None:
        check_folder(args.check)
        return
    with tempfile.TemporaryDirectory() as scratch:
        written = write_fixture(Path(scratch) / "dataset")
        shutil.rmtree(args.output_dir, ignore_errors=True)
        shutil.copytree(Path(scratch) / "dataset", args.output_dir)
    np.savez_compressed(args.output_dir.with_name(args.output_dir.name + "_frames.npz"), **written)
    check_folder(args.output_dir)


if __name__ == "__main__":
    main()
