"""Checkpoint storage: the port every checkpoint byte goes through, plus the on-disk layout.

``S3CheckpointStorage`` lives in ``stream_runtime.storage.s3`` (imported on demand: boto3 is slow to import).
"""

from stream_runtime.storage.base import AlreadyPublishedError, CheckpointStorage, StorageError
from stream_runtime.storage.layout import CheckpointLayout, CompletedCheckpointRef
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.storage.locations import dispose_savepoint, open_storage
from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError

__all__ = [
    "AlreadyPublishedError",
    "CheckpointLayout",
    "CheckpointMetadata",
    "CheckpointStorage",
    "CompletedCheckpointRef",
    "LocalCheckpointStorage",
    "MetadataError",
    "StorageError",
    "dispose_savepoint",
    "open_storage",
]
