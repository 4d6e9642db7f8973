"""The window operator: contents, trigger state and timers of every (key, window) live in keyed state, so
windows checkpoint, restore and rescale by key groups like any keyed state (Flink's WindowOperator)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from stream_runtime.engine.channels import Batch, Stamps
from stream_runtime.engine.operators import OperatorInstance
from stream_runtime.eventtime import MAX_WATERMARK
from stream_runtime.functions import RichFunction, TimeDomain
from stream_runtime.state.api import ListStateDescriptor, MapStateDescriptor
from stream_runtime.state.backend import HeapKeyedStateBackend
from stream_runtime.windowing.functions import (
    AllWindowFunction,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    WindowFunction,
    WindowFunctionContext,
    WindowSpec,
)
from stream_runtime.windowing.triggers import EventTimeTrigger, TriggerContext
from stream_runtime.windowing.window_types import TimeWindow, Window, window_from_namespace
from stream_runtime.windowing.windows import MergingWindowAssigner, WindowAssignerContext

_IMMUTABLE = (int, float, str, bool, bytes, tuple, type(None))
LATE_RECORDS_DROPPED = "numLateRecordsDropped"


def _private(value: Any) -> Any:
    """A copy of a mutable accumulator, so an in-place ``add`` never changes a snapshot already taken."""
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


class NamespacedState:
    """A trigger's or window function's per-window state: entries ``{(namespace, name): value}`` in a keyed
    map table, so they belong to the key (and its key group)."""

    def __init__(self, table: Any, namespace: Any, descriptor: Any) -> None:
        self._table = table
        self._entry = (namespace, descriptor.name)
        self._reduce = getattr(descriptor, "reduce_function", None)
        self._is_list = isinstance(descriptor, ListStateDescriptor)

    def value(self) -> Any:
        """Value (ValueState)."""
        return self._table.get(self._entry)

    def get(self) -> Any:
        """Value (Reducing/ListState)."""
        current = self._table.get(self._entry)
        return list(current or ()) if self._is_list else current

    def update(self, value: Any) -> None:
        """Replace the value."""
        self._table.put(self._entry, list(value) if self._is_list else value)

    def add(self, value: Any) -> None:
        """Fold (ReducingState) or append (ListState)."""
        current = self._table.get(self._entry)
        if self._is_list:
            self._table.put(self._entry, [*(current or ()), value])
        elif current is None or self._reduce is None:
            self._table.put(self._entry, value)
        else:
            self._table.put(self._entry, self._reduce(current, value))

    def clear(self) -> None:
        """Delete the entry."""
        self._table.remove(self._entry)


class WindowContext(TriggerContext, WindowAssignerContext):
    """The context given to triggers, assigners and process window functions for one (key, window)."""

    def __init__(self, operator: WindowOperator) -> None:
        self.op = operator
        self.window: Window = TimeWindow(0, 0)

    def get_current_processing_time(self) -> int:
        """Processing time (ms)."""
        return int(self.op.clock_ms())

    current_processing_time = get_current_processing_time

    def get_current_watermark(self) -> int:
        """The operator's event time."""
        return self.op.current_watermark

    current_watermark = get_current_watermark

    def register_event_time_timer(self, time: int) -> None:
        """Call the trigger's ``on_event_time`` when the watermark reaches ``time``."""
        backend = self.op.backend
        backend.event_timers.add(time, backend.key_context.current_key, self.window.namespace())

    def delete_event_time_timer(self, time: int) -> None:
        """Delete an event-time timer of this window."""
        backend = self.op.backend
        backend.event_timers.remove(time, backend.key_context.current_key, self.window.namespace())

    def register_processing_time_timer(self, time: int) -> None:
        """Call the trigger's ``on_processing_time`` at processing time ``time``."""
        backend = self.op.backend
        backend.processing_timers.add(time, backend.key_context.current_key, self.window.namespace())

    def delete_processing_time_timer(self, time: int) -> None:
        """Delete a processing-time timer of this window."""
        backend = self.op.backend
        backend.processing_timers.remove(time, backend.key_context.current_key, self.window.namespace())

    def get_partitioned_state(self, descriptor: Any) -> NamespacedState:
        """Trigger state of this (key, window)."""
        return NamespacedState(self.op.trigger_state, self.window.namespace(), descriptor)

    def get_metric_group(self) -> Any:
        """The operator's metric group."""
        return self.op.runtime_context.get_metrics_group()

    def window_state(self) -> _StateStore:
        """Keyed state scoped to this window (cleared with ``clear``)."""
        return _StateStore(self.op.window_state, self.window.namespace())

    def global_state(self) -> Any:
        """Keyed state of the key, across windows."""
        return self.op.runtime_context


class _WindowFunctionContext(WindowFunctionContext):
    """What ``ProcessWindowFunction.process`` sees as ``context``: ``context.window()`` and the rest."""

    def __init__(self, ctx: WindowContext) -> None:
        self._ctx = ctx

    def window(self) -> Window:
        """The window being processed."""
        return self._ctx.window

    def current_processing_time(self) -> int:
        """Processing time."""
        return self._ctx.get_current_processing_time()

    def current_watermark(self) -> int:
        """Event time."""
        return self._ctx.get_current_watermark()

    def window_state(self) -> _StateStore:
        """Per-window keyed state."""
        return self._ctx.window_state()

    def global_state(self) -> Any:
        """Keyed state across windows."""
        return self._ctx.global_state()

    def output(self, output_tag: Any, value: Any) -> None:
        """Emit to a side output."""
        self._ctx.op.side_output(output_tag, value, self._ctx.window.max_timestamp())


class _StateStore:
    def __init__(self, table: Any, namespace: Any) -> None:
        self._table = table
        self._namespace = namespace

    def _state(self, descriptor: Any) -> NamespacedState:
        return NamespacedState(self._table, self._namespace, descriptor)

    get_state = get_list_state = get_reducing_state = get_aggregating_state = _state


class WindowOperator(OperatorInstance):
    """Keyed window operator (``window_all`` runs it with one constant key at parallelism 1)."""

    side_output_capable = True

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        spec: WindowSpec = self.function
        self.spec = spec
        assert self.keyed_backend is not None
        self.backend: HeapKeyedStateBackend = self.keyed_backend
        backend = self.backend
        self.contents = backend.get_state(MapStateDescriptor("_window-contents"))
        self.contents_table = backend.tables["_window-contents"]
        self.elements = backend.get_state(ListStateDescriptor("_window-elements"))
        self.trigger_state = backend.get_state(MapStateDescriptor("_window-trigger"))
        self.window_state = backend.get_state(MapStateDescriptor("_window-state"))
        self.trigger = spec.effective_trigger()
        self.assigner = spec.assigner
        self.event_time = self.assigner.is_event_time()
        self.merging = isinstance(self.assigner, MergingWindowAssigner)
        self._fast = (
            type(self.trigger) is EventTimeTrigger
            and self.event_time
            and hasattr(self.assigner, "window_bounds")
        )
        self.ctx = WindowContext(self)
        self.function_ctx = _WindowFunctionContext(self.ctx)
        self.late_dropped = self.runtime_context.get_metrics_group().counter(LATE_RECORDS_DROPPED)
        self._out: list[Any] = []
        self._out_ts: list[Any] = []
        for function in (spec.window_function, spec.aggregate):
            if isinstance(function, RichFunction):
                function.open(self.runtime_context)

    def close(self) -> None:
        for function in (self.spec.window_function, self.spec.aggregate):
            if isinstance(function, RichFunction):
                function.close()

    # -- contents ----------------------------------------------------------------------------------------

    def _windows_of_key(self) -> list[TimeWindow]:
        if self.spec.mode == "list":
            namespaces = {ns for ns, _ in self.elements.get()}
        else:
            namespaces = set(self.contents.keys())
        return [TimeWindow(ns[0], ns[1]) for ns in namespaces]

    def _add(self, ns: tuple[Any, ...], value: Any) -> None:
        spec = self.spec
        if spec.mode == "list":
            self.elements.add((ns, value))
            return
        table = self.contents_table
        key = self.backend.key_context.current_key
        windows = table.get(key)
        if windows is None:
            windows = {}
        current = windows.get(ns)
        if spec.mode == "reduce":
            assert spec.reduce is not None
            windows[ns] = value if current is None else spec.reduce(current, value)
        else:
            agg = spec.aggregate
            assert agg is not None
            windows[ns] = agg.add(value, agg.create_accumulator() if current is None else _private(current))
        table[key] = windows  # snapshots copy the per-key map, so updating it in place is safe

    def _has_contents(self, window: Window) -> bool:
        ns = window.namespace()
        if self.spec.mode == "list":
            return any(entry_ns == ns for entry_ns, _ in self.elements.get())
        return self.contents.contains(ns)

    def _clear_contents(self, window: Window) -> None:
        ns = window.namespace()
        if self.spec.mode == "list":
            kept = [entry for entry in self.elements.get() if entry[0] != ns]
            if kept:
                self.elements.update(kept)
            else:
                self.elements.clear()
        else:
            self.contents.remove(ns)
            if self.contents.is_empty():
                self.contents.clear()

    def _merge_contents(self, target: Window, merged: list[TimeWindow]) -> None:
        spec = self.spec
        target_ns = target.namespace()
        sources = {w.namespace() for w in merged} - {target_ns}
        if spec.mode == "list":
            self.elements.update([(target_ns if ns in sources else ns, v) for ns, v in self.elements.get()])
            return
        combined = self.contents.get(target_ns)
        for ns in sources:
            part = self.contents.get(ns)
            self.contents.remove(ns)
            if part is None:
                continue
            if combined is None:
                combined = part
            elif spec.mode == "reduce":
                assert spec.reduce is not None
                combined = spec.reduce(combined, part)
            else:
                assert spec.aggregate is not None
                combined = spec.aggregate.merge(_private(combined), part)
        if combined is not None:
            self.contents.put(target_ns, combined)

    # -- records -----------------------------------------------------------------------------------------

    def process_keyed(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None:
        key_context = self.backend.key_context
        element = self._element_fast if self._fast else self._element
        for index, (key, value) in enumerate(zip(keys, batch, strict=True)):
            key_context.current_key = key
            element(value, -(2**63) if ts is None or ts[index] is None else ts[index])
        self.emit(self._take(), self._take_ts())

    def _element_fast(self, value: Any, timestamp: int) -> None:
        """``_element`` for tumbling/sliding event-time windows with the default trigger, without objects."""
        if timestamp <= -(2**63):
            self.assigner.assign_windows(value, timestamp, self.ctx)  # raises the missing-timestamp error
        watermark = self.current_watermark
        lateness = self.spec.allowed_lateness_ms
        timers = self.backend.event_timers
        key = self.backend.key_context.current_key
        assigned = False
        for start, end in self.assigner.window_bounds(timestamp):  # type: ignore[attr-defined]
            max_timestamp = end - 1
            cleanup = max_timestamp + lateness
            if cleanup <= watermark:
                continue
            assigned = True
            ns = (start, end)
            self._add(ns, value)
            if max_timestamp <= watermark:
                self._fire_window(TimeWindow(start, end))
            else:
                timers.add(max_timestamp, key, ns)
            if cleanup != max_timestamp:
                timers.add(cleanup, key, ns)
        if not assigned and timestamp + lateness <= watermark:
            if self.spec.late_tag is not None:
                self.side_output(self.spec.late_tag, value, timestamp)
            else:
                self.late_dropped.inc()

    def process_batch(self, batch: Batch, ts: Stamps = None) -> None:
        self.process_keyed([0] * len(batch), batch, ts)

    def _cleanup_time(self, window: Window) -> int:
        if not self.event_time:
            return window.max_timestamp()
        cleanup = window.max_timestamp() + self.spec.allowed_lateness_ms
        return cleanup if cleanup >= window.max_timestamp() else MAX_WATERMARK

    def _is_window_late(self, window: Window) -> bool:
        return self.event_time and self._cleanup_time(window) <= self.current_watermark

    def _element(self, value: Any, timestamp: int) -> None:
        ctx = self.ctx
        windows = list(self.assigner.assign_windows(value, timestamp, ctx))
        targets: list[Window | None] = list(windows)
        if self.merging:
            targets = [self._merge_into(window) for window in windows]
        skipped = True
        for window in targets:
            if window is None or self._is_window_late(window):
                continue
            skipped = False
            self._add(window.namespace(), value)
            ctx.window = window
            result = self.trigger.on_element(value, timestamp, window, ctx)
            if result.is_fire():
                self._fire_window(window)
            if result.is_purge():
                self._clear_contents(window)
            self._register_cleanup(window)
        if (
            skipped
            and self.event_time
            and timestamp + self.spec.allowed_lateness_ms <= self.current_watermark
        ):
            if self.spec.late_tag is not None:
                self.side_output(self.spec.late_tag, value, timestamp)
            else:
                self.late_dropped.inc()

    def _merge_into(self, window: Window) -> Window | None:
        """Merge a new session window with the key's overlapping ones; returns the window to add to."""
        assert isinstance(window, TimeWindow) and isinstance(self.assigner, MergingWindowAssigner)
        existing = self._windows_of_key()
        for cover, members in self.assigner.merge_windows([*existing, window]):
            if window not in members:
                continue
            others = [m for m in members if m != window or m in existing]
            if len(members) == 1 or (len(others) == 1 and others[0] == cover):
                return cover
            if self._is_window_late(cover):
                return None
            ctx = self.ctx
            ctx.window = cover
            self.trigger.on_merge(cover, ctx)
            for member in others:
                if member == cover:
                    continue
                ctx.window = member
                self.trigger.clear(member, ctx)
                self._delete_cleanup(member)
            self._merge_contents(cover, [m for m in others if m != cover])
            return cover
        return window

    def _register_cleanup(self, window: Window) -> None:
        cleanup = self._cleanup_time(window)
        if cleanup == MAX_WATERMARK:
            return
        self.ctx.window = window
        if self.event_time:
            self.ctx.register_event_time_timer(cleanup)
        else:
            self.ctx.register_processing_time_timer(cleanup)

    def _delete_cleanup(self, window: Window) -> None:
        cleanup = self._cleanup_time(window)
        self.ctx.window = window
        if self.event_time:
            self.ctx.delete_event_time_timer(cleanup)
        else:
            self.ctx.delete_processing_time_timer(cleanup)

    # -- firing ------------------------------------------------------------------------------------------

    def _take(self) -> list[Any]:
        out, self._out = self._out, []
        return out

    def _take_ts(self) -> list[Any]:
        out_ts, self._out_ts = self._out_ts, []
        return out_ts

    def _fire_window(self, window: Window) -> None:
        spec = self.spec
        ns = window.namespace()
        if spec.mode == "list":
            elements: Iterable[Any] = [v for entry_ns, v in self.elements.get() if entry_ns == ns]
        else:
            acc = self.contents.get(ns)
            if acc is None:
                return
            elements = [acc if spec.mode == "reduce" else spec.aggregate.get_result(acc)]  # type: ignore[union-attr]
        key = self.backend.key_context.current_key
        function = spec.window_function
        self.ctx.window = window
        if function is None:
            result: Iterable[Any] | None = elements
        elif isinstance(function, ProcessWindowFunction):
            result = function.process(key, self.function_ctx, elements)
        elif isinstance(function, ProcessAllWindowFunction):
            result = function.process(self.function_ctx, elements)
        elif isinstance(function, WindowFunction):
            result = function.apply(key, window, elements)
        elif isinstance(function, AllWindowFunction):
            result = function.apply(window, elements)
        else:
            result = function(key, window, elements)
        if result is not None:
            self._collect(result, window.max_timestamp(), self._out, self._out_ts)

    def _clear_all(self, window: Window) -> None:
        self._clear_contents(window)
        ctx = self.ctx
        ctx.window = window
        self.trigger.clear(window, ctx)
        function = self.spec.window_function
        if isinstance(function, (ProcessWindowFunction, ProcessAllWindowFunction)):
            function.clear(self.function_ctx)
        ns = window.namespace()
        for table in (self.window_state, self.trigger_state):
            if table.is_empty():
                continue
            for entry in [e for e in table.keys() if e[0] == ns]:  # noqa: SIM118 - a MapState
                table.remove(entry)
            if table.is_empty():
                table.clear()

    def _on_timer(self, timestamp: int, namespace: Any, domain: TimeDomain) -> None:
        window = window_from_namespace(namespace)
        if self.merging and not self._has_contents(window):
            return  # the window was merged away
        ctx = self.ctx
        ctx.window = window
        if domain is TimeDomain.EVENT_TIME:
            result = self.trigger.on_event_time(timestamp, window, ctx)
        else:
            result = self.trigger.on_processing_time(timestamp, window, ctx)
        if result.is_fire():
            self._fire_window(window)
        if result.is_purge():
            self._clear_contents(window)
        if (domain is TimeDomain.EVENT_TIME) == self.event_time and timestamp == self._cleanup_time(window):
            self._clear_all(window)

    def _fire_timers(self, queue: Any, time: int, domain: TimeDomain) -> None:
        key_context = self.backend.key_context
        while (timer := queue.pop_next_due(time)) is not None:
            timestamp, key, namespace = timer
            key_context.current_key = key
            self._on_timer(timestamp, namespace, domain)
        self.emit(self._take(), self._take_ts())

    def on_event_time(self, watermark: int) -> None:
        if self.backend.event_timers:
            self._fire_timers(self.backend.event_timers, watermark, TimeDomain.EVENT_TIME)

    def fire_timers(self, now_ms: int) -> None:
        if self.backend.processing_timers:
            self._fire_timers(self.backend.processing_timers, now_ms, TimeDomain.PROCESSING_TIME)
