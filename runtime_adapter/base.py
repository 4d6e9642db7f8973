"""The one port between the control plane and whatever runs jobs: the ``RuntimeAdapter`` Protocol.

Every method returns at once (no waiting on a job) and answers with an outcome value: expected
conditions — a rejected submission, an unknown job, a failed savepoint — are outcomes, never
exceptions. The control loop calls these from ``tick()`` and polls ``status`` / ``savepoint_status``
on the next ticks, so a slow runtime never blocks the loop.

Identifiers are chosen by the caller and persisted *before* the call (job ids and savepoint trigger
ids), so a control plane that crashes between "call the runtime" and "record the answer" can ask
again with the same id: starting a job id that already exists, or triggering a known trigger id,
is answered with the existing job or trigger rather than a second one. Flink's REST API accepts
both (``jobId`` in ``/jars/:id/run``, ``triggerId`` in ``/jobs/:id/savepoints`` and ``/stop``);
the embedded supervisor keys its job directories by them. Flink needs both as 32 hex digits:
``flink_id`` turns any caller key into one, stably.

A runtime that does not answer (a cluster's REST API down) is an outcome too: ``JobState.UNREACHABLE``
and ``SavepointState.UNREACHABLE`` mean "nothing is known, ask again", and commands are REJECTED with
an error that says so; adapters log the outage once, not once per tick.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable


class CodeLanguage(StrEnum):
    """How the application code is launched."""

    PYTHON = "PYTHON"  # an entry file (``kinesis.analytics.flink.run.options`` → ``python``)
    JAR = "JAR"  # a jar file and an entry class (real Flink only)


FLINK_ID = re.compile(r"^[0-9a-f]{32}$")


def flink_id(key: str) -> str:
    """``key`` as a valid Flink JobID / TriggerID (32 lower-case hex): unchanged if it already is one,
    else a stable name-based UUID of it, so the same key always maps to the same id."""
    if FLINK_ID.match(key):
        return key
    return uuid.uuid5(uuid.NAMESPACE_URL, f"msf-local:{key}").hex


@dataclass(frozen=True)
class JobCode:
    """Unpacked application code: its directory and what to launch in it.

    The runtime may run elsewhere (a Flink cluster): it receives the files, never relies on ``root``
    being on its own disk, except for Python files that a *local* cluster reads in place.
    """

    root: Path
    entry: str = "main.py"
    language: CodeLanguage = CodeLanguage.PYTHON
    entry_class: str | None = None
    jars: tuple[str, ...] = ()  # extra jars (relative to ``root``), e.g. a Python app's ``lib/*.jar``
    python_files: tuple[str, ...] = ()  # extra Python files / archives (``pyFiles``), relative to ``root``

    @property
    def entry_path(self) -> Path:
        """The entry file (or jar) as an absolute path."""
        return self.root / self.entry


@dataclass(frozen=True)
class CheckpointSettings:
    """The application's effective checkpoint configuration (the control plane decides it); it wins over
    what the code sets."""

    enabled: bool
    interval_ms: int
    min_pause_ms: int


class ClaimMode(StrEnum):
    """Who owns a restored snapshot's files afterwards (Flink's ``RecoveryClaimMode``)."""

    NO_CLAIM = "NO_CLAIM"  # the job never deletes them (MSF snapshots stay usable)
    CLAIM = "CLAIM"  # the job owns them and deletes them once subsumed


@dataclass(frozen=True)
class RestorePoint:
    """Where a job restores its state from: a savepoint or retained checkpoint location."""

    location: str
    allow_non_restored_state: bool = False
    claim_mode: ClaimMode = ClaimMode.NO_CLAIM


@dataclass(frozen=True)
class PropertyGroup:
    """One runtime property group (``EnvironmentProperties``), carried as data to the runtime."""

    group_id: str
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to start one job; ``job_id`` is chosen (and persisted) by the caller."""

    job_id: str
    name: str
    code: JobCode
    parallelism: int = 1
    checkpoints: CheckpointSettings | None = None  # None: the job's own checkpointing
    properties_file: Path | None = None  # application_properties.json; the adapter tells the job its path
    restore: RestorePoint | None = None
    checkpoint_dir: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    program_args: tuple[str, ...] = ()  # arguments of the entry point (``programArgsList`` on Flink)
    job_configuration: Mapping[str, str] = field(default_factory=dict)  # per-job runtime config keys
    property_groups: tuple[PropertyGroup, ...] = ()  # the application's properties as data
    kpus: int = 1  # Kinesis Processing Units: the embedded runtime sizes the job's sandbox by them
    savepoint_dirs: tuple[str, ...] = ()  # where the job's savepoints may be written (its snapshots)


class JobState(StrEnum):
    """What the runtime says about one job (Flink's job states, folded to what the control plane needs)."""

    NOT_FOUND = "NOT_FOUND"  # the runtime has no job with this id (never started, or forgotten)
    STARTING = "STARTING"  # submitted; code loading, restoring state or deploying tasks
    RUNNING = "RUNNING"  # every task is running
    RESTARTING = "RESTARTING"  # failed and being restarted by the restart strategy
    STOPPING = "STOPPING"  # a stop (with or without savepoint) is in progress
    FINISHED = "FINISHED"  # ended normally: stopped with a savepoint, or a bounded job completed
    CANCELED = "CANCELED"  # stopped without a savepoint (cancel or force)
    FAILED = "FAILED"  # ended with an error (``JobStatus.error`` says which)
    UNREACHABLE = "UNREACHABLE"  # the runtime does not answer; nothing is known (``error`` says where)

    @property
    def is_terminal(self) -> bool:
        """Whether the job will never run again under this id."""
        return self in (JobState.FINISHED, JobState.CANCELED, JobState.FAILED)


@dataclass(frozen=True)
class JobStatus:
    """One observation of a job."""

    job_id: str
    state: JobState
    error: str | None = None
    restarts: int = 0
    restored_from: str | None = None


class StartResult(StrEnum):
    """How a start request was answered."""

    STARTED = "STARTED"  # accepted; poll ``status`` for STARTING → RUNNING or FAILED
    ALREADY_EXISTS = "ALREADY_EXISTS"  # a job with this id exists already (a repeated start)
    REJECTED = "REJECTED"  # refused at submission (bad code, unknown restore point, no capacity)


@dataclass(frozen=True)
class StartOutcome:
    """The answer to ``start``."""

    result: StartResult
    job_id: str
    error: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether a job with this id now exists in the runtime."""
        return self.result is not StartResult.REJECTED


class StopMode(StrEnum):
    """How to stop a job."""

    SAVEPOINT = "SAVEPOINT"  # stop-with-savepoint (Flink ``/jobs/:id/stop``, drain=false) → FINISHED
    CANCEL = "CANCEL"  # graceful cancel without a savepoint → CANCELED
    FORCE = "FORCE"  # terminate at once, whatever the job is doing → CANCELED


class StopResult(StrEnum):
    """How a stop request was answered."""

    ACCEPTED = "ACCEPTED"  # poll ``status`` (and ``savepoint_status`` for SAVEPOINT) until terminal
    NOT_RUNNING = "NOT_RUNNING"  # the job had already ended; nothing to stop
    NOT_FOUND = "NOT_FOUND"  # no such job
    REJECTED = "REJECTED"  # the runtime refused (e.g. stop-with-savepoint on a job that cannot take one)


@dataclass(frozen=True)
class StopOutcome:
    """The answer to ``stop``; ``trigger_id`` is set when a savepoint was requested."""

    result: StopResult
    job_id: str
    trigger_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class SavepointRequest:
    """A savepoint to take: caller-chosen trigger id and the directory to write it under."""

    trigger_id: str
    target_dir: str


class TriggerResult(StrEnum):
    """How a savepoint trigger was answered."""

    ACCEPTED = "ACCEPTED"  # poll ``savepoint_status``; also the answer to a repeated trigger id
    NOT_RUNNING = "NOT_RUNNING"  # the job is not running (or unknown), no savepoint possible
    REJECTED = "REJECTED"  # refused by the runtime (``error`` says why)


@dataclass(frozen=True)
class TriggerOutcome:
    """The answer to ``trigger_savepoint``."""

    result: TriggerResult
    trigger_id: str
    error: str | None = None


class SavepointState(StrEnum):
    """Progress of a triggered savepoint (or of the savepoint of a stop-with-savepoint)."""

    UNKNOWN = "UNKNOWN"  # no such trigger for this job
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    UNREACHABLE = "UNREACHABLE"  # the runtime does not answer; ask again later


@dataclass(frozen=True)
class SavepointStatus:
    """One observation of a savepoint; ``location`` is set once COMPLETED."""

    trigger_id: str
    state: SavepointState
    location: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class CompletedCheckpoint:
    """A completed checkpoint or savepoint as the runtime reports it."""

    checkpoint_id: int
    location: str
    completed_at_ms: int
    is_savepoint: bool = False
    size_bytes: int = 0


@dataclass(frozen=True)
class CheckpointStats:
    """Counts and the latest checkpoints of a job (Flink ``GET /jobs/:id/checkpoints``)."""

    job_id: str
    completed: int = 0
    failed: int = 0
    in_progress: int = 0
    restored: int = 0
    latest_completed: CompletedCheckpoint | None = None
    latest_savepoint: CompletedCheckpoint | None = None
    found: bool = True


class DisposeResult(StrEnum):
    """How a savepoint disposal was answered."""

    DISPOSED = "DISPOSED"
    IN_PROGRESS = "IN_PROGRESS"  # disposal runs in the runtime; ask again with the same location
    NOT_FOUND = "NOT_FOUND"  # nothing at that location (already disposed counts as success for callers)
    FAILED = "FAILED"


@dataclass(frozen=True)
class DisposeOutcome:
    """The answer to ``dispose_savepoint``."""

    result: DisposeResult
    location: str
    error: str | None = None


@runtime_checkable
class RuntimeAdapter(Protocol):
    """Runs jobs for the control plane: embedded job processes, a real Flink cluster, or a fake.

    Implementations must not block on a job: ``start``, ``stop`` and ``trigger_savepoint`` only
    submit; ``status``, ``savepoint_status`` and ``checkpoint_stats`` only read.
    """

    def start(self, spec: JobSpec) -> StartOutcome:
        """Submit a job (restoring from ``spec.restore`` if set); idempotent per ``spec.job_id``."""
        ...

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        """Stop a job; ``savepoint`` is required for ``StopMode.SAVEPOINT`` and ignored otherwise."""
        ...

    def trigger_savepoint(self, job_id: str, request: SavepointRequest) -> TriggerOutcome:
        """Take a savepoint of a running job, which keeps running; idempotent per trigger id."""
        ...

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        """Progress of a savepoint triggered by ``trigger_savepoint`` or ``stop``."""
        ...

    def status(self, job_id: str) -> JobStatus:
        """The job's current state (NOT_FOUND for an unknown id)."""
        ...

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        """Checkpoint counts and latest locations (``found=False`` for an unknown id)."""
        ...

    def dispose_savepoint(self, location: str) -> DisposeOutcome:
        """Delete a savepoint's data (a deleted snapshot); unknown locations are NOT_FOUND. A runtime that
        disposes asynchronously answers IN_PROGRESS; calling again with the same location reports progress."""
        ...

    def close(self) -> None:
        """Release the adapter's own resources (connections, supervisor threads) at shutdown."""
        ...


@runtime_checkable
class JobDisposer(Protocol):
    """An adapter that can delete what it keeps of an ended job (checkpoints, savepoints, logs, records)."""

    def dispose_job(self, job_id: str, keep: Collection[str] = ()) -> DisposeOutcome:
        """Delete an ended job's data (a deleted application) except the savepoints at the locations in
        ``keep`` (enhanced snapshots outlive their application); FAILED while it runs, NOT_FOUND if
        unknown."""
        ...
