"""The application status machine (spec §2): what each status means, which API actions it
allows, and which status changes are legal. ``transition()`` is the only code that sets a status.
"""

from __future__ import annotations

from enum import StrEnum

from api_models import errors
from api_models.models import ApplicationStatus
from app.db.models import ApplicationRow

S = ApplicationStatus

MEANING: dict[ApplicationStatus, str] = {
    S.READY: "Created or stopped; configuration can change; nothing runs.",
    S.STARTING: "StartApplication accepted; the job is being launched.",
    S.RUNNING: "The job runs the current version.",
    S.UPDATING: "A configuration change is being applied to the running job.",
    S.AUTOSCALING: "The service is changing the running job's parallelism.",
    S.STOPPING: "StopApplication accepted; the job is stopping (with a snapshot if enabled).",
    S.FORCE_STOPPING: "StopApplication(Force=true) accepted; the job is being killed without a snapshot.",
    S.ROLLING_BACK: "RollbackApplication (or a system rollback) is restarting the previous version.",
    S.MAINTENANCE: "The service is patching the running job.",
    S.DELETING: "DeleteApplication accepted; the application is going away.",
    S.ROLLED_BACK: "Reported for a version that was rolled back; not a live application status.",
}


class Action(StrEnum):
    """API actions whose admissibility depends on the application status."""

    START = "StartApplication"
    STOP = "StopApplication"
    FORCE_STOP = "StopApplication(Force=true)"
    CONFIGURE = "UpdateApplication"
    ROLLBACK = "RollbackApplication"
    MAINTENANCE_CONFIGURATION = "UpdateApplicationMaintenanceConfiguration"
    CREATE_SNAPSHOT = "CreateApplicationSnapshot"
    DELETE = "DeleteApplication"


ALLOWED: dict[Action, frozenset[ApplicationStatus]] = {
    Action.START: frozenset({S.READY}),
    Action.STOP: frozenset({S.RUNNING}),
    Action.FORCE_STOP: frozenset({S.STARTING, S.UPDATING, S.STOPPING, S.AUTOSCALING, S.RUNNING}),
    Action.CONFIGURE: frozenset({S.READY, S.RUNNING}),
    Action.ROLLBACK: frozenset({S.RUNNING, S.UPDATING, S.AUTOSCALING}),
    Action.MAINTENANCE_CONFIGURATION: frozenset({S.READY, S.RUNNING}),
    Action.CREATE_SNAPSHOT: frozenset({S.RUNNING}),
    Action.DELETE: frozenset(set(S) - {S.DELETING, S.ROLLED_BACK}),
}

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.READY: frozenset({S.STARTING, S.UPDATING, S.DELETING}),
    S.STARTING: frozenset({S.RUNNING, S.READY, S.FORCE_STOPPING, S.DELETING}),
    S.RUNNING: frozenset(
        {
            S.STOPPING,
            S.FORCE_STOPPING,
            S.UPDATING,
            S.AUTOSCALING,
            S.ROLLING_BACK,
            S.MAINTENANCE,
            S.READY,
            S.DELETING,
        }
    ),
    S.UPDATING: frozenset({S.RUNNING, S.READY, S.ROLLING_BACK, S.FORCE_STOPPING, S.DELETING}),
    S.AUTOSCALING: frozenset({S.RUNNING, S.ROLLING_BACK, S.FORCE_STOPPING, S.DELETING}),
    # STOPPING -> RUNNING: the stop's savepoint failed or the runtime refused the stop; the job runs on.
    S.STOPPING: frozenset({S.READY, S.FORCE_STOPPING, S.DELETING, S.RUNNING}),
    S.FORCE_STOPPING: frozenset({S.READY, S.DELETING}),
    S.ROLLING_BACK: frozenset({S.RUNNING, S.READY, S.DELETING}),
    S.MAINTENANCE: frozenset({S.RUNNING, S.DELETING}),
    S.DELETING: frozenset(),
    S.ROLLED_BACK: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A status change the table does not allow: a bug in the caller, never an API answer."""


def require(application: ApplicationRow, action: Action) -> None:
    """Raise ``ResourceInUseException`` unless ``action`` is allowed in the application's status."""
    status = ApplicationStatus(application.status)
    allowed = ALLOWED[action]
    if status not in allowed:
        shown = ", ".join(sorted(allowed))
        raise errors.ResourceInUseException(
            f"Application {application.application_name} is in {status} status; "
            f"{action} is allowed only in {shown} status"
        )


def transition(application: ApplicationRow, target: ApplicationStatus) -> None:
    """Move the application to ``target``; the only place a status is ever assigned."""
    current = ApplicationStatus(application.status)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"{application.application_name}: {current} -> {target} is not a legal transition"
        )
    application.status = target.value


INITIAL_STATUS = S.READY
"""The status of a newly created application (spec §0.1: READY at version 1)."""
