"""``pyflink.common``: types, time, configuration, watermark strategies, serialization schemas."""

from stream_runtime.config import CheckpointingMode
from stream_runtime.environment import ExecutionConfig
from stream_runtime.eventtime import Watermark, WatermarkStrategy
from stream_runtime.pyflink.common.configuration import Configuration
from stream_runtime.pyflink.common.serialization import Encoder, SimpleStringSchema
from stream_runtime.restart import RestartStrategies
from stream_runtime.timeutil import Duration, Time
from stream_runtime.typeinfo import Row, TypeInformation, Types

__all__ = [
    "CheckpointingMode",
    "Configuration",
    "Duration",
    "Encoder",
    "ExecutionConfig",
    "RestartStrategies",
    "Row",
    "SimpleStringSchema",
    "Time",
    "TypeInformation",
    "Types",
    "Watermark",
    "WatermarkStrategy",
]
