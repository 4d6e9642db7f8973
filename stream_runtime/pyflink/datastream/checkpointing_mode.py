"""``pyflink.datastream.checkpointing_mode``."""

from stream_runtime.config import CheckpointingMode

__all__ = ["CheckpointingMode"]
