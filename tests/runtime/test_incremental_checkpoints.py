"""Proof: incremental RocksDB checkpoints upload only what changed, and shared files are reference-counted.

A job loads 2 000 000 keys into RocksDB-backed ValueState, then applies rounds of updates to 1 % of the keys
(20 000), each round separated from the next by a checkpoint (the test source waits for one). Every checkpoint
after the initial load must write less than 10 % of the bytes of a full checkpoint (the bytes its manifest
references). Short chains force bucket rewrites, so old run files become unreferenced: after the run the
job's ``shared/`` folder holds exactly the files the retained checkpoints reference. Restoring the newest
checkpoint gives the expected value for every one of the 2 000 000 keys.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stream_runtime import KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.sources import Source, SourceReader
from stream_runtime.state.incremental import RUNS_KEY, shared_reference_counts
from stream_runtime.state.rocksdb import EmbeddedRocksDBStateBackend
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.storage.locations import open_storage
from tests.runtime.conftest import load_keyed_state

KEYS = 2_000_000
ROUNDS = 12
RETAINED = 3


def round_keys(round_no: int, keys: int = KEYS) -> list[int]:
    """Keys updated in a round (round 0 writes every key, later rounds 1 % of them)."""
    if round_no == 0:
        return list(range(keys))
    return random.Random(round_no).sample(range(keys), keys // 100)


class RoundsSource(Source):
    """Emits ``(key, round)`` for every key of a round, then nothing until a checkpoint was taken.

    The split state is ``[round, offset, cuts]``; ``cuts`` logs the position of every checkpoint taken
    (``[round, offset]``) so the test knows which checkpoints follow the initial load.
    """

    default_parallelism = 1

    def __init__(self, cuts: list[list[int]], keys: int = KEYS, rounds: int = ROUNDS) -> None:
        self.cuts = cuts
        self.keys = keys
        self.rounds = rounds

    def create_splits(self, parallelism: int, clock: Callable[[], float]) -> list[Any]:
        return [[0, 0]]

    def create_reader(self, splits: list[Any], parallelism: int, clock: Callable[[], float]) -> SourceReader:
        return _RoundsReader(splits[0], self.cuts, self.keys, self.rounds)


class _RoundsReader(SourceReader):
    def __init__(self, split: list[int], cuts: list[list[int]], keys: int, rounds: int) -> None:
        self.round, self.offset = split
        self.rounds = rounds
        self.cuts = cuts
        self.key_count = keys
        self.keys = round_keys(self.round, keys)
        self.waiting = False

    def poll(self, max_records: int) -> list[Any]:
        if self.waiting or self.round > self.rounds:
            return []
        keys = self.keys[self.offset : self.offset + max_records]
        self.offset += len(keys)
        self.waiting = self.offset >= len(self.keys)
        return [(key, self.round) for key in keys]

    def is_finished(self) -> bool:
        return self.round > self.rounds

    def snapshot(self) -> list[Any]:
        self.cuts.append([self.round, self.offset])
        if self.waiting:
            self.round, self.offset, self.waiting = self.round + 1, 0, False
            if self.round <= self.rounds:
                self.keys = round_keys(self.round, self.key_count)
        return [[self.round, self.offset]]


class LastRound(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.state = runtime_context.get_state(ValueStateDescriptor("round"))

    def process_element(self, value: Any, ctx: Any) -> None:
        self.state.update(value[1])


def test_incremental_checkpoints_write_little_and_leave_no_garbage(tmp_path: Path) -> None:
    cuts: list[list[int]] = []
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(10)
    env.get_checkpoint_config().set_num_retained_checkpoints(RETAINED)
    env.set_state_backend(
        EmbeddedRocksDBStateBackend(incremental=True, local_dir=str(tmp_path / "local"), max_chain_length=4)
    )
    env.from_source(RoundsSource(cuts)).uid("rounds").key_by(lambda r: r[0]).process(LastRound()).uid("last")
    storage = LocalCheckpointStorage(tmp_path / "checkpoints")
    with launch_options(LaunchOptions(job_id="inc", storage=storage)):
        result = env.execute("incremental")

    stats = [s for s in result.checkpoints if s["status"] == "COMPLETED"]
    assert len(stats) == len(cuts), "every snapshot of the source belongs to a completed checkpoint"
    layout = CheckpointLayout(storage, "inc")
    retained = layout.completed()
    assert [ref.checkpoint_id for ref in retained] == [s["id"] for s in stats[-RETAINED:]]

    newest = retained[-1]
    full_bytes = _referenced_bytes(storage, newest.directory, newest.metadata.operators["last"]["files"])
    assert full_bytes > 10_000_000, "2 000 000 keys make a full checkpoint of more than 10 MB"
    # A checkpoint is incremental in the sense of the test when the previous cut was after the initial load.
    incremental = [s for s, cut in zip(stats[1:], cuts, strict=False) if (cut[0], cut[1]) >= (0, KEYS)]
    assert len(incremental) >= ROUNDS - 1
    for s in incremental:
        assert s["state_size"] < full_bytes / 10, f"checkpoint {s['id']} wrote {s['state_size']} bytes"

    counts = shared_reference_counts(layout)
    on_disk = set(os.listdir(tmp_path / "checkpoints" / "inc" / "shared"))
    assert on_disk == set(counts), "shared/ must hold exactly the files retained checkpoints reference"
    written = sum(s["state_size"] for s in stats)
    assert written > sum(os.path.getsize(tmp_path / "checkpoints/inc/shared" / n) for n in on_disk), (
        "rewritten buckets must have made older run files unreferenced and deleted"
    )

    expected = [0] * KEYS
    for round_no in range(1, ROUNDS + 1):
        for key in round_keys(round_no):
            expected[key] = round_no
    state = load_keyed_state(storage.child(newest.directory), "last", EmbeddedRocksDBStateBackend(), 1)
    restored = state["round"]
    assert len(restored) == KEYS
    assert all(restored[key] == value for key, value in enumerate(expected))


def _referenced_bytes(storage: LocalCheckpointStorage, directory: str, files: list[str]) -> int:
    from stream_runtime import serde

    total = 0
    for name in files:
        for chunk in serde.loads_stream(storage.read(f"{directory}/{name}")):
            if RUNS_KEY in chunk:
                total += sum(chunk[RUNS_KEY]["sizes"].values())
    return total


class Count(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value: Any, ctx: Any) -> None:
        self.count.update((self.count.value() or 0) + 1)


def test_incremental_checkpoints_on_s3_restore_and_collect(
    s3_env: dict[str, str], s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    storage = open_storage(f"s3://{s3_bucket}/checkpoints", s3_env)
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(100)
    env.set_state_backend(EmbeddedRocksDBStateBackend(incremental=True, max_chain_length=2))
    source = RoundsSource([], keys=20_000, rounds=3)
    numbers = env.from_source(source).uid("rounds").map(lambda r: r[0] % 1000)
    numbers.key_by(lambda n: n).process(Count()).uid("count")
    with launch_options(LaunchOptions(job_id="s3inc", storage=storage, log=lambda message: None)):
        env.execute("incremental-s3")

    layout = CheckpointLayout(storage, "s3inc")
    newest = layout.latest_completed()
    assert newest is not None
    assert set(storage.list_dir("s3inc/shared")) == set(shared_reference_counts(layout)), "no garbage on S3"
    expected: dict[int, int] = {}
    for round_no in range(3 + 1):
        for key in round_keys(round_no, 20_000):
            expected[key % 1000] = expected.get(key % 1000, 0) + 1
    state = load_keyed_state(storage.child(newest.directory), "count", EmbeddedRocksDBStateBackend(), 3)
    assert state["count"] == expected
