"""Application code as Create/UpdateApplication take it in: inline ``ZipFileContent`` checked and kept in
the data directory (addressed by its digest), and S3 objects read once to report their ``CodeMD5`` /
``CodeSize``.

Validate, then mutate: ``put`` only checks and digests inline code; the call ``save``s it once the
whole request has been validated, just before the database changes. An archive saved by a call whose
transaction then fails is referenced by nothing and is reclaimed by the control loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.code.archive import MAX_INLINE_CODE_BYTES, ArchiveLimits
from app.code.flink_code import check_code
from app.code.inline import InlineCodeStore
from app.code.source import CodeDigest, S3CodeLocation, digest, fetch_s3_code

INLINE_LIMITS = ArchiveLimits(max_archive_bytes=MAX_INLINE_CODE_BYTES)


class CodeIntake:
    """Code given to one API call: inline archives (kept on ``save``) and S3 objects (read and checked).

    The S3 object is not kept: the control loop fetches it again when it starts a version, as AWS
    reads the object named by the version it runs. ``s3_client`` is called only when S3 code is given.
    """

    def __init__(self, root: Path, s3_client: Callable[[], Any]) -> None:
        self.store = InlineCodeStore(root)
        self.s3_client = s3_client
        self._pending: dict[str, bytes] = {}

    def put(self, content: bytes) -> CodeDigest:
        """Check that ``content`` is acceptable code and return its digest; ``save`` keeps it."""
        check_code(content, INLINE_LIMITS)
        described = digest(content)
        self._pending[described.code_md5] = content
        return described

    def save(self) -> None:
        """Keep the inline archives this call was given (call once the request is valid)."""
        for code_md5, content in self._pending.items():
            self.store.save(code_md5, content)
        self._pending.clear()

    def digest_s3(self, location: S3CodeLocation) -> CodeDigest:
        """``CodeMD5`` / ``CodeSize`` of the object; ``CodeValidationException`` if it cannot be read
        or is not acceptable code."""
        with self.store.download() as target:
            fetch_s3_code(self.s3_client(), location, target)
            check_code(target)
            return digest(target)
