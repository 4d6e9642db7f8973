"""Physical operators: one instance per subtask, pushing batches synchronously to downstream subtasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stream_runtime.functions import (
    CheckpointedFunction,
    CheckpointListener,
    FunctionInitializationContext,
    FunctionSnapshotContext,
    ProcessContext,
    RichFunction,
    RuntimeContext,
    SinkFunction,
    TimerService,
)
from stream_runtime.sources import SourceReader
from stream_runtime.state.api import ValueStateDescriptor
from stream_runtime.state.backend import HeapKeyedStateBackend, OperatorStateStore
from stream_runtime.state.keygroups import KeyGroupAssigner

Batch = list[Any]


class Edge:
    """Connection from one upstream subtask to all subtasks of a downstream operator."""

    def __init__(
        self,
        targets: list[OperatorInstance],
        upstream_index: int,
        key_selector: Callable[[Any], Any] | None,
        assigner: KeyGroupAssigner | None,
        forward: bool,
    ) -> None:
        self.targets = targets
        self.key_selector = key_selector
        self.assigner = assigner
        self.forward = forward
        self.upstream_index = upstream_index
        self._round_robin = upstream_index

    def emit(self, batch: Batch) -> None:
        """Deliver a batch: forward, rebalance, or hash-partition by key group."""
        targets = self.targets
        selector = self.key_selector
        if selector is None:
            if len(targets) == 1:
                targets[0].process_batch(batch)
            elif self.forward:
                targets[self.upstream_index].process_batch(batch)
            else:
                self._round_robin = (self._round_robin + 1) % len(targets)
                targets[self._round_robin].process_batch(batch)
            return
        keys = list(map(selector, batch))
        if len(targets) == 1:
            targets[0].process_keyed(keys, batch)
            return
        assert self.assigner is not None
        key_group, owner = self.assigner.key_group, self.assigner.subtask
        parts: list[tuple[list[Any], list[Any]]] = [([], []) for _ in targets]
        for key, value in zip(keys, batch, strict=True):
            part = parts[owner(key_group(key))]
            part[0].append(key)
            part[1].append(value)
        for target, (part_keys, part_values) in zip(targets, parts, strict=True):
            if part_keys:
                target.process_keyed(part_keys, part_values)


class Output:
    """Fan-out of one subtask to every downstream edge."""

    def __init__(self) -> None:
        self.edges: list[Edge] = []

    def emit(self, batch: Batch) -> None:
        """Send a batch along every edge."""
        for edge in self.edges:
            edge.emit(batch)


def _method(function: Any, name: str) -> Callable[..., Any]:
    return getattr(function, name) if hasattr(function, name) else function


class OperatorInstance:
    """One subtask of an operator: user function lifecycle, operator state and (if keyed) keyed state."""

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
        self.operator_state = OperatorStateStore()
        self.clock_ms = clock_ms
        self.process_context = ProcessContext(TimerService(keyed_backend, clock_ms), keyed_backend)
        self._emit = self.output.emit
        self._call: Callable[..., Any] = {
            "map": lambda f: _method(f, "map"),
            "flat_map": lambda f: _method(f, "flat_map"),
            "filter": lambda f: _method(f, "filter"),
            "process": lambda f: _method(f, "process_element"),
            "keyed_process": lambda f: _method(f, "process_element"),
            "keyed_reduce": lambda f: f,
            "sink": lambda f: f.invoke_batch,
        }.get(kind, lambda f: f)(function)
        self._reduce_state: Any = None

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        """``initialize_state`` then ``open``, as Flink orders them."""
        self.operator_state = OperatorStateStore(operator_state)
        if isinstance(self.function, CheckpointedFunction):
            context = FunctionInitializationContext(restored, self.operator_state, self.runtime_context)
            self.function.initialize_state(context)
        if isinstance(self.function, RichFunction):
            self.function.open(self.runtime_context)
        if self.kind == "keyed_reduce":
            assert self.keyed_backend is not None
            self._reduce_state = self.keyed_backend.get_state(ValueStateDescriptor("reduce-state"))

    def process_batch(self, batch: Batch) -> None:
        """Process records of a non-keyed input."""
        kind = self.kind
        call = self._call
        if kind == "map":
            self._emit([call(v) for v in batch])
        elif kind == "filter":
            kept = [v for v in batch if call(v)]
            if kept:
                self._emit(kept)
        elif kind == "sink":
            call(batch)
        elif kind in ("flat_map", "process"):
            out: list[Any] = []
            extend = out.extend
            ctx = self.process_context
            for value in batch:
                result = call(value) if kind == "flat_map" else call(value, ctx)
                if result is not None:
                    extend(result)
            if out:
                self._emit(out)
        else:
            self._emit(batch)

    def process_keyed(self, keys: list[Any], batch: Batch) -> None:
        """Process records of a keyed input (``keys[i]`` is the key of ``batch[i]``)."""
        if self.keyed_backend is None:
            self.process_batch(batch)
            return
        key_context = self.keyed_backend.key_context
        out: list[Any] = []
        if self.kind == "keyed_reduce":
            table = self._reduce_state._table
            reduce = self._call
            for key, value in zip(keys, batch, strict=True):
                current = table.get(key)
                value = value if current is None else reduce(current, value)
                table[key] = value
                out.append(value)
        elif self.kind in ("keyed_process", "process"):
            call = self._call
            ctx = self.process_context
            extend = out.extend
            for key, value in zip(keys, batch, strict=True):
                key_context.current_key = key
                result = call(value, ctx)
                if result is not None:
                    extend(result)
        else:
            for key, value in zip(keys, batch, strict=True):
                key_context.current_key = key
                self.process_batch([value])
        if out:
            self._emit(out)

    def fire_timers(self, now_ms: int) -> None:
        """Call ``on_timer`` for every due processing-time timer."""
        backend = self.keyed_backend
        if backend is None or not backend._timer_heap:
            return
        due = backend.pop_due_timers(now_ms)
        if not due:
            return
        out: list[Any] = []
        on_timer = self.function.on_timer
        for timestamp, key in due:
            backend.key_context.current_key = key
            result = on_timer(timestamp, self.process_context)
            if result is not None:
                out.extend(result)
        if out:
            self._emit(out)

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
        if isinstance(self.function, RichFunction):
            self.function.close()


class SourceInstance(OperatorInstance):
    """One subtask of a source: a reader whose split positions are stored as even-split operator state."""

    SPLITS_STATE = "source-splits"

    def __init__(
        self, *args: Any, make_reader: Callable[[list[Any]], SourceReader], initial: list[Any]
    ) -> None:
        super().__init__(*args)
        self._make_reader = make_reader
        self._initial_splits = initial
        self.reader: SourceReader | None = None

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        splits = self._initial_splits
        if restored and operator_state is not None and self.SPLITS_STATE in operator_state:
            splits = operator_state[self.SPLITS_STATE][1]
        self.reader = self._make_reader(splits)
        self.operator_state = OperatorStateStore()

    def poll(self, max_records: int) -> int:
        """Read one batch and push it downstream; returns the batch size."""
        assert self.reader is not None
        batch = self.reader.poll(max_records)
        if batch:
            self._emit(batch)
        return len(batch)

    def snapshot(self, checkpoint_id: int, timestamp_ms: int, savepoint: bool = False) -> dict[str, Any]:
        assert self.reader is not None
        return {"operator": {self.SPLITS_STATE: ["split", self.reader.snapshot()]}}
