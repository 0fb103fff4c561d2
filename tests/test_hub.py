# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Processors, model cards and pushing to the Hub (against the local Hub of `hf_jepa.hub.local_hub`)."""

import hashlib
import http.client
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import MICRO
from huggingface_hub import ModelCard
from PIL import Image
from torch.utils.tensorboard import SummaryWriter
from torchcodec.decoders import VideoDecoder
from transformers import AutoImageProcessor, AutoVideoProcessor, IJepaConfig, pipeline

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAModel, JEPAPredictor, data
from hf_jepa.configuration_world_model import JEPAWorldModelConfig
from hf_jepa.data import build_processor, checkpoint_processor
from hf_jepa.evaluation import processor_settings
from hf_jepa.hub.cards import record_conversion, write_model_card, write_world_model_card
from hf_jepa.hub.local_hub import LocalHub
from hf_jepa.hub.upload import push_to_hub
from hf_jepa.spaces import SPACE_SOURCE

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_ID = "jepa-lab/tiny-jepa"
OTHER_REPO_ID = "jepa-lab/tiny-jepa-copy"  # a repository other than the run's hub_model_id
TRAINING_ARGS = {
    "dataset_name": "fashion_mnist",
    "per_device_train_batch_size": 32,
    "learning_rate": 1e-3,
    "max_steps": 20,
    "hub_model_id": REPO_ID,
    "hub_token": None,
}
EVAL_RESULTS = [
    {"metric": "accuracy", "value": 0.8125, "dataset": "fashion_mnist", "split": "test", "protocol": "knn",
     "model": "trained", "feature_layers": 1, "seconds": 1.5},
    {"metric": "accuracy", "value": 0.5, "dataset": "fashion_mnist", "split": "test", "protocol": "knn",
     "model": "random-init", "feature_layers": 1, "seconds": 1.4},
    {"metric": "accuracy", "value": 0.75, "dataset": "fashion_mnist", "split": "test", "protocol": "knn",
     "model": "raw-pixels", "seconds": 0.3},
]  # fmt: skip
TRAINING_SUMMARY = {
    "steps": 20,
    "global_batch_size": 32,
    "wall_time_seconds": 3725.0,
    "hardware": "2 CPU cores",
    "final_loss": 0.4321,
}


def test_image_processor_round_trip_and_normalisation(tmp_path):
    config = JEPAConfig.from_preset("tiny")
    processor = build_processor(config)
    processor.save_pretrained(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["preprocessor_config.json"]
    loaded = AutoImageProcessor.from_pretrained(tmp_path)
    assert type(loaded) is type(processor)
    assert loaded.to_dict() == processor.to_dict()

    colour = (200, 100, 50)
    image = Image.new("RGB", (48, 40), colour)  # not square: resized by the short side, then centre-cropped
    pixels = loaded(image, return_tensors="pt")["pixel_values"]
    assert pixels.shape == (1, 3, 32, 32)
    expected = (torch.tensor(colour) / 255 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(pixels[0].mean(dim=(1, 2)), expected, atol=1e-4, rtol=0)

    grey = Image.fromarray(np.full((28, 28), 128, dtype=np.uint8))  # e.g. Fashion-MNIST: converted to RGB
    assert loaded(grey, return_tensors="pt")["pixel_values"].shape == (1, 3, 32, 32)


def test_video_processor_round_trip_feeds_the_model(tmp_path):
    config = JEPAConfig.from_preset("tiny-video")
    build_processor(config, image_mean=[0.5] * 3, image_std=[0.25] * 3).save_pretrained(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["video_preprocessor_config.json"]
    processor = AutoVideoProcessor.from_pretrained(tmp_path)
    assert list(processor.image_mean) == [0.5] * 3 and list(processor.image_std) == [0.25] * 3
    assert processor.crop_size["height"] == processor.crop_size["width"] == 32

    video = torch.full((8, 3, 40, 50), 255, dtype=torch.uint8)
    pixels = processor(video, return_tensors="pt")["pixel_values"]
    assert pixels.shape == (1, 8, 3, 32, 32)
    torch.testing.assert_close(pixels, torch.full_like(pixels, (1.0 - 0.5) / 0.25))
    with torch.no_grad():
        features = JEPAModel(config).eval()(pixel_values=pixels).last_hidden_state
    assert features.shape == (1, config.num_patches, config.hidden_size) == (1, 256, 192)


def test_evaluation_transform_gives_the_pixels_of_the_shipped_image_processor(tmp_path):
    """One preprocessing: evaluation's transform and `AutoImageProcessor.from_pretrained(model)` agree on real images
    (the Space's examples, Fashion-MNIST items, a non-square colour image whose crop margin is odd)."""
    config = JEPAConfig.from_preset("tiny")
    mean, std = [0.3, 0.4, 0.5], [0.2, 0.25, 0.3]
    build_processor(config, mean, std).save_pretrained(tmp_path)
    shipped = AutoImageProcessor.from_pretrained(tmp_path)
    assert shipped.size["shortest_edge"] == shipped.crop_size["height"] == config.image_size  # no 256 / 224 zoom
    assert processor_settings(str(tmp_path), config) == (32, mean, std)
    transform = data.build_transform(*processor_settings(str(tmp_path), config), train=False)

    fashion = data.fashion_mnist_dataset("test")
    images = [Image.open(path) for path in sorted((SPACE_SOURCE / "examples").glob("*.png"))]
    images += [fashion[index]["image"] for index in range(3)]
    images.append(
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (45, 41, 3), dtype=np.uint8))
    )  # 35 x 32: margin 3
    assert len(images) == 8 and {image.mode for image in images} == {"L", "RGB"}
    for image in images:
        expected = shipped(image, return_tensors="pt")["pixel_values"][0]
        assert expected.shape == (3, 32, 32)
        torch.testing.assert_close(transform(image), expected, atol=1e-5, rtol=0)
    # at the native size the geometry is the identity: the pixels are (value / 255 - mean) / std
    pixel = np.asarray(fashion[0]["image"].resize((32, 32)))[5, 7] / 255
    native = transform(fashion[0]["image"].resize((32, 32)))
    assert native[:, 5, 7].tolist() == pytest.approx([(pixel - m) / s for m, s in zip(mean, std)], abs=1e-5)


def test_evaluation_transform_gives_the_pixels_of_the_shipped_video_processor(tmp_path):
    config = JEPAConfig.from_preset("tiny-video")
    build_processor(config).save_pretrained(tmp_path)
    shipped = AutoVideoProcessor.from_pretrained(tmp_path)
    transform = data.build_transform(
        *processor_settings(str(tmp_path), config), train=False, num_frames=8, frame_step=2
    )
    decoder = VideoDecoder(str(SPACE_SOURCE / "examples" / "moving_fashion.mp4"))
    frames = decoder.get_frames_at(data.clip_indices(len(decoder), 8, 2, train=False)).data
    expected = shipped(frames, return_tensors="pt")["pixel_values"][0]
    assert expected.shape == (8, 3, 32, 32) and frames.shape[-1] == 64
    torch.testing.assert_close(transform(decoder), expected, atol=1e-5, rtol=0)


def test_checkpoint_processor_or_the_default_for_its_config(tmp_path):
    assert checkpoint_processor(str(tmp_path)) is None
    ijepa = IJepaConfig(image_size=48, patch_size=16)  # another library's config: image_size and num_channels only
    default = build_processor(ijepa)
    assert type(default).__name__ == "ViTImageProcessor" and default.crop_size["height"] == 48
    assert list(default.image_mean) == list(data.DEFAULT_IMAGE_MEAN) == [0.485, 0.456, 0.406]
    assert processor_settings(str(tmp_path), ijepa) == (48, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    build_processor(JEPAConfig.from_preset("tiny-video"), [0.5] * 3, [0.5] * 3).save_pretrained(tmp_path)
    assert type(checkpoint_processor(str(tmp_path))).__name__ == "VideoMAEVideoProcessor"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"image_mean": [0.5, 0.5]},
            r"image_mean needs one value per input channel \(num_channels=3\), got \[0.5, 0.5\]",
        ),
        ({"image_std": [0.2, 0.0, 0.2]}, r"image_std must be positive, got \[0.2, 0.0, 0.2\]"),
    ],
)
def test_build_processor_rejects_bad_statistics(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_processor(JEPAConfig.from_preset("tiny"), **kwargs)


def make_checkpoint(folder: Path, seed: int = 0) -> JEPAForPreTraining:
    """What the pretraining script leaves in its output_dir: model, processor, arguments, results, logs, card."""
    torch.manual_seed(seed)
    model = JEPAForPreTraining(JEPAConfig.from_preset("tiny")).eval()
    model.save_pretrained(folder)
    build_processor(model.config).save_pretrained(folder)
    (folder / "training_args.json").write_text(json.dumps(TRAINING_ARGS))
    (folder / "eval_results.json").write_text(json.dumps(EVAL_RESULTS))
    with SummaryWriter(folder / "runs") as writer:
        writer.add_scalar("train/loss", 0.5, global_step=1)
    write_model_card(folder, training_summary=TRAINING_SUMMARY)
    return model


def test_model_card_metadata_parses_back(tmp_path):
    make_checkpoint(tmp_path)
    write_model_card(tmp_path, training_args={**TRAINING_ARGS, "hub_token": "hf_secret_that_must_not_be_published"})
    card = ModelCard.load(tmp_path / "README.md")
    data = card.data
    assert data.license == "apache-2.0"
    assert data.library_name == "transformers"
    assert data.pipeline_tag == "image-feature-extraction"
    assert data.tags == ["jepa", "self-supervised-learning", "hf-jepa", "image-feature-extraction"]
    assert data.datasets == ["fashion_mnist"]
    assert data.base_model is None
    # model-index holds the trained model's results only; the baselines stand beside them in the body
    [result] = data.eval_results
    assert (result.task_type, result.dataset_type, result.dataset_split) == (
        "image-classification",
        "fashion_mnist",
        "test",
    )
    assert (result.metric_type, result.metric_value, result.metric_name) == ("accuracy", 0.8125, "knn accuracy")
    assert data.model_name == "tiny-jepa"

    config = JEPAConfig.from_preset("tiny")
    encoder_parameters = sum(p.numel() for p in JEPAModel(config).parameters())
    predictor_parameters = sum(p.numel() for p in JEPAPredictor(config).parameters())
    body = card.text
    assert f"| Encoder parameters | {encoder_parameters:,} |" in body
    assert f"| Pretraining parameters | {2 * encoder_parameters + predictor_parameters:,} " in body
    assert "| Token grid | 8x8 = 64 patches of 4 px |" in body
    assert "| fashion_mnist | test | knn | accuracy | 1 | 0.8125 | 0.5 | 0.75 |" in body
    assert "| Wall time | 1h 02m 05s |" in body and "| Hardware | 2 CPU cores |" in body
    assert "| Masking | multiblock |" in body and "| num_target_blocks | 4 |" in body
    assert 'AutoModel.from_pretrained("jepa-lab/tiny-jepa", trust_remote_code=True)' in body
    assert 'pipeline("image-feature-extraction", model="jepa-lab/tiny-jepa", trust_remote_code=True)' in body
    assert "hf_secret" not in body and "hub_token" not in body
    assert "Assran" in body and "Bardes" in body


def test_model_card_refresh_keeps_what_it_was_given(tmp_path):
    make_checkpoint(tmp_path)
    write_model_card(tmp_path, base_model="jepa-lab/base-jepa", training_summary=TRAINING_SUMMARY)
    first = (tmp_path / "README.md").read_text()
    assert json.loads((tmp_path / "training_summary.json").read_text()) == TRAINING_SUMMARY

    results = EVAL_RESULTS + [{"metric": "accuracy", "value": 0.9, "dataset": "cifar10", "split": "test"}]
    (tmp_path / "eval_results.json").write_text(json.dumps(results))
    write_model_card(tmp_path)  # what hf-jepa evaluate does after writing eval_results.json in a model folder
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.base_model == "jepa-lab/base-jepa"
    assert [result.dataset_name for result in card.data.eval_results] == ["fashion_mnist", "cifar10"]
    assert "| Final loss | 0.4321 |" in card.text
    assert card.text.replace("| cifar10 | test |  | accuracy |  | 0.9 |  |  |\n", "") == first.split("---\n", 2)[2]


def test_video_model_card(tmp_path):
    config = JEPAConfig.from_preset("tiny-video", mask_strategy="temporal", frames_ahead=1)
    JEPAModel(config).save_pretrained(tmp_path)
    card = write_model_card(tmp_path, datasets=["my-org/clips"], repo_id="jepa-lab/tiny-vjepa")
    assert card.data.pipeline_tag == "feature-extraction"
    assert "video" in card.data.tags and card.data.datasets == ["my-org/clips"]
    assert "| Token grid | 4x8x8 = 256 tubelets of 4 px |" in card.text
    assert "predicts the features of the next 2 frames" in card.text
    assert 'AutoVideoProcessor.from_pretrained("jepa-lab/tiny-vjepa")' in card.text
    assert "AutoModelForPreTraining" not in card.text  # a bare encoder checkpoint has no predictor
    # what a pip user runs to fill the evaluation in: a command, not a script of the checkout
    assert "Not evaluated yet: `hf-jepa evaluate --model_name_or_path DIR --output_dir DIR`" in card.text
    assert "scripts/" not in card.text


def test_model_card_names_local_data_and_checkpoints_by_folder_only(tmp_path):
    JEPAModel(JEPAConfig.from_preset("tiny")).save_pretrained(tmp_path)
    private = tmp_path / "private"
    (private / "holiday_photos").mkdir(parents=True)
    (private / "run1").mkdir()
    for training_args in (
        {"train_dir": str(private / "holiday_photos")},
        {"dataset_name": str(private / "holiday_photos")},
    ):
        card = write_model_card(tmp_path, training_args=training_args, base_model=str(private / "run1"))
        assert card.data.datasets is None and card.data.base_model is None  # the metadata holds Hub ids only
        assert "Data: a local dataset (`holiday_photos`)." in card.text
        assert "Pretraining continued from a local checkpoint (`run1`)." in card.text
        assert "private" not in card.text


def test_model_card_rejects_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="No config.json in"):
        write_model_card(tmp_path)
    config = JEPAConfig.from_preset("tiny")
    bad = [{"metric": "accuracy", "value": "high", "dataset": "fashion_mnist"}]
    with pytest.raises(ValueError, match=r"eval_results\[0\] = .*'value' must be a finite number"):
        write_model_card(tmp_path, config=config, eval_results=bad)
    (tmp_path / "eval_results.json").write_text("{not json")
    with pytest.raises(ValueError, match="eval_results.json is not valid JSON"):
        write_model_card(tmp_path, config=config)


def test_world_model_card_text(tmp_path):
    """The whole card of a converted world model trained further and evaluated at planning; the token is left out."""
    record_conversion(tmp_path, "facebook/vjepa2-ac", "official_vjepa2_ac", "hf_jepa")
    config = JEPAWorldModelConfig(
        encoder_config=JEPAConfig(**MICRO).to_dict(), action_dim=3, action_mean=[0.0] * 3, action_std=[1.0] * 3
    )
    card = write_world_model_card(
        tmp_path,
        config=config,
        training_args={"dataset_name": "lerobot/pusht", "learning_rate": 1e-3, "hub_token": "hf_secret"},
        training_summary={"steps": 5, "wall_time_seconds": 70.2, "final_loss": 0.123456},
        planning_results={"table": "| planner | success |\n|---|---|\n| cem | 0.9 |"},
        repo_id="jepa-lab/tiny-world-model",
    )
    assert (tmp_path / "README.md").read_text() == str(card)
    assert card.data.base_model == "facebook/vjepa2-ac" and card.data.datasets == ["lerobot/pusht"]
    assert card.text.strip().split("\n") == [
        "# tiny-world-model",
        "",
        "An action-conditioned JEPA world model: a frame encoder (32 wide, 2 layers, 16 px), an action encoder and a "
        "block-causal predictor (6 layers over 3 frames of pooled embeddings) predicting the next frame's latent.",
        "Converted with hf_jepa from the official_vjepa2_ac checkpoint `facebook/vjepa2-ac` to the hf_jepa format: "
        "`hf-jepa convert --source facebook/vjepa2-ac --source_format official_vjepa2_ac --target_format hf_jepa`.",
        "Trained on lerobot/pusht.",
        "Actions of 3 values, normalised with the statistics saved in `config.json`.",
        "",
        "```python",
        "import hf_jepa",
        "from transformers import AutoModel",
        'model = AutoModel.from_pretrained("jepa-lab/tiny-world-model")  # or trust_remote_code=True without hf_jepa',
        "# plan: hf_jepa.planning.MPCController.from_world_model(model, hf_jepa.CEMPlanner(...), goal_pixels)",
        "```",
        "",
        "## Training",
        "",
        "- Optimisation steps: 5",
        "- Wall time: 1m 10s",
        "- Final loss: 0.1235",
        "",
        "## Planning",
        "",
        "| planner | success |",
        "|---|---|",
        "| cem | 0.9 |",
        "",
        "## Hyperparameters",
        "",
        "- dataset_name: lerobot/pusht",
        "- learning_rate: 0.001",
    ]


def test_pipeline_returns_patch_and_pooled_features(tmp_path):
    model = make_checkpoint(tmp_path)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8))
    extractor = pipeline("image-feature-extraction", model=str(tmp_path), trust_remote_code=True)
    patches = extractor(image, return_tensors=True)
    pooled = extractor(image, pool=True, return_tensors=True)
    assert patches.shape == (1, 64, 192) and pooled.shape == (1, 192)

    pixels = build_processor(model.config)(image, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        expected = model.target_encoder(pixels)
    torch.testing.assert_close(patches, expected.last_hidden_state)
    torch.testing.assert_close(pooled, expected.pooler_output)


def test_local_hub_answers_raw_http(local_hub):
    """The local Hub's HTTP layer: a chunked body, an unknown route, a Hub error with its code, and a bug in a
    handler answered as a 500 rather than a dropped connection; HEAD gets the headers without the body."""
    connection = http.client.HTTPConnection(*local_hub.endpoint.removeprefix("http://").split(":"))

    def request(method: str, path: str, chunks: list[bytes] | None = None) -> tuple:
        if chunks is None:
            connection.request(method, path)
        else:
            body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\nX-Trailer: 1\r\n\r\n"
            headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
            connection.putrequest(method, path)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    status, _, body = request("POST", "/api/repos/create", [b'{"name": "ra', b'w", "type": "model"}'])
    assert status == 200 and json.loads(body)["id"] == "hf-jepa-tester/raw"
    assert "hf-jepa-tester/raw" in local_hub.repos
    status, _, body = request("GET", "/api/nowhere")
    assert status == 404 and json.loads(body) == {"error": "The local hub has no route for GET /api/nowhere."}
    assert local_hub.unhandled == ["GET /api/nowhere"]
    status, headers, body = request("GET", "/api/models/hf-jepa-tester/missing")
    assert status == 404 and headers["X-Error-Code"] == "RepoNotFound"
    assert headers["X-Error-Message"] == json.loads(body)["error"] == "Repository hf-jepa-tester/missing not found"
    status, headers, body = request("POST", "/api/repos/create", [b'{"type": "model"}'])  # no name: a KeyError
    assert status == 500 and headers["X-Error-Message"] == json.loads(body)["error"] == "KeyError('name')"
    status, headers, body = request("HEAD", "/hf-jepa-tester/raw/resolve/main/README.md")
    assert status == 404 and headers["X-Error-Code"] == "EntryNotFound" and body == b""
    assert local_hub.requests == [("POST", "create"), ("GET", "info"), ("POST", "create"), ("HEAD", "resolve")]
    connection.close()


def test_push_refuses_folders_that_would_not_load_or_would_leak_a_token(tmp_path):
    make_checkpoint(tmp_path)
    with pytest.raises(ValueError, match="Repo id must"):
        push_to_hub(tmp_path, "not a/valid/repo")
    (tmp_path / "training_args.json").write_text(json.dumps({**TRAINING_ARGS, "hub_token": "hf_secret"}))
    with pytest.raises(ValueError, match=r"training_args.json holds a value for \['hub_token'\]: pushing it would"):
        push_to_hub(tmp_path, REPO_ID)
    (tmp_path / "modeling_jepa.py").unlink()
    with pytest.raises(ValueError, match=r"lacks the model code \['modeling_jepa.py'\]"):
        push_to_hub(tmp_path, REPO_ID)
    with pytest.raises(ValueError, match="holds no config.json"):
        push_to_hub(tmp_path / "runs", REPO_ID)


def run_client(script: str, *args: str, env: dict[str, str], cwd: Path) -> str:
    """Runs Python code in a fresh process (the Hub settings are read when huggingface_hub is imported)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env={**env, "OMP_NUM_THREADS": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"client failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result.stdout


RUN_SCRIPT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
LOAD_WITHOUT_HF_JEPA = """
    import sys
    sys.modules["hf_jepa"] = None  # this machine does not have hf_jepa: `import hf_jepa` raises ImportError
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModel, pipeline

    repo_id, image_path, output_path = sys.argv[1:]
    image = Image.open(image_path)
    model = AutoModel.from_pretrained(repo_id, trust_remote_code=True)
    processor = AutoImageProcessor.from_pretrained(repo_id)
    with torch.no_grad():
        outputs = model(**processor(image, return_tensors="pt"))
    extractor = pipeline("image-feature-extraction", model=repo_id, trust_remote_code=True)
    torch.save(
        {
            "module": type(model).__module__,
            "last_hidden_state": outputs.last_hidden_state,
            "pooler_output": outputs.pooler_output,
            "pipeline_pooled": extractor(image, pool=True, return_tensors=True),
        },
        output_path,
    )
"""


def test_push_with_the_script_then_load_without_hf_jepa(tmp_path):
    folder = tmp_path / "output"
    model = make_checkpoint(folder)
    image_path = tmp_path / "image.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (36, 44, 3), dtype=np.uint8)).save(image_path)

    with LocalHub(token="hf_local_test_token") as hub:
        env = hub.client_env(tmp_path / "hf_home", base=os.environ)
        push = [str(REPO_ROOT / "scripts" / "push_to_hub.py"), str(folder), REPO_ID, "--private"]
        output = run_client(RUN_SCRIPT, *push, env=env, cwd=tmp_path)
        assert f"to {hub.endpoint}/{REPO_ID}" in output
        pushed = hub.files(REPO_ID)
        run_client(LOAD_WITHOUT_HF_JEPA, REPO_ID, str(image_path), str(tmp_path / "out.pt"), env=env, cwd=tmp_path)
        assert hub.unhandled == []
        assert hub.repos[REPO_ID].private

    local = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert pushed == local  # weights, config, code, processor, card, arguments, results, summary, tensorboard logs
    expected_files = ["model.safetensors", "config.json", "modeling_jepa.py", "configuration_jepa.py", "README.md"]
    expected_files += ["preprocessor_config.json", "training_args.json", "eval_results.json", "training_summary.json"]
    assert set(expected_files) <= set(pushed)
    assert any(path.startswith("runs/events.out.tfevents") for path in pushed)
    assert json.loads(pushed["config.json"])["auto_map"]["AutoModel"] == "modeling_jepa.JEPAModel"

    loaded = torch.load(tmp_path / "out.pt")
    assert loaded["module"].startswith("transformers_modules.")  # the model code came from the repository
    pixels = build_processor(model.config)(Image.open(image_path), return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        expected = model.target_encoder(pixels)
    torch.testing.assert_close(loaded["last_hidden_state"], expected.last_hidden_state)
    torch.testing.assert_close(loaded["pooler_output"], expected.pooler_output)
    torch.testing.assert_close(loaded["pipeline_pooled"], expected.pooler_output)


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def push_failing_twice(module: str, push: str, error: str) -> str:
    """A client script: `push(folder, repo_id)` of `module` (push_to_hub, push_space) run twice, each failing with
    `error` (the test makes the Hub fail), then once more; prints the two messages, the folder's README.md after the
    failures and the oid of the commit, as JSON."""
    return f"""
    import json, sys
    from pathlib import Path
    from {module} import {error}, {push}

    folder, repo_id = sys.argv[1:]
    messages = []
    for _ in range(2):
        try:
            {push}(folder, repo_id)
        except {error} as error:
            messages.append(str(error))
    card = Path(folder, "README.md").read_text()
    commit = {push}(folder, repo_id)
    print(json.dumps({{"messages": messages, "card_after_failures": card, "oid": commit.oid}}))
"""


def test_failed_push_says_what_failed_keeps_the_folder_and_resumes(local_hub, tmp_path):
    """A push to another repository than the run's hub_model_id re-renders the card for it; the failed attempts
    leave the folder as it was, the card included."""
    folder = tmp_path / "output"
    make_checkpoint(folder)
    before = folder_digest(folder)
    card = (folder / "README.md").read_text()
    local_hub.fail_next("create", status=403)
    local_hub.fail_next("commit", status=500)

    script = push_failing_twice("hf_jepa.hub.upload", "push_to_hub", "PushToHubError")
    output = run_client(script, str(folder), OTHER_REPO_ID, env=local_hub.client_env(tmp_path / "hf"), cwd=tmp_path)
    report = json.loads(output.splitlines()[-1])
    create_error, commit_error = report["messages"]
    assert f"failed while creating the repository {OTHER_REPO_ID}" in create_error
    assert "403 Forbidden" in create_error and "Injected failure of the create endpoint" in create_error
    assert f"failed while uploading {folder} to {OTHER_REPO_ID}" in commit_error
    assert "500" in commit_error and "Injected failure of the commit endpoint" in commit_error
    for message in (create_error, commit_error):
        assert f"The local folder {folder} is unchanged. Run the same push again to resume" in message

    assert report["card_after_failures"] == card

    # the push that succeeded leaves the card it uploaded, whose examples load the repository pushed to
    pushed_card = (folder / "README.md").read_text()
    assert f'from_pretrained("{OTHER_REPO_ID}"' in pushed_card and OTHER_REPO_ID not in card
    assert folder_digest(folder) == {**before, "README.md": folder_digest(folder)["README.md"]}
    assert local_hub.repos[OTHER_REPO_ID].head.oid == report["oid"]
    assert local_hub.files(OTHER_REPO_ID) == {path: (folder / path).read_bytes() for path in before}
    # the large files (weights, tensorboard events) reached LFS storage in the failed attempt; the retry only
    # committed them
    lfs_files = [path for path, stored in local_hub.repos[OTHER_REPO_ID].head.files.items() if stored.lfs]
    assert "model.safetensors" in lfs_files
    assert local_hub.served("lfs-upload") == len(lfs_files) and local_hub.served("commit") == 2


PUSH_IN_BACKGROUND = """
    import json, sys
    from pathlib import Path
    from hf_jepa.hub.upload import PushToHubError, push_to_hub

    folder, repo_id = sys.argv[1:]
    failing = push_to_hub(folder, repo_id, run_as_future=True, commit_message="checkpoint 1")
    checkpoint = push_to_hub(folder, repo_id, run_as_future=True, commit_message="checkpoint 2")
    Path(folder, "model.safetensors").write_bytes(b"the weights of the next save")  # while the push is under way
    final = push_to_hub(folder, repo_id, commit_message="final")  # blocks, and lands after the pushes before it
    try:
        failing.result(timeout=60)
    except PushToHubError as error:
        failure = str(error)
    print(json.dumps({"failure": failure, "checkpoint": checkpoint.result(timeout=0).oid, "final": final.oid}))
"""


def test_pushes_land_in_order_and_background_ones_upload_a_snapshot(local_hub, tmp_path):
    folder = tmp_path / "output"
    make_checkpoint(folder)
    weights = (folder / "model.safetensors").read_bytes()
    local_hub.fail_next("commit", status=500)

    env = local_hub.client_env(tmp_path / "hf")
    report = json.loads(run_client(PUSH_IN_BACKGROUND, str(folder), REPO_ID, env=env, cwd=tmp_path).splitlines()[-1])
    assert (
        "failed while uploading" in report["failure"]
        and "Injected failure of the commit endpoint" in report["failure"]
    )
    commits = local_hub.repos[REPO_ID].commits
    assert [commit.title for commit in commits] == ["initial commit", "checkpoint 2", "final"]
    assert [commit.oid for commit in commits[1:]] == [report["checkpoint"], report["final"]]
    # the background push sent the files as they were when it was requested, not the file being rewritten
    assert local_hub.files(REPO_ID, report["checkpoint"])["model.safetensors"] == weights
    assert local_hub.files(REPO_ID)["model.safetensors"] == b"the weights of the next save"
