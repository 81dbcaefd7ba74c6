"""Meta-World domain: state layout, seeding, experts, composite tasks, state-based success, phrasings.

The default run takes ~20-30 s on one CPU thread (22 simulators are built once per module). ``pytest -m slow`` adds
the 20-episode expert check of all 22 tasks.
"""

from __future__ import annotations

import numpy as np
import pytest

from imagine_bench.domains import get_domain
from imagine_bench.domains.meta_world import ENTITY_SLOTS, LAYOUT, STATE_DIM, TASK_ENTITIES
from imagine_bench.domains.meta_world import tasks as task_rules
from imagine_bench.domains.meta_world.instructions import EASY, HARD, REAL, REPHRASE

DOMAIN = get_domain("metaworld")
ALL_TASKS = DOMAIN.all_tasks()
REAL_TASKS = DOMAIN.tasks("real")
WALL_TASKS = ("reach-wall", "push-wall", "pick-place-wall", "button-press-wall")
_SIMS: dict[str, object] = {}


def sim_for(task: str):
    """One simulator per task for the whole module (building all 22 takes ~6 s)."""
    if task not in _SIMS:
        _SIMS[task] = DOMAIN.make_simulator(task, DOMAIN.default_horizon)
    return _SIMS[task]


def first_success(sim, seed: int, horizon: int) -> int:
    """Run the expert from ``reset(seed)``; the first step at which the simulator flags success, or -1."""
    sim.reset(seed)
    for t in range(horizon):
        _, ok = sim.step(sim.expert_action())
        if ok:
            return t + 1
    return -1


def mw_policy(name: str):
    from metaworld.policies import ENV_POLICY_MAP

    return ENV_POLICY_MAP[f"{name}-v3"]()


# -- registry and layout ----------------------------------------------------------------------------------------------
def test_registration_and_attributes():
    assert type(get_domain("MetaWorld-v0")) is type(DOMAIN)
    assert (DOMAIN.name, DOMAIN.env_id) == ("metaworld", "MetaWorld-v0")
    assert (DOMAIN.default_horizon, DOMAIN.goal_dim) == (100, 0)
    assert DOMAIN.state_dim == STATE_DIM == 98
    space = DOMAIN.action_space
    assert space.shape == (4,) and space.dtype == np.float32 and space.low.min() == -1 and space.high.max() == 1
    assert set(DOMAIN.level_tasks) == {"real", "easy", "hard"}
    assert len(REAL_TASKS) == 10 and DOMAIN.tasks("rephrase") == REAL_TASKS
    assert len(DOMAIN.tasks("easy")) == 8 and len(DOMAIN.tasks("hard")) == 4 and len(ALL_TASKS) == 22
    assert set(TASK_ENTITIES) == set(ALL_TASKS)


def test_layout_is_contiguous_and_documented():
    spans = sorted((s.start, s.stop) for s in LAYOUT.values())
    assert spans[0][0] == 0 and spans[-1][1] == STATE_DIM
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(LAYOUT[slot].stop - LAYOUT[slot].start == 7 for slot in ENTITY_SLOTS)
    from imagine_bench.domains.meta_world import layout

    for slot, s in LAYOUT.items():  # the module docstring's table lists every slot with its index range
        assert f"``{slot}``" in layout.__doc__ and f"{s.start}-{s.stop - 1}" in layout.__doc__


@pytest.mark.parametrize("task", ALL_TASKS)
def test_state_layout_per_task(task):
    sim = sim_for(task)
    state, goal = sim.reset(0)
    assert state.shape == (STATE_DIM,) and state.dtype == np.float32 and np.all(np.isfinite(state))
    assert goal.shape == (0,) and goal.dtype == np.float32
    used = TASK_ENTITIES[task]
    for slot in ENTITY_SLOTS:
        values = state[LAYOUT[slot]]
        if slot in used:
            assert np.abs(values[:3]).sum() > 0, slot
            assert abs(np.linalg.norm(values[3:]) - 1.0) < 1e-4, slot  # a unit quaternion
        else:
            assert np.all(values == 0), f"{task}: unused slot {slot} is not zero"
    np.testing.assert_array_equal(state[LAYOUT["hand"]], state[LAYOUT["hand_prev"]])  # reset: no motion yet
    assert np.abs(state[LAYOUT["goal"]]).sum() > 0
    assert (task in WALL_TASKS) == ("wall" in used)
    next_state, _ = sim.step(np.array([1.0, 0.0, 0.0, 0.0], np.float32))
    np.testing.assert_array_equal(next_state[LAYOUT["hand_prev"]], state[LAYOUT["hand"]])  # velocity is observable


def test_wall_slot_holds_the_wall():
    for task in WALL_TASKS:
        state, _ = sim_for(task).reset(1)
        wall = state[LAYOUT["wall"]]
        assert 0.5 < wall[1] < 0.8 and abs(wall[0] - 0.1) < 0.15, (task, wall)  # the brick wall in front of the goal


# -- seeding ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ALL_TASKS)
def test_same_seed_same_start_different_seed_different_start(task):
    sim = sim_for(task)
    a, _ = sim.reset(7)
    sim.step(sim.expert_action())
    b, _ = sim.reset(123)
    c, _ = sim.reset(7)
    np.testing.assert_array_equal(a, c)  # bit for bit, after other episodes in between
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("task", ["push", "door-open", "make-coffee", "locked-door-open"])
def test_fresh_simulator_reproduces_start(task):
    a, _ = sim_for(task).reset(11)
    fresh = DOMAIN.make_simulator(task, 100)
    b, _ = fresh.reset(11)
    fresh.close()
    np.testing.assert_array_equal(a, b)


# -- experts -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", REAL_TASKS)
def test_training_task_experts_succeed(task):
    sim = sim_for(task)
    results = [first_success(sim, seed, 100) for seed in range(5)]
    assert np.mean([r > 0 for r in results]) >= 0.9, results


# Measured at horizon 100 on simulator seeds 0-19: below 90%.
_BELOW_90 = {
    "door-lock": "this domain's door-lock expert: 17/20 on seeds 0-19 (96/100 on seeds 0-99)",
    "soccer": "this domain's soccer expert: 16/20 on seeds 0-19 (90/100 on 0-99); misses hit a goal post",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "task",
    [
        pytest.param(t, marks=pytest.mark.xfail(reason=_BELOW_90[t], strict=False)) if t in _BELOW_90 else t
        for t in ALL_TASKS
    ],
)
def test_all_experts_twenty_episodes(task):
    sim = sim_for(task)
    results = [first_success(sim, seed, DOMAIN.task_horizon(task, 100)) for seed in range(20)]
    assert np.mean([r > 0 for r in results]) >= 0.9, results


def test_composite_tasks_get_two_horizons():
    """locked-door-open's chained expert needs ~185 steps (0/20 within 100, 100/100 within 200)."""
    assert DOMAIN.task_horizon("locked-door-open", 100) == DOMAIN.task_horizon("make-coffee", 100) == 200
    assert DOMAIN.task_horizon("hammer", 100) == DOMAIN.task_horizon("reach", 100) == 100


# -- composite tasks --------------------------------------------------------------------------------------------------
def test_make_coffee_needs_the_button_not_just_the_mug():
    sim = sim_for("make-coffee")
    push = mw_policy("coffee-push")
    state, goal = sim.reset(3)
    placed_for = 0
    for _ in range(100):  # coffee-push's policy only: the mug arrives, the button is never touched
        state, ok = sim.step(push.get_action(sim.mw_observation))
        assert not ok and not DOMAIN.success("make-coffee", goal, state)
        placed_for += sim.env.mug_placed()
    assert placed_for >= 20 and sim.env.mug_placed() and not sim.env.button_pressed()
    assert task_rules.stages_done("make-coffee", state) == 1
    for _ in range(100):  # the chained expert now only has the button left
        state, ok = sim.step(sim.expert_action())
        if ok:
            break
    assert ok and DOMAIN.success("make-coffee", goal, state) and sim.env.button_pressed()


def test_make_coffee_button_alone_is_not_enough():
    sim = sim_for("make-coffee")
    press = mw_policy("coffee-button")
    sim.reset(4)
    pressed = False
    for _ in range(80):  # press the machine's button with the mug still at its start
        obs = sim.mw_observation
        obs[4:7] = sim.env._get_site_pos("buttonStart")
        state, ok = sim.step(press.get_action(obs))
        pressed |= sim.env.button_pressed()
        assert not ok and not DOMAIN.success("make-coffee", np.zeros(0), state)
    assert pressed and not sim.env.mug_placed()


def test_make_coffee_chained_expert():
    sim = sim_for("make-coffee")
    assert first_success(sim, 0, 100) > 0


def test_locked_door_open_needs_the_door_not_just_the_lock():
    sim = sim_for("locked-door-open")
    unlock = mw_policy("door-unlock")
    state, goal = sim.reset(5)
    unlocked_for = 0
    for _ in range(100):  # door-unlock's policy only (it keeps pushing the lever, which may swing the door a little)
        state, ok = sim.step(unlock.get_action(sim.mw_observation))
        assert not ok and not DOMAIN.success("locked-door-open", goal, state)
        unlocked_for += sim.env.unlocked()
    assert unlocked_for >= 20 and sim.env.unlocked() and not sim.env.door_open()
    assert task_rules.stages_done("locked-door-open", state) == 1


def test_locked_door_stays_shut_until_unlocked():
    from imagine_bench.domains.meta_world.experts import _DoorOpenExpert

    sim = sim_for("locked-door-open")
    pull = _DoorOpenExpert()
    state, goal = sim.reset(6)
    for _ in range(150):  # door-open's policy on the handle, lock untouched
        obs = sim.mw_observation
        obs[4:7] = sim.env.data.geom("handle").xpos
        state, ok = sim.step(pull(obs))
        assert not ok and not DOMAIN.success("locked-door-open", goal, state)
    assert not sim.env.unlocked() and sim.env.door_angle() > -0.005


def test_locked_door_opens_after_unlocking():
    sim = sim_for("locked-door-open")
    sim.reset(0)
    opened = False
    for _ in range(250):
        state, ok = sim.step(sim.expert_action())
        if ok:
            opened = True
            break
    assert opened and sim.env.door_angle() < -1.2 and sim.env.unlocked()
    assert DOMAIN.success("locked-door-open", np.zeros(0), state)


# -- state-based success and reward ------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ALL_TASKS)
def test_state_success_agrees_with_simulator(task):
    """Full-horizon expert rollouts (not stopped at success, so both outcomes occur): >= 95% of steps agree."""
    sim = sim_for(task)
    horizon = 200 if task == "locked-door-open" else 100
    agree = total = positives = 0
    for seed in (100, 101):
        state, goal = sim.reset(seed)
        for _ in range(horizon):
            state, ok = sim.step(sim.expert_action())
            agree += DOMAIN.success(task, goal, state) == ok
            positives += ok
            total += 1
    assert agree / total >= 0.95, (task, agree / total)
    assert positives > 0  # the comparison covered successful states too


def test_reward_is_shaped_pure_and_pays_on_success():
    sim = sim_for("push")
    s0, goal = sim.reset(0)
    s1, ok = sim.step(sim.expert_action())
    r = DOMAIN.reward("push", goal, s0, s1, ok)
    assert r == DOMAIN.reward("push", goal, s0.copy(), s1.copy(), ok)  # pure
    assert DOMAIN.reward("push", goal, s1, s1, True) == task_rules.SUCCESS_BONUS
    assert DOMAIN.reward("push", goal, s1, s1, False) == 0.0
    total = 0.0
    state = s1
    for _ in range(99):
        nxt, ok = sim.step(sim.expert_action())
        total += DOMAIN.reward("push", goal, state, nxt, ok)
        state = nxt
        if ok:
            break
    assert ok and total > task_rules.SUCCESS_BONUS  # shaping is positive along an expert run


@pytest.mark.parametrize(("task", "stage_one"), [("make-coffee", "coffee-push"), ("locked-door-open", "door-unlock")])
def test_finishing_a_stage_raises_the_potential(task, stage_one):
    sim = sim_for(task)
    policy = mw_policy(stage_one)
    state, _ = sim.reset(3)
    before = state
    for _ in range(100):
        if task_rules.stages_done(task, state) == 1:
            break
        before = state
        state, _ = sim.step(policy.get_action(sim.mw_observation))
    assert task_rules.stages_done(task, before) == 0 and task_rules.stages_done(task, state) == 1
    assert task_rules.potential(task, state) - task_rules.potential(task, before) > 2.0


@pytest.mark.parametrize("task", ALL_TASKS)
def test_success_and_reward_handle_corrupted_states(task):
    rng = np.random.default_rng(0)
    for _ in range(20):
        s, s2 = rng.normal(0, 0.5, (2, STATE_DIM)).astype(np.float32)
        assert isinstance(DOMAIN.success(task, np.zeros(0), s), bool)
        assert np.isfinite(DOMAIN.reward(task, np.zeros(0), s, s2, False))
    zeros = np.zeros(STATE_DIM, np.float32)
    assert np.isfinite(DOMAIN.reward(task, np.zeros(0), zeros, zeros, False))


# -- phrasings ---------------------------------------------------------------------------------------------------------
def test_instruction_counts_and_uniqueness():
    for task in REAL_TASKS:
        real = DOMAIN.instructions("real", task)
        rephrase = DOMAIN.instructions("rephrase", task)
        assert len(real) >= 20 and len(set(real)) == len(real)
        assert len(rephrase) >= 10 and len(set(rephrase)) == len(rephrase)
    for level in ("easy", "hard"):
        for task in DOMAIN.tasks(level):
            texts = DOMAIN.instructions(level, task)
            assert len(texts) >= 10 and len(set(texts)) == len(texts), task
    assert set(REAL) == set(REPHRASE) == set(REAL_TASKS)
    assert set(EASY) == set(DOMAIN.tasks("easy")) and set(HARD) == set(DOMAIN.tasks("hard"))


def test_rephrasings_are_held_out():
    training = {text.lower().strip() for task in REAL_TASKS for text in DOMAIN.instructions("real", task)}
    for task in REAL_TASKS:
        for text in DOMAIN.instructions("rephrase", task):
            assert text.lower().strip() not in training, text


def test_make_coffee_phrasings_mention_mug_and_button():
    for text in DOMAIN.instructions("hard", "make-coffee"):
        low = text.lower()
        assert "mug" in low and ("button" in low or "brew" in low), text


def test_instruction_errors_list_valid_choices():
    with pytest.raises(ValueError, match="real"):
        DOMAIN.instructions("medium", "reach")
    with pytest.raises(ValueError, match="reach-wall"):
        DOMAIN.instructions("easy", "reach")
    with pytest.raises(ValueError, match="coffee-button"):
        DOMAIN.instructions("rephrase", "soccer")
    with pytest.raises(ValueError):
        DOMAIN.make_simulator("drawer-open", 100)
    assert DOMAIN.instructions("real", "reach", {}) == DOMAIN.instructions("real", "reach")


def test_discovering_the_domain_does_not_import_metaworld():
    import subprocess
    import sys

    code = (
        "import sys; from imagine_bench.domains import get_domain; d = get_domain('metaworld');"
        "d.instructions('hard', 'soccer'); print('metaworld' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("task", ALL_TASKS)
def test_reset_state_is_fresh(task):
    """The reset state equals a state rebuilt after an explicit mj_forward (window-close once showed the previous
    episode's handle until the first step) and the state-based success test does not pass at the start."""
    import mujoco

    sim = sim_for(task)
    for seed in (0, 1):
        state, goal = sim.reset(seed)
        mujoco.mj_forward(sim.env.model, sim.env.data)
        np.testing.assert_allclose(state, sim._build_state(sim.mw_observation), atol=1e-6)
        assert not DOMAIN.success(task, goal, state)
