"""``pyflink.datastream`` on the embedded runtime."""

from stream_runtime.config import CheckpointConfig, CheckpointingMode, ExternalizedCheckpointCleanup
from stream_runtime.datastream import CachedDataStream, DataStream, DataStreamSink, KeyedStream
from stream_runtime.functions import OutputTag, TimeDomain, TimerService
from stream_runtime.pyflink.datastream.functions import *  # noqa: F403 - PyFlink re-exports its functions here
from stream_runtime.pyflink.datastream.functions import __all__ as _functions
from stream_runtime.pyflink.datastream.stream_execution_environment import (
    RuntimeExecutionMode,
    StreamExecutionEnvironment,
)
from stream_runtime.pyflink.datastream.window import *  # noqa: F403 - and its window classes
from stream_runtime.pyflink.datastream.window import __all__ as _windows
from stream_runtime.state.backends import HashMapStateBackend
from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend
from stream_runtime.streams import (
    AllWindowedStream,
    BroadcastConnectedStream,
    BroadcastStream,
    ConnectedStreams,
    WindowedStream,
)

ExternalizedCheckpointRetention = ExternalizedCheckpointCleanup

__all__ = [
    "AllWindowedStream",
    "BroadcastConnectedStream",
    "BroadcastStream",
    "CachedDataStream",
    "CheckpointConfig",
    "CheckpointingMode",
    "ConnectedStreams",
    "DataStream",
    "DataStreamSink",
    "EmbeddedRocksDBStateBackend",
    "ExternalizedCheckpointCleanup",
    "ExternalizedCheckpointRetention",
    "HashMapStateBackend",
    "KeyedStream",
    "OutputTag",
    "RuntimeExecutionMode",
    "StreamExecutionEnvironment",
    "TimeDomain",
    "TimerService",
    "WindowedStream",
    *_functions,
    *_windows,
]
