"""Unpacked application code on disk, one directory per distinct archive (content-addressed).

``validate`` checks an archive without writing (for Create/UpdateApplication); ``prepare`` unpacks
it once into ``<root>/<digest>/`` (atomically: into a scratch directory renamed into place) and
answers the ``JobCode`` a runtime adapter starts. Preparing the same code again reuses the directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from api_models.errors import CodeValidationException
from app.code.archive import ArchiveLimits, check_archive, unpack
from app.code.properties import RUN_OPTIONS_GROUP
from runtime_adapter.base import JobCode


def _missing_entry(entry: str) -> CodeValidationException:
    return CodeValidationException(
        f"The entry file '{entry}' (property group {RUN_OPTIONS_GROUP}, key python; default main.py) "
        "is not in the application code"
    )


class CodeStore:
    """Unpacks verified code archives under ``root`` and hands out their ``JobCode``."""

    def __init__(self, root: Path, limits: ArchiveLimits | None = None) -> None:
        self.root = root
        self.limits = limits or ArchiveLimits()

    def validate(self, data: bytes, entry: str) -> None:
        """Refuse unsafe archives and archives without the entry file; writes nothing."""
        files = {str(path) for info, path in check_archive(data, self.limits) if not info.is_dir()}
        if str(PurePosixPath(entry)) not in files:
            raise _missing_entry(entry)

    def prepare(self, data: bytes, entry: str) -> JobCode:
        """Unpack ``data`` (once per distinct archive) and return the code to launch ``entry`` from."""
        self.validate(data, entry)
        directory = self.root / hashlib.sha256(data).hexdigest()
        if not directory.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=self.root, prefix=".unpack-"))
            try:
                unpack(data, scratch / "code", self.limits)
                try:
                    os.rename(scratch / "code", directory)
                except OSError:
                    if not directory.is_dir():  # not a concurrent prepare of the same archive
                        raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        if not (directory / entry).is_file():
            raise _missing_entry(entry)
        return JobCode(root=directory, entry=entry)
