"""The kalm imagination backend with a tiny model on CPU: placeholder injection, grounding losses, generation,
malformed outputs, checkpoints (reuse and resume), local checkpoints, Hydra and launch.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TINY

from imagine_bench.data import load_datasets
from imagine_bench.domains import get_domain
from imagine_bench.imagination.kalm import GROUNDING_TASKS, KALMImagination
from imagine_bench.imagination.kalm import backend as backend_module
from imagine_bench.imagination.kalm.generation import MALFORMED_KEYS, generate_batch, state_bounds
from imagine_bench.imagination.kalm.model import collate
from imagine_bench.seeding import episode_seed

TINY_MODEL = {"layers": 1, "hidden": 32, "heads": 2, "intermediate": 64}
TINY_BATCH = {"rollout": 4, "dynamics": 16, "terminal": 8, "explanation": 4}
HORIZON, REAL_EPISODES = 30, 4
CPU = torch.device("cpu")


def tiny_backend(cache_dir, steps: int = 40, **train) -> KALMImagination:
    return KALMImagination(
        model=TINY_MODEL, train={"steps": steps, "lr": 3e-3, "warmup": 5, "batch": TINY_BATCH, **train},
        generation={"batch_size": 3}, cache_dir=cache_dir,
    )


def real_data(domain, cache_dir):
    real, _ = load_datasets(domain, "real", horizon=HORIZON, real_episodes_per_task=REAL_EPISODES,
                            cache_dir=cache_dir, progress=False)
    return real


@pytest.fixture(scope="module")
def prepared(cache_dir):
    """A tiny model trained on the toy domain's real data (cached: later calls reuse the checkpoint)."""
    domain = get_domain("toy")
    backend = tiny_backend(cache_dir)
    real = real_data(domain, cache_dir)
    model, builder, info = backend.prepare(domain, real, progress=False)
    return domain, backend, real, model, builder, info


# ------------------------------------------------------------------------------------------------ placeholders
def test_placeholders_carry_projected_values_and_text_keeps_its_embeddings(prepared):
    domain, _, real, model, builder, _ = prepared
    states = model.norm_states(real.states[:3])
    actions = model.norm_actions(real.actions[:2])
    example = builder.rollout("go left", states, actions)
    batch = collate([example], builder.pad_id, model.action_dim, model.discrete, CPU)
    with torch.no_grad():
        embeds = model.embed(batch.ids, batch.states, batch.actions)[0]
        plain = model.lm.get_input_embeddings()(batch.ids)[0]
        ids = batch.ids[0]
        assert torch.allclose(embeds[ids == model.state_id], model.state_in(batch.states))
        assert torch.allclose(embeds[ids == model.action_id], model.action_in(batch.actions))
        text = (ids != model.state_id) & (ids != model.action_id)
        assert torch.equal(embeds[text], plain[text])
        assert int((ids == model.state_id).sum()) == 3 and int((ids == model.action_id).sum()) == 2
        with pytest.raises(ValueError, match="placeholder count mismatch"):
            model.embed(batch.ids, batch.states[:2], batch.actions)
    # the prompt is text plus placeholders: no number is ever written as text
    assert set(builder.tokenizer.convert_ids_to_tokens(example.ids.tolist())) >= {"<state>", "<action>", "left"}


def test_generation_reads_the_heads_where_training_does(prepared):
    """Teacher forcing on a real episode and generation from its start state (fed the real actions) agree on every
    action and next state: the heads are read one position before each placeholder in both."""
    domain, _, real, model, builder, _ = prepared
    steps, states = real.episode_slice(0)
    real_states, real_actions = real.states[states], real.actions[steps]
    instruction = real.instructions[int(real.instruction_ids[0])]
    example = builder.rollout(instruction, model.norm_states(real_states), model.norm_actions(real_actions))
    batch = collate([example], builder.pad_id, model.action_dim, model.discrete, CPU)
    n = 3
    with torch.no_grad():
        hidden = model.decoder(inputs_embeds=model.embed(batch.ids, batch.states, batch.actions)).last_hidden_state[0]
        act_pos = torch.nonzero(batch.ids[0] == model.action_id).flatten()[:n]
        state_pos = torch.nonzero(batch.ids[0] == model.state_id).flatten()[1: n + 1]
        forced_actions = model.denorm_actions(model.action_output(hidden[act_pos - 1]))
        forced_states = model.denorm_states(model.next_state(hidden[state_pos - 1], batch.states[:n]))
        static = model.static.numpy()
    forced_states = forced_states.numpy()
    forced_states[:, static] = real_states[:n][:, static]  # generation copies dims that never move in real data
    step = {"action": 0, "state": 0}
    generated: dict[str, list[np.ndarray]] = {"action": [], "state": []}

    def teacher_force(kind, value):  # record the model's output, write the real value back as teacher forcing does
        generated[kind].append(value.numpy().copy())
        source = real_actions if kind == "action" else real_states[1:]
        step[kind] += 1
        return torch.as_tensor(source[step[kind] - 1: step[kind]])

    start = real_states[:1]
    lo, hi = state_bounds(real.states.min(0), real.states.max(0), start, 10.0)
    space = domain.action_space
    generate_batch(
        model, [builder.rollout_prompt(instruction)], start, n, bounds=(lo, hi),
        action_bounds=(space.low - 9, space.high + 9), stop=lambda i, s: False, pad_id=builder.pad_id, device=CPU,
        counts=dict.fromkeys(MALFORMED_KEYS, 0), output_hook=teacher_force)
    np.testing.assert_allclose(np.concatenate(generated["action"]), forced_actions.numpy(), atol=1e-5)
    np.testing.assert_allclose(np.concatenate(generated["state"]), forced_states, atol=1e-5)


def test_left_padding_does_not_change_any_episode(prepared):
    domain, _, real, model, builder, _ = prepared
    prompts = [builder.rollout_prompt("go left"),
               builder.rollout_prompt("could you please drift a long way to the west")]
    starts = real.states[[0, 3]]
    kwargs = dict(bounds=state_bounds(real.states.min(0), real.states.max(0), starts, 10.0),
                  action_bounds=(domain.action_space.low, domain.action_space.high), stop=lambda i, s: False,
                  pad_id=builder.pad_id, device=CPU, counts=dict.fromkeys(MALFORMED_KEYS, 0))
    together = generate_batch(model, prompts, starts, 6, **kwargs)
    for i in range(2):
        alone = generate_batch(model, prompts[i:i + 1], starts[i:i + 1], 6,
                               **{**kwargs, "bounds": (kwargs["bounds"][0][i:i + 1], kwargs["bounds"][1][i:i + 1])})
        np.testing.assert_allclose(alone[0][0], together[0][i], atol=1e-5)
        np.testing.assert_allclose(alone[1][0], together[1][i], atol=1e-5)


# ------------------------------------------------------------------------------------------------ training
@pytest.mark.parametrize("domain_name", ["toy", "toy_discrete"])
def test_every_grounding_loss_decreases(cache_dir, domain_name):
    domain = get_domain(domain_name)
    backend = tiny_backend(cache_dir, steps=120, seed=1)
    real = real_data(domain, cache_dir)
    _, _, info = backend.prepare(domain, real, progress=False)
    assert set(info["loss_first"]) == set(GROUNDING_TASKS)
    for task in GROUNDING_TASKS:
        assert info["loss_last"][task] < 0.8 * info["loss_first"][task], (task, info["loss_first"], info["loss_last"])


def test_checkpoint_is_reused_and_keyed_by_settings(prepared, cache_dir):
    domain, backend, real, _, _, info = prepared
    again = tiny_backend(cache_dir)
    _, _, info2 = again.prepare(domain, real, progress=False)
    assert info2["reused"] and info2["checkpoint"] == info["checkpoint"]
    other = tiny_backend(cache_dir, steps=41)
    assert other.checkpoint_dir(domain, real) != backend.checkpoint_dir(domain, real)
    assert other.settings() != backend.settings()
    directory = backend.checkpoint_dir(domain, real)
    assert {"model.pt", "settings.json", "tokenizer"} <= {p.name for p in directory.iterdir()}


def test_interrupted_training_resumes_from_its_checkpoint(cache_dir, monkeypatch):
    domain = get_domain("toy")
    real = real_data(domain, cache_dir)
    backend = tiny_backend(cache_dir, steps=20, checkpoint_every=10, seed=7)
    original = backend_module.train

    def interrupted(*args, checkpoint, **kwargs):
        def save_then_stop(state):
            checkpoint(state)
            raise KeyboardInterrupt

        return original(*args, checkpoint=save_then_stop, **kwargs)

    monkeypatch.setattr(backend_module, "train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backend.prepare(domain, real, progress=False)
    directory = backend.checkpoint_dir(domain, real)
    assert (directory / "train_state.pt").exists() and not (directory / "model.pt").exists()
    monkeypatch.setattr(backend_module, "train", original)
    _, _, info = backend.prepare(domain, real, progress=False)
    assert info["resumed_from_step"] == 10 and not info.get("reused")
    assert (directory / "model.pt").exists() and not (directory / "train_state.pt").exists()


# ------------------------------------------------------------------------------------------------ generation
@pytest.mark.parametrize("domain_name", ["toy", "toy_discrete"])
def test_generated_datasets_are_well_formed(cache_dir, domain_name):
    domain = get_domain(domain_name)
    backend = tiny_backend(cache_dir)
    for level in ("rephrase", "hard"):
        real, imaginary = load_datasets(domain, level, horizon=HORIZON, real_episodes_per_task=REAL_EPISODES,
                                        imaginary_episodes_per_task=3, imagination=backend, cache_dir=cache_dir,
                                        progress=False)
        assert imaginary.tasks == list(domain.tasks(level)) and imaginary.n_episodes == 3 * len(domain.tasks(level))
        assert imaginary.states.shape[1] == domain.state_dim and np.isfinite(imaginary.states).all()
        assert (imaginary.lengths >= 1).all() and (imaginary.lengths <= HORIZON).all()
        if domain.is_discrete:
            assert imaginary.actions.ndim == 1 and imaginary.actions.min() >= 0
            assert imaginary.actions.max() < domain.action_space.n
        else:
            assert imaginary.actions.shape[1] == domain.action_space.shape[0]
            assert (imaginary.actions >= domain.action_space.low).all()
            assert (imaginary.actions <= domain.action_space.high).all()
        for i in range(imaginary.n_episodes):
            task = imaginary.tasks[int(imaginary.task_ids[i])]
            index = int(np.sum(imaginary.task_ids[:i] == imaginary.task_ids[i]))
            sim = domain.make_simulator(task, HORIZON)
            start, _ = sim.reset(episode_seed(0, "imaginary", task, index))
            _, states = imaginary.episode_slice(i)
            np.testing.assert_array_equal(imaginary.states[states][0], start)  # a real start state
            assert imaginary.instructions[int(imaginary.instruction_ids[i])] in domain.instructions(level, task)
            # success and terminal come from the domain's own test on the generated states
            solved = any(domain.success(task, imaginary.goals[i], s) for s in imaginary.states[states][1:])
            assert bool(imaginary.success[i]) == solved == bool(imaginary.terminated[i])
        meta = imaginary.metadata
        assert meta["backend"]["backend"] == "kalm" and meta["model"]["architecture"] == "LlamaForCausalLM"
        assert len(meta["checkpoint"]) == 16 and meta["training"]["steps"] == 40 and meta["seed"] == 0
        assert set(meta["malformed"]) == set(MALFORMED_KEYS)
    assert meta["checkpoint_reused"]  # the second level reused the model trained for the first


def test_malformed_outputs_are_clipped_dropped_or_truncated_and_counted(prepared, cache_dir):
    domain, _, real, model, builder, info = prepared
    backend = tiny_backend(cache_dir)
    backend.generation_cfg["batch_size"] = 16  # one batch: the hook below addresses episodes by row
    step = {"action": 0, "state": 0}

    def corrupt(kind, value):
        value = value.clone()
        if kind == "action":
            value[0] = float("nan")  # episode 0: a non-finite action every step -> replaced by the centre
            value[1] = 7.0  # episode 1: far outside the action space -> clipped
        else:
            value[2] = value[2] + 1e3  # episode 2: the state explodes -> clipped into the plausible box
            if step["state"] == 0:
                value[3] = float("nan")  # episode 3: non-finite first state -> dropped
            if step["state"] == 2:
                value[4] = float("inf")  # episode 4: non-finite third state -> truncated after two steps
        step[kind] += 1
        return value

    rollouts = backend.imagine(model, builder, info, domain, "real", 5, 8, 0, real, progress=False,
                               output_hook=corrupt)
    malformed = rollouts.metadata["malformed"]
    assert malformed["dropped_episodes"] == 1 and malformed["truncated_episodes"] == 1
    assert malformed["nonfinite_states"] == 2
    assert malformed["nonfinite_actions"] >= 1 and malformed["clipped_actions"] >= 1
    assert malformed["clipped_states"] >= 1
    assert rollouts.n_episodes == 2 * 5 - 1  # two tasks, one episode dropped
    assert np.isfinite(rollouts.states).all() and np.isfinite(rollouts.actions).all()
    assert (np.abs(rollouts.actions) <= 1).all()
    assert rollouts.states.max() < real.states.max() + 0.2 * np.ptp(real.states, 0).max() + 1
    rollouts.validate()


def test_multi_stage_tasks_get_their_own_step_limit(prepared, monkeypatch):
    domain, backend, real, model, builder, info = prepared
    monkeypatch.setattr(type(domain), "task_horizon",
                        lambda self, task, horizon: horizon * (2 if task == "down" else 1))
    monkeypatch.setattr(domain, "success", lambda task, goal, state: False)  # never stop early
    for level, limit in (("hard", 10), ("real", 5)):
        rollouts = backend.imagine(model, builder, info, domain, level, 2, 5, 0, real, progress=False)
        assert (rollouts.lengths == limit).all()


# ------------------------------------------------------------------------------------------------ other models
def test_any_local_checkpoint_and_lora_without_peft(cache_dir, tmp_path):
    """A local Hugging Face causal-LM directory works as model_path; LoRA without peft fails clearly."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from transformers import AutoTokenizer

    from imagine_bench.imagination.kalm.model import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)  # a plain BERT WordPiece one
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=2, intermediate_size=64)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    domain = get_domain("toy")
    backend = KALMImagination(model_path=str(tmp_path / "ckpt"), train={"steps": 3, "batch": TINY_BATCH},
                              cache_dir=cache_dir)
    real = real_data(domain, cache_dir)
    rollouts = backend.imagine(*backend.prepare(domain, real, progress=False), domain, "easy", 2, 5, 0, real,
                               progress=False)
    assert rollouts.metadata["model"]["base"] == str(tmp_path / "ckpt") and rollouts.n_episodes == 2
    try:
        import peft  # noqa: F401
    except ImportError:
        lora = KALMImagination(model_path=str(tmp_path / "ckpt"), lora={"r": 4}, cache_dir=cache_dir)
        with pytest.raises(ImportError, match="peft"):
            lora.prepare(domain, real, progress=False)
    with pytest.raises(ValueError, match="real rollouts"):
        backend.generate(domain, "easy", 2, 5, 0, progress=False)  # the data layer always passes them
    with pytest.raises(ValueError, match="model_path"):
        KALMImagination(lora={"r": 4})
    with pytest.raises(ValueError, match="bf16"):
        _ = KALMImagination(precision="bf16").dtype


# ------------------------------------------------------------------------------------------------ runner
def test_hydra_builds_the_backend_from_its_config(compose_cfg, cache_dir):
    from hydra.utils import instantiate

    cfg = compose_cfg("imagination=kalm", "imagination.train.steps=7")
    backend = instantiate(cfg.imagination)
    assert isinstance(backend, KALMImagination)
    assert backend.cache_dir == cache_dir and backend.train_settings.steps == 7
    assert backend.settings()["model"]["layers"] == 2 and "cache_dir" not in backend.settings()


KALM_TINY = [
    "imagination=kalm", "imagination.model.layers=1", "imagination.model.hidden=32", "imagination.model.heads=2",
    "imagination.model.intermediate=64", "imagination.train.steps=10", "imagination.train.batch.rollout=2",
    "imagination.train.batch.explanation=2", "imagination.train.batch.dynamics=8", "imagination.train.batch.terminal=4",
]


def test_launch_trains_on_kalm_imagination(launch, tmp_path):
    results = launch(tmp_path / "run", "level=hard", "env.name=toy", "logger=none", *TINY, *KALM_TINY)
    assert results["status"] == "completed"
    assert results["data"]["imaginary_settings"]["backend"] == "kalm"
    assert results["data"]["imaginary"]["episodes"] == 2 * len(get_domain("toy").tasks("hard"))
