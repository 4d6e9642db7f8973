"""State backend selection: ``HashMapStateBackend`` (heap) or ``EmbeddedRocksDBStateBackend`` per job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stream_runtime.state.backends import BACKEND_NAMES, HashMapStateBackend, StateBackend

if TYPE_CHECKING:
    from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend


def _rocksdb() -> type[EmbeddedRocksDBStateBackend]:
    """The RocksDB backend, imported only by a job that uses it (RocksDB is a large native library)."""
    from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend

    return EmbeddedRocksDBStateBackend


def state_backend_by_name(name: str, incremental: bool | None = None) -> StateBackend:
    """``hashmap`` or ``rocksdb`` (incremental checkpoints on request)."""
    if name == "hashmap":
        return HashMapStateBackend()
    if name == "rocksdb":
        return _rocksdb()(incremental=bool(incremental))
    raise ValueError(f"unknown state backend {name!r}; expected one of {BACKEND_NAMES}")


def resolve_state_backend(
    configured: StateBackend | None, override_name: str | None, override_incremental: bool | None
) -> StateBackend:
    """The job's backend after the control plane's overrides (which win when set)."""
    backend = configured or HashMapStateBackend()
    if override_name is not None and override_name != backend.name:
        backend = state_backend_by_name(override_name, override_incremental)
    if override_incremental is not None and backend.name == "rocksdb":
        assert isinstance(backend, _rocksdb())
        backend = backend.with_incremental(override_incremental)
    return backend
