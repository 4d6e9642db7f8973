"""Local-filesystem checkpoint storage."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from stream_runtime.storage.base import AlreadyPublishedError, CheckpointStorage, is_write_once

_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


class LocalCheckpointStorage(CheckpointStorage):
    """Checkpoints under a directory; ``publish`` is tmp + fsync + rename (+ link for write-once names)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, path: str) -> Path:
        return self.root / path

    def write(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)

    def publish(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if is_write_once(path):
            try:
                os.link(tmp, target)  # atomic create-if-absent
            except FileExistsError as exc:
                raise AlreadyPublishedError(f"{target} already exists") from exc
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS:
                    raise
                if target.exists():  # a filesystem without hard links: check, then rename
                    raise AlreadyPublishedError(f"{target} already exists") from exc
                os.replace(tmp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        else:
            os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self, path: str) -> bytes:
        return self._path(path).read_bytes()

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def folder_exists(self, prefix: str) -> bool:
        return self._path(prefix).is_dir()

    def list_dir(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir())

    def delete_tree(self, prefix: str) -> None:
        target = self._path(prefix)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink(missing_ok=True)

    def describe(self, path: str) -> str:
        return str(self._path(path))

    def child(self, prefix: str) -> LocalCheckpointStorage:
        return LocalCheckpointStorage(self._path(prefix))
