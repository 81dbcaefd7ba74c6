"""KALM imagination: a causal language model grounded on real rollouts writes rollouts for unseen tasks.

``imagination=kalm`` (``configs/imagination/kalm.yaml``) selects :class:`KALMImagination`. Modules:

* :mod:`.prompts`     the four grounding tasks as token sequences with ``<state>`` / ``<action>`` placeholders;
* :mod:`.model`       the LM wrapper: placeholder injection, state/action heads, losses, the default small Llama;
* :mod:`.training`    joint grounding training on the real dataset, resumable;
* :mod:`.generation`  batched autoregressive rollouts with checks on every output;
* :mod:`.backend`     the backend: cache-keyed checkpoints, generation per level, relabelling, metadata.
"""

from imagine_bench.imagination.kalm.backend import KALMImagination
from imagine_bench.imagination.kalm.model import KALMModel
from imagine_bench.imagination.kalm.prompts import GROUNDING_TASKS, PromptBuilder
from imagine_bench.imagination.kalm.training import TrainSettings

__all__ = ["KALMImagination", "KALMModel", "PromptBuilder", "TrainSettings", "GROUNDING_TASKS"]
