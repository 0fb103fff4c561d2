# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""JEPA explorer: what a JEPA model hides (masks), sees (patch features) and predicts (latents of hidden patches),
and how a JEPA world model plans (the Plan tab, model-predictive control in the environment the world model records,
else the one its episodes were recorded in: TwoRoom, Push-T).

    hf-jepa space    # or: python hf_jepa/space/app.py, and python app.py in a Space folder

The models and episode datasets offered are those of `hf_jepa.spaces.offered_models` / `offered_episodes`
(`JEPA_MODEL`, `JEPA_EPISODES`, the files beside this one, `outputs/`). This file holds the inputs, the drawing and
the layout; the library computes what each tab shows: `hf_jepa.spaces` (the models offered), `hf_jepa.evaluation.
inspection` (masks, predictions, similarity, PCA, video surprise), `hf_jepa.visualization` (their pictures) and
`hf_jepa.rollouts` (recorded frames, imagined rollouts, replays, planning).
"""

import dataclasses
import functools
import importlib.util
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch

from hf_jepa import spaces
from hf_jepa import visualization as draw
from hf_jepa.evaluation import inspection
from hf_jepa.evaluation.inspection import InspectedModel
from hf_jepa.masking import MASKING_STRATEGIES

# The Plan tab's environment needs gymnasium (hf_jepa's `world-model` extra); the other tabs do not.
PLANNING_AVAILABLE = importlib.util.find_spec("gymnasium") is not None
if PLANNING_AVAILABLE:
    from hf_jepa import rollouts
    from hf_jepa.planning import PLANNERS

APP_DIR = Path(__file__).resolve().parent
EXAMPLES_DIR = APP_DIR / "examples"
TRAINED_DIR = Path("outputs").resolve()  # where the README's main job and video recipe write their models
PANEL_SIDE = 384  # rendered panels are about this many pixels wide, rounded to whole patches
ARENA_SIDE = 256  # the executed episode is drawn this many pixels wide
FIRST_PAIR_SEED = 1000  # pair i of hf-jepa evaluate-planning is the environment's reset(seed=1000 + i)
GIF_FPS = 10  # the render_fps of TwoRoom and Push-T
MODELS = spaces.OfferedModels(APP_DIR, TRAINED_DIR)


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
    return loaded.image_inputs(path, largest=2 * max(loaded.image_size, PANEL_SIDE))


def mask_controls() -> list[gr.components.Component]:
    """The Masking tab's controls, one per field of `inspection.MaskSettings` and in its order; labels say which
    strategies take each."""
    ratio, blocks, scale, aspect, ahead = (
        ", ".join(inspection.strategies_taking(name))
        for name in ("mask_ratio", "num_target_blocks", "target_block_scale", "target_aspect_ratio", "frames_ahead")
    )
    strategy = gr.Dropdown(list(MASKING_STRATEGIES), label="Strategy", elem_id="strategy")
    mask_ratio = gr.Slider(0.05, 0.95, step=0.05, label=f"Mask ratio ({ratio})")
    num_blocks = gr.Slider(1, 8, step=1, label=f"Target blocks ({blocks})")
    with gr.Row():
        scale_min = gr.Slider(0.02, 1.0, step=0.01, label=f"Block scale min ({scale})")
        scale_max = gr.Slider(0.02, 1.0, step=0.01, label="Block scale max")
    with gr.Row():
        aspect_min = gr.Slider(0.2, 5.0, step=0.05, label=f"Aspect ratio min ({aspect})")
        aspect_max = gr.Slider(0.2, 5.0, step=0.05, label="Aspect ratio max")
    mask_ahead = gr.Number(1, minimum=1, precision=0, label=f"Time steps ahead ({ahead}, video)")
    seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
    return [strategy, mask_ratio, num_blocks, scale_min, scale_max, aspect_min, aspect_max, mask_ahead, seed]


# ---------------------------------------------------------------------------------------------------- endpoints


@shows_errors
def describe_model(model_name: str) -> tuple:
    """The model's summary, and the masking controls set to its configuration's settings."""
    loaded = MODELS.inspected(model_name)
    # the sliders: mask ratio, target blocks, block scale and aspect ratio (min, max)
    strategy, *sliders, frames_ahead, _seed = dataclasses.astuple(inspection.MaskSettings.of_model(loaded))
    ahead = dict(maximum=loaded.most_frames_ahead, value=frames_ahead)
    return (
        loaded.summary(),
        gr.Dropdown(choices=loaded.mask_strategies, value=strategy),
        *sliders,
        gr.Number(**ahead, visible=loaded.is_video),
        gr.Number(**ahead),
    )


def masked_image(
    model_name: str, image: str | None, controls: tuple
) -> tuple[InspectedModel, torch.Tensor, tuple, np.ndarray]:
    """The model, the image's `pixel_values`, its masks from the Masking tab's `controls` and their patch labels."""
    loaded = MODELS.inspected(model_name)
    pixel_values = image_inputs(loaded, image)
    masks = inspection.MaskSettings(*controls).sample(loaded.grid, loaded.image_size, loaded.num_frames)
    return loaded, pixel_values, masks, inspection.sample_labels(loaded.grid, *masks)


@shows_errors
def show_masks(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, dict]:
    """The image with context patches clear, each target block in its own colour and dropped patches dark; counts.
    `controls`: the fields of `inspection.MaskSettings`."""
    loaded, pixel_values, masks, labels = masked_image(model_name, image, controls)
    rendering = draw.mask_image(panels(loaded, pixel_values), labels, cell(loaded))
    return rendering, inspection.mask_counts(loaded.grid, *masks)


@shows_errors
def predict(model_name: str, image: str | None, *controls) -> tuple[np.ndarray, float, dict]:
    """For the masks of the Masking tab: cosine similarity between predicted and actual target latents per target
    patch, and the prediction loss."""
    inspection.check_predictor(MODELS.inspected(model_name).model)  # before reading the image: it says what does work
    loaded, pixel_values, masks, labels = masked_image(model_name, image, controls)
    scores = inspection.prediction_scores(loaded.model, pixel_values, *masks)
    info = {**scores.summary(), "loss_type": loaded.model.config.loss_type}
    return draw.score_image(panels(loaded, pixel_values), labels, scores.patch_cosine, cell(loaded)), scores.loss, info


@functools.lru_cache(maxsize=16)
def patch_features(model_name: str, image: str) -> tuple[torch.Tensor, np.ndarray]:
    """`[H * W, D]` features of the image's patches and its display panel."""
    loaded = MODELS.inspected(model_name)
    pixel_values = image_inputs(loaded, image)
    return inspection.patch_features(loaded.encoder, pixel_values, loaded.grid), panels(loaded, pixel_values)[0]


@shows_errors
def pick_patch(model_name: str, image: str | None, event: gr.SelectData) -> tuple[int, int]:
    """The (row, column) of the patch under a click on the image (the click is in the uploaded image's pixels)."""
    return MODELS.inspected(model_name).patch_at(image, *event.index)


@shows_errors
def similarity(
    model_name: str, image_a: str | None, image_b: str | None, row: int, col: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, dict]:
    """Cosine similarity between patch (row, col) of image A and every patch of A and of B, and a PCA view."""
    loaded = MODELS.inspected(model_name)
    features, shown = zip(*(patch_features(model_name, image) for image in (image_a, image_b) if image is not None))
    compared = inspection.compare_patch(list(features), loaded.grid, int(row), int(col))
    heat = [
        draw.similarity_image(panel, values, compared.low, cell(loaded)) for panel, values in zip(shown, compared.maps)
    ]
    pca = draw.colour_grid_image(compared.pca, cell(loaded))
    return heat[0], heat[1] if len(heat) > 1 else None, pca, compared.summary()


@shows_errors
def surprise(
    model_name: str, video: str | None, start_frame: int, frame_step: int, frames_ahead: int
) -> tuple[np.ndarray, pd.DataFrame, dict]:
    """Temporal masking on one clip: the predictor's latents of the last `frames_ahead` time steps against the actual
    ones, per time step, next to copying the last seen time step's latents forward."""
    loaded = MODELS.inspected(model_name)
    loaded.check_predicts_clips()  # before reading the clip: it says what does work
    if video is None:
        raise gr.Error("Upload a video or pick the example first.")
    pixel_values, indices, total = loaded.clip_inputs(video, int(start_frame), int(frame_step))
    result = inspection.video_surprise(loaded.model, pixel_values, int(frames_ahead))
    info = {"video_frames": total, "frames_used": indices, **result.summary(indices)}
    curve = pd.DataFrame(result.curve(indices))
    return draw.score_image(panels(loaded, pixel_values), result.labels, result.scores, cell(loaded)), curve, info


# ---------------------------------------------------------------------------------------------------- planning


@shows_errors
def describe_world_model(model_name: str) -> tuple[str, dict]:
    """The world model's summary, and its training episodes chosen for the imagined frames when they are offered."""
    trained_on = spaces.trained_on(model_name)
    environment = MODELS.environment(model_name, trained_on)
    summary = rollouts.world_model_summary(MODELS.world_model(model_name), environment, trained_on)
    return summary, gr.update(value=trained_on) if trained_on in MODELS.episodes() else gr.skip()


@shows_errors
def draw_pair(model_name: str, seed: int, episodes_name: str | None = None) -> tuple:
    """Pair `seed` of the planning evaluation where the world model plans: in TwoRoom its start and goal and the
    arena showing them; elsewhere (Push-T) the positions left as they are and the start and goal frames."""
    positions, picture = rollouts.seeded_pair(MODELS.environment(model_name, episodes_name), int(seed), ARENA_SIDE)
    return *(positions or [gr.skip()] * 4), picture


@shows_errors
def show_pair(model_name: str, *positions_seed_and_episodes) -> np.ndarray:
    """The pair the Plan tab would plan where the world model plans: TwoRoom's typed start and goal (x, y, x, y) in
    the arena; elsewhere the start and goal frames of the pair seed. An environment that cannot be told (episodes
    that do not load: planning names them) leaves the picture as it is."""
    *positions, seed, episodes_name = positions_seed_and_episodes
    try:
        environment = MODELS.environment(model_name, episodes_name)
    except ValueError:
        return gr.skip()
    return rollouts.pair_picture(environment, ARENA_SIDE, pair=seed, start=positions[:2], goal=positions[2:])


def click_goal(event: gr.SelectData) -> tuple[float, float]:
    """The arena position under a click on the arena picture (its pixels are `ARENA_SIDE` to a side)."""
    x, y = event.index
    return round((x + 0.5) / ARENA_SIDE, 3), round((y + 0.5) / ARENA_SIDE, 3)


@shows_errors
def plan_episode(
    model_name: str, episodes_name: str | None, *pair_and_settings
) -> tuple[str, pd.DataFrame, pd.DataFrame, list, dict]:
    """Model-predictive control from the start to the goal image with the world model where it plans: the executed
    episode (an animated GIF of every environment step), the energy of each plan, the true distance to the goal at
    each model step, the first plan's imagined rollout as the nearest recorded frames, and the numbers.
    `pair_and_settings`: start x, y, goal x, y (TwoRoom), the pair seed (the other environments), then the
    `planner_controls` (the fields of `rollouts.PlanSettings`)."""
    start_x, start_y, goal_x, goal_y, pair_seed, *settings = pair_and_settings
    model = MODELS.world_model(model_name)
    recorded = MODELS.recorded_frames(model_name, episodes_name)
    environment = MODELS.environment(model_name, episodes_name)
    pair = dict(pair=int(pair_seed), start=(start_x, start_y), goal=(goal_x, goal_y))
    episode = rollouts.PlanSettings(*settings).plan(model, environment, **pair)
    imagined, numbers = rollouts.imagined_frames(model, episode, recorded)
    gallery = [(draw.thumbnail(frame), caption) for frame, caption in imagined]
    energies, reached = (pd.DataFrame(curve) for curve in episode.curves())
    executed = draw.write_gif(episode.pictures(ARENA_SIDE), GIF_FPS)
    return executed, energies, reached, gallery, {**episode.summary(), **numbers}


# ---------------------------------------------------------------------------------------------------- layout


# uploads reach `read_image` untouched (image_mode=None): it handles grayscale, transparency and huge files
image_input = functools.partial(gr.Image, type="filepath", image_mode=None, height=320)
# the pictures the app draws, sent without loss
picture = functools.partial(gr.Image, format="png")


def choice(names: list[str], label: str, elem_id: str, **kwargs) -> gr.Dropdown:
    """A dropdown of models or episodes, the first chosen: a local folder shown by its name, a Hub id as it is."""
    choices = [(Path(name).name if Path(name).is_dir() else name, name) for name in names]
    return gr.Dropdown(choices, value=names[0] if names else None, label=label, elem_id=elem_id, **kwargs)


def follow(demo: gr.Blocks, chosen: gr.Dropdown, describe, outputs: list, api_name: str) -> None:
    """`describe(chosen)` fills `outputs` when the page loads and whenever the choice changes."""
    demo.load(describe, chosen, outputs, api_name=f"{api_name}_on_load", api_visibility="private")
    chosen.change(describe, chosen, outputs, api_name=api_name)


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
        mask_view = picture(label="Context (clear), target blocks (colours), dropped (dark)", elem_id="mask_view")
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
        prediction_view = picture(label="Prediction quality per target patch", elem_id="prediction_view")
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
        heat_a = picture(label="Similarity in A", elem_id="heat_a")
        heat_b = picture(label="Similarity in B (correspondence)", elem_id="heat_b")
        pca = picture(label="PCA of patch features (A | B)", elem_id="pca")
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
            video_view = picture(label="Seen (clear) and predicted time steps", elem_id="video_view")
            curve = gr.LinePlot(x="frame", y="cosine similarity", color="latents", elem_id="surprise_plot")
            video_info = gr.JSON(label="Details", elem_id="video_info")
    inputs = [model, video, start_frame, frame_step, video_ahead]
    video_button.click(surprise, inputs, [video_view, curve, video_info], api_name="surprise")
    return video_ahead


def plan_tab(demo: gr.Blocks, world_models: list[str]) -> None:
    """The Plan tab, for world models: the model and episodes choices, the pair, the planner, what it did."""
    gr.Markdown(
        "Model-predictive control in the environment the world model was trained in (else the one the chosen "
        "episodes were recorded in; **TwoRoom**: reach the goal through the door, typed or clicked; **Push-T**: the "
        "start and goal of the pair seed): the planner (CEM or MPPI) scores action sequences by the distance "
        "between the latents the world model predicts and the goal image's, executes the first action and plans "
        "again. Below: the executed episode, the energy of every plan beside the true distance to the goal, and the "
        "first plan's **imagined** rollout: for each predicted latent, the recorded frame whose latent is nearest "
        "(what the model believes it will see)."
    )
    with gr.Row():
        world_model = choice(world_models, "World model", "world_model")
        episode_data = choice(MODELS.episodes(), "Recorded episodes (searched for the imagined frames)", "episodes")
    world_summary = gr.Markdown(elem_id="world_model_summary")
    with gr.Row():
        with gr.Column():
            pair, arena = pair_controls(demo, world_model, episode_data)
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
    outputs = [arena, energy_plot, distance_plot, imagined, plan_info]
    plan_button.click(plan_episode, [world_model, episode_data, *pair, *settings], outputs, api_name="plan")
    follow(demo, world_model, describe_world_model, [world_summary, episode_data], "describe_world_model")


def pair_controls(
    demo: gr.Blocks, world_model: gr.Dropdown, episode_data: gr.Dropdown
) -> tuple[list[gr.Number], gr.Image]:
    """The start and goal (a pair of the planning evaluation: in TwoRoom typed, or the goal clicked on the arena;
    elsewhere the pair seed's) and the arena picture, which shows the executed episode once planned. The pair is drawn
    again where the chosen world model plans when the page loads and when the model or the episodes change."""
    # TwoRoom's pair until the page has loaded, then the pair where the world model plans
    first_pair, first_preview = rollouts.seeded_pair(rollouts.TWO_ROOM, FIRST_PAIR_SEED, ARENA_SIDE)
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
    arena = picture(
        first_preview,
        label="Executed episode (green ring: the goal; click to move the goal)",
        elem_id="executed",
        height=ARENA_SIDE + 40,
    )
    positions = [start_x, start_y, goal_x, goal_y]
    pair_button.click(draw_pair, [world_model, pair_seed, episode_data], [*positions, arena], api_name="draw_pair")
    shown = [world_model, *positions, pair_seed, episode_data]
    for event in (demo.load, world_model.change, episode_data.change):
        event(show_pair, shown, arena, api_visibility="private")
    arena.select(click_goal, None, [goal_x, goal_y], api_visibility="private").then(
        show_pair, shown, arena, api_visibility="private"
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
        gr.Slider(0, 30, value=0, step=0.5, label="Goal state weight (models with states)", elem_id="state_weight"),
    ]


def jepa_tabs(demo: gr.Blocks, models: list[str]) -> None:
    """The model choice and the Masking, Prediction, Feature similarity and Video tabs, for JEPA encoders."""
    examples = sorted(str(path) for path in EXAMPLES_DIR.glob("*.png"))
    pair = [str(EXAMPLES_DIR / "sneaker_1.png"), str(EXAMPLES_DIR / "sneaker_2.png")]  # two items of one class
    clips = sorted(str(path) for path in EXAMPLES_DIR.glob("*.mp4"))
    with gr.Row():
        model = choice(models, "Model", "model", scale=1)
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
    follow(demo, model, describe_model, described, "describe_model")


def build_demo() -> gr.Blocks:
    try:
        encoders, world_models = MODELS.by_kind()
    except ValueError as error:
        raise SystemExit(str(error)) from error
    with gr.Blocks(title="JEPA explorer") as demo:
        gr.Markdown(
            "# JEPA explorer\nWhat a JEPA model **hides** (masks), **sees** (patch features) and **predicts** "
            "(the latents of hidden patches, from the visible ones)"
            + (", and how a JEPA world model **plans**." if world_models else ".")
        )
        if encoders:
            jepa_tabs(demo, encoders)
        if world_models:
            with gr.Tab("Plan"):
                if PLANNING_AVAILABLE:
                    plan_tab(demo, world_models)
                else:
                    gr.Markdown("Planning needs the environments (Gymnasium): `pip install 'hf-jepa[world-model]'`.")
    return demo


if __name__ == "__main__":
    build_demo().queue(default_concurrency_limit=1, max_size=32).launch(show_error=True)
