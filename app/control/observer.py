"""Observe: the only reader of the runtime. It asks about each application's job and records the answer.

What it records: the job's state and error, the latest completed checkpoint (also of a job the runtime
lost, so a resubmission restores from it), the savepoint of a stop in progress, and the outcome of the
savepoints behind snapshot rows (a completed one makes the row READY with its location, a failed one
FAILED). It never acts: whatever needs doing is the reconcilers' decision on what was recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from api_models.models import SnapshotStatus
from app.db.deployments import DeploymentRow
from app.db.models import SnapshotRow
from runtime_adapter.base import JobState, RuntimeAdapter, SavepointState

logger = logging.getLogger("msf_local.control")

_CHECKPOINTS_OF = (JobState.RUNNING, JobState.RESTARTING, JobState.NOT_FOUND)


def snapshot_trigger_id(row: SnapshotRow) -> str:
    """The savepoint trigger id of a snapshot row: derived from the row, so the row is the intent."""
    return f"snapshot-{row.id}"


@dataclass
class Observation:
    """What one observation saw beyond what it recorded: snapshot rows whose savepoint nobody triggered."""

    untriggered_snapshots: set[int] = field(default_factory=set)


class Observer:
    """Records what the runtime reports for a deployment's job, its savepoints and its latest checkpoint."""

    def __init__(self, adapter: RuntimeAdapter) -> None:
        self.adapter = adapter

    def observe(self, deployment: DeploymentRow, snapshots: Sequence[SnapshotRow] = ()) -> Observation:
        """Refresh the ``observed_*`` fields and latest checkpoint of ``deployment`` and its snapshot rows."""
        self._job(deployment)
        self._stop_savepoint(deployment)
        return self._snapshots(deployment, snapshots)

    def _job(self, deployment: DeploymentRow) -> None:
        if deployment.job_id is None:
            deployment.observed_job_state = None
            deployment.observed_error = None
            return
        status = self.adapter.status(deployment.job_id)
        deployment.observed_job_state = status.state.value
        deployment.observed_error = status.error
        if status.state in _CHECKPOINTS_OF:
            stats = self.adapter.checkpoint_stats(deployment.job_id)
            if stats.latest_completed is not None:
                deployment.latest_checkpoint = stats.latest_completed.location

    def _stop_savepoint(self, deployment: DeploymentRow) -> None:
        if deployment.job_id is None or deployment.trigger_id is None:
            deployment.observed_savepoint_state = None
            deployment.observed_savepoint_location = None
            deployment.observed_savepoint_error = None
            return
        savepoint = self.adapter.savepoint_status(deployment.job_id, deployment.trigger_id)
        deployment.observed_savepoint_state = savepoint.state.value
        deployment.observed_savepoint_location = (
            savepoint.location if savepoint.state is SavepointState.COMPLETED else None
        )
        deployment.observed_savepoint_error = savepoint.error

    def _snapshots(self, deployment: DeploymentRow, snapshots: Sequence[SnapshotRow]) -> Observation:
        observation = Observation()
        if deployment.job_id is None:
            return observation
        for row in snapshots:
            if row.status != SnapshotStatus.CREATING:
                continue
            savepoint = self.adapter.savepoint_status(deployment.job_id, snapshot_trigger_id(row))
            if savepoint.state is SavepointState.UNKNOWN:
                observation.untriggered_snapshots.add(row.id)
            elif savepoint.state is SavepointState.COMPLETED:
                row.savepoint_location = savepoint.location
                row.status = SnapshotStatus.READY.value
            elif savepoint.state is SavepointState.FAILED:
                logger.info("snapshot %s failed: %s", row.snapshot_name, savepoint.error)
                row.status = SnapshotStatus.FAILED.value
        return observation
