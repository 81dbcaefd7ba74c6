"""Train the HalfCheetah expert policies with Augmented Random Search (ARS, Mania et al. 2018, variant V2-t).

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.train_experts --policy run-forward
    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.train_experts --all

Not run by CI: the resulting weights are shipped in ``expert_weights/<policy>.npz`` (a few KB each). One process, one
thread, NumPy and MuJoCo only: each policy takes a few CPU minutes (the wall time is printed at the end).

Method. A policy is ``a = clip(W h + b, -1, 1)`` on the normalised state features ``h`` (see :mod:`.experts`). Each
iteration draws ``directions`` Gaussian perturbations of the parameters, scores ``theta +/- noise * delta`` on one
episode each (the same start seed for the pair), keeps the ``top`` directions by ``max(score+, score-)`` and moves
``theta`` by ``step / (top * std of their scores) * sum (score+ - score-) delta``. Feature means and standard
deviations are running statistics of the visited states, frozen within an iteration. Every ``eval_every`` iterations
the current policy is scored on ``eval_episodes`` held-out start seeds, and the best one (task success rate first,
then mean score) is kept and saved.

Episodes use the domain's own simulator (:class:`.simulator.Cheetah`, Gymnasium ``HalfCheetah-v5``) and reset
distribution, and the scores are built on the domain's success tests (:mod:`.tasks`). Objectives per policy kind:

* ``cruise`` (run-forward and run-backward at 2.6 m/s, the fast tasks at 4.5 m/s): hold the speed in the task
  direction for ``horizon`` steps, score ``-mean |v - dir * speed| - FLIP_COST * (share of steps off its feet)``.
  The training-task experts run at a moderate, steady pace so that the fast novel tasks are not solved by copying
  them; tracking a speed (rather than maximising distance) also gives steadier gaits for the fast experts;
* ``jump`` (the three jump tasks): the episode ends at the task's success; score ``10 * min(peak, 0.4)`` plus a
  displacement term (``min(dir * disp, 1.5)``, or ``-|disp|`` in place) ``+ 10 * success - FLIP_COST * share``.

The there-and-back tasks have no policy of their own: their expert chains the run-forward and run-backward experts
(see ``simulator.py``).

Settings of every policy are in ``POLICIES`` below (and stored in each ``.npz`` as ``meta``); ``--seed`` and
``--iterations`` override them. Held-out selection episodes use start seeds 10**9 + i, never used elsewhere.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T
from imagine_bench.domains.halfcheetah.simulator import Cheetah
from imagine_bench.domains.halfcheetah.experts import EXPERT_DIR, Policy

OBS_FEATURES = tuple(range(L.OBS_DIM))
FLIP_COST = 3.0


@dataclass(frozen=True)
class Settings:
    kind: str  # cruise | jump
    task: str  # the domain task whose success test is monitored
    direction: int
    horizon: int
    iterations: int
    speed: float = 0.0  # cruise target, m/s
    features: tuple[int, ...] = OBS_FEATURES
    directions: int = 32
    top: int = 8
    step: float = 0.02
    noise: float = 0.03
    eval_every: int = 10
    eval_episodes: int = 50
    seed: int = 0


POLICIES: dict[str, Settings] = {
    "run-forward": Settings("cruise", "run-forward", +1, horizon=100, iterations=150, speed=2.6),
    "run-backward": Settings("cruise", "run-backward", -1, horizon=100, iterations=150, speed=2.6),
    "run-forward-fast": Settings("cruise", "run-forward-fast", +1, horizon=100, iterations=200, speed=4.5),
    "run-backward-fast": Settings("cruise", "run-backward-fast", -1, horizon=100, iterations=200, speed=4.5),
    "jump-forward": Settings("jump", "jump-forward", +1, horizon=80, iterations=150),
    "jump-backward": Settings("jump", "jump-backward", -1, horizon=80, iterations=150),
    "jump-in-place": Settings("jump", "jump-in-place", 0, horizon=80, iterations=200),
}


# -------------------------------------------------------------------------------------------------------- objectives
def flip_share(states: np.ndarray) -> float:
    return float((np.cos(states[:, L.PITCH]) < T.UPRIGHT_COS).mean())


def score(cfg: Settings, states: np.ndarray, actions: np.ndarray, solved: bool) -> float:
    final = states[-1]
    if cfg.kind == "cruise":
        return float(-np.abs(states[1:, L.VX] - cfg.direction * cfg.speed).mean() - FLIP_COST * flip_share(states))
    height = 10.0 * min(float(final[L.PEAK]), T.JUMP_CLEARANCE + 0.1)
    if cfg.direction == 0:
        move = -abs(float(final[L.DISP]))
    else:
        move = min(cfg.direction * float(final[L.DISP]), 1.5 * T.JUMP_STEP)
    return float(height + move + 10.0 * solved - FLIP_COST * flip_share(states))


def stops_on_success(cfg: Settings) -> bool:
    return cfg.kind == "jump"


# -------------------------------------------------------------------------------------------------------- ARS
class RunningStats:
    def __init__(self, n: int) -> None:
        self.count, self.mean, self.m2 = 0, np.zeros(n), np.zeros(n)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, np.float64)
        k = len(x)
        if not k:
            return
        batch_mean = x.mean(0)
        delta, total = batch_mean - self.mean, self.count + k
        self.m2 += ((x - batch_mean) ** 2).sum(0) + delta**2 * self.count * k / total
        self.mean = self.mean + delta * k / total
        self.count = total

    @property
    def std(self) -> np.ndarray:
        if self.count < 2:
            return np.ones_like(self.mean)
        return np.sqrt(self.m2 / (self.count - 1)) + 1e-2


def as_policy(theta: np.ndarray, features: np.ndarray, mean: np.ndarray, std: np.ndarray, meta: dict) -> Policy:
    return Policy(features=features, mean=mean.copy(), std=std.copy(), w=theta[:, :-1].copy(), b=theta[:, -1].copy(),
                  meta=meta)


def episode(sim: Cheetah, policy, cfg: Settings, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    state = sim.reset(seed)
    states, actions, solved = [state], [], False
    for _ in range(cfg.horizon):
        action = policy(state)
        state = sim.step(action)
        states.append(state)
        actions.append(action)
        solved = solved or T.success(cfg.task, state)
        if solved and stops_on_success(cfg):
            break
    return np.asarray(states), np.asarray(actions), solved


def _log(message: str) -> None:
    print(message, flush=True)


def train(name: str, cfg: Settings, out_dir: Path, log=_log) -> tuple[Policy, dict]:
    start = time.time()
    rng = np.random.default_rng(cfg.seed)
    sim = Cheetah()
    features = np.asarray(cfg.features, np.int64)
    theta = np.zeros((6, len(features) + 1))
    stats = RunningStats(len(features))
    eval_seeds = [10**9 + i for i in range(cfg.eval_episodes)]
    meta = {"policy": name, "method": "ARS V2-t", "settings": asdict(cfg)}
    best: tuple[tuple[float, float], Policy] | None = None
    steps = 0

    def linear(theta_, mean, std):
        return lambda s: np.clip(theta_[:, :-1] @ ((s[features] - mean) / std) + theta_[:, -1], -1.0, 1.0)

    for it in range(1, cfg.iterations + 1):
        mean, std = stats.mean.copy(), stats.std
        deltas = rng.standard_normal((cfg.directions, *theta.shape))
        plus, minus, visited = np.zeros(cfg.directions), np.zeros(cfg.directions), []
        for k in range(cfg.directions):
            seed = int(rng.integers(2**31 - 1))
            for sign, out in ((1.0, plus), (-1.0, minus)):
                perturbed = linear(theta + sign * cfg.noise * deltas[k], mean, std)
                states, actions, solved = episode(sim, perturbed, cfg, seed)
                out[k] = score(cfg, states, actions, solved)
                visited.append(states[:, features])
                steps += len(actions)
        best_dirs = np.argsort(-np.maximum(plus, minus))[: cfg.top]
        spread = np.concatenate([plus[best_dirs], minus[best_dirs]]).std() + 1e-8
        theta += cfg.step / (cfg.top * spread) * np.einsum("k,kij->ij", plus[best_dirs] - minus[best_dirs],
                                                           deltas[best_dirs])
        stats.update(np.concatenate(visited)[::4])
        if it % cfg.eval_every == 0 or it == cfg.iterations:
            candidate = as_policy(theta, features, stats.mean, stats.std, meta)
            runs = [episode(sim, candidate, cfg, s) for s in eval_seeds]
            rate = float(np.mean([r[2] for r in runs]))
            mean_score = float(np.mean([score(cfg, *r) for r in runs]))
            disp = float(np.mean([r[0][-1, L.DISP] for r in runs]))
            if best is None or (rate, mean_score) > best[0]:
                best = ((rate, mean_score), candidate)
            log(f"[{name}] iter {it:4d}  env steps {steps:8d}  {time.time() - start:6.0f}s  success {rate:.2f}  "
                f"score {mean_score:7.2f}  final disp {disp:6.2f}")
    assert best is not None
    wall = time.time() - start
    policy = best[1]
    policy.meta = {**meta, "selected": {"success": best[0][0], "score": best[0][1]}, "env_steps": steps,
                   "wall_seconds": round(wall, 1)}
    out_dir.mkdir(parents=True, exist_ok=True)
    policy.save(out_dir / f"{name}.npz")
    sim.close()
    log(f"[{name}] saved {out_dir / f'{name}.npz'}: held-out success {best[0][0]:.2f}, "
        f"{steps} env steps, wall time {wall:.0f}s")
    return policy, policy.meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--policy", choices=sorted(POLICIES), action="append", help="policy to train (repeatable)")
    group.add_argument("--all", action="store_true", help="train every policy, one after another")
    parser.add_argument("--out", type=Path, default=EXPERT_DIR, help=f"output folder (default {EXPERT_DIR})")
    parser.add_argument("--seed", type=int, default=None, help="override the ARS seed")
    parser.add_argument("--iterations", type=int, default=None, help="override the number of ARS iterations")
    args = parser.parse_args(argv)
    names = sorted(POLICIES) if args.all else args.policy
    summary = {}
    for name in names:
        cfg = POLICIES[name]
        if args.seed is not None:
            cfg = replace(cfg, seed=args.seed)
        if args.iterations is not None:
            cfg = replace(cfg, iterations=args.iterations)
        _, meta = train(name, cfg, args.out)
        summary[name] = {"wall_seconds": meta["wall_seconds"], "held_out_success": meta["selected"]["success"]}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
