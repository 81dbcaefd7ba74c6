"""LLaTA encoder: separate state and instruction pathways, fused into one feature vector.

KALM's policies (Liu et al., NeurIPS 2024; "LLaTA" in ImagineBench's code) fed ``state ++ instruction embedding``
through a plain two-layer MLP; ImagineBench's factory implemented only ``create``, so every continuous critic (CQL,
TD3+BC, BCQ) crashed, and it was never registered, so saved models could not be loaded.

Here the observation is still the flat vector ``state ++ embedding`` (so d3rlpy's evaluators, ``predict`` and saved
policies work unchanged), but the encoder splits it at ``state_dim``: the state goes through its own MLP, the
instruction embedding through a smaller one (it is constant within an episode and much wider than most states), and
the two are fused by an MLP. ``create_with_action`` appends the action (one-hot for discrete actions) at the fusion
stage, which is what Q-function critics need.

Default sizes (state 256, instruction 64, fusion 256) keep every path two layers deep like upstream's 2x256 MLP but
cost less per update (README, "Costs"), because the 384-d embedding enters a 64-wide layer instead of a 256-wide
one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
from d3rlpy.models.encoders import EncoderFactory, register_encoder_factory
from d3rlpy.models.torch.encoders import Encoder, EncoderWithAction
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "swish": nn.SiLU}


def _mlp(in_features: int, hidden: Sequence[int], activation: str) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), _ACTIVATIONS[activation]()]
        in_features = width
    return nn.Sequential(*layers), in_features


class _Towers(nn.Module):
    def __init__(self, observation_dim: int, state_dim: int, factory: LLaTAEncoderFactory, extra: int = 0) -> None:
        super().__init__()
        if not 0 < state_dim <= observation_dim:
            raise ValueError(f"LLaTA encoder: state_dim={state_dim} must be in (0, observation size {observation_dim}]")
        self.state_dim = state_dim
        self.state_tower, state_out = _mlp(state_dim, factory.state_hidden, factory.activation)
        instruction_dim = observation_dim - state_dim
        self.instruction_tower, instruction_out = _mlp(instruction_dim, factory.instruction_hidden, factory.activation)
        if instruction_dim == 0:
            instruction_out = 0
        self.fusion, self.feature_size = _mlp(state_out + instruction_out + extra, factory.fusion_hidden, factory.activation)

    def fuse(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        parts = [self.state_tower(x[:, : self.state_dim])]
        if x.shape[1] > self.state_dim:
            parts.append(self.instruction_tower(x[:, self.state_dim :]))
        if extra is not None:
            parts.append(extra)
        return self.fusion(torch.cat(parts, dim=1))


class LLaTAEncoder(Encoder):
    def __init__(self, observation_dim: int, state_dim: int, factory: LLaTAEncoderFactory) -> None:
        super().__init__()
        self.towers = _Towers(observation_dim, state_dim, factory)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.towers.fuse(x)


class LLaTAEncoderWithAction(EncoderWithAction):
    def __init__(
        self, observation_dim: int, state_dim: int, action_size: int, discrete_action: bool, factory: LLaTAEncoderFactory
    ) -> None:
        super().__init__()
        self.action_size = action_size
        self.discrete_action = discrete_action
        self.towers = _Towers(observation_dim, state_dim, factory, extra=action_size)

    def forward(self, x: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        if self.discrete_action:
            action = nn.functional.one_hot(action.view(-1).long(), num_classes=self.action_size).float()
        return self.towers.fuse(x, action)


@dataclasses.dataclass()
class LLaTAEncoderFactory(EncoderFactory):
    """d3rlpy encoder factory (``get_type() == "llata"``). ``state_dim`` is filled from the domain at run time.

    Args:
        state_dim: number of leading observation entries that form the state; the rest is the instruction embedding.
        state_hidden / instruction_hidden / fusion_hidden: layer widths of the three MLPs; the last fusion width is the
            feature size handed to d3rlpy's heads.
        activation: ``relu``, ``tanh``, ``gelu`` or ``swish``.
    """

    state_dim: int = 0
    state_hidden: Sequence[int] = (256,)
    instruction_hidden: Sequence[int] = (64,)
    fusion_hidden: Sequence[int] = (256,)
    activation: str = "relu"

    def __post_init__(self) -> None:
        self.state_hidden = [int(w) for w in self.state_hidden]
        self.instruction_hidden = [int(w) for w in self.instruction_hidden]
        self.fusion_hidden = [int(w) for w in self.fusion_hidden]
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; expected one of {sorted(_ACTIVATIONS)}")
        if not self.fusion_hidden:
            raise ValueError("fusion_hidden needs at least one layer (its last width is the feature size)")

    @staticmethod
    def get_type() -> str:
        return "llata"

    def _observation_dim(self, observation_shape: Sequence[int]) -> int:
        if len(observation_shape) != 1 or isinstance(observation_shape[0], (list, tuple)):
            raise ValueError(f"LLaTA encoder expects flat observations (state ++ embedding), got {observation_shape}")
        return int(observation_shape[0])

    def create(self, observation_shape: Sequence[int]) -> LLaTAEncoder:
        return LLaTAEncoder(self._observation_dim(observation_shape), self.state_dim, self)

    def create_with_action(
        self, observation_shape: Sequence[int], action_size: int, discrete_action: bool = False
    ) -> LLaTAEncoderWithAction:
        return LLaTAEncoderWithAction(
            self._observation_dim(observation_shape), self.state_dim, action_size, discrete_action, self
        )


register_encoder_factory(LLaTAEncoderFactory)
