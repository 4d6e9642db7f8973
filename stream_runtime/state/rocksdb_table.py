"""The key layout and the per-state table of the RocksDB keyed-state backend.

Every DB key is ``key group (2 bytes, big endian) | state id (2 bytes) | msgpack(key)``; a
:class:`RocksTable` caches one state's changes and reads in front of the DB.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

import mmh3
from rocksdict import Rdict

from stream_runtime import serde
from stream_runtime.state.keygroups import UPPER_BOUND_MAX_PARALLELISM

KEY_GROUP_PREFIX = [struct.pack(">H", group) for group in range(UPPER_BOUND_MAX_PARALLELISM + 1)]

MISSING: Any = object()
DELETED: Any = object()


def state_id(name: str) -> bytes:
    """Two stable bytes naming a state inside keys (the same in every process and subtask)."""
    return struct.pack(">H", mmh3.hash(name.encode(), signed=False) & 0xFFFF)


class TableOwner(Protocol):
    """What a :class:`RocksTable` needs of its keyed backend: the DB, the cache bound and the flush."""

    db: Rdict
    dirty_limit: int

    def flush_dirty(self) -> None:
        """Write every cached change into the DB."""

    def encode_key(self, sid: bytes, key: Any) -> bytes:
        """The DB key of ``key`` in the state with id ``sid``."""


class RocksTable:
    """Dict-like access to one state's entries: changes not flushed yet, a bounded cache of values read or
    flushed (negative entries included), then the DB.

    Implements what the state handles of :mod:`stream_runtime.state.api` use (``get``, ``[]``, ``pop``,
    ``setdefault``, ``in``, ``update``). Objects returned for mutation (``setdefault``; ``get`` of map state,
    which ``MapState.remove`` mutates) are placed in the cache, so in-place changes are written back.
    """

    __slots__ = ("_backend", "_promote", "cache", "dirty", "kind", "name", "sid")

    def __init__(self, backend: TableOwner, name: str, kind: str) -> None:
        self._backend = backend
        self.name = name
        self.kind = kind
        self.sid = state_id(name)
        self.dirty: dict[Any, Any] = {}
        self.cache: dict[Any, Any] = {}
        self._promote = kind == "map"

    def _room(self) -> None:
        if len(self.dirty) >= self._backend.dirty_limit:
            self._backend.flush_dirty()

    def _load(self, key: Any) -> Any:
        raw = self._backend.db.get(self._backend.encode_key(self.sid, key))
        return MISSING if raw is None else serde.loads(raw)

    def get(self, key: Any, default: Any = None) -> Any:
        """Value of ``key`` or ``default``."""
        value = self.dirty.get(key, MISSING)
        if value is MISSING:
            cache = self.cache
            value = cache.get(key, MISSING)
            if value is MISSING and key not in cache:
                value = self._load(key)
                if len(cache) >= self._backend.dirty_limit:
                    cache.clear()
                cache[key] = value
            if value is MISSING:
                return default
            if self._promote:
                self._room()
                self.dirty[key] = value
            return value
        return default if value is DELETED else value

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key, MISSING)
        if value is MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return self.get(key, MISSING) is not MISSING

    def __setitem__(self, key: Any, value: Any) -> None:
        self._room()
        self.dirty[key] = value

    def pop(self, key: Any, default: Any = None) -> Any:
        """Delete ``key`` (a tombstone until the next flush); returns ``default`` without reading."""
        self._room()
        self.dirty[key] = DELETED
        return default

    def setdefault(self, key: Any, default: Any) -> Any:
        """The value to mutate in place (``default`` when absent); it is written back at the next flush."""
        self._room()
        value = self.get(key, MISSING)
        if value is MISSING:
            value = default
        self.dirty[key] = value
        return value

    def update(self, pairs: Any) -> None:
        """Set many entries (restore)."""
        for key, value in pairs:
            self[key] = value
