from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig

ACTION_KINDS = ("continuous", "discrete")


def algo_variant(algo_cfg: DictConfig, action_kind: str) -> DictConfig:
    """The ``continuous`` or ``discrete`` entry of an algo config, or a clear error if the algorithm lacks it."""
    if action_kind not in ACTION_KINDS:
        raise ValueError(f"action kind must be one of {ACTION_KINDS}, got {action_kind!r}")
    variant = algo_cfg.get(action_kind)
    if variant is None:
        has = [kind for kind in ACTION_KINDS if algo_cfg.get(kind) is not None]
        raise ValueError(
            f"algo={algo_cfg.name} has no {action_kind}-action variant (it supports: {', '.join(has) or 'nothing'}); "
            f"pick an algo whose configs/algo/<name>.yaml has a '{action_kind}' entry"
        )
    return variant


def build_algo(algo_cfg: DictConfig, action_kind: str, device: str) -> Any:
    """Instantiate the d3rlpy config for ``action_kind`` and create the algorithm on ``device``."""
    config = instantiate(algo_variant(algo_cfg, action_kind), _convert_="all")
    return config.create(device=device)

