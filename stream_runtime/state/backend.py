"""Heap keyed-state backend (one dict per state, grouped by key group at snapshot) and operator state."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

from stream_runtime.state.api import (
    AggregatingState,
    AggregatingStateDescriptor,
    KeyContext,
    ListState,
    ListStateDescriptor,
    MapState,
    ReducingState,
    ReducingStateDescriptor,
    StateDescriptor,
    ValueState,
)
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
from stream_runtime.state.timers import EVENT_TIME, PROCESSING_TIME, TimerQueue
from stream_runtime.state.ttl import TtlTable

_COPY_ONE_LEVEL = {"list": list, "map": dict}


class HeapKeyedStateBackend:
    """Keyed state of one operator subtask: ``{state name: {key: value}}`` plus processing-time timers."""

    def __init__(self, assigner: KeyGroupAssigner, key_group_range: KeyGroupRange) -> None:
        self.assigner = assigner
        self.key_group_range = key_group_range
        self.key_context = KeyContext()
        self.tables: dict[str, dict[Any, Any]] = {}
        self.kinds: dict[str, str] = {}
        self._handles: dict[str, Any] = {}
        self.ttl_clock_ms: Callable[[], float] = lambda: time.time() * 1000
        self.processing_timers = TimerQueue(PROCESSING_TIME)
        self.event_timers = TimerQueue(EVENT_TIME)

    def dispose(self) -> None:
        """Release what the backend holds outside the process's memory (nothing, on the heap)."""

    def get_state(self, descriptor: StateDescriptor) -> Any:
        """The handle for ``descriptor`` (created on first use, re-bound to restored data)."""
        handle = self._handles.get(descriptor.name)
        if handle is not None:
            return handle
        table: Any = self.tables.setdefault(descriptor.name, {})
        self.kinds[descriptor.name] = descriptor.kind
        if getattr(descriptor, "ttl_config", None) is not None:
            table = TtlTable(table, descriptor.ttl_config, self.ttl_clock_ms)
        if isinstance(descriptor, ReducingStateDescriptor):
            handle = ReducingState(self.key_context, table, descriptor.reduce_function)
        elif isinstance(descriptor, AggregatingStateDescriptor):
            handle = AggregatingState(self.key_context, table, descriptor.agg_function)
        elif isinstance(descriptor, ListStateDescriptor):
            handle = ListState(self.key_context, table)
        elif descriptor.kind == "map":
            handle = MapState(self.key_context, table)
        else:
            handle = ValueState(self.key_context, table)
        self._handles[descriptor.name] = handle
        return handle

    def register_timer(self, timestamp: int) -> None:
        """Register a processing-time timer for the current key (idempotent)."""
        self.processing_timers.add(timestamp, self.key_context.current_key)

    def delete_timer(self, timestamp: int) -> None:
        """Delete the current key's processing-time timer at ``timestamp``."""
        self.processing_timers.remove(timestamp, self.key_context.current_key)

    def has_timers(self) -> bool:
        """Whether any timer (processing or event time) is registered."""
        return bool(self.processing_timers) or bool(self.event_timers)

    def copy_for_snapshot(self) -> dict[str, Any]:
        """Synchronous part of a snapshot: an immutable copy of every table and of the timers."""
        tables = {}
        for name, table in self.tables.items():
            one_level = _COPY_ONE_LEVEL.get(self.kinds.get(name, "value"))
            if one_level is None:
                tables[name] = table.copy()
            else:
                tables[name] = {key: one_level(value) for key, value in table.items()}
        return self._snapshot_copy(tables)

    def _snapshot_copy(self, tables: dict[str, Any]) -> dict[str, Any]:
        """A snapshot copy around ``tables``: state kinds, timers and this subtask's key-group range."""
        return {
            "tables": tables,
            "kinds": dict(self.kinds),
            "timers": self.processing_timers.entries() + self.event_timers.entries(),
            "key_group_range": [self.key_group_range.start, self.key_group_range.end],
        }

    def copy_for_savepoint(self) -> dict[str, Any]:
        """Synchronous part of a savepoint: the same copy; the writer re-encodes it canonically."""
        return self.copy_for_snapshot()

    def restore(self, parts: list[tuple[tuple[int, int], list[dict[str, Any]]]]) -> None:
        """Load this subtask's keys from snapshot parts ``(key-group range of the writer, chunks)``.

        A part written by a subtask whose key groups all belong to this one is taken whole; a canonical
        (savepoint) chunk is taken whole when its key group is ours; otherwise the key group of every key is
        computed and only this subtask's groups are kept (rescaling a native checkpoint).
        """
        key_range = self.key_group_range
        key_group = self.assigner.key_group
        for (start, end), chunks in parts:
            take_all = start in key_range and end in key_range
            for chunk in chunks:
                if "timers" in chunk:
                    self._restore_timers(chunk["timers"], take_all)
                    continue
                if "kg" in chunk:
                    if take_all or chunk["kg"] in key_range:
                        name = chunk["table"]
                        self.kinds[name] = chunk["kind"]
                        self.tables.setdefault(name, {}).update(zip(chunk["k"], chunk["v"], strict=True))
                    continue
                name = chunk["table"]
                self.kinds[name] = chunk["kind"]
                table = self.tables.setdefault(name, {})
                if take_all:
                    table.update(zip(chunk["k"], chunk["v"], strict=True))
                else:
                    for key, value in zip(chunk["k"], chunk["v"], strict=True):
                        if key_group(key) in key_range:
                            table[key] = value
        self.key_context.current_key = None

    def _restore_timers(self, timers: list[list[Any]], take_all: bool) -> None:
        """Register the timers of a snapshot chunk whose keys belong to this subtask (all if ``take_all``).

        Entries are ``[timestamp, key]`` (processing time, no namespace) or ``[timestamp, key, domain,
        namespace]``."""
        queues = {PROCESSING_TIME: self.processing_timers, EVENT_TIME: self.event_timers}
        for timestamp, key, *rest in timers:
            if take_all or self.assigner.key_group(key) in self.key_group_range:
                domain, namespace = rest if rest else (PROCESSING_TIME, None)
                queues[domain].add(timestamp, key, namespace)


ENCODE_CHUNK = 65_536


def encode_keyed_snapshot(copied: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Asynchronous part: columnar chunks of keys and values, small enough never to hold the GIL for long."""
    for name, table in copied["tables"].items():
        keys = list(table)
        values = list(table.values())
        for lo in range(0, len(keys), ENCODE_CHUNK):
            yield {
                "table": name,
                "kind": copied["kinds"][name],
                "k": keys[lo : lo + ENCODE_CHUNK],
                "v": values[lo : lo + ENCODE_CHUNK],
            }
    yield {"timers": [list(entry) for entry in copied["timers"]]}


def encode_canonical_snapshot(
    copied: dict[str, Any], key_group: Callable[[Any], int]
) -> Iterator[dict[str, Any]]:
    """Savepoint (canonical) format, independent of the backend that produced ``copied``.

    ``copied`` has the shape of :meth:`HeapKeyedStateBackend.copy_for_snapshot` (``tables``, ``kinds``,
    ``timers``, ``key_group_range``); any keyed backend's ``copy_for_savepoint`` returns that shape. Chunks
    are ``{"kg", "table", "kind", "k", "v"}`` in ascending key-group order, so a restoring subtask takes or
    skips whole chunks by key group without hashing a key, then one ``{"timers": [[timestamp, key], ...]}``.
    """
    for name, table in copied["tables"].items():
        kind = copied["kinds"][name]
        pairs = list(table.items())  # one pass: consistent pairs from any backend's table view
        buckets: dict[int, tuple[list[Any], list[Any]]] = {}
        groups = map(key_group, [pair[0] for pair in pairs])
        for group, (key, value) in zip(groups, pairs, strict=True):
            bucket = buckets.get(group)
            if bucket is None:
                bucket = buckets[group] = ([], [])
            bucket[0].append(key)
            bucket[1].append(value)
        for group in sorted(buckets):
            group_keys, group_values = buckets[group]
            for lo in range(0, len(group_keys), ENCODE_CHUNK):
                hi = lo + ENCODE_CHUNK
                yield {
                    "kg": group,
                    "table": name,
                    "kind": kind,
                    "k": group_keys[lo:hi],
                    "v": group_values[lo:hi],
                }
    yield {"timers": [list(entry) for entry in copied["timers"]]}


class OperatorStateStore:
    """Non-keyed operator state: even-split list states and union list states of one subtask."""

    def __init__(self, restored: dict[str, tuple[str, list[Any]]] | None = None) -> None:
        self._restored = restored or {}
        self._lists: dict[str, tuple[str, OperatorListState]] = {}

    def get_list_state(self, descriptor: ListStateDescriptor) -> OperatorListState:
        """Even-split redistributed list state."""
        return self._get(descriptor, "split")

    def get_union_list_state(self, descriptor: ListStateDescriptor) -> OperatorListState:
        """Union-redistributed list state (every subtask gets the whole list on restore)."""
        return self._get(descriptor, "union")

    def _get(self, descriptor: StateDescriptor, mode: str) -> OperatorListState:
        if descriptor.name in self._lists:
            return self._lists[descriptor.name][1]
        _, items = self._restored.get(descriptor.name, (mode, []))
        state = OperatorListState(items)
        self._lists[descriptor.name] = (mode, state)
        return state

    def copy_for_snapshot(self) -> dict[str, list[Any]]:
        """``{name: [mode, items]}`` deep-copied so later mutations do not leak into the checkpoint."""
        return {name: [mode, copy.deepcopy(state.items)] for name, (mode, state) in self._lists.items()}


class OperatorListState:
    """A list of values belonging to an operator subtask (not to a key)."""

    def __init__(self, items: list[Any] | None = None) -> None:
        self.items: list[Any] = list(items or [])

    def get(self) -> list[Any]:
        """Current elements."""
        return list(self.items)

    def add(self, value: Any) -> None:
        """Append one element."""
        self.items.append(value)

    def add_all(self, values: list[Any]) -> None:
        """Append several elements."""
        self.items.extend(values)

    def update(self, values: list[Any]) -> None:
        """Replace all elements."""
        self.items = list(values)

    def clear(self) -> None:
        """Remove all elements."""
        self.items = []


def redistribute_operator_state(
    per_subtask: list[dict[str, list[Any]]], parallelism: int
) -> list[dict[str, tuple[str, list[Any]]]]:
    """Flink's schemes for operator list state restored at ``parallelism`` subtasks.

    Union lists go whole to every subtask. Even-split lists stay with their subtask when the parallelism is
    unchanged; otherwise all subtasks' lists are concatenated in subtask order and cut into contiguous runs
    whose sizes differ by at most one, the first subtasks taking one more (as Flink's round-robin
    repartitioner).
    """
    merged: dict[str, tuple[str, list[Any]]] = {}
    for snapshot in per_subtask:
        for name, (mode, items) in snapshot.items():
            merged.setdefault(name, (mode, []))[1].extend(items)
    result: list[dict[str, tuple[str, list[Any]]]] = [{} for _ in range(parallelism)]
    unchanged = len(per_subtask) == parallelism
    for name, (mode, items) in merged.items():
        if mode == "union":
            for index in range(parallelism):
                result[index][name] = (mode, list(items))
        elif unchanged:
            for index, snapshot in enumerate(per_subtask):
                result[index][name] = (mode, list(snapshot[name][1]) if name in snapshot else [])
        else:
            base, extra = divmod(len(items), parallelism)
            lo = 0
            for index in range(parallelism):
                hi = lo + base + (1 if index < extra else 0)
                result[index][name] = (mode, items[lo:hi])
                lo = hi
    return result
