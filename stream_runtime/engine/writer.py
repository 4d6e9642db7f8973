"""Asynchronous part of checkpoints: encode, write data files, publish ``_metadata`` last, apply retention."""

from __future__ import annotations

import contextlib
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stream_runtime import serde
from stream_runtime.engine import faults
from stream_runtime.engine.coordinator import CheckpointFailureReason
from stream_runtime.state.backend import encode_canonical_snapshot
from stream_runtime.state.incremental import collect_shared_garbage, persist_keyed_snapshot
from stream_runtime.storage.base import CheckpointStorage
from stream_runtime.storage.layout import METADATA_FILE, CheckpointLayout
from stream_runtime.storage.metadata import CheckpointMetadata


@dataclass
class OperatorSnapshot:
    """Synchronously copied state of all subtasks of one operator."""

    uid: str
    parallelism: int
    max_parallelism: int
    subtasks: list[dict[str, Any]]
    keyed: bool
    key_group: Callable[[Any], int] | None = None


@dataclass
class CheckpointTask:
    """Work item for the writer thread."""

    checkpoint_id: int
    timestamp_ms: int
    parallelism: int
    max_parallelism: int
    operators: list[OperatorSnapshot]
    stats: dict[str, Any] = field(default_factory=dict)
    savepoint: SavepointTarget | None = None


@dataclass(frozen=True)
class SavepointTarget:
    """Where a savepoint goes: a storage and the folder in it (``savepoint-<job>-<random>``)."""

    storage: CheckpointStorage
    directory: str


@dataclass
class CheckpointResult:
    """Outcome reported back to the main loop."""

    checkpoint_id: int
    ok: bool
    state_size: int = 0
    reason: CheckpointFailureReason | None = None
    message: str = ""
    is_savepoint: bool = False
    location: str | None = None


class CheckpointWriter:
    """A background thread that persists checkpoints in trigger order."""

    def __init__(self, layout: CheckpointLayout, num_retained: int) -> None:
        self.layout = layout
        self.num_retained = num_retained
        self.results: queue.Queue[CheckpointResult] = queue.Queue()
        self._tasks: queue.Queue[CheckpointTask | list[dict[str, Any]] | None] = queue.Queue()
        self._aborted: set[int] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="checkpoint-writer", daemon=True)
        self._thread.start()

    def submit(self, task: CheckpointTask) -> None:
        """Queue a checkpoint for writing."""
        self._tasks.put(task)

    def save_stats(self, history: list[dict[str, Any]]) -> None:
        """Queue a rewrite of the statistics file."""
        self._tasks.put(history)

    def abort(self, checkpoint_id: int) -> None:
        """Make sure ``checkpoint_id`` never gets its ``_metadata`` (e.g. it expired)."""
        with self._lock:
            self._aborted.add(checkpoint_id)

    def close(self, timeout: float) -> None:
        """Finish queued work (bounded by ``timeout``) and stop the thread."""
        self._tasks.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            if isinstance(task, list):
                with contextlib.suppress(OSError):
                    self.layout.write_stats(task)
                continue
            self.results.put(self._write(task))

    def _write(self, task: CheckpointTask) -> CheckpointResult:
        cid = task.checkpoint_id
        savepoint = task.savepoint is not None
        if task.savepoint is not None:
            storage, directory = task.savepoint.storage, task.savepoint.directory
        else:
            storage, directory = self.layout.storage, self.layout.checkpoint_dir(cid)

        def failed(reason: CheckpointFailureReason, message: str) -> CheckpointResult:
            """Remove what was written of this checkpoint; the failed result."""
            _delete_quietly(storage, directory)
            return CheckpointResult(cid, False, reason=reason, message=message, is_savepoint=savepoint)

        try:
            self.layout.write_counter(cid)
            operators: dict[str, dict[str, Any]] = {}
            size = 0
            for index, op in enumerate(task.operators):
                files = []
                shared: set[str] = set()
                has_state = False
                for subtask, copied in enumerate(op.subtasks):
                    header: dict[str, Any] = {"operator": copied["operator"]}
                    has_state = has_state or any(items for _, items in copied["operator"].values())
                    chunks = []
                    if "keyed" in copied:
                        keyed = copied["keyed"]
                        header["key_group_range"] = keyed["key_group_range"]
                        has_state = has_state or any(keyed["tables"].values()) or bool(keyed["timers"])
                        if savepoint:
                            assert op.key_group is not None
                            chunks = [serde.dumps(c) for c in encode_canonical_snapshot(keyed, op.key_group)]
                        else:
                            persisted = persist_keyed_snapshot(keyed, storage, self.layout.job_id)
                            chunks, size = persisted.chunks, size + persisted.uploaded_bytes
                            shared.update(persisted.shared)
                    chunks.insert(0, serde.dumps(header))
                    data = b"".join(chunks)
                    name = f"op{index}-{subtask}.state"
                    storage.write(f"{directory}/{name}", data)
                    size += len(data)
                    files.append(name)
                operators[op.uid] = {
                    "parallelism": op.parallelism,
                    "max_parallelism": op.max_parallelism,
                    "keyed": op.keyed,
                    "has_state": has_state,
                    "format": "canonical" if savepoint else "native",
                    "files": files,
                    "shared": sorted(shared),
                }
        except Exception as exc:
            return failed(CheckpointFailureReason.CHECKPOINT_ASYNC_EXCEPTION, _describe(exc))
        faults.maybe_crash(faults.BEFORE_METADATA, cid)
        with self._lock:
            aborted = cid in self._aborted
        if aborted:
            return failed(CheckpointFailureReason.CHECKPOINT_EXPIRED, "expired before completing")
        metadata = CheckpointMetadata(
            checkpoint_id=cid,
            job_id=self.layout.job_id,
            timestamp_ms=task.timestamp_ms,
            parallelism=task.parallelism,
            max_parallelism=task.max_parallelism,
            operators=operators,
            is_savepoint=savepoint,
            stats={**task.stats, "state_size": size},
        )
        try:
            storage.publish(f"{directory}/{METADATA_FILE}", metadata.to_bytes())
        except Exception as exc:
            return failed(CheckpointFailureReason.IO_EXCEPTION, _describe(exc))
        faults.maybe_crash(faults.AFTER_METADATA, cid)
        if not savepoint:
            self._apply_retention()
        return CheckpointResult(
            cid, True, state_size=size, is_savepoint=savepoint, location=storage.describe(directory)
        )

    def _apply_retention(self) -> None:
        try:
            completed = self.layout.completed()
            for ref in completed[: max(0, len(completed) - self.num_retained)]:
                self.layout.storage.delete_tree(ref.directory)
            collect_shared_garbage(self.layout)
        except OSError:
            traceback.print_exc()


def _delete_quietly(storage: CheckpointStorage, directory: str) -> None:
    try:
        storage.delete_tree(directory)
    except OSError:
        traceback.print_exc()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
