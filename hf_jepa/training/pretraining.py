# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA pretraining: `hf_jepa.pretrain(PretrainingArguments(...))`.

The pretraining job that the engine (`engine.train`) runs: the model (a preset, a config or a checkpoint to continue
from), augmented batches with the masks `JEPAMaskCollator` draws, an EMA target encoder, the kNN probe during
training (`--eval_steps`), a loadable model pushed with each checkpoint (`hub_strategy="every_save"`), and at the end
the image/video processor, the probes and the model card beside the saved weights.
"""

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.logging import get_logger
from torch.utils.data import DataLoader

from .. import data
from ..configuration_jepa import JEPA_PRESETS, JEPAConfig
from ..data import build_processor
from ..evaluation import (
    EvaluationArguments,
    MissingLabelsError,
    build_labelled_data,
    evaluate,
    knn_accuracy_during_training,
)
from ..hub.cards import write_model_card
from ..hub.upload import push_to_hub
from ..masking import JEPAMaskCollator, sample_masks
from ..modeling_jepa import JEPAForPreTraining, JEPAForPreTrainingOutput, JEPAModel
from .arguments import TrainingLoopArguments, apply_config_overrides, public_arguments
from .engine import (
    RUN_FACTS,
    Job,
    check_one_batch_per_process,
    epoch_batches,
    loader_generator,
    log_metrics,
    target_spread,
    train,
)
from .state import TrainingState

logger = get_logger(__name__)


@dataclass
class PretrainingArguments(TrainingLoopArguments):
    """How a JEPA model is pretrained: the data, optimisation, logging and sharing settings of
    [`TrainingLoopArguments`], then the model, augmentation, EMA schedule and evaluation. Parsed by `HfArgumentParser`
    from the command line or a YAML/JSON file."""

    # What is trained
    config_name_or_path: str = field(
        default="tiny",
        metadata={
            "help": "A preset name (tiny, small, base, large, huge, NAME-video), a config.json, or a checkpoint "
            "folder to continue pretraining from."
        },
    )

    # Augmentation and normalisation of the training data
    crop_scale: list[float] = field(default_factory=lambda: [0.3, 1.0], metadata={"help": "RandomResizedCrop scale."})
    horizontal_flip: bool = field(default=False, metadata={"help": "Random horizontal flips."})
    color_jitter: float = field(
        default=0.0, metadata={"help": "Strength of the brightness/contrast/saturation jitter; 0 disables it."}
    )
    blur_probability: float = field(default=0.0, metadata={"help": "Probability of a Gaussian blur of a view."})
    num_global_views: int | None = field(
        default=None,
        metadata={
            "help": "Augmented views per sample at the model's resolution: 1 for the masked objective, 2 by default "
            "for the multi-view and hybrid objectives."
        },
    )
    num_local_views: int = field(
        default=0, metadata={"help": "Lower-resolution views per sample (multi-view and hybrid objectives)."}
    )
    local_crop_scale: list[float] = field(
        default_factory=lambda: [0.05, 0.3], metadata={"help": "RandomResizedCrop scale of the local views."}
    )
    local_image_size: int | None = field(
        default=None, metadata={"help": "Side of the local views; defaults to half the model's, in whole patches."}
    )
    image_mean: list[float] = field(default_factory=lambda: list(data.DEFAULT_IMAGE_MEAN))
    image_std: list[float] = field(default_factory=lambda: list(data.DEFAULT_IMAGE_STD))
    max_bad_fraction: float = field(
        default=0.01, metadata={"help": "Stop with an error when more than this fraction of samples is undecodable."}
    )

    # Target encoder (EMA) and evaluation
    ema_momentum: float = field(default=0.996, metadata={"help": "EMA momentum of the target encoder at the start."})
    final_ema_momentum: float = field(default=1.0, metadata={"help": "EMA momentum at the end (linear schedule)."})
    eval_steps: int | None = field(default=None, metadata={"help": "Run the kNN probe every N steps."})
    do_eval: bool = field(default=True, metadata={"help": "Probe the trained encoder at the end (labelled data)."})
    eval_baselines: bool = field(default=True, metadata={"help": "Also probe a random-init encoder and raw pixels."})

    # V-JEPA 2.1's context loss
    context_loss_warmup_start: int = field(
        default=0,
        metadata={
            "help": "V-JEPA 2.1's warm-up of the context loss: its weight is 0 before this step, then rises linearly "
            "to the config's context_loss_weight over context_loss_warmup_steps and holds (official: 15000 and 15000)."
            " Both 0: no warm-up."
        },
    )
    context_loss_warmup_steps: int = field(
        default=0, metadata={"help": "Steps of the context loss weight's linear rise (see context_loss_warmup_start)."}
    )

    def __post_init__(self):
        super().__post_init__()
        for name in ("crop_scale", "local_crop_scale"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1] <= 1:
                raise ValueError(f"{name} must be two numbers 0 < low <= high <= 1, got {low_high}.")
        if (self.num_global_views is not None and self.num_global_views < 1) or self.num_local_views < 0:
            raise ValueError(
                f"num_global_views must be >= 1 and num_local_views >= 0, got {self.num_global_views} and "
                f"{self.num_local_views}."
            )
        if self.context_loss_warmup_start < 0 or self.context_loss_warmup_steps < 0:
            raise ValueError(
                f"context_loss_warmup_start ({self.context_loss_warmup_start}) and context_loss_warmup_steps "
                f"({self.context_loss_warmup_steps}) must be at least 0."
            )

    @property
    def warms_up_context_loss(self) -> bool:
        return bool(self.context_loss_warmup_start or self.context_loss_warmup_steps)

    def warmed_up_context_loss_weight(self, weight: float, step: int) -> float:
        """The context loss weight of optimiser step `step` (counted from 0) as V-JEPA 2.1 warms `weight` up: 0 before
        `context_loss_warmup_start`, then linear to `weight` over `context_loss_warmup_steps`, then `weight`."""
        if step < self.context_loss_warmup_start:
            return 0.0
        rise = self.context_loss_warmup_steps
        return weight * min(1.0, (step - self.context_loss_warmup_start) / rise if rise else 1.0)


def build_model(args: PretrainingArguments) -> tuple[JEPAForPreTraining, str | None]:
    """The model to pretrain, and the checkpoint it continues from (None for a fresh model)."""
    source = args.config_name_or_path
    overrides = dict(attn_implementation=args.attn_implementation)
    if source in JEPA_PRESETS:
        config = JEPAConfig.from_preset(source, **overrides)
    elif os.path.isfile(source):
        config = JEPAConfig.from_json_file(source)
        config._attn_implementation = args.attn_implementation
    elif os.path.isfile(os.path.join(source, "config.json")):
        config = JEPAConfig.from_pretrained(source, **overrides)
    else:
        raise ValueError(
            f"config_name_or_path {source!r} is neither a preset ({', '.join(JEPA_PRESETS)}), a config.json, nor a "
            "folder with a config.json."
        )
    if args.config_overrides:
        apply_config_overrides(config, args.config_overrides)
        config = JEPAConfig(**config.to_dict())  # validates the overridden values

    has_weights = os.path.isdir(source) and any(Path(source).glob("*.safetensors"))
    if not has_weights:
        return JEPAForPreTraining(config), None
    if "JEPAForPreTraining" in (config.architectures or []):
        model = JEPAForPreTraining.from_pretrained(source, config=config)
    else:  # an encoder only: both encoders start from it, the predictor is new
        model = JEPAForPreTraining(config)
        encoder = JEPAModel.from_pretrained(source, config=config)
        model.context_encoder.load_state_dict(encoder.state_dict())
        model.target_encoder.load_state_dict(encoder.state_dict())
    return model, source


def training_transform(
    args: PretrainingArguments, config: JEPAConfig
) -> data.ImageTransform | data.VideoTransform | data.MultiViewTransform:
    """The augmentation of pretraining: random-resized crop (+ flip, colour jitter, blur), normalisation; one crop per
    clip for video. The multi-view and hybrid objectives get `num_global_views` such views of each sample at the
    model's resolution and `num_local_views` smaller ones of `local_crop_scale`."""

    def view(image_size: int, crop_scale: list[float]) -> data.ImageTransform | data.VideoTransform:
        return data.build_transform(
            image_size,
            args.image_mean,
            args.image_std,
            train=True,
            crop_scale=tuple(crop_scale),
            horizontal_flip=args.horizontal_flip,
            color_jitter=args.color_jitter,
            blur_probability=args.blur_probability,
            num_frames=config.num_frames,
            frame_step=args.frame_step,
        )

    if config.objective == "masked":
        if (args.num_global_views or 1) != 1 or args.num_local_views:
            raise ValueError(
                f"num_global_views={args.num_global_views} and num_local_views={args.num_local_views} need the "
                "'multiview' or 'hybrid' objective (config_overrides objective=...); the masked objective takes one "
                "view per sample."
            )
        return view(config.image_size, args.crop_scale)
    num_global_views = args.num_global_views or 2
    if num_global_views + args.num_local_views < 2:
        raise ValueError(
            f"The {config.objective!r} objective compares views of a sample: num_global_views ({num_global_views}) + "
            f"num_local_views ({args.num_local_views}) must be at least 2."
        )
    local_size = args.local_image_size or max(1, config.image_size // 2 // config.patch_size) * config.patch_size
    if local_size % config.patch_size:
        raise ValueError(f"local_image_size ({local_size}) must be a multiple of patch_size ({config.patch_size}).")
    local_view = view(local_size, args.local_crop_scale) if args.num_local_views else None
    return data.MultiViewTransform(
        view(config.image_size, args.crop_scale), num_global_views, local_view, args.num_local_views
    )


@dataclass
class TrainingData:
    """What the loop reads: the loader, the torch dataset behind it (for `set_epoch`), its media column and the name
    of the data for the model card."""

    loader: DataLoader
    dataset: data.MediaDataset | data.StreamingMediaDataset
    column: str
    name: str | None


def build_training_data(args: PretrainingArguments, config: JEPAConfig, accelerator: Accelerator) -> TrainingData:
    """The training split as augmented batches; a streamed dataset is split between the processes here."""
    dataset, column = data.load_media_split(
        args, args.train_split, config.num_frames, max_samples=args.max_train_samples, streaming=args.streaming
    )
    transform = training_transform(args, config)
    if args.streaming:
        if args.max_steps <= 0:
            raise ValueError("A streamed dataset has no length: set --max_steps.")
        dataset = data.split_by_process(dataset, accelerator.process_index, accelerator.num_processes)
        train_data = data.StreamingMediaDataset(dataset, column, transform, process_index=accelerator.process_index)
    else:
        check_one_batch_per_process(f"The dataset has {len(dataset)} samples", len(dataset), args, accelerator)
        train_data = data.MediaDataset(dataset, column, transform, seed=args.seed)
    loader = DataLoader(
        train_data,
        batch_size=args.per_device_train_batch_size,
        shuffle=not args.streaming,
        drop_last=True,
        num_workers=args.dataloader_num_workers,
        # masks drawn in the workers; several processes keep their batches of one size
        collate_fn=JEPAMaskCollator(
            config, args.seed, data.collate_skipping_bad, keep_batch_size=accelerator.num_processes > 1
        ),
        generator=loader_generator(args.seed),
    )
    name = data.dataset_name_or_default(args, config.is_video) or args.train_dir
    return TrainingData(loader, train_data, column, name)


def pretraining_inputs(batch: dict, device: torch.device) -> dict:
    """The model's inputs in a batch of `JEPAMaskCollator` (pixels or views, and the masks it drew), on `device`."""
    inputs = {name: batch[name].to(device) for name in ("pixel_values", "local_pixel_values") if name in batch}
    for name in ("context_mask", "target_mask"):
        if name in batch:
            inputs[name] = [mask.to(device) for mask in batch[name]]
    return inputs


def count_undecodable(
    accelerator: Accelerator, args: PretrainingArguments, column: str, state: TrainingState, batch: dict
) -> bool:
    """Counts a batch's undecodable samples (and stops the run when there are too many); whether to train on it. A
    batch of only undecodable samples is skipped by one process, and stops several: the others would wait for it."""
    state.samples_skipped += batch["num_skipped"]
    if batch["num_skipped"]:
        state.last_skipped = f"{batch['skipped_ids'][0]} ({batch['skipped_errors'][0]})"
    if state.samples_skipped:
        data.check_bad_fraction(
            state.samples_skipped, state.samples_seen, args.max_bad_fraction, column, state.last_skipped
        )
    if len(batch["pixel_values"]):
        return True
    if accelerator.num_processes > 1:
        raise ValueError(
            f"Every sample of a batch of process {accelerator.process_index} is undecodable (the last: "
            f"{state.last_skipped}): one process of {accelerator.num_processes} cannot skip a step. Remove the "
            "broken samples from the data."
        )
    return False


def log_masking(accelerator: Accelerator, config: JEPAConfig) -> None:
    """Reports the objective, and the average share of the token grid that the context and each target block keep."""
    if config.objective == "multiview":
        accelerator.print("Objective 'multiview': invariance across augmented views and regularisers, no masks")
        return
    draws = [sample_masks(config, 64, torch.Generator().manual_seed(seed)) for seed in range(8)]
    context = sum(contexts[0].shape[1] for contexts, _ in draws) / len(draws) / config.num_patches
    target = sum(targets[0].shape[1] for _, targets in draws) / len(draws) / config.num_patches
    accelerator.print(
        f"Objective {config.objective!r}, masking {config.mask_strategy!r} on a "
        f"{'x'.join(map(str, config.grid_size))} token grid: context "
        f"{context:.0%} of the tokens, {len(draws[0][1])} target block(s) of {target:.0%} each"
    )


def evaluation_arguments(args: PretrainingArguments, **overrides) -> EvaluationArguments:
    """The probes' settings for the data this run trained on: its `DataArguments`, the saved model, the baselines."""
    values = asdict(args.data_arguments())
    # the probes after pretraining train on at most `max_eval_samples` examples too, and read map-style splits
    values.update(max_train_samples=args.max_eval_samples, streaming=False)
    values.update(model_name_or_path=args.output_dir, output_dir=args.output_dir, baselines=args.eval_baselines)
    return EvaluationArguments(**{**values, **overrides})


def step_knn_accuracy(accelerator: Accelerator, model: torch.nn.Module, evaluator: Callable) -> float:
    """`--eval_steps`: every process runs the evaluator on the same data. Under FSDP the sharded target encoder's
    forward is a collective; under DDP a process left waiting at the next step's all-reduce could time out. FSDP2
    keeps the root's own parameters (the target encoder's patch embedding among them) sharded outside the model's
    forward: they are gathered while the target encoder runs on its own."""
    if accelerator.is_fsdp2:
        model.unshard()
    try:
        return evaluator(accelerator.unwrap_model(model).target_encoder)
    finally:
        if accelerator.is_fsdp2:
            model.reshard()


def make_step_evaluator(args: PretrainingArguments, config: JEPAConfig):
    """`--eval_steps`: the kNN accuracy of the target encoder on the labelled splits, as a function of the encoder.
    The images go through the processor that the run will save with the model."""
    processor = build_processor(config, args.image_mean, args.image_std)
    transform = data.processor_transform(processor, config.num_frames, args.frame_step)
    labelled = build_labelled_data(evaluation_arguments(args, protocols=["knn"]), transform, config.num_frames)
    return lambda encoder: knn_accuracy_during_training(encoder, labelled.train, labelled.eval)


def evaluate_after_pretraining(args: PretrainingArguments) -> list[dict] | None:
    """kNN and linear probes of the saved target encoder (and the baselines); None when the data has no labels."""
    try:
        return evaluate(evaluation_arguments(args))
    except MissingLabelsError as error:
        logger.warning(f"No evaluation at the end of pretraining: {error}", main_process_only=True)
        return None


def push_checkpoint_in_background(args: PretrainingArguments, model: JEPAForPreTraining, checkpoint: Path):
    """`hub_strategy="every_save"`: a loadable model at the repo root after every save, uploaded in the background.
    The resumable training states (optimizer, RNG) stay local."""
    model.save_pretrained(args.output_dir)
    build_processor(model.config, args.image_mean, args.image_std).save_pretrained(args.output_dir)
    write_model_card(args.output_dir, config=model.config, training_args=public_arguments(args))
    return push_to_hub(
        args.output_dir,
        args.hub_model_id,
        private=args.hub_private_repo,
        token=args.hub_token,
        commit_message=f"Training in progress: {checkpoint.name}",
        run_as_future=True,
    )


class PretrainingJob(Job):
    """What pretraining adds to the engine: see the module's docstring."""

    project_name = "jepa-pretraining"
    progress_name = "pretrain"
    ema = True

    def __init__(self, args: PretrainingArguments):
        super().__init__(args)
        self.shard_loader = not args.streaming  # a streamed dataset is split between the processes already
        self.evaluator = None

    def build(self, accelerator: Accelerator) -> tuple[JEPAForPreTraining, DataLoader]:
        model, base_model = build_model(self.args)
        if self.args.warms_up_context_loss and not model.config.pred_predict_context:
            raise ValueError(
                "context_loss_warmup_start and context_loss_warmup_steps warm up V-JEPA 2.1's context loss; this "
                "model has none (pred_predict_context=False)."
            )
        self.config = model.config
        self.training_data = build_training_data(self.args, model.config, accelerator)
        self.dataset_name, self.summary_extras = self.training_data.name, {"base_model": base_model}
        return model, self.training_data.loader

    def start(self, accelerator: Accelerator, model: JEPAForPreTraining, total_steps: int, batch_size: int) -> None:
        log_masking(accelerator, model.config)
        accelerator.print(
            f"Pretraining a {model.context_encoder.num_parameters() / 1e6:.1f}M-parameter encoder on "
            f"{self.training_data.column!r} for {total_steps} steps of {batch_size} samples"
        )
        if self.args.eval_steps:
            self.evaluator = make_step_evaluator(self.args, model.config)

    def batches(self, accelerator: Accelerator, loader: DataLoader, state: TrainingState) -> Iterable[dict]:
        self.state = state  # the step of `model_inputs`' context loss weight
        self.training_data.dataset.set_epoch(state.epoch)
        if not self.args.streaming:
            loader.set_epoch(state.epoch)
        return epoch_batches(
            accelerator,
            self.args,
            loader,
            state,
            keep=lambda batch: count_undecodable(accelerator, self.args, self.training_data.column, state, batch),
        )

    def model_inputs(self, batch: dict, device: torch.device) -> dict:
        """The batch's inputs, with the step's warmed-up context loss weight when a warm-up is set."""
        inputs = pretraining_inputs(batch, device)
        if self.args.warms_up_context_loss:
            inputs["context_loss_weight"] = self.schedule_metrics(self.state.step)["train/context_loss_weight"]
        return inputs

    def schedule_metrics(self, step: int) -> dict:
        """The context loss weight at `step` when it warms up."""
        if not self.args.warms_up_context_loss:
            return {}
        return {
            "train/context_loss_weight": self.args.warmed_up_context_loss_weight(self.config.context_loss_weight, step)
        }

    def feature_spread(self, outputs: JEPAForPreTrainingOutput) -> float:
        """The target features, or the pooled views of the multi-view objective."""
        return target_spread(outputs.targets if outputs.targets is not None else outputs.view_embeddings.flatten(0, 1))

    def after_step(self, accelerator: Accelerator, model: torch.nn.Module, step: int) -> None:
        if self.evaluator is not None and step % self.args.eval_steps == 0:
            accuracy = step_knn_accuracy(accelerator, model, self.evaluator)
            log_metrics(accelerator, self.args, step, {"eval/knn_accuracy": accuracy})

    def push_checkpoint(self, model: JEPAForPreTraining, checkpoint: Path) -> list[Future]:
        return [push_checkpoint_in_background(self.args, model, checkpoint)]

    def save(self, model: JEPAForPreTraining, summary: dict) -> dict:
        """The processor and the model card beside the weights, after the probes when asked."""
        args = self.args
        build_processor(model.config, args.image_mean, args.image_std).save_pretrained(args.output_dir)
        results = {}
        if args.do_eval:
            results["eval_results"] = evaluate_after_pretraining(args)
        write_model_card(
            args.output_dir,
            config=model.config,
            training_args=public_arguments(args),
            eval_results=results.get("eval_results"),
            base_model=summary["base_model"],
            datasets=[summary["dataset"]] if summary["dataset"] else None,
            training_summary={key: summary[key] for key in RUN_FACTS},
        )
        return results


def pretrain(args: PretrainingArguments) -> dict:
    """Pretrains a JEPA model as `args` says; returns a summary (output_dir, steps, final loss, evaluation)."""
    return train(args, PretrainingJob(args))
