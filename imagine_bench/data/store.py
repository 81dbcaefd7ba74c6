"""The one on-disk format: an HDF5 file per dataset, holding flat rollouts, metadata and a checksum.

Layout::

    /states /actions /rewards /lengths /terminated /task_ids /instruction_ids /goals /success   (datasets)
    /tasks /instructions                                                                          (utf-8 strings)
    attrs: format, metadata (JSON: domain, level, kind, backend and settings, seed, package versions), checksum

The checksum is a SHA-256 over every array's bytes and both string tables, verified on every load, so a flipped
byte is an error rather than a silently different experiment. Files are written to a temporary sibling and renamed,
so an interrupted write never leaves a file that looks complete. (Upstream downloaded unchecked ``.npy``/``.h5``
files into the package directory.)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from imagine_bench.data.rollouts import Rollouts
from imagine_bench.storage import atomic_write

FORMAT = "imagine_bench.rollouts/1"


class DatasetError(RuntimeError):
    """A dataset file is missing, truncated, corrupt or of the wrong shape. The message says how to regenerate it."""


def checksum(rollouts: Rollouts) -> str:
    digest = hashlib.sha256()
    for name in Rollouts.ARRAY_FIELDS:
        array = np.ascontiguousarray(getattr(rollouts, name))
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    for name in ("tasks", "instructions"):
        digest.update(json.dumps(getattr(rollouts, name)).encode())
    return digest.hexdigest()


def save(path: str | os.PathLike, rollouts: Rollouts) -> Path:
    rollouts.validate()
    path = Path(path)
    with atomic_write(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for name in Rollouts.ARRAY_FIELDS:
                f.create_dataset(name, data=getattr(rollouts, name))
            strings = h5py.string_dtype("utf-8")
            f.create_dataset("tasks", data=np.array(rollouts.tasks, dtype=object), dtype=strings)
            f.create_dataset("instructions", data=np.array(rollouts.instructions, dtype=object), dtype=strings)
            f.attrs["format"] = FORMAT
            f.attrs["metadata"] = json.dumps(rollouts.metadata, sort_keys=True, default=str)
            f.attrs["checksum"] = checksum(rollouts)
    return path


def load(path: str | os.PathLike, regenerate_hint: str = "") -> Rollouts:
    """Load and verify a dataset file; any problem raises :class:`DatasetError` naming the file."""
    path = Path(path)
    hint = regenerate_hint or f"delete {path} and rerun to regenerate it"
    if not path.exists():
        raise DatasetError(f"dataset file {path} does not exist; {hint}")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise DatasetError(f"{path} is not an imagine_bench dataset (format {f.attrs.get('format')!r}, "
                                   f"expected {FORMAT!r}); {hint}")
            arrays = {name: f[name][()] for name in Rollouts.ARRAY_FIELDS}
            tasks = [s.decode() if isinstance(s, bytes) else str(s) for s in f["tasks"][()]]
            instructions = [s.decode() if isinstance(s, bytes) else str(s) for s in f["instructions"][()]]
            metadata = json.loads(f.attrs["metadata"])
            stored_checksum = str(f.attrs["checksum"])
    except DatasetError:
        raise
    except Exception as exc:  # truncated or garbled HDF5, missing fields, ...
        raise DatasetError(f"dataset file {path} is unreadable or incomplete ({type(exc).__name__}: {exc}); {hint}") from exc
    try:
        rollouts = Rollouts(**arrays, tasks=tasks, instructions=instructions, metadata=metadata)
    except ValueError as exc:
        raise DatasetError(f"dataset file {path} has inconsistent contents ({exc}); {hint}") from exc
    if checksum(rollouts) != stored_checksum:
        raise DatasetError(f"dataset file {path} failed its checksum (contents changed since it was written); {hint}")
    return rollouts


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["metadata"])
