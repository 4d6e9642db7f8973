"""Where the application lifecycle meets enhanced snapshots: restore points and system snapshots.

For an application in ``ENHANCED_SNAPSHOTS`` mode the snapshot reconciler asks here:

- where a start or update restores from: ``RESTORE_FROM_CUSTOM_SNAPSHOT`` with a ``SnapshotArn`` names a
  READY enhanced snapshot of the account and Region, whichever application it came from (or an import);
  ``RESTORE_FROM_LATEST_SNAPSHOT`` is the newest READY enhanced snapshot taken of this application;
- how a stop, update or scale records its savepoint: a ``SYSTEMSNAPSHOT-<epoch ms>`` snapshot, CREATING
  with a ``SystemCreateSnapshot`` operation that names the application operation causing it, written in
  the snapshot's own folder (it outlives the application), then READY or FAILED with the savepoint.
"""

from __future__ import annotations

from pathlib import Path

from app.db.models import EnhancedSnapshotRow
from app.services.enhanced_snapshots import RESERVED_PREFIX

SYSTEM_SNAPSHOT_PREFIX = f"{RESERVED_PREFIX}-"
FILE_SCHEME = "file://"


def snapshot_dir(data_dir: Path, snapshot: EnhancedSnapshotRow) -> Path:
    """The snapshot's own folder, outside any application's state."""
    return data_dir / "enhanced-snapshots" / snapshot.account_id / snapshot.region / str(snapshot.id)


def savepoint_size(location: str) -> int:
    """Bytes in the files of a savepoint folder (0 where the runtime keeps nothing on this disk)."""
    directory = Path(location.removeprefix(FILE_SCHEME))
    if not directory.is_dir():
        return 0
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
