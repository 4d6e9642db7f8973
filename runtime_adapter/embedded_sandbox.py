"""Each embedded job's own working directory and sandbox (see :mod:`stream_runtime.process.sandbox`).

``<runtime root>/work/<job id>/`` holds a private, read-only copy of the job's code (never the code store's
directory, which other applications may share) and of its properties file, and ``tmp/`` (its ``HOME`` and
``TMPDIR``), the only place there it may write. When jobs switch user, the job's checkpoint and savepoint
directories and its CloudWatch error log are handed to that user, so a job writes exactly what it wrote
before; everything else of the data directory stays out of its sight.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

from runtime_adapter.base import JobSpec
from stream_runtime.process.sandbox import STORAGE_PER_KPU, JobSandbox, isolation_available, job_user_ids

logger = logging.getLogger(__name__)

WORK_DIR = "work"
PROPERTIES_FILE = "application_properties.json"


@dataclass(frozen=True)
class SandboxSettings:
    """How the embedded adapter confines its jobs: the user they run as when msf-local runs as root
    (``None``: msf-local's own user), the paths they must never see (the data directory, the database
    file, the credentials file), and the running application storage each KPU gives a job."""

    user: str | None = None
    hidden: tuple[Path, ...] = ()
    storage_per_kpu: int = STORAGE_PER_KPU

    def effective_user(self) -> str | None:
        """The user jobs switch to: ``user`` when this process is root and may isolate jobs (mount
        namespaces), else none (said once in the log)."""
        if not self.user or os.geteuid() != 0:
            return None
        if not isolation_available():
            _warn_once(
                f"Jobs run as root, not as {self.user!r}: this process may not create mount namespaces "
                "(CAP_SYS_ADMIN), which the job sandbox needs to switch user. See docs/security.md."
            )
            return None
        return self.user


@functools.cache
def _warn_once(message: str) -> None:
    logger.warning(message)


@dataclass(frozen=True)
class Workspace:
    """Where a job runs from: its private code copy, its properties copy and its sandbox."""

    job_file: str
    cwd: str
    properties_file: str | None
    sandbox: JobSandbox


def _local(location: str | None) -> str | None:
    return location if location and "://" not in location else None


def _read_only(tree: Path) -> None:
    for directory, _, files in os.walk(tree):
        for name in files:
            path = os.path.join(directory, name)
            os.chmod(path, 0o555 if os.stat(path).st_mode & 0o100 else 0o444)
        os.chmod(directory, 0o555)


def hand_over(path: Path, uid: int, gid: int) -> None:
    """Make ``path`` (created if missing) and everything below it the job user's."""
    path.mkdir(parents=True, exist_ok=True)
    for directory, subdirectories, files in os.walk(path):
        os.chown(directory, uid, gid)
        for name in [*subdirectories, *files]:
            os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)


def remove_workspace(root: Path, job_id: str) -> None:
    """Delete a job's working directory (its read-only code copy included)."""
    workdir = root / WORK_DIR / job_id
    if not workdir.exists():
        return
    for directory, _, _ in os.walk(workdir):
        os.chmod(directory, 0o755)
    shutil.rmtree(workdir, ignore_errors=True)


def prepare_workspace(root: Path, spec: JobSpec, settings: SandboxSettings, log_dir: Path) -> Workspace:
    """Copy the job's code and properties into its own working directory and describe its sandbox.
    Raises ``ValueError`` for a job user that does not exist, ``OSError`` if the files cannot be made."""
    user = settings.effective_user()
    owner = job_user_ids(user) if user else None
    remove_workspace(root, spec.job_id)
    workdir = root / WORK_DIR / spec.job_id
    code = workdir / "code"
    shutil.copytree(spec.code.root, code)
    _read_only(code)
    properties = None
    if spec.properties_file is not None:
        properties = workdir / PROPERTIES_FILE
        shutil.copyfile(spec.properties_file, properties)
        properties.chmod(0o444)
    (workdir / "tmp").mkdir(mode=0o700)
    exposed = [str(path) for path in (_local(spec.restore.location if spec.restore else None),) if path]
    if owner is not None:
        os.chown(workdir / "tmp", *owner)
        for location in (_local(spec.checkpoint_dir), *map(_local, spec.savepoint_dirs)):
            if location:
                hand_over(Path(location), *owner)
                exposed.append(location)
        errors = log_dir / f"{spec.job_id}-cloudwatch-errors.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        errors.touch(mode=0o600)
        os.chown(errors, *owner)
        exposed.append(str(errors))
    sandbox = JobSandbox(
        kpus=spec.kpus,
        spread=zlib.crc32(spec.job_id.encode()),
        user=user,
        workdir=str(workdir),
        exposed=tuple(exposed),
        hidden=tuple(str(path) for path in settings.hidden),
        storage_per_kpu=settings.storage_per_kpu,
    )
    return Workspace(str(code / spec.code.entry), str(code), str(properties) if properties else None, sandbox)
