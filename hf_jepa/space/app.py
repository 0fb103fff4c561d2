# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA explorer: what a JEPA model hides (masks), sees (patch features) and predicts (latents of hidden patches),
and how a JEPA world model plans (the Plan tab, model-predictive control in the environment its episodes were recorded
in: TwoRoom, Push-T).

    hf-jepa space    # or: python hf_jepa/space/app.py, and python app.py in a Space folder

The models and episode datasets offered are those of `hf_jepa.spaces.offered_models` / `offered_episodes`
(`JEPA_MODEL`, `JEPA_EPISODES`, the files beside this one, `outputs/`). This file holds the inputs, what each tab
shows and the layout; the library computes it: `hf_jepa.evaluation.inspection` (masks, predictions, similarity, PCA,
video surprise), `hf_jepa.visualization` (their pictures) and `hf_jepa.rollouts` (recorded frames, imagined rollouts,
replays, planning).
"""

import functools
import importlib.util
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import ExifTags, Image
from transformers import AutoConfig, PreTrainedConfig

from hf_jepa import JEPAConfig, spaces
from hf_jepa import visualization as draw
from hf_jepa.configuration_jepa import VIDEO_ONLY_STRATEGIES
from hf_jepa.evaluation import inspection
from hf_jepa.evaluation.inspection import InspectedModel
from hf_jepa.masking import MASKING_STRATEGIES
from hf_jepa.spaces import MAX_RECORDED_FRAMES, WORLD_MODEL_TYPE

# The Plan tab's environment needs gymnasium (hf_jepa's `world-model` extra); the other tabs do not.
PLANNING_AVAILABLE = importlib.util.find_spec("gymnasium") is not None
if PLANNING_AVAILABLE:
    from hf_jepa import rollouts
    from hf_jepa.planning import PLANNERS, WorldModelObservation

APP_DIR = Path(__file__).resolve().parent
EXAMPLES_DIR = APP_DIR / "examples"
TRAINED_DIR = Path("outputs").resolve()  # where the README's main job and video recipe write their models
PANEL_SIDE = 384  # rendered panels are about this many pixels wide, rounded to whole patches
ARENA_SIDE = 256  # the executed episode is drawn this many pixels wide
FIRST_PAIR_SEED = 1000  # pair i of hf-jepa evaluate-planning is the environment's reset(seed=1000 + i)
GIF_FPS = 10  # the render_fps of TwoRoom and Push-T


def shows_errors(function):
    """An endpoint whose `ValueError`s (the library's word on a bad setting or input) are shown to the user."""

    @functools.wraps(function)
    def endpoint(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:
            raise gr.Error(str(error)) from error

    return endpoint


def model_choices() -> list[str]:
    return spaces.offered_models(APP_DIR, TRAINED_DIR)


def checkpoint_config(name: str) -> PreTrainedConfig:
    """The configuration of one of the offered models (`model_choices`)."""
    if name not in model_choices():
        raise gr.Error(f"Unknown model {name!r}; choose one of {model_choices()}.")
    try:
        return AutoConfig.from_pretrained(name, trust_remote_code=True)
    except (OSError, ValueError) as error:
        raise gr.Error(f"Could not load the model {name!r}: {error}") from error


@functools.lru_cache(maxsize=16)
def is_world_model(name: str) -> bool:
    """Whether an offered model is a `JEPAWorldModel` (shown in the Plan tab, not in the others)."""
    try:
        return checkpoint_config(name).model_type == WORLD_MODEL_TYPE
    except gr.Error:  # the tab that offers it reports the error when it is chosen
        return False


@functools.lru_cache(maxsize=4)
@shows_errors
def load_model(name: str) -> InspectedModel:
    return inspection.load_inspected_model(name, checkpoint_config(name))


def cell(loaded: InspectedModel) -> int:
    """Side of one patch in the rendered panels, in pixels."""
    return max(1, round(PANEL_SIDE / loaded.grid[1]))


def panels(loaded: InspectedModel, pixel_values: torch.Tensor) -> np.ndarray:
    """What the model sees, one panel per time step of its token grid."""
    mean, std = loaded.processor.image_mean, loaded.processor.image_std
    return draw.display_frames(pixel_values, mean, std, loaded.grid[0], cell(loaded) * loaded.grid[1])


def image_inputs(loaded: InspectedModel, path: str | None) -> torch.Tensor:
    """The model's `pixel_values` of an uploaded image (at most a few panel sizes are decoded)."""
    if path is None:
        raise gr.Error("Upload an image or pick an example first.")
    largest = 2 * max(loaded.image_size, PANEL_SIDE)
    return loaded.pixel_values(inspection.read_image(path, loaded.grid[1], largest)[None])


def strategies_taking(*parameters: str) -> str:
    """The masking strategies that take any of `parameters`, for a control's label."""
    takers = [name for name, strategy in MASKING_STRATEGIES.items() if set(parameters) & set(strategy.parameters)]
    return ", ".join(takers)


def mask_controls() -> list[gr.components.Component]:
    """The Masking tab's controls, one per field of `inspection.MaskSettings` and in its order; labels say which
    strategies take each."""
    blocks, scale, aspect = (strategies_taking(name) for name in MASKING_STRATEGIES["multiblock"].parameters[:3])
    strategy = gr.Dropdown(list(MASKING_STRATEGIES), label="Strategy", elem_id="strategy")
    mask_ratio = gr.Slider(0.05, 0.95, step=0.05, label=f"Mask ratio ({strategies_taking('mask_ratio')})")
    num_blocks = gr.Slider(1, 8, step=1, label=f"Target blocks ({blocks})")
    with gr.Row():
        scale_min = gr.Slider(0.02, 1.0, step=0.01, label=f"Block scale min ({scale})")
        scale_max = gr.Slider(0.02, 1.0, step=0.01, label="Block scale max")
    with gr.Row():
        aspect_min = gr.Slider(0.2, 5.0, step=0.05, label=f"Aspect ratio min ({aspect})")
        aspect_max = gr.Slider(0.2, 5.0, step=0.05, label="Aspect ratio max")
    ahead_label = f"Time steps ahead ({strategies_taking('frames_ahead')}, video)"
    mask_ahead = gr.Number(1, minimum=1, precision=0, label=ahead_label)
    seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
    return [strategy, mask_ratio, num_blocks, scale_min, scale_max, aspect_min, aspect_max, mask_ahead, seed]


# ---------------------------------------------------------------------------------------------------- endpoints


def describe_model(model_name: str) -> tuple:
    """The model's summary, and the masking controls set to its configuration's defaults."""
    loaded = load_model(model_name)
    time_steps, height, width = loaded.grid
    kind = f"video model ({loaded.num_frames} frames, {time_steps} time steps)" if loaded.is_video else "image model"
    parameters = sum(parameter.numel() for parameter in loaded.model.parameters())
    summary = (
        f"**{type(loaded.model).__name__}**, {kind}, {loaded.image_size} px, patch grid {height}x{width}, "
        f"{parameters / 1e6:.1f}M parameters; predictor: {'yes' if loaded.has_predictor else 'no'}; "
        f"preprocessing: {loaded.processor_source}."
    )

    def setting(name: str):  # a checkpoint without masking settings (e.g. IJepaModel) gets JEPAConfig's defaults
        return getattr(loaded.config, name, getattr(JEPAConfig, name))

    strategies = [name for name in MASKING_STRATEGIES if loaded.is_video or name not in VIDEO_ONLY_STRATEGIES]
    strategy = setting("mask_strategy") if setting("mask_strategy") in strategies else strategies[0]
    most_ahead = max(1, time_steps - 1)
    return (
        summary,
        gr.Dropdown(choices=strategies, value=strategy),
        setting("mask_ratio"),
        setting("num_target_blocks"),
        *setting("target_block_scale"),
        *setting("target_aspect_ratio"),
        gr.Number(maximum=most_ahead, value=setting("frames_ahead"), visible=loaded.is_video),
        gr.Number(maximum=most_ahead, value=setting("frames_ahead")),
    )


def masked_image(model_name: str, image: str | None, controls: tuple) -> tuple[InspectedModel, torch.Tensor, tuple]:
    """The model, the image's `pixel_values` and its masks from the Masking tab's `controls`."""
    loaded = load_model(model_name)
    pixel_values = image_inputs(loaded, image)
    masks = inspection.MaskSettings(*controls).sample(loaded.grid, loaded.image_size, loaded.num_frames)
    return loaded, pixel_values, masks


@shows_errors
def show_masks(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, dict]:
    """The image with context patches clear, each target block in its own colour and dropped patches dark; counts.
    `controls`: the fields of `inspection.MaskSettings`."""
    loaded, pixel_values, (context, targets) = masked_image(model_name, image, controls)
    labels = inspection.cell_labels(loaded.grid, context[0][0], [target[0] for target in targets])
    rendering = draw.mask_image(panels(loaded, pixel_values), labels, cell(loaded))
    return rendering, inspection.mask_counts(loaded.grid, context, targets)


@shows_errors
def predict(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, float, dict]:
    """For the masks of the Masking tab: cosine similarity between predicted and actual target latents per target
    patch, and the prediction loss."""
    inspection.check_predictor(load_model(model_name).model)  # before reading the image: it says what does work
    loaded, pixel_values, (context, targets) = masked_image(model_name, image, controls)
    scores = inspection.prediction_scores(loaded.model, pixel_values, context, targets)
    info = {**scores.summary(), "loss_type": loaded.model.config.loss_type}
    labels = inspection.cell_labels(loaded.grid, context[0][0], [target[0] for target in targets])
    return draw.score_image(panels(loaded, pixel_values), labels, scores.patch_cosine, cell(loaded)), scores.loss, info


@functools.lru_cache(maxsize=16)
def patch_features(model_name: str, image: str) -> tuple[torch.Tensor, np.ndarray]:
    """`[H * W, D]` features of the image's patches and its display panel."""
    loaded = load_model(model_name)
    pixel_values = image_inputs(loaded, image)
    return inspection.patch_features(loaded.encoder, pixel_values, loaded.grid), panels(loaded, pixel_values)[0]


def pick_patch(model_name: str, image: str | None, event: gr.SelectData) -> tuple[int, int]:
    """The (row, column) of the patch under a click on the image (the click is in the uploaded image's pixels)."""
    loaded = load_model(model_name)
    with Image.open(image) as opened:
        width, height = opened.size
        if opened.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8):  # shown rotated by 90 degrees
            width, height = height, width
    left, top, seen_width, seen_height = loaded.seen_region(width, height)
    x, y = event.index
    _, rows, cols = loaded.grid
    row, col = int((y - top) * rows / seen_height), int((x - left) * cols / seen_width)
    return min(rows - 1, max(0, row)), min(cols - 1, max(0, col))


@shows_errors
def similarity(
    model_name: str, image_a: str | None, image_b: str | None, row: int, col: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict]:
    """Cosine similarity between patch (row, col) of image A and every patch of A and of B, and a PCA view."""
    loaded = load_model(model_name)
    features, shown = zip(*(patch_features(model_name, image) for image in (image_a, image_b) if image is not None))
    maps = inspection.similarity_maps(list(features), loaded.grid, int(row), int(col))
    low = min(float(values.min()) for values in maps)  # one scale for both: 1.0 is the clicked patch itself
    heat = [draw.similarity_image(panel, values, low, cell(loaded)) for panel, values in zip(shown, maps)]
    info = {"patch": [int(row), int(col)]}
    for name, values in zip("ab", maps):
        info[f"similarity_{name}"] = values.numpy().round(4).tolist()
        info[f"best_match_{name}"] = inspection.best_match(values)
    pca = draw.colour_grid_image(inspection.pca_colours(list(features), loaded.grid), cell(loaded))
    return heat[0], heat[1] if len(heat) > 1 else None, pca, info


@shows_errors
def surprise(
    model_name: str, video: str | None, start_frame: int, frame_step: int, frames_ahead: int
) -> tuple[np.ndarray, pd.DataFrame, dict]:
    """Temporal masking on one clip: the predictor's latents of the last `frames_ahead` time steps against the actual
    ones, per time step, next to copying the last seen time step's latents forward."""
    loaded = load_model(model_name)
    if not loaded.is_video:
        raise gr.Error(f"{model_name!r} is an image model (num_frames 1); choose a video checkpoint for this tab.")
    inspection.check_predictor(loaded.model)
    if video is None:
        raise gr.Error("Upload a video or pick the example first.")
    clip = inspection.read_clip(video, loaded.num_frames, int(start_frame), int(frame_step), loaded.grid[1])
    clip_frames, indices, total = clip
    pixel_values = loaded.pixel_values(clip_frames)
    result = inspection.video_surprise(loaded.model, pixel_values, int(frames_ahead))
    info = {"video_frames": total, "frames_used": indices, **result.summary(indices)}
    frames = result.time_step_frames(indices) * 2  # the predicted time steps, for both curves
    series = ["predicted"] * len(result.predicted) + ["copy of the last seen frame"] * len(result.copied)
    values = info["predicted_cosine"] + info["copy_last_frame_cosine"]
    curve = pd.DataFrame({"frame": frames, "cosine similarity": values, "latents": series})
    return draw.score_image(panels(loaded, pixel_values), result.labels, result.scores, cell(loaded)), curve, info


# ---------------------------------------------------------------------------------------------------- planning


def episode_choices() -> list[str]:
    """The recorded episode datasets the Plan tab can search for the frames nearest to the imagined latents."""
    return spaces.offered_episodes(APP_DIR, TRAINED_DIR, [name for name in model_choices() if is_world_model(name)])


@functools.lru_cache(maxsize=2)
def load_world_model(name: str) -> torch.nn.Module:
    """An offered world model (the Plan tab offers only those, `is_world_model`) in eval mode."""
    return inspection.load_checkpoint(name, checkpoint_config(name))


@functools.lru_cache(maxsize=2)
def recorded_frames(model_name: str, episodes_name: str | None) -> "rollouts.RecordedFrames":
    """At most `MAX_RECORDED_FRAMES` evenly spaced frames of an offered episode dataset, encoded by the model."""
    if episodes_name is None:
        raise gr.Error(
            "No recorded episodes to show the imagined frames with: set JEPA_EPISODES to an episode dataset (a "
            "folder of hf-jepa record-episodes or a Hub id), or record one into outputs/."
        )
    return rollouts.load_recorded_frames(load_world_model(model_name), episodes_name, MAX_RECORDED_FRAMES)


@shows_errors
def describe_world_model(model_name: str) -> tuple[str, dict]:
    """The world model's summary, and its training episodes chosen for the imagined frames when they are offered."""
    model = load_world_model(model_name)
    config = model.config
    trained_on = spaces.trained_on(model_name)
    environment = rollouts.episodes_environment(trained_on)
    frame_step = rollouts.environment_frame_step(model, environment)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    states = f", {config.state_dim} state values ({config.state_embedding})" if config.state_dim else ""
    summary = (
        f"**{type(model).__name__}**, {config.encoder_config.image_size} px frames, {config.embedding_type} latents "
        f"({config.tokens_per_frame} x {config.latent_size} values per frame){states}, history "
        f"{config.history_length} frames, one model step = {frame_step} {environment.name} steps, "
        f"{parameters / 1e6:.1f}M parameters"
    )
    if trained_on is None:
        return summary + ".", gr.skip()
    summary += f"; trained on `{trained_on}`."
    return summary, gr.update(value=trained_on) if trained_on in episode_choices() else gr.skip()


@shows_errors
def draw_pair(seed: int, episodes_name: str | None = None) -> tuple:
    """Pair `seed` of the planning evaluation in the episodes' environment: in TwoRoom its start and goal and the
    arena showing them; elsewhere (Push-T) the positions left as they are and the start and goal frames."""
    environment = rollouts.episodes_environment(episodes_name)
    if environment == rollouts.TWO_ROOM:
        start, goal = rollouts.two_room_pair(int(seed))
        return *start, *goal, pair_preview(*start, *goal)
    start, goal = rollouts.environment_pair(environment, int(seed))
    return *[gr.skip()] * 4, np.concatenate(rollouts.state_frames(environment, np.stack([start, goal]), ARENA_SIDE), 1)


def show_pair(start_x: float, start_y: float, goal_x: float, goal_y: float, seed: int, episodes_name: str | None):
    """The pair the Plan tab would plan in the episodes' environment: TwoRoom's typed start and goal in the arena;
    elsewhere the start and goal frames of pair `seed`, side by side. Episodes that do not load leave the picture as
    it is (planning names them)."""
    try:
        environment = rollouts.episodes_environment(episodes_name)
    except ValueError:
        return gr.skip()
    if environment == rollouts.TWO_ROOM:
        return pair_preview(start_x, start_y, goal_x, goal_y)
    return draw_pair(seed, episodes_name)[-1]


@shows_errors
def pair_preview(start_x: float, start_y: float, goal_x: float, goal_y: float) -> np.ndarray:
    """The arena with the agent at the start and the goal's ring."""
    options = rollouts.check_two_room_pair((start_x, start_y), (goal_x, goal_y))
    return rollouts.arena_frames(np.array([options["start"]]), options["goal"], ARENA_SIDE)[0]


def click_goal(event: gr.SelectData) -> tuple[float, float]:
    """The arena position under a click on the arena picture (its pixels are `ARENA_SIDE` to a side)."""
    x, y = event.index
    return round((x + 0.5) / ARENA_SIDE, 3), round((y + 0.5) / ARENA_SIDE, 3)


def imagined_gallery(
    model: torch.nn.Module, episode: "rollouts.PlannedEpisode", recorded: "rollouts.RecordedFrames"
) -> tuple[list, dict]:
    """The first plan's imagined rollout between the start and the goal, each predicted latent shown as the nearest
    recorded frame: the gallery, and the rows and distances of those recorded frames."""
    first_plan = episode.result.plans[0].actions
    start: WorldModelObservation = episode.result.observations[0]
    nearest, distances = rollouts.imagine(model, start, first_plan, recorded)
    gallery = [(draw.thumbnail(episode.frames["start"]), "start (observed)")]
    for step, (index, distance) in enumerate(zip(nearest, distances), start=1):
        where = f"episode {recorded.episodes[index]}, frame {recorded.frame_indices[index]}"
        caption = f"+{step * episode.frame_step} steps, imagined: {where} ({distance:.3g})"
        gallery.append((draw.thumbnail(recorded.pixels[index].permute(1, 2, 0).numpy()), caption))
    gallery.append((draw.thumbnail(episode.frames["goal"]), "goal"))
    numbers = {
        "imagined_rows": recorded.rows[nearest].tolist(),
        "imagined_latent_distances": distances,
        "frames_searched": len(recorded.rows),
        "dataset_rows": recorded.dataset_rows,
    }
    return gallery, numbers


@shows_errors
def plan_episode(
    model_name: str, episodes_name: str | None, *pair_and_settings
) -> tuple[str, pd.DataFrame, pd.DataFrame, list, dict]:
    """Model-predictive control in the episodes' environment from the start to the goal image with the world model:
    the executed episode (an animated GIF of every environment step), the energy of each plan, the true distance to
    the goal at each model step, the first plan's imagined rollout as the nearest recorded frames, and the numbers.
    `pair_and_settings`: start x, y, goal x, y (TwoRoom), the pair seed (the other environments), then the
    `planner_controls` (CEM keeps a tenth as elites)."""
    start_x, start_y, goal_x, goal_y, pair_seed, kind, horizon, population, iterations, max_steps, seed = (
        pair_and_settings
    )
    model = load_world_model(model_name)
    recorded = recorded_frames(model_name, episodes_name)
    environment = rollouts.episodes_environment(episodes_name)
    settings = dict(horizon=int(horizon), population=int(population), iterations=int(iterations), seed=int(seed))
    settings.update(planner=kind, num_elites=max(2, int(population) // 10))
    if environment == rollouts.TWO_ROOM:
        start, goal = (start_x, start_y), (goal_x, goal_y)
        episode = rollouts.plan_in_two_room(model, start, goal, int(max_steps), **settings)
        frames = rollouts.arena_frames(episode.states, goal, ARENA_SIDE)
    else:
        episode = rollouts.plan_in_environment(model, environment, int(max_steps), pair=int(pair_seed), **settings)
        frames = rollouts.state_frames(environment, episode.states, ARENA_SIDE)
    gallery, imagined = imagined_gallery(model, episode, recorded)
    info = {**episode.summary(), **imagined}
    energy = episode.result.plan_energies
    energies = pd.DataFrame({"model step": range(len(energy)), "plan energy": energy})
    reached = pd.DataFrame({"model step": range(len(episode.distances)), "distance to the goal": episode.distances})
    return draw.write_gif(frames, GIF_FPS), energies, reached, gallery, info


# ---------------------------------------------------------------------------------------------------- layout


# uploads reach `read_image` untouched (image_mode=None): it handles grayscale, transparency and huge files
image_input = functools.partial(gr.Image, type="filepath", image_mode=None, height=320)


def masking_tab(model: gr.Dropdown, examples: list[str], pair: list[str]) -> tuple[gr.Image, list]:
    """The Masking tab; returns its image and mask controls, which the Prediction tab uses too."""
    with gr.Row():
        with gr.Column():
            mask_image = image_input(label="Image", elem_id="mask_image", value=pair[0])
            gr.Examples(examples, mask_image)
        with gr.Column():
            masking = mask_controls()
            mask_button = gr.Button("Sample masks", variant="primary", elem_id="mask_button")
    with gr.Row():
        mask_view = gr.Image(
            label="Context (clear), target blocks (colours), dropped (dark)", elem_id="mask_view", format="png"
        )
        mask_counts = gr.JSON(label="Token counts", elem_id="mask_counts")
    mask_button.click(show_masks, [model, mask_image, *masking], [mask_view, mask_counts], api_name="masks")
    return mask_image, masking


def prediction_tab(model: gr.Dropdown, mask_image: gr.Image, masking: list) -> None:
    gr.Markdown(
        "Uses the image and the mask settings of the **Masking** tab. Each target patch is coloured by the "
        "cosine similarity between the predictor's latent and the target encoder's (dark purple: 0 or less, "
        "yellow: 1): the model's imagination of what it cannot see, compared with what is there."
    )
    predict_button = gr.Button("Predict the hidden patches", variant="primary", elem_id="predict_button")
    with gr.Row():
        prediction_view = gr.Image(
            label="Prediction quality per target patch", elem_id="prediction_view", format="png"
        )
        with gr.Column():
            prediction_loss = gr.Number(label="Prediction loss", elem_id="prediction_loss")
            prediction_info = gr.JSON(label="Details", elem_id="prediction_info")
    predict_button.click(
        predict, [model, mask_image, *masking], [prediction_view, prediction_loss, prediction_info], api_name="predict"
    )


def similarity_tab(model: gr.Dropdown, examples: list[str], pair: list[str]) -> None:
    gr.Markdown(
        "Click a patch of image A: the heat maps show the cosine similarity of its feature with every patch "
        "of A and of B (white frame: the best match). PCA: the first three principal components as RGB."
    )
    with gr.Row():
        image_a = image_input(label="Image A (click)", elem_id="image_a", value=pair[0])
        image_b = image_input(label="Image B", elem_id="image_b", value=pair[1])
    gr.Examples([pair, *([example, pair[0]] for example in examples if example not in pair)], [image_a, image_b])
    with gr.Row():
        patch_row = gr.Number(0, precision=0, label="Patch row", elem_id="patch_row")
        patch_col = gr.Number(0, precision=0, label="Patch column", elem_id="patch_col")
        similarity_button = gr.Button("Compare", elem_id="similarity_button")
    with gr.Row():
        heat_a = gr.Image(label="Similarity in A", elem_id="heat_a", format="png")
        heat_b = gr.Image(label="Similarity in B (correspondence)", elem_id="heat_b", format="png")
        pca = gr.Image(label="PCA of patch features (A | B)", elem_id="pca", format="png")
    with gr.Accordion("Similarity values", open=False):
        similarity_info = gr.JSON(label="Similarities", elem_id="similarity_info")
    inputs, outputs = [model, image_a, image_b, patch_row, patch_col], [heat_a, heat_b, pca, similarity_info]
    image_a.select(pick_patch, [model, image_a], [patch_row, patch_col], api_visibility="private").then(
        similarity, inputs, outputs, api_name="similarity_on_click", api_visibility="private"
    )
    similarity_button.click(similarity, inputs, outputs, api_name="similarity")


def video_tab(model: gr.Dropdown, clips: list[str]) -> gr.Number:
    """The Video tab; returns its "time steps ahead" control, which follows the model's configuration."""
    gr.Markdown(
        "Temporal masking: the model sees the first time steps of a clip and predicts the latents of the "
        "last ones. The curve compares its predictions with the actual latents, next to the baseline of "
        "copying the last seen frame's latents forward; a low value is a surprise."
    )
    with gr.Row():
        with gr.Column():
            video = gr.Video(label="Clip", elem_id="video", value=clips[0] if clips else None, height=320)
            if clips:
                gr.Examples(clips, video)
            start_frame = gr.Number(0, precision=0, label="Start frame", elem_id="start_frame")
            frame_step = gr.Slider(1, 8, value=1, step=1, label="Frame step", elem_id="frame_step")
            video_ahead = gr.Number(1, minimum=1, precision=0, label="Time steps ahead", elem_id="video_ahead")
            video_button = gr.Button("Predict the future", variant="primary", elem_id="video_button")
        with gr.Column():
            video_view = gr.Image(label="Seen (clear) and predicted time steps", elem_id="video_view", format="png")
            curve = gr.LinePlot(x="frame", y="cosine similarity", color="latents", elem_id="surprise_plot")
            video_info = gr.JSON(label="Details", elem_id="video_info")
    video_button.click(
        surprise,
        [model, video, start_frame, frame_step, video_ahead],
        [video_view, curve, video_info],
        api_name="surprise",
    )
    return video_ahead


def plan_tab(demo: gr.Blocks, world_models: list[str]) -> None:
    """The Plan tab, for world models: the model and episodes choices, the pair, the planner, what it did."""
    gr.Markdown(
        "Model-predictive control in the environment the chosen episodes were recorded in (**TwoRoom**: reach the "
        "goal through the door, typed or clicked; **Push-T**: the start and goal of the pair seed): the planner (CEM "
        "or MPPI) "
        "scores action sequences by the distance between the latents the world model predicts and the goal "
        "image's, executes the first action and plans again. Below: the executed episode, the energy of every plan "
        "beside the true distance to the goal, and the first plan's **imagined** rollout: for each predicted "
        "latent, the recorded frame whose latent is nearest (what the model believes it will see)."
    )
    episodes = episode_choices()
    with gr.Row():
        world_model = gr.Dropdown(
            choice_labels(world_models), value=world_models[0], label="World model", elem_id="world_model"
        )
        episode_data = gr.Dropdown(
            choice_labels(episodes),
            value=episodes[0] if episodes else None,
            label="Recorded episodes (searched for the imagined frames)",
            elem_id="episodes",
        )
    world_summary = gr.Markdown(elem_id="world_model_summary")
    with gr.Row():
        with gr.Column():
            pair, arena = pair_controls(demo, episode_data)
        with gr.Column():
            settings = planner_controls()
            plan_button = gr.Button("Plan and execute", variant="primary", elem_id="plan_button")
    with gr.Row():
        energy_plot = gr.LinePlot(x="model step", y="plan energy", elem_id="energy_plot", label="Energy of each plan")
        distance_plot = gr.LinePlot(
            x="model step", y="distance to the goal", elem_id="distance_plot", label="True distance to the goal"
        )
    imagined = gr.Gallery(
        label="The first plan, imagined: the nearest recorded frame to each predicted latent (latent distance)",
        elem_id="imagined",
        columns=8,
        format="png",
        height=220,
    )
    with gr.Accordion("Numbers (actions, energies, distances, recorded rows)", open=False):
        plan_info = gr.JSON(label="Details", elem_id="plan_info")
    plan_button.click(
        plan_episode,
        [world_model, episode_data, *pair, *settings],
        [arena, energy_plot, distance_plot, imagined, plan_info],
        api_name="plan",
    )
    described = [world_summary, episode_data]
    demo.load(
        describe_world_model, world_model, described, api_name="describe_world_model_on_load", api_visibility="private"
    )
    world_model.change(describe_world_model, world_model, described, api_name="describe_world_model")


def pair_controls(demo: gr.Blocks, episode_data: gr.Dropdown) -> tuple[list[gr.Number], gr.Image]:
    """The start and goal (a pair of the planning evaluation: in TwoRoom typed, or the goal clicked on the arena;
    elsewhere the pair seed's) and the arena picture, which shows the executed episode once planned. The pair is drawn
    again in the chosen episodes' environment when the page loads and when the episodes change."""
    *first_pair, first_preview = draw_pair(FIRST_PAIR_SEED)
    with gr.Row():
        seed_label = "Pair seed (as hf-jepa evaluate-planning)"
        pair_seed = gr.Number(FIRST_PAIR_SEED, precision=0, label=seed_label, elem_id="pair_seed")
        pair_button = gr.Button("Draw a start and goal", elem_id="pair_button")
    with gr.Row():
        start_x = gr.Number(first_pair[0], label="Start x", elem_id="start_x")
        start_y = gr.Number(first_pair[1], label="Start y (down)", elem_id="start_y")
    with gr.Row():
        goal_x = gr.Number(first_pair[2], label="Goal x", elem_id="goal_x")
        goal_y = gr.Number(first_pair[3], label="Goal y (down)", elem_id="goal_y")
    arena = gr.Image(
        first_preview,
        label="Executed episode (green ring: the goal; click to move the goal)",
        elem_id="executed",
        format="png",
        height=ARENA_SIDE + 40,
    )
    positions = [start_x, start_y, goal_x, goal_y]
    pair_button.click(draw_pair, [pair_seed, episode_data], [*positions, arena], api_name="draw_pair")
    for event in (demo.load, episode_data.change):
        event(show_pair, [*positions, pair_seed, episode_data], arena, api_visibility="private")
    arena.select(click_goal, None, [goal_x, goal_y], api_visibility="private").then(
        pair_preview, positions, arena, api_visibility="private"
    )
    return [*positions, pair_seed], arena


def planner_controls() -> list[gr.components.Component]:
    """The planner's settings, in the order `plan_episode` takes them; the defaults are the measured TwoRoom recipe's
    (results/world_model_two_room.md), a plan of ~0.4-0.7 s on a CPU."""
    return [
        gr.Radio(list(PLANNERS), value="cem", label="Planner", elem_id="planner"),
        gr.Slider(1, 10, value=5, step=1, label="Horizon (model steps per plan)", elem_id="horizon"),
        gr.Slider(
            8, 300, value=150, step=1, label="Population (action sequences per iteration)", elem_id="population"
        ),
        gr.Slider(1, 8, value=4, step=1, label="Iterations per plan", elem_id="iterations"),
        gr.Slider(1, 20, value=20, step=1, label="Model steps at most", elem_id="max_steps"),
        gr.Number(0, precision=0, label="Planner seed", elem_id="planner_seed"),
    ]


def choice_labels(names: list[str]) -> list[tuple[str, str]]:
    """Dropdown choices: a local folder shown by its name, a Hub id as it is."""
    return [(Path(name).name if Path(name).is_dir() else name, name) for name in names]


def jepa_tabs(demo: gr.Blocks, models: list[str]) -> None:
    """The model choice and the Masking, Prediction, Feature similarity and Video tabs, for JEPA encoders."""
    examples = sorted(str(path) for path in EXAMPLES_DIR.glob("*.png"))
    pair = [str(EXAMPLES_DIR / "sneaker_1.png"), str(EXAMPLES_DIR / "sneaker_2.png")]  # two items of one class
    clips = sorted(str(path) for path in EXAMPLES_DIR.glob("*.mp4"))
    with gr.Row():
        model = gr.Dropdown(choice_labels(models), value=models[0], label="Model", elem_id="model", scale=1)
        summary = gr.Markdown(elem_id="model_summary")
    with gr.Tab("Masking"):
        mask_image, masking = masking_tab(model, examples, pair)
    with gr.Tab("Prediction"):
        prediction_tab(model, mask_image, masking)
    with gr.Tab("Feature similarity"):
        similarity_tab(model, examples, pair)
    with gr.Tab("Video"):
        video_ahead = video_tab(model, clips)
    described = [summary, *masking[:-1], video_ahead]  # every mask control but the seed
    demo.load(describe_model, model, described, api_name="describe_model_on_load", api_visibility="private")
    model.change(describe_model, model, described, api_name="describe_model")


def build_demo() -> gr.Blocks:
    choices = model_choices()
    if not choices:
        raise SystemExit(
            f"No model to show: none in {TRAINED_DIR}, where the main job (hf-jepa pretrain tiny-cpu) writes one; set "
            "JEPA_MODEL to a Hub id or a checkpoint folder."
        )
    world_models = [name for name in choices if is_world_model(name)]
    encoders = [name for name in choices if name not in world_models]
    with gr.Blocks(title="JEPA explorer") as demo:
        gr.Markdown(
            "# JEPA explorer\nWhat a JEPA model **hides** (masks), **sees** (patch features) and **predicts** "
            "(the latents of hidden patches, from the visible ones)"
            + (", and how a JEPA world model **plans**." if world_models else ".")
        )
        if encoders:
            jepa_tabs(demo, encoders)
        if world_models and not PLANNING_AVAILABLE:
            with gr.Tab("Plan"):
                gr.Markdown("Planning needs the TwoRoom environment: `pip install 'hf-jepa[world-model]'`.")
        elif world_models:
            with gr.Tab("Plan"):
                plan_tab(demo, world_models)
    return demo


if __name__ == "__main__":
    build_demo().queue(default_concurrency_limit=1, max_size=32).launch(show_error=True)
