# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The model card of a checkpoint folder, written to its `README.md`: `write_model_card` for a JEPA encoder (rendered
from the template `jepa_model_card.md` beside this module), `write_world_model_card` for a world model."""

import json
import math
from pathlib import Path

import torch
from huggingface_hub import EvalResult, ModelCard, ModelCardData
from huggingface_hub.utils import validate_repo_id

from ..configuration_jepa import REGULARIZERS, JEPAConfig
from ..configuration_world_model import JEPAWorldModelConfig
from ..masking import masking_parameters
from ..modeling_jepa import JEPAForPreTraining
from ..tables import REPORTED_MODELS
from .run_files import is_credential, read_json, read_training_arguments

# Shipped as package data of hf_jepa.hub (see pyproject.toml)
MODEL_CARD_TEMPLATE = Path(__file__).with_name("jepa_model_card.md")
# What a converted folder was converted from, kept beside the weights so that a card rewritten later still says it
CONVERSION_FILE = "conversion.json"


def _is_hub_id(name: str) -> bool:
    """Whether `name` reads as a Hub repository id rather than a local path."""
    try:
        validate_repo_id(name)
    except ValueError:
        return False
    return not Path(name).exists()


def _public_name(name: str) -> str:
    """A dataset or checkpoint as a public card names it: a Hub id as is, a local path by its last part."""
    return name if _is_hub_id(name) else Path(name).name


def _check_eval_results(eval_results: list[dict]) -> list[dict]:
    if not isinstance(eval_results, list):
        raise ValueError(f"eval_results must be a list of records, got {type(eval_results).__name__}.")
    for index, record in enumerate(eval_results):
        problems = []
        if not isinstance(record, dict):
            problems.append("it is not a dict")
        else:
            for key in ("metric", "dataset"):
                if not isinstance(record.get(key), str) or not record[key]:
                    problems.append(f"{key!r} must be a non-empty string")
            value = record.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append("'value' must be a finite number")
        if problems:
            raise ValueError(f"eval_results[{index}] = {record!r} is invalid: {'; '.join(problems)}.")
    return eval_results


def _count_parameters(config: JEPAConfig) -> dict[str, int]:
    # Built on the meta device: exact counts for any model size without allocating its weights.
    with torch.device("meta"):
        model = JEPAForPreTraining(config)
    parts = {name: sum(p.numel() for p in module.parameters()) for name, module in model.named_children()}
    return {
        "encoder": parts["target_encoder"],
        "predictor": parts.get("predictor", 0),
        "projector": parts.get("projector", 0),
        "pretraining": sum(parts.values()),
    }


def _format_number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _public_value(value) -> str:
    """A training argument as the public card shows it: absolute paths of this machine by their last part only."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, str) and Path(value).is_absolute():
        return f".../{Path(value).name}"
    return _format_number(value)


def _format_duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"


def _architecture_rows(config: JEPAConfig, parameters: dict[str, int]) -> list[tuple[str, str]]:
    time, height, width = config.grid_size
    rows = [("Input", f"{config.image_size}x{config.image_size} px, {config.num_channels} channels")]
    if config.is_video:
        rows.append(("Clip", f"{config.num_frames} frames, tubelets of {config.tubelet_size} frames"))
        rows.append(
            ("Token grid", f"{time}x{height}x{width} = {config.num_patches} tubelets of {config.patch_size} px")
        )
    else:
        rows.append(("Token grid", f"{height}x{width} = {config.num_patches} patches of {config.patch_size} px"))
    rows.append(
        (
            "Encoder",
            f"ViT, width {config.hidden_size}, depth {config.num_hidden_layers}, {config.num_attention_heads} heads, "
            f"MLP ratio {config.mlp_ratio}, {config.position_embedding_type} positions, no CLS token",
        )
    )
    parts = ["context encoder", "target encoder"]
    if config.objective != "multiview":
        predictor = f"width {config.pred_hidden_size}, depth {config.pred_num_hidden_layers}"
        rows.append(("Predictor", f"ViT, {predictor}, {config.pred_num_attention_heads} heads"))
        parts.append("predictor")
    if config.objective != "masked":
        projector = f"{config.hidden_size} → {config.projector_hidden_size} → {config.projector_dim}"
        rows.append(("Projector", f"MLP {projector} with BatchNorm, used by the loss only"))
        parts.append("projector")
    rows.append(("Encoder parameters", f"{parameters['encoder']:,}"))
    rows += [(f"{part.capitalize()} parameters", f"{parameters[part]:,}") for part in parts[2:]]
    rows.append(("Pretraining parameters", f"{parameters['pretraining']:,} ({' + '.join(parts)})"))
    return rows


def _objective_rows(config: JEPAConfig) -> list[tuple[str, str]]:
    rows = [("Objective", config.objective)]
    if config.objective != "multiview":
        rows += [
            ("Loss", f"{config.loss_type} between predicted and target-encoder features"),
            ("Target layer norm", str(config.normalize_targets)),
            ("Masking", config.mask_strategy),
        ]
        rows += [(name, _format_number(value)) for name, value in masking_parameters(config).items()]
    if config.objective != "masked":
        rows.append(("Invariance", f"{_format_number(config.invariance_weight)} x MSE to the global views' mean"))
    rows += [
        (name, _format_number(getattr(config, name))) for name in REGULARIZERS.values() if getattr(config, name) > 0
    ]
    return rows


def _summary_rows(training_summary: dict) -> list[tuple[str, str]]:
    labels = {
        "steps": "Optimisation steps",
        "global_batch_size": "Global batch size",
        "wall_time_seconds": "Wall time",
        "hardware": "Hardware",
        "final_loss": "Final loss",
    }
    rows = []
    for key, value in training_summary.items():
        if value is not None:
            text = _format_duration(value) if key == "wall_time_seconds" else _public_value(value)
            rows.append((labels.get(key, key), text))
    return rows


def _evaluation_table(eval_results: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Pivots the records into one row per (dataset, split, protocol, metric, feature layers) and one column per
    model, so that the trained model's numbers stand beside the baselines'. A record without `feature_layers` (the
    raw-pixels baseline) fills every row of its dataset, split, protocol and metric."""
    models = sorted(
        {record.get("model", "trained") for record in eval_results},
        key=lambda name: (REPORTED_MODELS.index(name) if name in REPORTED_MODELS else len(REPORTED_MODELS), name),
    )
    rows: dict[tuple, dict[str, str]] = {}
    layered = [record for record in eval_results if "feature_layers" in record]
    unlayered = [record for record in eval_results if "feature_layers" not in record]
    for record in layered + unlayered:
        task = (
            _public_name(record["dataset"]),
            *(str(record.get(name, "")) for name in ("split", "protocol", "metric")),
        )
        if "feature_layers" in record:
            keys = [(*task, str(record["feature_layers"]))]
        else:
            keys = [key for key in rows if key[:4] == task] or [(*task, "")]
        for key in keys:
            rows.setdefault(key, {})[record.get("model", "trained")] = _format_number(record["value"])
    table = [list(key) + [by_model.get(model, "") for model in models] for key, by_model in rows.items()]
    return models, table


def _model_index(eval_results: list[dict], is_video: bool) -> list[EvalResult]:
    task = "video-classification" if is_video else "image-classification"
    results = []
    for record in eval_results:
        if record.get("model", "trained") != "trained":
            continue
        protocol = record.get("protocol")
        results.append(
            EvalResult(
                task_type=task,
                dataset_type=_public_name(record["dataset"]),
                dataset_name=_public_name(record["dataset"]),
                dataset_split=record.get("split"),
                metric_type=record["metric"],
                metric_value=record["value"],
                metric_name=f"{protocol} {record['metric']}" if protocol else record["metric"],
            )
        )
    return results


def _training_summary(output_dir: Path, training_summary: dict | None) -> dict:
    """The run's facts: those passed in are saved to training_summary.json, so that re-rendering the card later (after
    an evaluation) keeps them; otherwise they are read from it."""
    if training_summary is None:
        return read_json(output_dir / "training_summary.json", {})
    (output_dir / "training_summary.json").write_text(json.dumps(training_summary, indent=2) + "\n")
    return training_summary


def _hyperparameter_rows(training_args: dict) -> list[tuple[str, str]]:
    """The training arguments as (name, value) rows, credentials left out."""
    return [(key, _public_value(value)) for key, value in sorted(training_args.items()) if not is_credential(key)]


def _card_repo_id(repo_id: str | None, training_args: dict, output_dir: Path) -> str:
    """What a card's usage examples load: `repo_id`, else the run's `hub_model_id`, else the folder's path."""
    return repo_id or training_args.get("hub_model_id") or str(output_dir)


def _model_name(repo_id: str) -> str:
    """The model's name on its card: the last part of its repository id."""
    return repo_id.rstrip("/").split("/")[-1]


def _save_card(data: ModelCardData, lines: list[str], path: Path) -> ModelCard:
    """The card made of `data` (its YAML metadata) and the text `lines`, saved to `path`."""
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
    card.save(path)
    return card


def _card_config(output_dir: Path, config: JEPAConfig | None) -> JEPAConfig:
    """`config`, or the one saved in `output_dir`; `output_dir` must exist either way (the card is written there)."""
    if not output_dir.is_dir():
        raise ValueError(f"output_dir {str(output_dir)!r} is not a directory.")
    if config is not None:
        return config
    if not (output_dir / "config.json").is_file():
        raise ValueError(f"No config.json in {output_dir}: save the model there first, or pass config=.")
    return JEPAConfig.from_pretrained(output_dir)


def _card_metadata(
    config: JEPAConfig, name: str, hub_datasets: list[str], hub_base_model: str | None, eval_results: list[dict]
) -> ModelCardData:
    """The card's YAML metadata: licence, library, tags, Hub datasets, pipeline tag, base model, `model-index`."""
    pipeline_tag = "feature-extraction" if config.is_video else "image-feature-extraction"
    return ModelCardData(
        license="apache-2.0",
        library_name="transformers",
        tags=[
            "jepa",
            "self-supervised-learning",
            "hf-jepa",
            "video" if config.is_video else "image-feature-extraction",
        ],
        datasets=hub_datasets or None,
        pipeline_tag=pipeline_tag,
        base_model=hub_base_model,
        model_name=name,
        eval_results=_model_index(eval_results, config.is_video) or None,
    )


def _card_sources(
    output_dir: Path, training_args: dict, datasets: list[str] | None, base_model: str | None
) -> dict[str, list[str] | str | None]:
    """The data and checkpoint the model comes from, as the template names them: `datasets` and `base_model`, else
    the run's `dataset_name` or `train_dir` and what the card already in `output_dir` says. Hub ids go into the
    metadata; local data and checkpoints are named in the text by their last path part only."""
    previous = ModelCard.load(output_dir / "README.md").data if (output_dir / "README.md").is_file() else None
    if datasets is None:
        source = training_args.get("dataset_name") or training_args.get("train_dir")
        datasets = [source] if isinstance(source, str) else (previous.datasets if previous else None) or []
    if base_model is None and previous is not None:
        base_model = previous.base_model
    hub_base_model = base_model if base_model and _is_hub_id(base_model) else None
    return {
        "hub_datasets": [name for name in datasets if _is_hub_id(name)],
        "local_datasets": [_public_name(name) for name in datasets if not _is_hub_id(name)],
        "hub_base_model": hub_base_model,
        "local_base_model": _public_name(base_model) if base_model and not hub_base_model else None,
    }


def _model_description(config: JEPAConfig) -> dict:
    """What the template says of the model itself, from its config: family, architecture and objective."""
    return {
        "is_video": config.is_video,
        "is_pretraining_checkpoint": "JEPAForPreTraining" in (config.architectures or []),
        "config": config,
        "family": "V-JEPA" if config.is_video else "I-JEPA",
        "architecture": _architecture_rows(config, _count_parameters(config)),
        "objective": _objective_rows(config),
    }


def write_model_card(
    output_dir: str | Path,
    *,
    config: JEPAConfig | None = None,
    training_args: dict | None = None,
    eval_results: list[dict] | None = None,
    base_model: str | None = None,
    datasets: list[str] | None = None,
    training_summary: dict | None = None,
    repo_id: str | None = None,
    template_path: str | Path | None = None,
) -> ModelCard:
    """Renders the model card of the checkpoint in `output_dir` and writes it to `output_dir/README.md`.

    Arguments left `None` are read from the folder: `config.json`, `training_args.json`, `eval_results.json` (a list
    of records `{"metric", "value", "dataset", "split", "protocol", "model", "feature_layers", "seconds"}`, where
    `model` is `"trained"` or a baseline such as `"random-init"` / `"raw-pixels"`) and `training_summary.json`
    (`{"steps", "global_batch_size", "wall_time_seconds", "hardware", "final_loss"}`). A `training_summary` passed in
    is saved to `training_summary.json`, so that re-rendering the card later (after an evaluation) keeps it; for the
    same reason `base_model` and `datasets` default to what the existing card says. `repo_id` (default: the
    `hub_model_id` training argument, else the folder's path) is the name the usage examples load.

    Returns the `huggingface_hub.ModelCard`; its metadata carries license, library, tags, datasets, pipeline tag,
    base model and the `model-index` of the trained model's evaluation results.
    """
    output_dir = Path(output_dir)
    config = _card_config(output_dir, config)
    training_args = read_training_arguments(output_dir) if training_args is None else training_args
    eval_results = read_json(output_dir / "eval_results.json", []) if eval_results is None else eval_results
    eval_results = _check_eval_results(eval_results)
    training_summary = _training_summary(output_dir, training_summary)
    sources = _card_sources(output_dir, training_args, datasets, base_model)
    repo_id = _card_repo_id(repo_id, training_args, output_dir)
    name = _model_name(repo_id)

    template_path = Path(template_path or MODEL_CARD_TEMPLATE)
    if not template_path.is_file():
        raise FileNotFoundError(f"Model card template {template_path} not found.")
    models, evaluation_rows = _evaluation_table(eval_results)
    card = ModelCard.from_template(
        _card_metadata(config, name, sources["hub_datasets"], sources["hub_base_model"], eval_results),
        template_path=str(template_path),
        model_name=name,
        repo_id=repo_id,
        **_model_description(config),
        **sources,
        training_summary=_summary_rows(training_summary),
        hyperparameters=_hyperparameter_rows(training_args),
        evaluation_models=models,
        evaluation_rows=evaluation_rows,
    )
    card.save(output_dir / "README.md")
    return card


def record_conversion(output_dir: str | Path, source: str | Path, source_format: str, target_format: str) -> dict:
    """Writes `output_dir/conversion.json`: `{"source", "source_format", "target_format", "source_on_hub"}`, the source
    as a public card names it (a Hub id as is, a local checkpoint by its last path part). Returns the record."""
    conversion = dict(
        source=_public_name(str(source)),
        source_format=source_format,
        target_format=target_format,
        source_on_hub=_is_hub_id(str(source)),
    )
    (Path(output_dir) / CONVERSION_FILE).write_text(json.dumps(conversion, indent=2) + "\n")
    return conversion


def _conversion_text(conversion: dict) -> str:
    source, source_format, target_format = (conversion[key] for key in ("source", "source_format", "target_format"))
    return (
        f"Converted with hf_jepa from the {source_format} checkpoint `{source}` to the {target_format} format: "
        f"`hf-jepa convert --source {source} --source_format {source_format} --target_format {target_format}`."
    )


def _converted_from(conversion: dict | None) -> str | None:
    """The conversion's source as a card's `base_model`: only a Hub id."""
    return conversion["source"] if conversion and conversion["source_on_hub"] else None


def write_conversion_card(
    output_dir: str | Path, source: str | Path, source_format: str, target_format: str, overwrite: bool = False
) -> ModelCard | None:
    """Records the conversion (`record_conversion`) and writes the converted folder's card: where it was converted
    from, in which format, with the source as `base_model` where it is a Hub id. A `README.md` already in the folder
    is kept unless `overwrite` (None is returned then)."""
    conversion = record_conversion(output_dir, source, source_format, target_format)
    path = Path(output_dir) / "README.md"
    if path.is_file() and not overwrite:
        return None
    data = ModelCardData(
        library_name="transformers",
        license="apache-2.0",
        tags=["jepa", "hf_jepa", "converted"],
        base_model=_converted_from(conversion),
    )
    return _save_card(data, [f"# {Path(output_dir).name}", "", _conversion_text(conversion)], path)


def _bullets(rows: list[tuple[str, str]]) -> list[str]:
    return [f"- {label}: {value}" for label, value in rows]


def _world_model_overview(config: JEPAWorldModelConfig, dataset: str | None, conversion: dict | None) -> list[str]:
    """What the world model is, where it comes from (its conversion, its training data) and what actions it takes."""
    encoder = config.encoder_config
    origin = [_conversion_text(conversion)] if conversion else []
    if dataset or not conversion:
        origin.append(f"Trained on {_public_name(dataset) if dataset else 'recorded episodes'}.")
    return [
        "An action-conditioned JEPA world model: a frame encoder "
        f"({encoder.hidden_size} wide, {encoder.num_hidden_layers} layers, {encoder.image_size} px), an action "
        f"encoder and a block-causal predictor ({config.predictor_num_hidden_layers} layers over "
        f"{config.history_length} frames of {config.embedding_type} embeddings) predicting the next frame's latent.",
        *origin,
        f"Actions of {config.action_dim} values, "
        + ("normalised with the statistics saved in `config.json`." if config.action_mean else "taken as they are."),
    ]


def _world_model_usage(repo_id: str) -> list[str]:
    """How to load the world model from `repo_id` and plan with it."""
    return [
        "```python",
        "import hf_jepa",
        "from transformers import AutoModel",
        f'model = AutoModel.from_pretrained("{repo_id}")  # or trust_remote_code=True without hf_jepa',
        "# plan: hf_jepa.planning.MPCController.from_world_model(model, hf_jepa.CEMPlanner(...), goal_pixels)",
        "```",
    ]


def write_world_model_card(
    output_dir: str | Path,
    config: JEPAWorldModelConfig | None = None,
    training_args: dict | None = None,
    training_summary: dict | None = None,
    planning_results: dict | None = None,
    repo_id: str | None = None,
) -> ModelCard:
    """The model card of a `JEPAWorldModel` checkpoint, written to `output_dir/README.md`: what it is, how to load and
    plan with it, the training facts and, when `planning_results.json` is in the folder (written by
    `hf-jepa evaluate-planning`), the planning results, and for a converted model (`conversion.json`, written by
    `record_conversion`) where it was converted from. Arguments left `None` are read from the folder."""
    output_dir = Path(output_dir)
    config = config or JEPAWorldModelConfig.from_pretrained(output_dir)
    training_args = read_training_arguments(output_dir) if training_args is None else training_args
    training_summary = _training_summary(output_dir, training_summary)
    if planning_results is None:
        planning_results = read_json(output_dir / "planning_results.json", None)
    conversion = read_json(output_dir / CONVERSION_FILE, None)
    repo_id = _card_repo_id(repo_id, training_args, output_dir)
    dataset = training_args.get("dataset_name")

    lines = [f"# {_model_name(repo_id)}", "", *_world_model_overview(config, dataset, conversion), ""]
    lines += [*_world_model_usage(repo_id), "", "## Training", "", *_bullets(_summary_rows(training_summary))]
    if planning_results:
        lines += ["", "## Planning", "", planning_results.get("table", "")]
    lines += ["", "## Hyperparameters", "", *_bullets(_hyperparameter_rows(training_args))]
    data = ModelCardData(
        library_name="hf_jepa",
        license="apache-2.0",
        tags=["jepa", "world-model", "planning", "hf_jepa"],
        datasets=[dataset] if dataset and _is_hub_id(dataset) else None,
        base_model=_converted_from(conversion),
    )
    return _save_card(data, lines, output_dir / "README.md")


__all__ = [
    "CONVERSION_FILE",
    "MODEL_CARD_TEMPLATE",
    "record_conversion",
    "write_conversion_card",
    "write_model_card",
    "write_world_model_card",
]
