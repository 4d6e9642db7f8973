"""Turn a location string (a filesystem path, ``file://…`` or ``s3://bucket/prefix``) into a storage."""

from __future__ import annotations

from collections.abc import Mapping

from stream_runtime.storage.base import FILE_SCHEME, S3_SCHEME, CheckpointStorage
from stream_runtime.storage.local import LocalCheckpointStorage


def open_storage(location: str, env: Mapping[str, str] | None = None) -> CheckpointStorage:
    """Storage rooted at ``location``; an S3 client takes endpoint and credentials from ``env``."""
    if location.startswith(S3_SCHEME):
        from stream_runtime.storage.s3 import S3CheckpointStorage  # boto3 only when S3 is used

        return S3CheckpointStorage.from_uri(location, env)
    return LocalCheckpointStorage(location.removeprefix(FILE_SCHEME))


def dispose_savepoint(location: str, env: Mapping[str, str] | None = None) -> bool:
    """Delete a savepoint (or retained checkpoint) folder; ``False`` if there is no ``_metadata``."""
    storage = open_storage(location, env)
    if not storage.exists("_metadata"):
        return False
    storage.delete_tree("")
    return True
