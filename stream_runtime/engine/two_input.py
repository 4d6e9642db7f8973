"""Two-input operators: connected streams (CoMap, CoFlatMap, (Keyed)CoProcess) and broadcast connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from stream_runtime.engine.channels import Batch, Stamps
from stream_runtime.engine.operators import OperatorInstance
from stream_runtime.functions import ProcessContext

BROADCAST_STATE = "broadcast-state"

_CALLS = {
    "co_map": ("map1", "map2", False),
    "co_flat_map": ("flat_map1", "flat_map2", False),
    "co_process": ("process_element1", "process_element2", True),
    "broadcast_process": ("process_element", "process_broadcast_element", True),
}


class ReadOnlyBroadcastState:
    """Broadcast state as the non-broadcast side sees it (PyFlink's ``ReadOnlyBroadcastState``)."""

    def __init__(self, entries: dict[Any, Any]) -> None:
        self._entries = entries

    def get(self, key: Any) -> Any:
        """Value under ``key`` or ``None``."""
        return self._entries.get(key)

    def contains(self, key: Any) -> bool:
        """Whether ``key`` is present."""
        return key in self._entries

    def items(self) -> Iterator[tuple[Any, Any]]:
        """Entries."""
        return iter(list(self._entries.items()))

    def keys(self) -> Iterator[Any]:
        """Keys."""
        return iter(list(self._entries))

    def values(self) -> Iterator[Any]:
        """Values."""
        return iter(list(self._entries.values()))

    def is_empty(self) -> bool:
        """Whether there are no entries."""
        return not self._entries


class BroadcastState(ReadOnlyBroadcastState):
    """Writable broadcast state (the broadcast side); every subtask holds the same copy."""

    def put(self, key: Any, value: Any) -> None:
        """Set ``key``."""
        self._entries[key] = value

    def put_all(self, entries: dict[Any, Any]) -> None:
        """Set several entries."""
        self._entries.update(entries)

    def remove(self, key: Any) -> None:
        """Delete ``key``."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Delete every entry."""
        self._entries.clear()


class BroadcastContext(ProcessContext):
    """Context of broadcast process functions: ``get_broadcast_state`` (read-only on the element side)
    and, on the broadcast side of a keyed connection, ``apply_to_keyed_state``."""

    def __init__(self, operator: TwoInputOperator, writable: bool) -> None:
        base = operator.process_context
        super().__init__(base._timer_service, base._backend, operator.side_output)
        self._operator = operator
        self._writable = writable

    def get_broadcast_state(self, state_descriptor: Any) -> ReadOnlyBroadcastState:
        """The broadcast state named by ``state_descriptor`` (a MapStateDescriptor)."""
        entries = self._operator.broadcast_states.setdefault(state_descriptor.name, {})
        return BroadcastState(entries) if self._writable else ReadOnlyBroadcastState(entries)

    def apply_to_keyed_state(self, state_descriptor: Any, function: Callable[[Any, Any], None]) -> None:
        """Call ``function(key, state)`` for every key that has ``state_descriptor``'s state."""
        backend = self._backend
        if backend is None or not self._writable:
            raise RuntimeError(
                "apply_to_keyed_state is only available on the broadcast side of a keyed stream"
            )
        state = backend.get_state(state_descriptor)
        table = backend.tables.get(state_descriptor.name, {})
        if not isinstance(table, dict):
            raise RuntimeError("apply_to_keyed_state needs the hashmap state backend on the embedded runtime")
        for key in list(table):
            backend.key_context.current_key = key
            function(key, state)


class TwoInputOperator(OperatorInstance):
    """One subtask of a two-input operator; broadcast state is union operator state written by subtask 0."""

    side_output_capable = True

    def initialize(self, restored: bool, operator_state: dict[str, tuple[str, list[Any]]] | None) -> None:
        entries = (operator_state or {}).pop(BROADCAST_STATE, ("union", []))[1]
        self.broadcast_states: dict[str, dict[Any, Any]] = {name: dict(items) for name, items in entries}
        super().initialize(restored, operator_state)
        kind = self.kind.removeprefix("keyed_")
        first, second, with_ctx = _CALLS[kind]
        self._calls = (getattr(self.function, first), getattr(self.function, second))
        self._with_ctx = with_ctx
        if kind == "broadcast_process":
            self._contexts: tuple[ProcessContext, ProcessContext] = (
                BroadcastContext(self, writable=False),
                BroadcastContext(self, writable=True),
            )
            self.process_context = self._contexts[0]  # on_timer reads broadcast state too
        else:
            self._contexts = (self.process_context, self.process_context)

    def _run(self, side: int, keys: list[Any] | None, batch: Batch, ts: Stamps) -> None:
        call = self._calls[side]
        ctx = self._contexts[side]
        key_context = None if self.keyed_backend is None else self.keyed_backend.key_context
        out: list[Any] = []
        out_ts: list[Any] = []
        single = self.kind == "co_map"
        for index, value in enumerate(batch):
            stamp = None if ts is None else ts[index]
            if keys is not None and key_context is not None:
                key_context.current_key = keys[index]
            if self._with_ctx:
                ctx._timestamp = stamp
                result = call(value, ctx)
            else:
                result = call(value)
            if single:
                out.append(result)
                out_ts.append(stamp)
            elif result is not None:
                self._collect(result, stamp, out, out_ts)
        self.emit(out, None if ts is None else out_ts)

    def process_batch(self, batch: Batch, ts: Stamps = None) -> None:
        self._run(0, None, batch, ts)

    def process_keyed(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None:
        self._run(0, keys, batch, ts)

    def process_batch2(self, batch: Batch, ts: Stamps = None) -> None:
        self._run(1, None, batch, ts)

    def process_keyed2(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None:
        self._run(1, keys, batch, ts)

    def snapshot(self, checkpoint_id: int, timestamp_ms: int, savepoint: bool = False) -> dict[str, Any]:
        copied = super().snapshot(checkpoint_id, timestamp_ms, savepoint)
        if self.runtime_context.get_index_of_this_subtask() == 0 and self.broadcast_states:
            copied["operator"][BROADCAST_STATE] = [
                "union",
                [[name, list(entries.items())] for name, entries in self.broadcast_states.items()],
            ]
        return copied
