"""The HalfCheetah experts: shipped linear policies, chained for the there-and-back tasks; run as a script, the expert
table (:mod:`imagine_bench.domains.expert_table`)::

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.experts --episodes 100

The policy form is a linear map of normalised state features to actions. A policy file
(``expert_weights/<name>.npz``) holds ``features`` (indices into the 24-d state, see :mod:`.layout`), the
normalisation ``mean`` / ``std``, the weights ``w`` (6 x features), the bias ``b``, and the training settings and
record as ``meta`` (a JSON string). Actions are ``clip(w @ ((s[features] - mean) / std) + b, -1, 1)``. Everything is
NumPy, so running an expert needs no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T

EXPERT_DIR = Path(__file__).resolve().parent / "expert_weights"


@dataclass
class Policy:
    features: np.ndarray  # int64 indices into the state
    mean: np.ndarray
    std: np.ndarray
    w: np.ndarray  # (6, len(features))
    b: np.ndarray  # (6,)
    meta: dict[str, Any] = field(default_factory=dict)

    def __call__(self, state: np.ndarray) -> np.ndarray:
        h = (np.asarray(state, np.float64)[self.features] - self.mean) / self.std
        return np.clip(self.w @ h + self.b, -1.0, 1.0).astype(np.float32)

    def save(self, path: str | Path) -> None:
        arrays = {"features": self.features, "mean": self.mean, "std": self.std, "w": self.w, "b": self.b}
        arrays = {k: np.asarray(v, np.int64 if k == "features" else np.float64) for k, v in arrays.items()}
        np.savez_compressed(path, meta=np.array(json.dumps(self.meta, sort_keys=True)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        with np.load(path) as f:
            get = lambda k: f[k].astype(np.float64)  # noqa: E731
            return cls(
                features=f["features"].astype(np.int64), mean=get("mean"), std=get("std"), w=get("w"), b=get("b"),
                meta=json.loads(str(f["meta"])),
            )


_CACHE: dict[str, Policy] = {}


def load_expert(name: str) -> Policy:
    """The shipped expert ``expert_weights/<name>.npz`` (cached per process)."""
    if name not in _CACHE:
        path = EXPERT_DIR / f"{name}.npz"
        if not path.exists():
            raise FileNotFoundError(f"expert weights {path} are missing; train them with "
                                    f"python -m imagine_bench.domains.halfcheetah.train_experts --policy {name}")
        _CACHE[name] = Policy.load(path)
    return _CACHE[name]


#: the there-and-back experts turn once the first leg is this much longer than the success test needs
TURN_MARGIN = 0.5

_LEG_EXPERTS = {+1: ("run-forward", "run-backward"), -1: ("run-backward", "run-forward")}


def expert_policy_name(task: str, state: np.ndarray) -> str:
    """Which shipped policy acts in ``state``: the task's own for run and jump tasks; for a there-and-back task the
    first leg's cruise expert until the furthest point passes ``LEG_DISTANCE + TURN_MARGIN``, then the other one."""
    spec = T.spec(task)
    if spec.kind != "there-and-back":
        return task
    first, second = _LEG_EXPERTS[spec.direction]
    extreme = float(state[L.DISP_MAX] if spec.direction > 0 else state[L.DISP_MIN])
    return second if spec.direction * extreme >= spec.distance + TURN_MARGIN else first


def expert_action(task: str, state: np.ndarray) -> np.ndarray:
    return load_expert(expert_policy_name(task, state))(state)


def main(argv: list[str] | None = None) -> None:
    from imagine_bench.domains.expert_table import main as print_table

    print_table("halfcheetah", argv, default_episodes=100)


if __name__ == "__main__":
    main()
