"""The embedded S3, Kinesis, CloudWatch Logs and CloudWatch survive a restart on the same data directory.

Both ways a server ends: a graceful stop (the state comes back from a snapshot plus the journal after
it) and ``kill -9`` of a real ``msf-local serve`` (it comes back from the journal alone, replayed).
Everything a client was told had succeeded is there again, with the same identifiers and times: object
ETags, version ids and LastModified, Kinesis sequence numbers and arrival timestamps, log events with
their ingestion time.
And a RUNNING application whose code lives in the embedded S3 is RUNNING again after the kill, not READY.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.api.app_helpers import ROLE, python_zip
from tests.conftest import LiveServer, eventually, free_port, stop_server

BIN = Path(sys.executable).parent


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def populate(url: str, tag: str) -> dict[str, Any]:
    """Create a bucket with objects (one versioned), a stream with records, a log stream with events and
    an alarm; return what a client was told, to compare after the restart."""
    s3, kinesis, logs, cloudwatch = (_client(url, name) for name in ("s3", "kinesis", "logs", "cloudwatch"))
    bucket = f"persist-{tag}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="dir/a key.txt", Body=b"first")
    second = s3.put_object(Bucket=bucket, Key="dir/a key.txt", Body=b"second")
    parts = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="multi", UploadId=parts, PartNumber=1, Body=b"p" * 10)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="multi",
        UploadId=parts,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    pending = s3.create_multipart_upload(Bucket=bucket, Key="pending")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="pending", UploadId=pending, PartNumber=1, Body=b"q" * 10)
    s3.put_object(Bucket=bucket, Key="large", Body=b"L" * (1024 * 1024 + 1))
    s3.put_object(Bucket=bucket, Key="gone", Body=b"soon deleted")
    s3.delete_object(Bucket=bucket, Key="gone")  # leaves a delete marker
    kinesis.create_stream(StreamName=f"stream-{tag}", ShardCount=1)
    kinesis.put_records(
        StreamName=f"stream-{tag}",
        Records=[{"Data": f"r{i}".encode(), "PartitionKey": "k"} for i in range(3)],
    )
    logs.create_log_group(logGroupName=f"/persist/{tag}")
    logs.create_log_stream(logGroupName=f"/persist/{tag}", logStreamName="s")
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": f"line {i}"} for i in range(3)]
    logs.put_log_events(logGroupName=f"/persist/{tag}", logStreamName="s", logEvents=events)
    cloudwatch.put_metric_data(
        Namespace=f"Persist/{tag}",
        MetricData=[
            {"MetricName": "count", "Value": 7.0, "Timestamp": datetime.now(UTC) - timedelta(minutes=1)}
        ],
    )
    cloudwatch.put_metric_alarm(
        AlarmName=f"alarm-{tag}",
        Namespace="AWS/KinesisAnalytics",
        MetricName="downtime",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    return {"versions": [first["VersionId"], second["VersionId"]], **observe(url, tag)}


def observe(url: str, tag: str) -> dict[str, Any]:
    """What the embedded services hold for ``tag`` (the facts :func:`populate` created)."""
    s3, kinesis, logs, cloudwatch = (_client(url, name) for name in ("s3", "kinesis", "logs", "cloudwatch"))
    bucket = f"persist-{tag}"
    obj = s3.get_object(Bucket=bucket, Key="dir/a key.txt")
    versions = s3.list_object_versions(Bucket=bucket)
    shard = kinesis.list_shards(StreamName=f"stream-{tag}")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=f"stream-{tag}", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    events = logs.get_log_events(logGroupName=f"/persist/{tag}", logStreamName="s", startFromHead=True)[
        "events"
    ]
    alarms = cloudwatch.describe_alarms(AlarmNames=[f"alarm-{tag}"])["MetricAlarms"]
    metric = cloudwatch.get_metric_statistics(
        Namespace=f"Persist/{tag}",
        MetricName="count",
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=3600,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    return {
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] == bucket),
        "object": (obj["Body"].read(), obj["ETag"], obj["VersionId"], obj["LastModified"]),
        "all_versions": sorted((v["VersionId"], v["ETag"], v["LastModified"]) for v in versions["Versions"]),
        "large": s3.head_object(Bucket=bucket, Key="large")["ETag"],
        "multipart": (
            s3.get_object(Bucket=bucket, Key="multi")["Body"].read(),
            s3.head_object(Bucket=bucket, Key="multi")["ETag"],
        ),
        "pending": [
            (
                u["Key"],
                u["UploadId"],
                [
                    p["ETag"]
                    for p in s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])["Parts"]
                ],
            )
            for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        ],
        "delete_markers": [(m["Key"], m["VersionId"]) for m in versions.get("DeleteMarkers", [])],
        "records": [(r["SequenceNumber"], r["Data"], r["ApproximateArrivalTimestamp"]) for r in records],
        "events": [(e["timestamp"], e["message"], e["ingestionTime"]) for e in events],
        "alarms": [(a["AlarmName"], a["AlarmArn"], a["AlarmConfigurationUpdatedTimestamp"]) for a in alarms],
        "metric": [(d["Sum"], d["SampleCount"]) for d in metric],
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # moto's state does not depend on the database
def test_a_graceful_restart_brings_back_every_embedded_service(make_server: Any, tmp_path: Path) -> None:
    tag = f"graceful-{uuid.uuid4().hex[:8]}"  # the servers of a test run share one in-process moto
    first: LiveServer = make_server(data_dir=tmp_path / "kept")
    created = populate(first.url, tag)
    assert created["delete_markers"] and created["pending"]
    kept = tmp_path / "kept" / "aws"
    before_compaction = {path.name: path.read_bytes() for path in kept.iterdir()}
    assert list(before_compaction) == ["journal-0.log"]
    first.server.config.app.state.embedded_state.compact()  # a snapshot; what follows is journaled after it
    _client(first.url, "kinesis").put_record(StreamName=f"stream-{tag}", Data=b"later", PartitionKey="k")
    _client(first.url, "logs").put_log_events(
        logGroupName=f"/persist/{tag}",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "later"}],
    )
    before = observe(first.url, tag)
    assert len(before["records"]) == 4 and len(before["events"]) == 4
    stop_server(first)
    assert (kept / "snapshot").exists() and (kept / "journal-1.log").stat().st_size > 0
    after_compaction = {path.name: path.read_bytes() for path in kept.iterdir() if path.suffix == ".log"}

    second: LiveServer = make_server(data_dir=tmp_path / "kept")
    assert observe(second.url, tag) == before
    assert before["object"][2] == created["versions"][1] and before["metric"] == [(7.0, 1.0)]
    stop_server(second)

    # A crash in the middle of that compaction (the next journal begun, the snapshot not yet renamed into
    # place) leaves the older journal and the newer one, no snapshot: both are replayed, nothing twice.
    shutil.rmtree(kept)
    kept.mkdir()
    for name, data in {**before_compaction, **after_compaction}.items():
        (kept / name).write_bytes(data)
    third: LiveServer = make_server(data_dir=tmp_path / "kept")
    assert observe(third.url, tag) == before


@contextmanager
def serve(data_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``msf-local serve`` (embedded runtime faked) as a subprocess; killed with SIGKILL at the end."""
    environment = {**os.environ, "MSF_CONTROL_INTERVAL": "0.05"}
    command = [
        str(BIN / "msf-local"),
        "serve",
        "--port",
        str(port),
        "--runtime",
        "fake",
        "--data-dir",
        str(data_dir),
    ]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        kav2 = _client(f"http://127.0.0.1:{port}", "kinesisanalyticsv2")
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"msf-local serve exited with {process.returncode}"
            assert time.monotonic() < deadline, "msf-local serve did not start"
            try:
                kav2.list_applications()
                break
            except Exception:  # not listening yet
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _job_id(data_dir: Path) -> str | None:
    """The job the control loop last submitted for the one application (read from its SQLite file)."""
    with closing(sqlite3.connect(f"file:{data_dir / 'msf-local.db'}?mode=ro", uri=True)) as database:
        row = database.execute("SELECT job_id FROM deployments").fetchone()
    return None if row is None else str(row[0]) if row[0] else None


def _status(kav2: Any, name: str) -> str:
    return str(kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"])


def test_after_kill_9_everything_acknowledged_is_back_and_the_application_runs_again(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(data_dir, port) as process:
        before = populate(url, "killed")
        s3, kav2 = _client(url, "s3"), _client(url, "kinesisanalyticsv2")
        s3.create_bucket(Bucket="persist-code")
        code = python_zip()
        s3.put_object(Bucket="persist-code", Key="app.zip", Body=code)
        kav2.create_application(
            ApplicationName="survivor",
            RuntimeEnvironment="FLINK-1_20",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {
                        "S3ContentLocation": {"BucketARN": "arn:aws:s3:::persist-code", "FileKey": "app.zip"}
                    },
                    "CodeContentType": "ZIPFILE",
                }
            },
        )
        kav2.start_application(ApplicationName="survivor")
        assert eventually(lambda: _status(kav2, "survivor"), "RUNNING", timeout=30) == "RUNNING"
        killed_job = _job_id(data_dir)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    with serve(data_dir, port):
        after = observe(url, "killed")
        assert after == {key: value for key, value in before.items() if key != "versions"}
        assert _client(url, "s3").get_object(Bucket="persist-code", Key="app.zip")["Body"].read() == code
        kav2 = _client(url, "kinesisanalyticsv2")
        # The restarted (fake) runtime has lost the job, so the control loop submits a new one, reading the
        # code from the embedded S3 again. Without the bucket the application goes READY there instead
        # (as it did before the embedded services were kept; deleting <data dir>/aws shows it).
        deadline = time.monotonic() + 60
        while _job_id(data_dir) == killed_job and _status(kav2, "survivor") == "RUNNING":
            assert time.monotonic() < deadline, "the lost job was never resubmitted"
            time.sleep(0.05)
        assert _status(kav2, "survivor") == "RUNNING"
        assert _job_id(data_dir) not in (None, killed_job)
