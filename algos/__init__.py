"""Algorithms are d3rlpy configs described in ``configs/algo/*.yaml``; this package only picks and builds them.

Each algo file has a ``continuous`` and/or a ``discrete`` entry whose ``_target_`` is a d3rlpy config class with every
hyperparameter listed. The runner fills the runtime-derived fields (the encoder's ``state_dim``) before
``instantiate``; nothing here knows algorithm names, so adding an algorithm means adding one YAML file. Importing
the package registers the suite's optimizer factories with d3rlpy (needed by ``d3rlpy.load_learnable``).
"""

from algos.build import algo_variant, build_algo
from algos.optimizers import FusedAdamFactory

__all__ = ["algo_variant", "build_algo", "FusedAdamFactory"]
