"""The default runtime: each job is a ``stream_runtime`` process watched by a ``Supervisor``.

The supervisor restarts a failed job from its latest completed checkpoint per the restart strategy,
and takes savepoints on request (trigger, stop-with-savepoint; idempotent per request id); this
adapter only translates. Cancellation waits for the job process, so it runs on a worker thread and
``stop`` returns at once.
Closing the adapter ends every job it supervises: jobs never outlive their supervisor, and the control
loop resubmits them from their latest checkpoint after a restart. For that, each job's checkpoint
location is remembered under ``<root>/jobs/<job id>.json``, so ``checkpoint_stats`` still answers
(from storage) for a job that a previous control-plane process ran.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime_adapter.base import (
    CheckpointStats,
    CodeLanguage,
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
from stream_runtime.config import RuntimeOverrides
from stream_runtime.process import model as supervision
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.locations import dispose_savepoint, open_storage

FORCE_TIMEOUT_S = 0.0
CLOSE_TIMEOUT_S = 10.0

SupervisorFactory = Callable[[supervision.JobProcessSpec, str], Supervisor]


def _supervisor(spec: supervision.JobProcessSpec, log_dir: str) -> Supervisor:
    return Supervisor(spec, python=sys.executable, log_dir=log_dir)


@dataclass
class _Job:
    supervisor: Supervisor
    restore: str | None
    stopping: bool = False
    stop_trigger: str | None = None
    stoppers: list[threading.Thread] = field(default_factory=list)
    savepoint_dirs: set[str] = field(default_factory=set)


class EmbeddedRuntimeAdapter:
    """``RuntimeAdapter`` over ``stream_runtime``'s supervisor: one process per job, on this machine."""

    def __init__(
        self, root: Path, *, supervisor: SupervisorFactory = _supervisor, cancel_timeout_s: float = 30.0
    ) -> None:
        self.root = root
        self.cancel_timeout_s = cancel_timeout_s
        self._make_supervisor = supervisor
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def start(self, spec: JobSpec) -> StartOutcome:
        with self._lock:
            if spec.job_id in self._jobs:
                return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
            if spec.code.language is not CodeLanguage.PYTHON:
                return StartOutcome(
                    StartResult.REJECTED, spec.job_id, "The embedded runtime runs Python jobs only"
                )
            if not spec.code.entry_path.is_file():
                return StartOutcome(
                    StartResult.REJECTED, spec.job_id, f"Entry file {spec.code.entry} not found"
                )
            job_spec = supervision.JobProcessSpec(
                job_file=str(spec.code.entry_path),
                job_id=spec.job_id,
                checkpoint_dir=spec.checkpoint_dir or str(self.root / "checkpoints"),
                overrides=RuntimeOverrides(
                    checkpointing_enabled=spec.checkpoints.enabled if spec.checkpoints else None,
                    checkpoint_interval_ms=spec.checkpoints.interval_ms if spec.checkpoints else None,
                    min_pause_between_checkpoints_ms=spec.checkpoints.min_pause_ms
                    if spec.checkpoints
                    else None,
                    parallelism=spec.parallelism,
                ),
                restore_path=spec.restore.location if spec.restore else None,
                allow_non_restored_state=spec.restore.allow_non_restored_state if spec.restore else False,
                properties_file=str(spec.properties_file) if spec.properties_file else None,
                env=dict(spec.environment),
                cwd=str(spec.code.root),
            )
            try:
                supervisor = self._make_supervisor(job_spec, str(self.root / "logs"))
                supervisor.start()
            except OSError as error:
                return StartOutcome(
                    StartResult.REJECTED, spec.job_id, f"The job could not be launched: {error}"
                )
            self._jobs[spec.job_id] = _Job(supervisor, job_spec.restore_path)
            self._remember(job_spec)
            return StartOutcome(StartResult.STARTED, spec.job_id)

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return StopOutcome(StopResult.NOT_FOUND, job_id)
            if job.supervisor.status.is_terminal:
                return StopOutcome(StopResult.NOT_RUNNING, job_id)
            if mode is StopMode.SAVEPOINT:
                if savepoint is None:
                    raise ValueError("stop with StopMode.SAVEPOINT needs a SavepointRequest")
                job.savepoint_dirs.add(savepoint.target_dir)
                outcome = job.supervisor.stop_with_savepoint(
                    savepoint.target_dir, request_id=savepoint.trigger_id
                )
                if outcome.state is supervision.SavepointProgress.FAILED:
                    return StopOutcome(StopResult.REJECTED, job_id, error=outcome.error)
                job.stop_trigger = savepoint.trigger_id
                return StopOutcome(StopResult.ACCEPTED, job_id, trigger_id=savepoint.trigger_id)
            timeout = FORCE_TIMEOUT_S if mode is StopMode.FORCE else self.cancel_timeout_s
            stopper = threading.Thread(
                target=job.supervisor.cancel, args=(timeout,), name=f"stop-{job_id}", daemon=True
            )
            job.stopping = True
            job.stoppers.append(stopper)
            stopper.start()
            return StopOutcome(StopResult.ACCEPTED, job_id)

    def trigger_savepoint(self, job_id: str, request: SavepointRequest) -> TriggerOutcome:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            return TriggerOutcome(TriggerResult.NOT_RUNNING, request.trigger_id)
        job.savepoint_dirs.add(request.target_dir)
        known = job.supervisor.savepoint(request.trigger_id)
        if known is None and self.status(job_id).state is not JobState.RUNNING:
            return TriggerOutcome(TriggerResult.NOT_RUNNING, request.trigger_id)
        outcome = job.supervisor.trigger_savepoint(request.target_dir, request_id=request.trigger_id)
        if known is None and outcome.state is supervision.SavepointProgress.FAILED:
            return TriggerOutcome(TriggerResult.REJECTED, request.trigger_id, outcome.error)
        return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        with self._lock:
            job = self._jobs.get(job_id)
        outcome = job.supervisor.savepoint(trigger_id) if job is not None else None
        if outcome is None:
            return SavepointStatus(trigger_id, SavepointState.UNKNOWN)
        state = SavepointState(outcome.state.value)
        location = outcome.location if state is SavepointState.COMPLETED else None
        return SavepointStatus(trigger_id, state, location, outcome.error)

    def status(self, job_id: str) -> JobStatus:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            return JobStatus(job_id, JobState.NOT_FOUND)
        supervisor = job.supervisor
        observed = supervisor.status
        states = {
            supervision.JobProcessStatus.CREATED: JobState.STARTING,
            supervision.JobProcessStatus.RESTARTING: JobState.RESTARTING,
            supervision.JobProcessStatus.FAILED: JobState.FAILED,
            supervision.JobProcessStatus.FINISHED: JobState.FINISHED,
            supervision.JobProcessStatus.CANCELED: JobState.CANCELED,
        }
        if observed is supervision.JobProcessStatus.RUNNING:
            state = JobState.RUNNING if supervisor.processing.is_set() else JobState.STARTING
        else:
            state = states[observed]
        if not state.is_terminal and (job.stopping or self._stopping_with_savepoint(job)):
            state = JobState.STOPPING
        error = supervisor.failure_cause if state is JobState.FAILED else None
        restored = job.restore if state is JobState.RUNNING else None
        return JobStatus(job_id, state, error, supervisor.restart_count, restored)

    @staticmethod
    def _stopping_with_savepoint(job: _Job) -> bool:
        if job.stop_trigger is None:
            return False
        outcome = job.supervisor.savepoint(job.stop_trigger)
        return outcome is not None and outcome.state is supervision.SavepointProgress.IN_PROGRESS

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            supervisor = job.supervisor
            return self._stats(
                job_id, supervisor.checkpoint_stats(), supervisor.latest_checkpoint_path(), job.restore
            )
        remembered = self._remembered(job_id)
        checkpoint_dir = remembered.get("checkpoint_dir") if remembered else None
        if remembered is None or checkpoint_dir is None:
            return CheckpointStats(job_id, found=False)
        layout = CheckpointLayout(open_storage(checkpoint_dir), job_id)
        ref = layout.latest_completed()
        location = None if ref is None else layout.storage.describe(ref.directory)
        return self._stats(job_id, layout.read_stats(), location, remembered.get("restore"))

    def _remember(self, spec: supervision.JobProcessSpec) -> None:
        index = self.root / "jobs"
        index.mkdir(parents=True, exist_ok=True)
        record = {"checkpoint_dir": spec.checkpoint_dir, "restore": spec.restore_path}
        (index / f"{spec.job_id}.json").write_text(json.dumps(record))

    def _remembered(self, job_id: str) -> dict[str, str | None] | None:
        path = self.root / "jobs" / f"{job_id}.json"
        if "/" in job_id or not path.is_file():
            return None
        record: dict[str, str | None] = json.loads(path.read_text())
        return record

    @staticmethod
    def _stats(
        job_id: str, history: list[dict[str, Any]], location: str | None, restore: str | None
    ) -> CheckpointStats:
        completed = [entry for entry in history if entry.get("status") == "COMPLETED"]
        latest: CompletedCheckpoint | None = None
        if completed and location is not None:
            newest = completed[-1]
            latest = CompletedCheckpoint(
                checkpoint_id=int(newest["id"]),
                location=location,
                completed_at_ms=int(newest["trigger_timestamp_ms"]) + int(newest.get("duration_ms") or 0),
                is_savepoint=bool(newest.get("is_savepoint", False)),
                size_bytes=int(newest.get("state_size") or 0),
            )
        return CheckpointStats(
            job_id,
            completed=len(completed),
            failed=sum(1 for entry in history if entry.get("status") == "FAILED"),
            in_progress=sum(1 for entry in history if entry.get("status") == "IN_PROGRESS"),
            restored=1 if restore else 0,
            latest_completed=latest,
        )

    def dispose_savepoint(self, location: str) -> DisposeOutcome:
        environment = self._environment_for(location)
        try:
            if dispose_savepoint(location, environment):
                return DisposeOutcome(DisposeResult.DISPOSED, location)
            if open_storage(location, environment).folder_exists(""):
                return DisposeOutcome(
                    DisposeResult.FAILED, location, f"{location} is not a savepoint directory"
                )
        except (OSError, ValueError) as error:  # StorageError is an OSError
            return DisposeOutcome(DisposeResult.FAILED, location, f"{type(error).__name__}: {error}")
        return DisposeOutcome(DisposeResult.NOT_FOUND, location)

    def _environment_for(self, location: str) -> dict[str, str]:
        """The environment of the job whose savepoint or checkpoint root holds ``location`` (its S3 endpoint
        and credentials), over this process's."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            spec = job.supervisor.spec
            roots = {
                spec.checkpoint_dir,
                *job.savepoint_dirs,
                *([spec.savepoint_dir] if spec.savepoint_dir else []),
            }
            if any(location.startswith(root.rstrip("/") + "/") for root in roots):
                return {**os.environ, **spec.env}
        return dict(os.environ)

    def close(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if not job.supervisor.status.is_terminal:
                job.supervisor.cancel(FORCE_TIMEOUT_S)
            job.supervisor.wait(CLOSE_TIMEOUT_S)
            for stopper in job.stoppers:
                stopper.join(CLOSE_TIMEOUT_S)
