"""The default runtime: each job is a ``stream_runtime`` process watched by a ``Supervisor``.

The supervisor restarts a failed job from its latest completed checkpoint per the restart strategy,
and takes savepoints on request (trigger, stop-with-savepoint; idempotent per request id); this
adapter only translates. Cancellation waits for the job process, so it runs on a worker thread and
``stop`` returns at once.

What Flink's JobManager keeps in its HA store lives in a job registry under ``<root>/jobs/``
(:mod:`stream_runtime.process.registry`): each job's spec, process (pid and start time), state, savepoint
triggers and results. Job processes die with the process that supervises them (``kill -9`` included), so
an adapter created after a crash, over the same root, takes each job over when it is first asked about it:
it learns the savepoints that completed meanwhile and restarts the job from its latest checkpoint under
the same id — never a second process, since only the holder of the job's registry lock spawns one.
Closing the adapter (a graceful shutdown) cancels its jobs for good: the control loop resubmits them from
their latest checkpoint after a restart, and ``checkpoint_stats`` still answers for them from storage.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Collection
from dataclasses import dataclass, field, replace
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
from runtime_adapter.embedded_insight import supervisor_insight
from runtime_adapter.embedded_sandbox import SandboxSettings, prepare_workspace, remove_workspace
from runtime_adapter.insight import JobInsight
from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointProgress
from stream_runtime.process.registry import JobRecord, JobRegistry
from stream_runtime.process.supervisor import JobOwnedElsewhere, Supervisor
from stream_runtime.storage.layout import METADATA_FILE, CheckpointLayout
from stream_runtime.storage.locations import dispose_savepoint, open_storage
from stream_runtime.storage.metadata import CheckpointMetadata, MetadataError

FORCE_TIMEOUT_S = 0.0
CLOSE_TIMEOUT_S = 10.0
OWNED_ELSEWHERE = "The job is supervised by another live process on the same data directory."
ACTIVE_STATES = frozenset({JobState.STARTING, JobState.RUNNING, JobState.RESTARTING, JobState.STOPPING})

_STATES = {
    JobProcessStatus.CREATED: JobState.STARTING,
    JobProcessStatus.RUNNING: JobState.RUNNING,
    JobProcessStatus.RESTARTING: JobState.RESTARTING,
    JobProcessStatus.FAILED: JobState.FAILED,
    JobProcessStatus.FINISHED: JobState.FINISHED,
    JobProcessStatus.CANCELED: JobState.CANCELED,
}


@dataclass
class _Job:
    supervisor: Supervisor
    restore: str | None
    stopping: bool = False
    stop_trigger: str | None = None
    stoppers: list[threading.Thread] = field(default_factory=list)


class EmbeddedRuntimeAdapter:
    """``RuntimeAdapter`` over ``stream_runtime``'s supervisor: one process per job, on this machine."""

    def __init__(
        self, root: Path, *, cancel_timeout_s: float = 30.0, sandbox: SandboxSettings | None = None
    ) -> None:
        self.root = root
        self.cancel_timeout_s = cancel_timeout_s
        self.sandbox = sandbox or SandboxSettings()
        self.registry = JobRegistry(root / "jobs")
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def _supervisor(self, spec: JobProcessSpec) -> Supervisor:
        return Supervisor(
            spec, python=sys.executable, log_dir=str(self.root / "logs"), registry=self.registry
        )

    def _job(self, job_id: str) -> _Job | None:
        """The job this adapter supervises — taken over from the registry if its previous owner is gone."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job
            record = self._record(job_id)
            if record is None or record.ended_by_owner:
                return None
            supervisor = self._supervisor(record.spec)
            try:
                supervisor.recover()
            except JobOwnedElsewhere:
                return None
            job = _Job(supervisor, record.spec.restore_path)
            self._jobs[job_id] = job
            return job

    def _record(self, job_id: str) -> JobRecord | None:
        try:
            return self.registry.load(job_id)
        except ValueError:
            return None

    def start(self, spec: JobSpec) -> StartOutcome:
        if self._job(spec.job_id) is not None or self._owned_elsewhere(spec.job_id):
            return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
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
            try:
                workspace = prepare_workspace(self.root, spec, self.sandbox, self.root / "logs")
            except (OSError, ValueError) as error:
                return StartOutcome(
                    StartResult.REJECTED, spec.job_id, f"The job could not be launched: {error}"
                )
            job_spec = JobProcessSpec(
                job_file=workspace.job_file,
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
                properties_file=workspace.properties_file,
                env=dict(spec.environment),
                cwd=workspace.cwd,
                sandbox=workspace.sandbox,
            )
            try:
                supervisor = self._supervisor(job_spec)
                supervisor.start()
            except JobOwnedElsewhere:
                return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
            except (OSError, ValueError) as error:
                return StartOutcome(
                    StartResult.REJECTED, spec.job_id, f"The job could not be launched: {error}"
                )
            self._jobs[spec.job_id] = _Job(supervisor, job_spec.restore_path)
            return StartOutcome(StartResult.STARTED, spec.job_id)

    def _owned_elsewhere(self, job_id: str) -> bool:
        record = self._record(job_id)
        return record is not None and not record.ended_by_owner and not record.state.is_terminal

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        job = self._job(job_id)
        with self._lock:
            if job is None:
                if self._owned_elsewhere(job_id):
                    return StopOutcome(StopResult.REJECTED, job_id, error=OWNED_ELSEWHERE)
                return StopOutcome(StopResult.NOT_FOUND, job_id)
            if job.supervisor.status.is_terminal:
                return StopOutcome(StopResult.NOT_RUNNING, job_id)
            if mode is StopMode.SAVEPOINT:
                if savepoint is None:
                    raise ValueError("stop with StopMode.SAVEPOINT needs a SavepointRequest")
                outcome = job.supervisor.stop_with_savepoint(
                    savepoint.target_dir, request_id=savepoint.trigger_id
                )
                if outcome.state is SavepointProgress.FAILED:
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
        job = self._job(job_id)
        if job is None:
            return TriggerOutcome(TriggerResult.NOT_RUNNING, request.trigger_id)
        known = job.supervisor.savepoint(request.trigger_id)
        if known is None and self.status(job_id).state is not JobState.RUNNING:
            return TriggerOutcome(TriggerResult.NOT_RUNNING, request.trigger_id)
        outcome = job.supervisor.trigger_savepoint(request.target_dir, request_id=request.trigger_id)
        if known is None and outcome.state is SavepointProgress.FAILED:
            return TriggerOutcome(TriggerResult.REJECTED, request.trigger_id, outcome.error)
        return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        job = self._job(job_id)
        if job is not None:
            outcome = job.supervisor.savepoint(trigger_id)
        else:
            record = self._record(job_id)
            trigger = record.savepoints.get(trigger_id) if record is not None else None
            outcome = trigger.outcome if trigger is not None else None
        if outcome is None:
            return SavepointStatus(trigger_id, SavepointState.UNKNOWN)
        state = SavepointState(outcome.state.value)
        location = outcome.location if state is SavepointState.COMPLETED else None
        return SavepointStatus(trigger_id, state, location, outcome.error)

    def status(self, job_id: str) -> JobStatus:
        job = self._job(job_id)
        if job is None:
            record = self._record(job_id)
            if record is None or record.ended_by_owner:
                return JobStatus(job_id, JobState.NOT_FOUND)
            error = record.failure_cause if record.state is JobProcessStatus.FAILED else None
            return JobStatus(job_id, _STATES[record.state], error, record.restarts)
        supervisor = job.supervisor
        state = _STATES[supervisor.status]
        if state is JobState.RUNNING and not supervisor.processing.is_set():
            state = JobState.STARTING
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
        return outcome is not None and outcome.state is SavepointProgress.IN_PROGRESS

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            supervisor = job.supervisor
            return self._stats(
                job_id,
                supervisor.checkpoint_stats(),
                supervisor.latest_checkpoint_path(),
                job.restore,
                self._latest_savepoint(supervisor.completed_savepoints(), supervisor.spec.env),
            )
        record = self._record(job_id)
        if record is None:
            return CheckpointStats(job_id, found=False)
        spec = record.spec
        layout = CheckpointLayout(open_storage(spec.checkpoint_dir, {**os.environ, **spec.env}), job_id)
        ref = layout.latest_completed()
        location = None if ref is None else layout.storage.describe(ref.directory)
        latest_savepoint = self._latest_savepoint(record.completed_savepoints, spec.env)
        stats = self._stats(job_id, layout.read_stats(), location, spec.restore_path, latest_savepoint)
        listed = stats.latest_completed
        if (
            ref is None
            or location is None
            or (listed is not None and listed.checkpoint_id == ref.checkpoint_id)
        ):
            return stats
        # the checkpoint folders are the truth: the statistics file is written after a checkpoint's
        # _metadata, so a process killed in between leaves it a checkpoint (or all of them) behind
        latest = _completed(ref.metadata, location, is_savepoint=ref.metadata.is_savepoint)
        return replace(stats, completed=max(stats.completed, 1), latest_completed=latest)

    @staticmethod
    def _latest_savepoint(locations: list[str], env: dict[str, str]) -> CompletedCheckpoint | None:
        """The newest savepoint that still exists, from its ``_metadata``."""
        for location in reversed(locations):
            try:
                metadata = CheckpointMetadata.from_bytes(
                    open_storage(location, {**os.environ, **env}).read(METADATA_FILE)
                )
            except (OSError, ValueError, MetadataError):
                continue
            return _completed(metadata, location, is_savepoint=True)
        return None

    def insight(self, job_id: str) -> JobInsight | None:
        """Uptime, outages, restarts and causes, checkpoints, record counts and logs of a job."""
        with self._lock:
            job = self._jobs.get(job_id)
        return None if job is None else supervisor_insight(job.supervisor, self.root / "logs")

    @staticmethod
    def _stats(
        job_id: str,
        history: list[dict[str, Any]],
        location: str | None,
        restore: str | None,
        latest_savepoint: CompletedCheckpoint | None,
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
            latest_savepoint=latest_savepoint,
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
        """The environment of the job that wrote ``location`` (its S3 endpoint and credentials), over this
        process's: a savepoint it recorded, or anything under its checkpoint root."""
        for record in self._records():
            spec = record.spec
            written = {t.outcome.location or t.expected_location for t in record.savepoints.values()}
            if location in written or location.startswith(spec.checkpoint_dir.rstrip("/") + "/"):
                return {**os.environ, **spec.env}
        return dict(os.environ)

    def _records(self) -> list[JobRecord]:
        with self._lock:
            live = {job_id: job.supervisor.record() for job_id, job in self._jobs.items()}
        stored = [self._record(job_id) for job_id in self.registry.job_ids() if job_id not in live]
        return [*live.values(), *(record for record in stored if record is not None)]

    def dispose_job(self, job_id: str, keep: Collection[str] = ()) -> DisposeOutcome:
        """Delete what the runtime keeps of an ended job: its checkpoints, the savepoints it took (except
        those at a location in ``keep``), its logs and its registry entry (for a deleted application). A job
        that still runs is not touched (FAILED)."""
        if self.status(job_id).state in ACTIVE_STATES:
            return DisposeOutcome(DisposeResult.FAILED, job_id, f"Job {job_id} is still running.")
        record = self._record(job_id)
        if record is None:
            return DisposeOutcome(DisposeResult.NOT_FOUND, job_id)
        env = {**os.environ, **record.spec.env}
        kept = {location.rstrip("/") for location in keep}
        taken = {t.outcome.location.rstrip("/") for t in record.savepoints.values() if t.outcome.location}
        try:
            for location in sorted(taken - kept):
                dispose_savepoint(location, env)
            open_storage(record.spec.checkpoint_dir, env).delete_tree(job_id)
        except (OSError, ValueError) as error:
            return DisposeOutcome(DisposeResult.FAILED, job_id, f"{type(error).__name__}: {error}")
        for log in (self.root / "logs").glob(f"{job_id}-*.log"):  # attempts, CloudWatch Logs errors
            log.unlink(missing_ok=True)
        remove_workspace(self.root, job_id)
        with self._lock:
            self._jobs.pop(job_id, None)
        self.registry.remove(job_id)
        return DisposeOutcome(DisposeResult.DISPOSED, job_id)

    def close(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if not job.supervisor.status.is_terminal:
                job.supervisor.cancel(FORCE_TIMEOUT_S, by_owner=True)
            job.supervisor.wait(CLOSE_TIMEOUT_S)
            for stopper in job.stoppers:
                stopper.join(CLOSE_TIMEOUT_S)


def _completed(metadata: CheckpointMetadata, location: str, *, is_savepoint: bool) -> CompletedCheckpoint:
    """A checkpoint or savepoint at ``location`` as its ``_metadata`` describes it."""
    return CompletedCheckpoint(
        checkpoint_id=metadata.checkpoint_id,
        location=location,
        completed_at_ms=metadata.timestamp_ms,
        is_savepoint=is_savepoint,
        size_bytes=int(metadata.stats.get("state_size") or 0),
    )
