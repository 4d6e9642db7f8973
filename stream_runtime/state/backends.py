"""State backend selection: ``HashMapStateBackend`` (heap) or ``EmbeddedRocksDBStateBackend`` per job."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from stream_runtime.state.backend import HeapKeyedStateBackend
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
from stream_runtime.storage.base import CheckpointStorage

BACKEND_NAMES = ("hashmap", "rocksdb")


@dataclass(frozen=True)
class KeyedBackendContext:
    """Where a keyed backend lives: its operator subtask and the job's checkpoint storage."""

    operator_uid: str
    subtask_index: int
    job_id: str
    storage: CheckpointStorage
    checkpointing_enabled: bool


class StateBackend(ABC):
    """Creates the keyed-state backend of every keyed operator subtask of a job."""

    name = "abstract"

    @abstractmethod
    def create_keyed_backend(
        self, assigner: KeyGroupAssigner, key_group_range: KeyGroupRange, context: KeyedBackendContext
    ) -> HeapKeyedStateBackend:
        """A backend for one subtask owning ``key_group_range``."""

    def describe(self) -> str:
        """Short name for logs."""
        return self.name


class HashMapStateBackend(StateBackend):
    """Keyed state as Python dicts on the heap (Flink's HashMapStateBackend); full snapshots."""

    name = "hashmap"

    def create_keyed_backend(
        self, assigner: KeyGroupAssigner, key_group_range: KeyGroupRange, context: KeyedBackendContext
    ) -> HeapKeyedStateBackend:
        return HeapKeyedStateBackend(assigner, key_group_range)


def state_backend_by_name(name: str, incremental: bool | None = None) -> StateBackend:
    """``hashmap`` or ``rocksdb`` (incremental checkpoints on request)."""
    if name == "hashmap":
        return HashMapStateBackend()
    if name == "rocksdb":
        from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend

        return EmbeddedRocksDBStateBackend(incremental=bool(incremental))
    raise ValueError(f"unknown state backend {name!r}; expected one of {BACKEND_NAMES}")


def resolve_state_backend(
    configured: StateBackend | None, override_name: str | None, override_incremental: bool | None
) -> StateBackend:
    """The job's backend after the control plane's overrides (which win when set)."""
    backend = configured or HashMapStateBackend()
    if override_name is not None and override_name != backend.name:
        backend = state_backend_by_name(override_name, override_incremental)
    if override_incremental is not None and backend.name == "rocksdb":
        from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend

        assert isinstance(backend, EmbeddedRocksDBStateBackend)
        backend = backend.with_incremental(override_incremental)
    return backend
