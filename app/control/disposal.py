"""A deleted application leaves a clean disk: once its job has ended, what it ran is disposed of.

For every job the application ran (one folder each under ``<data dir>/state/<application id>/jobs/``)
the runtime deletes what it keeps (``JobDisposer.dispose_job``: checkpoints, the savepoints the job took,
its log files, its registry entry), except the savepoints that enhanced snapshots still reference: those
outlive their application. Then the application's folder goes (checkpoints, snapshots' savepoints, job
folders). Nothing of this blocks DeleteApplication: the control loop does it, one step per tick, and a
runtime that cannot dispose of a job yet (still running, storage refusing) is asked again on the next
tick — until ``give_up_after``, when the rest is left on disk with a warning.
"""

from __future__ import annotations

import logging

from app.control.jobs import JobPlanner
from app.db.control_repository import ControlRepository
from app.db.deployments import DeploymentRow
from runtime_adapter.base import DisposeResult, JobDisposer, RuntimeAdapter

logger = logging.getLogger("msf_local.control")


def dispose_application(
    repository: ControlRepository, adapter: RuntimeAdapter, planner: JobPlanner, deployment: DeploymentRow
) -> bool:
    """Dispose of the deleted application's jobs and folder; False if a job must be asked again later."""
    keep = repository.enhanced_savepoint_locations(deployment.account_id, deployment.region)
    for job_id in planner.job_ids(deployment.application_id):
        if not isinstance(adapter, JobDisposer):
            break  # a runtime that keeps nothing it could dispose of
        outcome = adapter.dispose_job(job_id, keep)
        if outcome.result is DisposeResult.FAILED:
            logger.info(
                "job %s of deleted application %s not disposed of yet: %s",
                job_id,
                deployment.application_name,
                outcome.error,
            )
            return False
    planner.discard_state(deployment.application_id)
    return True
