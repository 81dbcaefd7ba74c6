"""Where the suite keeps its files: the Hydra configs and the cache of datasets, embeddings and KALM checkpoints.

Both have one definition here. The cache default matches ``data.cache_dir`` in ``configs/config.yaml``
(``$IMAGINE_BENCH_CACHE``, else ``~/.cache/imagine_bench``; a test checks that the two agree).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "IMAGINE_BENCH_CACHE"
CONFIGS_ENV = "IMAGINE_BENCH_CONFIGS"


def default_cache_dir() -> Path:
    """``$IMAGINE_BENCH_CACHE`` (``~`` expanded), else ``~/.cache/imagine_bench``. An empty variable is an error: it
    would otherwise put the cache in the current directory."""
    value = os.environ.get(CACHE_ENV)
    if value is None:
        return Path.home() / ".cache" / "imagine_bench"
    if not value.strip():
        raise ValueError(f"{CACHE_ENV} is set but empty; unset it (default ~/.cache/imagine_bench) or give a directory")
    return Path(value).expanduser()


def configs_dir() -> Path:
    """The Hydra config directory (the one holding ``config.yaml``).

    Looked up in this order: ``$IMAGINE_BENCH_CONFIGS``; ``configs/`` next to the package in a checkout (also an
    editable install); ``imagine_bench/configs`` inside an installed package (the wheel ships a copy there).
    """
    package = Path(__file__).resolve().parent
    candidates = [Path(os.environ[CONFIGS_ENV])] if os.environ.get(CONFIGS_ENV) else []
    candidates += [package.parent / "configs", package / "configs"]
    for path in candidates:
        if (path / "config.yaml").is_file():
            return path
    raise FileNotFoundError(
        f"no Hydra configs (config.yaml) in {', '.join(map(str, candidates))}; set {CONFIGS_ENV} to a copy of the "
        "repository's configs/ directory"
    )
