"""Which code produced a result: the project's git commit and whether tracked files differed from it.

Every file written to ``results/`` records this, with the command that wrote it, so a number can be traced back to
the code and the invocation behind it.
"""

from __future__ import annotations

import subprocess

from imagine_bench.paths import configs_dir


def git(*args: str) -> str:
    """``git <args>`` in the project checkout; ``"unknown"`` outside a checkout or when git is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=configs_dir().parent, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def code_state() -> dict[str, object]:
    """``{"commit": sha, "dirty": bool}``. Untracked files (results being written) do not count as changes."""
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
