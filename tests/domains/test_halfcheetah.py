"""HalfCheetah domain: state layout, displacement bookkeeping, seeding, restore, every task's success test on
hand-built states, experts, instructions, rewards and robustness to noisy (imagined) states.
The 100-episode expert check is marked slow."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import imagine_bench
from imagine_bench.domains import get_domain
from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T
from imagine_bench.domains.expert_table import expert_row
from imagine_bench.domains.halfcheetah.experts import expert_policy_name
from imagine_bench.domains.halfcheetah.instructions import PHRASES
from imagine_bench.language import HashingEmbedder
from imagine_bench.levels import LEVELS

DOMAIN = get_domain("halfcheetah")
TASKS = DOMAIN.all_tasks()
NO_GOAL = np.zeros(0, np.float32)


def make_state(**fields: float) -> np.ndarray:
    """A standing, upright cheetah at the start line; ``fields`` override named slots (see layout.FIELDS)."""
    state = np.zeros(L.STATE_DIM, np.float32)
    state[L.ROOTZ] = -0.12
    for name, value in fields.items():
        state[L.FIELDS[name]] = value
    return state


def path_states(displacements, peak: float = 0.0) -> list[np.ndarray]:
    """States along a sequence of net displacements, with disp_max / disp_min bookkeeping as the simulator does it."""
    out, hi, lo = [], 0.0, 0.0
    for t, disp in enumerate(displacements):
        hi, lo = max(hi, disp), min(lo, disp)
        out.append(make_state(disp=disp, disp_max=hi, disp_min=lo, peak=peak, elapsed=t * L.DT))
    return out


def solved_by(state: np.ndarray) -> set[str]:
    return {task for task in TASKS if DOMAIN.success(task, NO_GOAL, state)}


# ------------------------------------------------------------------------------------------------ registration
def test_registration_ids_levels_and_spaces():
    assert type(get_domain("HalfCheetah-v0")) is type(DOMAIN) is type(get_domain("Mujoco-v0"))
    assert DOMAIN.name == "halfcheetah" and DOMAIN.default_horizon == 200
    assert DOMAIN.state_dim == L.STATE_DIM == 24 and DOMAIN.goal_dim == 0
    space = DOMAIN.action_space
    assert isinstance(space, gym.spaces.Box) and space.shape == (6,) and space.dtype == np.float32
    assert np.all(space.low == -1) and np.all(space.high == 1)
    assert DOMAIN.tasks("real") == ("run-forward", "run-backward", "jump-forward", "jump-backward")
    assert DOMAIN.tasks("rephrase") == DOMAIN.tasks("real")
    assert DOMAIN.tasks("easy") == ("run-forward-fast", "run-backward-fast")
    assert DOMAIN.tasks("hard") == ("run-forward-then-backward", "run-backward-then-forward", "jump-in-place")
    assert len(TASKS) == 9


def test_env_api_through_both_ids():
    for env_id, level in (("HalfCheetah-v0", "hard"), ("Mujoco-v0", "real")):
        env = imagine_bench.make(env_id, level=level, embedder=HashingEmbedder(8))
        obs, info = env.reset(seed=0)
        assert obs.shape == (24 + 8,) and env.observation_space.contains(obs)
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert isinstance(reward, float) and not terminated and not truncated
        env.close()


# ------------------------------------------------------------------------------------------------ state layout
def test_state_matches_halfcheetah_v5_and_displacement_is_consistent():
    sim = DOMAIN.make_simulator("run-forward", 200)
    reference = gym.make("HalfCheetah-v5").unwrapped
    state, goal = sim.reset(3)
    ref_obs, _ = reference.reset(seed=3)
    assert state.dtype == np.float32 and state.shape == (24,) and goal.shape == (0,)
    np.testing.assert_allclose(state[L.OBS], ref_obs, atol=1e-6)
    # reset: no step taken yet, so no displacement of any kind (upstream put the absolute x here at reset)
    for name in ("dx", "disp", "disp_max", "disp_min", "elapsed"):
        assert L.field(state, name) == 0.0, name
    rng = np.random.default_rng(0)
    x = float(reference.data.qpos[0])
    previous = state
    for t in range(1, 41):
        action = rng.uniform(-1, 1, 6).astype(np.float32)
        state, _ = sim.step(action)
        ref_obs, *_ = reference.step(action)
        np.testing.assert_allclose(state[L.OBS], ref_obs, atol=1e-5)
        moved = float(reference.data.qpos[0]) - x
        x = float(reference.data.qpos[0])
        assert state[L.DX] == pytest.approx(moved, abs=1e-5)
        assert state[L.DISP] - previous[L.DISP] == pytest.approx(state[L.DX], abs=1e-5)
        assert state[L.DISP_MAX] >= max(previous[L.DISP_MAX], state[L.DISP]) - 1e-6
        assert state[L.DISP_MIN] <= min(previous[L.DISP_MIN], state[L.DISP]) + 1e-6
        assert state[L.PEAK] >= previous[L.PEAK]
        assert state[L.ELAPSED] == pytest.approx(t * L.DT)
        previous = state
    sim.close()


def test_clearance_is_about_zero_on_the_ground_and_spawn_drop_is_not_a_jump():
    sim = DOMAIN.make_simulator("jump-in-place", 200)
    floating = 0
    for seed in range(30):
        state, _ = sim.reset(seed)
        floating += state[L.CLEARANCE] > 0.02
        for _ in range(20):
            state, success = sim.step(np.zeros(6, np.float32))
            assert not success
        assert -0.02 < state[L.CLEARANCE] <= L.GROUND_CONTACT  # resting on the floor
        assert state[L.PEAK] < 0.05  # the fall from a floating spawn pose is not counted
    assert floating > 0  # some spawn poses do start in the air
    sim.close()


def test_seeded_determinism():
    a, b = DOMAIN.make_simulator("jump-forward", 200), DOMAIN.make_simulator("jump-forward", 200)
    for seed in (0, 11):
        sa, _ = a.reset(seed)
        sb, _ = b.reset(seed)
        np.testing.assert_array_equal(sa, sb)
        for _ in range(30):
            sa, _ = a.step(a.expert_action())
            sb, _ = b.step(b.expert_action())
        np.testing.assert_array_equal(sa, sb)
    other, _ = b.reset(12)
    assert not np.array_equal(a.reset(11)[0], other)


def test_restore_reproduces_the_simulator_state():
    sim = DOMAIN.make_simulator("run-backward", 200)
    state, _ = sim.reset(5)
    for _ in range(25):
        state, _ = sim.step(sim.expert_action())
    action = sim.expert_action()
    expected, _ = sim.step(action)
    copy = DOMAIN.make_simulator("run-backward", 200)
    copy.reset(0)
    copy.restore(state, NO_GOAL)
    replay, _ = copy.step(action)
    np.testing.assert_allclose(replay, expected, atol=1e-4)
    sim.close()
    copy.close()


# ------------------------------------------------------------------------------------------------ success tests
CASES = [
    # (state, tasks solved by exactly this state)
    (make_state(), set()),  # standing still at the start
    (make_state(disp=8.2, disp_max=8.2, elapsed=3.5), {"run-forward"}),
    (make_state(disp=7.8, disp_max=7.8, elapsed=3.5), set()),
    (make_state(disp=8.2, disp_max=8.2, elapsed=5.2), set()),  # too late: the 5 s window has passed
    (make_state(disp=8.2, disp_max=8.2, elapsed=3.5, pitch=math.pi), set()),  # on its back
    (make_state(disp=8.2, disp_max=8.2, elapsed=3.5, pitch=2 * math.pi), {"run-forward"}),  # after a full flip
    (make_state(disp=-8.2, disp_min=-8.2, elapsed=3.5), {"run-backward"}),
    (make_state(disp=12.0, disp_max=12.0, elapsed=4.0), {"run-forward"}),  # training speed is not fast enough
    (make_state(disp=16.3, disp_max=16.3, elapsed=4.9), {"run-forward", "run-forward-fast"}),
    (make_state(disp=-16.3, disp_min=-16.3, elapsed=4.9), {"run-backward", "run-backward-fast"}),
    # jumps: peak = highest whole-body clearance so far, clearance = now
    (make_state(disp=1.2, disp_max=1.2, peak=0.35), {"jump-forward"}),
    (make_state(disp=1.2, disp_max=1.2, peak=0.25), set()),  # not high enough: net displacement alone is no jump
    (make_state(disp=1.2, disp_max=1.2, peak=0.35, clearance=0.2), set()),  # still in the air
    (make_state(disp=1.2, disp_max=1.2, peak=0.35, pitch=2.5), set()),  # landed on its back
    (make_state(disp=0.6, disp_max=0.6, peak=0.35), set()),  # neither a step forward nor in place
    (make_state(disp=-1.2, disp_min=-1.2, peak=0.35), {"jump-backward"}),
    (make_state(disp=0.3, disp_max=0.3, peak=0.35), {"jump-in-place"}),
    (make_state(disp=-0.4, disp_min=-0.4, peak=0.31), {"jump-in-place"}),
    (make_state(disp=0.3, disp_max=0.3, peak=0.1), set()),
    # there and back
    (make_state(disp=0.5, disp_max=6.0), {"run-forward-then-backward"}),
    (make_state(disp=3.0, disp_max=6.0), set()),  # turned, but not 5 m back yet
    (make_state(disp=-0.5, disp_max=4.8, disp_min=-0.5), set()),  # first leg too short
    (make_state(disp=-0.5, disp_min=-6.0), {"run-backward-then-forward"}),
    (make_state(disp=1.0, disp_max=1.0, disp_min=-6.0), {"run-backward-then-forward"}),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_success_on_hand_built_states(index):
    state, expected = CASES[index]
    assert solved_by(state) == expected


def test_there_and_back_checks_the_order():
    forward_then_back = np.concatenate([np.linspace(0, 6, 40), np.linspace(6, 0.5, 40)])
    back_then_forward = -forward_then_back
    ftb = [solved_by(s) for s in path_states(forward_then_back)]
    btf = [solved_by(s) for s in path_states(back_then_forward)]
    assert not any("run-forward-then-backward" in s for s in ftb[:45])
    assert "run-forward-then-backward" in ftb[-1] and not any("run-backward-then-forward" in s for s in ftb)
    assert "run-backward-then-forward" in btf[-1] and not any("run-forward-then-backward" in s for s in btf)
    # backward first, then forward past the start: the forward leg is the *last* one, so forward-then-backward fails
    wrong_order = np.concatenate([np.linspace(0, -6, 40), np.linspace(-6, 6, 80)])
    assert not any("run-forward-then-backward" in s for s in (solved_by(x) for x in path_states(wrong_order)))


def test_standing_still_or_flailing_in_place_solves_nothing():
    """Upstream's jump-backward succeeded at step 5 and jump-in-place at step 15 with zero actions: its jump tests only read the displacement's sign."""
    rng = np.random.default_rng(1)
    for task in TASKS:
        sim = DOMAIN.make_simulator(task, 200)
        for seed, policy in ((0, lambda: np.zeros(6, np.float32)), (1, lambda: 0.1 * rng.standard_normal(6))):
            sim.reset(seed)
            for _ in range(200):
                state, success = sim.step(policy())
                assert not success, (task, seed)
                assert not DOMAIN.success(task, NO_GOAL, state)
        sim.close()


# ------------------------------------------------------------------------------------------------ rewards
def test_rewards_follow_progress_and_pay_the_bonus():
    start = make_state()
    ahead = make_state(disp=0.1, disp_max=0.1, dx=0.1)
    assert DOMAIN.reward("run-forward", NO_GOAL, start, ahead, False) == pytest.approx(1.0)
    assert DOMAIN.reward("run-backward", NO_GOAL, start, ahead, False) == pytest.approx(-1.0)
    assert DOMAIN.reward("run-forward", NO_GOAL, start, start, False) == 0.0  # standing still earns nothing
    assert DOMAIN.reward("run-forward", NO_GOAL, start, start, True) == pytest.approx(T.SUCCESS_BONUS)
    flipped = make_state(pitch=math.pi)
    assert DOMAIN.reward("jump-in-place", NO_GOAL, start, flipped, False) == pytest.approx(-10.0)
    higher = make_state(peak=0.25)
    assert DOMAIN.reward("jump-forward", NO_GOAL, start, higher, False) > 0
    # the return leg of forward-then-backward pays only once the first leg is complete
    early_back = make_state(disp=-0.5, disp_min=-0.5, disp_max=1.0)
    before = make_state(disp=0.0, disp_max=1.0)
    assert DOMAIN.reward("run-forward-then-backward", NO_GOAL, before, early_back, False) == 0.0
    late_back = make_state(disp=5.0, disp_max=6.0)
    turned = make_state(disp=6.0, disp_max=6.0)
    assert DOMAIN.reward("run-forward-then-backward", NO_GOAL, turned, late_back, False) == pytest.approx(10.0)


def test_success_and_reward_on_noisy_states():
    rng = np.random.default_rng(0)
    sim = DOMAIN.make_simulator("run-forward", 200)
    state, _ = sim.reset(0)
    states = [state]
    for _ in range(60):
        state, _ = sim.step(sim.expert_action())
        states.append(state)
    states = np.asarray(states)
    scale = states.std(axis=0) + 1e-3
    for noise in (0.05, 1.0, 10.0):
        noisy = (states + noise * scale * rng.standard_normal(states.shape)).astype(np.float32)
        for task in TASKS:
            for s, s2 in zip(noisy[:-1], noisy[1:], strict=True):
                ok = DOMAIN.success(task, NO_GOAL, s2)
                assert isinstance(ok, bool)
                r = DOMAIN.reward(task, NO_GOAL, s, s2, ok)
                assert isinstance(r, float) and math.isfinite(r)
    sim.close()


# ------------------------------------------------------------------------------------------------ experts
def test_there_and_back_experts_chain_the_run_experts():
    assert expert_policy_name("run-forward-then-backward", make_state(disp_max=3.0)) == "run-forward"
    assert expert_policy_name("run-forward-then-backward", make_state(disp_max=6.0)) == "run-backward"
    assert expert_policy_name("run-backward-then-forward", make_state(disp_min=-3.0)) == "run-backward"
    assert expert_policy_name("run-backward-then-forward", make_state(disp_min=-6.0)) == "run-forward"
    assert expert_policy_name("jump-in-place", make_state()) == "jump-in-place"


def evaluate(task: str, episodes: int, horizon: int) -> dict:
    """The expert table's row of ``task`` (``python -m imagine_bench.domains.halfcheetah.experts``)."""
    level = next(lv for lv in ("real", "easy", "hard") if task in DOMAIN.tasks(lv))
    return expert_row(DOMAIN, level, task, episodes, horizon)


@pytest.mark.parametrize("task", TASKS)
def test_expert_solves_a_few_episodes(task):
    result = evaluate(task, episodes=5, horizon=DOMAIN.default_horizon)
    assert result["success"] >= 0.8, result


def test_simulator_flag_agrees_with_state_based_success_along_expert_runs():
    for task in TASKS:
        sim = DOMAIN.make_simulator(task, 200)
        state, _ = sim.reset(7)
        for _ in range(200):
            next_state, success = sim.step(sim.expert_action())
            assert success == DOMAIN.success(task, NO_GOAL, next_state)
            if success:
                break
        sim.close()


def test_scripted_imagination_relabels_halfcheetah_rollouts():
    from imagine_bench.imagination.scripted import ScriptedImagination

    perfect = ScriptedImagination("perfect").generate(DOMAIN, "hard", 1, 200, seed=0, progress=False)
    assert perfect.n_episodes == 3 and perfect.success.all()
    noisy = ScriptedImagination("noisy").generate(DOMAIN, "easy", 2, 200, seed=0, progress=False)
    assert noisy.n_episodes == 4 and np.isfinite(noisy.rewards).all()


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_expert_success_over_100_episodes(task):
    result = evaluate(task, episodes=100, horizon=DOMAIN.default_horizon)
    assert result["success"] >= 0.9, result


# ------------------------------------------------------------------------------------------------ instructions
def test_instruction_counts_and_rephrase_disjointness():
    for task in DOMAIN.tasks("real"):
        train = DOMAIN.instructions("real", task)
        held_out = DOMAIN.instructions("rephrase", task)
        assert len(train) >= 20 and len(set(train)) == len(train)
        assert len(held_out) >= 10 and len(set(held_out)) == len(held_out)
        assert not set(train) & set(held_out)
        lowered = {s.lower() for s in train}
        assert not lowered & {s.lower() for s in held_out}
    for level in ("easy", "hard"):
        for task in DOMAIN.tasks(level):
            phrases = DOMAIN.instructions(level, task)
            assert len(phrases) >= 10 and len(set(phrases)) == len(phrases)
    every = [s for level in LEVELS for task in DOMAIN.tasks(level) for s in DOMAIN.instructions(level, task)]
    assert len(every) == len(set(every)) == len(DOMAIN.all_instructions())  # no phrasing shared by two tasks
    with pytest.raises(ValueError, match="not part of level"):
        DOMAIN.instructions("real", "jump-in-place")


def test_jump_directions_are_not_swapped():
    """Upstream had the jump-forward and jump-backward phrasing lists swapped."""
    forward_words = ("forward", "forwards", "ahead", "front")
    backward_words = ("backward", "backwards", "back", "rear", "behind")
    for level in ("real", "rephrase"):
        for task, wanted, unwanted in (("jump-forward", forward_words, backward_words),
                                       ("jump-backward", backward_words, forward_words)):
            for phrase in PHRASES[level][task]:
                words = phrase.lower().replace(".", "").split()
                assert any(w in words for w in wanted), phrase
                assert not any(w in words for w in unwanted), phrase
                assert any(v in words for v in ("jump", "jumps", "leap", "hop", "spring", "bound", "vault",
                                                "pounce", "airborne", "leave")), phrase
