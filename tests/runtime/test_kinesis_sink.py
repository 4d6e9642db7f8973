"""Kinesis sink proofs against the moto server (real HTTP): batching within the PutRecords limits, retry of
partially failed batches and of throttled requests (failures injected by a wrapper around the real client),
flush at every checkpoint, at-least-once delivery of every record; JSON / raw-bytes / string schemas."""

from __future__ import annotations

import random
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from stream_runtime import StreamExecutionEnvironment
from stream_runtime.connectors import (
    JsonDeserializationSchema,
    JsonSerializationSchema,
    KinesisSink,
    RawBytesSchema,
    SimpleStringSchema,
)
from stream_runtime.connectors.kinesis import MAX_BATCH_BYTES, MAX_BATCH_RECORDS
from stream_runtime.functions import FunctionSnapshotContext
from stream_runtime.process.launch import LaunchOptions, launch_options
from tests.runtime.conftest import create_kinesis_stream


@pytest.fixture
def stream(kinesis_env: dict[str, str]) -> str:
    return create_kinesis_stream("sink", 3)


class FlakyClient:
    """The real client, except that ``put_records`` fails: a share of the records of a request are not sent
    and reported failed (as Kinesis does when a shard is over its limit), and some requests are throttled."""

    def __init__(self, record_failure_rate: float, request_failure_rate: float, error_code: str) -> None:
        self.real = boto3.client("kinesis")
        self.rng = random.Random(3)
        self.record_failure_rate = record_failure_rate
        self.request_failure_rate = request_failure_rate
        self.error_code = error_code
        self.calls: list[tuple[int, int]] = []  # (records, bytes) per request
        self.failed_records = 0
        self.throttled_requests = 0

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append((len(Records), sum(len(r["Data"]) + len(r["PartitionKey"]) for r in Records)))
        if self.rng.random() < self.request_failure_rate:
            self.throttled_requests += 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "PutRecords",
            )
        failing = [self.rng.random() < self.record_failure_rate for _ in Records]
        sent = [record for record, fail in zip(Records, failing, strict=True) if not fail]
        results = iter(self.real.put_records(StreamName=StreamName, Records=sent)["Records"] if sent else [])
        out = []
        for fail in failing:
            if fail:
                self.failed_records += 1
                out.append({"ErrorCode": self.error_code, "ErrorMessage": "injected"})
            else:
                out.append(next(results))
        return {"FailedRecordCount": sum(failing), "Records": out}


def _read_stream(stream: str) -> list[bytes]:
    client = boto3.client("kinesis")
    data: list[bytes] = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            response = client.get_records(ShardIterator=iterator, Limit=10_000)
            data.extend(record["Data"] for record in response["Records"])
            if not response["Records"]:
                break
            iterator = response["NextShardIterator"]
    return data


def _run(records: list[Any], sink: KinesisSink) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(20)
    env.from_collection(records).uid("records").add_sink(sink).uid("kinesis-sink")
    with launch_options(LaunchOptions(job_id=f"sink-{uuid.uuid4().hex[:6]}", log=lambda message: None)):
        env.execute("kinesis-sink")


def test_partially_failed_batches_are_retried_until_every_record_is_delivered(stream: str) -> None:
    flaky = FlakyClient(0.3, 0.1, "ProvisionedThroughputExceededException")
    waits: list[float] = []
    sink = KinesisSink(
        stream,
        JsonSerializationSchema(),
        partition_key_generator=lambda record: str(record["id"] % 17),
        client_factory=lambda: flaky,
        sleeper=waits.append,
        max_retries=30,
    )
    records = [{"id": i, "payload": "x" * (i % 50)} for i in range(3000)]
    _run(records, sink)

    assert flaky.failed_records > 100 and flaky.throttled_requests > 0, "failures must have been injected"
    delivered = [JsonDeserializationSchema().deserialize(data) for data in _read_stream(stream)]
    assert sorted(r["id"] for r in delivered) == list(range(3000)), (
        "every record at least (here: exactly) once"
    )
    assert all(0 < wait <= sink.max_backoff_s for wait in waits) and len(waits) >= 1
    assert max(records for records, _ in flaky.calls) <= MAX_BATCH_RECORDS


def test_batches_respect_the_record_and_byte_limits(stream: str) -> None:
    flaky = FlakyClient(0.0, 0.0, "InternalFailure")
    sink = KinesisSink(stream, RawBytesSchema(), client_factory=lambda: flaky, sleeper=lambda s: None)
    big = [bytes([i % 256]) * 40_000 for i in range(300)]  # 12 MB: batches are cut by bytes
    small = [b"%d" % i for i in range(1200)]  # batches are cut at 500 records
    _run(big + small, sink)

    assert max(records for records, _ in flaky.calls) == MAX_BATCH_RECORDS
    assert max(size for _, size in flaky.calls) <= MAX_BATCH_BYTES
    assert sorted(_read_stream(stream)) == sorted(big + small)


def test_checkpoint_flushes_the_buffer(stream: str) -> None:
    flaky = FlakyClient(0.0, 0.0, "InternalFailure")
    sink = KinesisSink(stream, SimpleStringSchema(), client_factory=lambda: flaky)
    sink.open(None)  # type: ignore[arg-type]
    for i in range(10):
        sink.invoke(f"r{i}")
    assert flaky.calls == [], "below the batch limits nothing is sent before a checkpoint"
    sink.snapshot_state(FunctionSnapshotContext(1, 0))
    assert sorted(_read_stream(stream)) == sorted(b"r%d" % i for i in range(10))


def test_non_retryable_errors_and_exhausted_retries_fail_the_job(stream: str) -> None:
    fatal = KinesisSink(
        stream, client_factory=lambda: FlakyClient(1.0, 0.0, "AccessDeniedException"), sleeper=lambda s: None
    )
    fatal.open(None)  # type: ignore[arg-type]
    fatal.invoke({"a": 1})
    with pytest.raises(RuntimeError, match="AccessDeniedException"):
        fatal.flush()

    stuck = KinesisSink(
        stream,
        client_factory=lambda: FlakyClient(1.0, 0.0, "ProvisionedThroughputExceededException"),
        sleeper=lambda s: None,
        max_retries=3,
    )
    stuck.open(None)  # type: ignore[arg-type]
    stuck.invoke({"a": 1})
    with pytest.raises(RuntimeError, match="after 3 retries"):
        stuck.flush()
    with pytest.raises(ValueError, match="1 MiB"):
        stuck.invoke("x" * (1024 * 1024))
