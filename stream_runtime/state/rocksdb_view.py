"""Consistent reads of the RocksDB keyed-state backend at a checkpoint's cut: a DB copy and its tables."""

from __future__ import annotations

import contextlib
import shutil
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from rocksdict import Checkpoint, Options, Rdict

from stream_runtime import serde
from stream_runtime.state.rocksdb_table import KEY_GROUP_PREFIX


class DbView:
    """A read-only copy of the DB at the cut: a RocksDB checkpoint (hard links), opened on first use by
    whichever thread reads it and deleted when the copy is garbage-collected.

    (A ``db.snapshot()`` held across later file ingestions made background compactions drop entries in the
    rocksdict build used here, so consistent reads go through checkpoints.)
    """

    def __init__(self, db: Rdict, folder: Path, options: Options) -> None:
        Checkpoint(db).create_checkpoint(str(folder))
        self._folder = folder
        self._options = options
        self._opened: list[Rdict] = []
        self._lock = threading.Lock()
        weakref.finalize(self, _dispose_view, self._opened, str(folder))

    def db(self) -> Rdict:
        """The opened copy."""
        with self._lock:
            if not self._opened:
                self._opened.append(Rdict(str(self._folder), self._options))
            return self._opened[0]


def _dispose_view(opened: list[Rdict], folder: str) -> None:
    for db in opened:
        with contextlib.suppress(Exception):
            db.close()
    shutil.rmtree(folder, ignore_errors=True)


class ViewTable:
    """One state's entries in a :class:`DbView`, in key-group order (what canonical encoders iterate)."""

    def __init__(self, view: DbView, sid: bytes, key_groups: range) -> None:
        self._view = view
        self._sid = sid
        self._key_groups = key_groups

    def _raw(self) -> Iterator[tuple[bytes, bytes]]:
        db = self._view.db()
        for group in self._key_groups:
            prefix = KEY_GROUP_PREFIX[group] + self._sid
            for key, value in db.items(from_key=prefix):
                raw = cast(bytes, key)
                if not raw.startswith(prefix):
                    break
                yield raw, cast(bytes, value)

    def items(self) -> Iterator[tuple[Any, Any]]:
        """``(key, value)`` pairs."""
        loads = serde.loads
        for key, value in self._raw():
            yield loads(key[4:]), loads(value)

    def __iter__(self) -> Iterator[Any]:
        loads = serde.loads
        return (loads(key[4:]) for key, _ in self._raw())

    def keys(self) -> Iterator[Any]:
        """Keys, in the order of :meth:`values`."""
        return iter(self)

    def values(self) -> Iterator[Any]:
        """Values, in the order of :meth:`keys`."""
        loads = serde.loads
        return (loads(value) for _, value in self._raw())

    def __bool__(self) -> bool:
        return next(self._raw(), None) is not None


class Presence:
    """Stands in for a table in incremental snapshots, where only "has this state entries?" is asked."""

    def __init__(self, present: bool) -> None:
        self._present = present

    def __bool__(self) -> bool:
        return self._present
