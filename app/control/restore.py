"""The one restore-point rule: where a job restores its state from.

- A new start (StartApplication, the new version of an update) restores per the version's
  ``ApplicationRestoreConfiguration``: nothing for SKIP_RESTORE_FROM_SNAPSHOT, the named READY snapshot
  for RESTORE_FROM_CUSTOM_SNAPSHOT (an error if it is not available), else the newest READY snapshot;
  in enhanced snapshot mode, those of ``app.control.system_snapshots.enhanced_restore_point``.
- A job the runtime lost (a crash before its submission, a restarted runtime) is submitted again from
  the newest state of that deployment: its latest completed checkpoint, which is always newer than
  the point it was started from, else that point.
"""

from __future__ import annotations

from dataclasses import dataclass

from api_models.models import ApplicationRestoreType
from app.control.system_snapshots import enhanced_restore_point
from app.db.control_repository import ControlRepository
from app.db.deployments import DeploymentRow
from app.db.models import ApplicationRow
from app.services.configuration.view import VersionView
from runtime_adapter.base import RestorePoint


@dataclass(frozen=True)
class RestoreDecision:
    """Where a start restores from (``point``; None for an empty state), or why it cannot start."""

    point: RestorePoint | None = None
    error: str | None = None


def restore_for_start(
    repository: ControlRepository, application: ApplicationRow, view: VersionView
) -> RestoreDecision:
    """The restore point of a new start of ``view``'s version."""
    restore = view.restore()
    allow = restore.allow_non_restored_state
    if restore.restore_type is ApplicationRestoreType.SKIP_RESTORE_FROM_SNAPSHOT:
        return RestoreDecision()
    if view.enhanced_snapshots():
        point, error = enhanced_restore_point(repository.session, application, restore)
        return RestoreDecision(point, error)
    if restore.restore_type is ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT:
        snapshot = repository.restorable_snapshot(application, restore.snapshot_name)
        if snapshot is None or snapshot.savepoint_location is None:
            return RestoreDecision(
                error=f"Snapshot {restore.snapshot_name} of application {application.application_name} "
                "is not available"
            )
        return RestoreDecision(RestorePoint(snapshot.savepoint_location, allow))
    latest = repository.restorable_snapshot(application)
    if latest is None or latest.savepoint_location is None:
        return RestoreDecision()
    return RestoreDecision(RestorePoint(latest.savepoint_location, allow))


def restore_for_resubmission(deployment: DeploymentRow) -> RestorePoint | None:
    """The newest state of a lost job: its latest completed checkpoint, else the point it started from."""
    location = deployment.latest_checkpoint or deployment.restore_location
    return RestorePoint(location, deployment.allow_non_restored_state) if location else None
