"""``pyflink.common.typeinfo``."""

from stream_runtime.typeinfo import Row, TupleTypeInfo, TypeInformation, Types

__all__ = ["Row", "TupleTypeInfo", "TypeInformation", "Types"]
