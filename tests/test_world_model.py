import pytest
import torch
from conftest import MICRO, output_without_hf_jepa
from transformers import AutoConfig, AutoModel

import hf_jepa  # noqa: F401  (registers the Auto* classes)
from hf_jepa import JEPAConfig, JEPAForPreTraining, JEPAWorldModel, JEPAWorldModelConfig
from hf_jepa.modeling_jepa import rotary_cos_sin
from hf_jepa.modeling_world_model import predictor_rotary

PREDICTOR = dict(predictor_hidden_size=24, predictor_num_hidden_layers=2, predictor_num_attention_heads=2)


def tiny_config(**overrides) -> JEPAWorldModelConfig:
    """A micro world model whose latents are the encoder's own (32 wide); tests of the projected latents set it."""
    values = {"encoder_config": dict(MICRO), "history_length": 2, "project_latents": False, **PREDICTOR}
    return JEPAWorldModelConfig(**{**values, **overrides})


def tiny_batch(batch_size: int = 2, frames: int = 5, action_dim: int = 2, state_dim: int = 0, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    batch = {
        "pixel_values": torch.randn(batch_size, frames, 3, 16, 16, generator=generator),
        "actions": torch.randn(batch_size, frames - 1, action_dim, generator=generator),
    }
    if state_dim:
        batch["states"] = torch.randn(batch_size, frames, state_dim, generator=generator)
    return batch


def test_config_defaults_round_trip_and_accept_a_jepa_config(tmp_path):
    config = JEPAWorldModelConfig()
    assert config.encoder_config.hidden_size == 192 and config.rollout_steps == 2 and not config.freeze_encoder
    assert config.tokens_per_frame == 1 and config.min_frames == 5
    custom = tiny_config(embedding_type="patch", action_mean=[0.5, -1.0], action_std=[2.0, 0.5])
    assert custom.tokens_per_frame == 16  # a 4x4 grid of patches
    custom.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, JEPAWorldModelConfig) and isinstance(loaded.encoder_config, JEPAConfig)
    assert loaded.to_diff_dict() == custom.to_diff_dict()
    assert loaded.action_std == [2.0, 0.5] and loaded.encoder_config.hidden_size == 32
    from_object = JEPAWorldModelConfig(encoder_config=JEPAConfig(**MICRO), **PREDICTOR)
    assert from_object.encoder_config.hidden_size == 32


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(embedding_type="cls"), "embedding_type"),
        (dict(loss_type="smooth_l1"), "loss_type"),
        (dict(action_dim=0), "action_dim"),
        (dict(rollout_steps=-1), "rollout_steps"),
        (dict(history_length=0), "history_length"),
        (dict(predictor_num_attention_heads=5), "predictor_hidden_size"),
        (dict(sigreg_weight=-1.0), "sigreg_weight"),
        (dict(action_mean=[0.0]), "action_mean"),
        (dict(action_std=[1.0, 0.0]), "action_std"),
        (dict(state_mean=[0.0]), "state_dim is 0"),
        (dict(encoder_config=dict(MICRO, num_frames=4)), "num_frames"),
        (dict(predictor_position_embedding_type="learned"), "predictor_position_embedding_type"),
        (dict(state_dim=2, state_embedding="film"), "state_embedding must be one of"),
        (dict(rollout_history=3), r"rollout_history must be None or in \[1, history_length=2\]"),
        (dict(rollout_history=0), "rollout_history"),
    ],
)
def test_config_names_bad_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**overrides)


@pytest.mark.parametrize("embedding_type", ["pooled", "patch"])
def test_forward_backward_losses_sum_to_loss(embedding_type):
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(embedding_type=embedding_type, state_dim=3))
    out = model(**tiny_batch(state_dim=3))
    tokens = 1 if embedding_type == "pooled" else 16
    assert out.predicted_embeddings.shape == out.target_embeddings.shape == (2, 4, tokens, 32)
    assert out.rollout_embeddings.shape == (2, 2, tokens, 32)
    weight = model.config.sigreg_weight
    parts = out.teacher_forcing_loss + out.rollout_loss + out.state_loss + weight * out.sigreg_loss
    assert torch.isfinite(out.loss) and torch.allclose(out.loss, parts)
    assert out.rollout_loss > 0 and out.sigreg_loss > 0
    out.loss.backward()
    assert model.encoder.embeddings.patch_embeddings.projection.weight.grad.abs().sum() > 0
    assert model.predictor.action_embed.weight.grad.abs().sum() > 0


def test_sigreg_acts_on_the_projector_only_in_the_loss():
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(sigreg_projector_size=16))
    out = model(**tiny_batch())
    out.loss.backward()
    assert model.sigreg_projector.fc1.weight.grad.abs().sum() > 0 and out.sigreg_loss > 0
    # planning never reaches the projector: the encoder's embeddings and the rollout do not depend on it
    model.eval()
    with torch.no_grad():
        embeddings = model.encode(tiny_batch()["pixel_values"])
        model.sigreg_projector.fc2.weight.mul_(3.0)
        assert torch.equal(model.encode(tiny_batch()["pixel_values"]), embeddings)
    raw = JEPAWorldModel(tiny_config(sigreg_projector_size=0))
    assert raw.sigreg_projector is None and raw(**tiny_batch()).sigreg_loss > 0


@pytest.mark.parametrize(
    "overrides",
    [dict(sigreg_weight=0.0), dict(freeze_encoder=True), dict(sigreg_weight=0.0, project_latents=True)],
    ids=["no-sigreg", "frozen-encoder", "projected-latents"],
)
def test_the_projector_exists_only_where_the_loss_or_the_latents_read_it(overrides):
    """A projector that nothing reads gets no gradient, which DDP refuses at its second step."""
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(sigreg_projector_size=16, **overrides))
    assert (model.sigreg_projector is not None) == model.config.projects_latents
    model(**tiny_batch()).loss.backward()
    assert all(parameter.grad is not None for parameter in model.parameters() if parameter.requires_grad)


def test_gradient_checkpointing_recomputes_the_predictor_with_its_block_causal_mask():
    torch.manual_seed(0)
    plain = JEPAWorldModel(tiny_config(embedding_type="patch"))
    checkpointed = JEPAWorldModel(plain.config)
    checkpointed.load_state_dict(plain.state_dict())
    checkpointed.activation_checkpointing_enable()
    layer_forwards = []
    for model in (plain, checkpointed):
        calls = []
        model.predictor.layers[0].attention.register_forward_pre_hook(lambda *_, calls=calls: calls.append(1))
        torch.manual_seed(1)
        model(**tiny_batch()).loss.backward()
        layer_forwards.append(len(calls))
    # the predictor runs once for teacher forcing and once per rollout step; the backward recomputes each run
    assert layer_forwards == [3, 6]
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-6, rtol=1e-5, msg=name)


def test_projected_latents_are_what_the_predictor_reads_and_predicts():
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(sigreg_projector_size=12, project_latents=True))
    assert JEPAWorldModelConfig().project_latents and JEPAWorldModelConfig().latent_size == 256  # the default
    out = model(**tiny_batch())
    assert out.predicted_embeddings.shape == out.target_embeddings.shape == (2, 4, 1, 12)
    out.loss.backward()
    assert model.sigreg_projector.fc1.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        embeddings = model.encode(tiny_batch()["pixel_values"])
        assert embeddings.shape == (2, 5, 1, 12)
        assert model.rollout(embeddings[:, :2], torch.randn(2, 3, 2), tiny_batch()["actions"][:, :1]).shape[-1] == 12
    with pytest.raises(ValueError, match="project_latents needs sigreg_projector_size"):
        tiny_config(sigreg_projector_size=0, project_latents=True)


@pytest.mark.parametrize("attn_implementation", ["sdpa", "eager"])
def test_predictor_is_block_causal_within_its_window(attn_implementation):
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(embedding_type="patch")).eval()
    model.set_attn_implementation(attn_implementation)
    batch = tiny_batch(frames=6)
    with torch.no_grad():
        base = model(**batch).predicted_embeddings  # [B, 5, N, D]: entry t predicts frame t + 1
        later_frame = {**batch, "pixel_values": batch["pixel_values"].clone()}
        later_frame["pixel_values"][:, 3] += 1.0
        changed = model(**later_frame).predicted_embeddings
        later_action = {**batch, "actions": batch["actions"].clone()}
        later_action["actions"][:, 2] += 1.0
        changed_action = model(**later_action).predicted_embeddings
    assert torch.equal(changed[:, :3], base[:, :3])
    assert not torch.allclose(changed[:, 3], base[:, 3], atol=1e-4)
    assert not torch.allclose(changed[:, 4], base[:, 4], atol=1e-4)  # history_length 2: frame 4 still sees frame 3
    assert torch.equal(changed_action[:, :2], base[:, :2])
    assert not torch.allclose(changed_action[:, 2], base[:, 2], atol=1e-4)
    # outside the 2-frame window: frame 1 no longer influences the prediction made at frame 3
    earlier = {**batch, "pixel_values": batch["pixel_values"].clone()}
    earlier["pixel_values"][:, 1] += 1.0
    with torch.no_grad():
        moved = model(**earlier).predicted_embeddings
    assert torch.allclose(moved[:, 3:], base[:, 3:], atol=1e-5)


def test_rollout_matches_teacher_forcing_on_real_history_and_is_batched():
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(history_length=3)).eval()
    batch = tiny_batch(frames=5)
    with torch.no_grad():
        out = model(**batch)
        embeddings = model.encode(batch["pixel_values"])
        one_step = model.rollout(embeddings[:, :3], batch["actions"][:, 2:3], history_actions=batch["actions"][:, :2])
        population = model.rollout(embeddings[:1, :1].expand(300, -1, -1, -1), torch.randn(300, 4, 2))
    assert embeddings.shape == (2, 5, 1, 32)
    assert torch.allclose(one_step[:, 0], out.predicted_embeddings[:, 2], atol=1e-5)
    assert population.shape == (300, 4, 1, 32)


# V-JEPA 2-AC's arrangement (what hf_jepa.convert_world_model writes), at the scale of the tests
AC = dict(
    embedding_type="patch",
    state_dim=3,
    predictor_position_embedding_type="rope",
    predict_states=False,
    normalize_latents=True,
    rollout_history=1,
    history_length=4,
    loss_type="l1",
    freeze_encoder=True,
    sigreg_weight=0.0,
)


def test_ac_rope_turns_patches_with_frame_row_and_column_and_conditions_with_their_frame_only():
    config = tiny_config(**AC)
    head_dim = 12  # 3 axes of 4 channels: time, row, column
    cos, sin = predictor_rotary(config, 3, 2, 16, head_dim, torch.device("cpu"))
    patches = rotary_cos_sin(torch.arange(3 * 16)[None], (3, 4, 4), head_dim)
    blocks = cos[0, 0].unflatten(0, (3, 18))
    assert torch.equal(blocks[:, 2:].flatten(0, 1), patches[0][0, 0])  # patches: V-JEPA 2's 3D rotary embedding
    frame_only = rotary_cos_sin(torch.arange(3)[None], (3, 1, 1), head_dim)[0][0, 0]
    assert torch.equal(blocks[:, 0], frame_only) and torch.equal(blocks[:, 1], frame_only)
    assert torch.equal(blocks[:, :2, 4:], torch.ones(3, 2, 8))  # action and state: row and column not turned
    # the default: every token turns with its frame index only, as before
    default, _ = predictor_rotary(tiny_config(embedding_type="patch"), 3, 1, 16, head_dim, torch.device("cpu"))
    frames = rotary_cos_sin(torch.arange(3).repeat_interleave(17)[None], (3, 1, 1), head_dim)[0]
    assert torch.equal(default, frames) and sin.shape == cos.shape


def test_ac_arrangement_trains_on_states_it_does_not_predict_and_normalized_latents():
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(**AC))
    assert model.predictor.state_proj is None and model.predictor.position_embeddings is None
    assert model.config.min_frames == 3
    batch = tiny_batch(frames=3, state_dim=3)
    out = model(**batch)
    assert out.state_loss is None and torch.allclose(out.loss, out.teacher_forcing_loss + out.rollout_loss)
    assert out.rollout_embeddings.shape == (2, 2, 16, 32)
    # the rollout starts from the first frame: its first step is the first teacher-forced prediction
    torch.testing.assert_close(out.rollout_embeddings[:, 0], out.predicted_embeddings[:, 0])
    out.loss.backward()
    assert model.predictor.state_embed.weight.grad.abs().sum() > 0
    latents = model.encode(batch["pixel_values"])
    torch.testing.assert_close(latents.mean(-1), torch.zeros(2, 3, 16), atol=1e-5, rtol=0)
    torch.testing.assert_close(latents.var(-1, unbiased=False), torch.ones(2, 3, 16), atol=1e-3, rtol=0)
    model.eval()
    with torch.no_grad():
        history, actions = latents[:, :1], torch.randn(2, 2, 2)
        future = torch.randn(2, 1, 3)
        rolled = model.rollout(history, actions, history_states=batch["states"][:, :1], future_states=future)
        moved = model.rollout(history, actions, history_states=batch["states"][:, :1], future_states=future + 1)
        one_step = model.rollout(history, actions[:, :1], history_states=batch["states"][:, :1])
    assert torch.equal(rolled[:, 0], moved[:, 0]) and not torch.allclose(rolled[:, 1], moved[:, 1], atol=1e-4)
    torch.testing.assert_close(one_step[:, 0], rolled[:, 0])
    torch.testing.assert_close(rolled.var(-1, unbiased=False), torch.ones(2, 2, 16), atol=0.05, rtol=0)
    with pytest.raises(ValueError, match=r"future_states must have shape \[2, 1, 3\]"):
        model.rollout(history, actions, history_states=batch["states"][:, :1])
    with pytest.raises(ValueError, match="fewer than rollout_history"):
        model(batch["pixel_values"][:, :2], batch["actions"][:, :1], batch["states"][:, :2])
    predicting = JEPAWorldModel(tiny_config(state_dim=3))
    with pytest.raises(ValueError, match="future_states are read only by models with states they do not predict"):
        predicting.rollout(latents[:, :1, :1], actions, history_states=batch["states"][:, :1], future_states=future)


@pytest.mark.parametrize("embedding_type", ["pooled", "patch"])
def test_concatenated_states_reach_every_latent_of_their_frame_and_are_predicted(embedding_type):
    """DINO-WM's arrangement: no state token, the state concatenated onto each latent before the input projection."""
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(embedding_type=embedding_type, state_dim=3, state_embedding="concat")).eval()
    assert model.predictor.state_embed is None and model.predictor.frame_embed.in_features == 32 + 3
    batch = tiny_batch(state_dim=3)
    with torch.no_grad():
        out = model(**batch)
        later_state = {**batch, "states": batch["states"].clone()}
        later_state["states"][:, 2] += 1.0
        changed = model(**later_state).predicted_embeddings
    tokens = 1 if embedding_type == "pooled" else 16
    assert out.predicted_embeddings.shape == (2, 4, tokens, 32) and out.state_loss > 0
    assert torch.equal(changed[:, :2], out.predicted_embeddings[:, :2])  # block-causal: earlier frames unchanged
    assert not torch.allclose(changed[:, 2], out.predicted_embeddings[:, 2], atol=1e-4)
    model.train()
    model(**batch).loss.backward()
    assert model.predictor.frame_embed.weight.grad[:, 32:].abs().sum() > 0  # the state's columns learn
    assert model.predictor.state_proj.weight.grad.abs().sum() > 0
    with torch.no_grad():
        embeddings = model.encode(batch["pixel_values"])
        rolled = model.rollout(embeddings[:, :1], batch["actions"][:, :3], history_states=batch["states"][:, :1])
    assert rolled.shape == (2, 3, tokens, 32)


def test_save_and_load_with_auto_model(tmp_path):
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config(embedding_type="patch", action_mean=[1.0, 2.0], action_std=[3.0, 4.0])).eval()
    model.save_pretrained(tmp_path)
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, JEPAWorldModel) and loaded.config.action_std == [3.0, 4.0]
    batch = tiny_batch()
    with torch.no_grad():
        assert torch.equal(loaded(**batch).predicted_embeddings, model(**batch).predicted_embeddings)
    assert torch.allclose(loaded.normalize_actions(torch.tensor([[4.0, 6.0]])), torch.tensor([[1.0, 1.0]]))


def test_remote_code_loads_without_hf_jepa(tmp_path):
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config()).eval()
    model.save_pretrained(tmp_path / "checkpoint")
    batch = tiny_batch()
    with torch.no_grad():
        expected = model(**batch).predicted_embeddings
    output = output_without_hf_jepa(tmp_path / "checkpoint", batch, "model(**inputs).predicted_embeddings", tmp_path)
    assert torch.allclose(output, expected, atol=1e-6)


def test_frozen_pretrained_encoder_gets_no_gradients_and_stays_put(tmp_path):
    torch.manual_seed(0)
    pretrained = JEPAForPreTraining(JEPAConfig(**MICRO))
    pretrained.save_pretrained(tmp_path / "encoder")
    model = JEPAWorldModel.from_pretrained_encoder(tmp_path / "encoder", history_length=2, **PREDICTOR)
    assert model.config.freeze_encoder
    for name, tensor in pretrained.target_encoder.state_dict().items():
        assert torch.equal(model.encoder.state_dict()[name], tensor), name
    before = {name: tensor.clone() for name, tensor in model.encoder.state_dict().items()}
    predictor_before = model.predictor.frame_embed.weight.clone()

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    out = model(**tiny_batch())
    assert out.sigreg_loss is None and not out.target_embeddings.requires_grad
    out.loss.backward()
    assert all(parameter.grad is None for parameter in model.encoder.parameters())
    optimizer.step()
    for name, tensor in model.encoder.state_dict().items():
        assert torch.equal(tensor, before[name]), name
    assert not torch.equal(model.predictor.frame_embed.weight, predictor_before)

    model.save_pretrained(tmp_path / "world_model")
    reloaded = JEPAWorldModel.from_pretrained(tmp_path / "world_model")
    assert not any(parameter.requires_grad for parameter in reloaded.encoder.parameters())
    assert not reloaded.train().encoder.training


def moving_square_batch(generator: torch.Generator, batch_size: int = 16, frames: int = 5) -> dict:
    """A 4-pixel square on a 16x16 canvas whose velocity (in pixels per step) is the action."""
    position = torch.randint(2, 10, (batch_size, 2), generator=generator).float()
    actions = torch.randint(-1, 2, (batch_size, frames - 1, 2), generator=generator).float()
    positions = torch.cat([position[:, None], position[:, None] + actions.cumsum(1)], dim=1).clamp(0, 12)
    grid = torch.arange(16).float()
    rows = (grid >= positions[..., 0:1]) & (grid < positions[..., 0:1] + 4)  # [B, T, 16]
    columns = (grid >= positions[..., 1:2]) & (grid < positions[..., 1:2] + 4)
    image = (rows[..., :, None] & columns[..., None, :]).float()  # [B, T, 16, 16]
    return {"pixel_values": image[:, :, None].expand(-1, -1, 3, -1, -1).contiguous(), "actions": actions}


def test_training_on_a_moving_square_reduces_the_loss():
    torch.manual_seed(0)
    model = JEPAWorldModel(tiny_config())
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    evaluation = moving_square_batch(torch.Generator().manual_seed(1), batch_size=32)

    def evaluate() -> float:
        with torch.no_grad():
            out = model(**evaluation)
        return float(out.teacher_forcing_loss + out.rollout_loss)

    initial = evaluate()
    for _ in range(20):
        loss = model(**moving_square_batch(generator, batch_size=8)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = evaluate()
    assert final < 0.1 * initial, (initial, final)


def test_bad_inputs_give_clear_errors():
    model = JEPAWorldModel(tiny_config())
    batch = tiny_batch()
    with pytest.raises(ValueError, match="action_dim=2"):
        model(batch["pixel_values"], torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match="fewer than history_length"):
        model(batch["pixel_values"][:, :3], batch["actions"][:, :2])
    with pytest.raises(ValueError, match=r"\[batch, frames, 3, 16, 16\]"):
        model(torch.randn(2, 5, 3, 32, 32), batch["actions"])
    with pytest.raises(ValueError, match="state_dim=0"):
        model(**batch, states=torch.randn(2, 5, 3))
    embeddings = torch.randn(2, 2, 1, 32)
    with pytest.raises(ValueError, match="history_actions"):
        model.rollout(embeddings, torch.randn(2, 3, 2))
    with pytest.raises(ValueError, match="states must have shape"):
        JEPAWorldModel(tiny_config(state_dim=3))(**batch)
