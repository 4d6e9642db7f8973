"""``pyflink.common.typeinfo``."""

from stream_runtime.typeinfo import Row, TypeInformation, Types

__all__ = ["Row", "TypeInformation", "Types"]
