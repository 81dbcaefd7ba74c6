"""Train and evaluate one configuration, or sweep many with ``-m``.

    python launch.py env=metaworld algo=cql level=hard
    python launch.py -m algo=bc,cql,td3_plus_bc,iql level=rephrase,easy,hard seed=0,1,2
    python launch.py experiment=quickstart

See README.md for every option; ``python launch.py --help`` lists the config groups.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import imagine_bench  # noqa: F401  (quiets third-party output, registers the domains and the d3rlpy plugins)
from imagine_bench.paths import configs_dir


CONFIGS = str(configs_dir())  # absolute, so launch.py also works when imported
# ${pid:} in hydra.run.dir and hydra.sweep.dir: two runs (or sweeps) started in the same second get different folders.
# Cached like Hydra's ${now:}, whose cache Hydra hands to every job of a sweep, so all jobs agree on their sweep folder.
OmegaConf.register_new_resolver("pid", os.getpid, replace=True, use_cache=True)


@hydra.main(version_base="1.3", config_path=CONFIGS, config_name="config")
def main(cfg: DictConfig) -> float:
    # Imported here rather than at the top: evaluation worker processes are spawned, which re-imports this file, and
    # they need neither torch nor d3rlpy (a worker then starts faster and smaller; README, "Costs").
    from imagine_bench.report import run_table
    from imagine_bench.runner import run, run_name

    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    sweep_id = Path(hydra_cfg.sweep.dir).name if hydra_cfg.mode == RunMode.MULTIRUN else None
    results = run(cfg, run_dir, sweep_id)
    print(f"\n{run_name(cfg)}: success per level after {cfg.steps} steps (results in {run_dir}/results.json)")
    print(run_table(results), flush=True)
    return float(results["success"][cfg.level.name])


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:
        from imagine_bench.runner import Preempted  # loaded by now; not at the top (see main)

        if not isinstance(exc, Preempted):
            raise
        # recorded as "preempted" in results.json; exit as a process killed by SIGTERM would
        print(f"launch.py: {exc}; the run was recorded as preempted", file=sys.stderr)
        sys.exit(128 + signal.SIGTERM)
