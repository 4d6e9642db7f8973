"""``pyflink.datastream.output_tag``."""

from stream_runtime.functions import OutputTag

__all__ = ["OutputTag"]
