"""Inline application code (``ZipFileContent``) kept in the data directory, addressed by its digest."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.code.archive import check_archive
from app.code.source import CodeDigest, digest


class InlineCodeStore:
    """Keeps each distinct inline code archive once, named by its ``CodeMD5`` (hex SHA-512).

    The runtime reads the archive back with ``get`` when it launches a version.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, code_md5: str) -> Path:
        return self.root / f"{code_md5}.zip"

    def put(self, content: bytes) -> CodeDigest:
        """Check that ``content`` is a safe zip archive, store it (atomically, once) and return its digest."""
        check_archive(content)
        described = digest(content)
        target = self.path(described.code_md5)
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return described

    def get(self, code_md5: str) -> bytes:
        return self.path(code_md5).read_bytes()
