"""``pyflink.common.types``."""

from stream_runtime.typeinfo import Row

__all__ = ["Row"]
