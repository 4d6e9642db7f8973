"""Rescaling from a savepoint, in the design of Flink's RescalingITCase.

A keyed job (42 keys, max parallelism 13, a non power of two) runs at parallelism 2 and stops with a
savepoint; it is restored at 3 and at 1. After the restore, one probe record per key asks the keyed
function for its state: every per-key sum must be identical and live on the subtask that owns the key's
key group, and the next savepoint holds each key once, in its owner's file. A non-keyed operator keeps
even-split list state and union list state whose redistribution is checked exactly; the source's positions
are redistributed like list state (no record is read twice or lost). Another max parallelism is refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stream_runtime import (
    CheckpointedFunction,
    KeyedProcessFunction,
    ListStateDescriptor,
    MapFunction,
    SinkFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
    serde,
)
from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.topology import StateRestoreError
from stream_runtime.process.launch import LaunchOptions
from stream_runtime.sources import Source, SourceReader
from stream_runtime.state.keygroups import assign_to_key_group, operator_index_for_key_group
from stream_runtime.storage import CheckpointMetadata, LocalCheckpointStorage
from tests.runtime.conftest import InProcessJob

KEYS = 42
MAX_PARALLELISM = 13
RECORDS_PER_KEY = 20


class ListThenIdleSource(Source):
    """Emits ``ELEMENTS`` (read at poll time, so a test can append to it) and then idles, never finishing.

    Split state ``[split index, offset, number of splits]``: split i covers ``ELEMENTS[i::number]``, so a
    split keeps its meaning whatever subtask it is restored on.
    """

    ELEMENTS: ClassVar[list[Any]] = []

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        return [[index, 0, parallelism] for index in range(parallelism)]

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return _ListReader([list(split) for split in splits])


class _ListReader(SourceReader):
    def __init__(self, splits: list[list[Any]]) -> None:
        self.splits = splits

    def poll(self, max_records: int) -> list[Any]:
        out: list[Any] = []
        for split in self.splits:
            index, offset, number = split
            batch = ListThenIdleSource.ELEMENTS[index::number][offset : offset + max_records - len(out)]
            split[1] += len(batch)
            out.extend(batch)
        return out

    def is_finished(self) -> bool:
        return False

    def snapshot(self) -> list[Any]:
        return [list(split) for split in self.splits]


class OperatorStateMap(MapFunction, CheckpointedFunction):
    """Pass-through map holding even-split list state and union list state (recorded on restore)."""

    RESTORED: ClassVar[dict[int, tuple[list[Any], list[Any]]]] = {}

    def initialize_state(self, context: Any) -> None:
        store = context.get_operator_state_store()
        self.split = store.get_list_state(ListStateDescriptor("split"))
        self.union = store.get_union_list_state(ListStateDescriptor("union"))
        index = context.get_runtime_context().get_index_of_this_subtask()
        if context.is_restored():
            OperatorStateMap.RESTORED[index] = (self.split.get(), self.union.get())
        else:  # subtask 0 holds three elements, subtask 1 two: an uneven list to redistribute
            self.split.update([f"s{index}-{n}" for n in range(3 - index)])
            self.union.update([f"u{index}"])

    def snapshot_state(self, context: Any) -> None:
        return None

    def map(self, value: Any) -> Any:
        return value


class KeyedSum(KeyedProcessFunction):
    """Per-key sum in ValueState; a ``("probe", key)`` record emits ``(key, sum, subtask index)``."""

    def open(self, runtime_context: Any) -> None:
        self.sum = runtime_context.get_state(ValueStateDescriptor("sum"))
        self.index = runtime_context.get_index_of_this_subtask()

    def process_element(self, value: Any, ctx: Any) -> Any:
        if value[0] == "probe":
            yield (ctx.get_current_key(), self.sum.value(), self.index)
        else:
            self.sum.update((self.sum.value() or 0) + value[1])


class Collect(SinkFunction):
    """Collects into a class-level list (subtasks are deep copies)."""

    SEEN: ClassVar[list[Any]] = []

    def invoke(self, value: Any, context: Any = None) -> None:
        Collect.SEEN.append(value)


def _env(max_parallelism: int = MAX_PARALLELISM) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_max_parallelism(max_parallelism)
    (
        env.from_source(ListThenIdleSource(), "list")
        .uid("source")
        .map(OperatorStateMap())
        .uid("operator-state")
        .key_by(lambda record: record[1] if record[0] == "probe" else record[0])
        .process(KeyedSum())
        .uid("sum")
        .add_sink(Collect())
        .uid("collect")
    )
    return env


def _options(tmp_path: Path, parallelism: int, restore: str | None = None) -> LaunchOptions:
    return LaunchOptions(
        job_id=f"rescale-{parallelism}",
        storage=LocalCheckpointStorage(tmp_path / "checkpoints"),
        restore_storage=LocalCheckpointStorage(restore) if restore else None,
        overrides=RuntimeOverrides(parallelism=parallelism),
    )


def _stop_with_savepoint(job: InProcessJob, target: Path) -> str:
    # the source emits all its elements in its first poll, and commands are handled after it was pushed
    # through the graph, so the savepoint holds every record
    response = job.command("stop_with_savepoint", target=str(target))
    assert response["ok"], response
    result = job.join()
    assert result.savepoint_path == response["location"]
    return str(response["location"])


def _keyed_state_by_subtask(location: str, uid: str) -> dict[int, list[Any]]:
    """Keys of the ``sum`` state per subtask file of a savepoint (canonical chunks)."""
    storage = LocalCheckpointStorage(location)
    metadata = CheckpointMetadata.from_bytes(storage.read("_metadata"))
    assert metadata.is_savepoint and metadata.operators[uid]["format"] == "canonical"
    held: dict[int, list[Any]] = {}
    for subtask, name in enumerate(metadata.operators[uid]["files"]):
        _, *chunks = serde.loads_stream(storage.read(name))
        held[subtask] = [key for chunk in chunks if chunk.get("table") == "sum" for key in chunk["k"]]
    return held


@pytest.fixture(scope="module")
def savepoint_at_2(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[Any, int]]:
    tmp_path = tmp_path_factory.mktemp("rescale")
    records = [(key, key * 1000 + n) for n in range(RECORDS_PER_KEY) for key in range(KEYS)]
    ListThenIdleSource.ELEMENTS = list(records)
    expected: dict[Any, int] = {}
    for key, value in records:
        expected[key] = expected.get(key, 0) + value
    job = InProcessJob(_env(), _options(tmp_path, 2)).start()
    location = _stop_with_savepoint(job, tmp_path / "savepoints")
    ListThenIdleSource.ELEMENTS = records + [("probe", key) for key in range(KEYS)]
    return location, expected


@pytest.mark.parametrize("new_parallelism", [3, 1, 2])
def test_keyed_and_operator_state_after_rescaling(
    savepoint_at_2: tuple[str, dict[Any, int]], tmp_path: Path, new_parallelism: int
) -> None:
    location, expected = savepoint_at_2
    relocated = tmp_path / "moved"
    shutil.copytree(location, relocated)  # savepoints are self-contained: restore from a copy
    Collect.SEEN = []
    OperatorStateMap.RESTORED = {}
    job = InProcessJob(_env(), _options(tmp_path, new_parallelism, str(relocated))).start()
    again = _stop_with_savepoint(job, tmp_path / "again")

    sums = {key: total for key, total, _ in Collect.SEEN}
    assert len(Collect.SEEN) == KEYS, "each probe answered exactly once: source positions redistributed"
    assert sums == expected
    for key, _, subtask in Collect.SEEN:
        group = assign_to_key_group(key, MAX_PARALLELISM)
        assert subtask == operator_index_for_key_group(MAX_PARALLELISM, new_parallelism, group)

    # no subtask holds keys outside its key groups: each key is stored exactly once, by its owner
    held = _keyed_state_by_subtask(again, "sum")
    assert sorted(key for keys in held.values() for key in keys) == list(range(KEYS))
    for subtask, keys in held.items():
        for key in keys:
            group = assign_to_key_group(key, MAX_PARALLELISM)
            assert operator_index_for_key_group(MAX_PARALLELISM, new_parallelism, group) == subtask

    elements = ["s0-0", "s0-1", "s0-2", "s1-0", "s1-1"]
    split = {
        2: [elements[:3], elements[3:]],  # unchanged parallelism: each subtask keeps its own list
        3: [["s0-0", "s0-1"], ["s0-2", "s1-0"], ["s1-1"]],  # concatenated, cut evenly, first ones take more
        1: [elements],
    }[new_parallelism]
    assert [OperatorStateMap.RESTORED[i][0] for i in range(new_parallelism)] == split
    assert all(OperatorStateMap.RESTORED[i][1] == ["u0", "u1"] for i in range(new_parallelism))


def test_changed_max_parallelism_is_refused(
    savepoint_at_2: tuple[str, dict[Any, int]], tmp_path: Path
) -> None:
    location, _ = savepoint_at_2
    with pytest.raises(StateRestoreError, match=r"operator 'sum'.*max parallelism 13.*max parallelism 14"):
        InProcessJob(_env(max_parallelism=14), _options(tmp_path, 2, location)).start().join()


def test_parallelism_above_max_parallelism_is_refused(
    savepoint_at_2: tuple[str, dict[Any, int]], tmp_path: Path
) -> None:
    location, _ = savepoint_at_2
    with pytest.raises(StateRestoreError, match=r"parallelism 14.*exceeds the max parallelism 13"):
        env = _env()
        env.max_parallelism = None  # taken from the savepoint, as Flink does when it is not set
        InProcessJob(env, _options(tmp_path, 14, location)).start().join()
