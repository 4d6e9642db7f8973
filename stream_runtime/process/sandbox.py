"""The job sandbox: what a job process may see, touch and use, applied just before the job's code runs.

:class:`JobSandbox` describes it (persisted with the job's spec); the launcher,
:mod:`stream_runtime.process.confine`, applies it: a sandboxed job is started as
``python -I -S confine.py CONFIG -- ARGV``, which sets the limits, the mount namespace and the user on
itself and then execs the job process (see that module for what it does, in order).

Nothing here is a security boundary against the kernel: see "Job sandbox" in docs/security.md.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stream_runtime.process import confine
from stream_runtime.process.confine import PROBE, STORAGE_PER_KPU
from stream_runtime.process.confine import job_user_ids as job_user_ids

LAUNCHER = os.path.abspath(confine.__file__)
LAUNCHER_FLAGS = ("-I", "-S")  # isolated, without site: the launcher needs the standard library only
BASE_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PYTHONHASHSEED",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
)


@dataclass(frozen=True)
class JobSandbox:
    """How one job process is confined (persisted with its spec, so a restarted job gets the same).

    ``kpus`` sizes the resource limits (4 GiB of memory, 50 GiB per file, one CPU per KPU); ``spread``
    picks the first of its CPUs. ``user`` is the account the job runs as when the launcher is root (ignored
    otherwise). ``workdir`` is the job's own directory (``<workdir>/tmp``: its home and temp dir);
    ``exposed`` the paths it needs besides the interpreter (its code, checkpoints, savepoints); ``hidden``
    what it must not see beyond those paths (the data dir)."""

    kpus: int = 1
    spread: int = 0
    user: str | None = None
    workdir: str | None = None
    exposed: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    storage_per_kpu: int = STORAGE_PER_KPU  # smaller in tests (settings: ``storage_per_kpu``)
    sized: bool = True  # False: no KPU-sized limits (a local Flink cluster, sized by Flink's own settings)

    @property
    def storage_bytes(self) -> int:
        """The job's running application storage: 50 GiB per KPU, in total (:mod:`.storage_guard`) and so
        for its largest file (``RLIMIT_FSIZE``)."""
        return self.kpus * self.storage_per_kpu

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> JobSandbox:
        """Inverse of ``asdict`` (lists back to tuples)."""
        return cls(
            kpus=int(document.get("kpus", 1)),
            spread=int(document.get("spread", 0)),
            user=document.get("user"),
            workdir=document.get("workdir"),
            exposed=tuple(document.get("exposed", ())),
            hidden=tuple(document.get("hidden", ())),
            storage_per_kpu=int(document.get("storage_per_kpu", STORAGE_PER_KPU)),
            sized=bool(document.get("sized", True)),
        )

    def environment(self, job_environment: dict[str, str], parent: dict[str, str]) -> dict[str, str]:
        """The job's whole environment: the few neutral variables of ``parent`` (``PATH``, locale,
        ``PYTHONPATH``, CA bundles), its home and temporary directory, and what the control plane gives it
        (its region, its account's credentials and endpoint, its log settings) — nothing else of the server's
        (no database URL, no credentials file, no data-directory paths)."""
        environment = {key: parent[key] for key in BASE_ENVIRONMENT if key in parent}
        if self.workdir:
            home = os.path.join(self.workdir, "tmp")
            environment |= {"HOME": home, "TMPDIR": home}
        return environment | job_environment

    def command_line(self, argv: Sequence[str], python: str) -> list[str]:
        """``argv`` run through the launcher, which also learns the paths the job's interpreter reads."""
        config = json.dumps({**asdict(self), "interpreter": interpreter_paths()})
        return [python, *LAUNCHER_FLAGS, LAUNCHER, config, "--", *argv]


@functools.cache
def interpreter_paths() -> list[str]:
    """What a job's interpreter reads (the same as this process's): its binary, its prefixes, ``sys.path``
    and this package."""
    paths = [os.path.realpath(sys.executable), sys.executable, *sys.path]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths.append(str(Path(__file__).resolve().parents[2]))
    return [path for path in paths if path and os.path.isabs(path) and os.path.exists(path)]


@functools.cache
def isolation_available(python: str = sys.executable) -> bool:
    """Whether this process may give jobs their own mount namespace (root with ``CAP_SYS_ADMIN``, as on a
    plain Linux host; not in a default Docker container). Asked once, of a throwaway child."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    try:
        probe = subprocess.run([python, *LAUNCHER_FLAGS, LAUNCHER, PROBE], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0
