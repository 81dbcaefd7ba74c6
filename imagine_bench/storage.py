"""Small file-system helpers shared by every writer: write to a temporary sibling, then rename into place."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

#: a ``.partial`` file this old is left over from a writer that died, whichever machine it ran on
STALE_PARTIAL_SECONDS = 3600.0


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed over ``path``, on error it is removed.

    ``os.replace`` is atomic on POSIX within one file system, so readers see either the old file or the complete new
    one, never a partial write. The temporary file is created with mode 0666 filtered by the process umask (what
    ``open`` gives any new file), so a group-shared cache stays shared; ``tempfile.mkstemp`` would make it 0600.
    Temporary files left by writers that died (killed, out of disk) are removed before writing.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    tmp = target.parent / f".{target.name}.{_writer_id()}-{secrets.token_hex(4)}.partial"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _writer_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def remove_stale_partials(target: Path) -> list[Path]:
    """Delete ``.<name>.*.partial`` siblings of ``target`` whose writer is gone: a process of this host that no longer
    runs, or (other hosts, older name formats) a file untouched for :data:`STALE_PARTIAL_SECONDS`."""
    removed = []
    host = socket.gethostname()
    for partial in target.parent.glob(f".{target.name}.*.partial"):
        writer = partial.name[len(target.name) + 2: -len(".partial")].rsplit("-", 1)[0]
        writer_host, _, pid = writer.rpartition("-")
        try:
            if writer_host == host and pid.isdigit():
                stale = not _process_alive(int(pid))
            else:
                stale = time.time() - partial.stat().st_mtime > STALE_PARTIAL_SECONDS
            if stale:
                partial.unlink()
                removed.append(partial)
        except OSError:  # raced with its writer's rename or another cleaner; or no permission: not ours to clean
            continue
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # our own: another writer of this process is in the middle of it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

