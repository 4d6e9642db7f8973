"""State backend base types: ``StateBackend``, its context, and the heap ``HashMapStateBackend``."""

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
