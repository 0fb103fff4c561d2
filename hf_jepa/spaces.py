# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The Gradio demo of `hf_jepa/space/` as a self-contained Hugging Face Space: assembled into a folder, then pushed,
or served on this machine.

A Space folder holds `app.py`, `README.md` (the Spaces front matter: sdk, sdk_version, `models:`), `requirements.txt`
(hf_jepa's dependencies pinned to the versions installed here), `packages.txt` (FFmpeg), the example media, the
screenshot (in a checkout), the model (a local checkpoint copied to `checkpoint/`, or a Hub id written to
`models.txt`) and hf_jepa itself as sources in `hf_jepa/`: a copy of the installed package, so that it sits next to
`app.py`, which Python imports first: the Space needs nothing beyond its package index, and no assumption about
which of its files the Spaces build can see while it installs `requirements.txt`. A world model brings what the Plan
tab needs besides: the first episodes of a recorded episode dataset (its training episodes by default), saved in
`episodes/`, and gymnasium (and gym-pusht for a world model that plans in Push-T).

The file names below are the Space's conventions: `build_space` writes them and `app.py` reads them from here;
`OfferedModels` is what the app loads from them.
"""

import functools
import importlib.metadata
import json
import logging
import os
import platform
import runpy
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import datasets
import numpy as np
import torch
import yaml
from huggingface_hub import CommitInfo, HfApi
from huggingface_hub.utils import validate_repo_id
from packaging.requirements import Requirement
from packaging.version import Version
from transformers import AutoConfig, PreTrainedConfig

from .configuration_world_model import JEPAWorldModelConfig
from .data import EPISODE_COLUMN, check_episode_dataset, is_saved_dataset, load_media_dataset
from .data.episodes import recorded_environment
from .evaluation.inspection import InspectedModel, load_checkpoint, load_inspected_model
from .hub.run_files import read_training_arguments
from .hub.upload import upload_to_new_or_existing_repo
from .training.world_model import training_episodes_folder

if TYPE_CHECKING:  # the Plan tab's, with gymnasium (hf_jepa's world-model extra)
    from .rollouts import Environment, RecordedFrames

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder holding the hf_jepa package: a checkout's root (relative paths of the README's recipes, such as outputs/,
# are also looked for there), a Space's root, or site-packages.
PROJECT_ROOT = PACKAGE_DIR.parent
SPACE_SOURCE = PACKAGE_DIR / "space"  # the app, its README and example media: package data
SCREENSHOT = PROJECT_ROOT / "docs" / "space_screenshot.png"  # in a checkout only
SCREENSHOT_LINK = "../../docs/space_screenshot.png"  # how space/README.md shows it
# What the app reads: the checkpoints next to it (`checkpoint*/`), and the Hub ids of models.txt.
CHECKPOINT_DIR = "checkpoint"
MODELS_FILE = "models.txt"
# Written into every Space folder that build_space makes; only such a folder is ever replaced (--overwrite_output_dir).
SPACE_MARKER = ".hf_jepa_space"
# The extras of hf_jepa that the app needs: torchcodec for video, gradio.
APP_EXTRAS = ("video", "space")
REQUIREMENTS_HEADER = (
    "# hf_jepa's dependencies at the versions it was tested with; hf_jepa itself is in hf_jepa/ beside app.py"
)
# Model types the app can show: hf_jepa checkpoints and transformers' I-JEPA encoders; world models in the Plan tab.
WORLD_MODEL_TYPE = JEPAWorldModelConfig.model_type
SHOWN_MODEL_TYPES = ("jepa", "ijepa", WORLD_MODEL_TYPE)
# The Plan tab searches the saved episode datasets next to the app (`episodes*/`) for the frames nearest to imagined
# latents, at most MAX_RECORDED_FRAMES of them, evenly spaced: 40 TwoRoom episodes of about 100 frames (about 0.8 MB at
# 32 px) fill that.
EPISODES_DIR = "episodes"
MAX_RECORDED_FRAMES = 4096
DEFAULT_MAX_EPISODES = 40
# What the Plan tab needs of hf_jepa's world-model extra: gymnasium for TwoRoom, and gym-pusht besides for a world
# model that plans in another environment (Push-T); a TwoRoom Space leaves gym-pusht out.
PLAN_TAB_PACKAGES = ("gymnasium",)
PUSH_T_PACKAGES = ("gym-pusht",)
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


def _named_in(variable: str) -> list[str]:
    """The names in the environment variable `variable`, separated by commas."""
    return [name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()]


def offered_models(app_dir: Path, trained_dir: Path) -> list[str]:
    """The models the app offers, the default first: those named in `JEPA_MODEL`, the Hub ids of `MODELS_FILE` in
    `app_dir`, its `CHECKPOINT_DIR*` folders, then the checkpoints in `trained_dir` (the README's `outputs/`)."""
    models_file = app_dir / MODELS_FILE  # a deployed Space's default Hub models, one a line
    listed = models_file.read_text().split() if models_file.is_file() else []
    shipped = [str(path.parent) for path in sorted(app_dir.glob(f"{CHECKPOINT_DIR}*/config.json"))]
    trained = [str(path.parent) for path in sorted(trained_dir.glob("*/config.json"))]
    return list(dict.fromkeys(_named_in("JEPA_MODEL") + listed + shipped + trained))


def trained_on(model_name: str) -> str | None:
    """The absolute path of the saved episode folder a local world model was trained on, from its
    `training_args.json`: a relative path is taken from the working directory, then from `PROJECT_ROOT` (None when it
    is not there)."""
    folder = training_episodes_folder(model_name, [PROJECT_ROOT])
    return os.path.abspath(folder) if folder is not None else None


def offered_episodes(app_dir: Path, trained_dir: Path, world_models: list[str]) -> list[str]:
    """The recorded episode datasets the Plan tab offers: those named in `JEPA_EPISODES`, the saved datasets of
    `EPISODES_DIR*` in `app_dir` and in `trained_dir`, and those the `world_models` were trained on; each local folder
    once, by its absolute path."""
    saved = [
        str(path)
        for folder, pattern in ((app_dir, f"{EPISODES_DIR}*"), (trained_dir, "*"))
        for path in sorted(folder.glob(pattern))
        if is_saved_dataset(str(path))
    ]
    trained = [folder for folder in map(trained_on, world_models) if folder]
    names = [os.path.abspath(name) if Path(name).is_dir() else name for name in _named_in("JEPA_EPISODES") + saved]
    return list(dict.fromkeys(names + trained))


class OfferedModels:
    """The models and episode datasets a Space app offers (`offered_models`, `offered_episodes` of its folder
    `app_dir` and of `trained_dir`), each loaded once: the app loads no name it does not offer, and a `ValueError`
    says what is wrong with one. World models are the Plan tab's (its methods need hf_jepa's world-model extra),
    the others are the encoders of the other tabs."""

    def __init__(self, app_dir: Path, trained_dir: Path) -> None:
        self.app_dir, self.trained_dir = app_dir, trained_dir
        self.is_world_model = functools.lru_cache(maxsize=16)(self._is_world_model)
        self.inspected = functools.lru_cache(maxsize=4)(self._inspected)
        self.world_model = functools.lru_cache(maxsize=2)(self._world_model)
        self.recorded_frames = functools.lru_cache(maxsize=2)(self._recorded_frames)

    def names(self) -> list[str]:
        """The offered models, the default first (`offered_models`)."""
        return offered_models(self.app_dir, self.trained_dir)

    def config(self, name: str) -> PreTrainedConfig:
        """The configuration of the offered model `name`."""
        if name not in self.names():
            raise ValueError(f"Unknown model {name!r}; choose one of {self.names()}.")
        try:
            return AutoConfig.from_pretrained(name, trust_remote_code=True)
        except (OSError, ValueError) as error:
            raise ValueError(f"Could not load the model {name!r}: {error}") from error

    def _is_world_model(self, name: str) -> bool:
        """Whether an offered model is a `JEPAWorldModel`; False for one whose configuration does not load (the tab
        that offers it names the error)."""
        try:
            return self.config(name).model_type == WORLD_MODEL_TYPE
        except ValueError:
            return False

    def by_kind(self) -> tuple[list[str], list[str]]:
        """The offered encoders and world models; a `ValueError` when there is no model to offer."""
        names = self.names()
        if not names:
            raise ValueError(
                f"No model to show: none in {self.trained_dir}, where the main job (hf-jepa pretrain tiny-cpu) writes "
                "one; set JEPA_MODEL to a Hub id or a checkpoint folder."
            )
        world_models = self.world_models()
        return [name for name in names if name not in world_models], world_models

    def world_models(self) -> list[str]:
        """The offered world models."""
        return [name for name in self.names() if self.is_world_model(name)]

    def episodes(self) -> list[str]:
        """The episode datasets offered for the world models' imagined frames (`offered_episodes`)."""
        return offered_episodes(self.app_dir, self.trained_dir, self.world_models())

    def _inspected(self, name: str) -> InspectedModel:
        """An offered encoder (`load_inspected_model`)."""
        return load_inspected_model(name, self.config(name))

    def _world_model(self, name: str) -> torch.nn.Module:
        """An offered world model, in eval mode."""
        return load_checkpoint(name, self.config(name))

    def _recorded_frames(self, model_name: str, episodes_name: str | None) -> "RecordedFrames":
        """At most `MAX_RECORDED_FRAMES` evenly spaced frames of an offered episode dataset, encoded by the world
        model (`rollouts.load_recorded_frames`)."""
        from . import rollouts

        if episodes_name is None:
            raise ValueError(
                "No recorded episodes to show the imagined frames with: set JEPA_EPISODES to an episode dataset (a "
                "folder of hf-jepa record-episodes or a Hub id), or record one into outputs/."
            )
        return rollouts.load_recorded_frames(self.world_model(model_name), episodes_name, MAX_RECORDED_FRAMES)

    def environment(self, model_name: str, episodes_name: str | None) -> "Environment":
        """Where an offered world model plans (`rollouts.model_environment`): the environment its config records,
        else the one the episodes `episodes_name` were recorded in."""
        from . import rollouts

        return rollouts.model_environment(self.config(model_name), episodes_name)


class PushSpaceError(RuntimeError):
    """Creating the Space or uploading to it failed; the message names the step. The local folder is kept."""


def pinned_requirements(plan_tab: bool = False, plans_in: str | None = None) -> list[str]:
    """hf_jepa's run-time dependencies (with the app's extras; when `plan_tab`, gymnasium, and gym-pusht too for a
    world model that `plans_in` another environment than TwoRoom: `plan_environment`), each pinned to the released
    version installed here."""
    names = {
        requirement.name
        for requirement in map(Requirement, importlib.metadata.requires("hf-jepa") or [])
        if requirement.name != "hf-jepa" and _needed_by_app(requirement)
    }
    if plan_tab:
        names.update(PLAN_TAB_PACKAGES)
        names.update(PUSH_T_PACKAGES if _beyond_two_room(plans_in) else ())
    return [_pinned(name) for name in sorted(names, key=str.lower)]


def plan_environment(folder: Path | None, episodes: datasets.Dataset) -> str | None:
    """The Gymnasium id of the environment a Space's world model plans in, as the app finds it
    (`rollouts.model_environment`): the `env_id` of the checkpoint `folder`'s config, else the one the shipped
    `episodes` were recorded in; None where neither names one (TwoRoom). A Hub model is known by its episodes only."""
    env_id = json.loads((folder / "config.json").read_text()).get("env_id") if folder is not None else None
    recorded = recorded_environment(episodes)
    return env_id or (recorded[0] if recorded else None)


def _beyond_two_room(env_id: str | None) -> bool:
    if env_id is None:
        return False
    _pinned("gymnasium")  # names a missing gymnasium before the environments are imported
    from .envs import TWO_ROOM_ID

    return env_id != TWO_ROOM_ID


def _needed_by_app(requirement: Requirement) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in APP_EXTRAS)


def _pinned(name: str) -> str:
    try:
        version = Version(importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError as error:
        raise ValueError(
            f"The Space pins {name} to the version installed here, but it is not installed; install hf_jepa with "
            "the Space's extras: pip install 'hf-jepa[space,world-model]'."
        ) from error
    # a local build such as torch 2.14.1+cpu is not on the package index; its release (2.14.1) is
    return f"{name}=={version.public}"


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
            "hf-jepa pretrain (e.g. outputs/jepa-tiny-fashion-mnist) or a Hub model id (namespace/name)."
        )
    return None, model_name_or_path


def check_checkpoint(folder: Path) -> None:
    """Refuses folders the Space could not show: no config, a model that is not a JEPA encoder, no weights."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a checkpoint folder.")
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ValueError(f"{folder} holds no config.json, so it is not a saved model; save it with save_pretrained.")
    model_type = _model_type(folder)
    if model_type not in SHOWN_MODEL_TYPES:
        raise ValueError(
            f"{folder} holds a {model_type!r} model; the Space shows JEPA encoders and world models (model_type one "
            f"of {SHOWN_MODEL_TYPES}): a checkpoint of hf-jepa pretrain or hf-jepa train-world-model, or one made "
            "by hf-jepa convert."
        )
    if not any(folder.glob("*.safetensors")):
        raise ValueError(f"{folder} holds no weights (*.safetensors); save the model with save_pretrained.")


def _model_type(folder: Path) -> str | None:
    return json.loads((folder / "config.json").read_text()).get("model_type")


def plan_episodes_source(folder: Path | None, episodes: str | None) -> Path | None:
    """The saved episode dataset to ship for the Plan tab: `episodes` when given, else the training episodes of a
    world model `folder` (the `dataset_name` of its training_args.json); None for other models.

    A relative `dataset_name` is taken from the working directory, then from `PROJECT_ROOT`, as the app does.
    Raises `ValueError` for `episodes` with a local model that is not a world model, and for a world model whose
    training episodes are not a folder here.
    """
    world_model = folder is not None and _model_type(folder) == WORLD_MODEL_TYPE
    if episodes is not None:
        if folder is not None and not world_model:
            raise ValueError(
                f"--episodes {episodes} is for world models (the Plan tab searches them); {folder} holds a "
                f"{_model_type(folder)!r} model. Leave --episodes out, or give a checkpoint of "
                "hf-jepa train-world-model."
            )
        return Path(episodes).expanduser()
    if not world_model:
        return None
    found = training_episodes_folder(folder, [PROJECT_ROOT])
    if found is None:
        name = read_training_arguments(folder).get("dataset_name")
        trained_on = f"was trained on {name!r}, which is not a folder here" if name else "names no dataset_name"
        raise ValueError(
            f"{folder} is a world model whose training_args.json {trained_on}; the Space's Plan tab needs recorded "
            "episodes: pass --episodes PATH, a folder written by hf-jepa record-episodes (e.g. "
            "outputs/two_room_32_heldout)."
        )
    return found


def episode_subset(source: Path, max_episodes: int) -> datasets.Dataset:
    """The first `max_episodes` episodes (by episode_index) of the saved episode dataset `source`, rows in order.

    Raises `ValueError` naming a folder that does not exist, is not a saved dataset, or has no frames, episode_index
    or frame_index column (LeRobot's schema, as hf-jepa record-episodes writes it).
    """
    if max_episodes < 1:
        raise ValueError(f"--max_episodes must be at least 1, got {max_episodes}.")
    if not source.is_dir():
        raise ValueError(f"The episode folder {source} does not exist; record one with hf-jepa record-episodes.")
    if not is_saved_dataset(str(source)):
        raise ValueError(
            f"{source} is not a saved dataset (no dataset_info.json or dataset_dict.json); give a folder written by "
            "hf-jepa record-episodes or Dataset.save_to_disk."
        )
    try:
        dataset = load_media_dataset(str(source))
    except (OSError, ValueError) as error:
        raise ValueError(f"Could not load the episode dataset {source}: {error}") from error
    check_episode_dataset(dataset, str(source))
    episode_ids = np.asarray(dataset[EPISODE_COLUMN])
    if len(episode_ids) == 0:
        raise ValueError(f"{source} holds no episodes.")
    kept = np.unique(episode_ids)[:max_episodes]
    return dataset.select(np.flatnonzero(np.isin(episode_ids, kept)))


def _save_episodes(episodes: datasets.Dataset, source: Path, destination: Path) -> None:
    episodes.save_to_disk(str(destination))
    megabytes = sum(path.stat().st_size for path in destination.rglob("*") if path.is_file()) / 1e6
    logger.info(
        "Shipping %d episodes (%d frames, %.2f MB) of %s in %s/ for the Plan tab.",
        len(episodes.unique(EPISODE_COLUMN)),
        len(episodes),
        megabytes,
        source,
        destination.name,
    )


def space_readme(title: str, emoji: str, models: list[str]) -> str:
    """The Space's README: the Spaces front matter, then the demo's description from `space/README.md` (without the
    screenshot where there is none to ship)."""
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
    if SCREENSHOT.is_file():
        body = body.replace(SCREENSHOT_LINK, SCREENSHOT.name)
    else:
        body = "".join(line for line in body.splitlines(keepends=True) if SCREENSHOT_LINK not in line)
    return f"---\n{metadata}---\n{body}"


def _not_vendored(directory: str, names: list[str]) -> set[str]:
    """What the Space's copy of hf_jepa leaves out: byte code, and the app (it is at the Space's root)."""
    left_out = {name for name in names if name == "__pycache__" or name.endswith(".pyc")}
    return left_out | ({SPACE_SOURCE.name} if Path(directory) == PACKAGE_DIR else set())


def vendor_hf_jepa(destination: Path) -> None:
    """Copies the installed hf_jepa package, with its data (recipes, the model-card template), into
    `destination/hf_jepa`."""
    shutil.copytree(PACKAGE_DIR, destination / "hf_jepa", ignore=_not_vendored)


def check_output_dir(output_dir: Path, overwrite: bool, shipped: list[Path]) -> None:
    """Refuses a Space folder that would cost data: one that is, contains or lies inside a folder the Space ships
    (`shipped`: the model, the episodes), a file, a non-empty folder that `build_space` did not make (it holds no
    `SPACE_MARKER`), and one that it made, unless `overwrite`."""
    target = output_dir.resolve()
    for folder in shipped:
        source = folder.resolve()
        if target == source:
            relation = "is"
        elif target in source.parents:
            relation = "contains"
        elif source in target.parents:
            relation = "lies inside"
        else:
            continue
        raise ValueError(
            f"--output_dir {output_dir} {relation} {folder}, which the Space ships; write the Space to a folder "
            "outside it."
        )
    if output_dir.is_symlink() or (output_dir.exists() and not output_dir.is_dir()):
        raise ValueError(f"--output_dir {output_dir} is a file or a link; give a new or empty folder.")
    if not output_dir.is_dir() or not any(output_dir.iterdir()):
        return
    if not (output_dir / SPACE_MARKER).is_file():
        raise ValueError(
            f"--output_dir {output_dir} is not empty and is not a Space folder written by hf_jepa, so it is never "
            "replaced; give a new or empty folder."
        )
    if not overwrite:
        raise ValueError(
            f"--output_dir {output_dir} holds a Space written before; pass --overwrite_output_dir to replace it, or "
            "give a new folder."
        )


def build_space(
    output_dir: str | Path | None,
    model_name_or_path: str,
    *,
    model_repo_id: str | None = None,
    title: str = "JEPA explorer",
    emoji: str = "🧩",
    overwrite: bool = False,
    episodes: str | None = None,
    max_episodes: int = DEFAULT_MAX_EPISODES,
) -> Path:
    """Assembles the Space folder for a local checkpoint or a Hub model id in `output_dir` (None: a new temporary
    folder) and returns it.

    `model_repo_id` names the model's Hub repository in the Space's `models:` metadata; for a local checkpoint it
    defaults to the `hub_model_id` of its `training_args.json`. For the Plan tab, the first `max_episodes` episodes of
    `plan_episodes_source(...)` (a world model's training episodes, or `episodes`) go to `episodes/` and gymnasium
    (with gym-pusht where the model plans beyond TwoRoom: `plan_environment`) to `requirements.txt`. Raises
    `ValueError` for a missing or unsuitable model or episode dataset, a missing dependency, and an `output_dir` that
    `check_output_dir` refuses. Everything is checked before any folder is created; the Space is then written beside
    `output_dir` and moved into place once complete, so a failure leaves `output_dir` as it was.
    """
    folder, hub_id = resolve_model(model_name_or_path)
    episodes_source = plan_episodes_source(folder, episodes)
    plan_episodes = episode_subset(episodes_source, max_episodes) if episodes_source is not None else None
    if output_dir is not None:
        output_dir = Path(output_dir).expanduser()
        check_output_dir(output_dir, overwrite, [path for path in (folder, episodes_source) if path is not None])
    plans_in = plan_environment(folder, plan_episodes) if plan_episodes is not None else None
    requirements = pinned_requirements(plan_tab=plan_episodes is not None, plans_in=plans_in)
    model_repo_id = model_repo_id or (read_training_arguments(folder).get("hub_model_id") if folder else hub_id)
    readme = space_readme(title, emoji, [model_repo_id] if model_repo_id else [])

    if output_dir is None:
        scratch = Path(tempfile.mkdtemp(prefix="hf_jepa_space_"))
    else:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        _copy_app(scratch)
        if folder is not None:
            _copy_checkpoint(folder, scratch / CHECKPOINT_DIR)
        else:
            (scratch / MODELS_FILE).write_text(hub_id + "\n")
        (scratch / "requirements.txt").write_text("\n".join([REQUIREMENTS_HEADER, *requirements]) + "\n")
        if plan_episodes is not None:
            _save_episodes(plan_episodes, episodes_source, scratch / EPISODES_DIR)
        (scratch / "README.md").write_text(readme)
        if output_dir is None:
            return scratch
        if output_dir.exists():  # empty, or a Space folder written before (check_output_dir)
            shutil.rmtree(output_dir)
        return scratch.rename(output_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _copy_app(destination: Path) -> None:
    """The Space's marker, the app with its example media, the screenshot (in a checkout) and hf_jepa's sources."""
    (destination / SPACE_MARKER).write_text("A Space folder written by hf_jepa's build_space (hf-jepa push-space).\n")
    for name in SPACE_FILES:
        source = SPACE_SOURCE / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    if SCREENSHOT.is_file():
        shutil.copy2(SCREENSHOT, destination / SCREENSHOT.name)
    vendor_hf_jepa(destination)


def _copy_checkpoint(folder: Path, destination: Path) -> None:
    destination.mkdir()
    for pattern in CHECKPOINT_FILES:
        for path in folder.glob(pattern):
            if path.is_file():
                shutil.copy2(path, destination / path.name)


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
        ignore_patterns=["__pycache__/*", "*.pyc", SPACE_MARKER],
        if_failed=f"The Space folder {folder} is kept: upload it with `hf upload {space_id} {folder} . --repo-type "
        "space`, or run the command again (with --overwrite_output_dir if you gave --output_dir).",
        error_type=PushSpaceError,
        repo_type="space",
        space_sdk="gradio",
        private=private,
    )


@dataclass
class SpaceArguments:
    """What `hf-jepa push-space` takes: the model to show, where the Space goes, how it is named."""

    model_name_or_path: str = field(
        metadata={"help": "A checkpoint folder (copied into the Space) or a Hub model id (the Space's default model)."}
    )
    space_id: str | None = field(
        default=None, metadata={"help": "The Space to create or update, as namespace/name; omit to only write it."}
    )
    output_dir: str | None = field(
        default=None,
        metadata={
            "help": "Where to write the Space folder (kept): a new or empty folder, outside the model's; without it, "
            "a temporary folder removed after a push."
        },
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Replace the Space folder that an earlier push-space wrote to --output_dir."}
    )
    model_repo_id: str | None = field(
        default=None,
        metadata={
            "help": "The model's Hub repository for the Space's `models:` metadata (default: the checkpoint's "
            "hub_model_id, or the Hub model id given)."
        },
    )
    episodes: str | None = field(
        default=None,
        metadata={
            "help": "A saved episode dataset (hf-jepa record-episodes) for a world model's Plan tab; default: the "
            "world model's training episodes (the dataset_name of its training_args.json)."
        },
    )
    max_episodes: int = field(
        default=DEFAULT_MAX_EPISODES,
        metadata={"help": "Ship the first this many episodes of them, saved with save_to_disk into episodes/."},
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
    output_dir = build_space(
        args.output_dir,
        args.model_name_or_path,
        model_repo_id=args.model_repo_id,
        title=args.title,
        emoji=args.emoji,
        overwrite=args.overwrite_output_dir,
        episodes=args.episodes,
        max_episodes=args.max_episodes,
    )
    if args.space_id is None:
        return output_dir
    commit = push_space(output_dir, args.space_id, private=args.private, commit_message=args.commit_message)
    if args.output_dir is None:  # on failure the temporary folder stays, and the error names it
        shutil.rmtree(output_dir)
    return commit


def serve_space(
    model_name_or_path: str | None = None,
    *,
    episodes: str | None = None,
    server_name: str = "127.0.0.1",
    server_port: int = 7860,
) -> None:
    """Runs the packaged app (`hf_jepa/space/app.py`) in this process, as a Space runs it, at
    http://server_name:server_port until it is stopped (Ctrl-C).

    `model_name_or_path` (a checkpoint folder or a Hub model id) comes first among the models offered, before those
    the app finds itself (`JEPA_MODEL`, then `outputs/` of the working directory; see app.py); `episodes`, a saved
    episode dataset, comes first in the Plan tab. They reach the app as `JEPA_MODEL` / `JEPA_EPISODES` of this
    process's environment. Raises `ValueError` for an unsuitable model or episode dataset, or a dependency of the app
    that is not installed, before the app starts.
    """
    pinned_requirements()  # raises ValueError naming a dependency of the app that is not installed
    if model_name_or_path is not None:
        folder, hub_id = resolve_model(model_name_or_path)
        _put_first("JEPA_MODEL", str(folder.resolve()) if folder is not None else hub_id)
    if episodes is not None:
        episode_subset(Path(episodes).expanduser(), max_episodes=1)  # raises ValueError naming what is wrong
        _put_first("JEPA_EPISODES", str(Path(episodes).expanduser().resolve()))
    os.environ.update(GRADIO_SERVER_NAME=server_name, GRADIO_SERVER_PORT=str(server_port))
    runpy.run_path(str(SPACE_SOURCE / "app.py"), run_name="__main__")


def _put_first(variable: str, name: str) -> None:
    """Puts `name` in front of the comma-separated list of the environment variable `variable`."""
    os.environ[variable] = ",".join(filter(None, [name, os.environ.get(variable)]))


__all__ = [
    "PushSpaceError",
    "SpaceArguments",
    "share_space",
    "build_space",
    "check_checkpoint",
    "episode_subset",
    "OfferedModels",
    "offered_episodes",
    "offered_models",
    "pinned_requirements",
    "plan_environment",
    "plan_episodes_source",
    "push_space",
    "resolve_model",
    "serve_space",
    "trained_on",
]
