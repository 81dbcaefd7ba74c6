"""Keep third-party chatter out of the user's output.

``import d3rlpy`` imports the legacy ``gym`` package, which prints a four-line "unmaintained" notice to stderr that no
setting turns off; d3rlpy only uses ``gym.spaces`` for isinstance checks. d3rlpy's structlog info lines and
Meta-World's policy warnings and the plugin list alembic logs when the Optuna sweeper loads are likewise noise for
a benchmark user.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings


def silence_third_party() -> None:
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            import gym  # noqa: F401
        except ImportError:
            pass
    warnings.filterwarnings("ignore", message=r".*Constant\(s\) may be too high.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(gym|pygame|pkg_resources).*")
    warnings.filterwarnings("ignore", message=r".*env\.\w+ to get variables from other wrappers is deprecated.*")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Optuna's storage layer lists its plugins at INFO
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
