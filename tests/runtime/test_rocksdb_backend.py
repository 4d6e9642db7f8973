"""RocksDB keyed-state backend proofs.

* Every state kind behaves like the heap backend's through cache flushes, and survives an incremental
  checkpoint and a canonical (savepoint-format) snapshot.
* A keyed job run on the heap backend, on RocksDB with full checkpoints and on RocksDB with incremental
  checkpoints, restored from its checkpoint at another parallelism and fed more input, ends with identical
  keyed state, equal to a model of the job.
* A savepoint of a RocksDB job restores into both backends with the same state.
* The once-failing keyed aggregator with the control plane's ``--state-backend rocksdb
  --incremental-checkpoints`` override recovers exactly (restore from an incremental checkpoint after a
  failure).
"""

from __future__ import annotations

import random
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from stream_runtime import (
    AggregateFunction,
    AggregatingStateDescriptor,
    KeyedProcessFunction,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
    serde,
)
from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.sinks import read_committed_lines
from stream_runtime.sources import Source, SourceReader
from stream_runtime.state.backend import encode_canonical_snapshot, encode_keyed_snapshot
from stream_runtime.state.backends import HashMapStateBackend, KeyedBackendContext, StateBackend
from stream_runtime.state.incremental import bind_restore_storage, persist_keyed_snapshot
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.local import LocalCheckpointStorage
from tests.runtime.conftest import InProcessJob, SupervisorFactory, load_keyed_state, read_logs, wait_until

KEYS = 97
MAX_PARALLELISM = 64


class Average(AggregateFunction):
    def create_accumulator(self) -> Any:
        return (0, 0)

    def add(self, value: Any, accumulator: Any) -> Any:
        return (accumulator[0] + value, accumulator[1] + 1)

    def get_result(self, accumulator: Any) -> Any:
        return accumulator[0] / accumulator[1]

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        return (acc_a[0] + acc_b[0], acc_a[1] + acc_b[1])


def _apply(states: dict[str, Any], n: int) -> None:
    """What the job does with one record: the same calls on any backend's handles."""
    count = states["count"]
    count.update((count.value() or 0) + 1)
    states["sum"].add(n)
    states["avg"].add(n)
    if n % 7 == 0:
        states["sevens"].add(n)
    if n % 11 == 0:
        states["sevens"].update([n])
    mods = states["mods"]
    mods.put(n % 5, n)
    if n % 13 == 0:
        mods.remove(n % 5)
    if n % 17 == 0:
        count.clear()


def _handles(get: Callable[[Any], Any]) -> dict[str, Any]:
    return {
        "count": get(ValueStateDescriptor("count")),
        "sum": get(ReducingStateDescriptor("sum", lambda a, b: a + b)),
        "avg": get(AggregatingStateDescriptor("avg", Average())),
        "sevens": get(ListStateDescriptor("sevens")),
        "mods": get(MapStateDescriptor("mods")),
    }


def _model(numbers: Iterable[int]) -> dict[str, dict[Any, Any]]:
    """The expected tables ``{state: {key: stored value}}`` after the job saw ``numbers``."""
    heap = HashMapStateBackend().create_keyed_backend(
        KeyGroupAssigner(MAX_PARALLELISM, 1), KeyGroupRange(0, MAX_PARALLELISM - 1), _context()
    )
    states = _handles(heap.get_state)
    for n in numbers:
        heap.key_context.current_key = n % KEYS
        _apply(states, n)
    return {name: {k: v for k, v in table.items() if v is not None} for name, table in heap.tables.items()}


def _context(storage: LocalCheckpointStorage | None = None) -> KeyedBackendContext:
    scratch = storage or LocalCheckpointStorage(tempfile.mkdtemp(prefix="rocks-test-"))
    return KeyedBackendContext("op", 0, "job", scratch, True)


def _without_empty(tables: dict[str, dict[Any, Any]]) -> dict[str, dict[Any, Any]]:
    return {
        name: {k: v for k, v in table.items() if v not in (None, {}, [])} for name, table in tables.items()
    }


def _canonical(copied: dict[str, Any]) -> dict[str, dict[Any, Any]]:
    return {name: dict(table.items()) for name, table in copied["tables"].items()}


def test_every_state_kind_matches_the_heap_backend_through_flushes_and_snapshots(tmp_path: Path) -> None:
    storage = LocalCheckpointStorage(tmp_path / "checkpoints")
    assigner = KeyGroupAssigner(MAX_PARALLELISM, 1)
    full_range = KeyGroupRange(0, MAX_PARALLELISM - 1)
    config = EmbeddedRocksDBStateBackend(incremental=True, dirty_limit=300, max_chain_length=2)
    rocks = config.create_keyed_backend(assigner, full_range, _context(storage))
    states = _handles(rocks.get_state)
    for n in range(3000):
        rocks.key_context.current_key = n % KEYS
        _apply(states, n)
        if n % 500 == 499:  # checkpoints in between: chains grow and buckets are rewritten
            persist_keyed_snapshot(rocks.copy_for_snapshot(), storage, "job")
    expected = _model(range(3000))
    assert _without_empty(_canonical(rocks.copy_for_savepoint())) == _without_empty(expected)
    rocks.key_context.current_key = 3
    assert states["avg"].get() == pytest.approx(
        sum(n for n in range(3000) if n % KEYS == 3) / len(range(3, 3000, KEYS))
    )

    # incremental checkpoint → restore into a fresh RocksDB backend
    persisted = persist_keyed_snapshot(rocks.copy_for_snapshot(), storage, "job")
    assert persisted.shared and persisted.uploaded_bytes >= 0
    chunks = [serde.loads(c) for c in persisted.chunks]
    (tmp_path / "checkpoints/job/chk-1").mkdir(parents=True)
    restored = config.create_keyed_backend(assigner, full_range, _context(storage))
    restored.restore([((0, MAX_PARALLELISM - 1), bind_restore_storage(chunks, storage.child("job/chk-1")))])
    assert _without_empty(_canonical(restored.copy_for_savepoint())) == _without_empty(expected)
    with pytest.raises(ValueError, match="EmbeddedRocksDBStateBackend"):
        HashMapStateBackend().create_keyed_backend(assigner, full_range, _context()).restore(
            [((0, MAX_PARALLELISM - 1), bind_restore_storage(chunks, storage.child("job/chk-1")))]
        )

    # canonical (savepoint format) and native full snapshots restore into either backend
    canonical = list(encode_canonical_snapshot(rocks.copy_for_savepoint(), assigner.key_group))
    native = list(encode_keyed_snapshot(rocks.copy_for_savepoint()))
    for backend in (HashMapStateBackend(), EmbeddedRocksDBStateBackend(dirty_limit=500)):
        for chunks_ in (canonical, native):
            target = backend.create_keyed_backend(assigner, full_range, _context())
            target.restore([((0, MAX_PARALLELISM - 1), chunks_)])
            assert _without_empty(_canonical(target.copy_for_savepoint())) == _without_empty(expected)


class Stateful(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.states = _handles(runtime_context.get_state)

    def process_element(self, value: Any, ctx: Any) -> None:
        _apply(self.states, value)


BACKENDS: dict[str, Callable[[], StateBackend]] = {
    "hashmap": HashMapStateBackend,
    "rocksdb-full": EmbeddedRocksDBStateBackend,
    "rocksdb-incremental": lambda: EmbeddedRocksDBStateBackend(incremental=True),
}


def _keyed_job(backend: StateBackend, parallelism: int, numbers: range, source_uid: str) -> Any:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(100)
    env.set_parallelism(parallelism)
    env.set_max_parallelism(MAX_PARALLELISM)
    env.set_state_backend(backend)
    numbers_stream = env.from_collection(list(numbers)).uid(source_uid)
    numbers_stream.key_by(lambda n: n % KEYS).process(Stateful()).uid("state")
    return env


@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_keyed_state_is_identical_after_restore_at_another_parallelism(
    backend_name: str, tmp_path: Path
) -> None:
    storage = LocalCheckpointStorage(tmp_path / "checkpoints")
    with launch_options(LaunchOptions(job_id="first", storage=storage, log=lambda m: None)):
        _keyed_job(BACKENDS[backend_name](), 2, range(0, 4000), "numbers-1").execute("first")
    first = CheckpointLayout(storage, "first").latest_completed()
    assert first is not None
    restore = LaunchOptions(
        job_id="second",
        storage=storage,
        restore_storage=storage.child(first.directory),
        allow_non_restored_state=True,
        log=lambda m: None,
    )
    with launch_options(restore):
        _keyed_job(BACKENDS[backend_name](), 3, range(4000, 8000), "numbers-2").execute("second")
    second = CheckpointLayout(storage, "second").latest_completed()
    assert second is not None

    reader = EmbeddedRocksDBStateBackend() if backend_name == "rocksdb-incremental" else HashMapStateBackend()
    for parallelism in (1, 4):
        state = load_keyed_state(storage.child(second.directory), "state", reader, parallelism)
        assert _without_empty(state) == _without_empty(_model(range(8000)))


class _IdleAfter(Source):
    """Emits the numbers once, then stays idle (unbounded) until the job is stopped."""

    default_parallelism = 1

    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers
        self.emitted = threading.Event()  # set once the batch with the last number went through the graph

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        return [0]

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return _IdleReader(self.numbers, int(splits[0]), self.emitted)


class _IdleReader(SourceReader):
    def __init__(self, numbers: list[int], offset: int, emitted: threading.Event) -> None:
        self.numbers = numbers
        self.offset = offset
        self.emitted = emitted

    def poll(self, max_records: int) -> list[Any]:
        if self.offset >= len(self.numbers):
            self.emitted.set()  # batches are processed synchronously: the previous poll's batch is done
        batch = self.numbers[self.offset : self.offset + max_records]
        self.offset += len(batch)
        return batch

    def is_finished(self) -> bool:
        return False

    def snapshot(self) -> list[Any]:
        return [self.offset]


def test_savepoint_of_a_rocksdb_job_restores_into_both_backends(tmp_path: Path) -> None:
    numbers = list(range(6000))
    random.Random(2).shuffle(numbers)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(100)
    env.set_parallelism(2)
    env.set_max_parallelism(MAX_PARALLELISM)
    env.set_state_backend(EmbeddedRocksDBStateBackend(incremental=True))
    source = _IdleAfter(numbers)
    env.from_source(source).uid("numbers").key_by(lambda n: n % KEYS).process(Stateful()).uid("state")
    storage = LocalCheckpointStorage(tmp_path / "checkpoints")
    job = InProcessJob(env, LaunchOptions(job_id="sp", storage=storage)).start()
    wait_until(source.emitted.is_set, 30, "every number to be processed")
    response = job.command("stop_with_savepoint", target=str(tmp_path / "savepoints"))
    job.join()
    assert response["ok"], response
    savepoint = LocalCheckpointStorage(str(response["location"]))

    expected = _without_empty(_model(numbers))
    for backend in (HashMapStateBackend(), EmbeddedRocksDBStateBackend(incremental=True)):
        for parallelism in (1, 3):
            assert _without_empty(load_keyed_state(savepoint, "state", backend, parallelism)) == expected


def test_state_backend_override_recovers_the_failing_aggregator_exactly(
    supervised: SupervisorFactory, tmp_path: Path
) -> None:
    n, keys = 20_000, 13
    supervisor = supervised(
        "keyed_aggregator.py",
        env={"N": str(n), "KEYS": str(keys), "FAIL_AT": str(n // 2), "RATE": "10000"},
        overrides=RuntimeOverrides(parallelism=2, state_backend="rocksdb", incremental_checkpoints=True),
    )
    supervisor.start()
    assert supervisor.wait(timeout=60) is JobProcessStatus.FINISHED, (
        supervisor.failure_cause,
        read_logs(tmp_path),
    )
    assert supervisor.restart_count == 1 and "Restoring job" in read_logs(tmp_path)
    lines = [line for part in read_committed_lines(str(tmp_path / "out")).values() for line in part]
    assert len(lines) == n
    final: dict[int, tuple[int, int]] = {}
    for line in lines:
        key, total, count = map(int, line.split(","))
        assert count == final.get(key, (0, 0))[1] + 1, f"key {key}: lost, duplicated or reordered"
        final[key] = (total, count)
    assert {key: total for key, (total, _) in final.items()} == {
        key: sum(range(key, n, keys)) for key in range(keys)
    }
    checkpoints = CheckpointLayout(LocalCheckpointStorage(tmp_path / "checkpoints"), "job").latest_completed()
    assert checkpoints is not None and checkpoints.metadata.operators["sum"]["shared"], "incremental in use"
