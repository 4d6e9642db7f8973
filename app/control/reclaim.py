"""Reclaiming application code that nothing uses any more, from the control loop's tick.

Two stores hold code on disk (``app.code``): inline archives (``inline-code/<CodeMD5>.zip``, the only
copy of code given as ``ZipFileContent``) and unpacked code (``code/<digest>/``, a cache remade from
the archive whenever a job starts). At most once per interval (by the loop's clock) the reclaimer reads
from the database what still needs code and removes the rest:

- an inline archive stays while an application's current version, the version its job runs or the
  version a rollback would return to names it; it goes once its applications are deleted or updated
  past it;
- an unpacked directory stays while a live job (one the loop still tracks, even a job a deleted
  application left behind) runs from it.

Anything saved or used within the grace period stays too (by file time): an API call saves an archive
just before its transaction commits, and a crash between the two only leaves an orphan that a later
pass removes. Logs, checkpoints and snapshots of deleted applications are the lifecycle's business.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.control.jobs import JobPlanner
from app.db.control_repository import ControlRepository
from app.db.session import Database
from app.services.configuration.view import VersionView

logger = logging.getLogger("msf_local.control")

DEFAULT_RECLAIM_INTERVAL = timedelta(minutes=1)
DEFAULT_RECLAIM_GRACE = timedelta(minutes=10)


def code_md5(configuration: dict[str, Any]) -> str | None:
    """The ``CodeMD5`` a version's configuration names, if it has code."""
    code = VersionView(configuration).code() or {}
    value = code.get("CodeContentDescription", {}).get("CodeMD5")
    return str(value) if value else None


class CodeReclaimer:
    """Removes application code no application, version or live job needs (see the module doc)."""

    def __init__(
        self,
        database: Database,
        planner: JobPlanner,
        clock: Callable[[], datetime],
        *,
        interval: timedelta = DEFAULT_RECLAIM_INTERVAL,
        grace: timedelta = DEFAULT_RECLAIM_GRACE,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.planner = planner
        self.clock = clock
        self.interval = interval
        self.grace = grace
        self.wall_clock = wall_clock
        self._last: datetime | None = None

    def tick(self) -> list[str]:
        """Reclaim if an interval has passed since the last pass; the names removed."""
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return []
        self._last = now
        return self.reclaim()

    def reclaim(self) -> list[str]:
        """One pass: remove what nothing holds and was last used before the grace period."""
        with self.database.session() as session:
            holders = ControlRepository(session).code_holders()
        keep = {md5 for configuration in holders.configurations if (md5 := code_md5(configuration))}
        cutoff = self.wall_clock() - self.grace.total_seconds()
        removed = self.planner.inline.reclaim(keep, cutoff)
        removed += self.planner.code.reclaim(holders.live_jobs, cutoff)
        if removed:
            logger.info("reclaimed %d unused application code item(s): %s", len(removed), ", ".join(removed))
        return removed
