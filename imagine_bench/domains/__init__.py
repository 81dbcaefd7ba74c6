"""Domain registry. Every sub-package of this package is a domain, laid out the same way (``domain.py`` with the
:class:`Domain` subclass decorated with :func:`register_domain`, ``simulator.py``, ``tasks.py``, ``instructions.py``,
``experts.py``, ``layout.py``; see ``docs/adding-a-domain.md``) and is discovered automatically: adding a domain means
adding a package and a ``configs/env`` file. Only ``simulator.py`` imports the simulator, so discovery stays cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from imagine_bench.domains.base import Domain, TaskSimulator

__all__ = [
    "Domain", "TaskSimulator", "register_domain", "get_domain", "domain_names", "domain_classes", "namespaced",
]

_REGISTRY: dict[str, type[Domain]] = {}
NAMESPACE = "imagine_bench"  # Gymnasium namespace of every domain's id: ``imagine_bench/MetaWorld-v0``
ENTRY_POINT = "imagine_bench.env:ImagineBenchEnv"


def register_domain(cls: type[Domain]) -> type[Domain]:
    """Class decorator: make the domain reachable by name, env id and aliases, here and in Gymnasium.

    Gymnasium gets ``imagine_bench/<env_id>`` always, and the bare env id and upstream aliases (``Ball-v0``,
    ``Mujoco-v0``) unless another package already uses that env name.
    """
    import gymnasium as gym

    for key in (cls.name, cls.env_id, *cls.aliases):
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"domain key {key!r} registered twice ({_REGISTRY[key].__name__} and {cls.__name__})")
        _REGISTRY[key] = cls
    kwargs = {"domain": cls.name}
    if namespaced(cls.env_id) not in gym.registry:
        gym.register(id=namespaced(cls.env_id), entry_point=ENTRY_POINT, kwargs=kwargs)
    for env_id in (cls.env_id, *cls.aliases):
        if env_id not in gym.registry and not _taken_by_another_package(env_id):
            gym.register(id=env_id, entry_point=ENTRY_POINT, kwargs=kwargs)
    return cls


def namespaced(env_id: str) -> str:
    """``MetaWorld-v0`` -> ``imagine_bench/MetaWorld-v0`` (Gymnasium's ``namespace/name-vN`` id form)."""
    return env_id if env_id.startswith(NAMESPACE + "/") else f"{NAMESPACE}/{env_id}"


def _taken_by_another_package(env_id: str) -> bool:
    """True if Gymnasium already knows an env of this name (any version) from elsewhere, e.g. its own
    ``HalfCheetah-v5``: registering ``HalfCheetah-v0`` beside it would make the id mean different envs depending on
    whether ``imagine_bench`` was imported. Such ids stay reachable as ``imagine_bench/<id>``."""
    import gymnasium as gym
    from gymnasium.envs.registration import parse_env_id

    namespace, name, _ = parse_env_id(env_id)
    return any(spec.namespace == namespace and spec.name == name and spec.entry_point != ENTRY_POINT
               for spec in gym.registry.values())


@cache
def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")


def domain_classes() -> dict[str, type[Domain]]:
    """Registered domains by their short name (``metaworld``, ...)."""
    _discover()
    return {cls.name: cls for cls in _REGISTRY.values()}


def domain_names() -> list[str]:
    return sorted(domain_classes())


@cache
def get_domain(name: str) -> Domain:
    """The domain for a short name (``metaworld``), an env id (``MetaWorld-v0``, ``imagine_bench/MetaWorld-v0``) or
    an alias (``Ball-v0``)."""
    _discover()
    name = name.removeprefix(NAMESPACE + "/")
    if name not in _REGISTRY:
        ids = sorted({f"{c.name} ({c.env_id})" for c in _REGISTRY.values()})
        raise ValueError(f"unknown env {name!r}; expected one of: {', '.join(ids)}")
    return _REGISTRY[name]()
