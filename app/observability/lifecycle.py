"""The server console's account of what happens to applications: statuses, operations, snapshots.

``LifecycleLog.poll`` compares what the database holds now with what it saw last time and logs each
change under ``msf_local.lifecycle``: an application changing status (starting, running, updating,
stopping, ...), created or deleted; an operation starting and ending (with the failure's error string);
a snapshot being created, ready, failed or deleted. It reads only committed state, so what it logs
happened; ``msf-local serve`` runs it every control interval and logs to its console.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from sqlalchemy import select

from app.db.models import ApplicationRow, OperationRow, SnapshotRow
from app.db.session import Database

logger = logging.getLogger("msf_local.lifecycle")
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_console() -> None:
    """Send msf-local's own INFO messages (lifecycle, metrics, control loop) to stderr."""
    root = logging.getLogger("msf_local")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(CONSOLE_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False


@dataclass(frozen=True)
class _Application:
    label: str
    status: str
    version: int


class LifecycleLog:
    """Logs the changes between two looks at applications, operations and snapshots."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._applications: dict[int, _Application] | None = None
        self._operations: dict[int, str] = {}
        self._snapshots: dict[int, tuple[str, str]] = {}

    def poll(self) -> list[str]:
        """Log (and return) every change since the previous poll; the first poll only looks."""
        with self.database.session() as session:
            applications = {
                row.id: _Application(
                    f"{row.account_id}/{row.region}/{row.application_name}",
                    row.status,
                    row.current_version_id,
                )
                for row in session.scalars(select(ApplicationRow))
            }
            operations = {
                row.id: (
                    f"{row.operation} {row.operation_id} of {applications[row.application_id].label}",
                    row,
                )
                for row in session.scalars(select(OperationRow))
            }
            snapshots = {
                row.id: (
                    f"snapshot {row.snapshot_name} of {applications[row.application_id].label}",
                    row.status,
                )
                for row in session.scalars(select(SnapshotRow))
            }
        first = self._applications is None
        events = self._application_events(self._applications or {}, applications)
        for key, (label, operation) in operations.items():
            if self._operations.get(key) == operation.status:
                continue
            if operation.status == "FAILED":
                events.append(f"{label} FAILED: {operation.error_string}")
            else:
                started = key not in self._operations and operation.status == "IN_PROGRESS"
                events.append(f"{label} {'started' if started else operation.status}")
        for key, (label, status) in snapshots.items():
            if self._snapshots.get(key, ("", ""))[1] != status:
                events.append(f"{label}: {status}")
        events += [f"{label}: deleted" for key, (label, _) in self._snapshots.items() if key not in snapshots]
        self._applications = applications
        self._operations = {key: row.status for key, (_, row) in operations.items()}
        self._snapshots = snapshots
        if first:
            return []
        for event in events:
            logger.info(event)
        return events

    @staticmethod
    def _application_events(before: dict[int, _Application], now: dict[int, _Application]) -> list[str]:
        events = []
        for key, current in now.items():
            previous = before.get(key)
            if previous is None:
                events.append(
                    f"application {current.label} created ({current.status}, version {current.version})"
                )
            elif (previous.status, previous.version) != (current.status, current.version):
                change = f"{previous.status} -> {current.status}"
                events.append(f"application {current.label}: {change} (version {current.version})")
        return events + [
            f"application {gone.label} deleted" for key, gone in before.items() if key not in now
        ]
