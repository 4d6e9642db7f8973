"""Flink REST replies read into the adapter's terms: job states, savepoint results, checkpoints."""

from __future__ import annotations

from typing import Any

from runtime_adapter.base import CompletedCheckpoint, JobState, SavepointState, SavepointStatus
from runtime_adapter.flink.rest import error_text

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
