"""Register the suite's d3rlpy plugins (the LLaTA encoder, the fused Adam optimizer) whenever d3rlpy is imported.

``d3rlpy.load_learnable`` rebuilds a saved model from the JSON config stored in it, and resolves each polymorphic
field (``encoder_factory: {"type": "llata"}``, ``optim_factory: {"type": "fused_adam"}``) through d3rlpy's registries,
which only hold what has been registered in this process (d3rlpy docs, "Make your models loadable"). The factories
live in the top-level ``encoders`` and ``algos`` packages and register themselves when imported.

Importing those packages costs torch and d3rlpy (~3 s, ~300 MB), which evaluation worker processes and Gymnasium
users never need. So ``import imagine_bench`` registers them at once only if d3rlpy is already loaded, and otherwise
installs a one-shot import hook that registers them right after d3rlpy finishes importing. Either way they are
registered before any d3rlpy function can run, so ``import imagine_bench`` alone is enough for ``load_learnable``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

_PLUGIN_MODULES = ("algos.optimizers", "encoders.llata")  # each registers its factories when first imported
_lock = threading.Lock()


def register_d3rlpy_plugins() -> None:
    """Import the modules that register the suite's factories with d3rlpy (idempotent: modules import once).

    ``algos`` and ``encoders`` are generic top-level names; if another installed package of that name comes first on
    ``sys.path``, say so instead of failing later with d3rlpy's ``KeyError: 'fused_adam'``.
    """
    home = Path(__file__).resolve().parents[1]
    for name in _PLUGIN_MODULES:
        package = name.split(".")[0]
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            found = getattr(sys.modules.get(package), "__file__", None)
            if exc.name != name or found is None:
                raise
            raise ImportError(f"the top-level package {package!r} at {found} is not imagine_bench's (expected under "
                              f"{home}); another installed package of that name shadows it") from exc
        if Path(module.__file__).resolve().parents[1] != home:
            raise ImportError(f"{name} was imported from {module.__file__}, not from imagine_bench's {home}; another "
                              f"package named {package!r} shadows it")


class _AfterD3rlpyImport(importlib.abc.MetaPathFinder):
    """Finds ``d3rlpy`` with the other finders and wraps its loader so the plugins register after it has loaded."""

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None):
        if fullname != "d3rlpy":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _remove_hook()
        register_d3rlpy_plugins()

    def __getattr__(self, name: str) -> Any:  # resource readers and the like go to the real loader
        return getattr(self._loader, name)


def _remove_hook() -> None:
    with _lock:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AfterD3rlpyImport)]


def install() -> None:
    """Register now if d3rlpy is loaded, else once it is (called by ``import imagine_bench``)."""
    if "d3rlpy" in sys.modules:
        register_d3rlpy_plugins()
        return
    with _lock:
        if not any(isinstance(f, _AfterD3rlpyImport) for f in sys.meta_path):
            sys.meta_path.insert(0, _AfterD3rlpyImport())
