"""``pyflink.datastream.connectors.kinesis`` against the embedded (or any configured) Kinesis endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from stream_runtime.connectors.kinesis import KinesisSink, KinesisSource
from stream_runtime.connectors.serialization import SerializationSchema
from stream_runtime.unsupported import unsupported


class FlinkKinesisConsumer(KinesisSource):
    """``FlinkKinesisConsumer(stream, deserializer, config_props)`` with Flink's property keys
    (``aws.region``, ``aws.endpoint``, ``flink.stream.initpos``,
    ``flink.shard.getrecords.maxrecordcount``, …)."""

    def __init__(self, streams: str | list[str], deserializer: Any, config_props: dict[str, str]) -> None:
        names = [streams] if isinstance(streams, str) else list(streams)
        if len(names) != 1:
            raise unsupported(
                "FlinkKinesisConsumer over several streams", "Use one consumer per stream and union()."
            )
        super().__init__(names[0], deserializer, config_props)

    def set_periodic_watermark_assigner(self, assigner: Any) -> FlinkKinesisConsumer:
        """Use ``assign_timestamps_and_watermarks`` instead."""
        raise unsupported("FlinkKinesisConsumer.set_periodic_watermark_assigner")


class PartitionKeyGenerator:
    """Partition key of each record: ``fixed()`` (the subtask) or ``random()``."""

    def __init__(self, generate: Callable[[Any], str]) -> None:
        self.generate = generate

    @staticmethod
    def fixed() -> PartitionKeyGenerator:
        """The same key for every record of a sink (records stay in order in one shard)."""
        return PartitionKeyGenerator(lambda value: "0")

    @staticmethod
    def random() -> PartitionKeyGenerator:
        """A random key per record."""
        return PartitionKeyGenerator(lambda value: uuid.uuid4().hex)


class KinesisStreamsSinkBuilder:
    """Builds a :class:`KinesisStreamsSink`."""

    def __init__(self) -> None:
        self._stream: str | None = None
        self._schema: SerializationSchema | None = None
        self._keys = PartitionKeyGenerator.random()
        self._props: dict[str, str] = {}
        self._max_batch_size = 500

    def set_stream_name(self, stream_name: str) -> KinesisStreamsSinkBuilder:
        """Target stream."""
        self._stream = stream_name
        return self

    def set_serialization_schema(self, schema: SerializationSchema) -> KinesisStreamsSinkBuilder:
        """How records become bytes."""
        self._schema = schema
        return self

    def set_partition_key_generator(self, generator: PartitionKeyGenerator) -> KinesisStreamsSinkBuilder:
        """How partition keys are chosen."""
        self._keys = generator
        return self

    def set_kinesis_client_properties(self, properties: dict[str, str]) -> KinesisStreamsSinkBuilder:
        """``aws.region``, ``aws.endpoint``, …"""
        self._props = dict(properties)
        return self

    def set_fail_on_error(self, fail_on_error: bool) -> KinesisStreamsSinkBuilder:
        """Accepted: records are retried, then the job fails."""
        return self

    def set_max_batch_size(self, max_batch_size: int) -> KinesisStreamsSinkBuilder:
        """Records per PutRecords call (≤ 500)."""
        self._max_batch_size = max_batch_size
        return self

    def set_max_in_flight_requests(self, n: int) -> KinesisStreamsSinkBuilder:
        """Accepted (one request at a time)."""
        return self

    def set_max_buffered_requests(self, n: int) -> KinesisStreamsSinkBuilder:
        """Accepted."""
        return self

    def set_max_batch_size_in_bytes(self, n: int) -> KinesisStreamsSinkBuilder:
        """Accepted (batches stay within 5 MiB)."""
        return self

    def set_max_time_in_buffer_ms(self, n: int) -> KinesisStreamsSinkBuilder:
        """Accepted (buffers flush per batch and at checkpoints)."""
        return self

    def set_max_record_size_in_bytes(self, n: int) -> KinesisStreamsSinkBuilder:
        """Accepted (records are limited to 1 MiB)."""
        return self

    def build(self) -> KinesisSink:
        """The sink (at-least-once, flushed at every checkpoint)."""
        if not self._stream:
            raise ValueError("KinesisStreamsSink needs set_stream_name(...)")
        return KinesisSink(
            self._stream,
            self._schema,
            self._keys.generate,
            self._props,
            max_batch_records=self._max_batch_size,
        )


class KinesisStreamsSink:
    """PyFlink's ``KinesisStreamsSink.builder()``."""

    @staticmethod
    def builder() -> KinesisStreamsSinkBuilder:
        """A builder."""
        return KinesisStreamsSinkBuilder()


__all__ = ["FlinkKinesisConsumer", "KinesisStreamsSink", "PartitionKeyGenerator"]
