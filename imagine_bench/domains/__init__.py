"""Domain registry. Every module in this package that defines a :class:`Domain` subclass decorated with
:func:`register_domain` is discovered automatically: adding a domain means adding a module and a ``configs/env`` file.
Domain modules keep their simulator imports inside methods so that discovery stays cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from imagine_bench.domains.base import Domain, TaskSimulator

__all__ = ["Domain", "TaskSimulator", "register_domain", "get_domain", "domain_names", "domain_classes"]

_REGISTRY: dict[str, type[Domain]] = {}


def register_domain(cls: type[Domain]) -> type[Domain]:
    """Class decorator: make the domain reachable by name, env id and aliases, here and in Gymnasium."""
    import gymnasium as gym

    for key in (cls.name, cls.env_id, *cls.aliases):
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"domain key {key!r} registered twice ({_REGISTRY[key].__name__} and {cls.__name__})")
        _REGISTRY[key] = cls
    for env_id in (cls.env_id, *cls.aliases):
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point="imagine_bench.env:ImagineBenchEnv", kwargs={"domain": cls.name})
    return cls


@cache
def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


def domain_classes() -> dict[str, type[Domain]]:
    """Registered domains by their short name (``metaworld``, ...)."""
    _discover()
    return {cls.name: cls for cls in _REGISTRY.values()}


def domain_names() -> list[str]:
    return sorted(domain_classes())


@cache
def get_domain(name: str) -> Domain:
    """The domain for a short name (``metaworld``), an env id (``MetaWorld-v0``) or an alias (``Ball-v0``)."""
    _discover()
    if name not in _REGISTRY:
        ids = sorted({f"{c.name} ({c.env_id})" for c in _REGISTRY.values()})
        raise ValueError(f"unknown env {name!r}; expected one of: {', '.join(ids)}")
    return _REGISTRY[name]()
