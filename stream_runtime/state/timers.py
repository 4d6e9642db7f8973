"""Timers of a keyed operator subtask: ``(timestamp, key, namespace)`` per time domain (keyed state)."""

from __future__ import annotations

import heapq
import itertools
from typing import Any

PROCESSING_TIME = 0
EVENT_TIME = 1


class TimerQueue:
    """Deduplicated timers of one time domain, popped in timestamp order (Flink's InternalTimerService queue).

    The namespace is what a timer belongs to besides its key (a window for window operators, ``None``
    otherwise); it must be hashable and encodable in a checkpoint (tuples of numbers are).
    """

    def __init__(self, domain: int) -> None:
        self.domain = domain
        self._heap: list[tuple[int, int, Any, Any]] = []
        self._live: set[tuple[int, Any, Any]] = set()
        self._seq = itertools.count()

    def __bool__(self) -> bool:
        return bool(self._live)

    def __len__(self) -> int:
        return len(self._live)

    def add(self, timestamp: int, key: Any, namespace: Any = None) -> None:
        """Register a timer (a second registration of the same timer is a no-op)."""
        entry = (timestamp, key, namespace)
        if entry not in self._live:
            self._live.add(entry)
            heapq.heappush(self._heap, (timestamp, next(self._seq), key, namespace))

    def remove(self, timestamp: int, key: Any, namespace: Any = None) -> None:
        """Delete a timer if it is registered."""
        self._live.discard((timestamp, key, namespace))

    def next_timestamp(self) -> int | None:
        """Timestamp of the earliest live timer, or ``None``."""
        heap = self._heap
        while heap and (heap[0][0], heap[0][2], heap[0][3]) not in self._live:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_next_due(self, time: int) -> tuple[int, Any, Any] | None:
        """Remove and return the earliest timer with timestamp ≤ ``time`` (one at a time, so timers a firing
        registers are seen in order)."""
        heap = self._heap
        live = self._live
        while heap and heap[0][0] <= time:
            timestamp, _, key, namespace = heapq.heappop(heap)
            entry = (timestamp, key, namespace)
            if entry in live:
                live.discard(entry)
                return entry
        return None

    def entries(self) -> list[list[Any]]:
        """Snapshot form: ``[timestamp, key]`` for plain processing-time timers (the original format),
        ``[timestamp, key, domain, namespace]`` otherwise."""
        plain = self.domain == PROCESSING_TIME
        return [
            [t, k] if plain and ns is None else [t, k, self.domain, ns]
            for t, k, ns in sorted(self._live, key=_order)
        ]


def _order(entry: tuple[int, Any, Any]) -> int:
    return entry[0]
