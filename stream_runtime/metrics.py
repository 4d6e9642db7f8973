"""User metrics (PyFlink's ``MetricGroup``): counters, gauges, meters and distributions per subtask."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Counter:
    """A count that goes up and down."""

    def __init__(self) -> None:
        self._count = 0

    def inc(self, n: int = 1) -> None:
        """Add ``n``."""
        self._count += n

    def dec(self, n: int = 1) -> None:
        """Subtract ``n``."""
        self._count -= n

    def get_count(self) -> int:
        """The current count."""
        return self._count


class Meter:
    """Events per second over a time span (``mark_event``)."""

    def __init__(self, time_span_in_seconds: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.time_span = max(1, int(time_span_in_seconds))
        self._clock = clock
        self._events: list[tuple[float, int]] = []
        self._count = 0

    def mark_event(self, value: int = 1) -> None:
        """Record ``value`` events now."""
        now = self._clock()
        self._events.append((now, value))
        self._count += value
        horizon = now - self.time_span
        while self._events and self._events[0][0] < horizon:
            self._events.pop(0)

    def get_count(self) -> int:
        """Events ever marked."""
        return self._count

    def get_rate(self) -> float:
        """Events per second within the time span."""
        horizon = self._clock() - self.time_span
        return sum(v for t, v in self._events if t >= horizon) / self.time_span


class Distribution:
    """Summary (count, sum, min, max) of updated values."""

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0
        self.min: int | None = None
        self.max: int | None = None

    def update(self, value: int) -> None:
        """Record one value."""
        self.count += 1
        self.sum += value
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)


class MetricGroup:
    """A named scope of metrics; ``add_group`` nests scopes. ``snapshot()`` reads every value."""

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        self.scope = scope
        self._metrics: dict[str, Any] = {}
        self._groups: dict[str, MetricGroup] = {}

    def add_group(self, name: str, extra: str | None = None) -> MetricGroup:
        """A sub-group (``extra`` makes it a key/value group as in Flink)."""
        label = name if extra is None else f"{name}.{extra}"
        if label not in self._groups:
            self._groups[label] = MetricGroup((*self.scope, label))
        return self._groups[label]

    def _register(self, name: str, metric: Any) -> Any:
        return self._metrics.setdefault(name, metric)

    def counter(self, name: str) -> Counter:
        """A counter (the same object for the same name)."""
        return self._register(name, Counter())

    def gauge(self, name: str, obj: Callable[[], Any]) -> None:
        """A gauge whose value is ``obj()`` when read."""
        self._metrics[name] = obj

    def meter(self, name: str, time_span_in_seconds: int = 60) -> Meter:
        """A meter of events per second."""
        return self._register(name, Meter(time_span_in_seconds))

    def distribution(self, name: str) -> Distribution:
        """A distribution of values."""
        return self._register(name, Distribution())

    def snapshot(self) -> dict[str, Any]:
        """``{"scope.name": value}`` of this group and its sub-groups."""
        values: dict[str, Any] = {}
        prefix = ".".join(self.scope)
        for name, metric in self._metrics.items():
            label = f"{prefix}.{name}" if prefix else name
            if isinstance(metric, Counter):
                values[label] = metric.get_count()
            elif isinstance(metric, Meter):
                values[label] = {"count": metric.get_count(), "rate": metric.get_rate()}
            elif isinstance(metric, Distribution):
                values[label] = {
                    "count": metric.count,
                    "sum": metric.sum,
                    "min": metric.min,
                    "max": metric.max,
                }
            else:
                values[label] = metric()
        for group in self._groups.values():
            values.update(group.snapshot())
        return values
