"""Small file-system steps of reclamation: when a path was last used, touching it, removing it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def touch(path: Path) -> None:
    """Mark ``path`` as used now (reclamation spares what was used within its grace period)."""
    os.utime(path)


def is_stale(path: Path, cutoff: float) -> bool:
    """Whether ``path`` (not followed if a link) was last used before ``cutoff``; a missing one is not."""
    try:
        return path.lstat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def remove(path: Path) -> None:
    """Delete a file or a directory tree; one that is already gone is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
