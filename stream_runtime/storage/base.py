"""The small interface a checkpoint store implements (local filesystem now, S3 later)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class StorageError(OSError):
    """A checkpoint storage operation failed (counted by the coordinator as an I/O failure)."""


class CheckpointStorage(ABC):
    """Flat key/value view of a checkpoint root; paths are ``/``-separated and relative to the root."""

    @abstractmethod
    def write(self, path: str, data: bytes) -> None:
        """Write a data file (not necessarily atomically)."""

    @abstractmethod
    def publish(self, path: str, data: bytes) -> None:
        """Write a file atomically: readers see either nothing or the whole content."""

    @abstractmethod
    def read(self, path: str) -> bytes:
        """Read a whole file; raises ``FileNotFoundError`` when absent."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether a file exists."""

    @abstractmethod
    def list_dir(self, prefix: str) -> list[str]:
        """Names of the direct children (files or folders) under ``prefix``."""

    @abstractmethod
    def delete_tree(self, prefix: str) -> None:
        """Delete everything under ``prefix``; missing prefixes are fine."""

    @abstractmethod
    def describe(self, path: str) -> str:
        """A location string for humans and for ``--restore`` (a filesystem path or URL)."""
