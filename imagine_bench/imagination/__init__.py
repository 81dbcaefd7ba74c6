"""Imagination backends write *imaginary* rollouts of a level's tasks from language instructions.

Every backend implements :class:`ImaginationBackend`; Hydra picks one with ``imagination=<name>``
(``configs/imagination/*.yaml`` holds its ``_target_`` and settings).
"""

from imagine_bench.imagination.base import ImaginationBackend, relabel
from imagine_bench.imagination.kalm import KALMImagination
from imagine_bench.imagination.scripted import ErrorModel, ScriptedImagination

__all__ = ["ImaginationBackend", "ScriptedImagination", "KALMImagination", "ErrorModel", "relabel"]
