"""``pyflink.datastream.functions``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from stream_runtime.cofunctions import (
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
)
from stream_runtime.eventtime import TimestampAssigner
from stream_runtime.functions import (
    AggregateFunction,
    CheckpointedFunction,
    CheckpointListener,
    FilterFunction,
    FlatMapFunction,
    Function,
    KeyedProcessFunction,
    MapFunction,
    ProcessFunction,
    ReduceFunction,
    RichFunction,
    RuntimeContext,
    SinkFunction,
    TimerService,
)
from stream_runtime.windowing.functions import (
    AllWindowFunction,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    WindowFunction,
)


class KeySelector(Function, ABC):
    """Extracts the key of a record (``key_by(MyKeySelector())``)."""

    @abstractmethod
    def get_key(self, value: Any) -> Any:
        """The key of ``value``."""


class Partitioner(Function, ABC):
    """Chooses the subtask of a record for ``partition_custom``."""

    @abstractmethod
    def partition(self, key: Any, num_partitions: int) -> int:
        """Index in ``[0, num_partitions)``."""


class NullByteKeySelector(KeySelector):
    """Every record has the key 0."""

    def get_key(self, value: Any) -> Any:
        return 0


BaseBroadcastProcessFunction = BroadcastProcessFunction  # the base of both broadcast process functions

__all__ = [
    "AggregateFunction",
    "AllWindowFunction",
    "BaseBroadcastProcessFunction",
    "BroadcastProcessFunction",
    "CheckpointListener",
    "CheckpointedFunction",
    "CoFlatMapFunction",
    "CoMapFunction",
    "CoProcessFunction",
    "FilterFunction",
    "FlatMapFunction",
    "Function",
    "KeySelector",
    "KeyedBroadcastProcessFunction",
    "KeyedCoProcessFunction",
    "KeyedProcessFunction",
    "MapFunction",
    "NullByteKeySelector",
    "Partitioner",
    "ProcessAllWindowFunction",
    "ProcessFunction",
    "ProcessWindowFunction",
    "ReduceFunction",
    "RichFunction",
    "RuntimeContext",
    "SinkFunction",
    "TimerService",
    "TimestampAssigner",
    "WindowFunction",
]
