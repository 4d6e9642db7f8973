"""Observe: ask the runtime about each application's job and record the answer; never act."""

from __future__ import annotations

from app.db.deployments import DeploymentRow
from runtime_adapter.base import JobState, RuntimeAdapter, SavepointState


class Observer:
    """Records what the runtime reports for a deployment's job, savepoint and latest checkpoint."""

    def __init__(self, adapter: RuntimeAdapter) -> None:
        self.adapter = adapter

    def observe(self, deployment: DeploymentRow) -> None:
        """Refresh the ``observed_*`` fields (and the latest checkpoint) of ``deployment``."""
        if deployment.job_id is None:
            deployment.observed_job_state = None
            deployment.observed_error = None
        else:
            status = self.adapter.status(deployment.job_id)
            deployment.observed_job_state = status.state.value
            deployment.observed_error = status.error
            if status.state in (JobState.RUNNING, JobState.RESTARTING):
                stats = self.adapter.checkpoint_stats(deployment.job_id)
                if stats.latest_completed is not None:
                    deployment.latest_checkpoint = stats.latest_completed.location
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
