"""Read back what an offline W&B run wrote: the run record (group, job type, tags, config), metric definitions and
history rows, straight from its ``run-<id>.wandb`` file.

The file is W&B's transaction log: a 7-byte header, then 32 KiB blocks of records, each with a 7-byte header
(checksum: 4 bytes, length: 2 bytes little-endian, kind: 1 byte; kind 1 = a whole record, 2/3/4 = its first, middle
and last fragments); a block's tail too short for a header is zero padding. Each record is a protobuf ``Record``.
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER, BLOCK, RECORD_HEADER = 7, 32 * 1024, 7
WHOLE, LAST = 1, 4


@dataclass
class OfflineRun:
    group: str
    job_type: str
    tags: list[str]
    config: dict[str, Any]
    metrics: list[Any] = field(default_factory=list)  # define_metric records, in call order
    history: list[dict[str, Any]] = field(default_factory=list)


def _records(path: Path) -> list[Any]:
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    records, fragments, pos = [], [], HEADER
    while pos + RECORD_HEADER <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        _checksum, length, kind = struct.unpack("<IHB", data[pos:pos + RECORD_HEADER])
        if left_in_block < RECORD_HEADER or (length == 0 and kind == 0):
            pos += left_in_block  # padding up to the next block
            continue
        fragments.append(data[pos + RECORD_HEADER:pos + RECORD_HEADER + length])
        pos += RECORD_HEADER + length
        if kind in (WHOLE, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(fragments))
            records.append(record)
            fragments = []
    return records


def _finished_records(log: Path, timeout_s: float) -> list[Any]:
    """The log's records once its last one is ``exit``: W&B's service may still be writing the file when
    ``run.finish()`` has returned (seen on a loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            records = _records(log)
        except Exception:  # a record cut off mid-write does not parse yet
            records = []
        if records and records[-1].WhichOneof("record_type") == "exit":
            return records
        assert time.monotonic() < deadline, f"{log} has no exit record after {timeout_s} s"
        time.sleep(0.2)


def read_offline_run(run_dir: Path, timeout_s: float = 60) -> OfflineRun:
    """The single offline W&B run under ``run_dir/wandb``, once W&B has written all of it."""
    [log] = sorted((Path(run_dir) / "wandb").glob("offline-run-*/run-*.wandb"))
    run = None
    for record in _finished_records(log, timeout_s):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            config = {item.key or "/".join(item.nested_key): json.loads(item.value_json)
                      for item in record.run.config.update}
            run = OfflineRun(record.run.run_group, record.run.job_type, list(record.run.tags), config)
        elif kind == "metric" and run is not None:
            run.metrics.append(record.metric)
        elif kind == "history" and run is not None:
            run.history.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                                for item in record.history.item})
    assert run is not None, f"no run record in {log}"
    return run
