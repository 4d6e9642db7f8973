"""What a supervisor knows about its job's health across attempts: up since, down since, failures, counts.

The supervisor feeds it the job's ``running`` and ``metrics`` messages and each failure; the runtime
adapter reads it for metrics (``uptime``, ``downtime``, ``fullRestarts``) and the job dashboard.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_FAILURES_KEPT = 100
MAX_CAUSE_CHARS = 4000


@dataclass(frozen=True)
class Failure:
    """One failed attempt: when (epoch ms) and the tail of its cause (exception type and message last)."""

    at_ms: int
    cause: str


class JobVitals:
    """Thread-safe record of a supervised job's uptime, outages, failures and latest record counts."""

    def __init__(self, wall_clock: Callable[[], float] = time.time) -> None:
        self._clock = wall_clock
        self._lock = threading.Lock()
        self.running_since_ms: int | None = None
        self.down_since_ms: int | None = None
        self.failures: list[Failure] = []
        self.metrics: dict[str, Any] = {}

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def running(self) -> None:
        """The current attempt has restored its state and processes records: an outage ends."""
        with self._lock:
            self.running_since_ms = self._now_ms()
            self.down_since_ms = None

    def failed(self, cause: str) -> None:
        """An attempt failed: an outage starts (or goes on) and counts restart from zero."""
        with self._lock:
            now = self._now_ms()
            self.running_since_ms = None
            if self.down_since_ms is None:
                self.down_since_ms = now
            self.failures = [*self.failures, Failure(now, cause[-MAX_CAUSE_CHARS:])][-MAX_FAILURES_KEPT:]
            self.metrics = {}

    def ended(self) -> None:
        """The job ended (finished, cancelled, or failed for good): neither up nor down any more."""
        with self._lock:
            self.running_since_ms = None
            self.down_since_ms = None

    def measured(self, message: dict[str, Any]) -> None:
        """The job's latest ``metrics`` message."""
        with self._lock:
            self.metrics = dict(message)
