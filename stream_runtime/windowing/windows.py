"""Window types and window assigners with PyFlink's names and Flink's semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from stream_runtime.timeutil import to_millis
from stream_runtime.windowing.triggers import (
    CountTrigger,
    EventTimeTrigger,
    NeverTrigger,
    ProcessingTimeTrigger,
    PurgingTrigger,
    Trigger,
)
from stream_runtime.windowing.window_types import (
    GLOBAL_WINDOW,
    TimeWindow,
    Window,
)


class WindowAssignerContext(ABC):
    """The ``context`` of ``assign_windows`` (PyFlink's ``WindowAssigner.WindowAssignerContext``)."""

    @abstractmethod
    def get_current_processing_time(self) -> int:
        """Processing time (ms)."""


class WindowAssigner(ABC):
    """Assigns each element to zero or more windows."""

    WindowAssignerContext = WindowAssignerContext

    @abstractmethod
    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        """Windows of ``element`` (``context.get_current_processing_time()`` for processing time)."""

    @abstractmethod
    def get_default_trigger(self, env: Any = None) -> Trigger:
        """The trigger used unless the job sets one."""

    @abstractmethod
    def is_event_time(self) -> bool:
        """Whether windows are in event time."""


class MergingWindowAssigner(WindowAssigner):
    """An assigner whose windows merge (sessions)."""

    def merge_windows(self, windows: list[TimeWindow]) -> list[tuple[TimeWindow, list[TimeWindow]]]:
        """Groups of overlapping windows as ``(cover, members)`` (Flink's ``TimeWindow.mergeWindows``)."""
        merged: list[tuple[TimeWindow, list[TimeWindow]]] = []
        for window in sorted(windows, key=lambda w: w.start):
            if merged and merged[-1][0].intersects(window):
                cover, members = merged[-1]
                merged[-1] = (cover.cover(window), [*members, window])
            else:
                merged.append((window, [window]))
        return merged


def _check_offset(size: int, offset: int, name: str) -> None:
    if size <= 0 or abs(offset) >= size:
        raise ValueError(f"{name} parameters must satisfy abs(offset) < size and size > 0")


class TumblingEventTimeWindows(WindowAssigner):
    """Fixed-size, non-overlapping windows by event time."""

    def __init__(self, size: int, offset: int = 0) -> None:
        _check_offset(size, offset, "TumblingEventTimeWindows")
        self.size, self.offset = size, offset

    @staticmethod
    def of(size: Any, offset: Any = 0) -> TumblingEventTimeWindows:
        """Windows of ``size`` (Duration/Time/ms), shifted by ``offset``."""
        return TumblingEventTimeWindows(to_millis(size), to_millis(offset))

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        if timestamp <= -(2**63):
            raise RuntimeError(
                "Record has no timestamp (Long.MIN_VALUE). Is the time characteristic set to "
                "'ProcessingTime', or did you forget to call 'assign_timestamps_and_watermarks(...)'?"
            )
        start = TimeWindow.get_window_start_with_offset(timestamp, self.offset, self.size)
        return [TimeWindow(start, start + self.size)]

    def window_bounds(self, timestamp: int) -> list[tuple[int, int]]:
        """``(start, end)`` of the window of an element at ``timestamp`` (window operator fast path)."""
        start = timestamp - (timestamp - self.offset) % self.size
        return [(start, start + self.size)]

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True


class TumblingProcessingTimeWindows(TumblingEventTimeWindows):
    """Fixed-size, non-overlapping windows by the operator's processing time."""

    @staticmethod
    def of(size: Any, offset: Any = 0) -> TumblingProcessingTimeWindows:
        """Windows of ``size``, shifted by ``offset``."""
        return TumblingProcessingTimeWindows(to_millis(size), to_millis(offset))

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        now = context.get_current_processing_time()
        start = TimeWindow.get_window_start_with_offset(now, self.offset, self.size)
        return [TimeWindow(start, start + self.size)]

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False


class SlidingEventTimeWindows(WindowAssigner):
    """Windows of ``size`` starting every ``slide`` (an element is in ``size / slide`` windows)."""

    def __init__(self, size: int, slide: int, offset: int = 0) -> None:
        if slide <= 0 or size <= 0 or abs(offset) >= slide:
            raise ValueError(
                "SlidingEventTimeWindows parameters must satisfy abs(offset) < slide and size > 0"
            )
        self.size, self.slide, self.offset = size, slide, offset

    @staticmethod
    def of(size: Any, slide: Any, offset: Any = 0) -> SlidingEventTimeWindows:
        """Windows of ``size`` every ``slide``."""
        return SlidingEventTimeWindows(to_millis(size), to_millis(slide), to_millis(offset))

    def window_bounds(self, timestamp: int) -> list[tuple[int, int]]:
        """``(start, end)`` of the windows of an element at ``timestamp``, latest first."""
        start = TimeWindow.get_window_start_with_offset(timestamp, self.offset, self.slide)
        bounds = []
        while start > timestamp - self.size:
            bounds.append((start, start + self.size))
            start -= self.slide
        return bounds

    def _windows(self, timestamp: int) -> list[Window]:
        return [TimeWindow(start, end) for start, end in self.window_bounds(timestamp)]

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        return self._windows(timestamp)

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True


class SlidingProcessingTimeWindows(SlidingEventTimeWindows):
    """Sliding windows by processing time."""

    @staticmethod
    def of(size: Any, slide: Any, offset: Any = 0) -> SlidingProcessingTimeWindows:
        """Windows of ``size`` every ``slide``."""
        return SlidingProcessingTimeWindows(to_millis(size), to_millis(slide), to_millis(offset))

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        return self._windows(context.get_current_processing_time())

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False


class EventTimeSessionWindows(MergingWindowAssigner):
    """Sessions: windows ``[t, t + gap)`` that merge while they overlap."""

    def __init__(self, gap: int | None = None, gap_extractor: Callable[[Any], int] | None = None) -> None:
        self.gap = gap
        self.gap_extractor = gap_extractor

    @staticmethod
    def with_gap(gap: Any) -> EventTimeSessionWindows:
        """A fixed session gap."""
        return EventTimeSessionWindows(to_millis(gap))

    @staticmethod
    def with_dynamic_gap(extractor: Any) -> EventTimeSessionWindows:
        """A gap computed per element by ``extractor.extract(element)`` (ms)."""
        return EventTimeSessionWindows(None, getattr(extractor, "extract", extractor))

    def _session(self, element: Any, timestamp: int) -> list[Window]:
        gap = self.gap if self.gap_extractor is None else int(self.gap_extractor(element))
        if gap is None or gap <= 0:
            raise ValueError("session gap must be > 0")
        return [TimeWindow(timestamp, timestamp + gap)]

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        return self._session(element, timestamp)

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return EventTimeTrigger()

    def is_event_time(self) -> bool:
        return True


class ProcessingTimeSessionWindows(EventTimeSessionWindows):
    """Sessions by processing time."""

    @staticmethod
    def with_gap(gap: Any) -> ProcessingTimeSessionWindows:
        """A fixed session gap."""
        return ProcessingTimeSessionWindows(to_millis(gap))

    @staticmethod
    def with_dynamic_gap(extractor: Any) -> ProcessingTimeSessionWindows:
        """A gap computed per element."""
        return ProcessingTimeSessionWindows(None, getattr(extractor, "extract", extractor))

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        return self._session(element, context.get_current_processing_time())

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return ProcessingTimeTrigger()

    def is_event_time(self) -> bool:
        return False


class GlobalWindows(WindowAssigner):
    """All elements of a key in one window that never ends; use it with a trigger (e.g. CountTrigger)."""

    @staticmethod
    def create() -> GlobalWindows:
        """The assigner."""
        return GlobalWindows()

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Iterable[Window]:
        return [GLOBAL_WINDOW]

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return NeverTrigger()

    def is_event_time(self) -> bool:
        return False


class CountTumblingWindowAssigner(GlobalWindows):
    """``count_window(size)``: a global window purged every ``size`` elements."""

    def __init__(self, window_size: int) -> None:
        self.window_size = window_size

    @staticmethod
    def of(window_size: int) -> CountTumblingWindowAssigner:
        """Windows of ``window_size`` elements."""
        return CountTumblingWindowAssigner(window_size)

    def get_default_trigger(self, env: Any = None) -> Trigger:
        return PurgingTrigger(CountTrigger(self.window_size))
