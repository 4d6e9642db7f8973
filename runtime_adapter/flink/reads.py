"""Flink REST reads of one observation sent together, and what an observation read kept for the next call.

An observation that ends a start is part of StartApplication → RUNNING, so the adapter sends the reads it
needs at once on a small pool (:class:`Reads`) and waits for the slowest rather than for their sum. Only
single reads run there (never a task that waits on another), so the pool cannot deadlock; ``beside`` waits
for every read it was given, also when the caller's own work raises, so no caller leaves reads behind.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from runtime_adapter.flink.rest import Reply

T = TypeVar("T")

REUSE_S = 0.5
"""How old a reply kept by an observation may be when the call that follows it takes it."""


class Reads:
    """A pool of ``workers`` threads for single REST reads."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flink-rest")

    def submit(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Start ``read(*args, **kwargs)`` on the pool."""
        return self._pool.submit(read, *args, **kwargs)

    def close(self) -> None:
        """Wait for the reads in flight; drop those not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def beside(*reads: Future[Any] | None) -> Iterator[None]:
    """Run the block beside ``reads`` and wait for them to end, also if the block raises."""
    try:
        yield
    finally:
        wait([read for read in reads if read is not None])


class Kept:
    """Replies kept per job by one call for the next (``take`` answers each once, and only if fresh)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[str, tuple[float, Reply]] = {}

    def keep(self, job_id: str, reply: Reply) -> None:
        """Keep ``reply`` for ``job_id`` (and forget those too old to be taken)."""
        now = time.monotonic()
        with self._lock:
            fresh = {job: kept for job, kept in self._replies.items() if now - kept[0] <= REUSE_S}
            self._replies = {**fresh, job_id: (now, reply)}

    def take(self, job_id: str) -> Reply | None:
        """The reply kept for ``job_id`` less than ``REUSE_S`` ago, once; None otherwise."""
        with self._lock:
            read_at, reply = self._replies.pop(job_id, (0.0, None))
        return reply if time.monotonic() - read_at <= REUSE_S else None
