"""``pyflink.common.restart_strategy``."""

from stream_runtime.restart import RestartStrategies

__all__ = ["RestartStrategies"]
