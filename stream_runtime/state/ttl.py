"""State time-to-live (PyFlink's ``StateTtlConfig``): entries of a state expire ``ttl`` ms after their last
write (or access), in processing time. The TTL applies to a key's whole entry (for list and map state: the
whole list or map of the key, where Flink tracks each element)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from enum import Enum
from typing import Any

from stream_runtime.timeutil import to_millis

_MISSING: Any = object()


class StateTtlConfig:
    """How long state lives and when its clock is refreshed."""

    class UpdateType(Enum):
        """When the last-access time is refreshed."""

        Disabled = 0
        OnCreateAndWrite = 1
        OnReadAndWrite = 2

    class StateVisibility(Enum):
        """Whether expired values may still be read."""

        ReturnExpiredIfNotCleanedUp = 0
        NeverReturnExpired = 1

    class TtlTimeCharacteristic(Enum):
        """Only processing time, as in Flink."""

        ProcessingTime = 0

    def __init__(self, ttl_ms: int, update_type: UpdateType, visibility: StateVisibility) -> None:
        self.ttl_ms = ttl_ms
        self.update_type = update_type
        self.visibility = visibility

    @staticmethod
    def new_builder(ttl: Any) -> StateTtlConfig.Builder:
        """A builder with ``ttl`` (Duration/Time/ms), OnCreateAndWrite and NeverReturnExpired."""
        return StateTtlConfig.Builder(to_millis(ttl))

    def get_ttl(self) -> int:
        """Time to live (ms)."""
        return self.ttl_ms

    def is_enabled(self) -> bool:
        """Whether entries expire."""
        return self.update_type is not StateTtlConfig.UpdateType.Disabled

    class Builder:
        """Builds a :class:`StateTtlConfig`."""

        def __init__(self, ttl_ms: int) -> None:
            self.ttl_ms = ttl_ms
            self.update_type = StateTtlConfig.UpdateType.OnCreateAndWrite
            self.visibility = StateTtlConfig.StateVisibility.NeverReturnExpired

        def set_update_type(self, update_type: StateTtlConfig.UpdateType) -> StateTtlConfig.Builder:
            """When the clock of an entry is refreshed."""
            self.update_type = update_type
            return self

        def update_ttl_on_create_and_write(self) -> StateTtlConfig.Builder:
            """Refresh on writes."""
            return self.set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)

        def update_ttl_on_read_and_write(self) -> StateTtlConfig.Builder:
            """Refresh on reads and writes."""
            return self.set_update_type(StateTtlConfig.UpdateType.OnReadAndWrite)

        def set_state_visibility(self, visibility: StateTtlConfig.StateVisibility) -> StateTtlConfig.Builder:
            """Whether expired values may be read."""
            self.visibility = visibility
            return self

        def return_expired_if_not_cleaned_up(self) -> StateTtlConfig.Builder:
            """Expired values stay readable until removed (they are removed when read)."""
            return self.set_state_visibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)

        def never_return_expired(self) -> StateTtlConfig.Builder:
            """Expired values are never read."""
            return self.set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)

        def set_ttl_time_characteristic(self, characteristic: Any) -> StateTtlConfig.Builder:
            """Processing time only."""
            return self

        def use_processing_time(self) -> StateTtlConfig.Builder:
            """Processing time (the only choice)."""
            return self

        def cleanup_full_snapshot(self) -> StateTtlConfig.Builder:
            """Accepted: expired entries are removed when read."""
            return self

        def cleanup_incrementally(
            self, cleanup_size: int, run_cleanup_for_every_record: bool
        ) -> StateTtlConfig.Builder:
            """Accepted: expired entries are removed when read."""
            return self

        def cleanup_in_rocksdb_compact_filter(
            self, query_time_after_num_entries: int
        ) -> StateTtlConfig.Builder:
            """Accepted: expired entries are removed when read."""
            return self

        def disable_cleanup_in_background(self) -> StateTtlConfig.Builder:
            """Accepted."""
            return self

        def set_ttl(self, ttl: Any) -> StateTtlConfig.Builder:
            """Change the time to live."""
            self.ttl_ms = to_millis(ttl)
            return self

        def build(self) -> StateTtlConfig:
            """The configuration."""
            return StateTtlConfig(self.ttl_ms, self.update_type, self.visibility)


class TtlTable:
    """A state table whose entries are ``(value, last access ms)``; looks like the plain table to the
    state handles. A write hands out a fresh copy of the value, so no snapshot shares a mutated object."""

    def __init__(self, table: Any, config: StateTtlConfig, clock_ms: Callable[[], float]) -> None:
        self._table = table
        self._ttl = config.ttl_ms
        self._refresh_on_read = config.update_type is StateTtlConfig.UpdateType.OnReadAndWrite
        self._return_expired = config.visibility is StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp
        self._clock = clock_ms

    def _live(self, key: Any, refresh: bool) -> Any:
        entry = self._table.get(key)
        if entry is None:
            return _MISSING
        value, stamp = entry
        now = int(self._clock())
        if now - stamp >= self._ttl:
            self._table.pop(key, None)
            return value if self._return_expired else _MISSING
        if refresh:
            self._table[key] = (value, now)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        value = self._live(key, self._refresh_on_read)
        return default if value is _MISSING else value

    def __getitem__(self, key: Any) -> Any:
        value = self._live(key, self._refresh_on_read)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return self._live(key, False) is not _MISSING

    def __setitem__(self, key: Any, value: Any) -> None:
        self._table[key] = (value, int(self._clock()))

    def setdefault(self, key: Any, default: Any) -> Any:
        value = self._live(key, False)
        fresh = copy.copy(default if value is _MISSING else value)
        self._table[key] = (fresh, int(self._clock()))
        return fresh

    def pop(self, key: Any, default: Any = None) -> Any:
        entry = self._table.pop(key, None)
        return default if entry is None else entry[0]
