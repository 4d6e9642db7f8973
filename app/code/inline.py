"""Inline application code (``ZipFileContent``) kept in the data directory, one file per distinct archive.

Each archive is ``<root>/<CodeMD5>.zip`` (the hex SHA-512 msf-local reports as ``CodeMD5``): the only
copy of code given inline, read back whenever a version that names it starts. API calls ``save``
archives and the control loop ``reclaim``s the ones no stored version needs; both lock the directory
itself (``flock``, across processes), so an archive saved again — and touched — is never
removed under a caller that has just been told it is there.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.code.disk import is_stale, touch

_SUFFIX = ".zip"
_INCOMING = ".incoming-"


class InlineCodeStore:
    """Keeps each distinct inline code archive once, named by its ``CodeMD5`` (hex SHA-512)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, code_md5: str) -> Path:
        """Where the archive with this ``CodeMD5`` is kept."""
        return self.root / f"{code_md5}{_SUFFIX}"

    def save(self, code_md5: str, content: bytes) -> None:
        """Keep ``content`` (already checked) under ``code_md5``: written atomically once, touched after."""
        with self._locked():
            target = self.path(code_md5)
            if target.exists():
                touch(target)
                return
            handle, temporary = tempfile.mkstemp(dir=self.root, prefix=_INCOMING)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise

    @contextmanager
    def download(self) -> Iterator[Path]:
        """A new file beside the archives for code being read from S3, removed afterwards (left over by
        a crash, it is reclaimed)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.root, prefix=_INCOMING)
        os.close(handle)
        try:
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def reclaim(self, keep: Collection[str], cutoff: float) -> list[str]:
        """Remove the archives whose ``CodeMD5`` is not in ``keep`` and that were last saved before
        ``cutoff`` (epoch seconds), and interrupted writes as old; answers the file names removed."""
        if not self.root.is_dir():
            return []
        removed: list[str] = []
        with self._locked():
            for path in self.root.iterdir():
                name = path.name
                archive = name.endswith(_SUFFIX) and name[: -len(_SUFFIX)] not in keep
                if (archive or name.startswith(_INCOMING)) and is_stale(path, cutoff):
                    path.unlink(missing_ok=True)
                    removed.append(name)
        return sorted(removed)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        directory = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            yield
        finally:
            os.close(directory)  # releases the lock
