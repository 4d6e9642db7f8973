"""Unpacked application code on disk, one directory per distinct archive (content-addressed).

``validate`` checks an archive without writing (for Create/UpdateApplication); ``prepare`` unpacks
it once into ``<root>/<digest>/`` (atomically: into a scratch directory renamed into place) and
answers the ``JobCode`` a runtime adapter starts; ``prepare_jar`` keeps a JAR whole in
``<root>/<digest>-jar/``. Preparing the same code again reuses the directory.

The store is a cache: every directory can be made again from the code's archive. ``hold`` records
which directory a job runs from (``<root>/.jobs/<job id>``) and ``reclaim`` removes what no live job
holds — never a directory a live job uses, nor anything younger than the grace period.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from api_models.errors import CodeValidationException
from app.code.archive import ArchiveLimits, CodeData, check_archive, code_hexdigest, unpack
from app.code.disk import discard, is_stale, touch
from app.code.properties import RUN_OPTIONS_GROUP
from runtime_adapter.base import CodeLanguage, JobCode

JAR_NAME = "application.jar"
_HOLDS = ".jobs"
_SCRATCH = ".unpack-"


def _missing_entry(entry: str) -> CodeValidationException:
    return CodeValidationException(
        f"The entry file '{entry}' (property group {RUN_OPTIONS_GROUP}, key python; default main.py) "
        "is not in the application code"
    )


class CodeStore:
    """Unpacks verified code archives under ``root``, hands out their ``JobCode`` and reclaims them."""

    def __init__(self, root: Path, limits: ArchiveLimits | None = None) -> None:
        self.root = root
        self.limits = limits or ArchiveLimits()

    def validate(self, data: CodeData, entry: str) -> None:
        """Refuse unsafe archives and archives without the entry file; writes nothing."""
        files = {str(path) for info, path in check_archive(data, self.limits) if not info.is_dir()}
        if str(PurePosixPath(entry)) not in files:
            raise _missing_entry(entry)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A new directory in the store, removed afterwards (left over by a crash, it is reclaimed)."""
        self.root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self.root, prefix=_SCRATCH))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def prepare(self, data: CodeData, entry: str) -> JobCode:
        """Unpack ``data`` (once per distinct archive) and return the code to launch ``entry`` from."""
        self.validate(data, entry)
        directory = self.root / code_hexdigest(data, "sha256")
        if not directory.is_dir():
            with self.scratch() as scratch:
                unpack(data, scratch / "code", self.limits)
                try:
                    os.rename(scratch / "code", directory)
                except OSError:
                    if not directory.is_dir():  # not a concurrent prepare of the same archive
                        raise
        touch(directory)
        if not (directory / entry).is_file():
            raise _missing_entry(entry)
        return JobCode(root=directory, entry=entry)

    def prepare_jar(self, data: CodeData) -> JobCode:
        """Keep a JAR once per content and describe it."""
        directory = self.root / f"{code_hexdigest(data, 'sha256')}-jar"
        if not (directory / JAR_NAME).is_file():
            directory.mkdir(parents=True, exist_ok=True)
            partial = directory / f".{JAR_NAME}.partial"
            if isinstance(data, bytes):
                partial.write_bytes(data)
            else:
                shutil.copyfile(data, partial)
            os.replace(partial, directory / JAR_NAME)
        touch(directory)
        return JobCode(root=directory, entry=JAR_NAME, language=CodeLanguage.JAR)

    def hold(self, job_id: str, code: JobCode) -> None:
        """Record that job ``job_id`` runs from ``code`` (its directory stays while the job is live)."""
        holds = self.root / _HOLDS
        holds.mkdir(parents=True, exist_ok=True)
        partial = holds / f".{job_id}.partial"
        partial.write_text(code.root.name)
        os.replace(partial, holds / job_id)

    def reclaim(self, live_jobs: Collection[str], cutoff: float) -> list[str]:
        """Remove the directories no live job holds, last used before ``cutoff`` (epoch seconds).

        Holds of jobs that are no longer live go first. A live job without a hold (its code was
        prepared by an older msf-local) keeps every directory: what it uses is not known. Left-over
        scratch directories of an interrupted ``prepare`` go too. Answers the names removed.
        """
        if not self.root.is_dir():
            return []
        held: set[str] = set()
        holds = self.root / _HOLDS
        for hold in holds.iterdir() if holds.is_dir() else ():
            if hold.name in live_jobs:
                held.add(hold.read_text())
            elif is_stale(hold, cutoff):
                hold.unlink(missing_ok=True)
        if any(not (holds / job_id).is_file() for job_id in live_jobs):
            return []
        removed: list[str] = []
        for path in self.root.iterdir():
            name = path.name
            reclaimable = name.startswith(_SCRATCH) or not name.startswith(".")
            if reclaimable and name not in held and is_stale(path, cutoff):
                discard(path, _SCRATCH)
                removed.append(name)
        return sorted(removed)
