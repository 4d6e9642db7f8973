"""``pyflink.common.time``."""

from stream_runtime.timeutil import Duration, Time

__all__ = ["Duration", "Time"]
