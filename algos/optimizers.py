"""Optimizer factories for d3rlpy, registered so ``d3rlpy.load_learnable`` can rebuild a saved model's config.

d3rlpy's ``AdamFactory`` builds ``torch.optim.Adam`` with torch's default implementation, which on CPU is the
"single-tensor" one: a Python loop issuing a dozen small kernels per parameter tensor. With the small networks used
here that loop is 8-10% of a TD3+BC or IQL update on one CPU thread (``benchmarks/train_throughput.py``).
:class:`FusedAdamFactory` asks torch for its fused Adam kernel instead (one C++ pass over all parameters). It is the
same Adam update rule with the same hyperparameters; results match d3rlpy's Adam to float32 rounding (tested).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from d3rlpy.optimizers import AdamFactory, register_optimizer_factory
from torch import nn
from torch.optim import Adam


@dataclasses.dataclass()
class FusedAdamFactory(AdamFactory):
    """d3rlpy's ``AdamFactory`` with torch's fused kernel for parameters on the CPU.

    On CUDA torch already defaults to its multi-tensor ("foreach") Adam, which d3rlpy's ``compile_graph`` path is
    known to capture, so parameters on a GPU get exactly what stock d3rlpy would give them.
    """

    def create_optimizer(self, named_modules: Iterable[tuple[str, nn.Module]], lr: float) -> Adam:
        # The stock optimizer only supplies d3rlpy's de-duplicated parameter list (its helper is private); it holds
        # no state before its first step, so building it costs nothing worth avoiding.
        stock = super().create_optimizer(named_modules, lr)
        params = [p for group in stock.param_groups for p in group["params"]]
        on_cpu = bool(params) and all(p.device.type == "cpu" for p in params)
        return Adam(params, lr=lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay,
                    amsgrad=self.amsgrad, fused=True if on_cpu else None)

    @staticmethod
    def get_type() -> str:
        return "fused_adam"


register_optimizer_factory(FusedAdamFactory)
