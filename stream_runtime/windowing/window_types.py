"""Windows: ``TimeWindow`` (``[start, end)``) and the ``GlobalWindow``, and their encodable namespaces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from stream_runtime.eventtime import MAX_WATERMARK


class Window(ABC):
    """A finite (or global) bucket of records."""

    @abstractmethod
    def max_timestamp(self) -> int:
        """The largest timestamp that still belongs to the window."""

    @abstractmethod
    def namespace(self) -> tuple[Any, ...]:
        """Encodable identity of the window (keys of window state and timers)."""


class TimeWindow(Window):
    """``[start, end)`` in milliseconds."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def max_timestamp(self) -> int:
        return self.end - 1

    def namespace(self) -> tuple[Any, ...]:
        return (self.start, self.end)

    def intersects(self, other: TimeWindow) -> bool:
        """Whether the two windows overlap or touch."""
        return self.start <= other.end and self.end >= other.start

    def cover(self, other: TimeWindow) -> TimeWindow:
        """The smallest window containing both."""
        return TimeWindow(min(self.start, other.start), max(self.end, other.end))

    @staticmethod
    def get_window_start_with_offset(timestamp: int, offset: int, window_size: int) -> int:
        """Start of the window of ``window_size`` containing ``timestamp`` (Flink's formula)."""
        remainder = (timestamp - offset) % window_size
        return timestamp - remainder

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindow) and (self.start, self.end) == (other.start, other.end)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return f"TimeWindow(start={self.start}, end={self.end})"


class GlobalWindow(Window):
    """The one window of :class:`GlobalWindows`."""

    def max_timestamp(self) -> int:
        return MAX_WATERMARK

    def namespace(self) -> tuple[Any, ...]:
        return ()

    @staticmethod
    def get() -> GlobalWindow:
        """The singleton."""
        return GLOBAL_WINDOW

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GlobalWindow)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "GlobalWindow"


GLOBAL_WINDOW = GlobalWindow()


def window_from_namespace(namespace: tuple[Any, ...]) -> Window:
    """Inverse of :meth:`Window.namespace`."""
    return GLOBAL_WINDOW if not namespace else TimeWindow(namespace[0], namespace[1])
