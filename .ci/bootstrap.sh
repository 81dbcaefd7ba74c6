#!/usr/bin/env bash
# Create or reuse the project's virtual environment in .venv (idempotent, safe to run before every command).
# torch is pinned on the same pip line: any other version makes pip pull gigabytes of CUDA packages.
# Override with IMAGINE_BENCH_TORCH="torch==X" (or "" to keep whatever torch is installed) on a GPU machine.
# IMAGINE_BENCH_EXTRAS picks the optional extras (default "dev"; "dev,libero" adds the LIBERO domain, ~2 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${IMAGINE_BENCH_VENV:-.venv}"
torch_spec="${IMAGINE_BENCH_TORCH-torch==2.13.0}"
extras="${IMAGINE_BENCH_EXTRAS:-dev}"
stamp="$venv/.imagine_bench_installed"
want="$(sha256sum pyproject.toml | cut -c1-16)-${torch_spec}-${extras}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "[bootstrap] creating $venv" >&2
    python3 -m venv "$venv"
fi
echo "[bootstrap] installing imagine_bench and its pinned dependencies into $venv (first run: ~2-3 min)" >&2
"$venv/bin/python" -m pip install -q -U "pip>=24" "setuptools>=77.0.3" wheel
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install -q $torch_spec -e ".[${extras}]"
"$venv/bin/python" -m pip check >&2
echo "$want" > "$stamp"
echo "[bootstrap] environment ready" >&2
