"""The one on-disk format: an HDF5 file per dataset, holding flat rollouts, metadata and a checksum.

Layout::

    /states /actions /rewards /lengths /terminated /task_ids /instruction_ids /goals /success   (datasets)
    /tasks /instructions                                                                          (utf-8 strings)
    attrs: format, layout (a paragraph explaining this layout), metadata (JSON: domain, level, kind, backend and
           settings, seed, package versions), checksum; every dataset has a ``description`` attribute

The checksum is a SHA-256 over every array's bytes, both string tables and the metadata text, verified on every load,
so a flipped byte is an error rather than a silently different experiment. The cache also compares the metadata with
what it asked for (:func:`metadata_differences`), so a file copied over another's name is an error, not a run on the
wrong data. Format 1 files (checksum over the arrays only) are still read: their metadata is compared all the same.
Values beyond :data:`MAX_ABS_VALUE` are refused when saving: no domain has states or rewards that large, so they
come from a broken generator and must not be cached. Files are written to a temporary sibling and renamed,
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

#: 2: the checksum covers the metadata too (the arrays are written exactly as in format 1)
FORMAT = "imagine_bench.rollouts/2"
ARRAYS_ONLY_CHECKSUM_FORMATS = ("imagine_bench.rollouts/1",)
#: the largest magnitude a state, action, goal or reward may have in a saved dataset
MAX_ABS_VALUE = 1e6

# Written as attributes so a file explains itself in h5dump / HDFView / h5py (not part of the checksum).
LAYOUT_NOTE = (
    "Flat rollouts: E episodes stored back to back, M transitions in all. Episode i owns transitions "
    "starts[i]:starts[i]+lengths[i] (starts = cumulative sum of lengths, from 0) and states "
    "starts[i]+i : starts[i]+i+lengths[i]+1, i.e. every episode keeps its final state, so transition t of episode i "
    "goes from state row starts[i]+i+t to the next row. terminated[i] is true when the episode ended because the task "
    "was solved (a true terminal state) and false when the time limit cut it (bootstrap from the final state). "
    "Instructions and tasks are stored once per episode as indices into the string tables; the policy's observation "
    "is a state row followed by the embedding of the episode's instruction. The metadata attribute (JSON) records "
    "domain, level, kind (real or imaginary), backend settings, seed and package versions; checksum is a SHA-256 over "
    "every array, both string tables and the metadata text."
)
DESCRIPTIONS = {
    "states": "(M + E, state_dim) float32: domain states, one extra final state per episode (see layout)",
    "actions": "(M, action_dim) float32 for continuous actions, (M,) int64 action ids for discrete ones",
    "rewards": "(M,) float32: reward of each transition, from the domain's state-based reward function",
    "lengths": "(E,) int64: transitions per episode, >= 1",
    "terminated": "(E,) bool: the episode ended because the task was solved (false: cut by the time limit)",
    "task_ids": "(E,) int32: index into /tasks",
    "instruction_ids": "(E,) int32: index into /instructions",
    "goals": "(E, goal_dim) float32: per-episode goal description not visible in the state (goal_dim may be 0)",
    "success": "(E,) bool: the task's success test fired during the episode",
    "tasks": "(n_tasks,) utf-8 strings: task names",
    "instructions": "(n_instructions,) utf-8 strings: instruction texts",
}


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


def file_checksum(rollouts: Rollouts, metadata_json: str) -> str:
    """The stored checksum: the contents' :func:`checksum` (also the key of models trained on a dataset) plus the
    metadata text exactly as stored."""
    return hashlib.sha256(f"{checksum(rollouts)}\n{metadata_json}".encode()).hexdigest()


def check_values(rollouts: Rollouts, path: str | os.PathLike) -> None:
    """Refuse non-finite or absurdly large numbers before they reach the cache (see :data:`MAX_ABS_VALUE`)."""
    for name in ("states", "actions", "goals", "rewards"):
        array = getattr(rollouts, name)
        if array.size == 0 or not np.issubdtype(array.dtype, np.floating):
            continue
        if not np.isfinite(array).all():
            raise ValueError(f"refusing to write {path}: the generated {name} contain NaN or infinite values")
        largest = float(np.abs(array).max())
        if largest > MAX_ABS_VALUE:
            raise ValueError(f"refusing to write {path}: the generated {name} reach {largest:.3g}, beyond the "
                             f"plausible range (|value| <= {MAX_ABS_VALUE:g}); check the generator's settings")


def metadata_differences(stored: dict[str, Any], expected: dict[str, Any], prefix: str = "") -> list[str]:
    """``"field: file has X, requested Y"`` for every field of ``expected`` (nested dicts field by field) whose value
    the stored metadata does not match; compared as JSON, so 1 and 1.0 or a tuple and a list are equal."""
    differences = []
    for key, want in expected.items():
        have = stored.get(key, "<absent>") if isinstance(stored, dict) else "<absent>"
        if isinstance(want, dict) and isinstance(have, dict):
            differences += metadata_differences(have, want, f"{prefix}{key}.")
        elif _as_json(have) != _as_json(want):
            differences.append(f"{prefix}{key}: file has {have!r}, requested {want!r}")
    return differences


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def save(path: str | os.PathLike, rollouts: Rollouts) -> Path:
    rollouts.validate()
    path = Path(path)
    check_values(rollouts, path)
    with atomic_write(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for name in Rollouts.ARRAY_FIELDS:
                f.create_dataset(name, data=getattr(rollouts, name))
            strings = h5py.string_dtype("utf-8")
            f.create_dataset("tasks", data=np.array(rollouts.tasks, dtype=object), dtype=strings)
            f.create_dataset("instructions", data=np.array(rollouts.instructions, dtype=object), dtype=strings)
            for name, text in DESCRIPTIONS.items():
                f[name].attrs["description"] = text
            f.attrs["layout"] = LAYOUT_NOTE
            metadata_json = json.dumps(rollouts.metadata, sort_keys=True, default=str)
            f.attrs["format"] = FORMAT
            f.attrs["metadata"] = metadata_json
            f.attrs["checksum"] = file_checksum(rollouts, metadata_json)
    return path


def load(path: str | os.PathLike, regenerate_hint: str = "", expected: dict[str, Any] | None = None) -> Rollouts:
    """Load and verify a dataset file; any problem raises :class:`DatasetError` naming the file.

    ``expected``: metadata fields the file must carry (the request that led to this file name); any difference is an
    error that names the differing fields.
    """
    path = Path(path)
    hint = regenerate_hint or f"delete {path} and rerun to regenerate it"
    if not path.exists():
        raise DatasetError(f"dataset file {path} does not exist; {hint}")
    try:
        with h5py.File(path, "r") as f:
            file_format = f.attrs.get("format")
            if file_format != FORMAT and file_format not in ARRAYS_ONLY_CHECKSUM_FORMATS:
                raise DatasetError(f"{path} is not an imagine_bench dataset (format {file_format!r}, "
                                   f"expected {FORMAT!r}); {hint}")
            metadata_json = str(f.attrs["metadata"])
            metadata = json.loads(metadata_json)
            differences = metadata_differences(metadata, expected or {})
            if differences:
                raise DatasetError(f"dataset file {path} holds other data than its name says: "
                                   f"{'; '.join(differences)}. {hint[0].upper()}{hint[1:]}")
            arrays = {name: f[name][()] for name in Rollouts.ARRAY_FIELDS}
            tasks = [s.decode() if isinstance(s, bytes) else str(s) for s in f["tasks"][()]]
            instructions = [s.decode() if isinstance(s, bytes) else str(s) for s in f["instructions"][()]]
            stored_checksum = str(f.attrs["checksum"])
    except DatasetError:
        raise
    except Exception as exc:  # truncated or garbled HDF5, missing fields, ...
        raise DatasetError(f"dataset file {path} is unreadable or incomplete ({type(exc).__name__}: {exc}); {hint}") from exc
    try:
        rollouts = Rollouts(**arrays, tasks=tasks, instructions=instructions, metadata=metadata)
    except ValueError as exc:
        raise DatasetError(f"dataset file {path} has inconsistent contents ({exc}); {hint}") from exc
    computed = checksum(rollouts) if file_format in ARRAYS_ONLY_CHECKSUM_FORMATS else file_checksum(rollouts, metadata_json)
    if computed != stored_checksum:
        raise DatasetError(f"dataset file {path} failed its checksum (contents changed since it was written); {hint}")
    return rollouts


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["metadata"])
