"""Edges between subtasks: partitioning of record batches, and watermarks/idleness broadcast per channel."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from stream_runtime.eventtime import WatermarkValve
from stream_runtime.state.keygroups import KeyGroupAssigner

Batch = list[Any]
Stamps = list[Any] | None

_channel_ids = itertools.count()


class Receiver(Protocol):
    """What an edge delivers to: a subtask's inputs and its watermark valve."""

    valve: WatermarkValve

    def process_batch(self, batch: Batch, ts: Stamps = None) -> None: ...
    def process_batch2(self, batch: Batch, ts: Stamps = None) -> None: ...
    def process_keyed(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None: ...
    def process_keyed2(self, keys: list[Any], batch: Batch, ts: Stamps = None) -> None: ...
    def process_watermark(self, channel: int, watermark: int) -> None: ...
    def process_idle(self, channel: int, idle: bool) -> None: ...


class CustomPartitioning:
    """``partition_custom``: ``partitioner.partition(key, num_partitions)`` picks the subtask."""

    def __init__(self, partitioner: Any, key_selector: Callable[[Any], Any]) -> None:
        self.partition = getattr(partitioner, "partition", partitioner)
        self.key_selector = getattr(key_selector, "get_key", key_selector)


class Edge:
    """Connection from one upstream subtask to the subtasks of a downstream operator (one input of it)."""

    def __init__(
        self,
        targets: Sequence[Receiver],
        upstream_index: int,
        key_selector: Callable[[Any], Any] | None,
        assigner: KeyGroupAssigner | None,
        forward: bool,
        partitioner: str | CustomPartitioning | None = None,
        second: bool = False,
    ) -> None:
        self.targets = targets
        self.key_selector = key_selector
        self.assigner = assigner
        self.forward = forward or partitioner == "forward"
        self.partitioner = partitioner
        self.upstream_index = upstream_index
        self.second = second
        self._round_robin = upstream_index
        self._random = random.Random(upstream_index)
        self.channel = next(_channel_ids)
        self.delivered = [0] * len(targets)  # records delivered to each target subtask (its numRecordsIn)
        for target in self.receivers():
            target.valve.add_channel(self.channel)

    def receivers(self) -> list[Receiver]:
        """Subtasks that can receive from this edge (they track its watermark)."""
        targets = self.targets
        if len(targets) == 1:
            return [targets[0]]
        if self.forward and self.key_selector is None:
            return [targets[self.upstream_index]]
        return list(targets)

    def _deliver(self, target: Receiver, batch: Batch, ts: Stamps) -> None:
        if self.second:
            target.process_batch2(batch, ts)
        else:
            target.process_batch(batch, ts)

    def emit(self, batch: Batch, ts: Stamps = None) -> None:
        """Deliver a batch: forward, rebalance, broadcast, custom, or hash-partition by key group."""
        targets = self.targets
        if self.key_selector is not None:
            self._emit_keyed(batch, ts)
        elif len(targets) == 1:
            self.delivered[0] += len(batch)
            self._deliver(targets[0], batch, ts)
        elif self.forward:
            self.delivered[self.upstream_index] += len(batch)
            self._deliver(targets[self.upstream_index], batch, ts)
        elif self.partitioner is None:
            self._round_robin = choice = (self._round_robin + 1) % len(targets)
            self.delivered[choice] += len(batch)
            self._deliver(targets[choice], batch, ts)
        elif self.partitioner == "broadcast":
            for index, target in enumerate(targets):
                self.delivered[index] += len(batch)
                self._deliver(target, batch, ts)
        else:
            self._emit_per_record(batch, ts)

    def _emit_per_record(self, batch: Batch, ts: Stamps) -> None:
        targets = self.targets
        count = len(targets)
        partitioner = self.partitioner
        if isinstance(partitioner, CustomPartitioning):
            select = partitioner.partition
            key_of = partitioner.key_selector
            choices = [int(select(key_of(value), count)) for value in batch]
        elif partitioner == "shuffle":
            choices = [self._random.randrange(count) for _ in batch]
        else:  # rebalance / rescale: round robin per record
            start = self._round_robin
            choices = [(start + i + 1) % count for i in range(len(batch))]
            self._round_robin = (start + len(batch)) % count
        parts: list[tuple[list[Any], list[Any]]] = [([], []) for _ in targets]
        for index, (choice, value) in enumerate(zip(choices, batch, strict=True)):
            parts[choice][0].append(value)
            parts[choice][1].append(None if ts is None else ts[index])
        delivered = self.delivered
        for index, (target, (values, stamps)) in enumerate(zip(targets, parts, strict=True)):
            if values:
                delivered[index] += len(values)
                self._deliver(target, values, None if ts is None else stamps)

    def _emit_keyed(self, batch: Batch, ts: Stamps) -> None:
        selector = self.key_selector
        assert selector is not None
        keys = list(map(selector, batch))
        targets = self.targets
        keyed = "process_keyed2" if self.second else "process_keyed"
        if len(targets) == 1:
            self.delivered[0] += len(batch)
            getattr(targets[0], keyed)(keys, batch, ts)
            return
        assert self.assigner is not None
        key_group, owner = self.assigner.key_group, self.assigner.subtask
        parts: list[tuple[list[Any], list[Any], list[Any]]] = [([], [], []) for _ in targets]
        for index, (key, value) in enumerate(zip(keys, batch, strict=True)):
            part = parts[owner(key_group(key))]
            part[0].append(key)
            part[1].append(value)
            if ts is not None:
                part[2].append(ts[index])
        delivered = self.delivered
        for index, (target, (part_keys, part_values, part_ts)) in enumerate(zip(targets, parts, strict=True)):
            if part_keys:
                delivered[index] += len(part_keys)
                getattr(target, keyed)(part_keys, part_values, None if ts is None else part_ts)

    def emit_watermark(self, watermark: int) -> None:
        """Send a watermark on this channel to every subtask that can receive from it."""
        for target in self.receivers():
            target.process_watermark(self.channel, watermark)

    def emit_idle(self, idle: bool) -> None:
        """Mark this channel idle (or active again) at every receiving subtask."""
        for target in self.receivers():
            target.process_idle(self.channel, idle)


class Output:
    """Fan-out of one subtask (main output or one side output) to every downstream edge."""

    def __init__(self) -> None:
        self.edges: list[Edge] = []
        self.records = 0  # records sent (Flink's numRecordsOut of the subtask, for the main output)

    def emit(self, batch: Batch, ts: Stamps = None) -> None:
        """Send a batch along every edge."""
        self.records += len(batch)
        for edge in self.edges:
            edge.emit(batch, ts)

    def emit_watermark(self, watermark: int) -> None:
        """Send a watermark along every edge."""
        for edge in self.edges:
            edge.emit_watermark(watermark)

    def emit_idle(self, idle: bool) -> None:
        """Send an idleness change along every edge."""
        for edge in self.edges:
            edge.emit_idle(idle)
