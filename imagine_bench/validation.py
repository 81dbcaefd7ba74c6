"""One pass over every setting before any data is generated: types, ranges, the device, the backend's knobs, paths.

Each problem raises :class:`SettingError` naming the setting, the value given and what is allowed, so a typo fails
in seconds instead of after minutes of dataset generation (or, worse, finishes as a NaN run marked completed).
"""

from __future__ import annotations

import math
import re
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

#: largest value accepted for the integer settings that size work (a guard against typos such as an extra 0s run)
LARGE = 10**9
SEED_MAX = 2**32 - 1  # numpy seeds must fit in 32 bits here
DEVICE_PATTERN = re.compile(r"^(cpu|cuda)(:\d+)?$")


class SettingError(ValueError):
    """A setting has a value outside what it accepts. The message names the setting, the value and the range."""


def _fail(key: str, value: Any, allowed: str) -> SettingError:
    return SettingError(f"{key}={value!r} is invalid: {allowed}")


def check_int(cfg: DictConfig, key: str, low: int, high: int = LARGE) -> int:
    """An integer in ``[low, high]`` (an integral float such as ``1e5`` is accepted and stored as an int)."""
    value = OmegaConf.select(cfg, key)
    number = value
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise _fail(key, value, f"must be an integer in [{low}, {high}]")
    if number is not value:
        with open_dict(cfg):
            OmegaConf.update(cfg, key, number)
    return number


def check_float(cfg: DictConfig, key: str, low: float, high: float, *, open_low: bool = False,
                allow_none: bool = False) -> float | None:
    """A finite number in ``[low, high]`` (``(low, high]`` with ``open_low``); ``None`` only with ``allow_none``."""
    value = OmegaConf.select(cfg, key)
    if value is None and allow_none:
        return None
    interval = f"{'(' if open_low else '['}{low:g}, {high:g}]" + (" or null" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(key, value, f"must be a finite number in {interval}")
    if value < low or value > high or (open_low and value == low):
        raise _fail(key, value, f"must be in {interval}")
    return float(value)


def check_bool(cfg: DictConfig, key: str) -> bool:
    value = OmegaConf.select(cfg, key)
    if not isinstance(value, bool):
        raise _fail(key, value, "must be true or false")
    return value


def check_device(device: Any, key: str = "device") -> str:
    """``cpu``, ``cuda`` or ``cuda:N`` with that GPU present."""
    if not isinstance(device, str) or not DEVICE_PATTERN.match(device):
        raise _fail(key, device, "must be cpu, cuda or cuda:N")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise _fail(key, device, "torch sees no CUDA device; use device=cpu")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise _fail(key, device, f"there are {torch.cuda.device_count()} CUDA devices (cuda:0..)")
    return device


def check_cache_dir(cfg: DictConfig, key: str = "data.cache_dir") -> str:
    """A non-empty path; ``~`` is expanded in place, so every reader of the setting gets the real directory."""
    import os

    value = OmegaConf.select(cfg, key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, "must be a directory path (is IMAGINE_BENCH_CACHE set to an empty string?)")
    expanded = os.path.expanduser(value)
    if expanded != value:
        with open_dict(cfg):
            OmegaConf.update(cfg, key, expanded)
    return expanded


def check_algo(variant: DictConfig, prefix: str) -> None:
    """The hyperparameters every d3rlpy config shares or that would silently give a NaN run."""
    for key in variant:
        if key == "batch_size":
            _prefixed(check_int, variant, prefix, key, 1, 10**7)
        elif key == "gamma":
            _prefixed(check_float, variant, prefix, key, 0.0, 1.0)
        elif key.endswith("learning_rate"):
            _prefixed(check_float, variant, prefix, key, 0.0, 10.0, open_low=True)
        elif key == "tau":
            _prefixed(check_float, variant, prefix, key, 0.0, 1.0)
        elif key.startswith("n_") and isinstance(variant[key], int | float | str):
            _prefixed(check_int, variant, prefix, key, 1)


def _prefixed(check, cfg: DictConfig, prefix: str, key: str, *args, **kwargs):
    try:
        return check(cfg, key, *args, **kwargs)
    except SettingError as exc:
        raise SettingError(f"{prefix}.{exc}") from None


def validate_settings(cfg: DictConfig) -> None:
    """Every generic setting of ``configs/config.yaml`` (the runner adds the checks that need the domain)."""
    check_int(cfg, "seed", 0, SEED_MAX)
    check_int(cfg, "data.seed", 0, SEED_MAX)
    check_int(cfg, "eval.seed", 0, SEED_MAX)
    steps = check_int(cfg, "steps", 1)
    interval = check_int(cfg, "eval.interval", 1)
    if steps % min(interval, steps):
        raise SettingError(f"steps={steps} is invalid: must be a multiple of eval.interval={interval}")
    check_int(cfg, "threads", 1, 4096)
    check_int(cfg, "checkpoint_every", 1)
    check_int(cfg, "env.horizon", 1, 100_000)
    check_int(cfg, "data.real_episodes_per_task", 1, 10**6)
    check_int(cfg, "data.imaginary_episodes_per_task", 1, 10**6)
    check_float(cfg, "data.imaginary_share", 0.0, 1.0, allow_none=True)
    check_int(cfg, "eval.episodes_per_task", 1, 10**6)
    check_int(cfg, "eval.in_flight", 1, 10**4)
    for key in ("compile_graph", "progress", "data.prefetch"):
        check_bool(cfg, key)
    check_device(cfg.device)
    check_cache_dir(cfg)


def check_algo_section(cfg: DictConfig, action_kind: str) -> None:
    from algos.build import algo_variant

    check_algo(algo_variant(cfg.algo, action_kind), f"algo.{action_kind}")
