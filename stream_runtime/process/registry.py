"""The job registry: what Flink's JobManager keeps in its high-availability store, on local disk.

One JSON file per job, ``<root>/<job id>.json``: the spec to run it again, the process running it (pid and
that process's start time, so a reused pid is never mistaken for it), its state and restart count, its
savepoint triggers with their results, and — once it ended — its failure cause or final savepoint. Files
are replaced atomically (write, fsync, rename), so a reader never sees half a record.

Ownership is a lock, ``<root>/<job id>.lock`` (``flock``): the supervisor that runs a job holds it for as long
as the job can have a process, and only the holder spawns job processes or writes the record. The kernel
releases the lock when its holder's process ends, however it ends, so a control plane restarted after a crash
takes over its jobs, while a second control plane on the same directory never starts a second process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointOutcome, SavepointProgress
from stream_runtime.process.sandbox import JobSandbox

RECORD_SUFFIX = ".json"
LOCK_SUFFIX = ".lock"
KILL_WAIT_S = 5.0


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux); ``None`` if gone or unknowable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: fields after the last ")" are plain
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_is(pid: int, started: int | None) -> bool:
    """Whether ``pid`` is alive and is the process that started at ``started`` (not a reuse of its pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = process_start_time(pid)
    return started is None or now is None or now == started


def end_process_group(pid: int, started: int | None, timeout: float = KILL_WAIT_S) -> bool:
    """SIGKILL the process group led by ``pid`` if that process still runs; whether it is gone within
    ``timeout``. A job process leads its own group, so whatever it spawned goes with it."""
    if not process_is(pid, started):
        return True
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while process_is(pid, started) and _zombie_or_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _zombie_or_alive(pid: int) -> bool:
    """False once ``pid`` is a zombie (dead, waiting to be reaped by its parent) or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return process_is(pid, None)
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass(frozen=True)
class SavepointTrigger:
    """A savepoint request as the registry keeps it: its outcome and where its savepoint will be written."""

    outcome: SavepointOutcome
    expected_location: str | None = None


@dataclass(frozen=True)
class JobRecord:
    """Everything the registry knows about one job."""

    spec: JobProcessSpec
    state: JobProcessStatus = JobProcessStatus.CREATED
    pid: int | None = None
    pid_started: int | None = None
    restarts: int = 0
    attempt: int = 0
    failure_cause: str | None = None
    final_savepoint: str | None = None
    ended_by_owner: bool = False  # ended because its owner shut down (not a state the job reached itself)
    savepoints: dict[str, SavepointTrigger] = field(default_factory=dict)

    @property
    def completed_savepoints(self) -> list[str]:
        """Locations of the job's completed savepoints, oldest first."""
        return [
            t.outcome.location
            for t in self.savepoints.values()
            if t.outcome.state is SavepointProgress.COMPLETED and t.outcome.location
        ]

    def to_json(self) -> str:
        """The record as the registry stores it."""
        spec = asdict(self.spec)
        spec["args"] = list(self.spec.args)
        doc: dict[str, Any] = {
            "spec": spec,
            "state": self.state.value,
            "pid": self.pid,
            "pid_started": self.pid_started,
            "restarts": self.restarts,
            "attempt": self.attempt,
            "failure_cause": self.failure_cause,
            "final_savepoint": self.final_savepoint,
            "ended_by_owner": self.ended_by_owner,
            "savepoints": {
                request_id: {
                    **asdict(trigger.outcome),
                    "state": trigger.outcome.state.value,
                    "expected_location": trigger.expected_location,
                }
                for request_id, trigger in self.savepoints.items()
            },
        }
        return json.dumps(doc, indent=1)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        """Inverse of :meth:`to_json`."""
        doc = json.loads(text)
        spec = dict(doc["spec"])
        spec["overrides"] = RuntimeOverrides(**spec["overrides"])
        spec["args"] = tuple(spec["args"])
        if spec.get("sandbox") is not None:
            spec["sandbox"] = JobSandbox.from_dict(spec["sandbox"])
        savepoints = {}
        for request_id, entry in doc.get("savepoints", {}).items():
            expected = entry.pop("expected_location", None)
            entry["state"] = SavepointProgress(entry["state"])
            savepoints[request_id] = SavepointTrigger(SavepointOutcome(**entry), expected)
        return cls(
            spec=JobProcessSpec(**spec),
            state=JobProcessStatus(doc["state"]),
            pid=doc.get("pid"),
            pid_started=doc.get("pid_started"),
            restarts=int(doc.get("restarts", 0)),
            attempt=int(doc.get("attempt", 0)),
            failure_cause=doc.get("failure_cause"),
            final_savepoint=doc.get("final_savepoint"),
            ended_by_owner=bool(doc.get("ended_by_owner", False)),
            savepoints=savepoints,
        )


class OwnerLock:
    """An exclusive ``flock`` on a job's lock file; released by :meth:`release` or by the holder's death."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Give the job up (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock


class JobRegistry:
    """The registry under ``root``: one record and one owner lock per job id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, job_id: str, suffix: str) -> Path:
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise ValueError(f"invalid job id {job_id!r}")
        return self.root / f"{job_id}{suffix}"

    def load(self, job_id: str) -> JobRecord | None:
        """The job's record, or ``None`` if the registry never saw it (or it was removed)."""
        try:
            text = self._path(job_id, RECORD_SUFFIX).read_text()
        except (OSError, ValueError):
            return None
        try:
            return JobRecord.from_json(text)
        except (KeyError, TypeError, ValueError):
            return None  # a record of an older layout: nothing to adopt

    def save(self, record: JobRecord) -> None:
        """Replace the job's record atomically and durably."""
        path = self._path(record.spec.job_id, RECORD_SUFFIX)
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(temporary, "w") as file:
            file.write(record.to_json())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)

    def update(self, job_id: str, **changes: Any) -> JobRecord | None:
        """Load, change and save a record (only its owner calls this); ``None`` if there is none."""
        record = self.load(job_id)
        if record is None:
            return None
        record = replace(record, **changes)
        self.save(record)
        return record

    def acquire(self, job_id: str) -> OwnerLock | None:
        """Take ownership of the job without waiting; ``None`` while another supervisor holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(job_id, LOCK_SUFFIX), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return OwnerLock(fd)

    def job_ids(self) -> list[str]:
        """Every job the registry has a record of."""
        if not self.root.is_dir():
            return []
        return sorted(path.name.removesuffix(RECORD_SUFFIX) for path in self.root.glob(f"*{RECORD_SUFFIX}"))

    def remove(self, job_id: str) -> None:
        """Forget a job (its record and lock file)."""
        for suffix in (RECORD_SUFFIX, LOCK_SUFFIX):
            with contextlib.suppress(OSError, ValueError):
                self._path(job_id, suffix).unlink()
