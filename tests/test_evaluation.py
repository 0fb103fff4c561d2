import json
import os
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import datasets
import numpy as np
import PIL.Image
import pytest
import torch
from conftest import MICRO
from transformers import (
    AutoModelForImageClassification,
    AutoModelForVideoClassification,
    HfArgumentParser,
    IJepaConfig,
    IJepaModel,
    Trainer,
    TrainingArguments,
)

from hf_jepa import JEPAConfig, JEPAForImageClassification, JEPAForPreTraining, JEPAForVideoClassification, JEPAModel
from hf_jepa.data import MediaDataset, build_processor, build_transform, load_media_dataset, make_moving_fashion_mnist
from hf_jepa.evaluation import (
    EvaluationArguments,
    Features,
    MissingLabelsError,
    attentive_probe,
    evaluate,
    extract_features,
    holdout_split,
    knn_accuracy_during_training,
    knn_predict,
    knn_probe,
    linear_probe,
    load_encoder,
    processor_settings,
    run_protocols,
)

REPO = Path(__file__).resolve().parents[1]

CPU = torch.device("cpu")


def clustered(num_classes=5, dim=16, num_train=400, num_eval=1000, tokens=None, seed=0):
    """Gaussian clusters, one per class, far apart: a probe worth the name separates them perfectly."""
    generator = torch.Generator().manual_seed(seed)
    centers = 4 * torch.randn(num_classes, dim, generator=generator)

    def sample(size):
        labels = torch.randint(0, num_classes, (size,), generator=generator)
        shape = (size, dim) if tokens is None else (size, tokens, dim)
        noise = torch.randn(shape, generator=generator)
        return (centers[labels] if tokens is None else centers[labels][:, None]) + noise, labels

    return (*sample(num_train), *sample(num_eval))


def tensor_loader(pixel_values, labels, batch_size=4):
    return [
        {"pixel_values": pixel_values[i : i + batch_size], "labels": labels[i : i + batch_size]}
        for i in range(0, len(pixel_values), batch_size)
    ]


@pytest.mark.parametrize("k", [1, 5, 20])
def test_knn_equals_brute_force(k):
    generator = torch.Generator().manual_seed(k)
    train, query = torch.randn(50, 8, generator=generator), torch.randn(30, 8, generator=generator)
    labels = torch.randint(0, 4, (50,), generator=generator)
    temperature = 0.07

    expected = []
    for q in query:
        similarity = torch.stack([torch.dot(q, t) / (q.norm() * t.norm()) for t in train])
        votes = [0.0] * 4
        for index in similarity.argsort(descending=True)[:k].tolist():
            votes[labels[index]] += torch.exp(similarity[index] / temperature).item()
        expected.append(max(range(4), key=votes.__getitem__))

    # chunks of 7 force the running top-k across train chunks and several query chunks
    predictions = knn_predict(train, labels, query, k=k, temperature=temperature, chunk_size=7, device=CPU)
    assert predictions.tolist() == expected
    unchunked = knn_predict(train, labels, query, k=k, temperature=temperature, device=CPU)
    assert torch.equal(predictions, unchunked)


def test_knn_votes_are_temperature_weighted():
    # at a low temperature one identical neighbour (class 1) outvotes two less similar ones (class 0)
    train = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.8, -0.6]])
    labels = torch.tensor([1, 0, 0])
    query = torch.tensor([[1.0, 0.0]])
    assert knn_predict(train, labels, query, k=3, temperature=0.07, device=CPU).item() == 1
    assert knn_predict(train, labels, query, k=3, temperature=100.0, device=CPU).item() == 0


def test_probes_separate_separable_features():
    train_x, train_y, eval_x, eval_y = clustered()
    assert knn_probe(train_x, train_y, eval_x, eval_y).accuracy == 1.0
    linear = linear_probe(train_x, train_y, eval_x, eval_y, epochs=10, device=CPU)
    assert linear.accuracy > 0.99
    assert set(linear.hyperparameters) == {"learning_rate", "weight_decay", "held_out_accuracy"}
    assert linear.seconds > 0

    train_t, train_ty, eval_t, eval_ty = clustered(tokens=6, num_eval=200)
    attentive = attentive_probe(
        train_t, train_ty, eval_t, eval_ty, num_attention_heads=2, epochs=10, batch_size=64, device=CPU
    )
    assert attentive.accuracy > 0.99


def test_probes_on_shuffled_labels_are_at_chance():
    train_x, train_y, eval_x, eval_y = clustered(num_classes=4)
    generator = torch.Generator().manual_seed(1)
    train_y = train_y[torch.randperm(len(train_y), generator=generator)]
    eval_y = eval_y[torch.randperm(len(eval_y), generator=generator)]
    # 1000 eval points: the standard deviation of chance accuracy (0.25) is 0.014
    assert abs(knn_probe(train_x, train_y, eval_x, eval_y).accuracy - 0.25) < 0.06
    assert abs(linear_probe(train_x, train_y, eval_x, eval_y, epochs=10, device=CPU).accuracy - 0.25) < 0.06


def test_linear_probe_selects_on_held_out_data_and_is_seeded():
    train_x, train_y, eval_x, eval_y = clustered(dim=8, num_train=100, num_eval=50)
    kept, held_out = holdout_split(100, 0.2, seed=0)
    assert len(held_out) == 20 and sorted(torch.cat([kept, held_out]).tolist()) == list(range(100))
    first = linear_probe(train_x, train_y, eval_x, eval_y, epochs=3, learning_rates=(1e-3, 1e-1), device=CPU)
    second = linear_probe(train_x, train_y, eval_x, eval_y, epochs=3, learning_rates=(1e-3, 1e-1), device=CPU)
    assert first.accuracy == second.accuracy and first.hyperparameters == second.hyperparameters
    assert first.hyperparameters["learning_rate"] in (1e-3, 1e-1)
    with pytest.raises(ValueError, match="strictly between 0 and 1, got 1.5"):
        linear_probe(train_x, train_y, eval_x, eval_y, holdout_fraction=1.5, device=CPU)


def test_extract_features_pools_the_last_layers():
    torch.manual_seed(0)
    model = JEPAModel(JEPAConfig(**MICRO)).eval()
    pixel_values, labels = torch.randn(10, 3, 16, 16), torch.arange(10)
    loader = tensor_loader(pixel_values, labels)
    with torch.no_grad():
        outputs = model(pixel_values, output_hidden_states=True)

    features = extract_features(model, loader, return_tokens=True, progress=False)
    assert torch.allclose(features.pooled, outputs.pooler_output, atol=1e-6)
    assert torch.equal(features.labels, labels)
    assert features.tokens.dtype == torch.float16 and features.tokens.shape == (10, 16, 32)
    assert torch.allclose(features.tokens.float(), outputs.last_hidden_state, atol=1e-2)

    two = extract_features(model, loader, feature_layers=2, progress=False)
    assert two.pooled.shape == (10, 64) and two.tokens is None
    # the layer before the last is taken before any norm, the last after the final layer norm
    assert torch.allclose(two.pooled[:, :32], outputs.hidden_states[-2].mean(1), atol=1e-6)
    assert torch.allclose(two.pooled[:, 32:], outputs.last_hidden_state.mean(1), atol=1e-6)
    # inference-mode outputs would refuse to be trained on; these are ordinary tensors
    assert not features.tokens.is_inference() and not features.pooled.is_inference()
    with pytest.raises(ValueError, match="feature_layers=3 but JEPAModel has 2 layers"):
        extract_features(model, loader, feature_layers=3, progress=False)


def test_models_that_are_not_encoders_are_rejected():
    from transformers import BertConfig, BertModel

    text_model = BertModel(
        BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    )
    loader = tensor_loader(torch.randn(4, 3, 16, 16), torch.arange(4))
    with pytest.raises(ValueError, match="BertModel takes 'input_ids' as its main input, not pixel values"):
        extract_features(text_model, loader, progress=False)
    classifier = JEPAForImageClassification(JEPAConfig(**MICRO, num_labels=3))
    with pytest.raises(ValueError, match="JEPAForImageClassification returns no .* `last_hidden_state`"):
        extract_features(classifier, loader, progress=False)


def test_knn_accuracy_during_training_restores_the_mode():
    torch.manual_seed(0)
    model = JEPAModel(JEPAConfig(**MICRO)).train()
    pixel_values, labels = torch.randn(24, 3, 16, 16), torch.arange(24) % 3
    train_loader = tensor_loader(pixel_values[:16], labels[:16])
    eval_loader = tensor_loader(pixel_values[16:], labels[16:])
    value = knn_accuracy_during_training(model, train_loader, eval_loader, k=5)
    assert model.training
    model.eval()
    train = extract_features(model, train_loader, progress=False)
    evaluation = extract_features(model, eval_loader, progress=False)
    assert value == knn_probe(train.pooled, train.labels, evaluation.pooled, evaluation.labels, k=5).accuracy


def test_features_agree_with_and_without_remote_code(tmp_path):
    torch.manual_seed(0)
    JEPAForPreTraining(JEPAConfig(**MICRO)).save_pretrained(tmp_path / "checkpoint")
    pixel_values, labels = torch.randn(6, 3, 16, 16), torch.arange(6)
    torch.save({"pixel_values": pixel_values, "labels": labels}, tmp_path / "batch.pt")
    local = extract_features(
        JEPAModel.from_pretrained(tmp_path / "checkpoint"),
        [{"pixel_values": pixel_values, "labels": labels}],
        feature_layers=2,
        progress=False,
    )
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["hf_jepa"] = None  # the model must load from the code saved beside the weights
        import torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "checkpoint")!r}, trust_remote_code=True)
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        del sys.modules["hf_jepa"]  # now the evaluation code may be imported, and runs on the remote-code model
        from hf_jepa.evaluation import extract_features
        batch = torch.load({str(tmp_path / "batch.pt")!r})
        features = extract_features(model.eval(), [batch], feature_layers=2, progress=False)
        torch.save(features.pooled, {str(tmp_path / "remote.pt")!r})
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf_home"), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert torch.allclose(torch.load(tmp_path / "remote.pt"), local.pooled, atol=1e-6)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A micro pretraining checkpoint with an image processor (mean / std 0.5), as `pretrain` saves it."""
    path = tmp_path_factory.mktemp("checkpoint")
    torch.manual_seed(123)
    model = JEPAForPreTraining(JEPAConfig(**MICRO))
    model.save_pretrained(path)
    build_processor(model.config, [0.5] * 3, [0.5] * 3).save_pretrained(path)
    return path


def arguments(checkpoint, tmp_path, **overrides) -> EvaluationArguments:
    fields = dict(
        model_name_or_path=str(checkpoint),
        output_dir=str(tmp_path / "eval"),
        cache_dir=str(tmp_path / "cache"),
        batch_size=32,
        linear_epochs=5,
        attentive_epochs=2,
    )
    return EvaluationArguments(**{**fields, **overrides})


def test_load_encoder_and_processor_settings(checkpoint, tmp_path):
    encoder = load_encoder(str(checkpoint), device=CPU)
    assert isinstance(encoder, JEPAModel) and not encoder.training
    assert not any(parameter.requires_grad for parameter in encoder.parameters())
    pretraining = JEPAForPreTraining.from_pretrained(checkpoint)
    for loaded, saved in zip(encoder.parameters(), pretraining.target_encoder.parameters()):
        assert torch.equal(loaded, saved)

    random_init = load_encoder(str(checkpoint), random_init=True, seed=0, device=CPU)
    again = load_encoder(str(checkpoint), random_init=True, seed=0, device=CPU)
    weight = "layers.0.attention.qkv_proj.weight"
    assert torch.equal(random_init.state_dict()[weight], again.state_dict()[weight])
    assert not torch.equal(random_init.state_dict()[weight], encoder.state_dict()[weight])

    assert processor_settings(str(checkpoint), encoder.config) == (16, [0.5] * 3, [0.5] * 3)
    video_config = JEPAConfig(**MICRO, num_frames=4)
    build_processor(video_config, [0.25] * 3, [0.75] * 3).save_pretrained(tmp_path / "video")
    assert processor_settings(str(tmp_path / "video"), video_config) == (16, [0.25] * 3, [0.75] * 3)
    JEPAModel(video_config).save_pretrained(tmp_path / "bare")
    size, mean, std = processor_settings(str(tmp_path / "bare"), video_config)
    assert size == 16 and mean == pytest.approx([0.485, 0.456, 0.406]) and std == pytest.approx([0.229, 0.224, 0.225])


def test_transformers_ijepa_encoder_is_supported(tmp_path):
    config = IJepaConfig(
        image_size=16, patch_size=4, hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64
    )
    IJepaModel(config).save_pretrained(tmp_path)
    encoder = load_encoder(str(tmp_path), device=CPU)
    assert type(encoder).__name__ == "IJepaModel"
    pixel_values = torch.randn(6, 3, 16, 16)
    features = extract_features(
        encoder, tensor_loader(pixel_values, torch.arange(6)), feature_layers=2, progress=False
    )
    with torch.no_grad():
        outputs = encoder(pixel_values, output_hidden_states=True)
    expected = torch.cat([outputs.hidden_states[-2].mean(1), outputs.last_hidden_state.mean(1)], dim=1)
    assert torch.allclose(features.pooled, expected, atol=1e-6)


def test_text_checkpoint_is_not_an_encoder(tmp_path):
    from transformers import BertConfig, BertModel

    BertModel(
        BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    ).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="BertModel takes 'input_ids' as its main input, not pixel values"):
        load_encoder(str(tmp_path), device=CPU)


def test_evaluate_script_end_to_end(checkpoint, tmp_path, monkeypatch, capsys):
    """`scripts/evaluate.py` with a YAML file on 200 / 100 examples of the shipped dataset, with the baselines."""
    config_file = tmp_path / "eval.yaml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            model_name_or_path: {checkpoint}
            output_dir: {tmp_path / "out"}
            cache_dir: {tmp_path / "cache"}
            max_train_samples: 200
            max_eval_samples: 100
            protocols: [knn, linear, attentive]
            baselines: true
            linear_epochs: 5
            attentive_epochs: 2
            """
        )
    )
    monkeypatch.setattr(sys, "argv", ["evaluate.py", str(config_file)])
    runpy.run_path(str(REPO / "scripts" / "evaluate.py"), run_name="__main__")
    records = json.loads((tmp_path / "out" / "eval_results.json").read_text())
    runs = [(record["model"], record["protocol"]) for record in records]
    assert runs == [
        ("trained", "knn"),
        ("trained", "linear"),
        ("trained", "attentive"),
        ("random-init", "knn"),
        ("random-init", "linear"),
        ("random-init", "attentive"),
        ("raw-pixels", "knn"),
        ("raw-pixels", "linear"),
    ]
    for record in records:
        assert record["metric"] == "accuracy" and record["dataset"] == "fashion_mnist_small"
        assert record["split"] == "test" and record["seconds"] >= 0
        assert ("feature_layers" in record) == (record["model"] != "raw-pixels")
        # every accuracy is a whole number of the 100 eval examples
        assert 0 <= record["value"] <= 1 and round(100 * record["value"], 6) == round(100 * record["value"])
    # Fashion-MNIST raw pixels: far above the 10 % of chance, even with 200 training images
    pixels_knn = next(r["value"] for r in records if r["model"] == "raw-pixels" and r["protocol"] == "knn")
    assert pixels_knn > 0.5
    table = capsys.readouterr().out.splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert header == ["model", "protocol", "layers", "accuracy", "effective rank", "seconds"] and len(table) == 10


def colour_folder(path: Path, per_class: int = 12) -> Path:
    """An imagefolder of noisy red and blue squares (a single split)."""
    rng = np.random.default_rng(0)
    for name, channel in (("blue", 2), ("red", 0)):
        (path / name).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 80, size=(20, 20, 3), dtype=np.uint8)
            pixels[..., channel] += 150
            PIL.Image.fromarray(pixels).save(path / name / f"{index}.png")
    return path


def test_single_split_folder_gets_a_seeded_eval_split(checkpoint, tmp_path):
    args = arguments(
        checkpoint, tmp_path, train_dir=str(colour_folder(tmp_path / "images")), protocols=["knn"], baselines=True
    )
    records = evaluate(args)
    assert [record["split"] for record in records] == ["train (held-out 0.2, seed 42)"] * 3
    assert [record["dataset"] for record in records] == [str(tmp_path / "images")] * 3
    assert {record["model"]: record["value"] for record in records}["raw-pixels"] == 1.0
    assert json.loads((tmp_path / "eval" / "eval_results.json").read_text()) == records


def test_video_model_gets_the_attentive_probe_by_default(tmp_path):
    torch.manual_seed(0)
    JEPAModel(JEPAConfig(**MICRO, num_frames=4)).save_pretrained(tmp_path / "video_model")
    rng = np.random.default_rng(0)
    splits = {}
    for split, size in (("train", 24), ("test", 12)):
        labels = np.arange(size) % 2
        videos = (
            rng.integers(0, 60, size=(size, 4, 16, 16, 3), dtype=np.uint8) + 150 * labels[:, None, None, None, None]
        )
        features = datasets.Features(
            {
                "video": datasets.Array4D((4, 16, 16, 3), "uint8"),
                "label": datasets.ClassLabel(names=["dark", "bright"]),
            }
        )
        splits[split] = datasets.Dataset.from_dict(
            {"video": videos.astype(np.uint8), "label": labels}, features=features
        )
    datasets.DatasetDict(splits).save_to_disk(tmp_path / "clips")
    args = arguments(
        tmp_path / "video_model", tmp_path, dataset_name=str(tmp_path / "clips"), frame_step=1, baselines=True
    )
    records = evaluate(args)
    assert [(r["model"], r["protocol"]) for r in records][:3] == [
        ("trained", "knn"),
        ("trained", "linear"),
        ("trained", "attentive"),
    ]
    assert {(r["model"], r["protocol"]): r["value"] for r in records}["raw-pixels", "knn"] == 1.0

    images = arguments(tmp_path / "video_model", tmp_path, train_dir=str(colour_folder(tmp_path / "images")))
    with pytest.raises(
        ValueError, match="Column 'image' holds images but the model is a video model \\(num_frames=4\\)"
    ):
        evaluate(images)


def test_missing_and_non_integer_label_columns_are_clear_errors(checkpoint, tmp_path):
    rng = np.random.default_rng(0)
    images = [PIL.Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)) for _ in range(8)]
    names = ["shirt", "shoe"] * 4
    datasets.Dataset.from_dict({"image": images, "label": names}).cast_column("image", datasets.Image()).save_to_disk(
        tmp_path / "string_labels"
    )
    datasets.Dataset.from_dict({"image": images}).cast_column("image", datasets.Image()).save_to_disk(
        tmp_path / "no_labels"
    )
    with pytest.raises(MissingLabelsError, match=r"no integer label column \(columns: \['image', 'label'\]\)"):
        evaluate(arguments(checkpoint, tmp_path, dataset_name=str(tmp_path / "string_labels")))
    named = arguments(checkpoint, tmp_path, dataset_name=str(tmp_path / "string_labels"), label_column_name="label")
    with pytest.raises(ValueError, match="label_column_name='label' is a column of type Value\\('string'\\)"):
        evaluate(named)
    with pytest.raises(MissingLabelsError, match="name one with --label_column_name"):
        evaluate(arguments(checkpoint, tmp_path, dataset_name=str(tmp_path / "no_labels")))
    missing = arguments(checkpoint, tmp_path, dataset_name=str(tmp_path / "no_labels"), label_column_name="class")
    with pytest.raises(ValueError, match="label_column_name='class' is not a column of the dataset"):
        evaluate(missing)


def test_arguments_parse_from_the_command_line_and_check_their_values():
    parser = HfArgumentParser(EvaluationArguments)
    (args,) = parser.parse_args_into_dataclasses(
        ["--model_name_or_path", "m", "--output_dir", "o", "--protocols", "knn", "attentive", "--baselines"]
    )
    assert args.protocols == ["knn", "attentive"] and args.baselines and args.eval_split == "test"
    assert args.feature_layers == 1 and args.train_split == "train" and not args.trust_remote_code
    with pytest.raises(ValueError, match="protocols must be a non-empty subset of .* got \\['svm'\\]"):
        EvaluationArguments(model_name_or_path="m", output_dir="o", protocols=["svm"])
    with pytest.raises(ValueError, match="feature_layers must be at least 1, got 0"):
        EvaluationArguments(model_name_or_path="m", output_dir="o", feature_layers=0)
    with pytest.raises(ValueError, match="max_eval_samples must be a positive number of examples, got 0"):
        EvaluationArguments(model_name_or_path="m", output_dir="o", max_eval_samples=0)


def classification_data(video: bool, tmp_path: Path, size: int = 48) -> list[dict]:
    if video:
        dataset = make_moving_fashion_mnist(size, num_frames=4, image_size=16, cache_dir=str(tmp_path))
        column, transform = "video", build_transform(16, [0.5] * 3, [0.5] * 3, train=False, num_frames=4, frame_step=1)
    else:
        dataset = load_media_dataset(max_samples=size, cache_dir=str(tmp_path))
        column, transform = "image", build_transform(16, [0.5] * 3, [0.5] * 3, train=False)
    return list(MediaDataset(dataset, column, transform, "label"))


@pytest.mark.parametrize(
    "model_class,pooling,auto_class",
    [
        (JEPAForImageClassification, "mean", AutoModelForImageClassification),
        (JEPAForImageClassification, "attentive", AutoModelForImageClassification),
        (JEPAForVideoClassification, "attentive", AutoModelForVideoClassification),
    ],
    ids=["image-mean", "image-attentive", "video-attentive"],
)
def test_classification_head_trains_with_a_frozen_encoder(tmp_path, model_class, pooling, auto_class):
    video = model_class is JEPAForVideoClassification
    examples = classification_data(video, tmp_path)
    config = JEPAConfig(**MICRO, num_frames=4 if video else 1, num_labels=10, classifier_pooling=pooling)
    torch.manual_seed(0)
    model = model_class(config)
    model.target_encoder.requires_grad_(False)
    encoder_before = {name: value.clone() for name, value in model.target_encoder.state_dict().items()}
    pixel_values = torch.stack([example["pixel_values"] for example in examples])
    labels = torch.tensor([example["labels"] for example in examples])

    def loss() -> float:
        with torch.no_grad():
            return model.eval()(pixel_values, labels=labels).loss.item()

    initial = loss()
    training_args = TrainingArguments(
        output_dir=str(tmp_path / "trainer"),
        max_steps=150,
        per_device_train_batch_size=16,
        learning_rate=3e-2,
        lr_scheduler_type="constant",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    Trainer(model=model, args=training_args, train_dataset=examples).train()
    assert loss() < 0.9 * initial
    for name, value in model.target_encoder.state_dict().items():
        assert torch.equal(value, encoder_before[name]), name

    model.save_pretrained(tmp_path / "classifier")
    reloaded = auto_class.from_pretrained(tmp_path / "classifier").eval()
    assert type(reloaded) is model_class and reloaded.config.classifier_pooling == pooling
    with torch.no_grad():
        assert torch.allclose(reloaded(pixel_values).logits, model.eval()(pixel_values).logits, atol=1e-6)


def test_pretraining_hooks_agree_with_evaluate(checkpoint, tmp_path, caplog):
    from accelerate import PartialState

    from hf_jepa.training.pretraining import PretrainingArguments, evaluate_after_pretraining, make_step_evaluator

    PartialState()  # the training loop's logger is Accelerate's

    shutil.copytree(checkpoint, tmp_path / "run")
    pretraining_args = PretrainingArguments(
        output_dir=str(tmp_path / "run"),
        max_eval_samples=60,
        per_device_train_batch_size=32,
        dataloader_num_workers=0,
        cache_dir=str(tmp_path / "cache"),
        eval_baselines=False,
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
    )
    evaluator = make_step_evaluator(pretraining_args, JEPAConfig(**MICRO))
    encoder = load_encoder(str(tmp_path / "run"), device=CPU).train()
    during_training = evaluator(encoder)
    assert encoder.training

    records = evaluate_after_pretraining(pretraining_args)
    assert [(record["model"], record["protocol"]) for record in records] == [("trained", "knn"), ("trained", "linear")]
    assert records[0]["value"] == during_training
    assert json.loads((tmp_path / "run" / "eval_results.json").read_text()) == records

    images = [PIL.Image.new("RGB", (16, 16), (index, 0, 0)) for index in range(4)]
    datasets.Dataset.from_dict({"image": images}).cast_column("image", datasets.Image()).save_to_disk(
        tmp_path / "unlabelled"
    )
    pretraining_args.dataset_name = str(tmp_path / "unlabelled")
    with caplog.at_level("WARNING"):
        assert evaluate_after_pretraining(pretraining_args) is None
    assert "No evaluation at the end of pretraining: The dataset has no integer label column" in caplog.text


def test_unlabelled_examples_are_a_clear_error():
    features = Features(pooled=torch.randn(4, 3), labels=torch.tensor([0, 1, -1, 1]))
    args = EvaluationArguments(model_name_or_path="m", output_dir="o")
    with pytest.raises(
        ValueError, match=r"The train split has labels in \[-1, 1\], outside the class indices \[0, 2\)"
    ):
        run_protocols(["knn"], features, features, num_classes=2, args=args)
