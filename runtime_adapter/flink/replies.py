"""Flink REST replies in the adapter's terms: job states, tasks, slots, savepoint results, checkpoints."""

from __future__ import annotations

from typing import Any

from runtime_adapter.base import CompletedCheckpoint, JobState, SavepointState, SavepointStatus
from runtime_adapter.flink.rest import Reply, error_text

JOB_STATES = {
    "INITIALIZING": JobState.STARTING,
    "CREATED": JobState.STARTING,
    "RECONCILING": JobState.STARTING,
    "RUNNING": JobState.RUNNING,
    "FAILING": JobState.RESTARTING,
    "RESTARTING": JobState.RESTARTING,
    "SUSPENDED": JobState.RESTARTING,
    "CANCELLING": JobState.STOPPING,
    "FINISHED": JobState.FINISHED,
    "CANCELED": JobState.CANCELED,
    "FAILED": JobState.FAILED,
}


def savepoint_result(trigger_id: str, body: dict[str, Any]) -> SavepointStatus:
    """A savepoint trigger's state from ``/jobs/:id/savepoints/:trigger`` (or a stop's)."""
    if (body.get("status") or {}).get("id") != "COMPLETED":
        return SavepointStatus(trigger_id, SavepointState.IN_PROGRESS)
    operation = body.get("operation") or {}
    cause = operation.get("failure-cause")
    if cause is not None:
        text = error_text(cause.get("stack-trace")) or str(cause.get("class", "The savepoint failed"))
        return SavepointStatus(trigger_id, SavepointState.FAILED, error=text)
    return SavepointStatus(trigger_id, SavepointState.COMPLETED, location=operation.get("location"))


def completed_checkpoint(
    entry: dict[str, Any] | None, *, is_savepoint: bool = False
) -> CompletedCheckpoint | None:
    """A checkpoint entry of ``/jobs/:id/checkpoints`` (None without an external path)."""
    if not entry or not entry.get("external_path"):
        return None
    return CompletedCheckpoint(
        checkpoint_id=int(entry.get("id", 0)),
        location=str(entry["external_path"]),
        completed_at_ms=int(entry.get("latest_ack_timestamp", 0)),
        is_savepoint=is_savepoint or bool(entry.get("is_savepoint", False)),
        size_bytes=int(entry.get("checkpointed_size") or entry.get("state_size") or 0),
    )


def all_running(overview: Reply, job_id: str) -> bool:
    """Whether ``/jobs/overview`` shows every task of the job running (or finished: a source subtask
    without a split finishes at once)."""
    for job in overview.body.get("jobs", []):
        if job.get("jid") == job_id:
            tasks = job.get("tasks", {})
            done = int(tasks.get("running", 0)) + int(tasks.get("finished", 0))
            return done >= int(tasks.get("total", 1))
    return False


def slot_shortage(overview: Reply, needed: int) -> str | None:
    """Why the cluster's ``/overview`` cannot take a job of parallelism ``needed`` (None: it can)."""
    free = int(overview.body.get("slots-available", 0))
    if overview.ok and free < needed:
        total = overview.body.get("slots-total", 0)
        return f"Not enough task slots: the job needs {needed}, {free} of {total} are free"
    return None


def restored_from(checkpoints: Reply) -> str | None:
    """The savepoint or checkpoint a job was restored from, from ``/jobs/:id/checkpoints``."""
    latest = checkpoints.body.get("latest") or {}
    path = (latest.get("restored") or {}).get("external_path")
    return str(path) if path else None
