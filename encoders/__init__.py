"""Encoders for d3rlpy. Importing this package registers every factory with d3rlpy, so ``d3rlpy.load_learnable``
can rebuild saved models (upstream ImagineBench never registered its factory, so checkpoints could not be loaded)."""

from encoders.llata import LLaTAEncoder, LLaTAEncoderFactory, LLaTAEncoderWithAction

__all__ = ["LLaTAEncoderFactory", "LLaTAEncoder", "LLaTAEncoderWithAction"]
