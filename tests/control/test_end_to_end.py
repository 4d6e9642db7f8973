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
from tests.conftest import LiveServer, stop_server
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


class CounterApp:
    """The counting application on a live server: its input stream, its code in S3, what was sent."""

    def __init__(self, live: LiveServer, out_dir: Path) -> None:
        self.kav2, self.kinesis = live.client(), live.client("kinesis")
        self.out_dir = out_dir
        self.stream = f"input-{uuid.uuid4().hex[:8]}"
        self.sent: dict[str, list[int]] = defaultdict(list)
        self._next_seq = iter(range(1_000_000))
        bucket = f"code-{uuid.uuid4().hex[:12]}"
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=2)
        s3 = live.client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="counter.zip", Body=python_zip({"main.py": JOB}))
        self.kav2.create_application(
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
                            "PropertyMap": {"input.stream": self.stream, "output.dir": str(out_dir)},
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

    def put(self, count: int) -> None:
        for index in range(count):
            key, seq = KEYS[index % len(KEYS)], next(self._next_seq)
            record = json.dumps({"key": key, "seq": seq}).encode()
            self.kinesis.put_record(StreamName=self.stream, Data=record, PartitionKey=key)
            self.sent[key].append(seq)

    def assert_counts_exact(self) -> None:
        total = sum(len(seqs) for seqs in self.sent.values())
        lines = wait_for_outputs(self.out_dir, total)
        assert_exact(lines, self.sent)
        assert len(lines) == total

    def run(self, call: str, **arguments: Any) -> None:
        """A lifecycle call whose operation must succeed."""
        response = getattr(self.kav2, call)(ApplicationName="counter", **arguments)
        wait_successful(self.kav2, "counter", response["OperationId"])


def test_counts_stay_exact_through_rescale_stop_and_restart(make_server: Any, tmp_path: Path) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    app = CounterApp(live, tmp_path / "out")
    app.run("start_application", RunConfiguration={})
    app.put(40)
    app.assert_counts_exact()

    wait_successful(app.kav2, "counter", rescale(app.kav2, "counter", 2))
    assert status(app.kav2, "counter") == "RUNNING"
    app.put(40)
    app.assert_counts_exact()

    app.run("stop_application")
    assert status(app.kav2, "counter") == "READY"
    app.put(40)  # arrives while the application is stopped
    app.run("start_application")
    app.assert_counts_exact()
    app.run("stop_application", Force=True)


def test_a_restarted_control_plane_resumes_the_running_application(make_server: Any, tmp_path: Path) -> None:
    first: LiveServer = make_server(control_interval=0.1)
    app = CounterApp(first, tmp_path / "out")
    app.run("start_application")
    app.put(40)
    app.assert_counts_exact()
    stop_server(first)  # the control plane goes away; its jobs end with it

    second: LiveServer = make_server(control_interval=0.1, data_dir=first.settings.data_dir)
    app.kav2, app.kinesis = second.client(), second.client("kinesis")
    app.put(40)
    app.assert_counts_exact()  # resubmitted from its latest checkpoint: nothing lost, nothing twice
    assert status(app.kav2, "counter") == "RUNNING"
    app.run("stop_application", Force=True)
