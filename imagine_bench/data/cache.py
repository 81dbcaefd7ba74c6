"""Datasets are generated on first use into a cache directory and reused afterwards.

The file name carries a hash of everything that decides the contents (domain, level, backend and its settings,
episodes, horizon, seed, data-format version), so changing any setting makes a new file instead of silently reusing
an old one. The name is only an address: on every load the file's metadata must match the request field by field
(see :func:`imagine_bench.data.store.load`). A lock file keeps two parallel jobs (joblib multirun) from generating
the same dataset twice; it is taken only to write, so a complete cache on a read-only file system can be used.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock

from imagine_bench.data import store
from imagine_bench.data.collect import collect_expert_rollouts
from imagine_bench.data.rollouts import Rollouts
from imagine_bench.domains import Domain, get_domain
from imagine_bench.levels import Level
from imagine_bench.paths import default_cache_dir

# Bump when generation logic changes in a way that changes file contents.
DATA_VERSION = 1


class ImaginaryDataSource(Protocol):
    """What the data layer needs from an imagination backend (``imagine_bench.imagination.ImaginationBackend``): the
    settings that key its datasets, whether it learns from the real rollouts, and the generator itself. The data layer
    knows no concrete backend; the caller picks one (Hydra's ``imagination`` group)."""

    grounded_on_real: bool

    def settings(self) -> dict[str, Any]: ...

    def generate(self, domain: Domain, level: str, episodes_per_task: int, horizon: int, seed: int,
                 progress: bool = True, *, real: Rollouts | None = None) -> Rollouts: ...


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("imagine-bench", "numpy", "gymnasium", "mujoco", "metaworld", "minigrid", "d3rlpy", "torch"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            pass
    return versions


def checked_cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    """``cache_dir`` with ``~`` expanded; ``None`` = :func:`default_cache_dir`. An empty path is an error (it would
    silently mean the current directory)."""
    if cache_dir is None:
        return default_cache_dir()
    if not str(cache_dir).strip():
        raise ValueError("data.cache_dir is empty (is IMAGINE_BENCH_CACHE set to an empty string?); give a directory")
    return Path(cache_dir).expanduser()


def dataset_path(cache_dir: Path, spec: dict[str, Any]) -> Path:
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    kind = spec["kind"] if spec["kind"] == "real" else f"imaginary-{spec['level']}-{spec['backend']['backend']}"
    name = f"{kind}-n{spec['episodes_per_task']}-h{spec['horizon']}-s{spec['seed']}-{key}.h5"
    return Path(cache_dir) / "datasets" / spec["domain"] / name


def _regenerate_hint(path: Path) -> str:
    return f"delete {path} and rerun: the dataset is regenerated on first use"


def load_or_generate(path: Path, spec: dict[str, Any], generate) -> Rollouts:
    """Return the verified dataset at ``path``, generating it first (under a lock, atomically) if absent.

    An existing file that is corrupt, or whose metadata differs from ``spec``, raises :class:`store.DatasetError`;
    it is never silently overwritten, so a damaged cache is noticed rather than papered over. Files appear only by
    rename, so a file that exists is complete and is read without the lock.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock"):
            if not path.exists():
                rollouts = generate()
                rollouts.metadata.update(spec, versions=package_versions())
                store.save(path, rollouts)
    return store.load(path, _regenerate_hint(path), expected=spec)


def load_datasets(
    domain: Domain | str,
    level: str | Level,
    *,
    horizon: int | None = None,
    real_episodes_per_task: int = 100,
    imaginary_episodes_per_task: int = 100,
    imagination: ImaginaryDataSource | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[Rollouts, Rollouts | None]:
    """``(real, imaginary)`` for ``level``: real = experts on the training tasks with training instructions (the same
    file for every level); imaginary = the ``imagination`` backend's rollouts of the level's tasks (required unless
    ``level="real"``), ``None`` for ``level="real"``."""
    domain = get_domain(domain) if isinstance(domain, str) else domain
    level = Level(level)
    horizon = int(horizon or domain.default_horizon)
    cache_dir = checked_cache_dir(cache_dir)
    common = {"domain": domain.name, "horizon": horizon, "seed": int(seed), "data_version": DATA_VERSION,
              "domain_version": domain.data_version}

    real_spec = {**common, "kind": "real", "level": "real", "episodes_per_task": int(real_episodes_per_task),
                 "backend": {"backend": "expert"}}
    real = load_or_generate(
        dataset_path(cache_dir, real_spec), real_spec,
        lambda: collect_expert_rollouts(domain, "real", real_episodes_per_task, horizon, seed, progress=progress),
    )
    if not level.uses_imaginary_data:
        return real, None

    if imagination is None:
        raise ValueError(f"level {str(level)!r} trains on imaginary data: pass an imagination backend "
                         "(imagination=...)")
    backend = imagination.settings()
    if imagination.grounded_on_real:
        backend["real_episodes_per_task"] = int(real_episodes_per_task)  # which real dataset it learned from
    imag_spec = {**common, "kind": "imaginary", "level": level, "episodes_per_task": int(imaginary_episodes_per_task),
                 "backend": backend}
    imaginary = load_or_generate(
        dataset_path(cache_dir, imag_spec), imag_spec,
        lambda: imagination.generate(domain, level, imaginary_episodes_per_task, horizon, seed, progress=progress,
                                     real=real if imagination.grounded_on_real else None),
    )
    return real, imaginary
