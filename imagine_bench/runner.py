"""One run, start to finish: config -> data -> d3rlpy algorithm -> training with periodic evaluation -> outputs.

Outputs in the run directory: ``results.json`` (final and per-evaluation metrics, per-episode results of the last
evaluation, dataset summaries, timings, the resolved config, and ``status``), ``model.d3`` (the final model,
loadable with ``d3rlpy.load_learnable`` after ``import imagine_bench``), ``d3rlpy/`` (d3rlpy's CSV logs, including
``eval_<level>_success.csv`` for ``d3rlpy plot``, and periodic checkpoints) and ``wandb/`` (the offline W&B run).
"""

from __future__ import annotations

import json
import logging
import math
import time
import traceback
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from algos import build_algo
from imagine_bench.data import load_datasets
from imagine_bench.data.buffer import FlatReplayBuffer
from imagine_bench.domains import Domain, get_domain
from imagine_bench.evaluation import Evaluator, as_records, d3rlpy_policy, summarize
from imagine_bench.evaluation.workers import resolve_workers
from imagine_bench.language import CachedEmbedder
from imagine_bench.levels import LEVELS, check_level, evaluation_levels, uses_imaginary_data
from imagine_bench.seeding import seed_everything
from imagine_bench.storage import atomic_write
from imagine_bench.tracking import MetricsFileAdapterFactory, RunLabels, Tracker, TrackerAdapterFactory

log = logging.getLogger("imagine_bench")


def run_name(cfg: DictConfig) -> str:
    return f"{cfg.env.name}-{cfg.level.name}-{cfg.algo.name}-{cfg.seed}"


def imagination_label(cfg: DictConfig) -> str | None:
    """The imagination backend a run trains with (``scripted``, ``kalm``, ...), with its preset unless ``default``
    (``scripted-perfect``); ``None`` for ``level=real``, which uses no imaginary data."""
    if not uses_imaginary_data(cfg.level.name):
        return None
    from hydra.utils import get_class

    target = str(cfg.imagination._target_)
    try:
        backend = get_class(target).name
    except Exception:  # a bad target fails with its own error when the backend is built, inside the run's records
        backend = target.rsplit(".", 1)[-1]
    preset = cfg.imagination.get("preset")
    return backend if preset in (None, "default") else f"{backend}-{preset}"


def tracking_labels(cfg: DictConfig, eval_levels: tuple[str, ...], sweep_id: str | None = None) -> RunLabels:
    """Group = ``env-level-algo[-backend]``: the runs a tracker should average (the seeds of one experiment);
    ``job_type`` = the training data (``real-only`` or the backend); tags name env, level, algo, backend and sweep."""
    env, level, algo = cfg.env.name, cfg.level.name, cfg.algo.name
    backend = imagination_label(cfg)
    group = "-".join(part for part in (env, level, algo, backend) if part)
    tags = [f"env:{env}", f"level:{level}", f"algo:{algo}", f"backend:{backend or 'none'}"]
    if sweep_id:
        tags.append(f"sweep:{sweep_id}")
    return RunLabels(name=run_name(cfg), group=group, job_type=backend or "real-only", tags=tuple(tags),
                     levels=eval_levels)


def tracked_config(config: dict[str, Any], action_kind: str) -> dict[str, Any]:
    """The resolved config for the tracker, with only the algorithm variant that runs on this domain: the ``algo``
    entry becomes ``{name, variant, <that variant's settings>}``, so a hyperparameter has one key on every domain."""
    algo = config["algo"]
    return {**config, "algo": {"name": algo["name"], "variant": action_kind, **algo[action_kind]}}


def validate(cfg: DictConfig) -> None:
    """Fail fast, before any data is generated, on choices that cannot work together."""
    domain = get_domain(cfg.env.name)
    check_level(cfg.level.name)
    from algos.build import algo_variant

    algo_variant(cfg.algo, domain.action_kind)
    for level in cfg.eval.levels or []:
        check_level(level)
    resolve_workers(cfg.eval.workers, int(cfg.eval.in_flight))
    if cfg.steps <= 0 or cfg.eval.interval <= 0:
        raise ValueError("steps and eval.interval must be positive")
    if cfg.steps % min(cfg.eval.interval, cfg.steps):
        raise ValueError(f"steps ({cfg.steps}) must be a multiple of eval.interval ({cfg.eval.interval})")
    if str(cfg.device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={cfg.device} requested but torch sees no CUDA device; use device=cpu")
    if cfg.eval.get("video"):
        from imagine_bench.rendering import choose_gl_backend

        if choose_gl_backend() is None:  # before data generation imports mujoco, which fixes the backend
            raise ValueError("eval.video=true needs headless OpenGL for MuJoCo: set MUJOCO_GL=egl or MUJOCO_GL=osmesa "
                             "(apt install libosmesa6), or turn videos off with eval.video=false")


def fill_runtime_fields(cfg: DictConfig, state_dim: int) -> None:
    """Fields derived from the domain, filled before ``instantiate`` (never hard-coded in YAML)."""
    with open_dict(cfg):
        if "state_dim" in cfg.encoder.keys():  # `in` alone is False for a ??? value
            cfg.encoder.state_dim = state_dim


def training_data(cfg: DictConfig, domain: Domain, embedder: CachedEmbedder) -> tuple[FlatReplayBuffer, dict]:
    """Real data, plus the level's imaginary data unless ``level=real``, as one buffer; and a summary for results."""
    level = cfg.level.name
    imagination = instantiate(cfg.imagination) if uses_imaginary_data(level) else None
    real, imaginary = load_datasets(
        domain, level, horizon=cfg.env.horizon, real_episodes_per_task=cfg.data.real_episodes_per_task,
        imaginary_episodes_per_task=cfg.data.imaginary_episodes_per_task, imagination=imagination,
        seed=cfg.data.seed, cache_dir=cfg.data.cache_dir, progress=cfg.progress,
    )
    buffer = FlatReplayBuffer(
        real, imaginary, embedder, imaginary_share=cfg.data.imaginary_share if imaginary is not None else None,
        seed=int(cfg.seed), action_size=domain.action_space.n if domain.is_discrete else None,
        prefetch=bool(cfg.data.prefetch),
    )
    summary = {
        "real": real.summary(), "imaginary": None if imaginary is None else imaginary.summary(),
        "imaginary_settings": None if imagination is None else imagination.settings(),
        "imaginary_share": buffer.imaginary_share,
    }
    return buffer, summary


def run(cfg: DictConfig, run_dir: Path, sweep_id: str | None = None) -> dict[str, Any]:
    """Train and evaluate one configuration; ``sweep_id`` (the multirun's directory name) tags the tracker's run."""
    validate(cfg)
    torch.set_num_threads(int(cfg.threads))
    seed_everything(int(cfg.seed))
    domain = get_domain(cfg.env.name)
    level = cfg.level.name
    fill_runtime_fields(cfg, domain.state_dim)
    run_dir.mkdir(parents=True, exist_ok=True)
    eval_levels = tuple(cfg.eval.levels) if cfg.eval.levels else evaluation_levels(level)
    results: dict[str, Any] = {
        "status": "running", "run": run_name(cfg), "env": domain.name, "level": level, "algo": cfg.algo.name,
        "imagination": imagination_label(cfg), "seed": int(cfg.seed), "eval_levels": list(eval_levels), "history": [],
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    tracker: Tracker = instantiate(cfg.logger)
    evaluator = embedder = buffer = None
    timings: dict[str, float] = {}
    try:
        tracker.start(tracking_labels(cfg, eval_levels, sweep_id),
                      tracked_config(results["config"], domain.action_kind), run_dir)
        started = time.perf_counter()
        embedder = CachedEmbedder(instantiate(cfg.embedder), cfg.data.cache_dir)
        buffer, results["data"] = training_data(cfg, domain, embedder)
        timings["data_s"] = time.perf_counter() - started
        algo = build_algo(cfg.algo, domain.action_kind, str(cfg.device))
        buffer.fit_scalers(algo)
        evaluator = Evaluator(domain, eval_levels, cfg.eval.episodes_per_task, cfg.env.horizon, embedder,
                              in_flight=cfg.eval.in_flight, eval_seed=cfg.eval.seed, workers=cfg.eval.workers,
                              progress=bool(cfg.progress))
        results["eval_workers"] = evaluator.workers  # what eval.workers resolved to on this machine
        policy = d3rlpy_policy(algo)
        last_eval: dict[str, Any] = {}
        metric_files = MetricsFileAdapterFactory(root_dir=str(run_dir))

        def evaluate(algo_: Any, epoch: int, step: int) -> None:
            t0 = time.perf_counter()
            episodes = evaluator(policy, description=f"evaluation at step {step}")
            metrics = summarize(episodes)
            metrics["eval/seconds"] = time.perf_counter() - t0
            tracker.log(metrics, step=step)
            metric_files.write_evaluation(epoch, step, metrics)
            if cfg.eval.get("video") and step == int(cfg.steps):
                _log_videos(cfg, domain, eval_levels, policy, embedder, run_dir, step, tracker)
            results["history"].append({"step": step, "epoch": epoch, **metrics})
            last_eval.update(metrics=metrics, episodes=episodes)
            log.info("step %d: %s", step, "  ".join(
                f"{lv} {metrics[f'eval/{lv}/success']:.2f}" for lv in eval_levels))

        interval = min(int(cfg.eval.interval), int(cfg.steps))
        t_train = time.perf_counter()
        algo.fit(
            buffer, n_steps=int(cfg.steps), n_steps_per_epoch=interval, experiment_name="d3rlpy",
            with_timestamp=False, show_progress=bool(cfg.progress), save_interval=int(cfg.checkpoint_every),
            logger_adapter=_file_and_tracker(metric_files, tracker), epoch_callback=evaluate,
        )
        timings["train_and_eval_s"] = time.perf_counter() - t_train
        timings["steps_per_s"] = cfg.steps / max(timings["train_and_eval_s"] - _eval_seconds(results), 1e-9)
        algo.save(str(run_dir / "model.d3"))
        results.update(status="completed", final=last_eval["metrics"], episodes=as_records(last_eval["episodes"]),
                       success={lv: last_eval["metrics"][f"eval/{lv}/success"] for lv in eval_levels})
        tracker.summary({"final/" + k: v for k, v in last_eval["metrics"].items()})
        return results
    except BaseException as exc:
        results.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        raise
    finally:
        results["timing"] = timings
        write_results(run_dir / "results.json", results)
        tracker.finish(exit_code=0 if results["status"] == "completed" else 1)
        if evaluator is not None:
            evaluator.close()
        if embedder is not None:
            embedder.flush()
        if buffer is not None:
            buffer.close()


def _log_videos(cfg: DictConfig, domain: Domain, levels: tuple[str, ...], policy: Any, embedder: Any, run_dir: Path,
                step: int, tracker: Tracker) -> None:
    """GIFs of the final policy on a few planned evaluation episodes per level, in ``videos/`` and W&B."""
    from imagine_bench.evaluation.videos import record_videos

    videos = record_videos(domain, levels, policy, embedder, int(cfg.env.horizon), int(cfg.eval.video_episodes),
                           run_dir / "videos", step, eval_seed=int(cfg.eval.seed))
    tracker.log_videos({f"video/{level}": path for level, path in videos.items()}, step=step)


def _eval_seconds(results: dict[str, Any]) -> float:
    return sum(h.get("eval/seconds", 0.0) for h in results["history"])


def _file_and_tracker(metric_files: MetricsFileAdapterFactory, tracker: Tracker):
    from d3rlpy.logging import CombineAdapterFactory

    return CombineAdapterFactory([metric_files, TrackerAdapterFactory(tracker)])


def write_results(path: Path, results: dict[str, Any]) -> None:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(results, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def format_success_table(results: dict[str, Any]) -> str:
    rows = [f"{'level':<10}{'success':>9}{'return':>9}{'length':>8}"]
    final = results.get("final", {})
    for level in LEVELS:
        if f"eval/{level}/success" in final:
            rows.append(f"{level:<10}{final[f'eval/{level}/success']:>9.3f}{final[f'eval/{level}/return']:>9.2f}"
                        f"{final[f'eval/{level}/length']:>8.1f}")
    return "\n".join(rows)
