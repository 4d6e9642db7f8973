"""A scriptable, in-memory ``RuntimeAdapter`` for control-plane tests.

Jobs move only when told to: with ``auto_advance`` (the default) a pending transition (STARTING →
RUNNING, STOPPING → FINISHED/CANCELED, a savepoint IN_PROGRESS → COMPLETED) settles at the next
poll of ``status`` / ``savepoint_status``; with ``auto_advance=False`` it settles only on
``advance()``, so a test can look at every intermediate state. Failures are scripted per call:

    fake.reject_next_start("ProgramInvocationException: ...")   # start() answers REJECTED
    fake.fail_next_start("ImportError: no module named x")      # accepted, then FAILED while starting
    fake.fail_next_savepoint("Checkpoint expired")              # next savepoint (trigger or stop) FAILED
    fake.reject_next_stop("...")                                # stop() answers REJECTED
    fake.crash(job_id, "TaskManager lost")                      # a running job dies
    fake.fail_next_dispose("OSError: storage unavailable")       # next dispose_job FAILED
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from runtime_adapter.base import (
    CheckpointStats,
    CompletedCheckpoint,
    DisposeOutcome,
    DisposeResult,
    JobSpec,
    JobState,
    JobStatus,
    SavepointRequest,
    SavepointState,
    SavepointStatus,
    StartOutcome,
    StartResult,
    StopMode,
    StopOutcome,
    StopResult,
    TriggerOutcome,
    TriggerResult,
)


class _Pending(StrEnum):
    START = "START"
    STOP = "STOP"


@dataclass
class _Savepoint:
    trigger_id: str
    location: str
    state: SavepointState = SavepointState.IN_PROGRESS
    error: str | None = None
    for_stop: StopMode | None = None


@dataclass
class FakeJob:
    """A job as the fake runtime holds it; tests may read it (``fake.jobs[job_id]``)."""

    spec: JobSpec
    state: JobState = JobState.STARTING
    error: str | None = None
    pending: _Pending | None = _Pending.START
    start_error: str | None = None
    stop_mode: StopMode | None = None
    savepoints: dict[str, _Savepoint] = field(default_factory=dict)
    checkpoints: list[CompletedCheckpoint] = field(default_factory=list)
    failed_checkpoints: int = 0
    restarts: int = 0


class FakeRuntimeAdapter:
    """An in-memory runtime whose outcomes tests script call by call; records every call in ``calls``."""

    def __init__(self, *, auto_advance: bool = True) -> None:
        self.auto_advance = auto_advance
        self.jobs: dict[str, FakeJob] = {}
        self.lost: dict[str, FakeJob] = {}
        self.savepoints: set[str] = set()
        self.incompatible_savepoints: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.closed = False
        self._start_rejections: deque[str] = deque()
        self._start_failures: deque[str] = deque()
        self._savepoint_failures: deque[str] = deque()
        self._stop_rejections: deque[str] = deque()
        self._dispose_failures: deque[str] = deque()
        self.disposed: list[str] = []
        self._lock = threading.RLock()

    # ---- scripting -------------------------------------------------------------------------

    def reject_next_start(self, error: str) -> None:
        """The next ``start`` is refused at submission with ``error``."""
        self._start_rejections.append(error)

    def fail_next_start(self, error: str) -> None:
        """The next ``start`` is accepted, then the job fails while starting with ``error``."""
        self._start_failures.append(error)

    def fail_next_savepoint(self, error: str) -> None:
        """The next savepoint (trigger or stop-with-savepoint) fails; a stopping job keeps running."""
        self._savepoint_failures.append(error)

    def reject_next_stop(self, error: str) -> None:
        """The next ``stop`` is refused with ``error``."""
        self._stop_rejections.append(error)

    def fail_next_dispose(self, error: str) -> None:
        """The next ``dispose_job`` of an ended job fails with ``error``."""
        self._dispose_failures.append(error)

    def crash(self, job_id: str, error: str) -> None:
        """The job dies now: FAILED with ``error``."""
        with self._lock:
            job = self.jobs[job_id]
            job.state, job.error, job.pending = JobState.FAILED, error, None

    def restart(self, job_id: str) -> None:
        """The job fails and its restart strategy restarts it: RESTARTING until the next advance."""
        with self._lock:
            job = self.jobs[job_id]
            job.state, job.pending, job.restarts = JobState.RESTARTING, _Pending.START, job.restarts + 1

    def lose(self, job_id: str) -> None:
        """The runtime forgets the job (e.g. it restarted): NOT_FOUND, but its checkpoints are retained."""
        with self._lock:
            self.lost[job_id] = self.jobs.pop(job_id)

    def finish(self, job_id: str) -> None:
        """A bounded job ends normally: FINISHED."""
        with self._lock:
            job = self.jobs[job_id]
            job.state, job.pending = JobState.FINISHED, None

    def complete_checkpoint(self, job_id: str, location: str | None = None) -> CompletedCheckpoint:
        """Record a completed periodic checkpoint of a running job."""
        with self._lock:
            job = self.jobs[job_id]
            number = len(job.checkpoints) + 1
            checkpoint = CompletedCheckpoint(
                checkpoint_id=number,
                location=location
                or f"{job.spec.checkpoint_dir or 'fake://checkpoints'}/{job_id}/chk-{number}",
                completed_at_ms=number * 1000,
            )
            job.checkpoints.append(checkpoint)
            return checkpoint

    def add_savepoint(self, location: str, *, compatible: bool = True) -> None:
        """Make a savepoint exist (e.g. one taken before a restart); incompatible ones need
        ``allow_non_restored_state`` to restore."""
        with self._lock:
            self.savepoints.add(location)
            if not compatible:
                self.incompatible_savepoints.add(location)

    def advance(self) -> None:
        """Settle every pending transition of every job and savepoint."""
        with self._lock:
            for job in self.jobs.values():
                self._settle(job)

    # ---- RuntimeAdapter --------------------------------------------------------------------

    def start(self, spec: JobSpec) -> StartOutcome:
        with self._lock:
            self.calls.append(("start", spec.job_id))
            if spec.job_id in self.jobs:
                return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
            if self._start_rejections:
                return StartOutcome(StartResult.REJECTED, spec.job_id, self._start_rejections.popleft())
            job = FakeJob(spec=spec)
            if self._start_failures:
                job.start_error = self._start_failures.popleft()
            elif spec.restore is not None:
                job.start_error = self._restore_error(spec)
            self.jobs[spec.job_id] = job
            return StartOutcome(StartResult.STARTED, spec.job_id)

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        with self._lock:
            self.calls.append((f"stop:{mode.value}", job_id))
            job = self.jobs.get(job_id)
            if job is None:
                return StopOutcome(StopResult.NOT_FOUND, job_id)
            if job.state.is_terminal:
                return StopOutcome(StopResult.NOT_RUNNING, job_id)
            if self._stop_rejections:
                return StopOutcome(StopResult.REJECTED, job_id, error=self._stop_rejections.popleft())
            if mode is StopMode.SAVEPOINT:
                if savepoint is None:
                    raise ValueError("stop with StopMode.SAVEPOINT needs a SavepointRequest")
                if job.state is not JobState.RUNNING:
                    return StopOutcome(
                        StopResult.REJECTED, job_id, error=f"Job {job_id} is {job.state.value}, not RUNNING"
                    )
                self._new_savepoint(job, savepoint, for_stop=mode)
                job.state, job.pending, job.stop_mode = JobState.STOPPING, _Pending.STOP, mode
                return StopOutcome(StopResult.ACCEPTED, job_id, trigger_id=savepoint.trigger_id)
            for pending in job.savepoints.values():
                if pending.state is SavepointState.IN_PROGRESS:  # cancelling aborts a savepoint in flight
                    pending.state, pending.error, pending.for_stop = (
                        SavepointState.FAILED,
                        "Job was cancelled",
                        None,
                    )
            job.state, job.pending, job.stop_mode = JobState.STOPPING, _Pending.STOP, mode
            if mode is StopMode.FORCE:
                self._settle(job)
            return StopOutcome(StopResult.ACCEPTED, job_id)

    def trigger_savepoint(self, job_id: str, request: SavepointRequest) -> TriggerOutcome:
        with self._lock:
            self.calls.append(("trigger_savepoint", job_id))
            job = self.jobs.get(job_id)
            if job is not None and request.trigger_id in job.savepoints:
                return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)
            if job is None or job.state is not JobState.RUNNING:
                return TriggerOutcome(TriggerResult.NOT_RUNNING, request.trigger_id)
            self._new_savepoint(job, request, for_stop=None)
            return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        with self._lock:
            job = self.jobs.get(job_id)
            savepoint = job.savepoints.get(trigger_id) if job is not None else None
            if job is None or savepoint is None:
                return SavepointStatus(trigger_id, SavepointState.UNKNOWN)
            if self.auto_advance:
                self._settle(job)
            location = savepoint.location if savepoint.state is SavepointState.COMPLETED else None
            return SavepointStatus(trigger_id, savepoint.state, location, savepoint.error)

    def status(self, job_id: str) -> JobStatus:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return JobStatus(job_id, JobState.NOT_FOUND)
            if self.auto_advance:
                self._settle(job)
            restored = (
                job.spec.restore.location if job.spec.restore and job.state is JobState.RUNNING else None
            )
            return JobStatus(job_id, job.state, job.error, job.restarts, restored)

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        with self._lock:
            job = self.jobs.get(job_id) or self.lost.get(job_id)
            if job is None:
                return CheckpointStats(job_id, found=False)
            savepoints = [
                CompletedCheckpoint(0, s.location, 0, is_savepoint=True)
                for s in job.savepoints.values()
                if s.state is SavepointState.COMPLETED
            ]
            return CheckpointStats(
                job_id,
                completed=len(job.checkpoints) + len(savepoints),
                failed=job.failed_checkpoints,
                restored=1 if job.spec.restore else 0,
                latest_completed=job.checkpoints[-1] if job.checkpoints else None,
                latest_savepoint=savepoints[-1] if savepoints else None,
            )

    def dispose_savepoint(self, location: str) -> DisposeOutcome:
        with self._lock:
            self.calls.append(("dispose_savepoint", location))
            if location not in self.savepoints:
                return DisposeOutcome(DisposeResult.NOT_FOUND, location)
            self.savepoints.discard(location)
            self.incompatible_savepoints.discard(location)
            return DisposeOutcome(DisposeResult.DISPOSED, location)

    def dispose_job(self, job_id: str, keep: Collection[str] = ()) -> DisposeOutcome:
        """Forget an ended job and the savepoints it took (but those in ``keep``); ``disposed`` lists it."""
        with self._lock:
            self.calls.append(("dispose_job", job_id))
            job = self.jobs.get(job_id) or self.lost.get(job_id)
            if job is None:
                return DisposeOutcome(DisposeResult.NOT_FOUND, job_id)
            if job_id in self.jobs and not job.state.is_terminal:
                return DisposeOutcome(DisposeResult.FAILED, job_id, f"Job {job_id} is still running.")
            if self._dispose_failures:
                return DisposeOutcome(DisposeResult.FAILED, job_id, self._dispose_failures.popleft())
            self.savepoints -= {savepoint.location for savepoint in job.savepoints.values()} - set(keep)
            self.jobs.pop(job_id, None)
            self.lost.pop(job_id, None)
            self.disposed.append(job_id)
            return DisposeOutcome(DisposeResult.DISPOSED, job_id)

    def close(self) -> None:
        self.closed = True

    # ---- internals -------------------------------------------------------------------------

    def _restore_error(self, spec: JobSpec) -> str | None:
        assert spec.restore is not None
        location = spec.restore.location
        if location not in self.savepoints:
            return (
                "java.io.FileNotFoundException: Cannot find checkpoint or savepoint "
                f"file/directory '{location}'"
            )
        if location in self.incompatible_savepoints and not spec.restore.allow_non_restored_state:
            return (
                f"java.lang.IllegalStateException: Failed to rollback to checkpoint/savepoint {location}. "
                "Cannot map checkpoint/savepoint state for operator to the new program, because the "
                "operator is not available in the new program. If you want to allow to skip this, you "
                "can set the --allowNonRestoredState option on the CLI."
            )
        return None

    def _new_savepoint(self, job: FakeJob, request: SavepointRequest, for_stop: StopMode | None) -> None:
        location = f"{request.target_dir.rstrip('/')}/savepoint-{job.spec.job_id[:6]}-{request.trigger_id}"
        savepoint = _Savepoint(request.trigger_id, location, for_stop=for_stop)
        if self._savepoint_failures:
            savepoint.error = self._savepoint_failures.popleft()
        job.savepoints[request.trigger_id] = savepoint

    def _settle(self, job: FakeJob) -> None:
        for savepoint in job.savepoints.values():
            if savepoint.state is SavepointState.IN_PROGRESS:
                self._settle_savepoint(job, savepoint)
        if job.pending is _Pending.START:
            if job.start_error is not None:
                job.state, job.error = JobState.FAILED, job.start_error
            else:
                job.state = JobState.RUNNING
            job.pending = None
        elif job.pending is _Pending.STOP and job.stop_mode is not StopMode.SAVEPOINT:
            job.state, job.pending = JobState.CANCELED, None

    def _settle_savepoint(self, job: FakeJob, savepoint: _Savepoint) -> None:
        if savepoint.error is not None:
            savepoint.state = SavepointState.FAILED
            job.failed_checkpoints += 1
            if savepoint.for_stop is not None:
                job.state, job.pending, job.stop_mode = JobState.RUNNING, None, None
            return
        savepoint.state = SavepointState.COMPLETED
        self.savepoints.add(savepoint.location)
        if savepoint.for_stop is not None:
            job.state, job.pending = JobState.FINISHED, None
