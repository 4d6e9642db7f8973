"""Kinesis source proofs over real HTTP against the moto server (``moto_endpoint``, a subprocess).

* ``kill -9`` of a job reading a 4-shard stream (heap, and RocksDB with incremental checkpoints), three
  times at random moments while a producer writes and one shard is split: every record is counted exactly
  once, in order per key, in keyed state and appears exactly once in the committed output of the exactly-once
  file sink.
* Restore at another parallelism: the shard positions of a retained checkpoint are redistributed and reading
  resumes after the last sequence number of each shard (nothing lost, nothing read twice).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from stream_runtime import (
    ExactlyOnceFileSink,
    ExternalizedCheckpointCleanup,
    KeyedProcessFunction,
    SinkFunction,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from stream_runtime.config import RuntimeOverrides
from stream_runtime.connectors import JsonDeserializationSchema, KinesisSource, SimpleStringSchema
from stream_runtime.engine.executor import JobCanceled
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.sinks import read_committed_lines
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.local import LocalCheckpointStorage
from tests.runtime.conftest import SupervisorFactory, create_kinesis_stream, read_logs, wait_until

WAIT_S = 60.0
KEYS = 12


def _client() -> Any:
    return boto3.client("kinesis")


class Producer(threading.Thread):
    """Puts JSON records ``{"key", "seq"}`` (per-key sequence numbers, partition key = key) until stopped."""

    def __init__(self, stream: str) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.stop = threading.Event()
        self.lock = threading.Lock()  # held per batch; the test holds it to reshard between batches
        self.produced = {f"k{i}": 0 for i in range(KEYS)}
        self.client = _client()

    def put_batch(self, rng: random.Random, size: int) -> None:
        records = []
        for _ in range(size):
            key = f"k{rng.randrange(KEYS)}"
            records.append(
                {"Data": f'{{"key":"{key}","seq":{self.produced[key]}}}'.encode(), "PartitionKey": key}
            )
            self.produced[key] += 1
        response = self.client.put_records(StreamName=self.stream, Records=records)
        assert response["FailedRecordCount"] == 0

    def run(self) -> None:
        rng = random.Random(5)
        while not self.stop.is_set():
            with self.lock:
                self.put_batch(rng, 40)
            time.sleep(0.01)  # pacing of the producer, not a synchronisation


def _end_open_shards(stream: str) -> None:
    """An ``END`` record into every open shard (explicit hash key inside the shard's range)."""
    client = _client()
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        if "EndingSequenceNumber" not in shard["SequenceNumberRange"]:
            client.put_record(
                StreamName=stream,
                Data=b"END",
                PartitionKey="end",
                ExplicitHashKey=shard["HashKeyRange"]["StartingHashKey"],
            )


def _split_first_open_shard(stream: str) -> None:
    client = _client()
    shard = next(
        s
        for s in client.list_shards(StreamName=stream)["Shards"]
        if "EndingSequenceNumber" not in s["SequenceNumberRange"]
    )
    low, high = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    client.split_shard(
        StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((low + high) // 2)
    )


def _completed(supervisor: Supervisor) -> int:
    return sum(1 for s in supervisor.checkpoint_stats() if s["status"] == "COMPLETED")


def _committed(out_dir: Path) -> dict[str, list[tuple[int, int]]]:
    """Committed ``(seq, count)`` per key, sorted by the producer's sequence number (after a rescale a key's
    lines are in files of several sink subtasks; a count equal to seq + 1 shows it was counted in order)."""
    by_key: dict[str, list[tuple[int, int]]] = {}
    for lines in read_committed_lines(str(out_dir)).values():
        for line in lines:
            key, seq, count = line.split(",")
            by_key.setdefault(key, []).append((int(seq), int(count)))
    return {key: sorted(records) for key, records in by_key.items()}


@pytest.mark.parametrize("backend", ["hashmap", "rocksdb"])
def test_kill_9_reading_kinesis_counts_every_record_once(
    kinesis_env: dict[str, str], supervised: SupervisorFactory, tmp_path: Path, backend: str
) -> None:
    stream = create_kinesis_stream("s", 4)
    supervisor = supervised(
        "kinesis_count_job.py",
        env={**kinesis_env, "STREAM": stream},
        overrides=RuntimeOverrides(state_backend=backend, incremental_checkpoints=backend == "rocksdb"),
    )
    supervisor.start()
    wait_until(supervisor.processing.is_set, WAIT_S, "the job to process")
    producer = Producer(stream)
    producer.start()
    rng = random.Random()
    for kill in range(3):
        wait_until(supervisor.processing.is_set, WAIT_S, "the job to process")
        wait_until(lambda: _completed(supervisor) >= 1, WAIT_S, "a completed checkpoint")
        if kill == 1:
            with producer.lock:
                _split_first_open_shard(stream)
        time.sleep(rng.uniform(0.1, 0.5))  # a random moment in the job's life, not a synchronisation
        pid = supervisor.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda killed=pid: not supervisor.processing.is_set() or supervisor.pid != killed,
            WAIT_S,
            "the supervisor to notice the kill",
        )
    wait_until(supervisor.processing.is_set, WAIT_S, "the job to process after the last kill")
    producer.stop.set()
    producer.join(10)
    _end_open_shards(stream)
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FINISHED, (
        supervisor.failure_cause,
        read_logs(tmp_path),
    )

    assert supervisor.restart_count == 3
    by_key = _committed(tmp_path / "out")
    assert sum(producer.produced.values()) > 0
    for key, produced in producer.produced.items():
        records = by_key.get(key, [])
        assert [seq for seq, _ in records] == list(range(produced)), f"{key}: lost, duplicated or reordered"
        assert [count for _, count in records] == list(range(1, produced + 1)), f"{key}: state miscounted"
    assert "Restoring job" in read_logs(tmp_path)


class _Count(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))

    def process_element(self, value: Any, ctx: Any) -> Any:
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        yield f"{value['key']},{value['seq']},{count}"


def _kinesis_job(stream: str, parallelism: int, out: Path) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(50)
    env.set_parallelism(parallelism)
    env.get_checkpoint_config().set_externalized_checkpoint_cleanup(
        ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION
    )
    source = KinesisSource(
        stream,
        JsonDeserializationSchema(),
        fetch_interval_s=0.02,
        discovery_interval_s=0.3,
        end_marker=b"END",
    )
    (
        env.from_source(source, "kinesis")
        .uid("kinesis")
        .key_by(lambda record: record["key"])
        .process(_Count())
        .uid("count")
        .add_sink(ExactlyOnceFileSink(str(out)))
        .uid("sink")
    )
    return env


@pytest.mark.parametrize(("before", "after"), [(2, 3), (3, 1)])
def test_shard_positions_redistribute_on_restore_at_another_parallelism(
    kinesis_env: dict[str, str], tmp_path: Path, before: int, after: int
) -> None:
    stream = create_kinesis_stream("s", 5)
    producer = Producer(stream)
    rng = random.Random(11)
    for _ in range(20):
        producer.put_batch(rng, 40)
    storage = LocalCheckpointStorage(tmp_path / "checkpoints")
    layout = CheckpointLayout(storage, "rescale")
    options = LaunchOptions(job_id="rescale", storage=storage, log=lambda message: None)
    first = threading.Thread(
        target=_run_cancelled, args=(_kinesis_job(stream, before, tmp_path / "out"), options)
    )
    first.start()
    # the first run must have read part of the stream into a completed checkpoint before it is cancelled
    wait_until(lambda: _checkpointed_records(layout) >= 200, WAIT_S, "a checkpoint with records")
    options.cancel_requested.set()
    first.join(WAIT_S)
    latest = layout.latest_completed()
    assert latest is not None
    for _ in range(20):
        producer.put_batch(rng, 40)
    _end_open_shards(stream)
    restore = LaunchOptions(
        job_id="rescale-2",
        storage=storage,
        restore_storage=storage.child(latest.directory),
        log=lambda message: None,
    )
    with launch_options(restore):
        _kinesis_job(stream, after, tmp_path / "out").execute("kinesis-rescaled")

    by_key = _committed(tmp_path / "out")
    for key, produced in producer.produced.items():
        records = by_key.get(key, [])
        assert [seq for seq, _ in records] == list(range(produced)), f"{key}: lost, duplicated or reordered"
        assert [count for _, count in records] == list(range(1, produced + 1)), f"{key}: state miscounted"


def _run_cancelled(env: StreamExecutionEnvironment, options: LaunchOptions) -> None:
    with launch_options(options), pytest.raises(JobCanceled):
        env.execute("kinesis-first")


def _checkpointed_records(layout: CheckpointLayout) -> int:
    """Records read up to the newest completed checkpoint: the sum of the sequence numbers of its positions
    (moto numbers each shard's records 1, 2, 3, ...)."""
    from stream_runtime import serde

    latest = layout.latest_completed()
    if latest is None:
        return 0
    total = 0
    for name in latest.metadata.operators["kinesis"]["files"]:
        header = serde.loads_stream(layout.storage.read(f"{latest.directory}/{name}"))[0]
        for _, position in header["operator"]["source-splits"][1]:
            if position[0] == "AFTER":
                total += int(position[1])
    return total


class _Collect(SinkFunction):
    def __init__(self, out: list[Any]) -> None:
        self.out = out

    def invoke(self, value: Any, context: Any = None) -> None:
        self.out.append(value)


def _read_all(source: KinesisSource) -> list[Any]:
    out: list[Any] = []
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_source(source, "kinesis").uid("kinesis").add_sink(_Collect(out)).uid("collect")
    with launch_options(LaunchOptions(job_id=f"pos-{uuid.uuid4().hex[:6]}", log=lambda message: None)):
        env.execute("kinesis-positions")
    return out


@pytest.mark.parametrize("position", ["LATEST", "AT_TIMESTAMP", "TRIM_HORIZON"])
def test_initial_positions(kinesis_env: dict[str, str], position: str) -> None:
    stream = create_kinesis_stream("s", 2)
    client = _client()
    before = [f"a{i}".encode() for i in range(30)]
    after = [f"b{i}".encode() for i in range(30)]
    client.put_records(StreamName=stream, Records=[{"Data": d, "PartitionKey": d.decode()} for d in before])
    boundary = time.time()
    wait_until(lambda: time.time() > boundary + 0.002, 5, "the clock to pass the boundary")
    source = KinesisSource(
        stream,
        SimpleStringSchema(),
        initial_position=position,
        initial_timestamp=boundary if position == "AT_TIMESTAMP" else None,
        fetch_interval_s=0.01,
        discovery_interval_s=0.2,
        end_marker=b"END",
    )
    source.create_splits(1, time.monotonic)  # the job's first start: LATEST is pinned here
    wait_until(lambda: time.time() > boundary + 0.004, 5, "the clock to pass the start")
    client.put_records(StreamName=stream, Records=[{"Data": d, "PartitionKey": d.decode()} for d in after])
    _end_open_shards(stream)

    read = sorted(_read_all(source))
    expected = before + after if position == "TRIM_HORIZON" else after
    assert read == sorted(d.decode() for d in expected)
