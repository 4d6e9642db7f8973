"""Incremental checkpoints: shared run files, their upload, restore references and reference counting.

Layout (beside Flink's)::

    <root>/<job>/shared/<uuid>.sst      immutable run files, shared by every checkpoint that references them
    <root>/<job>/chk-N/opK-S.state      header, then a run manifest chunk and the timers
    <root>/<job>/chk-N/_metadata        operators[uid]["shared"] lists the run files the checkpoint uses

A shared file's reference count is the number of retained completed checkpoints whose ``_metadata`` lists it;
:func:`collect_shared_garbage` deletes files whose count is zero. It runs in the checkpoint writer thread
after a checkpoint is published and retention applied (writes are sequential there, so no checkpoint is
half-way between uploading a file and publishing the metadata that references it) and when a job starts.
A checkpoint only references runs that its own upload step found uploaded, so files of failed or torn
checkpoints are either re-referenced by a later checkpoint or collected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from stream_runtime import serde
from stream_runtime.state.backend import encode_keyed_snapshot
from stream_runtime.storage.base import CheckpointStorage, StorageError
from stream_runtime.storage.layout import CheckpointLayout

SHARED_DIR = "shared"
RUNS_FORMAT = 1
RUNS_KEY = "rocksdb_runs"
UPLOAD_THREADS = 8


def shared_path(name: str) -> str:
    """Path of a shared file relative to the job folder."""
    return f"{SHARED_DIR}/{name}"


class RunFiles:
    """Run files of one backend: local copies not uploaded yet, sizes, and names known to be uploaded.

    The main thread adds runs; the writer thread uploads them and, checkpoint by checkpoint (in order),
    forgets runs that a compaction made obsolete: a run dropped at checkpoint N may still be uploaded for
    checkpoint N-1, so it is only discarded when the writer reaches checkpoint N.
    """

    def __init__(self) -> None:
        self.local: dict[str, bytes] = {}
        self.sizes: dict[str, int] = {}
        self.uploaded: set[str] = set()

    def add_local(self, name: str, data: bytes) -> None:
        """Register a freshly written run (held in memory until it is uploaded)."""
        self.local[name] = data
        self.sizes[name] = len(data)

    def drop_local(self, name: str) -> None:
        """Forget the local copy of a run."""
        self.local.pop(name, None)

    def discard(self, names: set[str]) -> None:
        """Forget runs no later checkpoint references."""
        for name in names:
            self.drop_local(name)
            self.sizes.pop(name, None)
            self.uploaded.discard(name)

    def upload(self, names: list[str], storage: CheckpointStorage, job_id: str) -> int:
        """Upload the runs among ``names`` not uploaded yet (up to ``UPLOAD_THREADS`` at a time, which matters
        for object stores); returns the bytes written."""
        pending: dict[str, bytes] = {}
        for name in names:
            if name in self.uploaded:
                continue
            data = self.local.get(name)
            if data is None:
                raise StorageError(f"run file {name} is neither in the checkpoint storage nor local")
            pending[name] = data
        if len(pending) > 1:
            with ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="run-upload") as pool:
                list(
                    pool.map(
                        lambda item: storage.write(f"{job_id}/{shared_path(item[0])}", item[1]),
                        pending.items(),
                    )
                )
        else:
            for name, data in pending.items():
                storage.write(f"{job_id}/{shared_path(name)}", data)
        for name in pending:
            self.uploaded.add(name)
            self.drop_local(name)
        return sum(len(data) for data in pending.values())


@dataclass
class IncrementalSnapshot:
    """What the synchronous part of an incremental checkpoint hands to the writer thread."""

    format: int
    states: dict[str, list[Any]]
    buckets: list[list[Any]]
    sizes: dict[str, int]
    obsolete: set[str]
    files: RunFiles = field(repr=False)

    def referenced(self) -> list[str]:
        """Every run file the checkpoint references, sorted."""
        return sorted({name for _, _, chain in self.buckets for name in chain})

    def manifest(self) -> dict[str, Any]:
        """The chunk stored in the subtask's state file."""
        return {
            RUNS_KEY: {
                "format": self.format,
                "states": self.states,
                "buckets": self.buckets,
                "sizes": self.sizes,
            }
        }


@dataclass
class PersistedKeyedState:
    """Result of writing one subtask's keyed state: state-file chunks, shared references, bytes uploaded."""

    chunks: list[bytes]
    shared: list[str]
    uploaded_bytes: int


def persist_keyed_snapshot(
    keyed: dict[str, Any], storage: CheckpointStorage, job_id: str
) -> PersistedKeyedState:
    """Asynchronous part for one keyed subtask of a checkpoint: native chunks, or (incremental) upload of
    the new run files and a manifest referencing all of them."""
    incremental: IncrementalSnapshot | None = keyed.get("incremental")
    if incremental is None:
        return PersistedKeyedState([serde.dumps(c) for c in encode_keyed_snapshot(keyed)], [], 0)
    shared = incremental.referenced()
    incremental.files.discard(incremental.obsolete)
    uploaded = incremental.files.upload(shared, storage, job_id)
    timers = {"timers": [[timestamp, key] for timestamp, key in keyed["timers"]]}
    return PersistedKeyedState([serde.dumps(incremental.manifest()), serde.dumps(timers)], shared, uploaded)


class RunsManifest(dict[str, Any]):
    """A restored run manifest with the function that reads the files it references.

    Only the RocksDB backend understands it; any other backend asking for canonical fields gets a clear error.
    """

    def __init__(self, manifest: dict[str, Any], read: Callable[[str], bytes]) -> None:
        super().__init__(manifest)
        self.read = read

    def __missing__(self, key: str) -> Any:
        raise ValueError(
            "this checkpoint holds RocksDB incremental state; restore it with EmbeddedRocksDBStateBackend "
            "(or restore from a savepoint, which any backend reads)"
        )


def bind_restore_storage(chunks: list[Any], storage: CheckpointStorage) -> list[Any]:
    """Give run manifests of a restored state file access to the shared files (``../shared/`` from the
    checkpoint folder the restore storage is rooted at)."""
    return [
        RunsManifest(chunk[RUNS_KEY], lambda path: storage.read(f"../{path}"))
        if isinstance(chunk, dict) and RUNS_KEY in chunk
        else chunk
        for chunk in chunks
    ]


def shared_reference_counts(layout: CheckpointLayout) -> Counter[str]:
    """How many retained completed checkpoints reference each shared file."""
    counts: Counter[str] = Counter()
    for ref in layout.completed():
        for entry in ref.metadata.operators.values():
            counts.update(entry.get("shared", ()))
    return counts


def collect_shared_garbage(layout: CheckpointLayout) -> list[str]:
    """Delete shared files no retained checkpoint references; returns their names."""
    counts = shared_reference_counts(layout)
    folder = f"{layout.job_id}/{SHARED_DIR}"
    garbage = [name for name in layout.storage.list_dir(folder) if counts[name] == 0]
    for name in garbage:
        layout.storage.delete_tree(f"{folder}/{name}")
    return garbage
