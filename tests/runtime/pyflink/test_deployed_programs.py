"""Three PyFlink programs deployed through the kinesisanalyticsv2 API as AWS packages Python applications
(a zip with ``main.py``), reading a Kinesis stream behind the same endpoint, through create → start →
snapshot → rescale → stop → restore; the committed output is exactly the output of the program over every
record put (computed from the programs' definitions), with nothing lost or written twice."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.control.test_live_server import rescale, status, wait_successful

DEPLOYED = Path(__file__).parent / "deployed"
ROLE = "arn:aws:iam::123456789012:role/pyflink-programs"
Record = tuple[str, int, int]
FLUSH: Record = ("flush", 0, 10**9)  # far in event time: closes every earlier window and session


def _tumbling(records: list[Record]) -> list[str]:
    windows: dict[tuple[str, int], list[int]] = {}
    for key, value, ts in records:
        if ts // 1000 < FLUSH[2] // 1000:
            windows.setdefault((key, ts // 1000 * 1000), []).append(value)
    return [f"{k},{start},{len(vs)},{sum(vs)}" for (k, start), vs in windows.items()]


def _side_outputs(records: list[Record]) -> list[str]:
    return [f"{key},{value},{ts}" for key, value, ts in records]


def _sessions(records: list[Record]) -> list[str]:
    sessions: list[list[Any]] = []
    for key, _, ts in sorted(records, key=lambda r: (r[0], r[2])):
        if sessions and sessions[-1][0] == key and ts < sessions[-1][2] + 400:
            sessions[-1][2] = ts
            sessions[-1][3] += 1
        else:
            sessions.append([key, ts, ts, 1])
    return [f"{k},{first},{last},{n}" for k, first, last, n in sessions if k != FLUSH[0]]


MODELS: dict[str, Callable[[list[Record]], list[str]]] = {
    "tumbling_count": _tumbling,
    "side_outputs": _side_outputs,
    "sessions": _sessions,
}


def _package(program: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(DEPLOYED / program / "main.py", "main.py")
        archive.write(DEPLOYED / "kinesis_job.py", "kinesis_job.py")
    return buffer.getvalue()


def _committed(out: Path) -> Counter[str]:
    lines: Counter[str] = Counter()
    for part in out.glob("*-*-*"):
        if not part.name.startswith("."):
            lines.update(part.read_text().splitlines())
    return lines


class Deployed:
    """One program on a live server: clients, the records put so far, the committed output."""

    def __init__(self, url: str, program: str, out: Path) -> None:
        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
            )

        self.kav2, self.s3, self.kinesis = client("kinesisanalyticsv2"), client("s3"), client("kinesis")
        self.program = program
        self.out = out
        suffix = uuid.uuid4().hex[:8]
        self.name = f"pyflink-{program.replace('_', '-')}-{suffix}"
        self.stream = f"events-{suffix}"
        self.records: list[Record] = []

    def create_and_start(self) -> None:
        bucket = f"code-{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_object(Bucket=bucket, Key="app.zip", Body=_package(self.program))
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=1)
        self.kav2.create_application(
            ApplicationName=self.name,
            RuntimeEnvironment="FLINK-1_20",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {
                        "S3ContentLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "app.zip"}
                    },
                    "CodeContentType": "ZIPFILE",
                },
                "EnvironmentProperties": {
                    "PropertyGroups": [
                        {
                            "PropertyGroupId": "Job",
                            "PropertyMap": {"input.stream": self.stream, "output.path": str(self.out)},
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
                "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True},
            },
        )
        self.start("SKIP_RESTORE_FROM_SNAPSHOT")

    def start(self, restore: str) -> None:
        operation = self.kav2.start_application(
            ApplicationName=self.name,
            RunConfiguration={"ApplicationRestoreConfiguration": {"ApplicationRestoreType": restore}},
        )["OperationId"]
        wait_successful(self.kav2, self.name, operation)
        assert status(self.kav2, self.name) == "RUNNING"

    def put(self, records: list[Record]) -> None:
        for key, value, ts in records:
            self.kinesis.put_record(
                StreamName=self.stream, Data=f"{key},{value},{ts}".encode(), PartitionKey=key
            )
        self.records.extend(records)

    def snapshot(self, name: str) -> None:
        self.kav2.create_application_snapshot(ApplicationName=self.name, SnapshotName=name)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            details = self.kav2.describe_application_snapshot(ApplicationName=self.name, SnapshotName=name)
            if details["SnapshotDetails"]["SnapshotStatus"] == "READY":
                return
            time.sleep(0.1)
        pytest.fail(f"snapshot {name} never became READY")

    def stop(self, force: bool = False) -> None:
        operation = self.kav2.stop_application(ApplicationName=self.name, Force=force)["OperationId"]
        wait_successful(self.kav2, self.name, operation)
        assert status(self.kav2, self.name) == "READY"

    def assert_output_exact(self, timeout: float = 60.0) -> None:
        """Wait (bounded) until as many lines as the model's are committed: exactly those."""
        expected = Counter(MODELS[self.program](self.records))
        deadline = time.monotonic() + timeout
        while sum(_committed(self.out).values()) < sum(expected.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _committed(self.out) == expected


@pytest.fixture
def backend() -> str:
    """The runtime is under test here, not the database: SQLite only."""
    return "sqlite"


def _records(start: int, count: int) -> list[Record]:
    """``k0..k2`` with increasing event times 150 ms apart (three sessions broken by 600 ms gaps)."""
    out: list[Record] = []
    for index in range(start, start + count):
        gap = 600 if index % 20 == 19 else 150
        out.append((f"k{index % 3}", index, 1000 + index * 150 + (index // 20) * 450 + (gap - 150)))
    return out


@pytest.mark.parametrize("program", sorted(MODELS))
def test_deployed_program_through_the_lifecycle(make_server: Any, tmp_path: Path, program: str) -> None:
    live = make_server(control_interval=0.1)
    app = Deployed(live.url, program, tmp_path / "out")
    app.create_and_start()
    app.put(_records(0, 40))
    app.snapshot("after-40")
    wait_successful(app.kav2, app.name, rescale(app.kav2, app.name, 2))
    assert status(app.kav2, app.name) == "RUNNING"
    app.put(_records(40, 40))
    app.stop()
    app.put(_records(80, 40))  # arrives while the application is stopped
    app.start("RESTORE_FROM_LATEST_SNAPSHOT")
    app.put([FLUSH])
    app.assert_output_exact()
    app.stop(force=True)
