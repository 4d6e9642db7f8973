"""Physical operators: one instance per subtask, pushing batches (with record timestamps) and watermarks
synchronously to downstream subtasks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stream_runtime.engine.channels import Batch, Output, Stamps
from stream_runtime.eventtime import MAX_WATERMARK, MIN_WATERMARK, WatermarkEmitter, WatermarkValve
from stream_runtime.functions import (
    CheckpointedFunction,
    CheckpointListener,
    Function,
    FunctionInitializationContext,
    FunctionSnapshotContext,
    OutputTag,
    ProcessContext,
    RichFunction,
    RuntimeContext,
    SinkFunction,
    TimeDomain,
    TimerService,
    method_or_callable,
)
from stream_runtime.sources import SourceReader
from stream_runtime.state.api import ValueStateDescriptor
from stream_runtime.state.backend import HeapKeyedStateBackend, OperatorStateStore

SIDE_OUTPUT_KINDS = frozenset({"process", "keyed_process"})
WATERMARK_STATE = "watermark"


class OperatorInstance:
    """One subtask of an operator: user function lifecycle, operator state, keyed state and timers,
    the watermark of its inputs and its side outputs."""

    side_output_capable = False

    def __init__(
        self,
        uid: str,
        kind: str,
        function: Any,
        runtime_context: RuntimeContext,
        keyed_backend: HeapKeyedStateBackend | None,
        clock_ms: Callable[[], float],
    ) -> None:
        self.uid = uid
        self.kind = kind
        self.function = function
        self.runtime_context = runtime_context
        self.keyed_backend = keyed_backend
        self.output = Output()
        self.side_outputs: dict[str, Output] = {}
        self._side_buffers: dict[str, tuple[list[Any], list[Any]]] = {}
        self.valve = WatermarkValve()
        self.current_watermark = MIN_WATERMARK
        self.operator_state = OperatorStateStore()
        self.clock_ms = clock_ms
        self.process_context = ProcessContext(
            TimerService(keyed_backend, clock_ms, self.get_current_watermark), keyed_backend, self.side_output
        )
        self._emit: Callable[[Batch, Stamps], None] = self.output.emit
        self._side_capable = self.side_output_capable or kind in SIDE_OUTPUT_KINDS
        self._call: Callable[..., Any] = {
            "map": lambda f: method_or_callable(f, "map"),
            "flat_map": lambda f: method_or_callable(f, "flat_map"),
            "filter": lambda f: method_or_callable(f, "filter"),
            "process": lambda f: method_or_callable(f, "process_element"),
            "keyed_process": lambda f: method_or_callable(f, "process_element"),
            "keyed_reduce": lambda f: method_or_callable(f, "reduce"),
            "sink": lambda f: f.invoke_batch,
        }.get(kind, lambda f: f)(function)
        self._reduce_state: Any = None

    def get_current_watermark(self) -> int:
        """The operator's event time: the minimum watermark of its active input channels."""
        return self.current_watermark

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        """``initialize_state`` then ``open``, as Flink orders them."""
        self.operator_state = OperatorStateStore(operator_state)
        if isinstance(self.function, CheckpointedFunction):
            context = FunctionInitializationContext(restored, self.operator_state, self.runtime_context)
            self.function.initialize_state(context)
        if self._has_lifecycle():
            self.function.open(self.runtime_context)
        if self.kind == "keyed_reduce":
            assert self.keyed_backend is not None
            self._reduce_state = self.keyed_backend.get_state(ValueStateDescriptor("reduce-state"))

    # -- output ------------------------------------------------------------------------------------------

    def side_output(self, tag: OutputTag, value: Any, timestamp: Any = None) -> None:
        """Buffer a side-output record (sent after the current batch; dropped if nobody reads the tag)."""
        if tag.tag_id in self.side_outputs:
            buffer = self._side_buffers.setdefault(tag.tag_id, ([], []))
            buffer[0].append(value)
            buffer[1].append(timestamp)

    def _flush_side(self) -> None:
        if self._side_buffers:
            buffers, self._side_buffers = self._side_buffers, {}
            for tag_id, (values, stamps) in buffers.items():
                self.side_outputs[tag_id].emit(values, stamps)

    def _collect(self, result: Iterable[Any], stamp: Any, out: list[Any], out_ts: list[Any]) -> None:
        """Append a function's outputs; ``(OutputTag, value)`` pairs go to side outputs (PyFlink's way)."""
        if self._side_capable:
            for item in result:
                if type(item) is tuple and len(item) == 2 and isinstance(item[0], OutputTag):
                    self.side_output(item[0], item[1], stamp)
                else:
                    out.append(item)
                    out_ts.append(stamp)
        else:
            before = len(out)
            out.extend(result)
            out_ts.extend([stamp] * (len(out) - before))

    def emit(self, out: list[Any], out_ts: list[Any] | None) -> None:
        """Send outputs and any buffered side outputs downstream."""
        if out:
            self._emit(out, out_ts)
        self._flush_side()

    # -- records -----------------------------------------------------------------------------------------

    def process_batch(self, batch: Batch, ts: Stamps = None) -> None:
        """Process records of a non-keyed input (``ts[i]`` is the timestamp of ``batch[i]``, if any)."""
        kind = self.kind
        call = self._call
        if kind == "map":
            self._emit([call(v) for v in batch], ts)
        elif kind == "filter":
            if ts is None:
                kept = [v for v in batch if call(v)]
                if kept:
                    self._emit(kept, None)
            else:
                pairs = [(v, t) for v, t in zip(batch, ts, strict=True) if call(v)]
                if pairs:
                    self._emit([p[0] for p in pairs], [p[1] for p in pairs])
        elif kind == "sink":
            call(batch)
        elif kind in ("flat_map", "process"):
            out: list[Any] = []
            out_ts: list[Any] = []
            ctx = self.process_context
            for index, value in enumerate(batch):
                stamp = None if ts is None else ts[index]
                if kind == "process":
                    ctx._timestamp = stamp
                    result = call(value, ctx)
                else:
                    result = call(value)
                if result is not None:
                    self._collect(result, stamp, out, out_ts)
            self.emit(out, None if ts is None else out_ts)
        else:
            self._emit(batch, ts)

    def process_keyed(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None:
        """Process records of a keyed input (``keys[i]`` is the key of ``batch[i]``)."""
        if self.keyed_backend is None:
            self.process_batch(batch, ts)
            return
        key_context = self.keyed_backend.key_context
        out: list[Any] = []
        out_ts: list[Any] = []
        if self.kind == "keyed_reduce":
            table = self._reduce_state._table
            reduce = self._call
            for key, value in zip(keys, batch, strict=True):
                current = table.get(key)
                value = value if current is None else reduce(current, value)
                table[key] = value
                out.append(value)
            self.emit(out, ts)
            return
        if self.kind in ("keyed_process", "process"):
            call = self._call
            ctx = self.process_context
            for index, (key, value) in enumerate(zip(keys, batch, strict=True)):
                key_context.current_key = key
                stamp = None if ts is None else ts[index]
                ctx._timestamp = stamp
                result = call(value, ctx)
                if result is not None:
                    self._collect(result, stamp, out, out_ts)
            self.emit(out, None if ts is None else out_ts)
            return
        for index, (key, value) in enumerate(zip(keys, batch, strict=True)):
            key_context.current_key = key
            self.process_batch([value], None if ts is None else [ts[index]])

    def process_batch2(self, batch: Batch, ts: Stamps = None) -> None:
        """Records of a second input (two-input operators override this)."""
        raise RuntimeError(f"operator {self.uid!r} has no second input")

    def process_keyed2(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None:
        """Keyed records of a second input (two-input operators override this)."""
        raise RuntimeError(f"operator {self.uid!r} has no second input")

    # -- time --------------------------------------------------------------------------------------------

    def process_watermark(self, channel: int, watermark: int) -> None:
        """A watermark from one input channel; event time advances to the minimum over the channels."""
        advanced = self.valve.on_watermark(channel, watermark)
        if advanced is not None:
            self.advance_watermark(advanced)

    def process_idle(self, channel: int, idle: bool) -> None:
        """An input channel became idle or active again."""
        advanced, changed = self.valve.on_idle(channel, idle)
        if advanced is not None:
            self.advance_watermark(advanced)
        if changed is not None:
            self.output.emit_idle(changed)
            for side in self.side_outputs.values():
                side.emit_idle(changed)

    def advance_watermark(self, watermark: int) -> None:
        """Fire due event-time timers, then forward the watermark (Flink's order)."""
        self.current_watermark = watermark
        self.on_event_time(watermark)
        self.output.emit_watermark(watermark)
        for side in self.side_outputs.values():
            side.emit_watermark(watermark)

    def on_event_time(self, watermark: int) -> None:
        """Call ``on_timer`` for every event-time timer ≤ ``watermark``, in timestamp order."""
        backend = self.keyed_backend
        if backend is None or not backend.event_timers:
            return
        self._fire(backend.event_timers.pop_next_due, watermark, TimeDomain.EVENT_TIME)

    def fire_timers(self, now_ms: int) -> None:
        """Call ``on_timer`` for every due processing-time timer."""
        backend = self.keyed_backend
        if backend is None or not backend.processing_timers:
            return
        self._fire(backend.processing_timers.pop_next_due, now_ms, TimeDomain.PROCESSING_TIME)

    def _fire(self, pop: Callable[[int], Any], time: int, domain: TimeDomain) -> None:
        assert self.keyed_backend is not None
        key_context = self.keyed_backend.key_context
        on_timer = self.function.on_timer
        ctx = self.process_context
        out: list[Any] = []
        out_ts: list[Any] = []
        event_time = domain is TimeDomain.EVENT_TIME
        while (timer := pop(time)) is not None:
            timestamp, key, _ = timer
            key_context.current_key = key
            ctx._timestamp = timestamp if event_time else None
            ctx._time_domain = domain
            result = on_timer(timestamp, ctx)
            if result is not None:
                self._collect(result, ctx._timestamp, out, out_ts)
        ctx._time_domain = None
        self.emit(out, out_ts)

    # -- checkpoints and lifecycle ----------------------------------------------------------------------

    def snapshot(self, checkpoint_id: int, timestamp_ms: int, savepoint: bool = False) -> dict[str, Any]:
        """Synchronous snapshot: user ``snapshot_state`` then copies of operator and keyed state.

        For a savepoint the keyed backend returns its canonical copy (``copy_for_savepoint``).
        """
        if isinstance(self.function, CheckpointedFunction):
            self.function.snapshot_state(FunctionSnapshotContext(checkpoint_id, timestamp_ms))
        copied: dict[str, Any] = {"operator": self.operator_state.copy_for_snapshot()}
        if self.keyed_backend is not None:
            backend = self.keyed_backend
            copied["keyed"] = backend.copy_for_savepoint() if savepoint else backend.copy_for_snapshot()
        return copied

    def notify_complete(self, checkpoint_id: int) -> None:
        """Forward a completion notice to the user function."""
        if isinstance(self.function, CheckpointListener):
            self.function.notify_checkpoint_complete(checkpoint_id)

    def notify_aborted(self, checkpoint_id: int) -> None:
        """Forward an abort notice to the user function."""
        if isinstance(self.function, CheckpointListener):
            self.function.notify_checkpoint_aborted(checkpoint_id)

    def finish(self) -> None:
        """End of input."""
        if isinstance(self.function, SinkFunction):
            self.function.finish()

    def close(self) -> None:
        """``close`` of the user function."""
        if self._has_lifecycle():
            self.function.close()

    def _has_lifecycle(self) -> bool:
        """Rich functions, and the ReduceFunction of a keyed reduce (PyFlink opens it too)."""
        return isinstance(self.function, RichFunction) or (
            self.kind == "keyed_reduce" and isinstance(self.function, Function)
        )


class _WatermarkGenerating:
    """Shared by sources and ``assign_timestamps_and_watermarks``: a generator whose last watermark is
    union list state ``[[subtask, watermark, parallelism]]``, so it survives restarts and rescaling."""

    emitter: WatermarkEmitter | None
    runtime_context: RuntimeContext
    output: Output

    def _restored_watermark(self, operator_state: dict[str, tuple[str, list[Any]]] | None) -> int:
        entries = (operator_state or {}).get(WATERMARK_STATE, ("union", []))[1]
        if not entries:
            return MIN_WATERMARK
        index = self.runtime_context.get_index_of_this_subtask()
        parallelism = self.runtime_context.get_number_of_parallel_subtasks()
        own = [wm for subtask, wm, p in entries if p == parallelism and subtask == index]
        return own[0] if own else min(wm for _, wm, _ in entries)

    def _watermark_state(self) -> list[Any]:
        emitter = self.emitter
        current = MIN_WATERMARK if emitter is None else emitter.current
        context = self.runtime_context
        return [
            "union",
            [[context.get_index_of_this_subtask(), current, context.get_number_of_parallel_subtasks()]],
        ]

    def _emit_idle(self, idle: bool) -> None:
        self.output.emit_idle(idle)

    def periodic_tick(self) -> None:
        """Periodic watermark emission and idleness detection when no records arrive."""
        if self.emitter is not None:
            self.emitter.periodic(self.output.emit_watermark, self._emit_idle)


class SourceInstance(_WatermarkGenerating, OperatorInstance):
    """One subtask of a source: a reader whose split positions (and watermark) are operator state."""

    SPLITS_STATE = "source-splits"

    def __init__(
        self,
        *args: Any,
        make_reader: Callable[[list[Any]], SourceReader],
        initial: list[Any],
        emitter: WatermarkEmitter | None = None,
    ) -> None:
        super().__init__(*args)
        self._make_reader = make_reader
        self._initial_splits = initial
        self.reader: SourceReader | None = None
        self.emitter = emitter
        self._announce: int | None = None
        self.ended = False

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        splits = self._initial_splits
        if restored and operator_state is not None and self.SPLITS_STATE in operator_state:
            splits = operator_state[self.SPLITS_STATE][1]
        self.reader = self._make_reader(splits)
        self.operator_state = OperatorStateStore()
        watermark = self._restored_watermark(operator_state) if restored else MIN_WATERMARK
        if self.emitter is not None and watermark > MIN_WATERMARK:
            self.emitter.restore(watermark)
            self._announce = watermark  # sent before the first record, once downstream is open

    def poll(self, max_records: int) -> int:
        """Read one batch and push it downstream (stamped, with watermarks); returns the batch size."""
        assert self.reader is not None
        if self._announce is not None:
            self.output.emit_watermark(self._announce)
            self._announce = None
        batch = self.reader.poll(max_records)
        if self.emitter is not None:
            self.emitter.process(batch, None, self._emit, self.output.emit_watermark, self._emit_idle)
        elif batch:
            self._emit(batch, None)
        return len(batch)

    def end_input(self) -> None:
        """Bounded input ended (or a drain): emit the final watermark, which fires all event-time timers."""
        if not self.ended:
            self.ended = True
            self.output.emit_watermark(MAX_WATERMARK)

    def snapshot(self, checkpoint_id: int, timestamp_ms: int, savepoint: bool = False) -> dict[str, Any]:
        assert self.reader is not None
        return {
            "operator": {
                self.SPLITS_STATE: ["split", self.reader.snapshot()],
                WATERMARK_STATE: self._watermark_state(),
            }
        }


class TimestampsInstance(_WatermarkGenerating, OperatorInstance):
    """``assign_timestamps_and_watermarks``: stamps records and generates watermarks; upstream watermarks
    are ignored except the final one (as Flink's TimestampsAndWatermarksOperator)."""

    def __init__(self, *args: Any, emitter: WatermarkEmitter) -> None:
        super().__init__(*args)
        self.emitter = emitter

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        super().initialize(restored, operator_state)
        if restored:
            assert self.emitter is not None
            self.emitter.restore(self._restored_watermark(operator_state))

    def process_batch(self, batch: Batch, ts: Stamps = None) -> None:
        assert self.emitter is not None
        self.emitter.process(batch, ts, self._emit, self._forward_watermark, self._emit_idle)

    def _forward_watermark(self, watermark: int) -> None:
        self.current_watermark = watermark
        self.output.emit_watermark(watermark)

    def process_watermark(self, channel: int, watermark: int) -> None:
        advanced = self.valve.on_watermark(channel, watermark)
        if advanced == MAX_WATERMARK:
            self._forward_watermark(MAX_WATERMARK)

    def process_idle(self, channel: int, idle: bool) -> None:
        self.valve.on_idle(channel, idle)

    def snapshot(self, checkpoint_id: int, timestamp_ms: int, savepoint: bool = False) -> dict[str, Any]:
        copied = super().snapshot(checkpoint_id, timestamp_ms, savepoint)
        copied["operator"][WATERMARK_STATE] = self._watermark_state()
        return copied
