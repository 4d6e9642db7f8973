"""Connectors to external systems: Kinesis Data Streams source and sink, (de)serialization schemas."""

from stream_runtime.connectors.kinesis import (
    FlinkKinesisConsumer,
    KinesisSink,
    KinesisSource,
    KinesisStreamsSink,
)
from stream_runtime.connectors.serialization import (
    DeserializationSchema,
    JsonDeserializationSchema,
    JsonSerializationSchema,
    RawBytesSchema,
    SerializationSchema,
    SimpleStringSchema,
)

__all__ = [
    "DeserializationSchema",
    "FlinkKinesisConsumer",
    "JsonDeserializationSchema",
    "JsonSerializationSchema",
    "KinesisSink",
    "KinesisSource",
    "KinesisStreamsSink",
    "RawBytesSchema",
    "SerializationSchema",
    "SimpleStringSchema",
]
