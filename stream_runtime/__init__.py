"""Embedded stream runtime with Flink's fault-tolerance contract; names follow Flink/PyFlink."""

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
