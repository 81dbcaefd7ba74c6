"""Lanes stepped in worker processes, so that several cores run simulators at once (see the package docstring).

Protocol, over one duplex pipe per worker: the worker first sends ``("ready", None)``; then every request
``(kind, payload)`` with kind ``reset`` or ``step`` gets ``("ok", result)`` or ``("error", lane, traceback text)``;
``("close", None)`` ends it. The main process sends a request to every worker involved before it receives any reply,
so the workers step their lanes concurrently. This module imports no torch: a worker needs numpy, the domain and its
simulator only.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import signal
import time
import traceback
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np

from imagine_bench.domains import Domain, domain_classes, get_domain
from imagine_bench.evaluation.lanes import Lane, LaneFailure, Lanes, LocalLanes, Start, StepBatch

#: How long a worker busy-polls (yielding the CPU between polls) for its next request before it blocks. The gap
#: between two steps is the main process's policy call plus the other workers' remaining work, a few milliseconds on
#: Meta-World; a worker that blocked through it is slow to wake and then steps its simulators slower (its CPU halted,
#: caches cold), so polling a little longer than the gap pays (the measurements are in the README's "Costs"). Between
#: evaluations a worker blocks after this long, so an idle pool costs no CPU.
SPIN_S = 0.005

#: ``auto`` stays at or below this many workers: each step the main process makes the policy call and exchanges a
#: message with every worker, one after the other, and every worker holds its own simulators (~0.3 GB for five
#: Meta-World lanes).
MAX_AUTO_WORKERS = 8


def resolve_workers(workers: int | str, in_flight: int) -> int:
    """``auto``: ``min(usable CPUs, in_flight, 8)`` with at least 2 usable CPUs, else 0 (in-process); an int as is."""
    if workers == "auto":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return min(cpus, in_flight, MAX_AUTO_WORKERS) if cpus >= 2 else 0
    try:
        count = int(workers)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"eval workers must be 'auto' or an int >= 0, got {workers!r}")
    return count


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    conn: Connection


class WorkerLanes(Lanes):
    """Lanes spread over ``workers`` spawned processes, started at the first reset and kept until :meth:`close`.

    A lane is placed on a worker at its first episode (the one running the fewest lanes at that moment) and stays
    there, so its simulator is built once. Spawn, not fork: the training process has a prefetch thread, W&B and torch
    threads that a forked child would inherit in an undefined state. Spawn re-imports the main script in each worker,
    so a script that evaluates with workers needs the usual ``if __name__ == "__main__":`` guard, and whatever it
    imports at the top is imported by every worker too.
    """

    def __init__(self, domain: Domain, horizon: int, workers: int) -> None:
        if workers < 1:
            raise ValueError("WorkerLanes needs at least one worker")
        self.horizon, self.workers = horizon, workers
        self._domain = _domain_spec(domain)
        self._pool: list[_Worker] = []
        self._home: dict[Lane, int] = {}
        self._active: set[Lane] = set()
        self._finalizer: weakref.finalize | None = None

    def reset(self, starts: Sequence[Start]) -> list[tuple[np.ndarray, str]]:
        if not self._pool:
            self._start()
        for lane, _, _ in starts:
            self._place(lane)
            self._active.add(lane)
        groups = self._group([lane for lane, _, _ in starts])
        replies = self._exchange({w: ("reset", [starts[i] for i in rows]) for w, rows in groups.items()})
        out: list[Any] = [None] * len(starts)
        for w, rows in groups.items():
            for i, reply in zip(rows, replies[w], strict=True):
                out[i] = reply
        return out

    def step(self, lanes: Sequence[Lane], actions: np.ndarray) -> StepBatch:
        actions = np.asarray(actions)
        groups = self._group(lanes)
        replies = self._exchange({w: ("step", ([lanes[i] for i in rows], actions[rows])) for w, rows in groups.items()})
        order = np.concatenate([rows for rows in groups.values()])
        batch = StepBatch(*(_unpermute(np.concatenate(parts), order) for parts in zip(*replies.values())))
        for lane, terminated, truncated in zip(lanes, batch.terminated, batch.truncated, strict=True):
            if terminated or truncated:
                self._active.discard(lane)
        return batch

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._pool, self._home, self._active, self._finalizer = [], {}, set(), None

    # ----------------------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        context = mp.get_context("spawn")
        started = time.perf_counter()
        self._finalizer = weakref.finalize(self, _shutdown, self._pool)  # also covers a start that fails half-way
        try:
            for index in range(self.workers):
                parent, child = context.Pipe()
                process = context.Process(target=serve, args=(child, self._domain, self.horizon), daemon=True,
                                          name=f"imagine-bench-eval-{index}")
                with _standard_default_start_method():
                    process.start()
                child.close()  # so that the parent's end reads EOF once the worker dies
                self._pool.append(_Worker(index, process, parent))
        except BaseException:
            self.close()
            raise
        self._exchange(dict.fromkeys(range(self.workers)))  # wait for every worker's "ready"
        self.startup_s = time.perf_counter() - started

    def _place(self, lane: Lane) -> None:
        if lane not in self._home:
            load = Counter(self._home[active] for active in self._active)
            self._home[lane] = min(range(self.workers), key=lambda w: load[w])

    def _group(self, lanes: Sequence[Lane]) -> dict[int, np.ndarray]:
        rows: dict[int, list[int]] = {}
        for i, lane in enumerate(lanes):
            rows.setdefault(self._home[lane], []).append(i)
        return {w: np.asarray(r) for w, r in rows.items()}

    def _exchange(self, requests: dict[int, Any]) -> dict[int, Any]:
        """Send every request (``None``: send nothing, only receive), then receive every reply.

        Any failure closes the pool: replies still in flight would otherwise be read as answers to the next request.
        """
        try:
            for w, request in requests.items():
                if request is not None:
                    self._send(self._pool[w], request)
            return {w: self._receive(self._pool[w]) for w in requests}
        except BaseException:
            self.close()
            raise

    def _send(self, worker: _Worker, request: tuple[str, Any]) -> None:
        try:
            worker.conn.send(request)
        except OSError as exc:
            raise self._died(worker) from exc

    def _receive(self, worker: _Worker) -> Any:
        try:
            status, *reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise self._died(worker) from exc
        if status == "error":
            lane, text = reply
            where = f" on lane {lane[0]}/{lane[1]}" if lane is not None else ""
            raise RuntimeError(f"evaluation worker {worker.index} (pid {worker.process.pid}) failed{where}; "
                               f"its traceback:\n{text}")
        return reply[0]

    @staticmethod
    def _died(worker: _Worker) -> RuntimeError:
        worker.process.join(timeout=1)
        return RuntimeError(f"evaluation worker {worker.index} (pid {worker.process.pid}) died "
                            f"(exit code {worker.process.exitcode}) without replying")


#: Start methods that every fresh Python process knows; a library may register others (joblib's ``loky``).
STANDARD_START_METHODS = ("fork", "spawn", "forkserver")


@contextlib.contextmanager
def _standard_default_start_method() -> Iterator[None]:
    """Make ``spawn`` the process-wide default start method while a worker starts, if the default is non-standard.

    A spawned child first adopts its parent's *default* start method (``multiprocessing.spawn.prepare`` calls
    ``set_start_method`` with it), whatever context started the child. Inside a joblib (loky) worker that default is
    ``loky``, which a fresh interpreter has not registered, so the child died before running any code ("cannot find
    context for 'loky'"). The default is put back at once; only a process started by another thread in this window
    would see ``spawn`` instead.
    """
    previous = mp.get_start_method(allow_none=True)
    if previous is None or previous in STANDARD_START_METHODS:
        yield
        return
    mp.set_start_method("spawn", force=True)
    try:
        yield
    finally:
        mp.set_start_method(previous, force=True)


def _domain_spec(domain: Domain) -> str | bytes:
    """The domain's name when a fresh process finds it in the registry (nothing to pickle), else the pickled instance:
    domains registered outside ``imagine_bench.domains`` (the tests' toy domain) import in the child because spawn
    gives it the parent's ``sys.path``."""
    discoverable = (type(domain).__module__.startswith("imagine_bench.domains.")
                    and domain_classes().get(domain.name) is type(domain))
    return domain.name if discoverable else pickle.dumps(domain)


def _unpermute(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[order] = values
    return out


def _shutdown(pool: list[_Worker]) -> None:
    """Ask every worker to exit, then terminate the ones that do not; runs at close, garbage collection or exit."""
    for worker in pool:
        try:
            worker.conn.send(("close", None))
        except OSError:
            pass
    for worker in pool:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join()
        worker.conn.close()


# -- the worker process ------------------------------------------------------------------------------------------------
def serve(conn: Connection, domain: str | bytes, horizon: int) -> None:
    """Worker main loop: a :class:`LocalLanes` driven by requests from ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle; it closes the pool
    try:
        lanes = LocalLanes(get_domain(domain) if isinstance(domain, str) else pickle.loads(domain), horizon)
    except Exception:
        conn.send(("error", None, traceback.format_exc()))
        return
    conn.send(("ready", None))
    try:
        while True:
            kind, payload = _next_request(conn)
            if kind == "close":
                return
            conn.send(_handle(lanes, kind, payload))
    except EOFError:  # the main process went away
        return
    finally:
        lanes.close()


def _next_request(conn: Connection) -> tuple[str, Any]:
    deadline = time.perf_counter() + SPIN_S
    while not conn.poll() and time.perf_counter() < deadline:
        os.sched_yield()  # polling, yet any other runnable process (the main one) gets this CPU at once
    return conn.recv()


def _handle(lanes: LocalLanes, kind: str, payload: Any) -> tuple[Any, ...]:
    try:
        return ("ok", lanes.reset(payload) if kind == "reset" else lanes.step(*payload))
    except LaneFailure as failure:
        return ("error", failure.lane, traceback.format_exc())
    except Exception:
        return ("error", None, traceback.format_exc())
