"""End to end through boto3 against a live msf-local with the embedded runtime: code in the embedded S3, a
Kinesis stream behind the same endpoint; start, rescale by UpdateApplication, stop, start again. Counts per
key stay exact at every step: each record is counted once across the savepoints and the rescale."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.api.app_helpers import python_zip
from tests.conftest import LiveServer
from tests.control.test_live_server import ROLE, rescale, status, wait_successful

JOB = (Path(__file__).parent / "jobs" / "kinesis_counter.py").read_text()
KEYS = ("alpha", "beta", "gamma", "delta")


def committed(out_dir: Path) -> list[tuple[str, int, int]]:
    """Every ``key,seq,count`` line the exactly-once sink has committed (finished files only)."""
    lines: list[tuple[str, int, int]] = []
    for part in sorted(out_dir.glob("part-*")):
        for line in part.read_text().splitlines():
            key, seq, count = line.split(",")
            lines.append((key, int(seq), int(count)))
    return lines


def wait_for_outputs(out_dir: Path, expected: int) -> list[tuple[str, int, int]]:
    deadline = time.monotonic() + 60
    lines = committed(out_dir)
    while len(lines) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        lines = committed(out_dir)
    return lines


def assert_exact(lines: list[tuple[str, int, int]], sent: dict[str, list[int]]) -> None:
    """Each record counted exactly once: per key, the counts are 1..n over exactly the records sent."""
    by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for key, seq, count in lines:
        by_key[key].append((seq, count))
    assert sorted(by_key) == sorted(sent)
    for key, records in by_key.items():
        assert sorted(seq for seq, _ in records) == sorted(sent[key]), key
        assert sorted(count for _, count in records) == list(range(1, len(sent[key]) + 1)), key


def test_counts_stay_exact_through_rescale_stop_and_restart(make_server: Any, tmp_path: Path) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2, s3, kinesis = live.client(), live.client("s3"), live.client("kinesis")
    stream, bucket, out_dir = (
        f"input-{uuid.uuid4().hex[:8]}",
        f"code-{uuid.uuid4().hex[:12]}",
        tmp_path / "out",
    )
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="counter.zip", Body=python_zip({"main.py": JOB}))
    kav2.create_application(
        ApplicationName="counter",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {
                    "S3ContentLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "counter.zip"}
                },
                "CodeContentType": "ZIPFILE",
            },
            "EnvironmentProperties": {
                "PropertyGroups": [
                    {
                        "PropertyGroupId": "Counter",
                        "PropertyMap": {"input.stream": stream, "output.dir": str(out_dir)},
                    }
                ]
            },
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": {
                    "ConfigurationType": "CUSTOM",
                    "CheckpointingEnabled": True,
                    "CheckpointInterval": 200,
                    "MinPauseBetweenCheckpoints": 0,
                }
            },
        },
    )
    sent: dict[str, list[int]] = defaultdict(list)
    next_seq = iter(range(1_000_000))

    def put(count: int) -> int:
        for index in range(count):
            key, seq = KEYS[index % len(KEYS)], next(next_seq)
            kinesis.put_record(
                StreamName=stream, Data=json.dumps({"key": key, "seq": seq}).encode(), PartitionKey=key
            )
            sent[key].append(seq)
        return sum(len(seqs) for seqs in sent.values())

    wait_successful(
        kav2, "counter", kav2.start_application(ApplicationName="counter", RunConfiguration={})["OperationId"]
    )
    total = put(40)
    assert_exact(wait_for_outputs(out_dir, total), sent)

    wait_successful(kav2, "counter", rescale(kav2, "counter", 2))
    assert status(kav2, "counter") == "RUNNING"
    total = put(40)
    assert_exact(wait_for_outputs(out_dir, total), sent)

    wait_successful(kav2, "counter", kav2.stop_application(ApplicationName="counter")["OperationId"])
    assert status(kav2, "counter") == "READY"
    total = put(40)  # arrives while the application is stopped
    wait_successful(kav2, "counter", kav2.start_application(ApplicationName="counter")["OperationId"])
    assert_exact(wait_for_outputs(out_dir, total), sent)
    assert len(committed(out_dir)) == total

    wait_successful(
        kav2, "counter", kav2.stop_application(ApplicationName="counter", Force=True)["OperationId"]
    )
