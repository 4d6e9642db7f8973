"""Small file-system steps of reclamation: when a path was last used, touching it, removing it."""

from __future__ import annotations

import os
import shutil
import uuid
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


def discard(path: Path, scratch_prefix: str) -> None:
    """Delete a file or a directory tree, first renamed to ``<scratch_prefix><random>`` beside it.

    The rename is atomic, so a crash (or an error) never leaves a half-deleted directory under its own
    name, where it would pass for complete; what is left under the scratch name is swept later.
    """
    if not (path.is_dir() and not path.is_symlink()):
        path.unlink(missing_ok=True)
        return
    doomed = path.with_name(f"{scratch_prefix}{uuid.uuid4().hex}")
    try:
        os.rename(path, doomed)
    except FileNotFoundError:
        return
    shutil.rmtree(doomed)
