"""RocksDB keyed-state backend (``rocksdict``) with incremental checkpoints.

Live state of one operator subtask is a local RocksDB. Every key is laid out as
``key group (2 bytes, big endian) | state id (2 bytes) | msgpack(key)``, so the entries of a range of key
groups are one contiguous key range (rescaling clips or copies whole ranges). Values are msgpack (see
``serde``); list and map state are stored as one value per key.

Writes go to a write-back cache per state (the memtable's role, in Python objects; a bounded cache of values
read serves repeated reads). The cache is flushed into the DB with a write batch (no WAL: a crashed process's
DB is never reused, restores start from a checkpoint) and, for incremental checkpoints, also as immutable *run
files*, one per *bucket*: the subtask's key-group range is cut into up to 32 contiguous buckets. A run is a
msgpack ``[keys, values]`` of DB entries (``None`` = deleted). Each bucket has a chain of runs ``[base, delta,
delta, ...]``; replaying a chain in order gives the bucket's entries.

An incremental checkpoint references the chains of every bucket and uploads only runs that are not in the
checkpoint storage yet (``<job>/shared/``, see :mod:`stream_runtime.state.incremental`): the deltas written
since the previous checkpoint, plus at most one bucket whose chain got long or heavy, rewritten as a new base
read from the DB. So a checkpoint writes about (changed entries + 1/32 of the state) bytes. Without
``incremental`` a checkpoint is a full canonical snapshot read from a RocksDB checkpoint of the DB, like a
savepoint.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import msgpack
from rocksdict import BlockBasedOptions, Options, Rdict, WriteBatch, WriteOptions

from stream_runtime import serde
from stream_runtime.state.backend import HeapKeyedStateBackend
from stream_runtime.state.backends import KeyedBackendContext, StateBackend
from stream_runtime.state.incremental import (
    RUNS_FORMAT,
    IncrementalSnapshot,
    RunFiles,
    RunsManifest,
    shared_path,
)
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
from stream_runtime.state.rocksdb_table import DELETED, KEY_GROUP_PREFIX, MISSING, RocksTable
from stream_runtime.state.rocksdb_view import DbView, Presence, ViewTable

MAX_BUCKETS = 32
DEFAULT_DIRTY_LIMIT = 200_000
DEFAULT_MAX_CHAIN = 16
COMPACT_RATIO = 0.5
_LOCAL_ROOT_NAME = "stream-runtime-rocksdb"


class EmbeddedRocksDBStateBackend(StateBackend):
    """Keyed state in a local RocksDB per operator subtask (Flink's EmbeddedRocksDBStateBackend).

    ``incremental=True`` makes checkpoints upload only new run files (shared, reference-counted);
    ``local_dir`` is where the working databases live (default: the system temp folder);
    ``dirty_limit`` bounds the entries cached per state before they are flushed to the DB;
    ``max_chain_length`` is how many runs a bucket may reference before it is rewritten as one base.
    """

    name = "rocksdb"

    def __init__(
        self,
        incremental: bool = False,
        local_dir: str | None = None,
        dirty_limit: int = DEFAULT_DIRTY_LIMIT,
        max_chain_length: int = DEFAULT_MAX_CHAIN,
    ) -> None:
        if dirty_limit < 1 or max_chain_length < 1:
            raise ValueError("dirty_limit and max_chain_length must be >= 1")
        self.incremental = incremental
        self.local_dir = local_dir
        self.dirty_limit = dirty_limit
        self.max_chain_length = max_chain_length

    def with_incremental(self, incremental: bool) -> EmbeddedRocksDBStateBackend:
        """A copy with incremental checkpoints switched on or off."""
        return EmbeddedRocksDBStateBackend(
            incremental, self.local_dir, self.dirty_limit, self.max_chain_length
        )

    def describe(self) -> str:
        return f"rocksdb (incremental={self.incremental})"

    def create_keyed_backend(
        self, assigner: KeyGroupAssigner, key_group_range: KeyGroupRange, context: KeyedBackendContext
    ) -> HeapKeyedStateBackend:
        return RocksDBKeyedStateBackend(assigner, key_group_range, self, context)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_dirs(root: Path) -> None:
    """Working folders of processes that died (``kill -9`` leaves them behind)."""
    for entry in root.iterdir() if root.is_dir() else ():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _dispose(db: Rdict, folder: str) -> None:
    with contextlib.suppress(Exception):
        db.close()
    shutil.rmtree(folder, ignore_errors=True)


class RocksDBKeyedStateBackend(HeapKeyedStateBackend):
    """Keyed state of one subtask in RocksDB; timers stay on the heap (as Flink's HEAP timer service)."""

    def __init__(
        self,
        assigner: KeyGroupAssigner,
        key_group_range: KeyGroupRange,
        config: EmbeddedRocksDBStateBackend,
        context: KeyedBackendContext,
    ) -> None:
        super().__init__(assigner, key_group_range)
        self.config = config
        self.context = context
        self.incremental = config.incremental
        self.dirty_limit = config.dirty_limit
        root = Path(config.local_dir or tempfile.gettempdir()) / _LOCAL_ROOT_NAME
        _remove_stale_dirs(root)
        self.folder = root / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.folder.mkdir(parents=True)
        self._write_options = WriteOptions()
        self._write_options.disable_wal = True  # type: ignore[method-assign,assignment]  # a property, stubbed as a method
        self.options = Options(raw_mode=True)
        self.options.create_if_missing(True)
        table_options = BlockBasedOptions()
        table_options.set_bloom_filter(10, False)
        self.options.set_block_based_table_factory(table_options)
        self.db = Rdict(str(self.folder / "db"), self.options)
        self._finalizer = weakref.finalize(self, _dispose, self.db, str(self.folder))
        start, end = key_group_range.start, key_group_range.end
        count = min(MAX_BUCKETS, end - start + 1)
        size = end - start + 1
        self.buckets = [
            (start + i * size // count, start + (i + 1) * size // count - 1) for i in range(count)
        ]
        self._bucket_of = [b for b, (lo, hi) in enumerate(self.buckets) for _ in range(lo, hi + 1)]
        self.chains: list[list[str]] = [[] for _ in self.buckets]
        self.pending: list[list[str]] = [[] for _ in self.buckets]
        self.files = RunFiles()
        self._rewrite: set[int] = set()
        self._state_ids: dict[bytes, str] = {}
        self.rocks_tables: dict[str, RocksTable] = {}

    # -- state access -------------------------------------------------------------------------------------

    def dispose(self) -> None:
        """Close the database and delete the working folder (also done on garbage collection or exit, but a
        job process ends with ``os._exit``, which runs neither)."""
        self._finalizer()

    def _table(self, name: str, kind: str) -> RocksTable:
        existing = self.rocks_tables.get(name)
        if existing is not None:
            return existing
        table = RocksTable(self, name, kind)
        other = self._state_ids.setdefault(table.sid, name)
        if other != name:
            raise ValueError(f"state names {other!r} and {name!r} hash to the same RocksDB state id")
        self.rocks_tables[name] = table
        self.tables[name] = table  # type: ignore[assignment]  # the handles only use the dict methods
        self.kinds[name] = kind
        return table

    def get_state(self, descriptor: Any) -> Any:
        self._table(descriptor.name, descriptor.kind)
        return super().get_state(descriptor)

    def encode_key(self, sid: bytes, key: Any) -> bytes:
        """The DB key of ``key`` in the state with id ``sid``."""
        return KEY_GROUP_PREFIX[self.assigner.key_group(key)] + sid + serde.dumps(key)

    # -- writing runs -------------------------------------------------------------------------------------

    def _write_run(self, entries: list[tuple[bytes, bytes | None]]) -> str:
        """An immutable run (``None`` = deleted), kept in memory until it is uploaded; returns its name."""
        name = f"{uuid.uuid4().hex}.run"
        keys = [key for key, _ in entries]
        values = [value for _, value in entries]
        self.files.add_local(name, msgpack.packb([keys, values], use_bin_type=True))
        return name

    def _apply(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Write entries into the live DB (no WAL: a crashed process's DB is never reused)."""
        batch = WriteBatch(raw_mode=True)
        put, delete = batch.put, batch.delete
        for key, value in entries:
            if value is None:
                delete(key)
            else:
                put(key, value)
        self.db.write(batch, self._write_options)

    def flush_dirty(self) -> None:
        """Write every cached change into the DB and, for incremental checkpoints, as one run per touched
        bucket."""
        key_group, dumps, prefixes = self.assigner.key_group, serde.dumps, KEY_GROUP_PREFIX
        start, bucket_of = self.key_group_range.start, self._bucket_of
        per_bucket: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for table in self.rocks_tables.values():
            if not table.dirty:
                continue
            dirty, table.dirty = table.dirty, {}
            sid, cache = table.sid, table.cache
            if len(cache) + len(dirty) > self.dirty_limit:
                cache.clear()
            for key, value in dirty.items():
                cache[key] = MISSING if value is DELETED else value
                group = key_group(key)
                entry = (prefixes[group] + sid + dumps(key), None if value is DELETED else dumps(value))
                bucket = bucket_of[group - start]
                entries = per_bucket.get(bucket)
                if entries is None:
                    per_bucket[bucket] = [entry]
                else:
                    entries.append(entry)
        for entries in per_bucket.values():
            self._apply(entries)
        if self.incremental and self.context.checkpointing_enabled:
            for bucket, entries in per_bucket.items():
                self.pending[bucket].append(self._write_run(entries))

    def _rewrite_bucket(self, bucket: int) -> None:
        """Replace a bucket's chain by one base run read from the DB (nothing when the bucket is empty)."""
        lo, hi = self.buckets[bucket]
        begin, stop = KEY_GROUP_PREFIX[lo], KEY_GROUP_PREFIX[hi + 1]
        entries: list[tuple[bytes, bytes | None]] = []
        for key, value in self.db.items(from_key=begin):
            raw_key = cast(bytes, key)
            if raw_key >= stop:
                break
            entries.append((raw_key, value))
        self.chains[bucket] = [self._write_run(entries)] if entries else []

    def _compaction_candidate(self) -> int | None:
        """The bucket whose deltas weigh most against its base, if worth (or forced by length) rewriting."""
        best, best_score = None, COMPACT_RATIO
        sizes = self.files.sizes
        for bucket, chain in enumerate(self.chains):
            if len(chain) < 2:
                continue
            deltas = sum(sizes.get(name, 0) for name in chain[1:])
            score = deltas / max(1, sizes.get(chain[0], 0))
            if len(chain) > self.config.max_chain_length:
                score += len(chain)
            if score >= best_score:
                best, best_score = bucket, score
        return best

    # -- snapshots ----------------------------------------------------------------------------------------

    def _canonical_copy(self) -> dict[str, Any]:
        view = DbView(self.db, self.folder / f"view-{uuid.uuid4().hex[:12]}", self.options)
        groups = range(self.key_group_range.start, self.key_group_range.end + 1)
        tables = {name: ViewTable(view, table.sid, groups) for name, table in self.rocks_tables.items()}
        return self._snapshot_copy(tables)

    def copy_for_snapshot(self) -> dict[str, Any]:
        """Synchronous part: flush the cache into runs; then a DB snapshot, and for incremental checkpoints
        the chains of runs to reference (new ones are uploaded by the writer thread)."""
        self.flush_dirty()
        if not self.incremental:
            return self._canonical_copy()
        before = {name for chain in self.chains + self.pending for name in chain}
        for bucket, pending in enumerate(self.pending):
            self.chains[bucket].extend(pending)
            pending.clear()
        if self._rewrite:
            for bucket in sorted(self._rewrite):
                self._rewrite_bucket(bucket)
            self._rewrite.clear()
        else:
            candidate = self._compaction_candidate()
            if candidate is not None:
                self._rewrite_bucket(candidate)
        live = {name for chain in self.chains for name in chain}
        return {
            **self._snapshot_copy({name: Presence(bool(live)) for name in self.rocks_tables}),
            "incremental": IncrementalSnapshot(
                format=RUNS_FORMAT,
                states={
                    name: [int.from_bytes(t.sid, "big"), t.kind] for name, t in self.rocks_tables.items()
                },
                buckets=[
                    [lo, hi, list(chain)] for (lo, hi), chain in zip(self.buckets, self.chains, strict=True)
                ],
                sizes={name: self.files.sizes[name] for name in live},
                obsolete=before - live,
                files=self.files,
            ),
        }

    def copy_for_savepoint(self) -> dict[str, Any]:
        """Canonical copy (read from a DB snapshot) for the backend-independent savepoint format."""
        self.flush_dirty()
        return self._canonical_copy()

    # -- restore ------------------------------------------------------------------------------------------

    def restore(self, parts: list[tuple[tuple[int, int], list[dict[str, Any]]]]) -> None:
        """Load this subtask's key groups from native, canonical or run-manifest chunks."""
        key_range = self.key_group_range
        key_group = self.assigner.key_group
        for (start, end), chunks in parts:
            take_all = start in key_range and end in key_range
            for chunk in chunks:
                if isinstance(chunk, RunsManifest):
                    self._restore_runs(chunk, (start, end))
                    continue
                if "timers" in chunk:
                    self._restore_timers(chunk["timers"], take_all)
                    continue
                table = self._table(chunk["table"], chunk["kind"])
                if "kg" in chunk:
                    if take_all or chunk["kg"] in key_range:
                        table.update(zip(chunk["k"], chunk["v"], strict=True))
                    continue
                for key, value in zip(chunk["k"], chunk["v"], strict=True):
                    if take_all or key_group(key) in key_range:
                        table[key] = value
        self.key_context.current_key = None

    def _restore_runs(self, manifest: RunsManifest, writer_range: tuple[int, int]) -> None:
        """Fetch the chains overlapping this subtask's range and ingest them level by level.

        Chains are reused by later checkpoints when the layout is the same and the runs are already in this
        job's shared folder; otherwise (rescaling, or a checkpoint of another job) the first checkpoint after
        the restore rewrites the buckets as new bases.
        """
        if manifest["format"] != RUNS_FORMAT:
            raise ValueError(f"unsupported RocksDB run manifest format {manifest['format']}")
        for name, (_, kind) in manifest["states"].items():
            self._table(name, kind)
        key_range = self.key_group_range
        same_layout = [(lo, hi) for lo, hi, _ in manifest["buckets"]] == self.buckets
        wanted = [
            chain for lo, hi, chain in manifest["buckets"] if lo <= key_range.end and hi >= key_range.start
        ]
        for chain in wanted:
            for name in chain:
                keys, values = msgpack.unpackb(manifest.read(shared_path(name)), raw=False)
                self._apply(zip(keys, values, strict=True))
        storage, job_id = self.context.storage, self.context.job_id
        if same_layout and writer_range == (key_range.start, key_range.end):
            for bucket, (_, _, chain) in enumerate(manifest["buckets"]):
                self.chains[bucket] = list(chain)
                for name in chain:
                    self.files.sizes[name] = manifest["sizes"].get(name, 0)
                    if storage.exists(f"{job_id}/{shared_path(name)}"):
                        self.files.uploaded.add(name)
                    else:
                        self._rewrite.add(bucket)
            return
        if key_range.start > 0:
            self.db.delete_range(KEY_GROUP_PREFIX[0], KEY_GROUP_PREFIX[key_range.start])
        self.db.delete_range(KEY_GROUP_PREFIX[key_range.end + 1], b"\xff\xff\xff\xff\xff")
        self._rewrite.update(range(len(self.buckets)))
