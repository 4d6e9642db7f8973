"""``pyflink.datastream.connectors``: file system, Kinesis and number-sequence connectors on the embedded
runtime; the other connector modules (kafka, jdbc, …) refuse their classes with a clear error."""

from stream_runtime.pyflink.datastream.connectors.number_seq import NumberSequenceSource
from stream_runtime.sinks import DiscardingSink, PrintSinkFunction
from stream_runtime.sources import Source

__all__ = ["DiscardingSink", "NumberSequenceSource", "PrintSinkFunction", "Source"]
