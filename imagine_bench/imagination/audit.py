"""How faithful is an imaginary dataset? A per-task audit that works for every imagination backend.

For each domain, level and task it reports:

* **Implausible transitions.** A transition ``s -> s'`` is a *jump* when some state dimension changes by more than
  ``jump_factor`` times the largest change that dimension ever makes in one real step, plus ``jump_tolerance`` times
  the dimension's spread over real states (so small drift is not a jump, a teleport is); it is *outside* when ``s'``
  leaves the box of real states widened by ``margin`` of each dimension's range (objects outside the workspace,
  empty entity slots becoming non-empty, goals drifting away). Both thresholds come from REAL transitions: the real
  dataset (training tasks) plus, for levels with novel tasks, real expert rollouts of the level's own tasks (as many
  per task as the imaginary data has), which the audit collects (and caches) for this purpose only, because a novel
  task moves objects no training task moves.
* **Dynamics error.** The imagined actions replayed in the real simulator from the imagined start state, open loop
  (``replay_err``: mean per-step L2 distance between simulated and imagined states) and one step at a time from
  sampled imagined states (``step_err``). One-step replay needs a simulator that can be restored from a state vector
  (:meth:`TaskSimulator.restore`; mode ``restore``). For other domains the open-loop replay still works when the
  imagined start state is the real state ``sim.reset`` gives for the suite's ``imaginary`` episode seed, which is how
  every backend starts (mode ``reset``); episodes whose start does not match are counted and skipped. A domain where
  neither works prints ``replay not supported``.
* **Success.** The share of imagined rollouts that the task's own state-based success test accepts (as written in
  the dataset), against the share whose replayed actions make the real simulator report success.

Command line (composes the suite's Hydra config, so datasets come from / go to the same cache as training runs)::

    python -m imagine_bench.imagination.audit --env metaworld --level rephrase,easy,hard --imagination scripted \
        --preset noisy [--episodes N] [--real-episodes N] [--cache-dir D] [--json out.json] [key=value ...]

Trailing ``key=value`` arguments are Hydra overrides of the launch config (``imagination.train.steps=100``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from imagine_bench.data.rollouts import Rollouts, concatenate
from imagine_bench.domains import Domain, get_domain
from imagine_bench.paths import configs_dir
from imagine_bench.provenance import code_state
from imagine_bench.seeding import episode_seed
from imagine_bench.storage import atomic_write


# ---------------------------------------------------------------------------------------------------- thresholds
@dataclass
class Thresholds:
    max_delta: np.ndarray  # (D,) largest |one-step change| per dimension over real transitions
    low: np.ndarray  # (D,) smallest real value per dimension
    high: np.ndarray  # (D,) largest real value
    spread: np.ndarray  # (D,) std of real values
    jump_factor: float = 1.5
    jump_tolerance: float = 0.05
    margin: float = 0.1
    atol: float = 1e-5

    @property
    def jump_limit(self) -> np.ndarray:
        return self.jump_factor * self.max_delta + self.jump_tolerance * self.spread + self.atol

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        width = self.high - self.low
        return self.low - self.margin * width - self.atol, self.high + self.margin * width + self.atol

    def summary(self) -> dict[str, Any]:
        return {"jump_factor": self.jump_factor, "jump_tolerance": self.jump_tolerance, "margin": self.margin,
                "atol": self.atol, "static_dims": int((self.max_delta == 0).sum()),
                "state_dims": int(len(self.max_delta))}


def episode_deltas(rollouts: Rollouts) -> np.ndarray:
    """``s' - s`` for every transition (never across an episode boundary)."""
    index = rollouts.transition_state_index()
    return rollouts.states[index + 1] - rollouts.states[index]


def derive_thresholds(reference: Rollouts, jump_factor: float = 1.5, jump_tolerance: float = 0.05,
                      margin: float = 0.1) -> Thresholds:
    states = reference.states.astype(np.float64)
    deltas = np.abs(episode_deltas(reference)).astype(np.float64)
    return Thresholds(
        max_delta=deltas.max(0) if len(deltas) else np.zeros(states.shape[1]), low=states.min(0),
        high=states.max(0), spread=states.std(0), jump_factor=jump_factor, jump_tolerance=jump_tolerance,
        margin=margin,
    )


def reference_rollouts(
    domain: Domain, level: str, *, real: Rollouts, episodes_per_task: int, horizon: int, seed: int,
    cache_dir: str | Path, progress: bool = False,
) -> Rollouts:
    """Real transitions the thresholds come from: the real dataset, plus real expert rollouts of the level's tasks
    that the real dataset does not cover (cached next to the datasets; used by the audit only, never for training)."""
    from imagine_bench.data.cache import DATA_VERSION, load_or_generate
    from imagine_bench.data.collect import collect_expert_rollouts

    missing = [t for t in domain.tasks(level) if t not in real.tasks]
    if not missing:
        return real
    spec = {"domain": domain.name, "horizon": int(horizon), "seed": int(seed), "data_version": DATA_VERSION,
            "domain_version": getattr(domain, "data_version", None), "kind": "audit-reference", "level": level,
            "episodes_per_task": int(episodes_per_task),
            "backend": {"backend": "expert", "purpose": "audit thresholds"}}
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    path = Path(cache_dir) / "datasets" / domain.name / (
        f"audit-reference-{level}-n{episodes_per_task}-h{horizon}-s{seed}-{key}.h5")
    extra = load_or_generate(
        path, spec, lambda: collect_expert_rollouts(domain, level, episodes_per_task, horizon, seed, progress=progress))
    return concatenate([real, extra])


# ---------------------------------------------------------------------------------------------------- audit
def implausibility(rollouts: Rollouts, thresholds: Thresholds) -> dict[str, np.ndarray]:
    """Per-transition flags: ``jump``, ``outside`` and their union ``implausible``."""
    index = rollouts.transition_state_index()
    before, after = rollouts.states[index].astype(np.float64), rollouts.states[index + 1].astype(np.float64)
    jump = (np.abs(after - before) > thresholds.jump_limit).any(1)
    lo, hi = thresholds.box
    outside = ((after < lo) | (after > hi)).any(1)
    return {"jump": jump, "outside": outside, "implausible": jump | outside}


def replay_episode(sim, states: np.ndarray, actions: np.ndarray, goal: np.ndarray, onestep: Sequence[int]) -> dict:
    """Replay ``actions`` open loop from ``states[0]`` (the simulator must already be in that state); then, if the
    simulator can be restored, one step from each imagined state in ``onestep``."""
    errors, success = [], False
    for t, action in enumerate(actions):
        state, ok = sim.step(action)
        errors.append(float(np.linalg.norm(np.asarray(state, np.float64) - states[t + 1])))
        success = success or bool(ok)
    step_errors = []
    for t in onestep:
        sim.restore(states[t], goal)
        state, _ = sim.step(actions[t])
        step_errors.append(float(np.linalg.norm(np.asarray(state, np.float64) - states[t + 1])))
    return {"errors": errors, "step_errors": step_errors, "success": success}


def replay_mode(domain: Domain, task: str, horizon: int) -> str:
    """``restore`` when the domain's simulator can be put into any state vector, else ``reset``: open-loop replay
    is still possible for episodes whose start state is the real one ``sim.reset`` gives for the suite's
    ``imaginary`` episode seeds (every backend starts there), but one-step errors from imagined states are not."""
    sim = domain.make_simulator(task, domain.task_horizon(task, horizon))
    try:
        state, goal = sim.reset(episode_seed(0, "imaginary", task, 0))
        sim.restore(state, goal)
        return "restore"
    except NotImplementedError:
        return "reset"
    finally:
        sim.close()


def audit_rollouts(
    domain: Domain, level: str, imaginary: Rollouts, thresholds: Thresholds, *, horizon: int, seed: int = 0,
    replay_episodes: int | None = 20, onestep_samples: int = 10, progress: bool = False,
) -> list[dict[str, Any]]:
    """One row per task of ``imaginary``: see the module docstring for the columns. ``seed`` is the data seed the
    imaginary dataset was generated with (its start states come from it)."""
    flags = implausibility(imaginary, thresholds)
    episode_of = imaginary.transition_episode()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA0D]))
    rows = []
    for task_id, task in enumerate(imaginary.tasks):
        episodes = np.flatnonzero(imaginary.task_ids == task_id)
        in_task = np.isin(episode_of, episodes)
        row: dict[str, Any] = {
            "domain": domain.name, "level": level, "task": task, "episodes": int(len(episodes)),
            "transitions": int(in_task.sum()), "mean_length": float(imaginary.lengths[episodes].mean()),
            **{f"{k}_share": float(v[in_task].mean()) if in_task.any() else float("nan") for k, v in flags.items()},
            "imagined_success": float(imaginary.success[episodes].mean()),
        }
        row.update(_replay_task(domain, task, imaginary, episodes, horizon, seed, replay_episodes, onestep_samples,
                                rng, progress))
        rows.append(row)
    return rows


def _replay_task(domain, task, imaginary, episodes, horizon, seed, replay_episodes, onestep_samples, rng, progress):
    out: dict[str, Any] = {"replay": "skipped", "replay_episodes": 0, "replay_err": float("nan"),
                           "step_err": float("nan"), "replay_success": float("nan"), "replay_failed": 0,
                           "replay_unmatched": 0}
    if replay_episodes is not None and replay_episodes <= 0:
        return out
    mode = replay_mode(domain, task, horizon)
    chosen = episodes if replay_episodes is None else episodes[:replay_episodes]
    sim = domain.make_simulator(task, domain.task_horizon(task, horizon))
    errors, step_errors, successes, failed, unmatched = [], [], [], 0, 0
    try:
        for rank, i in enumerate(tqdm(chosen, desc=f"replay {task}", disable=not progress, leave=False)):
            steps, states = imaginary.episode_slice(int(i))
            ep_states = imaginary.states[states].astype(np.float64)
            ep_actions = imaginary.actions[steps]
            length = len(ep_actions)
            onestep = np.sort(rng.choice(length, size=min(onestep_samples, length), replace=False)) \
                if mode == "restore" else []
            try:
                start, _ = sim.reset(episode_seed(seed, "imaginary", task, rank))
                if mode == "restore":
                    sim.restore(ep_states[0], imaginary.goals[i])
                elif not np.allclose(start, ep_states[0], atol=1e-5):
                    unmatched += 1  # not the real start state of this seed: cannot be replayed without restore
                    continue
                result = replay_episode(sim, ep_states, ep_actions, imaginary.goals[i], onestep)
            except Exception:  # an imagined state the simulator refuses (e.g. a non-physical pose)
                failed += 1
                continue
            errors.extend(result["errors"])
            step_errors.extend(result["step_errors"])
            successes.append(result["success"])
    finally:
        sim.close()
    out.update(replay=mode if successes else "not supported", replay_episodes=len(successes),
               replay_failed=failed, replay_unmatched=unmatched,
               replay_err=float(np.mean(errors)) if errors else float("nan"),
               step_err=float(np.mean(step_errors)) if step_errors else float("nan"),
               replay_success=float(np.mean(successes)) if successes else float("nan"))
    return out


# ---------------------------------------------------------------------------------------------------- printing
COLUMNS = (
    ("level", "{:<9}"), ("task", "{:<22}"), ("episodes", "{:>5}"), ("transitions", "{:>7}"),
    ("implausible_share", "{:>8.3f}"), ("jump_share", "{:>7.3f}"), ("outside_share", "{:>8.3f}"),
    ("imagined_success", "{:>8.2f}"), ("replay_success", "{:>8.2f}"), ("replay_err", "{:>9.4f}"),
    ("step_err", "{:>9.4f}"),
)
REPLAYED = ("restore", "reset")
REPLAY_NOTES = {
    "reset": "replay from the real reset start states only (the simulator cannot be restored from a state vector: "
             "no one-step errors)",
    "not supported": "replay not supported",
    "skipped": "replay skipped",
}
HEADERS = ("level", "task", "eps", "steps", "implaus", "jump", "outside", "succ_im", "succ_sim", "replay_err",
           "step_err")


def format_table(rows: Sequence[dict[str, Any]], title: str = "") -> str:
    widths = [len(fmt.format(*([0] if "d" in fmt or "f" in fmt else [""]))) for _, fmt in COLUMNS]
    lines = [title] if title else []
    lines.append(" ".join(h.rjust(w) if i > 1 else h.ljust(w) for i, (h, w) in enumerate(zip(HEADERS, widths))))
    for row in rows:
        cells = []
        for (key, fmt), width in zip(COLUMNS, widths):
            value = row.get(key)
            replayed = row.get("replay") in REPLAYED and (key != "step_err" or row.get("replay") == "restore")
            if key in ("replay_success", "replay_err", "step_err") and not replayed:
                cells.append("-".rjust(width))
            elif isinstance(value, float) and not np.isfinite(value):
                cells.append("nan".rjust(width))
            else:
                cells.append(fmt.format(value))
        lines.append(" ".join(cells))
    notes = sorted({f"{r['domain']}: {REPLAY_NOTES.get(r.get('replay'), 'replay ' + str(r.get('replay')))}"
                    for r in rows if r.get("replay") != "restore"})
    failed = sum(int(r.get("replay_failed", 0)) for r in rows if r.get("task") != "(all)")
    unmatched = sum(int(r.get("replay_unmatched", 0)) for r in rows if r.get("task") != "(all)")
    if failed:
        notes.append(f"{failed} replayed episodes were refused by the simulator")
    if unmatched:
        notes.append(f"{unmatched} episodes not replayed: their start state is not the seed's real reset state")
    return "\n".join(lines + notes)


def mean_row(rows: Sequence[dict[str, Any]], level: str, task: str = "(all)") -> dict[str, Any]:
    """Transition-weighted (implausibility) and episode-weighted (success, errors) averages over rows."""
    steps = np.array([r["transitions"] for r in rows], float)
    eps = np.array([r["episodes"] for r in rows], float)
    out: dict[str, Any] = {"domain": rows[0]["domain"], "level": level, "task": task, "episodes": int(eps.sum()),
                           "transitions": int(steps.sum())}
    for key in ("implausible_share", "jump_share", "outside_share"):
        out[key] = float(np.average([r[key] for r in rows], weights=steps)) if steps.sum() else float("nan")
    out["imagined_success"] = float(np.average([r["imagined_success"] for r in rows], weights=eps))
    replayed = [r for r in rows if r.get("replay") in REPLAYED and r["replay_episodes"]]
    out["replay"] = replayed[0]["replay"] if replayed else rows[0].get("replay", "not supported")
    for key in ("replay_success", "replay_err", "step_err"):
        values = [r[key] for r in replayed if np.isfinite(r[key])]
        out[key] = float(np.average(values, weights=[r["replay_episodes"] for r in replayed if np.isfinite(r[key])])) \
            if values else float("nan")
    out["replay_episodes"] = int(sum(r["replay_episodes"] for r in replayed))
    out["replay_failed"] = int(sum(r.get("replay_failed", 0) for r in rows))
    out["replay_unmatched"] = int(sum(r.get("replay_unmatched", 0) for r in rows))
    return out


# ---------------------------------------------------------------------------------------------------- command line
def compose_config(env: str, imagination: str, overrides: Sequence[str]):
    from hydra import compose, initialize_config_dir

    configs = configs_dir()
    env_overrides = [f"env={env}"] if (configs / "env" / f"{env}.yaml").exists() else [
        f"env.name={env}", f"env.horizon={get_domain(env).default_horizon}"]
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        return compose("config", overrides=[*env_overrides, f"imagination={imagination}", *overrides])


def run_audit(
    env: str, levels: Sequence[str], imagination: str = "scripted", overrides: Sequence[str] = (), *,
    replay_episodes: int | None = 20, onestep_samples: int = 10, jump_factor: float = 1.5,
    jump_tolerance: float = 0.05, margin: float = 0.1, progress: bool = True,
) -> dict[str, Any]:
    """Generate (or reuse) the imaginary datasets of ``levels`` and audit them; returns rows and settings."""
    from hydra.utils import instantiate

    from imagine_bench.data.cache import load_datasets

    import torch

    cfg = compose_config(env, imagination, overrides)
    torch.set_num_threads(int(cfg.threads))  # as the runner does: one thread unless the config says otherwise
    domain = get_domain(cfg.env.name)
    backend = instantiate(cfg.imagination)
    common = dict(horizon=int(cfg.env.horizon), seed=int(cfg.data.seed), cache_dir=cfg.data.cache_dir,
                  progress=progress)
    result: dict[str, Any] = {"env": domain.name, "imagination": imagination, "settings": backend.settings(),
                              "overrides": list(overrides), "levels": {}}
    for level in levels:
        real, imaginary = load_datasets(
            domain, level, real_episodes_per_task=int(cfg.data.real_episodes_per_task),
            imaginary_episodes_per_task=int(cfg.data.imaginary_episodes_per_task), imagination=backend, **common)
        if imaginary is None:
            raise ValueError("level 'real' has no imaginary data to audit")
        # The novel tasks' real rollouts are sized like the imaginary data they are compared with: at the real
        # level's size, CLEVR's planning expert needs over an hour per level.
        reference = reference_rollouts(domain, level, real=real,
                                       episodes_per_task=int(cfg.data.imaginary_episodes_per_task),
                                       horizon=common["horizon"], seed=common["seed"], cache_dir=common["cache_dir"],
                                       progress=progress)
        thresholds = derive_thresholds(reference, jump_factor, jump_tolerance, margin)
        rows = audit_rollouts(domain, level, imaginary, thresholds, horizon=common["horizon"], seed=common["seed"],
                              replay_episodes=replay_episodes, onestep_samples=onestep_samples, progress=progress)
        result["levels"][level] = {
            "rows": rows, "mean": mean_row(rows, level), "thresholds": thresholds.summary(),
            "reference_transitions": reference.n_transitions,
            "malformed": imaginary.metadata.get("malformed"), "dataset": imaginary.summary(),
        }
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m imagine_bench.imagination.audit",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="metaworld")
    parser.add_argument("--level", default="rephrase,easy,hard", help="comma-separated levels (not 'real')")
    parser.add_argument("--imagination", default="scripted", help="a configs/imagination/<name>.yaml")
    parser.add_argument("--preset", default=None, help="scripted preset: perfect | default | noisy")
    parser.add_argument("--episodes", type=int, default=None, help="imaginary episodes per task")
    parser.add_argument("--real-episodes", type=int, default=None, help="real episodes per task")
    parser.add_argument("--horizon", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None, help="data seed")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--replay-episodes", type=int, default=20, help="replayed episodes per task (0: no replay)")
    parser.add_argument("--onestep-samples", type=int, default=10, help="one-step replays per replayed episode")
    parser.add_argument("--jump-factor", type=float, default=1.5)
    parser.add_argument("--jump-tolerance", type=float, default=0.05)
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--json", default=None, help="also write the full result as JSON here")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the launch config (key=value)")
    args = parser.parse_args(argv)
    overrides = list(args.overrides)
    for flag, key in ((args.preset, "imagination.preset"), (args.episodes, "data.imaginary_episodes_per_task"),
                      (args.real_episodes, "data.real_episodes_per_task"), (args.horizon, "env.horizon"),
                      (args.seed, "data.seed"), (args.cache_dir, "data.cache_dir")):
        if flag is not None:
            overrides.append(f"{key}={flag}")
    levels = [lv.strip() for lv in args.level.split(",") if lv.strip()]
    result = run_audit(args.env, levels, args.imagination, overrides, replay_episodes=args.replay_episodes,
                       onestep_samples=args.onestep_samples, jump_factor=args.jump_factor,
                       jump_tolerance=args.jump_tolerance, margin=args.margin, progress=not args.no_progress)
    label = args.imagination + (f" ({args.preset})" if args.preset else "")
    rows = [r for level in result["levels"].values() for r in [*level["rows"], level["mean"]]]
    print(format_table(rows, f"imagination audit: {result['env']}, {label}"))
    for level, info in result["levels"].items():
        if info.get("malformed"):
            print(f"{level}: malformed model outputs {info['malformed']}")
    if args.json:
        invoked = sys.argv[1:] if argv is None else argv
        record = {**result, **code_state(),
                  "command": shlex.join(["python", "-m", "imagine_bench.imagination.audit", *invoked])}
        with atomic_write(args.json) as tmp:
            tmp.write_text(json.dumps(_finite(record), indent=2, default=_json_default))
    sys.stdout.flush()
    return result


def _finite(value: Any) -> Any:
    """NaN / inf -> None, so the JSON file is strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


if __name__ == "__main__":
    main()
