"""Functions of connected streams (PyFlink's CoMap/CoFlatMap/CoProcess/KeyedCoProcess and broadcast ones)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

from stream_runtime.functions import ProcessContext, RichFunction


class CoMapFunction(RichFunction):
    """One output per element of either input."""

    @abstractmethod
    def map1(self, value: Any) -> Any:
        """Element of the first input."""

    @abstractmethod
    def map2(self, value: Any) -> Any:
        """Element of the second input."""


class CoFlatMapFunction(RichFunction):
    """Zero or more outputs per element of either input."""

    @abstractmethod
    def flat_map1(self, value: Any) -> Iterable[Any] | None:
        """Element of the first input."""

    @abstractmethod
    def flat_map2(self, value: Any) -> Iterable[Any] | None:
        """Element of the second input."""


class CoProcessFunction(RichFunction):
    """Low-level processing of two inputs (side outputs through ``yield tag, value``)."""

    Context = ProcessContext  # PyFlink's nested context names, for annotations

    @abstractmethod
    def process_element1(self, value: Any, ctx: Any) -> Iterable[Any] | None:
        """Element of the first input."""

    @abstractmethod
    def process_element2(self, value: Any, ctx: Any) -> Iterable[Any] | None:
        """Element of the second input."""


class KeyedCoProcessFunction(CoProcessFunction):
    """Two inputs keyed alike: shared keyed state and timers."""

    OnTimerContext = ProcessContext

    def on_timer(self, timestamp: int, ctx: Any) -> Iterable[Any] | None:
        """A timer of ``ctx.get_current_key()`` fired."""
        return None


class BroadcastProcessFunction(RichFunction):
    """A non-keyed stream connected with a broadcast stream; broadcast state is writable only on the
    broadcast side."""

    BaseContext = ProcessContext
    Context = ProcessContext
    ReadOnlyContext = ProcessContext

    @abstractmethod
    def process_element(self, value: Any, ctx: Any) -> Iterable[Any] | None:
        """Element of the non-broadcast input; ``ctx.get_broadcast_state(d)`` is read-only."""

    @abstractmethod
    def process_broadcast_element(self, value: Any, ctx: Any) -> Iterable[Any] | None:
        """Element of the broadcast input; ``ctx.get_broadcast_state(d)`` is writable."""


class KeyedBroadcastProcessFunction(BroadcastProcessFunction):
    """A keyed stream connected with a broadcast stream: keyed state and timers on the keyed side."""

    OnTimerContext = ProcessContext

    def on_timer(self, timestamp: int, ctx: Any) -> Iterable[Any] | None:
        """A timer of ``ctx.get_current_key()`` fired."""
        return None
