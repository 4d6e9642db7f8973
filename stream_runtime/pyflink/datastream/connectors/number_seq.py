"""``pyflink.datastream.connectors.number_seq``."""

from stream_runtime.sources import NumberSequenceSource

__all__ = ["NumberSequenceSource"]
