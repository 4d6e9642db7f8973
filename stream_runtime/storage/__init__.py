"""Checkpoint storage: the port every checkpoint byte goes through, plus the on-disk layout."""

from stream_runtime.storage.base import CheckpointStorage, StorageError
from stream_runtime.storage.layout import CheckpointLayout, CompletedCheckpointRef
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError

__all__ = [
    "CheckpointLayout",
    "CheckpointMetadata",
    "CheckpointStorage",
    "CompletedCheckpointRef",
    "LocalCheckpointStorage",
    "MetadataError",
    "StorageError",
]
