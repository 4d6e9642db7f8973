"""Running application storage: a job's writable storage, measured while it runs and bounded in total.

AWS gives each KPU 50 GiB of running application storage (local state, temporary files). The sandbox's
``RLIMIT_FSIZE`` bounds one file; :class:`StorageGuard` bounds them all: a thread of the supervisor measures
what one attempt of the job occupies in its scratch directory (``<job dir>/tmp``: its ``HOME`` and
``TMPDIR``, where RocksDB keeps its working databases) about once a second and, past ``KPUs x storage per
KPU``, ends the attempt as a full disk would end it on AWS: its failure cause says ``No space left on
device`` and by how much it overran, a line in the job's log says the same, and the supervisor restarts
the job under its restart strategy. The next attempt starts with an empty scratch directory (its state
comes back from the checkpoint), as a task on a fresh TaskManager would.

A measurement walks the tree with ``os.scandir`` (allocated blocks, each inode once, symlinks not
followed) and stops as soon as the limit is passed; the pause between two walks grows with what a walk
costs, so the guard never takes more than ``MAX_CPU_SHARE`` of one CPU.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO

from stream_runtime.process.registry import end_process_group, process_start_time
from stream_runtime.process.sandbox import JobSandbox

logger = logging.getLogger(__name__)

CHECK_INTERVAL_S = 1.0
MAX_CPU_SHARE = 0.05  # pause at least 19 times as long as a walk took
SCRATCH = "tmp"  # under the job's working directory


def disk_usage(roots: Iterable[str], stop_above: int | None = None) -> int:
    """Bytes allocated under ``roots`` (files, directories, links; hard-linked files once). With
    ``stop_above``, the walk ends as soon as the sum exceeds it (the result is then only a lower bound)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    pending = [root for root in roots if os.path.isdir(root)]
    while pending:
        try:
            scan = os.scandir(pending.pop())
        except OSError:  # removed meanwhile, or not readable
            continue
        with scan:
            for entry in scan:
                try:
                    status = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if status.st_nlink > 1 and not stat.S_ISDIR(status.st_mode):
                    if (status.st_dev, status.st_ino) in seen:
                        continue
                    seen.add((status.st_dev, status.st_ino))
                total += status.st_blocks * 512
                if stat.S_ISDIR(status.st_mode):
                    pending.append(entry.path)
        if stop_above is not None and total > stop_above:
            break
    return total


def _size(amount: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if amount >= scale:
            return f"{amount / scale:.1f} {unit}"
    return f"{amount} bytes"


def _empty(directory: str) -> None:
    """Remove everything inside ``directory`` (kept itself, with its owner and mode)."""
    with os.scandir(directory) as scan:
        for entry in scan:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


class StorageGuard:
    """Watches one attempt's scratch directories (``roots``) and, once they hold more than ``limit``
    bytes, kills the attempt's process group (led by ``pid``) and keeps the failure cause.

    ``measure`` and ``interval`` are injectable for tests; :meth:`check` is one measurement."""

    def __init__(
        self,
        roots: Iterable[str],
        limit: int,
        pid: int,
        *,
        what: str,
        log: IO[bytes] | None = None,
        interval: float = CHECK_INTERVAL_S,
        measure: Callable[[list[str], int], int] = disk_usage,
    ) -> None:
        self.roots = list(roots)
        self.limit = limit
        self.cause: str | None = None
        self.used: int | None = None  # the latest measurement (a lower bound once past the limit)
        self._pid, self._started = pid, process_start_time(pid)
        self._what = what
        self._log = log
        self._interval = interval
        self._measure = measure
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_job(cls, sandbox: JobSandbox | None, pid: int, log: IO[bytes] | None) -> StorageGuard | None:
        """The guard of a job process launched in ``sandbox`` (None without a working directory)."""
        if sandbox is None or not sandbox.workdir:
            return None
        per_kpu = f"{sandbox.kpus} KPU x {_size(sandbox.storage_per_kpu)}"
        return cls(
            [os.path.join(sandbox.workdir, SCRATCH)],
            sandbox.storage_bytes,
            pid,
            what=f"running application storage of {per_kpu} = {_size(sandbox.storage_bytes)}",
            log=log,
        )

    def start(self) -> StorageGuard:
        """Measure in a background thread until :meth:`stop` (or until the limit is passed)."""
        self._thread = threading.Thread(target=self._watch, name=f"storage-guard-{self._pid}", daemon=True)
        self._thread.start()
        return self

    def check(self) -> bool:
        """Measure once; past the limit, end the job's processes and record the cause. Whether it was past."""
        used = self.used = self._measure(self.roots, self.limit)
        if used <= self.limit or self.cause is not None:
            return self.cause is not None
        self.cause = (
            f"OSError: [Errno 28] No space left on device: the job's {self._what} is exhausted "
            f"(more than {_size(used)} written under {', '.join(self.roots)}); its process was stopped."
        )
        logger.warning("Job process %s: %s", self._pid, self.cause)
        if self._log is not None:
            try:
                self._log.write(f"\n{self.cause}\n".encode())
                self._log.flush()
            except (OSError, ValueError):  # the attempt's log was closed meanwhile
                pass
        end_process_group(self._pid, self._started)
        return True

    def stop(self) -> str | None:
        """Stop watching (the job process has ended). If the guard ended it, empty the scratch directories
        for the next attempt and return the failure cause."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self.cause is not None:
            for root in self.roots:
                if os.path.isdir(root):
                    _empty(root)
        return self.cause

    def _watch(self) -> None:
        pause = self._interval
        while not self._stopped.wait(pause):
            began = time.monotonic()
            try:
                if self.check():
                    return
            except OSError as error:  # never let a measurement end the supervisor
                logger.warning("Job process %s: storage not measured: %s", self._pid, error)
            pause = max(self._interval, (time.monotonic() - began) * (1 / MAX_CPU_SHARE - 1))
