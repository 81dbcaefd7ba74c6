"""CLEVR-Robot domain: push physics, determinism, start states, success tests, goal sampling, experts, instructions,
and the state-based success/reward functions on noisy states."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imagine_bench.domains import get_domain
from imagine_bench.domains.clevr import experts, instructions, layout, simulator, tasks
from imagine_bench.evaluation import evaluation_plan

FAMILIES = ("relation", "push", "two-relations", "three-relations", "line", "gather")
LEVEL_OF = {"relation": "real", "push": "easy", "two-relations": "hard", "three-relations": "hard", "line": "hard",
            "gather": "hard"}


@pytest.fixture(scope="module")
def domain():
    return get_domain("clevr")


@pytest.fixture(scope="module")
def table():
    return simulator.Table()


def state_of(points) -> np.ndarray:
    """Ten coordinates from five (x, y) points (float64, so boundary values stay exact)."""
    return np.asarray(points, np.float64).reshape(-1)


# Five balls well apart; tests move individual balls around in copies of this.
SPREAD = [(-0.45, 0.55), (0.45, 0.55), (0.0, 0.2), (-0.45, -0.15), (0.45, -0.15)]


# ---- registration ------------------------------------------------------------------------------------------------
def test_registered_under_all_names(domain):
    assert type(get_domain("CLEVR-v0")) is type(domain) is type(get_domain("Ball-v0"))
    assert domain.name == "clevr" and "Ball-v0" in domain.aliases
    assert domain.action_space.n == 40 and domain.is_discrete
    assert (domain.state_dim, domain.goal_dim, domain.default_horizon) == (10, 14, 50)
    assert domain.tasks("rephrase") == domain.tasks("real") == ("relation",)
    assert domain.tasks("hard") == ("two-relations", "three-relations", "line", "gather")


def test_generic_env_episode(domain):
    import imagine_bench
    from imagine_bench.language import HashingEmbedder

    env = imagine_bench.make("Ball-v0", level="easy", embedder=HashingEmbedder(16))
    obs, info = env.reset(options={"task": "push", "start_seed": 7, "instruction": 0})
    assert obs.shape == (10 + 16,) and obs.dtype == np.float32
    goal = info["goal"]
    ball, direction, _ = tasks.decode_push(goal)
    straight = {0: 1, 1: 2, 2: 3, 3: 0}[direction]  # goal direction -> push direction index
    obs, reward, terminated, truncated, info = env.step(np.int64(ball * 8 + straight))
    assert terminated and info["is_success"] and not truncated
    assert reward > 100.0  # shaping for the travel plus the success bonus


# ---- push physics ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("direction", range(8))
def test_push_moves_the_chosen_ball_and_leaves_far_balls_still(table, direction):
    start = state_of(SPREAD)
    table.place(start)
    after = table.push(2 * 8 + direction)
    moved = (after - start).reshape(5, 2)
    push = layout.PUSH_DIRECTIONS[direction] / np.linalg.norm(layout.PUSH_DIRECTIONS[direction])
    travel = float(moved[2] @ push)
    assert 0.15 < travel < 0.35
    assert np.linalg.norm(moved[2] - travel * push) < 0.01  # straight along the push
    assert np.abs(np.delete(moved, 2, axis=0)).max() < 1e-9  # the other balls did not move


def test_push_into_a_neighbour_moves_it_along(table):
    start = state_of([(-0.3, 0.2), (0.08, 0.2), (0.0, -0.1), *SPREAD[3:]])
    table.place(start)
    after = table.push(0).reshape(5, 2)  # red pushed right into blue
    assert after[1, 0] - 0.08 > 0.05
    assert math.hypot(*(after[1] - after[0])) == pytest.approx(0.26, abs=0.01)  # they end up touching


def test_positions_are_fresh_before_every_push(table):
    rng = np.random.default_rng(3)
    table.place(layout.sample_start(rng))
    for action in rng.integers(40, size=12):
        ball, direction = layout.decode_action(int(action))
        xy_before = table.ball_xy().reshape(5, 2)
        # What MuJoCo's body positions say after a step lags one substep behind qpos while a ball still moves; the
        # push must start from the current centre, i.e. from qpos.
        table.push(int(action))
        np.testing.assert_array_equal(table.last_push_start, xy_before[ball] - simulator.PUSH_OFFSET * direction)
    # After a push in open space the ball still moves, so MuJoCo's body position (computed before the last
    # integration) lags behind qpos; a push planned from it would start in the wrong place (upstream's first push did).
    table.place(state_of(SPREAD))
    table.push(2 * 8 + 0)
    green = table.model.body(layout.COLOURS[2]).id
    fresh, stale = table.ball_xy()[4:6], table.data.xipos[green][:2].copy()
    assert np.abs(stale - fresh).max() > 1e-4
    table.push(2 * 8 + 1)
    np.testing.assert_array_equal(table.last_push_start, fresh - simulator.PUSH_OFFSET * layout.PUSH_DIRECTIONS[1])


def test_lookahead_matches_the_live_push(table):
    rng = np.random.default_rng(5)
    table.place(layout.sample_start(rng))
    for action in rng.integers(40, size=6):
        predicted = table.simulate(int(action))
        before = table.snapshot()
        via_state, _ = table.push_from(before, int(action))
        np.testing.assert_array_equal(predicted, via_state)
        np.testing.assert_array_equal(predicted, table.push(int(action)))


def test_same_seed_and_actions_give_the_same_trajectory(domain):
    actions = np.random.default_rng(0).integers(40, size=15)

    def rollout(sim):
        states = [sim.reset(1234)[0]]
        states += [sim.step(int(a))[0] for a in actions]
        return np.stack(states)

    first = rollout(domain.make_simulator("three-relations", 50))
    second_sim = domain.make_simulator("three-relations", 50)
    rollout(second_sim)  # a different history on the same simulator must not leak into the next episode
    np.testing.assert_array_equal(first, rollout(second_sim))

    sim = domain.make_simulator("line", 50)
    runs = []
    for _ in range(2):
        sim.reset(99)
        steps = []
        for _ in range(3):
            action = sim.expert_action()
            steps.append((action, sim.step(action)[0]))
        runs.append(steps)
    assert [a for a, _ in runs[0]] == [a for a, _ in runs[1]]
    for (_, s0), (_, s1) in zip(*runs, strict=True):
        np.testing.assert_array_equal(s0, s1)


def test_invalid_actions_are_rejected(domain):
    sim = domain.make_simulator("relation", 50)
    sim.reset(0)
    for bad in (-1, 40, 2.5, np.array([1, 2])):
        with pytest.raises(ValueError):
            sim.step(bad)
    sim.step(np.array([3]))  # a one-element array is fine (what d3rlpy's predict gives per row)


# ---- start states ------------------------------------------------------------------------------------------------
def test_start_states_keep_the_minimum_gap():
    rng = np.random.default_rng(0)
    for _ in range(300):
        xy = layout.sample_start(rng)
        assert layout.valid_start(xy)
        pts = xy.reshape(5, 2)
        gaps = [np.linalg.norm(pts[i] - pts[j]) - 2 * layout.BALL_RADIUS for i in range(5) for j in range(i)]
        assert min(gaps) >= layout.MIN_SURFACE_GAP
        assert pts[:, 0].min() - layout.BALL_RADIUS > -layout.WALL_X
        assert pts[:, 0].max() + layout.BALL_RADIUS < layout.WALL_X
        assert pts[:, 1].min() - layout.BALL_RADIUS > layout.WALL_Y[0]
    assert not layout.valid_start(state_of([(0, 0), (0.3, 0.05), *SPREAD[2:]]))


# ---- success tests -----------------------------------------------------------------------------------------------
def with_ball(index, xy, base=SPREAD):
    points = list(base)
    points[index] = xy
    return state_of(points)


@pytest.mark.parametrize(
    ("offset", "held"),
    [
        ((0.25, 0.25), {0}),  # 45 degrees: first angle of "behind"
        ((-0.25, 0.25), {1}),  # 135: first of "left"
        ((-0.25, -0.25), {2}),  # 225: first of "front"
        ((0.25, -0.25), {3}),  # 315: first of "right"
        ((0.3, 0.0), {3}),
        ((0.0, 0.3), {0}),
        ((0.38, 0.0), {3}),
        ((0.39, 0.0), set()),  # the distance limit is strict
        ((0.0, -0.389), {2}),
        ((0.5, 0.05), set()),
    ],
)
def test_relation_sector_and_distance(offset, held):
    reference = (0.0, 0.125)
    state = with_ball(2, reference, with_ball(0, (reference[0] + offset[0], reference[1] + offset[1])).reshape(5, 2))
    for direction in range(4):
        assert tasks.relation_holds(state, 0, 2, direction) == (direction in held)
        goal = tasks.encode_goal("relation", [(0, 2, direction)])
        assert tasks.success("relation", goal, state) == (direction in held)
        residual = tasks.residuals("relation", goal, state)[0]
        assert residual == 0.0 if direction in held else residual >= 0.0


def test_relation_tests_read_only_the_ten_coordinates():
    state = with_ball(0, (0.3, 0.15))  # red right of green
    goal = tasks.encode_goal("relation", [(0, 2, 3)])
    assert tasks.success("relation", goal, state)
    padded = np.concatenate([state, [1.0, 2.0, 0.0, 0.0, 0.0]])  # upstream's 15-value vector must not change anything
    assert tasks.success("relation", goal, padded)
    line = tasks.encode_goal("line")
    assert tasks.success("line", line, padded) == tasks.success("line", line, state)


def test_push_success():
    start = (0.0, 0.15)
    goal = tasks.encode_goal("push", push=(2, 3, start))  # green to the right
    assert tasks.success("push", goal, with_ball(2, (0.1, 0.15)))
    assert not tasks.success("push", goal, with_ball(2, (0.0999, 0.15)))
    assert tasks.success("push", goal, with_ball(2, (0.2, 0.35)))  # diagonal push (45 degrees) counts
    assert not tasks.success("push", goal, with_ball(2, (0.1, 0.35)))  # 63 degrees off
    assert not tasks.success("push", goal, with_ball(2, (-0.2, 0.15)))  # wrong way
    assert not tasks.success("push", goal, with_ball(0, (0.2, 0.45), with_ball(2, start).reshape(5, 2)))  # wrong ball
    behind = tasks.encode_goal("push", push=(2, 0, start))
    assert tasks.success("push", behind, with_ball(2, (0.2, 0.35)))


def test_multi_relation_success_needs_every_relation():
    # red right of green, blue behind green
    goal = tasks.encode_goal("two-relations", [(0, 2, 3), (1, 2, 0)])
    both = state_of([(0.3, 0.15), (0.0, 0.45), (0.0, 0.15), (-0.4, -0.1), (0.4, -0.1)])
    one = state_of([(0.3, 0.15), (0.45, 0.45), (0.0, 0.15), (-0.4, -0.1), (0.4, -0.1)])
    assert tasks.success("two-relations", goal, both)
    assert tasks.subgoals_held("two-relations", goal, one) == [True, False]
    assert not tasks.success("two-relations", goal, one)
    three = tasks.encode_goal("three-relations", [(0, 2, 3), (1, 2, 0), (3, 2, 1)])
    assert not tasks.success("three-relations", three, both)
    assert tasks.success("three-relations", three, with_ball(3, (-0.3, 0.15), both.reshape(5, 2)))


def test_line_success():
    goal = tasks.encode_goal("line")
    zigzag = state_of([(-0.44, 0.1), (-0.22, 0.25), (0.0, 0.1), (0.22, 0.25), (0.44, 0.1)])
    assert tasks.success("line", goal, zigzag)
    swapped = state_of([(-0.22, 0.25), (-0.44, 0.1), (0.0, 0.1), (0.22, 0.25), (0.44, 0.1)])
    assert not tasks.success("line", goal, swapped)
    # the "right" sector is half-open: exactly 45 degrees down counts, exactly 45 degrees up does not
    down = state_of([(-0.4, 0.4), (-0.2, 0.2), (0.0, 0.0), (0.2, -0.2), (0.4, -0.4)])
    up = state_of([(-0.4, -0.4), (-0.2, -0.2), (0.0, 0.0), (0.2, 0.2), (0.4, 0.4)])
    assert tasks.success("line", goal, down) and not tasks.success("line", goal, up)
    assert not tasks.success("line", goal, np.zeros(10))  # coincident centres never count


def test_gather_success():
    goal = tasks.encode_goal("gather")
    ring = [(0.0, 0.32), (0.32, 0.0), (0.0, 0.0), (-0.32, 0.0), (0.0, -0.32)]
    assert tasks.success("gather", goal, state_of(ring))
    ring[4] = (0.0, -0.325)
    assert not tasks.success("gather", goal, state_of(ring))
    assert tasks.subgoals_held("gather", goal, state_of(ring)) == [True, True, True, False]


def test_goal_must_match_its_task():
    with pytest.raises(ValueError):
        tasks.success("line", tasks.encode_goal("gather"), np.zeros(10))
    with pytest.raises(ValueError):
        tasks.success("stack", tasks.encode_goal("gather"), np.zeros(10))


# ---- goal sampling -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", FAMILIES)
def test_sampled_goals_do_not_hold_at_the_start(task):
    rng = np.random.default_rng(11)
    for _ in range(60):
        xy, goal = tasks.sample_episode(task, rng)
        assert goal.dtype == np.float32 and goal.shape == (tasks.GOAL_DIM,)
        assert layout.valid_start(xy)
        assert not tasks.success(task, goal, xy)
        if task in tasks.RELATION_COUNT:
            relations = tasks.decode_relations(goal)
            assert len(relations) == tasks.RELATION_COUNT[task]
            assert not any(tasks.subgoals_held(task, goal, xy))
            assert tasks._relations_compatible(relations)
        if task == "push":
            ball, direction, start = tasks.decode_push(goal)
            assert tasks.push_room(xy, ball, direction) >= tasks.PUSH_MIN_ROOM
            np.testing.assert_allclose(start, xy.reshape(5, 2)[ball], atol=1e-6)


def test_start_states_that_already_satisfy_the_goal_are_rejected(monkeypatch):
    solved = state_of([(0.0, 0.3), (0.3, 0.0), (0.0, 0.0), (-0.3, 0.0), (0.0, -0.16)])
    fresh = state_of(SPREAD)
    queue = [solved, fresh]
    monkeypatch.setattr(tasks, "sample_start", lambda rng: queue.pop(0))
    xy, goal = tasks.sample_episode("gather", np.random.default_rng(0))
    assert tasks.success("gather", goal, solved) and not queue
    np.testing.assert_array_equal(xy, fresh)


def test_incompatible_relation_sets_are_never_drawn():
    assert not tasks._relations_compatible([(0, 1, 1), (1, 0, 3)])  # same pair twice
    assert not tasks._relations_compatible([(0, 1, 1), (1, 2, 1), (2, 0, 1)])  # a cycle
    assert not tasks._relations_compatible([(0, 2, 1), (1, 2, 1)])  # two balls in one sector of green
    assert tasks._relations_compatible([(0, 2, 1), (1, 2, 3), (3, 0, 0)])


def test_reset_is_a_function_of_the_seed(domain):
    sim_a, sim_b = domain.make_simulator("two-relations", 50), domain.make_simulator("two-relations", 50)
    state_a, goal_a = sim_a.reset(42)
    sim_b.reset(7)
    state_b, goal_b = sim_b.reset(42)
    np.testing.assert_array_equal(state_a, state_b)
    np.testing.assert_array_equal(goal_a, goal_b)
    assert sim_a.instruction_slots() == sim_b.instruction_slots()
    assert not np.array_equal(sim_a.reset(43)[0], state_a)


# ---- experts -----------------------------------------------------------------------------------------------------
def run_expert(domain, task: str, seed: int):
    sim = domain.make_simulator(task, domain.default_horizon)
    state, goal = sim.reset(seed)
    states, rewards, success = [state], [], False
    for _ in range(domain.default_horizon):
        next_state, success = sim.step(sim.expert_action())
        assert success == domain.success(task, goal, next_state)  # the simulator's flag is the state-based test
        rewards.append(domain.reward(task, goal, states[-1], next_state, success))
        states.append(next_state)
        if success:
            break
    return goal, np.stack(states), np.array(rewards), success


def evaluation_seeds(domain, task: str, episodes: int) -> list[int]:
    return [p.start_seed for p in evaluation_plan(domain, LEVEL_OF[task], episodes) if p.task == task]


@pytest.mark.parametrize("task", FAMILIES)
def test_expert_solves_evaluation_episodes(domain, task):
    for seed in evaluation_seeds(domain, task, 2):
        assert run_expert(domain, task, seed)[3]


@pytest.mark.slow
@pytest.mark.parametrize("task", FAMILIES)
def test_expert_success_rate_per_family(domain, task):
    results = [run_expert(domain, task, seed)[3] for seed in evaluation_seeds(domain, task, 50)]
    assert np.mean(results) >= 0.9


def test_planner_never_changes_the_live_state(domain):
    sim = domain.make_simulator("three-relations", 50)
    sim.reset(5)
    before = sim.table.snapshot()
    for _ in range(3):
        sim.expert_action()
    after = sim.table.snapshot()
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_around_goes_round_the_reference_ball():
    assert experts.around((-1.0, 0.5), (1.0, 0.5), (0.0, 0.0)) == pytest.approx(2.0)  # clear of the disc
    r = experts.CONTACT
    through = experts.around((-0.5, 0.0), (0.5, 0.0), (0.0, 0.0))
    tangent = math.sqrt(0.25 - r * r)
    assert through == pytest.approx(2 * tangent + r * (math.pi - 2 * math.acos(r / 0.5)))
    assert through > 1.0


# ---- instructions ------------------------------------------------------------------------------------------------
def test_instruction_counts_and_disjoint_rephrasings(domain):
    real = domain.instructions("real", "relation")
    rephrase = domain.instructions("rephrase", "relation")
    assert len(real) == len(set(real)) == 80 * len(instructions.REAL_TEMPLATES) * 2 == 1920
    assert len(rephrase) == len(set(rephrase)) == 80 * len(instructions.REPHRASE_TEMPLATES) * 2 == 1600
    assert not set(real) & set(rephrase)
    assert len(domain.instructions("easy", "push")) == 5 * 4 * len(instructions.PUSH_TEMPLATES) * 2
    assert len(domain.instructions("hard", "line")) == len(domain.instructions("hard", "gather")) == 8
    assert domain.instructions("hard", "two-relations") == []  # too many to enumerate
    assert len(domain.all_instructions()) < 5000
    with pytest.raises(ValueError):
        domain.instructions("real", "push")
    with pytest.raises(ValueError):
        domain.instructions("hard", "relation")


@pytest.mark.parametrize("task", FAMILIES)
def test_episode_instructions_name_the_goal(domain, task):
    sim = domain.make_simulator(task, 50)
    _, goal = sim.reset(21)
    slots = sim.instruction_slots()
    level = LEVEL_OF[task]
    phrasings = domain.instructions(level, task, slots)
    assert phrasings and len(set(phrasings)) == len(phrasings)
    if task in tasks.RELATION_COUNT:
        assert len(phrasings) == len(instructions.MULTI_TEMPLATES if task != "relation" else instructions.REAL_TEMPLATES) * (
            2 ** len(tasks.decode_relations(goal)))
        for s, r, d in tasks.decode_relations(goal):
            assert all(layout.COLOURS[s] in p and layout.COLOURS[r] in p for p in phrasings)
    if task == "relation":
        assert set(phrasings) <= set(domain.instructions("real", "relation"))
        assert not set(domain.instructions("rephrase", "relation", slots)) & set(phrasings)
    if task == "push":
        assert set(phrasings) <= set(domain.instructions("easy", "push"))


# ---- success and reward as pure functions of (possibly noisy) states ---------------------------------------------
@pytest.mark.parametrize("task", FAMILIES)
def test_reward_is_shaping_plus_bonus(domain, task):
    seed = evaluation_seeds(domain, task, 1)[0]
    goal, states, rewards, success = run_expert(domain, task, seed)
    assert success
    # potential-based: the return telescopes to the residual drop plus the bonus
    drop = tasks.residuals(task, goal, states[0]).sum() - tasks.residuals(task, goal, states[-1]).sum()
    assert rewards.sum() == pytest.approx(tasks.SHAPING_SCALE * drop + tasks.SUCCESS_BONUS)
    assert domain.reward(task, goal, states[0], states[0], False) == 0.0


def test_hard_reward_is_paid_on_the_step_that_completes_a_subgoal(domain):
    goal = tasks.encode_goal("two-relations", [(0, 2, 3), (1, 2, 0)])
    before = state_of([(0.5, 0.15), (0.45, 0.45), (0.0, 0.15), (-0.4, -0.1), (0.4, -0.1)])  # red 0.5 right: too far
    after = with_ball(0, (0.3, 0.15), before.reshape(5, 2))  # now red is right of green
    assert tasks.subgoals_held("two-relations", goal, after) == [True, False]
    assert domain.reward("two-relations", goal, before, after, False) == pytest.approx(10 * (0.5 - 0.39))
    assert domain.reward("two-relations", goal, after, after, False) == 0.0  # no lagged payment one step later
    assert domain.reward("two-relations", goal, after, before, False) < 0  # undoing it costs


@pytest.mark.parametrize("task", FAMILIES)
def test_success_and_reward_on_noisy_states(domain, task):
    rng = np.random.default_rng(0)
    seed = evaluation_seeds(domain, task, 1)[0]
    goal, states, _, _ = run_expert(domain, task, seed)
    for scale in (0.01, 0.1, 1.0):
        noisy = (states + rng.normal(0, scale, states.shape)).astype(np.float32)
        for s, s_next in zip(noisy[:-1], noisy[1:], strict=True):
            ok = domain.success(task, goal, s_next)
            assert isinstance(ok, bool)
            value = domain.reward(task, goal, s, s_next, ok)
            assert isinstance(value, float) and math.isfinite(value)
            assert (tasks.residuals(task, goal, s_next) >= 0).all()
    # residuals are zero exactly where the sub-goals hold
    for s in states:
        held = tasks.subgoals_held(task, goal, s)
        assert [r == 0.0 for r in tasks.residuals(task, goal, s)] == held
