"""Checkpoint coordinator rules (Flink's): when to trigger, expiry, failure counting, id allocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from stream_runtime.config import CheckpointConfig


class CheckpointFailureReason(Enum):
    """Why a checkpoint failed; ``counted`` says whether it counts towards the tolerable-failure limit."""

    IO_EXCEPTION = ("IO_EXCEPTION", True)
    CHECKPOINT_ASYNC_EXCEPTION = ("CHECKPOINT_ASYNC_EXCEPTION", True)
    CHECKPOINT_DECLINED = ("CHECKPOINT_DECLINED", True)
    CHECKPOINT_EXPIRED = ("CHECKPOINT_EXPIRED", True)
    CHECKPOINT_SUBSUMED = ("CHECKPOINT_SUBSUMED", False)
    JOB_FAILURE = ("JOB_FAILURE", False)
    CHECKPOINT_COORDINATOR_SHUTDOWN = ("CHECKPOINT_COORDINATOR_SHUTDOWN", False)

    def __init__(self, label: str, counted: bool) -> None:
        self.label = label
        self.counted = counted


class CheckpointStatus(Enum):
    """Lifecycle of one checkpoint in the statistics."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class FailureOutcome(Enum):
    """What the job must do after a checkpoint failure."""

    CONTINUE = "CONTINUE"
    FAIL_JOB = "FAIL_JOB"


class CheckpointFailureThresholdExceeded(RuntimeError):
    """Raised in the job when more consecutive counted checkpoint failures occurred than tolerated."""


@dataclass
class CheckpointStats:
    """Statistics of one checkpoint."""

    checkpoint_id: int
    trigger_timestamp_ms: int
    status: CheckpointStatus = CheckpointStatus.IN_PROGRESS
    duration_ms: int | None = None
    sync_duration_ms: int | None = None
    state_size: int = 0
    failure_reason: str | None = None
    is_savepoint: bool = False
    external_path: str | None = None  # location of a completed checkpoint or savepoint (Flink's name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (used in ``_checkpoint_stats.json`` and on the control channel)."""
        return {
            "id": self.checkpoint_id,
            "trigger_timestamp_ms": self.trigger_timestamp_ms,
            "status": self.status.value,
            "duration_ms": self.duration_ms,
            "sync_duration_ms": self.sync_duration_ms,
            "state_size": self.state_size,
            "failure_reason": self.failure_reason,
            "is_savepoint": self.is_savepoint,
            "external_path": self.external_path,
        }


@dataclass
class PendingCheckpoint:
    """A triggered checkpoint not yet completed or failed."""

    checkpoint_id: int
    trigger_time: float
    stats: CheckpointStats


@dataclass
class CheckpointCoordinator:
    """Decides when to trigger and how to treat failures; owns no I/O and reads time only from arguments."""

    config: CheckpointConfig
    last_checkpoint_id: int
    start_time: float
    pending: dict[int, PendingCheckpoint] = field(default_factory=dict)
    consecutive_failures: int = 0
    last_trigger_time: float | None = None
    last_completion_time: float | None = None
    latest_completed_id: int = 0
    history: list[CheckpointStats] = field(default_factory=list)

    def should_trigger(self, now: float) -> bool:
        """Interval elapsed, min pause respected, fewer than max-concurrent in flight."""
        if not self.config.is_checkpointing_enabled():
            return False
        if len(self.pending) >= self.config.effective_max_concurrent():
            return False
        interval = self.config.checkpoint_interval_ms / 1000
        reference = self.start_time if self.last_trigger_time is None else self.last_trigger_time
        if now - reference < interval:
            return False
        min_pause = self.config.min_pause_between_checkpoints_ms / 1000
        return not (
            min_pause
            and self.last_completion_time is not None
            and now - self.last_completion_time < min_pause
        )

    def trigger(self, now: float, wall_ms: int) -> PendingCheckpoint:
        """Allocate the next id (strictly greater than any id used before, across restarts)."""
        self.last_checkpoint_id += 1
        stats = CheckpointStats(self.last_checkpoint_id, wall_ms)
        pending = PendingCheckpoint(self.last_checkpoint_id, now, stats)
        self.pending[pending.checkpoint_id] = pending
        self.last_trigger_time = now
        self.history.append(stats)
        return pending

    def allocate_savepoint(self, wall_ms: int) -> CheckpointStats:
        """Next id for a savepoint (tracked by the caller: never pending, never a counted failure)."""
        self.last_checkpoint_id += 1
        stats = CheckpointStats(self.last_checkpoint_id, wall_ms, is_savepoint=True)
        self.history.append(stats)
        return stats

    def expired(self, now: float) -> list[int]:
        """Ids of pending checkpoints older than the timeout."""
        timeout = self.config.checkpoint_timeout_ms / 1000
        return [cid for cid, p in self.pending.items() if now - p.trigger_time > timeout]

    def complete(self, checkpoint_id: int, now: float, state_size: int) -> CheckpointStats | None:
        """Record a completion; ``None`` if the checkpoint was already failed (late result is discarded)."""
        pending = self.pending.pop(checkpoint_id, None)
        if pending is None:
            return None
        pending.stats.status = CheckpointStatus.COMPLETED
        pending.stats.duration_ms = int((now - pending.trigger_time) * 1000)
        pending.stats.state_size = state_size
        self.consecutive_failures = 0
        self.last_completion_time = now
        self.latest_completed_id = max(self.latest_completed_id, checkpoint_id)
        return pending.stats

    def fail(
        self, checkpoint_id: int, now: float, reason: CheckpointFailureReason, message: str
    ) -> tuple[CheckpointStats | None, FailureOutcome]:
        """Record a failure; counted reasons for ids newer than the last success increase the counter."""
        pending = self.pending.pop(checkpoint_id, None)
        if pending is None:
            return None, FailureOutcome.CONTINUE
        pending.stats.status = CheckpointStatus.FAILED
        pending.stats.duration_ms = int((now - pending.trigger_time) * 1000)
        pending.stats.failure_reason = f"{reason.label}: {message}"
        self.last_completion_time = now
        if reason.counted and checkpoint_id > self.latest_completed_id:
            self.consecutive_failures += 1
            if self.consecutive_failures > self.config.tolerable_checkpoint_failure_number:
                return pending.stats, FailureOutcome.FAIL_JOB
        return pending.stats, FailureOutcome.CONTINUE
