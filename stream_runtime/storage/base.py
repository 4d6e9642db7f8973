"""The small interface a checkpoint store implements (local filesystem and S3)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class StorageError(OSError):
    """A checkpoint storage operation failed (counted by the coordinator as an I/O failure)."""


class AlreadyPublishedError(StorageError, FileExistsError):
    """An exclusive publish found the file already there (another writer completed it first)."""


FILE_SCHEME = "file://"
S3_SCHEME = "s3://"
WRITE_ONCE_NAMES = frozenset({"_metadata"})


def is_write_once(path: str) -> bool:
    """Whether ``publish`` must create ``path`` exclusively (the commit record of a checkpoint)."""
    return path.rsplit("/", 1)[-1] in WRITE_ONCE_NAMES


class CheckpointStorage(ABC):
    """Flat key/value view of a checkpoint root; paths are ``/``-separated and relative to the root."""

    @abstractmethod
    def write(self, path: str, data: bytes) -> None:
        """Write a data file (not necessarily atomically)."""

    @abstractmethod
    def publish(self, path: str, data: bytes) -> None:
        """Write a file atomically: readers see either nothing or the whole content.

        Write-once names (``_metadata``, see :func:`is_write_once`) are only created if absent, else
        :class:`AlreadyPublishedError`: a completed checkpoint's metadata is never replaced by a late writer.
        """

    @abstractmethod
    def read(self, path: str) -> bytes:
        """Read a whole file; raises ``FileNotFoundError`` when absent."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether a file exists."""

    @abstractmethod
    def list_dir(self, prefix: str) -> list[str]:
        """Names of the direct children (files or folders) under ``prefix``."""

    def folder_exists(self, prefix: str) -> bool:
        """Whether a folder exists at ``prefix`` (in an object store: whether anything lies under it)."""
        return bool(self.list_dir(prefix))

    @abstractmethod
    def delete_tree(self, prefix: str) -> None:
        """Delete everything under ``prefix``; missing prefixes are fine."""

    @abstractmethod
    def describe(self, path: str) -> str:
        """A location string for humans and for ``--restore`` (a filesystem path or URL)."""

    @abstractmethod
    def child(self, prefix: str) -> CheckpointStorage:
        """The same store rooted at ``prefix`` (e.g. one checkpoint or savepoint folder)."""
