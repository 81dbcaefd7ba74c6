"""One run, start to finish: config -> data -> d3rlpy algorithm -> training with periodic evaluation -> outputs.

Outputs in the run directory: ``results.json`` (final and per-evaluation metrics, per-episode results of the last
evaluation, dataset summaries, timings, the resolved config, and ``status``), ``model.d3`` (the final model,
loadable without running code from the file with ``imagine_bench.load_policy``), ``d3rlpy/`` (d3rlpy's CSV logs,
including ``eval_<level>_success.csv`` for ``d3rlpy plot``, and periodic checkpoints with the training state for
``resume=true``) and ``wandb/`` (the offline W&B run).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

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
from imagine_bench.language.embedders import flush_or_warn
from imagine_bench.levels import Level
from imagine_bench.metrics import EVAL_SECONDS, eval_key, final_key, level_success, video_key
from imagine_bench.resume import (
    OffsetAdapterFactory, capture, config_differences, latest_checkpoint, load_checkpoint, submitit_requeue, trim_logs,
    under_submitit,
)
from imagine_bench.seeding import seed_everything
from imagine_bench.storage import atomic_write
from imagine_bench.tracking import MetricsFileAdapterFactory, RunLabels, Tracker, TrackerAdapterFactory
from imagine_bench.validation import check_algo_section, check_bool, validate_settings

log = logging.getLogger("imagine_bench")


def run_name(cfg: DictConfig) -> str:
    return f"{cfg.env.name}-{cfg.level.name}-{cfg.algo.name}-{cfg.seed}"


def imagination_label(cfg: DictConfig) -> str | None:
    """The imagination backend a run trains with (``scripted``, ``kalm``, ...), with its preset unless ``default``
    (``scripted-perfect``); ``None`` for ``level=real``, which uses no imaginary data."""
    if not Level(cfg.level.name).uses_imaginary_data:
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


class Preempted(BaseException):
    """SIGTERM arrived (what a cluster sends a job before killing it). A BaseException, like KeyboardInterrupt, so
    no ``except Exception`` on the way swallows it; the run records ``preempted`` and exits."""


class RunDirInUse(RuntimeError):
    """The run folder already belongs to another run (its ``results.json`` exists)."""


class RunPlan(NamedTuple):
    """What a run's config names, looked up and checked once: the domain, the training level, the scored levels."""

    domain: Domain
    level: Level
    eval_levels: tuple[Level, ...]


def validate(cfg: DictConfig) -> RunPlan:
    """Fail fast, before any data is generated: every setting's type and range (:mod:`imagine_bench.validation`),
    then the choices that cannot work together, then the imagination backend's knobs (by building it). Returns the
    run's plan: the domain and the levels, looked up and checked here once."""
    validate_settings(cfg)
    check_bool(cfg, "resume")
    domain = get_domain(cfg.env.name)
    domain.check_available()
    level = Level(cfg.level.name)
    eval_levels = tuple(Level(lv) for lv in cfg.eval.levels) if cfg.eval.levels else level.evaluation_levels()
    check_algo_section(cfg, domain.action_kind)
    resolve_workers(cfg.eval.workers, int(cfg.eval.in_flight))
    if cfg.eval.get("video"):
        from imagine_bench.rendering import choose_gl_backend

        if choose_gl_backend() is None:  # before data generation imports mujoco, which fixes the backend
            raise ValueError("eval.video=true needs headless OpenGL for MuJoCo: set MUJOCO_GL=egl or MUJOCO_GL=osmesa "
                             "(apt install libosmesa6), or turn videos off with eval.video=false")
    if level.uses_imaginary_data:
        instantiate(cfg.imagination)
    return RunPlan(domain, level, eval_levels)


def claim_run_dir(run_dir: Path, resume: bool) -> None:
    """Make ``run_dir`` this run's own: its ``results.json`` is created exclusively (atomic on POSIX), so a second
    run pointed at the same folder stops here instead of overwriting the first one's files. ``resume`` continues
    the run the folder holds."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if resume:
        return
    try:
        os.close(os.open(run_dir / "results.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        raise RunDirInUse(f"{run_dir} already holds a run (results.json exists); choose another hydra.run.dir, "
                          "or pass resume=true to continue that run") from None


@contextlib.contextmanager
def sigterm_raises_preempted() -> Iterator[None]:
    """Turn SIGTERM into :class:`Preempted` in the main thread for the duration (a second SIGTERM is ignored, so the
    record is written in peace); elsewhere, or when Python may not install handlers, do nothing. Under submitit,
    SIGTERM is left to submitit, which ignores it on purpose: it requeues the job on its own signal (USR2) and exits,
    which the runner records as ``preempted``."""
    if threading.current_thread() is not threading.main_thread() or under_submitit():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Preempted(f"received {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def fill_runtime_fields(cfg: DictConfig, state_dim: int) -> None:
    """Fields derived from the domain, filled before ``instantiate`` (never hard-coded in YAML)."""
    with open_dict(cfg):
        if "state_dim" in cfg.encoder.keys():  # `in` alone is False for a ??? value
            cfg.encoder.state_dim = state_dim


def training_data(cfg: DictConfig, domain: Domain, level: Level, embedder: CachedEmbedder,
                  ) -> tuple[FlatReplayBuffer, dict]:
    """Real data, plus the level's imaginary data unless ``level=real``, as one buffer; and a summary for results."""
    imagination = instantiate(cfg.imagination) if level.uses_imaginary_data else None
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


def initial_record(cfg: DictConfig) -> dict[str, Any]:
    """The record written before anything can fail, so every run leaves one (``running`` until it ends; a run killed
    with SIGKILL is the only one that stays ``running``)."""
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # a broken interpolation is reported by validation; keep the raw config in the record
        config = OmegaConf.to_container(cfg, resolve=False)
    return {
        "status": "running", "run": run_name(cfg), "env": str(cfg.env.name), "level": str(cfg.level.name),
        "algo": str(cfg.algo.name), "seed": cfg.seed, "history": [], "config": config,
        "host": socket.gethostname(), "pid": os.getpid(),
    }


def run(cfg: DictConfig, run_dir: Path, sweep_id: str | None = None) -> dict[str, Any]:
    """Validate, then train and evaluate one configuration; ``sweep_id`` (the multirun's directory name) tags the
    tracker's run. ``results.json`` records the outcome whatever it is: ``completed``, ``failed`` (any error, Ctrl-C;
    also the settings check) or ``preempted`` (SIGTERM). The W&B run is always finished, with a non-zero exit code
    unless the run completed."""
    resume = cfg.get("resume") is True or submitit_requeue(run_dir)
    claim_run_dir(run_dir, resume=resume)
    previous = read_record(run_dir) if resume else None
    results = initial_record(cfg)
    if previous is not None:  # until the checkpoint is chosen, keep the interrupted run's history on record
        results["history"] = previous.get("history", [])
    write_results(run_dir / "results.json", results)
    parts: dict[str, Any] = {}  # what was built so far, closed in `finally` whatever happened
    timings: dict[str, float] = {}
    with sigterm_raises_preempted():
        try:
            return _train_and_evaluate(cfg, run_dir, sweep_id, results, parts, timings, previous)
        except Preempted as exc:
            results.update(status="preempted", error=f"{type(exc).__name__}: {exc}")
            raise
        except SystemExit as exc:
            if not under_submitit():
                raise
            # submitit exits this way after requeueing a preempted or timed-out job (which then resumes here)
            results.update(status="preempted", error=f"SystemExit({exc.code}) from submitit's requeue")
            raise
        except BaseException as exc:
            results.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
            raise
        finally:
            results["timing"] = timings
            write_results(run_dir / "results.json", results)
            _close(parts, completed=results["status"] == "completed")


def _close(parts: dict[str, Any], completed: bool) -> None:
    if parts.get("tracker") is not None:
        parts["tracker"].finish(exit_code=0 if completed else 1)
    if parts.get("evaluator") is not None:
        parts["evaluator"].close()
    if parts.get("embedder") is not None:
        flush_or_warn(parts["embedder"])  # a full disk here must not turn a finished run into a failure
    if parts.get("buffer") is not None:
        parts["buffer"].close()


def read_record(run_dir: Path) -> dict[str, Any] | None:
    """The interrupted run's ``results.json`` (``None`` if the folder holds none: the run then starts afresh)."""
    try:
        return json.loads((run_dir / "results.json").read_text())
    except FileNotFoundError:
        log.info("resume: %s holds no run yet; starting one", run_dir)
        return None
    except ValueError as exc:
        raise ValueError(f"resume: {run_dir / 'results.json'} is unreadable ({exc}); cannot tell which run to "
                         "continue") from exc


def _resume_from_checkpoint(cfg: DictConfig, run_dir: Path, previous: dict[str, Any], results: dict[str, Any],
                            algo: Any, buffer: FlatReplayBuffer) -> int:
    """Load the interrupted run's last complete checkpoint into ``algo`` and ``buffer``; returns its step (0 if
    there is none). Its evaluation history up to that step is kept, everything logged later is dropped."""
    log_dir = run_dir / "d3rlpy"
    start = latest_checkpoint(log_dir, before_step=int(cfg.steps)) or 0
    if start:
        algo.build_with_dataset(buffer)
        load_checkpoint(log_dir, start, algo, buffer)
    trim_logs(log_dir, start)
    results["history"] = [h for h in previous.get("history", []) if h["step"] <= start]
    results["resumed_from_step"] = start
    log.info("resume: continuing %s from step %d of %d", run_dir, start, int(cfg.steps))
    return start


def _train_and_evaluate(cfg: DictConfig, run_dir: Path, sweep_id: str | None, results: dict[str, Any],
                        parts: dict[str, Any], timings: dict[str, float],
                        previous: dict[str, Any] | None = None) -> dict[str, Any]:
    domain, level, eval_levels = validate(cfg)
    torch.set_num_threads(int(cfg.threads))
    seed_everything(int(cfg.seed))
    fill_runtime_fields(cfg, domain.state_dim)
    record = {k: v for k, v in initial_record(cfg).items() if k != "history"}  # a resumed run's history stays
    results.update(record, imagination=imagination_label(cfg), seed=int(cfg.seed),
                   eval_levels=[str(lv) for lv in eval_levels])
    if previous is not None:  # before any data is generated
        differences = config_differences(previous.get("config") or {}, results["config"])
        if differences:
            results["config"] = previous.get("config")  # the record keeps describing the run it holds
            raise ValueError(f"resume: {run_dir} holds a run with other settings ({'; '.join(differences)}); resume "
                             "with the same settings, or start a new run in another folder")
    tracker: Tracker = parts.setdefault("tracker", instantiate(cfg.logger))
    tracker.start(tracking_labels(cfg, eval_levels, sweep_id), tracked_config(results["config"], domain.action_kind),
                  run_dir)
    started = time.perf_counter()
    embedder = parts["embedder"] = CachedEmbedder(instantiate(cfg.embedder), cfg.data.cache_dir)
    buffer, results["data"] = training_data(cfg, domain, level, embedder)
    parts["buffer"] = buffer
    timings["data_s"] = time.perf_counter() - started
    algo = build_algo(cfg.algo, domain.action_kind, str(cfg.device))
    buffer.fit_scalers(algo)
    evaluator = parts["evaluator"] = Evaluator(
        domain, eval_levels, cfg.eval.episodes_per_task, cfg.env.horizon, embedder, in_flight=cfg.eval.in_flight,
        eval_seed=cfg.eval.seed, workers=cfg.eval.workers, progress=bool(cfg.progress))
    results["eval_workers"] = evaluator.workers  # what eval.workers resolved to on this machine
    policy = d3rlpy_policy(algo)
    last_eval: dict[str, Any] = {}
    interval = min(int(cfg.eval.interval), int(cfg.steps))
    start = 0 if previous is None else _resume_from_checkpoint(cfg, run_dir, previous, results, algo, buffer)
    metric_files = MetricsFileAdapterFactory(root_dir=str(run_dir))

    def evaluate(algo_: Any, epoch: int, step: int) -> None:
        epoch, step = epoch + start // interval, step + start  # numbered as in an uninterrupted run
        t0 = time.perf_counter()
        episodes = evaluator(policy, description=f"evaluation at step {step}")
        metrics = summarize(episodes)
        metrics[EVAL_SECONDS] = time.perf_counter() - t0
        tracker.log(metrics, step=step)
        results["history"].append({"step": step, "epoch": epoch, **metrics})
        last_eval.update(metrics=metrics, episodes=episodes)
        metric_files.write_evaluation(epoch, step, metrics)
        write_results(run_dir / "results.json", results)  # the history so far survives even a SIGKILL
        if cfg.eval.get("video") and step == int(cfg.steps):
            _log_videos(cfg, domain, eval_levels, policy, embedder, run_dir, step, tracker)
        log.info("step %d: %s", step, "  ".join(
            f"{lv} {metrics[eval_key(lv)]:.2f}" for lv in eval_levels))

    t_train = time.perf_counter()
    logger = OffsetAdapterFactory(_file_and_tracker(metric_files, tracker), run_dir / "d3rlpy", start, start // interval,
                                  capture_state=lambda: capture(algo, buffer))
    algo.fit(
        buffer, n_steps=int(cfg.steps) - start, n_steps_per_epoch=interval, experiment_name="d3rlpy",
        with_timestamp=False, show_progress=bool(cfg.progress), save_interval=int(cfg.checkpoint_every),
        logger_adapter=logger, epoch_callback=evaluate,
    )
    timings["train_and_eval_s"] = time.perf_counter() - t_train
    eval_seconds = sum(h.get(EVAL_SECONDS, 0.0) for h in results["history"] if h["step"] > start)
    timings["steps_per_s"] = (cfg.steps - start) / max(timings["train_and_eval_s"] - eval_seconds, 1e-9)
    algo.save(str(run_dir / "model.d3"))
    results.update(status="completed", final=last_eval["metrics"], episodes=as_records(last_eval["episodes"]),
                   success=level_success(last_eval["metrics"], eval_levels))
    tracker.summary({final_key(k): v for k, v in last_eval["metrics"].items()})
    return results


def _log_videos(cfg: DictConfig, domain: Domain, levels: tuple[str, ...], policy: Any, embedder: Any, run_dir: Path,
                step: int, tracker: Tracker) -> None:
    """GIFs of the final policy on a few planned evaluation episodes per level, in ``videos/`` and W&B."""
    from imagine_bench.evaluation.videos import record_videos

    videos = record_videos(domain, levels, policy, embedder, int(cfg.env.horizon), int(cfg.eval.video_episodes),
                           run_dir / "videos", step, eval_seed=int(cfg.eval.seed))
    tracker.log_videos({video_key(level): path for level, path in videos.items()}, step=step)


def _eval_seconds(results: dict[str, Any]) -> float:
    return sum(h.get(EVAL_SECONDS, 0.0) for h in results["history"])


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
