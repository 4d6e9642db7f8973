"""``pyflink.datastream.time_domain``."""

from stream_runtime.functions import TimeDomain

__all__ = ["TimeDomain"]
