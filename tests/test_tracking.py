"""W&B for sweeps: runs grouped by experiment (seeds together, algorithms apart), job type and tags, only the
algorithm variant that ran in the config, per-level success first and per-task metrics in their own section."""

from __future__ import annotations

import pytest
from conftest import TINY
from wandb_records import read_offline_run

from imagine_bench.runner import run, tracked_config, tracking_labels
from imagine_bench.tracking import wandb_key

TOY = ["env.name=toy", "embedder=hashing", *TINY]


@pytest.mark.parametrize(
    ("overrides", "group", "job_type", "backend"),
    [(["level=real"], "toy-real-bc", "real-only", "none"),
     (["level=hard"], "toy-hard-bc-scripted", "scripted", "scripted"),
     (["level=easy", "imagination=perfect"], "toy-easy-bc-scripted-perfect", "scripted-perfect", "scripted-perfect"),
     (["level=hard", "imagination=scripted", "imagination.preset=noisy", "algo=cql"], "toy-hard-cql-scripted-noisy",
      "scripted-noisy", "scripted-noisy"),
     (["level=rephrase", "imagination=kalm"], "toy-rephrase-bc-kalm", "kalm", "kalm")],
)
def test_group_is_the_experiment_that_seeds_repeat(compose_cfg, overrides, group, job_type, backend):
    labels = {seed: tracking_labels(compose_cfg("env.name=toy", f"seed={seed}", *overrides), ("real",), "sweep-1")
              for seed in (0, 1)}
    assert labels[0].group == labels[1].group == group and labels[0].name != labels[1].name
    assert labels[0].job_type == job_type
    level, algo = group.split("-")[1:3]
    assert labels[0].tags == ("env:toy", f"level:{level}", f"algo:{algo}", f"backend:{backend}", "sweep:sweep-1")
    assert "sweep:" not in " ".join(tracking_labels(compose_cfg("env.name=toy", *overrides), ("real",)).tags)


def test_only_the_variant_that_runs_is_recorded(compose_cfg):
    from omegaconf import OmegaConf

    config = OmegaConf.to_container(compose_cfg("algo=cql"), resolve=True)
    continuous, discrete = tracked_config(config, "continuous")["algo"], tracked_config(config, "discrete")["algo"]
    assert continuous["name"] == "cql" and continuous["variant"] == "continuous"
    assert continuous["_target_"] == "d3rlpy.algos.CQLConfig"
    assert discrete["_target_"] == "d3rlpy.algos.DiscreteCQLConfig"
    assert "continuous" not in continuous and "discrete" not in continuous and "discrete" not in discrete
    assert config["algo"].keys() == {"name", "continuous", "discrete"}  # the caller's config is left whole


def test_per_task_metrics_get_their_own_section():
    assert wandb_key("eval/hard/soccer/success") == "eval_tasks/hard/soccer/success"
    assert wandb_key("final/eval/hard/soccer/success") == "final/eval_tasks/hard/soccer/success"
    for key in ("eval/hard/success", "eval/seconds", "train/loss", "final/eval/real/return"):
        assert wandb_key(key) == key


def test_offline_run_is_filed_for_a_sweep(compose_cfg, tmp_path):
    """What the offline W&B files say after a real run (read back from the run's transaction log)."""
    cfg = compose_cfg("level=hard", "algo=bc", "logger=wandb", *TOY)
    run(cfg, tmp_path, sweep_id="2026-01-01_00-00-00")
    wb = read_offline_run(tmp_path)
    assert wb.group == "toy-hard-bc-scripted" and wb.job_type == "scripted"
    assert wb.tags == ["env:toy", "level:hard", "algo:bc", "backend:scripted", "sweep:2026-01-01_00-00-00"]
    assert wb.config["algo"]["variant"] == "continuous" and "discrete" not in wb.config["algo"]
    defined = [m.name for m in wb.metrics]
    assert defined[:3] == ["gradient_step", "eval/real/success", "eval/hard/success"]  # per-level success first
    assert {m.step_metric for m in wb.metrics[1:]} == {"gradient_step"}
    logged = {key for row in wb.history for key in row}
    assert {"eval/hard/success", "eval_tasks/hard/down/success", "eval_tasks/real/left/return"} <= logged
    assert not [key for key in logged if key.startswith("eval/") and key.count("/") == 3]
    assert [row["gradient_step"] for row in wb.history if "eval/hard/success" in row] == [100, 200]
