"""``pyflink.datastream.state_backend``."""

from stream_runtime.state.backends import HashMapStateBackend
from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend

__all__ = ["EmbeddedRocksDBStateBackend", "HashMapStateBackend"]
