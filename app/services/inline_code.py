"""Application code as Create/UpdateApplication take it in: inline ``ZipFileContent`` kept in the data
directory (addressed by its digest), and S3 objects read once to report their ``CodeMD5`` / ``CodeSize``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.code.archive import check_archive
from app.code.source import CodeDigest, S3CodeLocation, digest, fetch_s3_code


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


class CodeIntake(InlineCodeStore):
    """The inline store, plus S3 code: fetched from the configured endpoint, checked and digested.

    The S3 object is not kept: the control loop fetches it again when it starts a version, as AWS
    reads the object named by the version it runs. ``s3_client`` is called only when S3 code is given.
    """

    def __init__(self, root: Path, s3_client: Callable[[], Any]) -> None:
        super().__init__(root)
        self.s3_client = s3_client

    def digest_s3(self, location: S3CodeLocation) -> CodeDigest:
        """``CodeMD5`` / ``CodeSize`` of the object; ``CodeValidationException`` if it cannot be read
        or is not a safe zip archive."""
        content = fetch_s3_code(self.s3_client(), location)
        check_archive(content)
        return digest(content)
