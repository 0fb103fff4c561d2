# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""scripts/push_space.py: the Space folder it assembles, its errors, and a push to the local Hub (`LocalHub`)
that is downloaded again, installed in a fresh virtual environment from its own requirements.txt and served.

The fresh environment is made offline-fast: `venv --without-pip`, and a `.pth` line that puts this environment's
site-packages on its path (a plain path line: the `.pth` files there, such as hf_jepa's editable install, are not
run, so `import hf_jepa` finds only the copy inside the Space). `pip install --no-index -r requirements.txt` then
checks that every pinned requirement is satisfied by what is installed here, without downloading anything.
"""

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from pathlib import Path
from types import ModuleType

import datasets
import numpy as np
import pytest
import torch
import yaml
from gradio_client import Client, handle_file
from test_hub import push_failing_twice
from test_space import (  # noqa: F401  (fixtures: a 3-step world model, the same planning in Push-T, ...)
    push_t_world_model,
    serve_app,
    unusable_episodes,
    world_model,
)
from test_world_model_training import episodes  # noqa: F401  (eight real TwoRoom episodes, which it trains on)

from hf_jepa import JEPAConfig, JEPAForPreTraining, spaces
from hf_jepa.data import EPISODE_COLUMN, FRAME_COLUMN
from hf_jepa.spaces import SPACE_MARKER, SPACE_SOURCE, SpaceArguments, build_space, pinned_requirements, share_space

REPO = Path(__file__).resolve().parents[1]
SPACE_ID = "jepa-lab/jepa-explorer"
MODEL_REPO_ID = "jepa-lab/tiny-jepa"
EXAMPLE = SPACE_SOURCE / "examples" / "sneaker_1.png"


def run(command: list[str], env: dict[str, str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env={**env, "OMP_NUM_THREADS": "1"}, cwd=cwd, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "tiny-run"
    torch.manual_seed(0)
    JEPAForPreTraining(JEPAConfig.from_preset("tiny")).save_pretrained(folder)
    (folder / "training_args.json").write_text(json.dumps({"hub_model_id": MODEL_REPO_ID, "hub_token": None}))
    (folder / "checkpoint-100").mkdir()  # a resumable training state: stays out of the Space
    (folder / "checkpoint-100" / "optimizer.bin").write_bytes(b"state")
    return folder


def fresh_environment(venv: Path) -> str:
    """A virtual environment without pip that also sees the packages installed here (see the module's docstring);
    its python."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], os.environ, venv.parent)
    python = str(venv / "bin" / "python")
    site_packages = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], os.environ, venv)
    Path(site_packages.stdout.strip(), "parent_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def front_matter(readme: str) -> dict:
    return yaml.safe_load(readme.split("---\n")[1])


def download_space(env: dict[str, str], tmp_path: Path) -> Path:
    space = tmp_path / "space"
    download = "import sys; from huggingface_hub import snapshot_download as d; d(sys.argv[1], repo_type='space', "
    run([sys.executable, "-c", download + "local_dir=sys.argv[2])", SPACE_ID, str(space)], env, tmp_path)
    return space


def load_app(folder: Path) -> ModuleType:
    """The app.py of a Space folder, imported in this process (hf_jepa is this environment's)."""
    spec = importlib.util.spec_from_file_location("pushed_app", folder / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    return app


def test_push_install_and_serve_the_space(local_hub, checkpoint, tmp_path):
    env = local_hub.client_env(tmp_path / "hf", base=os.environ)
    script = [sys.executable, str(REPO / "scripts" / "push_space.py")]
    run([*script, "--model_name_or_path", str(checkpoint), "--space_id", SPACE_ID], env, tmp_path)
    assert local_hub.repos[f"spaces/{SPACE_ID}"].sdk == "gradio" and not local_hub.unhandled

    space = download_space(env, tmp_path)
    metadata = front_matter((space / "README.md").read_text())
    assert metadata["sdk"] == "gradio" and metadata["sdk_version"] == importlib.metadata.version("gradio")
    assert metadata["app_file"] == "app.py" and metadata["models"] == [MODEL_REPO_ID]
    assert (space / metadata["app_file"]).is_file() and (space / "space_screenshot.png").is_file()
    assert "space_screenshot.png)" in (space / "README.md").read_text()
    assert (space / "packages.txt").read_text().split() == ["ffmpeg"]
    shipped = {path.name for path in (space / "checkpoint").iterdir()}
    assert {"config.json", "model.safetensors", "modeling_jepa.py", "configuration_jepa.py"} <= shipped
    assert "training_args.json" not in shipped and not (space / "checkpoint" / "checkpoint-100").exists()
    assert not (space / "episodes").exists() and "gymnasium" not in (space / "requirements.txt").read_text()

    # a fresh environment, from the Space's own requirements.txt (satisfied offline by what is installed here)
    python = fresh_environment(tmp_path / "venv")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--disable-pip-version-check"]
    run([*pip, "-r", "requirements.txt"], env, space)
    where = [python, "-c", "import hf_jepa; print(hf_jepa.__file__)"]
    assert run(where, env, space).stdout.strip() == str(space / "hf_jepa" / "__init__.py")
    assert "No module named 'hf_jepa'" in run(where, env, tmp_path, check=False).stderr  # only the Space's copy

    app_env = {key: value for key, value in os.environ.items() if key != "JEPA_MODEL"}
    with serve_app([python, "app.py"], space, app_env, tmp_path) as url:
        client = Client(url, verbose=False)
        model = str((space / "checkpoint").resolve())
        summary = client.predict(model, api_name="/describe_model")[0]
        parameters = sum(
            parameter.numel() for parameter in JEPAForPreTraining.from_pretrained(checkpoint).parameters()
        )
        assert "**JEPAForPreTraining**, image model, 32 px, patch grid 8x8" in summary
        assert f"{parameters / 1e6:.1f}M parameters; predictor: yes" in summary
        image = handle_file(EXAMPLE)
        masks = [model, image, "multiblock", 0.75, 4, 0.15, 0.2, 0.75, 1.5, 1, 0]
        _, counts = client.predict(*masks, api_name="/masks")
        assert counts["grid"] == [1, 8, 8] and counts["tokens"] == 64
        _, loss, info = client.predict(*masks, api_name="/predict")
        assert loss == info["loss"] and loss > 0
        *_, similarity = client.predict(model, image, image, 2, 3, api_name="/similarity")
        assert similarity["best_match_a"] == [2, 3]


def test_space_for_a_hub_model(tmp_path, monkeypatch):
    folder = build_space(tmp_path / "space", MODEL_REPO_ID, title="My JEPA", emoji="🔮")
    assert (folder / "models.txt").read_text().split() == [MODEL_REPO_ID]
    assert not (folder / "checkpoint").exists()
    metadata = front_matter((folder / "README.md").read_text())
    assert (metadata["title"], metadata["emoji"], metadata["models"]) == ("My JEPA", "🔮", [MODEL_REPO_ID])

    # the app offers the model of models.txt (after JEPA_MODEL, which a Space variable can set)
    monkeypatch.setenv("JEPA_MODEL", "someone/other-jepa")
    app = load_app(folder)
    assert app.MODELS.names()[:2] == ["someone/other-jepa", MODEL_REPO_ID]


def test_requirements_pin_the_installed_releases():
    pins = dict(line.split("==") for line in pinned_requirements())
    for name in ("torch", "torchvision", "transformers", "gradio", "torchcodec", "huggingface-hub", "accelerate"):
        assert pins[name] == importlib.metadata.version(name).split("+")[0]
    assert "hf-jepa" not in pins and "pytest" not in pins  # hf_jepa ships as sources; dev tools stay out
    assert "gymnasium" not in pins  # only the Plan tab needs it, and only a world model gets it ...
    plan_pins = dict(line.split("==") for line in pinned_requirements(plan_tab=True))
    assert plan_pins == {**pins, "gymnasium": importlib.metadata.version("gymnasium")}  # ... without gym-pusht
    assert pinned_requirements(plan_tab=True, plans_in="hf_jepa/TwoRoom-v0") == pinned_requirements(plan_tab=True)
    push_t_pins = dict(line.split("==") for line in pinned_requirements(plan_tab=True, plans_in="hf_jepa/PushT-v0"))
    assert push_t_pins == {**plan_pins, "gym-pusht": importlib.metadata.version("gym-pusht")}  # ... but for Push-T


def test_bad_models_and_folders_get_clear_errors(checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").mkdir()  # so outputs/missing-run reads as a path, although it is a valid Hub id
    with pytest.raises(ValueError, match="The model folder 'outputs/missing-run' does not exist"):
        build_space(tmp_path / "a", "outputs/missing-run")
    with pytest.raises(ValueError, match="does not exist"):
        build_space(tmp_path / "b", "./not-here")
    vit = tmp_path / "vit"
    vit.mkdir()
    (vit / "config.json").write_text(json.dumps({"model_type": "vit"}))
    with pytest.raises(ValueError, match="holds a 'vit' model; the Space shows JEPA encoders"):
        build_space(tmp_path / "c", str(vit))
    (vit / "config.json").write_text(json.dumps({"model_type": "jepa"}))
    with pytest.raises(ValueError, match=r"holds no weights \(\*.safetensors\)"):
        build_space(tmp_path / "d", str(vit))
    with pytest.raises(ValueError, match="holds no config.json"):
        build_space(tmp_path / "e", str(tmp_path / "outputs"))
    assert not any((tmp_path / name).exists() for name in "abcde")


def folder_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_the_space_never_replaces_the_model_or_a_folder_it_did_not_write(checkpoint, tmp_path):
    runs = tmp_path / "runs"
    model = runs / "mymodel"
    shutil.copytree(checkpoint, model)
    (runs / "notes.txt").write_text("mine")
    before = folder_files(runs)
    for output_dir, relation in ((runs, "contains"), (model, "is"), (model / "space", "lies inside")):
        arguments = SpaceArguments(str(model), output_dir=str(output_dir), overwrite_output_dir=True)
        with pytest.raises(ValueError, match=f"--output_dir {output_dir} {relation} {model}, which the Space ships"):
            share_space(arguments)
    assert folder_files(runs) == before  # the model byte for byte, and nothing added

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not a Space folder written by hf_jepa, so it is never replaced") as error:
        build_space(other, str(model), overwrite=True)
    assert "overwrite" not in str(error.value)  # nothing that would lead to deleting it
    assert folder_files(other) == {"notes.txt": b"mine"}

    # a Space folder written before: replaced only when asked
    space = build_space(tmp_path / "space", str(model))
    (space / "notes.txt").write_text("added to the Space folder")
    with pytest.raises(ValueError, match="holds a Space written before; pass --overwrite_output_dir to replace it"):
        build_space(space, str(model))
    assert (space / "notes.txt").is_file()
    assert build_space(space, str(model), overwrite=True) == space and not (space / "notes.txt").exists()
    assert (space / "checkpoint" / "model.safetensors").read_bytes() == (model / "model.safetensors").read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other", "runs", "space"]  # no scratch folder left


def test_a_failed_check_creates_no_folder(world_model, tmp_path, monkeypatch):  # noqa: F811
    """The last check (the Plan tab's dependencies are installed) fails: neither --output_dir and its parents nor a
    temporary folder was created."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(spaces, "PLAN_TAB_PACKAGES", ("gymnasium", "a-package-not-installed"))
    for arguments in (
        SpaceArguments(world_model, output_dir=str(tmp_path / "new" / "space")),
        SpaceArguments(world_model, space_id=SPACE_ID),
    ):
        with pytest.raises(ValueError, match="pins a-package-not-installed to the version installed here, but it is"):
            share_space(arguments)
    assert [path.name for path in tmp_path.iterdir()] == ["tmp"] and not any(scratch.iterdir())


BUILD_WITH_THE_INSTALLED_PACKAGE = """
    import sys
    import hf_jepa
    from hf_jepa.spaces import SpaceArguments, share_space

    print(hf_jepa.__file__)
    share_space(SpaceArguments(sys.argv[1], output_dir="space"))
"""


def test_a_space_from_the_installed_wheel(checkpoint, installed_wheel, tmp_path):
    """hf_jepa installed from its wheel into a fresh environment builds a Space in an empty folder: the app and
    hf_jepa's sources come from the installed package, no checkout needed."""
    python = str(installed_wheel.python)
    work = tmp_path / "work"
    work.mkdir()
    built = run([python, "-c", textwrap.dedent(BUILD_WITH_THE_INSTALLED_PACKAGE), str(checkpoint)], os.environ, work)
    installed = Path(built.stdout.split()[0]).parent  # hf_jepa in the fresh environment, from the wheel
    assert installed.is_relative_to(installed_wheel.python.parents[1])
    space = work / "space"
    assert [path.name for path in work.iterdir()] == ["space"]
    assert (space / "app.py").read_bytes() == (installed / "space" / "app.py").read_bytes()
    shipped = {name: content for name, content in folder_files(installed).items() if "__pycache__" not in name}
    assert folder_files(space / "hf_jepa") == {
        name: content for name, content in shipped.items() if not name.startswith("space/")
    }
    assert "hub/jepa_model_card.md" in shipped and "recipes/tiny-cpu.yaml" in shipped
    # no screenshot in a wheel: the README does not show one
    assert not (space / "space_screenshot.png").exists() and "screenshot" not in (space / "README.md").read_text()
    assert (space / "checkpoint" / "model.safetensors").read_bytes() == (checkpoint / "model.safetensors").read_bytes()


def test_failed_push_names_the_step_and_keeps_the_folder(local_hub, checkpoint, tmp_path):
    folder = build_space(tmp_path / "space", str(checkpoint))
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    local_hub.fail_next("create", status=403)
    local_hub.fail_next("commit", status=500)
    env = local_hub.client_env(tmp_path / "hf", base=os.environ)
    script = textwrap.dedent(push_failing_twice("hf_jepa.spaces", "push_space", "PushSpaceError"))
    report = json.loads(run([sys.executable, "-c", script, str(folder), SPACE_ID], env, tmp_path).stdout)
    created, uploaded = report["messages"]
    assert f"failed while creating the Space {SPACE_ID}: " in created and "403" in created
    assert f"failed while uploading {folder} to the Space {SPACE_ID}: " in uploaded and "500" in uploaded
    assert f"The Space folder {folder} is kept" in uploaded
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before
    assert report["card_after_failures"] == (folder / "README.md").read_text()
    assert local_hub.repos[f"spaces/{SPACE_ID}"].head.oid == report["oid"]
    assert (
        local_hub.files(SPACE_ID, repo_type="space")["checkpoint/model.safetensors"]
        == (checkpoint / "model.safetensors").read_bytes()
    )


def test_push_a_space_with_a_world_model_and_its_episodes(local_hub, world_model, episodes, tmp_path, monkeypatch):  # noqa: F811
    episodes_path, dataset = episodes
    env = local_hub.client_env(tmp_path / "hf", base=os.environ)
    script = [sys.executable, str(REPO / "scripts" / "push_space.py"), "--model_name_or_path", world_model]
    pushed = run([*script, "--space_id", SPACE_ID, "--max_episodes", "3"], env, tmp_path)
    kept = dataset.filter(lambda episode: episode < 3, input_columns=EPISODE_COLUMN)  # the first 3 of 8
    assert f"Shipping 3 episodes ({len(kept)} frames, " in pushed.stderr
    assert f"of {episodes_path} in episodes/ for the Plan tab" in pushed.stderr  # from its training_args.json

    files = local_hub.files(SPACE_ID, repo_type="space")
    assert SPACE_MARKER not in files  # the local folder's mark stays local
    assert json.loads(files["checkpoint/config.json"])["model_type"] == "jepa_world_model"
    assert files["checkpoint/model.safetensors"] == (Path(world_model) / "model.safetensors").read_bytes()
    assert {"episodes/dataset_info.json", "episodes/state.json"} <= set(files)
    requirements = files["requirements.txt"].decode().split()
    assert f"gymnasium=={importlib.metadata.version('gymnasium')}" in requirements
    assert not any(line.startswith("gym-pusht") for line in requirements)  # TwoRoom only needs gymnasium

    space = download_space(env, tmp_path).resolve()
    shipped = datasets.load_from_disk(str(space / "episodes"))
    assert shipped.unique(EPISODE_COLUMN) == [0, 1, 2] and list(shipped[FRAME_COLUMN]) == list(kept[FRAME_COLUMN])
    assert np.array_equal(np.asarray(shipped[-1]["observation.image"]), np.asarray(kept[-1]["observation.image"]))

    # the packaged app offers the world model in the Plan tab and finds the shipped episodes on its own
    monkeypatch.chdir(space)  # as on Spaces: no outputs/ with other models
    monkeypatch.delenv("JEPA_MODEL", raising=False)
    monkeypatch.delenv("JEPA_EPISODES", raising=False)
    app = load_app(space)
    model = str(space / "checkpoint")
    assert app.PLANNING_AVAILABLE and app.MODELS.by_kind() == ([], [model])
    assert app.MODELS.episodes() == [str(space / "episodes")]
    recorded = app.MODELS.recorded_frames(model, app.MODELS.episodes()[0])
    assert recorded.dataset_rows == len(kept) and set(recorded.episodes.tolist()) == {0, 1, 2}


def test_a_space_plans_where_its_world_model_was_trained(push_t_world_model, tmp_path):  # noqa: F811
    """A world model whose config names Push-T plans there in the Space (as the app's Plan tab does), whatever its
    TwoRoom training episodes: the Space's requirements bring gym-pusht, which a TwoRoom Space leaves out."""
    folder = build_space(tmp_path / "space", push_t_world_model, max_episodes=2)
    requirements = (folder / "requirements.txt").read_text().split()
    assert f"gym-pusht=={importlib.metadata.version('gym-pusht')}" in requirements
    assert f"gymnasium=={importlib.metadata.version('gymnasium')}" in requirements
    assert spaces.plan_environment(folder / "checkpoint", datasets.load_from_disk(str(folder / "episodes"))) == (
        "hf_jepa/PushT-v0"
    )


def test_bad_episodes_get_clear_errors(world_model, episodes, unusable_episodes, checkpoint, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    busy = tmp_path / "busy"  # every failure is found before --overwrite_output_dir would clear it
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    moved = tmp_path / "moved-world-model"  # its training episodes are not where training_args.json says
    shutil.copytree(world_model, moved)
    arguments = json.loads((moved / "training_args.json").read_text())
    (moved / "training_args.json").write_text(json.dumps({**arguments, "dataset_name": "outputs/gone"}))
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "notes.txt").write_text("not a dataset")

    def fails(match: str, model: Path | str = world_model, **options) -> None:
        with pytest.raises(ValueError, match=match):
            build_space(busy, str(model), overwrite=True, **options)

    fails(
        r"moved-world-model is a world model whose training_args.json was trained on 'outputs/gone', which is "
        r"not a folder here; .* pass --episodes PATH",
        moved,
    )
    fails(r"The episode folder .*/deleted does not exist", episodes=unusable_episodes["deleted"])
    fails(r"files is not a saved dataset \(no dataset_info.json or dataset_dict.json\)", episodes="files")
    fails(
        r"not_episodes is not an episode dataset: it has no \['episode_index', 'frame_index'\] column",
        episodes=unusable_episodes["not_episodes"],
    )
    fails(r"--max_episodes must be at least 1, got 0", max_episodes=0)
    fails(
        r"--episodes .*not_episodes is for world models .* holds a 'jepa' model",
        checkpoint,
        episodes=unusable_episodes["not_episodes"],
    )
    assert [path.name for path in busy.iterdir()] == ["notes.txt"] and (busy / "notes.txt").read_text() == "mine"
    inside = Path(episodes[0]) / "space"  # the episodes the Space ships are never replaced either
    with pytest.raises(ValueError, match=f"--output_dir {inside} lies inside {episodes[0]}, which the Space ships"):
        build_space(inside, world_model)
    assert not inside.exists()

    folder = build_space(tmp_path / "space", str(moved), episodes=str(episodes[0]), max_episodes=100)
    assert datasets.load_from_disk(str(folder / "episodes")).num_rows == len(episodes[1])  # all 8 episodes


def test_the_app_offers_the_models_and_episodes_of_the_space_conventions(tmp_path, monkeypatch):
    """`spaces.offered_models` / `offered_episodes`: what the app reads beside it and in outputs/, in order."""
    monkeypatch.chdir(tmp_path)
    app_dir, trained_dir = tmp_path / "space", tmp_path / "outputs"
    for folder in (app_dir / "checkpoint", trained_dir / "run", trained_dir / "world"):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
    (app_dir / "models.txt").write_text("user/listed\n")
    rows = datasets.Dataset.from_dict({EPISODE_COLUMN: [0], FRAME_COLUMN: [0]})
    for folder in (app_dir / "episodes", trained_dir / "recorded", tmp_path / "trained_on"):
        rows.save_to_disk(str(folder))
    (trained_dir / "world" / "training_args.json").write_text(json.dumps({"dataset_name": "trained_on"}))
    monkeypatch.setenv("JEPA_MODEL", "user/first, outputs/run")
    monkeypatch.setenv("JEPA_EPISODES", "outputs/recorded")
    assert spaces.offered_models(app_dir, trained_dir) == [
        "user/first",
        "outputs/run",
        "user/listed",
        str(app_dir / "checkpoint"),
        str(trained_dir / "run"),
        str(trained_dir / "world"),
    ]
    assert spaces.trained_on(str(trained_dir / "world")) == str(tmp_path / "trained_on")
    assert spaces.trained_on(str(trained_dir / "run")) is None
    world_models = [str(trained_dir / "world")]
    assert spaces.offered_episodes(app_dir, trained_dir, world_models) == [
        str(trained_dir / "recorded"),  # named in JEPA_EPISODES, then found again: offered once
        str(app_dir / "episodes"),
        str(tmp_path / "trained_on"),
    ]


def test_offered_models_load_only_what_is_offered_once_each(
    checkpoint,
    world_model,  # noqa: F811
    push_t_world_model,  # noqa: F811
    episodes,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    """`spaces.OfferedModels`, what the app loads: offered names only, split by kind, each loaded once, and where a
    world model plans."""
    from hf_jepa import rollouts

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JEPA_EPISODES", raising=False)
    monkeypatch.setenv("JEPA_MODEL", "")
    offered = spaces.OfferedModels(tmp_path / "space", tmp_path / "outputs")
    with pytest.raises(ValueError, match=f"No model to show: none in {tmp_path / 'outputs'}, where the main job"):
        offered.by_kind()
    broken = tmp_path / "broken"  # no config: offered when named, never a world model, and its tab says why
    broken.mkdir()
    monkeypatch.setenv("JEPA_MODEL", ",".join([str(checkpoint), world_model, push_t_world_model, str(broken)]))
    assert offered.by_kind() == ([str(checkpoint), str(broken)], [world_model, push_t_world_model])
    with pytest.raises(ValueError, match="Unknown model 'someone/else'; choose one of"):
        offered.config("someone/else")
    with pytest.raises(ValueError, match="Could not load the model .*broken"):
        offered.inspected(str(broken))
    assert offered.inspected(str(checkpoint)) is offered.inspected(str(checkpoint))
    assert offered.inspected(str(checkpoint)).grid == (1, 8, 8)
    assert offered.world_model(world_model) is offered.world_model(world_model)
    assert offered.episodes() == [str(episodes[0])]  # the world models' training episodes
    with pytest.raises(ValueError, match="No recorded episodes to show the imagined frames with"):
        offered.recorded_frames(world_model, None)
    assert offered.recorded_frames(world_model, str(episodes[0])).dataset_rows == len(episodes[1])

    # where each plans: the environment its config records, else the one its episodes were recorded in (TwoRoom)
    assert offered.environment(world_model, None) == rollouts.TWO_ROOM
    push_t, gone = rollouts.Environment("hf_jepa/PushT-v0"), str(tmp_path / "gone")
    assert offered.environment(push_t_world_model, None) == offered.environment(push_t_world_model, gone) == push_t
    with pytest.raises(ValueError, match="Could not load the episode dataset '.*gone'"):
        offered.environment(world_model, gone)
