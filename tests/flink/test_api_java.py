"""The Java story through boto3 on the real cluster: a JAR in the embedded S3, create → start →
CreateApplicationSnapshot → UpdateApplication to parallelism 2 → StopApplication (system snapshot) →
start RESTORE_FROM_CUSTOM_SNAPSHOT, and the keyed counters continue exactly from the restored state; then the
stop's Flink savepoint, put in S3 and imported by ImportSnapshot, starts another (enhanced snapshot mode)
application by SnapshotArn, whose counters continue exactly from it too.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.savepoint_files import savepoint_format, savepoint_problem
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import ROLE, operation_status, rescale, status
from tests.flink.test_java_job import KEYS, lines, per_key

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(900)]  # a real cluster on a loaded 2-core machine
EVERY = 20


def wait(kav2: Any, name: str, operation_id: str) -> None:
    outcome = eventually(lambda: operation_status(kav2, name, operation_id), "SUCCESSFUL", timeout=300)
    details = kav2.describe_application_operation(ApplicationName=name, OperationId=operation_id)
    assert outcome == "SUCCESSFUL", details


ENHANCED = {"SnapshotsEnabled": True, "SnapshotMode": "ENHANCED_SNAPSHOTS"}


def jar_configuration(snapshots: dict[str, Any]) -> dict[str, Any]:
    return {
        "ApplicationCodeConfiguration": {
            "CodeContent": {
                "S3ContentLocation": {"BucketARN": "arn:aws:s3:::code", "FileKey": "counting-job.jar"}
            },
            "CodeContentType": "ZIPFILE",
        },
        "ApplicationSnapshotConfiguration": snapshots,
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_jar_keeps_its_state_across_snapshot_rescale_stop_and_restore_through_boto3(
    make_server: Any, flink_cluster: LocalFlinkCluster, counting_jar: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.1, flink_rest_url=flink_cluster.rest_url)
    kav2, s3 = live.client(), live.client("s3")
    name = f"counting-{uuid.uuid4().hex[:8]}"
    output = Path(tempfile.gettempdir()) / "msf-counting" / name  # the job's default output directory
    second = f"{name}-imported"
    second_output = output.parent / second
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="counting-job.jar", Body=counting_jar.read_bytes())
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration=jar_configuration({"SnapshotsEnabled": True}),
    )
    try:
        wait(kav2, name, kav2.start_application(ApplicationName=name)["OperationId"])
        assert status(kav2, name) == "RUNNING"
        eventually(lambda: len(per_key(lines(output), "last")) == KEYS, True, timeout=120)

        kav2.create_application_snapshot(ApplicationName=name, SnapshotName="custom")
        described = eventually(
            lambda: kav2.describe_application_snapshot(ApplicationName=name, SnapshotName="custom")[
                "SnapshotDetails"
            ]["SnapshotStatus"],
            "READY",
            timeout=120,
        )
        assert described == "READY"

        wait(kav2, name, rescale(kav2, name, 2))
        assert status(kav2, name) == "RUNNING"
        stopped = kav2.stop_application(ApplicationName=name)["OperationId"]
        wait(kav2, name, stopped)
        assert status(kav2, name) == "READY"
        snapshots = kav2.list_application_snapshots(ApplicationName=name)["SnapshotSummaries"]
        assert len(snapshots) >= 3  # custom + the update's and the stop's system snapshots
        before = set(output.glob("part-*"))
        last_seen = per_key(lines(output), "last")
        written = list((live.settings.data_dir / "state").glob("*/savepoints/*"))
        assert written  # what Flink writes is what an import recognises (tests/data/flink-savepoint)
        assert all(savepoint_format(str(f)) == "flink" and savepoint_problem(f) is None for f in written)
        stop_savepoint = max(written, key=lambda folder: (folder / "_metadata").stat().st_mtime)

        newest = max(
            (s for s in snapshots if s["SnapshotName"] != "custom"),
            key=lambda s: s["SnapshotCreationTimestamp"],
        )
        restore = {
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotName": newest["SnapshotName"],
        }
        started = kav2.start_application(
            ApplicationName=name, RunConfiguration={"ApplicationRestoreConfiguration": restore}
        )
        wait(kav2, name, started["OperationId"])

        def resumed() -> dict[int, int]:
            return per_key(lines(output, set(output.glob("part-*")) - before), "first")

        eventually(lambda: len(resumed()) == KEYS, True, timeout=120)
        first = resumed()
        assert first == {key: count + EVERY for key, count in last_seen.items()}
        wait(kav2, name, kav2.stop_application(ApplicationName=name, Force=True)["OperationId"])

        # the stop's Flink savepoint, imported as an enhanced snapshot, starts another application
        for path in stop_savepoint.rglob("*"):
            key = f"exported/{path.relative_to(stop_savepoint).as_posix()}"
            s3.put_object(Bucket="code", Key=key, Body=path.read_bytes())
        source = {"BucketARN": "arn:aws:s3:::code", "KeyPrefix": "exported/"}
        imported = kav2.import_snapshot(
            SnapshotName=f"{name}-savepoint",
            ImportSourceConfiguration={
                "SourceType": "S3",
                "ImportRoleArn": ROLE,
                "SourceS3PrefixLocation": source,
            },
        )
        assert eventually(
            lambda: kav2.describe_snapshot(SnapshotName=f"{name}-savepoint")["SnapshotInfoDetails"][
                "SnapshotStatus"
            ],
            "READY",
        )
        kav2.create_application(
            ApplicationName=second,
            RuntimeEnvironment="FLINK-1_20",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration=jar_configuration(ENHANCED),
        )
        restore = {
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotArn": imported["SnapshotArn"],
        }
        started = kav2.start_application(
            ApplicationName=second, RunConfiguration={"ApplicationRestoreConfiguration": restore}
        )
        wait(kav2, second, started["OperationId"])
        eventually(lambda: len(per_key(lines(second_output), "first")) == KEYS, True, timeout=120)
        assert per_key(lines(second_output), "first") == {
            key: count + EVERY for key, count in last_seen.items()
        }
        wait(kav2, second, kav2.stop_application(ApplicationName=second, Force=True)["OperationId"])
    finally:
        shutil.rmtree(output, ignore_errors=True)
        shutil.rmtree(second_output, ignore_errors=True)
