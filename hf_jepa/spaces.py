# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The Gradio demo of `space/` as a self-contained Hugging Face Space: assembled into a folder, then pushed.

A Space folder holds `app.py`, `README.md` (the Spaces front matter: sdk, sdk_version, `models:`), `requirements.txt`
(hf_jepa's dependencies pinned to the versions installed here), `packages.txt` (FFmpeg), the example media, the
screenshot, the model (a local checkpoint copied to `checkpoint/`, or a Hub id written to `models.txt`) and hf_jepa
itself as sources in `hf_jepa/`. The sources are unpacked from a wheel built from this repository, so they are
exactly what `pip install .` installs (package data included), and they sit next to `app.py`, which Python imports
first: the Space needs nothing beyond its package index, and no assumption about which of its files the Spaces
build can see while it installs `requirements.txt`.
"""

import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from huggingface_hub import CommitInfo, HfApi
from huggingface_hub.utils import validate_repo_id
from packaging.requirements import Requirement
from packaging.version import Version

from .hub import upload_to_new_or_existing_repo

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SPACE_SOURCE = PROJECT_ROOT / "space"
SCREENSHOT = PROJECT_ROOT / "docs" / "space_screenshot.png"
# What the app reads (see space/app.py): the checkpoints next to it, and the Hub ids of models.txt.
CHECKPOINT_DIR = "checkpoint"
MODELS_FILE = "models.txt"
# The extras of hf_jepa that the app needs: torchcodec for video, gradio.
APP_EXTRAS = ("video", "space")
# Model types the app can show: hf_jepa checkpoints and transformers' I-JEPA encoders.
SHOWN_MODEL_TYPES = ("jepa", "ijepa")
# The files of a checkpoint folder that loading it needs, and its model card; no training state, logs or arguments.
CHECKPOINT_FILES = (
    "config.json",
    "*.safetensors",
    "model.safetensors.index.json",
    "*.py",
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "README.md",
    "eval_results.json",
)
SPACE_FILES = ("app.py", "packages.txt", "examples")


class PushSpaceError(RuntimeError):
    """Creating the Space or uploading to it failed; the message names the step. The local folder is kept."""


def pinned_requirements() -> list[str]:
    """hf_jepa's run-time dependencies (with the app's extras), each pinned to the released version installed here."""
    lines = {}
    for line in importlib.metadata.requires("hf-jepa") or []:
        requirement = Requirement(line)
        if requirement.name == "hf-jepa" or not _needed_by_app(requirement):
            continue
        version = Version(importlib.metadata.version(requirement.name))
        # a local build such as torch 2.14.1+cpu is not on the package index; its release (2.14.1) is
        lines[requirement.name] = f"{requirement.name}=={version.public}"
    return [lines[name] for name in sorted(lines, key=str.lower)]


def _needed_by_app(requirement: Requirement) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in APP_EXTRAS)


def resolve_model(model_name_or_path: str) -> tuple[Path | None, str | None]:
    """`(folder, None)` for a local checkpoint, `(None, hub_id)` for a Hub model id; raises `ValueError` otherwise."""
    path = Path(model_name_or_path).expanduser()
    if path.exists():
        check_checkpoint(path)
        return path, None
    looks_local = path.is_absolute() or model_name_or_path.startswith((".", "~")) or path.parent.is_dir()
    try:
        validate_repo_id(model_name_or_path)
    except ValueError:
        looks_local = True
    if looks_local or model_name_or_path.count("/") != 1:
        raise ValueError(
            f"The model folder {model_name_or_path!r} does not exist. Give a checkpoint folder written by "
            "scripts/pretrain.py (e.g. outputs/jepa-tiny-fashion-mnist) or a Hub model id (namespace/name)."
        )
    return None, model_name_or_path


def check_checkpoint(folder: Path) -> None:
    """Refuses folders the Space could not show: no config, a model that is not a JEPA encoder, no weights."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a checkpoint folder.")
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ValueError(f"{folder} holds no config.json, so it is not a saved model; save it with save_pretrained.")
    model_type = json.loads(config_file.read_text()).get("model_type")
    if model_type not in SHOWN_MODEL_TYPES:
        raise ValueError(
            f"{folder} holds a {model_type!r} model; the Space shows JEPA encoders (model_type one of "
            f"{SHOWN_MODEL_TYPES}): a checkpoint of scripts/pretrain.py, or one made by scripts/convert_checkpoint.py."
        )
    if not any(folder.glob("*.safetensors")):
        raise ValueError(f"{folder} holds no weights (*.safetensors); save the model with save_pretrained.")


def space_readme(title: str, emoji: str, models: list[str]) -> str:
    """The Space's README: the Spaces front matter, then the demo's description from `space/README.md`."""
    front_matter = {
        "title": title,
        "emoji": emoji,
        "colorFrom": "indigo",
        "colorTo": "yellow",
        "sdk": "gradio",
        "sdk_version": importlib.metadata.version("gradio"),
        "python_version": platform.python_version_tuple()[0] + "." + platform.python_version_tuple()[1],
        "app_file": "app.py",
        "license": "apache-2.0",
        "short_description": "What a JEPA model hides, sees and predicts",
    }
    if models:
        front_matter["models"] = models
    metadata = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    body = (SPACE_SOURCE / "README.md").read_text().split("\n---\n", 1)[1]
    body = body.replace("../docs/space_screenshot.png", SCREENSHOT.name)
    return f"---\n{metadata}---\n{body}"


def vendor_hf_jepa(destination: Path) -> None:
    """Writes hf_jepa's sources into `destination/hf_jepa`, unpacked from a wheel built from this repository."""
    if not (PROJECT_ROOT / "pyproject.toml").is_file():
        raise ValueError(f"The Space ships hf_jepa from its source tree, but {PROJECT_ROOT} has no pyproject.toml.")
    with tempfile.TemporaryDirectory(prefix="hf_jepa_wheel_") as scratch:
        # build from a copy so that setuptools' build/ and egg-info never land in the checkout
        source = Path(scratch) / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(PROJECT_ROOT / name, source / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("hf_jepa", "model_cards"):
            shutil.copytree(PROJECT_ROOT / name, source / name, ignore=ignore)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
        built = subprocess.run([*command, "--wheel-dir", scratch, str(source)], capture_output=True, text=True)
        if built.returncode != 0:
            raise RuntimeError(f"Building the hf_jepa wheel failed:\n{built.stderr}")
        (wheel,) = Path(scratch).glob("hf_jepa-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(destination, [name for name in archive.namelist() if name.startswith("hf_jepa/")])


def build_space(
    output_dir: str | Path,
    model_name_or_path: str,
    *,
    model_repo_id: str | None = None,
    title: str = "JEPA explorer",
    emoji: str = "🧩",
    overwrite: bool = False,
) -> Path:
    """Assembles the Space folder in `output_dir` for a local checkpoint or a Hub model id.

    `model_repo_id` names the model's Hub repository in the Space's `models:` metadata; for a local checkpoint it
    defaults to the `hub_model_id` of its `training_args.json`. Raises `ValueError` for a missing or unsuitable model
    and for a non-empty `output_dir` unless `overwrite`.
    """
    folder, hub_id = resolve_model(model_name_or_path)
    output_dir = Path(output_dir)
    if output_dir.exists() and any(output_dir.iterdir()):
        if not overwrite:
            raise ValueError(f"{output_dir} is not empty; choose another --output_dir or pass --overwrite_output_dir.")
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in SPACE_FILES:
        source = SPACE_SOURCE / name
        if source.is_dir():
            shutil.copytree(source, output_dir / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, output_dir / name)
    if SCREENSHOT.is_file():
        shutil.copy2(SCREENSHOT, output_dir / SCREENSHOT.name)
    if folder is not None:
        _copy_checkpoint(folder, output_dir / CHECKPOINT_DIR)
        model_repo_id = model_repo_id or _training_hub_id(folder)
    else:
        (output_dir / MODELS_FILE).write_text(hub_id + "\n")
        model_repo_id = model_repo_id or hub_id
    (output_dir / "requirements.txt").write_text(
        "# hf_jepa's dependencies at the versions it was tested with; hf_jepa itself is in hf_jepa/ beside app.py\n"
        + "\n".join(pinned_requirements())
        + "\n"
    )
    (output_dir / "README.md").write_text(space_readme(title, emoji, [model_repo_id] if model_repo_id else []))
    vendor_hf_jepa(output_dir)
    return output_dir


def _copy_checkpoint(folder: Path, destination: Path) -> None:
    destination.mkdir()
    for pattern in CHECKPOINT_FILES:
        for path in folder.glob(pattern):
            if path.is_file():
                shutil.copy2(path, destination / path.name)


def _training_hub_id(folder: Path) -> str | None:
    arguments_file = folder / "training_args.json"
    return json.loads(arguments_file.read_text()).get("hub_model_id") if arguments_file.is_file() else None


def push_space(
    folder: str | Path,
    space_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload the JEPA explorer Space with hf_jepa",
) -> CommitInfo:
    """Creates the Gradio Space `space_id` if needed and uploads `folder` (from `build_space`) in one commit.

    Raises `PushSpaceError` naming the step that failed; `folder` is left as it was, so the push can be run again.
    """
    validate_repo_id(space_id)
    return upload_to_new_or_existing_repo(
        HfApi(token=token),
        Path(folder),
        space_id,
        commit_message=commit_message,
        ignore_patterns=["__pycache__/*", "*.pyc"],
        if_failed=f"The Space folder {folder} is kept: upload it with `hf upload {space_id} {folder} . --repo-type "
        "space`, or run the command again (with --overwrite_output_dir if you gave --output_dir).",
        error_type=PushSpaceError,
        repo_type="space",
        space_sdk="gradio",
        private=private,
    )


@dataclass
class SpaceArguments:
    """What `scripts/push_space.py` takes: the model to show, where the Space goes, how it is named."""

    model_name_or_path: str = field(
        metadata={"help": "A checkpoint folder (copied into the Space) or a Hub model id (the Space's default model)."}
    )
    space_id: str | None = field(
        default=None, metadata={"help": "The Space to create or update, as namespace/name; omit to only write it."}
    )
    output_dir: str | None = field(
        default=None,
        metadata={
            "help": "Where to write the Space folder (kept); without it, a temporary folder removed after a push."
        },
    )
    overwrite_output_dir: bool = field(default=False, metadata={"help": "Replace a non-empty --output_dir."})
    model_repo_id: str | None = field(
        default=None,
        metadata={
            "help": "The model's Hub repository for the Space's `models:` metadata (default: the checkpoint's "
            "hub_model_id, or the Hub model id given)."
        },
    )
    title: str = field(default="JEPA explorer", metadata={"help": "The Space's title."})
    emoji: str = field(default="🧩", metadata={"help": "The Space's emoji."})
    private: bool = field(default=False, metadata={"help": "Create the Space as private."})
    commit_message: str = field(default="Upload the JEPA explorer Space with hf_jepa")


def share_space(args: SpaceArguments) -> CommitInfo | Path:
    """Builds the Space folder, then pushes it when `space_id` is set: the `CommitInfo`, else the folder written."""
    if args.space_id is None and args.output_dir is None:
        raise ValueError("Give --space_id to push the Space, --output_dir to write its folder, or both.")
    if args.space_id is not None:
        validate_repo_id(args.space_id)
    output_dir = Path(args.output_dir or tempfile.mkdtemp(prefix="hf_jepa_space_"))
    build_space(
        output_dir,
        args.model_name_or_path,
        model_repo_id=args.model_repo_id,
        title=args.title,
        emoji=args.emoji,
        overwrite=args.overwrite_output_dir,
    )
    if args.space_id is None:
        return output_dir
    commit = push_space(output_dir, args.space_id, private=args.private, commit_message=args.commit_message)
    if args.output_dir is None:  # on failure the temporary folder stays, and the error names it
        shutil.rmtree(output_dir)
    return commit


__all__ = [
    "PushSpaceError",
    "SpaceArguments",
    "share_space",
    "build_space",
    "check_checkpoint",
    "pinned_requirements",
    "push_space",
    "resolve_model",
]
