"""Window functions (PyFlink's names) and what a window operator needs to know about one window stream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from stream_runtime.functions import AggregateFunction, OutputTag, RichFunction
from stream_runtime.windowing.triggers import Trigger
from stream_runtime.windowing.windows import Window, WindowAssigner


class WindowFunctionContext(ABC):
    """The ``context`` of ``ProcessWindowFunction.process`` (PyFlink's ``ProcessWindowFunction.Context``)."""

    @abstractmethod
    def window(self) -> Window:
        """The window being processed."""

    @abstractmethod
    def current_processing_time(self) -> int:
        """Processing time (ms)."""

    @abstractmethod
    def current_watermark(self) -> int:
        """Event time (ms)."""

    @abstractmethod
    def window_state(self) -> Any:
        """Per-window keyed state."""

    @abstractmethod
    def global_state(self) -> Any:
        """Keyed state across windows."""

    @abstractmethod
    def output(self, output_tag: OutputTag, value: Any) -> None:
        """Emit to a side output."""


class ProcessWindowFunction(RichFunction):
    """Gets all elements of a fired window with a context (window, time, per-window and global state)."""

    Context = WindowFunctionContext

    @abstractmethod
    def process(self, key: Any, context: Any, elements: Iterable[Any]) -> Iterable[Any]:
        """Return (or yield) the outputs for the window ``context.window()`` of ``key``."""

    def clear(self, context: Any) -> None:
        """The window is purged; delete per-window state here."""


class ProcessAllWindowFunction(RichFunction):
    """``window_all`` variant of :class:`ProcessWindowFunction` (no key)."""

    Context = WindowFunctionContext

    @abstractmethod
    def process(self, context: Any, elements: Iterable[Any]) -> Iterable[Any]:
        """Return (or yield) the outputs for the window ``context.window()``."""

    def clear(self, context: Any) -> None:
        """The window is purged."""


class WindowFunction(RichFunction):
    """``apply``: gets the key, the window and all its elements."""

    @abstractmethod
    def apply(self, key: Any, window: Window, inputs: Iterable[Any]) -> Iterable[Any]:
        """Return (or yield) the outputs."""


class AllWindowFunction(RichFunction):
    """``window_all(...).apply``: the window and all its elements."""

    @abstractmethod
    def apply(self, window: Window, inputs: Iterable[Any]) -> Iterable[Any]:
        """Return (or yield) the outputs."""


@dataclass
class WindowSpec:
    """Everything a window operator runs: assigner, trigger, lateness, and how contents are kept and fired.

    ``mode`` is ``reduce`` (one reduced value per window), ``aggregate`` (an accumulator) or ``list`` (all
    elements, for process/apply without pre-aggregation). ``window_function`` is ``None`` (emit the
    reduced/aggregated value), a (Process)WindowFunction or an All-variant when ``keyless``.
    """

    assigner: WindowAssigner
    trigger: Trigger | None = None
    allowed_lateness_ms: int = 0
    late_tag: OutputTag | None = None
    mode: str = "list"
    reduce: Callable[[Any, Any], Any] | None = None
    aggregate: AggregateFunction | None = None
    window_function: Any = None
    keyless: bool = False

    def effective_trigger(self) -> Trigger:
        """The configured trigger or the assigner's default."""
        return self.trigger if self.trigger is not None else self.assigner.get_default_trigger()
