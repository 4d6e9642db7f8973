"""Embedded stream runtime with Flink's fault-tolerance contract; names follow Flink/PyFlink.

The names below are loaded when first used (PEP 562): the control plane imports ``stream_runtime``'s storage
and process modules without paying for the whole engine; a job's ``from stream_runtime import ...`` gets
the same objects as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stream_runtime.config import (
        CheckpointConfig,
        CheckpointingMode,
        ExternalizedCheckpointCleanup,
        RuntimeOverrides,
    )
    from stream_runtime.datastream import DataStream, KeyedStream
    from stream_runtime.environment import StreamExecutionEnvironment
    from stream_runtime.functions import (
        AggregateFunction,
        CheckpointedFunction,
        CheckpointListener,
        FilterFunction,
        FlatMapFunction,
        FunctionInitializationContext,
        FunctionSnapshotContext,
        KeyedProcessFunction,
        MapFunction,
        ProcessFunction,
        ReduceFunction,
        RichFunction,
        RuntimeContext,
        SinkFunction,
    )
    from stream_runtime.restart import RestartStrategies
    from stream_runtime.sinks import (
        DiscardingSink,
        ExactlyOnceFileSink,
        PrintSinkFunction,
        TwoPhaseCommitSinkFunction,
    )
    from stream_runtime.sources import CollectionSource, FileSource, NumberSequenceSource
    from stream_runtime.state.api import (
        AggregatingStateDescriptor,
        ListStateDescriptor,
        MapStateDescriptor,
        ReducingStateDescriptor,
        ValueStateDescriptor,
    )
    from stream_runtime.state.backends import HashMapStateBackend
    from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend

_EXPORTS = {
    "stream_runtime.config": (
        "CheckpointConfig",
        "CheckpointingMode",
        "ExternalizedCheckpointCleanup",
        "RuntimeOverrides",
    ),
    "stream_runtime.datastream": ("DataStream", "KeyedStream"),
    "stream_runtime.environment": ("StreamExecutionEnvironment",),
    "stream_runtime.functions": (
        "AggregateFunction",
        "CheckpointedFunction",
        "CheckpointListener",
        "FilterFunction",
        "FlatMapFunction",
        "FunctionInitializationContext",
        "FunctionSnapshotContext",
        "KeyedProcessFunction",
        "MapFunction",
        "ProcessFunction",
        "ReduceFunction",
        "RichFunction",
        "RuntimeContext",
        "SinkFunction",
    ),
    "stream_runtime.restart": ("RestartStrategies",),
    "stream_runtime.sinks": (
        "DiscardingSink",
        "ExactlyOnceFileSink",
        "PrintSinkFunction",
        "TwoPhaseCommitSinkFunction",
    ),
    "stream_runtime.sources": ("CollectionSource", "FileSource", "NumberSequenceSource"),
    "stream_runtime.state.api": (
        "AggregatingStateDescriptor",
        "ListStateDescriptor",
        "MapStateDescriptor",
        "ReducingStateDescriptor",
        "ValueStateDescriptor",
    ),
    "stream_runtime.state.backends": ("HashMapStateBackend",),
    "stream_runtime.state.rocksdb": ("EmbeddedRocksDBStateBackend",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'stream_runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


__all__ = [
    "AggregateFunction",
    "AggregatingStateDescriptor",
    "CheckpointConfig",
    "CheckpointListener",
    "CheckpointedFunction",
    "CheckpointingMode",
    "CollectionSource",
    "DataStream",
    "DiscardingSink",
    "EmbeddedRocksDBStateBackend",
    "ExactlyOnceFileSink",
    "ExternalizedCheckpointCleanup",
    "FileSource",
    "FilterFunction",
    "FlatMapFunction",
    "FunctionInitializationContext",
    "FunctionSnapshotContext",
    "HashMapStateBackend",
    "KeyedProcessFunction",
    "KeyedStream",
    "ListStateDescriptor",
    "MapFunction",
    "MapStateDescriptor",
    "NumberSequenceSource",
    "PrintSinkFunction",
    "ProcessFunction",
    "ReduceFunction",
    "ReducingStateDescriptor",
    "RestartStrategies",
    "RichFunction",
    "RuntimeContext",
    "RuntimeOverrides",
    "SinkFunction",
    "StreamExecutionEnvironment",
    "TwoPhaseCommitSinkFunction",
    "ValueStateDescriptor",
]
