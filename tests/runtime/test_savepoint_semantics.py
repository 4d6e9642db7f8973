"""Savepoint semantics, in process (fast): drain, allow_non_restored_state, failures, format, relocation,
the savepoint CLI, and the write-once ``_metadata`` of local storage."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stream_runtime import (
    CheckpointedFunction,
    ExactlyOnceFileSink,
    KeyedProcessFunction,
    ListStateDescriptor,
    MapFunction,
    SinkFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.engine.topology import StateRestoreError
from stream_runtime.process import cli
from stream_runtime.process.launch import LaunchOptions
from stream_runtime.sinks import read_committed_lines
from stream_runtime.storage import (
    AlreadyPublishedError,
    CheckpointLayout,
    CheckpointMetadata,
    LocalCheckpointStorage,
)
from tests.runtime.conftest import InProcessJob, wait_until
from tests.runtime.test_rescaling import ListThenIdleSource

KEYS = 5
FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01: never fires on its own during a test


class Collect(SinkFunction):
    """Collects into a class-level list."""

    SEEN: ClassVar[list[Any]] = []

    def invoke(self, value: Any, context: Any = None) -> None:
        Collect.SEEN.append(value)


class CountWithReminder(KeyedProcessFunction):
    """Counts per key and registers one far-future timer per key (the same timestamp each time, so one timer
    whatever the clock does); the timer emits ``("timer", key, count)``. ``PROCESSED`` counts elements."""

    PROCESSED: ClassVar[list[Any]] = []

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value: Any, ctx: Any) -> Any:
        self.count.update((self.count.value() or 0) + 1)
        ctx.timer_service().register_processing_time_timer(FAR_FUTURE_MS)
        CountWithReminder.PROCESSED.append(value)
        return None

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        yield ("timer", ctx.get_current_key(), self.count.value())


class Tagged(MapFunction, CheckpointedFunction):
    """A stateful non-keyed operator (list state) that a newer job version may drop."""

    def initialize_state(self, context: Any) -> None:
        self.state = context.get_operator_state_store().get_list_state(ListStateDescriptor("seen"))
        if not context.is_restored():
            self.state.add("marker")

    def snapshot_state(self, context: Any) -> None:
        return None

    def map(self, value: Any) -> Any:
        return value


def _env(*, tagged: bool = False, stateless_map: bool = False) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    stream = env.from_source(ListThenIdleSource(), "list").uid("source")
    if tagged:
        stream = stream.map(Tagged()).uid("tagged")
    if stateless_map:
        stream = stream.map(lambda value: value).uid("stateless")
    stream.key_by(lambda value: value % KEYS).process(CountWithReminder()).uid("count").add_sink(
        Collect()
    ).uid("collect")
    return env


def _options(tmp_path: Path, restore: str | None = None, allow: bool = False) -> LaunchOptions:
    return LaunchOptions(
        job_id="semantics",
        storage=LocalCheckpointStorage(tmp_path / "checkpoints"),
        restore_storage=LocalCheckpointStorage(restore) if restore else None,
        allow_non_restored_state=allow,
    )


@pytest.fixture(autouse=True)
def _input() -> None:
    ListThenIdleSource.ELEMENTS = list(range(20))
    Collect.SEEN = []
    CountWithReminder.PROCESSED = []


@pytest.mark.parametrize("drain", [False, True])
def test_drain_fires_timers_and_plain_stop_keeps_them(tmp_path: Path, drain: bool) -> None:
    job = InProcessJob(_env(), _options(tmp_path)).start()
    wait_until(lambda: len(CountWithReminder.PROCESSED) == 20, 30, "the job to count all 20 elements")
    response = job.command("stop_with_savepoint", target=str(tmp_path / "sp"), drain=drain)
    assert response["ok"], response
    job.join()
    fired = sorted(Collect.SEEN)
    if drain:
        assert fired == [("timer", key, 20 // KEYS) for key in range(KEYS)]
    else:
        assert fired == []
        # the timers are in the savepoint: a restore still has them pending (a drain would have fired them)
        Collect.SEEN = []
        restored = InProcessJob(_env(), _options(tmp_path, response["location"])).start()
        assert restored.command("stop_with_savepoint", target=str(tmp_path / "sp2"), drain=True)["ok"]
        restored.join()
        assert sorted(Collect.SEEN) == [("timer", key, 20 // KEYS) for key in range(KEYS)]


def test_savepoint_while_running_keeps_the_job_running(tmp_path: Path) -> None:
    job = InProcessJob(_env(), _options(tmp_path)).start()
    first = job.command("trigger_savepoint", target=str(tmp_path / "sp"))
    second = job.command("trigger_savepoint", target=None)  # default target: the checkpoint root
    assert first["ok"] and second["ok"], (first, second)
    assert second["checkpoint_id"] > first["checkpoint_id"]
    assert str(second["location"]).startswith(str(tmp_path / "checkpoints" / "savepoint-semant-"))
    metadata = CheckpointMetadata.from_bytes(LocalCheckpointStorage(first["location"]).read("_metadata"))
    assert metadata.is_savepoint
    assert {uid: entry["format"] for uid, entry in metadata.operators.items()} == dict.fromkeys(
        ("source", "count", "collect"), "canonical"
    )
    assert not CheckpointLayout(LocalCheckpointStorage(tmp_path / "checkpoints"), "semantics").completed()
    stop = job.command("stop_with_savepoint", target=str(tmp_path / "sp"))
    assert stop["ok"] and stop["checkpoint_id"] > second["checkpoint_id"]
    assert job.join().savepoint_path == stop["location"]


def test_failed_savepoint_without_drain_keeps_the_job_running(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    job = InProcessJob(_env(), _options(tmp_path)).start()
    failed = job.command("stop_with_savepoint", target=str(blocker))
    assert not failed["ok"] and "Savepoint failed" in failed["error"]
    ok = job.command("stop_with_savepoint", target=str(tmp_path / "sp"))
    assert ok["ok"], ok
    assert job.join().savepoint_path == ok["location"]
    assert list((tmp_path / "sp").iterdir())  # only the successful savepoint was written


def test_allow_non_restored_state_both_ways(tmp_path: Path) -> None:
    job = InProcessJob(_env(tagged=True, stateless_map=True), _options(tmp_path)).start()
    location = job.command("stop_with_savepoint", target=str(tmp_path / "sp"))["location"]
    job.join()
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(location, moved)
    shutil.rmtree(location)  # relocatable: the copy is all there is

    with pytest.raises(StateRestoreError, match=r"operator 'tagged'.*allow_non_restored_state"):
        InProcessJob(_env(stateless_map=True), _options(tmp_path, str(moved))).start().join()

    # a removed stateless operator needs no flag; a removed stateful one is skipped with the flag
    for env, allow in ((_env(tagged=True), False), (_env(), True)):
        Collect.SEEN = []
        job = InProcessJob(env, _options(tmp_path, str(moved), allow=allow)).start()
        assert job.command("stop_with_savepoint", target=str(tmp_path / "sp"), drain=True)["ok"]
        job.join()
        assert sorted(Collect.SEEN) == [("timer", key, 20 // KEYS) for key in range(KEYS)]
    assert any("Skipping state of operators not in this job: ['tagged']" in line for line in job.logs)


def test_restore_from_a_location_without_metadata_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StateRestoreError, match="No completed checkpoint or savepoint at"):
        InProcessJob(_env(), _options(tmp_path, str(tmp_path / "empty"))).start().join()


def test_cli_describes_and_disposes_a_savepoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = InProcessJob(_env(), _options(tmp_path)).start()
    location = job.command("stop_with_savepoint", target=str(tmp_path / "sp"))["location"]
    job.join()
    assert cli.main(["savepoint", "info", location]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["is_savepoint"] and info["operators"]["count"]["format"] == "canonical"
    assert info["operators"]["count"]["max_parallelism"] == 128
    assert cli.main(["savepoint", "dispose", location]) == 0
    assert not Path(location).exists()
    assert cli.main(["savepoint", "dispose", location]) == 1


def test_failed_savepoint_after_a_drain_fails_the_job(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    job = InProcessJob(_env(), _options(tmp_path)).start()
    response = job.command("stop_with_savepoint", target=str(blocker), drain=True)
    assert not response["ok"]
    with pytest.raises(RuntimeError, match="stop-with-savepoint with drain failed"):
        job.join()


@pytest.mark.parametrize("hard_links", [True, False])
def test_local_metadata_is_write_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:

        def no_link(source: object, target: object) -> None:
            raise PermissionError(errno.EPERM, "hard links not supported")

        monkeypatch.setattr(os, "link", no_link)
    storage = LocalCheckpointStorage(tmp_path)
    storage.publish("sp/_metadata", b"first")
    with pytest.raises(AlreadyPublishedError):
        storage.publish("sp/_metadata", b"second")
    storage.publish("sp/_checkpoint_counter", b"1")
    storage.publish("sp/_checkpoint_counter", b"2")  # ordinary files are replaced
    assert storage.read("sp/_metadata") == b"first" and storage.read("sp/_checkpoint_counter") == b"2"
    assert sorted(os.listdir(tmp_path / "sp")) == ["_checkpoint_counter", "_metadata"]  # no temporary files


def test_savepoint_transactions_are_committed_by_the_next_checkpoint(tmp_path: Path) -> None:
    n = 3000
    out = tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(50)
    env.from_sequence(0, n - 1, records_per_second=6000).uid("numbers").add_sink(
        ExactlyOnceFileSink(str(out))
    ).uid("sink")
    job = InProcessJob(env, _options(tmp_path)).start()
    locations = [job.command("trigger_savepoint", target=str(tmp_path / "sp"))["location"] for _ in range(3)]
    result = job.join()
    assert len(set(locations)) == 3
    savepoints = [s for s in result.checkpoints if s["is_savepoint"]]
    assert [s["status"] for s in savepoints] == ["COMPLETED"] * 3
    assert result.checkpoints[-1]["id"] > savepoints[-1]["id"]  # a checkpoint completed after them
    assert [int(line) for line in read_committed_lines(str(out))[0]] == list(range(n))
    assert not [name for name in os.listdir(out) if name.startswith(".")]
