"""Operation history is kept for a bounded time: finished operations go 90 days after they started.

AWS documents the window for enhanced-snapshot operations ("available for 90 days after they are
created": DescribeSnapshotOperation, ListSnapshotOperations). It documents none for application
operations (DescribeApplicationOperation, ListApplicationOperations); msf-local keeps those for the
same 90 days, so that no history grows without bound. An operation still IN_PROGRESS is never removed.
The control loop prunes at most once an hour of its clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete

from api_models.models import OperationStatus, SnapshotOperationStatus
from app.db.models import OperationRow, SnapshotOperationRow
from app.db.session import Database

OPERATION_RETENTION = timedelta(days=90)
PRUNE_INTERVAL = timedelta(hours=1)


class OperationRetention:
    """Deletes application and snapshot operations that ended and started more than 90 days ago."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        retention: timedelta = OPERATION_RETENTION,
    ) -> None:
        self.database = database
        self.clock = clock
        self.retention = retention
        self._last_pruned: datetime | None = None

    def tick(self) -> int:
        """Prune if an hour has passed since the last time; the number of operations removed."""
        now = self.clock()
        if self._last_pruned is not None and now - self._last_pruned < PRUNE_INTERVAL:
            return 0
        removed = self.prune(now)
        self._last_pruned = now
        return removed

    def prune(self, now: datetime) -> int:
        """Delete the finished operations that started before ``now`` minus the retention."""
        cutoff = now - self.retention
        with self.database.session() as session:
            applications = session.execute(
                delete(OperationRow).where(
                    OperationRow.start_time < cutoff,
                    OperationRow.status != OperationStatus.IN_PROGRESS.value,
                )
            )
            snapshots = session.execute(
                delete(SnapshotOperationRow).where(
                    SnapshotOperationRow.start_time < cutoff,
                    SnapshotOperationRow.status != SnapshotOperationStatus.IN_PROGRESS.value,
                )
            )
        return int(getattr(applications, "rowcount", 0)) + int(getattr(snapshots, "rowcount", 0))
