"""Load saved models and checkpoints without running code from the file.

``d3rlpy.load_learnable`` unpickles a whole ``model.d3`` with plain :mod:`pickle`, and ``torch.load(...,
weights_only=False)`` does the same for ``.pt`` files: a planted file whose pickle names ``os.system`` runs it.
Here nothing is unpickled with a general unpickler:

* ``model.d3`` (what ``algo.save`` and d3rlpy's periodic checkpoints write) is a pickled dict of three primitives:
  ``torch`` (bytes of ``torch.save`` of the networks' and optimisers' state dicts), ``config`` (JSON) and ``version``.
  :class:`PrimitiveUnpickler` admits no global at all, so any object reference in the outer pickle is refused; the
  weights are read with ``torch.load(weights_only=True)`` (tensors, containers, primitives); the config is rebuilt
  by d3rlpy's own JSON deserialiser, which only instantiates config classes and factories registered with d3rlpy
  (the suite registers its own on import of ``algos`` and ``encoders``).
* Other ``.pt`` files go through :func:`load_torch_file`, ``torch.load(weights_only=True)`` with, on request, the
  three numpy globals that rebuild a plain numeric array.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

__all__ = ["UnsafeFileError", "PrimitiveUnpickler", "load_policy", "load_torch_file"]


class UnsafeFileError(ValueError):
    """A file holds something other than the data it should (code references, a wrong layout). Names the file."""


class PrimitiveUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, tuples, strings, bytes, numbers, booleans and None; refuses every global name.

    Every object a pickle can build from outside that set (including ``os.system`` and ``builtins.eval``) is reached
    through ``find_class``, so refusing it there refuses them all.
    """

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load the global {module}.{name}: only plain data is allowed")


def _numpy_array_globals() -> list[Any]:
    """What ``torch.load(weights_only=True)`` additionally needs to rebuild plain numpy arrays (documented by torch)."""
    import numpy as np

    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    dtype_classes = [type(np.dtype(code)) for code in ("?", "i4", "i8", "f4", "f8", "u1")]
    return [_reconstruct, np.ndarray, np.dtype, *dtype_classes]


def load_torch_file(path: str | os.PathLike | io.BytesIO, *, map_location: Any = "cpu",
                    allow_numpy: bool = False, name: str | None = None) -> Any:
    """``torch.load(weights_only=True)``: tensors, primitives and containers only (and plain numpy arrays if
    ``allow_numpy``). A file that needs anything else raises :class:`UnsafeFileError` naming the file."""
    import torch

    label = name or str(path)
    try:
        if allow_numpy:
            with torch.serialization.safe_globals(_numpy_array_globals()):
                return torch.load(path, map_location=map_location, weights_only=True)
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafeFileError(
            f"{label} holds more than weights and plain data and was not loaded (no code from it ran): "
            f"{str(exc).splitlines()[0]}. Delete it if it is a cache entry, or load only files you trust."
        ) from exc


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """The outer dict of a ``model.d3`` file, read without admitting any global name."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            payload = PrimitiveUnpickler(f).load()
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise UnsafeFileError(
            f"{path} is not a plain d3rlpy model file and was not loaded (no code from it ran): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    expected = {"torch": bytes, "config": str, "version": str}
    if not isinstance(payload, dict) or any(not isinstance(payload.get(k), t) for k, t in expected.items()):
        layout = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise UnsafeFileError(f"{path} does not have a d3rlpy model file's layout (torch, config, version): {layout}")
    return payload


def load_policy(path: str | os.PathLike, device: str | None = None) -> Any:
    """Load a saved model (``model.d3`` of a run, or a checkpoint under ``d3rlpy/``) as a d3rlpy algorithm, without
    executing code from the file. ``device``: ``cpu`` (default), ``cuda``, ``cuda:N``.

    The returned object is what ``d3rlpy.load_learnable`` returns: ``algo.predict(observations)`` acts, where an
    observation is the domain state followed by the instruction embedding (see :func:`imagine_bench.make`).
    """
    import d3rlpy
    from d3rlpy.base import LearnableConfigWithShape
    from d3rlpy.torch_utility import map_location

    import algos  # noqa: F401  (registers the suite's optimizer factories with d3rlpy's config registry)
    import encoders  # noqa: F401  (registers the suite's encoder factories)

    path = Path(path)
    payload = read_model_file(path)
    if payload["version"] != d3rlpy.__version__:
        import logging

        logging.getLogger("imagine_bench").warning(
            "%s was saved by d3rlpy %s; this is d3rlpy %s", path, payload["version"], d3rlpy.__version__)
    try:
        config = LearnableConfigWithShape.deserialize(payload["config"])
    except Exception as exc:
        raise UnsafeFileError(f"{path}: its config cannot be rebuilt ({type(exc).__name__}: {exc})") from exc
    algo = config.create(device or "cpu:0")
    states = load_torch_file(io.BytesIO(payload["torch"]), map_location=map_location(algo.impl.device),
                             name=f"{path} (weights)")
    modules = algo.impl.modules.create_checkpointer(algo.impl.device).modules
    missing = sorted(set(modules) - set(states))
    if missing:
        raise UnsafeFileError(f"{path} lacks the weights of {missing}")
    for key, module in modules.items():
        module.load_state_dict(states[key])
    return algo
