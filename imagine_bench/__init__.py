"""imagine_bench: offline RL from real and imaginary rollouts, on d3rlpy and Hydra.

``imagine_bench.make("MetaWorld-v0", level="hard")`` returns a Gymnasium env whose observation is the domain state
followed by the instruction embedding; ``env.get_dataset()`` returns ``(real, imaginary)`` rollouts.
``imagine_bench.load_policy("model.d3")`` loads a trained model without executing code from the file.
"""

import os
from typing import Any

from imagine_bench.quiet import silence_third_party

silence_third_party()

from imagine_bench.d3rlpy_plugins import install as install_d3rlpy_plugins  # noqa: E402
from imagine_bench.env import ImagineBenchEnv, make, register_gymnasium_ids  # noqa: E402
from imagine_bench.levels import LEVELS  # noqa: E402

__version__ = "0.1.0"
__all__ = ["make", "ImagineBenchEnv", "LEVELS", "load_policy", "__version__"]


def load_policy(path: str | os.PathLike, device: str | None = None) -> Any:
    """Load a saved model (``model.d3``) safely; see :func:`imagine_bench.safe_load.load_policy`. Imported on call,
    so importing the package (as every evaluation worker does) does not load torch and d3rlpy."""
    from imagine_bench.safe_load import load_policy as _load_policy

    return _load_policy(path, device)


register_gymnasium_ids()
install_d3rlpy_plugins()  # load_learnable finds the suite's encoder and optimizers after this one import
