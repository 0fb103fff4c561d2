"""The official V-JEPA 2-AC world model converted into a `JEPAWorldModel` and back (hf_jepa.convert_world_model).

tests/fixtures/vjepa2_ac holds a tiny random checkpoint in the official layout and the official modules' outputs on
fixed inputs (with a predictor that reads no extrinsics, as released, and with one that does), all written by
scripts/make_vjepa2_ac_fixture.py with the official code; the converted model must give the same outputs, and the
export give back the official state dicts, every tensor exactly. Beside them, `converted_image_encoder` is that
checkpoint as hf_jepa's import saved it before it kept the official encoder (an image encoder with the tubelet kernel
summed over time; the config.json and weights `save_pretrained` wrote, not regenerated): such folders must keep
loading and computing the same. Where the official code is at hand (a git mirror of facebookresearch/vjepa2,
`VJEPA2_GIT_DIR`), further tests build official models here and compare with them directly; elsewhere (CI) they are
skipped.
"""

import importlib.util
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from conftest import MICRO, output_without_hf_jepa
from huggingface_hub import ModelCard
from safetensors.torch import load_file, save_file

from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAWorldModel, JEPAWorldModelConfig
from hf_jepa.commands.convert import main as convert_cli
from hf_jepa.convert import convert_checkpoint
from hf_jepa.convert_world_model import (
    OFFICIAL_VJEPA2_AC_FILENAME,
    export_ac_checkpoint,
    official_ac_to_world_model,
    world_model_to_official_ac,
)
from hf_jepa.hub.cards import write_conversion_card, write_world_model_card

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "vjepa2_ac"
VJEPA2_GIT_DIR = Path(os.environ.get("VJEPA2_GIT_DIR", "/work/.mirror/facebookresearch+vjepa2/repo"))
TOLERANCE = 1e-5

_spec = importlib.util.spec_from_file_location(
    "make_vjepa2_ac_fixture", REPO / "scripts" / "make_vjepa2_ac_fixture.py"
)
fixture_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_script)


@pytest.fixture(scope="module")
def official_outputs() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / fixture_script.OUTPUTS_NAME)


@pytest.fixture(scope="module")
def extrinsics_outputs() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / fixture_script.EXTRINSICS_OUTPUTS_NAME)


@pytest.fixture(scope="module")
def converted() -> JEPAWorldModel:
    return official_ac_to_world_model(FIXTURE / fixture_script.CHECKPOINT_NAME, **fixture_script.CONFIG_OVERRIDES)


def ac_overrides(use_extrinsics: bool) -> dict:
    """`config_overrides` for the fixture's models: with `use_extrinsics`, a predictor that reads extrinsics."""
    extrinsics = {"extrinsics_dim": fixture_script.EXTRINSICS_DIM} if use_extrinsics else {}
    return {**fixture_script.CONFIG_OVERRIDES, **extrinsics}


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    """The official code's modules, from a `git archive` of the mirror into a temporary folder."""
    if not (VJEPA2_GIT_DIR / "HEAD").is_file():
        pytest.skip(
            f"no git mirror of facebookresearch/vjepa2 at {VJEPA2_GIT_DIR} (set VJEPA2_GIT_DIR); the tests on the "
            "committed fixture cover the conversion without it"
        )
    folder = tmp_path_factory.mktemp("vjepa2")
    archive = folder / "vjepa2.tar"
    subprocess.run(["git", "-C", str(VJEPA2_GIT_DIR), "archive", "-o", str(archive), "HEAD", "src"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return fixture_script.import_official(folder)


def assert_close(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.shape == theirs.shape
    assert (ours - theirs).abs().max().item() < TOLERANCE


def test_the_converted_model_gives_the_official_outputs(converted, official_outputs):
    """Latents, teacher-forced predictions, the 2-step rollout from the first frame and both L1 losses."""
    inputs = {name: official_outputs[name] for name in ("pixel_values", "actions", "states")}
    config = converted.config
    encoder = config.encoder_config
    assert (encoder.num_frames, encoder.tubelet_size, config.action_dim, config.state_dim) == (2, 2, 7, 7)
    assert config.predictor_position_embedding_type == "rope" and not config.predicts_states
    assert converted.encoder.training is False and not any(p.requires_grad for p in converted.encoder.parameters())
    with torch.no_grad():
        latents = converted.encode(inputs["pixel_values"])
        predicted, predicted_states = converted.predictor(
            official_outputs["latents"][:, :-1], inputs["actions"], inputs["states"][:, :-1]
        )
        outputs = converted(**inputs)
    assert_close(latents, official_outputs["latents"])
    assert_close(predicted, official_outputs["predicted"])
    assert predicted_states is None
    assert_close(outputs.predicted_embeddings, official_outputs["predicted"])
    assert_close(outputs.rollout_embeddings, official_outputs["rollout"])
    assert_close(outputs.teacher_forcing_loss, official_outputs["teacher_forcing_loss"])
    assert_close(outputs.rollout_loss, official_outputs["rollout_loss"])
    assert outputs.state_loss is None and outputs.sigreg_loss is None


def test_hf_jepa_convert_writes_a_world_model_that_loads_without_hf_jepa(tmp_path, official_outputs, caplog):
    source = FIXTURE / fixture_script.CHECKPOINT_NAME
    overrides = '{"num_attention_heads": 2, "image_size": 16, "predictor_num_attention_heads": 2}'
    command = ["--source", str(source), "--source_format", "official_vjepa2_ac", "--output_dir", str(tmp_path / "ac")]
    with caplog.at_level("INFO"):
        convert_cli([*command, "--config_overrides", overrides])
    assert "Dropped predictor extrinsics_encoder" in caplog.text
    loaded = JEPAWorldModel.from_pretrained(tmp_path / "ac").eval()
    assert not any(parameter.requires_grad for parameter in loaded.encoder.parameters())
    inputs = {name: official_outputs[name] for name in ("latents", "actions", "states")}
    expression = "model.predictor(inputs['latents'][:, :-1], inputs['actions'], inputs['states'][:, :-1])[0]"
    remote = output_without_hf_jepa(tmp_path / "ac", inputs, expression, tmp_path)
    assert_close(remote, official_outputs["predicted"])
    card = (tmp_path / "ac" / "README.md").read_text()
    assert "Converted with hf_jepa from the official_vjepa2_ac checkpoint `vjepa2_ac_tiny.pt`" in card
    assert "Trained on" not in card and "Actions of 7 values, taken as they are." in card
    write_world_model_card(tmp_path / "ac")  # rewritten, after a planning evaluation say: the origin stays
    assert "from the official_vjepa2_ac checkpoint `vjepa2_ac_tiny.pt`" in (tmp_path / "ac" / "README.md").read_text()
    with pytest.raises(ValueError, match="converts to target_format hf_jepa only"):
        convert_cli([*command, "--target_format", "vjepa2"])


def test_a_model_converted_with_an_image_encoder_still_loads_computes_and_exports(official_outputs):
    """A folder the import wrote before it kept the official encoder: its image encoder holds the tubelet kernel
    summed over time, which the export writes back divided evenly over the tubelet (the same on a repeated frame)."""
    model = JEPAWorldModel.from_pretrained(FIXTURE / "converted_image_encoder").eval()
    assert model.config.encoder_config.num_frames == 1
    inputs = {name: official_outputs[name] for name in ("pixel_values", "actions", "states")}
    with torch.no_grad():
        latents = model.encode(inputs["pixel_values"])
        outputs = model(**inputs)
    assert_close(latents, official_outputs["latents"])
    assert_close(outputs.predicted_embeddings, official_outputs["predicted"])
    assert_close(outputs.rollout_embeddings, official_outputs["rollout"])
    assert_close(outputs.rollout_loss, official_outputs["rollout_loss"])
    official = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    written = world_model_to_official_ac(model)
    assert_official_state_dicts(written, official, reads_extrinsics=False, summed_kernel=True)


def test_training_checkpoints_with_prefixes_and_either_encoder_entry_convert(converted):
    checkpoint = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    wrapped = {
        entry: {key.replace("module.", "module.backbone."): tensor for key, tensor in checkpoint[entry].items()}
        for entry in ("encoder", "predictor", "target_encoder")
    }
    model = official_ac_to_world_model(wrapped, "target_encoder", **fixture_script.CONFIG_OVERRIDES)
    for (name, ours), theirs in zip(model.state_dict().items(), converted.state_dict().values()):
        assert torch.equal(ours, theirs), name
    longer = official_ac_to_world_model(checkpoint, history_length=3, **fixture_script.CONFIG_OVERRIDES)
    assert longer.config.history_length == 3


def _checkpoint() -> dict:
    checkpoint = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    return {entry: dict(state) if isinstance(state, dict) else state for entry, state in checkpoint.items()}


def _without(entry: str, key: str) -> dict:
    checkpoint = _checkpoint()
    del checkpoint[entry][key]
    return checkpoint


def _with(entry: str, key: str, tensor: torch.Tensor) -> dict:
    checkpoint = _checkpoint()
    checkpoint[entry][key] = tensor
    return checkpoint


def _nan(entry: str, key: str) -> dict:
    checkpoint = _checkpoint()
    checkpoint[entry][key] = torch.full_like(checkpoint[entry][key], float("nan"))
    return checkpoint


@pytest.mark.parametrize(
    "make, overrides, message",
    [
        (lambda: {"predictor": _checkpoint()["predictor"]}, {}, r"lacks the entries \['encoder'\]"),
        (lambda: _without("predictor", "module.state_encoder.weight"), {}, "lacks.*state_encoder.weight"),
        (
            lambda: _without("predictor", "module.predictor_blocks.1.norm2.bias"),
            {},
            "missing.*predictor_blocks.1.norm2",
        ),
        (lambda: _without("encoder", "module.blocks.0.attn.proj.bias"), {}, "missing.*blocks.0.attn.proj.bias"),
        (
            lambda: _with("predictor", "module.mask_tokens.0", torch.zeros(1, 1, 32)),
            {},
            r"unknown \['mask_tokens.0'\]",
        ),
        (
            lambda: _with("predictor", "module.predictor_proj.weight", torch.zeros(24, 16)),
            {},
            "wrong shapes.*predictor_proj.weight",
        ),
        (lambda: _nan("predictor", "module.action_encoder.weight"), {}, "predictor tensor action_encoder.weight.*NaN"),
        (lambda: _nan("encoder", "module.blocks.1.mlp.fc2.weight"), {}, "blocks.1.mlp.fc2.weight.*non-finite"),
        (
            lambda: _with("encoder", "module.patch_embed.proj.weight", torch.zeros(24, 3, 4, 4)),
            {},
            "looks like official_ijepa",
        ),
        (
            lambda: _with("encoder", "module.patch_embed.proj.weight", torch.zeros(24, 3, 1, 4, 4)),
            {},
            "repeated into 2 frames, one tubelet of its encoder; this encoder's .* tubelets of 1 frames",
        ),
        (_checkpoint, {"action_dim": 2}, r"action_dim=2 \(the weights have 7\)"),
        (_checkpoint, {"histroy_length": 2}, r"unknown settings \['histroy_length'\]"),
        (_checkpoint, {"predictor_num_attention_heads": 5}, "predictor_num_attention_heads=5 does not divide"),
        (_checkpoint, {"extrinsics_dim": 5}, r"extrinsics_dim=5 \(the weights have 6\)"),
        (
            lambda: _without("predictor", "module.extrinsics_encoder.bias"),
            {"extrinsics_dim": 6},
            r"missing \['extrinsics_encoder.bias'\]",
        ),
        (lambda: _nan("predictor", "module.extrinsics_encoder.weight"), {}, "extrinsics_encoder.weight.*NaN"),
    ],
)
def test_malformed_checkpoints_are_refused_naming_the_tensor(make, overrides, message):
    with pytest.raises(ValueError, match=message):
        official_ac_to_world_model(make(), **{**fixture_script.CONFIG_OVERRIDES, **overrides})


@pytest.mark.parametrize("use_extrinsics", [False, True])
def test_a_fresh_official_model_matches_its_conversion(official, use_extrinsics):
    """Other random weights than the fixture's, straight from the official modules."""
    encoder, predictor = fixture_script.build_official(official, seed=7, use_extrinsics=use_extrinsics)
    inputs = fixture_script.fixed_inputs(seed=3, extrinsics=use_extrinsics)
    expected = fixture_script.official_outputs(encoder, predictor, inputs)
    model = official_ac_to_world_model(
        fixture_script.official_checkpoint(encoder, predictor), **ac_overrides(use_extrinsics)
    )
    tubelets = inputs["pixel_values"].flatten(0, 1).unsqueeze(1).repeat(1, 2, 1, 1, 1)  # [B * T, 2, C, H, W]
    with torch.no_grad():
        outputs = model(**inputs)
        latents = model.encode(inputs["pixel_values"])
        official_latents = encoder(tubelets.transpose(1, 2))
        # the official encoder's own output on the same tubelets, before the latents' layer norm
        assert_close(model.encoder(tubelets).last_hidden_state, official_latents)
    assert_close(latents, expected["latents"])
    assert_close(outputs.predicted_embeddings, expected["predicted"])
    assert_close(outputs.rollout_embeddings, expected["rollout"])
    assert_close(outputs.teacher_forcing_loss, expected["teacher_forcing_loss"])


@pytest.mark.parametrize("use_extrinsics", [False, True])
def test_the_fixture_is_what_the_official_code_computes(
    official, official_outputs, extrinsics_outputs, use_extrinsics
):
    expected = extrinsics_outputs if use_extrinsics else official_outputs
    encoder, predictor = fixture_script.build_official(official, use_extrinsics=use_extrinsics)
    inputs = fixture_script.fixed_inputs(extrinsics=use_extrinsics)
    for name, tensor in fixture_script.official_outputs(encoder, predictor, inputs).items():
        assert_close(tensor, expected[name])
    for name, tensor in inputs.items():
        assert torch.equal(tensor, expected[name])
    checkpoint = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    for entry, module in (("encoder", encoder), ("predictor", predictor)):
        assert all(torch.equal(checkpoint[entry][f"module.{key}"], t) for key, t in module.state_dict().items())


def fine_tune(model: JEPAWorldModel, inputs: dict[str, torch.Tensor], steps: int) -> None:
    """`steps` AdamW steps on the model's loss for one batch; checks that the loss falls and the encoder stays as it
    was, frozen in eval mode."""
    encoder_before = {name: tensor.clone() for name, tensor in model.encoder.state_dict().items()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    losses = []
    for _ in range(steps):
        loss = model(**inputs).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert not model.encoder.training
    for name, tensor in model.encoder.state_dict().items():
        assert torch.equal(tensor, encoder_before[name]), name


def test_the_converted_model_fine_tunes_its_predictor_with_the_encoder_frozen(official_outputs):
    model = official_ac_to_world_model(FIXTURE / fixture_script.CHECKPOINT_NAME, **fixture_script.CONFIG_OVERRIDES)
    fine_tune(model, {name: official_outputs[name] for name in ("pixel_values", "actions", "states")}, steps=5)


def test_the_frame_encoder_sees_each_frame_repeated_into_its_one_tubelet(converted, official_outputs):
    """A world model's frame encoder is an image encoder, or a video encoder of one tubelet into which `encode`
    repeats each frame; an encoder of longer clips is refused."""
    with pytest.raises(ValueError, match="encode one frame at a time: .* got num_frames 4 with tubelet_size 2"):
        JEPAWorldModelConfig(encoder_config=dict(MICRO, num_frames=4, position_embedding_type="rope"))
    pixel_values = official_outputs["pixel_values"]
    tubelets = pixel_values.flatten(0, 1).unsqueeze(1).expand(-1, 2, -1, -1, -1)
    with torch.no_grad():
        latents = converted.encode(pixel_values)
        hidden_states = converted.encoder(tubelets).last_hidden_state
    assert torch.equal(latents, F.layer_norm(hidden_states, hidden_states.shape[-1:]).unflatten(0, (2, 4)))


def test_converted_folders_say_what_they_were_converted_from(tmp_path):
    JEPAForPreTraining(JEPAConfig(**MICRO)).save_pretrained(tmp_path / "runs" / "mymodel")
    convert_checkpoint(tmp_path / "runs" / "mymodel", "hf_jepa", tmp_path / "ijepa", target_format="ijepa")
    card = ModelCard.load(tmp_path / "ijepa" / "README.md")
    assert "from the hf_jepa checkpoint `mymodel` to the ijepa format" in card.text  # a local path: its name only
    assert card.data.base_model is None and str(tmp_path) not in card.content
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("notes")
    convert_checkpoint(tmp_path / "runs" / "mymodel", "hf_jepa", tmp_path / "notes")
    assert (tmp_path / "notes" / "README.md").read_text() == "notes"  # the user's card is kept, the record written
    assert '"source_format": "hf_jepa"' in (tmp_path / "notes" / "conversion.json").read_text()
    card = write_conversion_card(tmp_path / "notes", "facebook/ijepa_vith14_1k", "ijepa", "hf_jepa", overwrite=True)
    assert card.data.base_model == "facebook/ijepa_vith14_1k"  # a Hub id is the card's base model


# ---------------------------------------------------------------------------------------------------------------
# Back to the official layout
# ---------------------------------------------------------------------------------------------------------------


def assert_official_state_dicts(
    written: dict, official: dict, reads_extrinsics: bool, summed_kernel: bool = False
) -> None:
    """`written` has every entry and key of the `official` checkpoint, every tensor equal, of the same dtype, but, for
    a model that reads no extrinsics, the official predictor's unread `extrinsics_encoder`, which the import does not
    keep, written back as zeros. With `summed_kernel` (a model converted before the import kept the official encoder,
    whose image encoder holds the tubelet kernel summed over time) the kernel is written back divided evenly over the
    tubelet: the same sum over time."""
    assert set(written) == {"encoder", "predictor", "target_encoder", "epoch"}
    for entry in ("encoder", "predictor", "target_encoder"):
        assert written[entry].keys() == official[entry].keys(), entry
        for key, tensor in official[entry].items():
            ours = written[entry][key]
            assert ours.shape == tensor.shape and ours.dtype == tensor.dtype, (entry, key)
            if key == "module.patch_embed.proj.weight" and summed_kernel:
                assert torch.equal(ours.sum(2), tensor.sum(2)) and torch.equal(ours[:, :, 0], ours[:, :, 1])
            elif key.startswith("module.extrinsics_encoder.") and not reads_extrinsics:
                assert not ours.any(), key
            else:
                assert torch.equal(ours, tensor), (entry, key)


@pytest.mark.parametrize("use_extrinsics", [False, True])
def test_the_reverse_conversion_reproduces_the_official_state_dicts(use_extrinsics):
    official = torch.load(FIXTURE / fixture_script.CHECKPOINT_NAME, weights_only=True)
    kernel = official["encoder"]["module.patch_embed.proj.weight"]
    assert not torch.equal(kernel[:, :, 0], kernel[:, :, 1])  # a tubelet's two frames have kernels of their own
    model = official_ac_to_world_model(official, **ac_overrides(use_extrinsics))
    written = world_model_to_official_ac(model)
    assert_official_state_dicts(written, official, reads_extrinsics=use_extrinsics)
    assert written["epoch"] == 0
    again = official_ac_to_world_model(written, **ac_overrides(use_extrinsics))
    for (name, tensor), original in zip(again.state_dict().items(), model.state_dict().values()):
        assert torch.equal(tensor, original), name


def test_the_export_warns_of_a_layer_norm_epsilon_the_official_modules_do_not_use(converted, caplog):
    """The official encoder and predictor use 1e-6; checkpoints do not record it."""
    with caplog.at_level("WARNING", logger="hf_jepa.official_checkpoints"):
        world_model_to_official_ac(converted)
    assert "not recorded" not in caplog.text
    config = converted.config.to_dict()
    config["encoder_config"] = {**config["encoder_config"], "layer_norm_eps": 1e-5}
    with caplog.at_level("WARNING", logger="hf_jepa.official_checkpoints"):
        world_model_to_official_ac(JEPAWorldModel(JEPAWorldModelConfig(**config)))
    assert "layer_norm_eps=1e-05 is not recorded in official checkpoints" in caplog.text


def test_a_predictor_that_reads_extrinsics_gives_the_official_outputs(extrinsics_outputs, official_outputs):
    """Per frame `[action, state, extrinsics, patches]`, as the official predictor with `use_extrinsics=True`."""
    model = official_ac_to_world_model(FIXTURE / fixture_script.CHECKPOINT_NAME, **ac_overrides(True))
    assert model.config.extrinsics_dim == 6
    inputs = {name: extrinsics_outputs[name] for name in ("pixel_values", "actions", "states", "extrinsics")}
    with torch.no_grad():
        outputs = model(**inputs)
        latents = extrinsics_outputs["latents"]
        rolled = model.rollout(
            latents[:, :1],
            inputs["actions"][:, :2],
            history_states=inputs["states"][:, :1],
            future_states=inputs["states"][:, 1:2],
            history_extrinsics=inputs["extrinsics"][:, :1],
            future_extrinsics=inputs["extrinsics"][:, 1:2],
        )
    assert_close(outputs.predicted_embeddings, extrinsics_outputs["predicted"])
    assert_close(outputs.rollout_embeddings, extrinsics_outputs["rollout"])
    assert_close(rolled, extrinsics_outputs["rollout"])
    assert_close(outputs.teacher_forcing_loss, extrinsics_outputs["teacher_forcing_loss"])
    assert_close(outputs.rollout_loss, extrinsics_outputs["rollout_loss"])
    assert (outputs.predicted_embeddings - official_outputs["predicted"]).abs().max() > 1e-2  # the token is read


def test_extrinsics_inputs_are_checked(extrinsics_outputs, converted):
    model = official_ac_to_world_model(FIXTURE / fixture_script.CHECKPOINT_NAME, **ac_overrides(True))
    inputs = {name: extrinsics_outputs[name] for name in ("pixel_values", "actions", "states", "extrinsics")}
    latents, actions, states = extrinsics_outputs["latents"], inputs["actions"][:, :2], inputs["states"][:, :1]
    with pytest.raises(ValueError, match=r"extrinsics must have shape \[2, 4, 6\] \(extrinsics_dim=6\), got None"):
        model(**{**inputs, "extrinsics": None})
    with pytest.raises(ValueError, match=r"future_extrinsics must have shape \[2, 1, 6\]"):
        model.rollout(
            latents[:, :1],
            actions,
            history_states=states,
            future_states=states,
            history_extrinsics=inputs["extrinsics"][:, :1],
        )
    with pytest.raises(ValueError, match="extrinsics were given but the model has extrinsics_dim=0"):
        converted(**inputs)
    for value in (-1, 1.5, True):
        with pytest.raises(ValueError, match=f"extrinsics_dim must be a non-negative integer, got {value}"):
            JEPAWorldModelConfig(extrinsics_dim=value)


@pytest.mark.parametrize("use_extrinsics", [False, True])
def test_exported_checkpoints_load_strictly_into_the_official_modules_and_compute_the_same(official, use_extrinsics):
    encoder, predictor = fixture_script.build_official(official, seed=5, use_extrinsics=use_extrinsics)
    model = official_ac_to_world_model(
        fixture_script.official_checkpoint(encoder, predictor), **ac_overrides(use_extrinsics)
    )
    written = world_model_to_official_ac(model)
    # fresh official modules of other random weights, replaced by the exported ones as torch hub loads them
    loaded_encoder, loaded_predictor = fixture_script.build_official(official, seed=11, use_extrinsics=use_extrinsics)
    for module, entry in ((loaded_encoder, "encoder"), (loaded_predictor, "predictor")):
        module.load_state_dict({key.removeprefix("module."): t for key, t in written[entry].items()}, strict=True)
    inputs = fixture_script.fixed_inputs(seed=3, extrinsics=use_extrinsics)
    expected = fixture_script.official_outputs(encoder, predictor, inputs)
    for name, tensor in fixture_script.official_outputs(loaded_encoder, loaded_predictor, inputs).items():
        assert_close(tensor, expected[name])


def test_hf_jepa_convert_writes_a_world_model_back_as_an_official_checkpoint(tmp_path):
    source = FIXTURE / fixture_script.CHECKPOINT_NAME
    folder, official_dir = tmp_path / "ac", tmp_path / "official"
    convert_cli(
        ["--source", str(source), "--source_format", "official_vjepa2_ac", "--output_dir", str(folder)]
        + ["--config_overrides", json.dumps(ac_overrides(True))]
    )
    convert_cli(
        ["--source", str(folder), "--source_format", "hf_jepa", "--output_dir", str(official_dir)]
        + ["--target_format", "official_vjepa2_ac"]
    )
    written = torch.load(official_dir / OFFICIAL_VJEPA2_AC_FILENAME, weights_only=True)
    assert_official_state_dicts(written, torch.load(source, weights_only=True), reads_extrinsics=True)
    card = (official_dir / "README.md").read_text()
    assert "from the hf_jepa checkpoint `ac` to the official_vjepa2_ac format" in card
    with pytest.raises(
        ValueError, match="official_vjepa2_ac is written from a JEPAWorldModel folder .* got .*'vjepa2'"
    ):
        convert_cli(
            ["--source", str(folder), "--source_format", "vjepa2", "--output_dir", str(tmp_path / "other")]
            + ["--target_format", "official_vjepa2_ac"]
        )


def _saved(model: torch.nn.Module, folder: Path, change=None) -> Path:
    """`model` saved to `folder`, its safetensors file then changed by `change` (a function of the tensors)."""
    model.save_pretrained(folder)
    if change is not None:
        tensors = load_file(folder / "model.safetensors")
        change(tensors)
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


def test_models_and_folders_the_official_format_cannot_take_are_refused_naming_why(tmp_path, converted):
    plain = JEPAWorldModel(JEPAWorldModelConfig(encoder_config=dict(MICRO), state_dim=3, sigreg_projector_size=16))
    expected = (
        r"embedding_type='pooled' \(the official modules need 'patch'\); predictor_position_embedding_type='sincos' "
        r".*state_dim=3 \(the official modules need 2\); predict_states=True .*uses_sigreg_projector=True .*"
        r"encoder_config.position_embedding_type='sincos'"
    )
    with pytest.raises(ValueError, match=expected):
        world_model_to_official_ac(plain)
    extrinsics = JEPAWorldModelConfig(**{**converted.config.to_dict(), "extrinsics_dim": 3})
    with pytest.raises(ValueError, match=r"extrinsics_dim=3 \(the official modules need 0 or 6\)"):
        world_model_to_official_ac(JEPAWorldModel(extrinsics))
    config = converted.config.to_dict()
    config["encoder_config"] = {**config["encoder_config"], "num_frames": 4, "tubelet_size": 4}
    with pytest.raises(ValueError, match=r"encoder_config.tubelet_size=4 \(the official modules need 2\)"):
        world_model_to_official_ac(JEPAWorldModel(JEPAWorldModelConfig(**config)))

    def nan(tensors):
        tensors["predictor.action_embed.weight"][0, 0] = float("nan")

    def misshapen(tensors):
        tensors["predictor.action_embed.weight"] = torch.zeros(32, 5)

    def missing(tensors):
        del tensors["predictor.layernorm.bias"]

    JEPAForPreTraining(JEPAConfig(**MICRO)).save_pretrained(tmp_path / "jepa")
    cases = [
        (tmp_path / "jepa", "does not hold a JEPAWorldModel: its config.json has model_type 'jepa'"),
        (_saved(converted, tmp_path / "nan", nan), r"hf_jepa tensor predictor.action_embed.weight holds non-finite"),
        (
            _saved(converted, tmp_path / "shape", misshapen),
            r"predictor.action_embed.weight \(32, 5\) \(expected \(32, 7\)\)",
        ),
        (
            _saved(converted, tmp_path / "missing", missing),
            r"1 of its \d+ weights are not in it \['predictor.layernorm.bias'\]",
        ),
    ]
    for source, message in cases:
        with pytest.raises(ValueError, match=message):
            export_ac_checkpoint(source, tmp_path / "out")
        assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match=r"encoder_entry must be one of \('encoder', 'target_encoder'\)"):
        official_ac_to_world_model(_checkpoint(), "ema_encoder", **fixture_script.CONFIG_OVERRIDES)
