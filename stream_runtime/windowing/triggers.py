"""Window triggers (PyFlink's ``Trigger``, ``TriggerResult`` and built-in triggers), Flink's semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any

from stream_runtime.state.api import ReducingStateDescriptor
from stream_runtime.windowing.window_types import Window


class TriggerResult(Enum):
    """What a trigger decides: keep collecting, fire, purge, or both."""

    CONTINUE = (False, False)
    FIRE_AND_PURGE = (True, True)
    FIRE = (True, False)
    PURGE = (False, True)

    def is_fire(self) -> bool:
        """Emit the window's result."""
        return self in _FIRING

    def is_purge(self) -> bool:
        """Drop the window's contents."""
        return self in _PURGING


_FIRING = frozenset({TriggerResult.FIRE, TriggerResult.FIRE_AND_PURGE})
_PURGING = frozenset({TriggerResult.PURGE, TriggerResult.FIRE_AND_PURGE})


class TriggerContext(ABC):
    """The ``ctx`` of a trigger's methods (PyFlink's ``Trigger.TriggerContext`` and ``OnMergeContext``)."""

    @abstractmethod
    def get_current_processing_time(self) -> int:
        """Processing time (ms)."""

    @abstractmethod
    def get_current_watermark(self) -> int:
        """Event time (ms)."""

    @abstractmethod
    def register_event_time_timer(self, time: int) -> None:
        """Call ``on_event_time`` when the watermark passes ``time``."""

    @abstractmethod
    def delete_event_time_timer(self, time: int) -> None:
        """Remove an event-time timer."""

    @abstractmethod
    def register_processing_time_timer(self, time: int) -> None:
        """Call ``on_processing_time`` at processing time ``time``."""

    @abstractmethod
    def delete_processing_time_timer(self, time: int) -> None:
        """Remove a processing-time timer."""

    @abstractmethod
    def get_partitioned_state(self, descriptor: Any) -> Any:
        """State of the key and window."""

    @abstractmethod
    def get_metric_group(self) -> Any:
        """The operator's metric group."""


class Trigger(ABC):
    """Decides when a window fires (PyFlink's ``Trigger``); ``ctx`` is the operator's trigger context."""

    TriggerContext = TriggerContext
    OnMergeContext = TriggerContext

    @abstractmethod
    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        """Called for every element added to ``window``."""

    @abstractmethod
    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        """A processing-time timer registered by this trigger fired."""

    @abstractmethod
    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        """An event-time timer registered by this trigger fired."""

    def can_merge(self) -> bool:
        """Whether the trigger supports merging windows."""
        return False

    def on_merge(self, window: Window, ctx: Any) -> None:  # noqa: B027 - optional hook
        """Windows were merged into ``window``."""

    @abstractmethod
    def clear(self, window: Window, ctx: Any) -> None:
        """The window is purged for good: delete timers and state of this trigger."""


class EventTimeTrigger(Trigger):
    """Fires when the watermark passes the end of the window (default of event-time assigners)."""

    @staticmethod
    def create() -> EventTimeTrigger:
        """A new trigger."""
        return EventTimeTrigger()

    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        if window.max_timestamp() <= ctx.get_current_watermark():
            return TriggerResult.FIRE  # late but within allowed lateness: fire at once
        ctx.register_event_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.FIRE if time == window.max_timestamp() else TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window: Window, ctx: Any) -> None:
        if window.max_timestamp() > ctx.get_current_watermark():
            ctx.register_event_time_timer(window.max_timestamp())

    def clear(self, window: Window, ctx: Any) -> None:
        ctx.delete_event_time_timer(window.max_timestamp())


class ProcessingTimeTrigger(Trigger):
    """Fires when processing time passes the end of the window (default of processing-time assigners)."""

    @staticmethod
    def create() -> ProcessingTimeTrigger:
        """A new trigger."""
        return ProcessingTimeTrigger()

    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        ctx.register_processing_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.FIRE

    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window: Window, ctx: Any) -> None:
        if window.max_timestamp() > ctx.get_current_processing_time():
            ctx.register_processing_time_timer(window.max_timestamp())

    def clear(self, window: Window, ctx: Any) -> None:
        ctx.delete_processing_time_timer(window.max_timestamp())


class CountTrigger(Trigger):
    """Fires every ``count`` elements of a window (its count is trigger state, so it is checkpointed)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.descriptor = ReducingStateDescriptor("count", lambda a, b: a + b)

    @staticmethod
    def of(count: int) -> CountTrigger:
        """Fire every ``count`` elements."""
        return CountTrigger(count)

    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        state = ctx.get_partitioned_state(self.descriptor)
        state.add(1)
        if state.get() >= self.count:
            state.clear()
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def clear(self, window: Window, ctx: Any) -> None:
        ctx.get_partitioned_state(self.descriptor).clear()


class PurgingTrigger(Trigger):
    """Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE."""

    def __init__(self, nested: Trigger) -> None:
        self.nested = nested

    @staticmethod
    def of(nested: Trigger) -> PurgingTrigger:
        """Wrap ``nested``."""
        return PurgingTrigger(nested)

    @staticmethod
    def _purging(result: TriggerResult) -> TriggerResult:
        return TriggerResult.FIRE_AND_PURGE if result.is_fire() else result

    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        return self._purging(self.nested.on_element(element, timestamp, window, ctx))

    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return self._purging(self.nested.on_processing_time(time, window, ctx))

    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return self._purging(self.nested.on_event_time(time, window, ctx))

    def can_merge(self) -> bool:
        return self.nested.can_merge()

    def on_merge(self, window: Window, ctx: Any) -> None:
        self.nested.on_merge(window, ctx)

    def clear(self, window: Window, ctx: Any) -> None:
        self.nested.clear(window, ctx)


class NeverTrigger(Trigger):
    """Never fires (default of :class:`GlobalWindows`)."""

    def on_element(self, element: Any, timestamp: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: Window, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def clear(self, window: Window, ctx: Any) -> None:
        return None
