"""Issue 12's round trip, through boto3 against a live server with the embedded runtime.

Application A (enhanced snapshot mode, running the example ``examples/kinesis_word_count``) → CreateSnapshot →
ExportSnapshot to S3 → DeleteSnapshot → ImportSnapshot under a new name → application B starts from it by
``SnapshotArn`` → B's state is A's at the snapshot: B's committed lines continue each word's count from A's
count at the snapshot, exactly.

B runs the same code on the same stream with its own output folder: restored from A's savepoint, it reads the
stream from the positions in the snapshot, so the records put after the snapshot are counted by B from the
snapshot's counts (and by A from its own, further on).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from tests.conftest import LiveServer, eventually
from tests.control.test_end_to_end import DEPLOY, WordCountApp, committed

ENHANCED = {"SnapshotsEnabled": True, "SnapshotMode": "ENHANCED_SNAPSHOTS"}
ROLE = "arn:aws:iam::123456789012:role/snapshots"


def deploy_enhanced(app: WordCountApp, name: str, output: Path, restore: dict[str, Any]) -> None:
    """Create the example as application ``name`` in enhanced mode, writing to ``output``; start it."""
    deployment = DEPLOY.Deployment(
        application=name,
        bucket=app.deployment.bucket,
        stream=app.deployment.stream,
        output=str(output),
        checkpoint_interval_ms=200,
    )
    DEPLOY.upload_code(app.clients, deployment)
    DEPLOY.create_stream(app.clients, deployment, 60)
    configuration = DEPLOY.application_configuration(deployment)
    configuration["ApplicationSnapshotConfiguration"] = ENHANCED
    app.kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=deployment.role,
        ApplicationConfiguration=configuration,
    )
    started = app.kav2.start_application(
        ApplicationName=name, RunConfiguration={"ApplicationRestoreConfiguration": restore}
    )
    outcome = eventually(lambda: operation_status(app.kav2, name, started["OperationId"]), "SUCCESSFUL")
    details = app.kav2.describe_application_operation(
        ApplicationName=name, OperationId=started["OperationId"]
    )
    assert outcome == "SUCCESSFUL", details


def operation_status(kav2: Any, name: str, operation_id: str) -> str:
    details = kav2.describe_application_operation(ApplicationName=name, OperationId=operation_id)
    value: str = details["ApplicationOperationInfoDetails"]["OperationStatus"]
    return value


def snapshot_operation(kav2: Any, snapshot: str, operation_id: str) -> dict[str, Any]:
    """Wait (bounded) for a snapshot operation to end; it must have succeeded. Its details."""

    def status() -> str:
        details = kav2.describe_snapshot_operation(SnapshotName=snapshot, SnapshotOperationId=operation_id)
        value: str = details["SnapshotOperationInfoDetails"]["SnapshotOperationStatus"]
        return value

    eventually(status, "SUCCESSFUL")
    details: dict[str, Any] = kav2.describe_snapshot_operation(
        SnapshotName=snapshot, SnapshotOperationId=operation_id
    )["SnapshotOperationInfoDetails"]
    assert details["SnapshotOperationStatus"] == "SUCCESSFUL", details
    return details


def test_a_snapshot_exported_deleted_and_imported_starts_another_application_with_the_same_state(
    make_server: Any, tmp_path: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    app = WordCountApp(live.url, tmp_path / "out-a")
    kav2, s3 = app.kav2, app.clients.s3
    deploy_enhanced(app, app.name, app.out_dir, {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"})
    app.put(30)
    app.assert_counts_exact()
    at_snapshot = Counter(app.state)

    created = kav2.create_snapshot(ApplicationName=app.name, SnapshotName="a-after-30")
    snapshot_operation(kav2, "a-after-30", created["SnapshotOperationId"])
    records_in_snapshot = len(app.records)
    described = kav2.describe_snapshot(SnapshotName="a-after-30")["SnapshotInfoDetails"]
    assert described["SnapshotStatus"] == "READY" and described["SnapshotSizeInBytes"] > 0
    app.put(20)  # A counts on; these are not in the snapshot
    app.assert_counts_exact()

    bucket = f"snapshot-exports-{uuid.uuid4().hex[:12]}"  # one embedded S3 per test run
    s3.create_bucket(Bucket=bucket)
    exported = kav2.export_snapshot(
        SnapshotName="a-after-30",
        ExportDestinationConfiguration={
            "DestinationType": "S3",
            "ExportRoleArn": ROLE,
            "DestinationS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": "a/"},
        },
    )
    export = snapshot_operation(kav2, "a-after-30", exported["SnapshotOperationId"])
    prefix = export["SnapshotDestinationLocationDescription"]["S3PrefixLocation"]["ExportedPrefix"]
    assert prefix == f"a/{exported['SnapshotOperationId']}/"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"{prefix}_metadata" in keys and all(key.startswith(prefix) for key in keys)

    deleted = kav2.delete_snapshot(
        SnapshotName="a-after-30", SnapshotCreationTimestamp=described["SnapshotCreationTimestamp"]
    )
    snapshot_operation(kav2, "a-after-30", deleted["SnapshotOperationId"])
    assert [info["SnapshotName"] for info in kav2.list_snapshots()["SnapshotInfoList"]] == []

    imported = kav2.import_snapshot(
        SnapshotName="b-start",
        ImportSourceConfiguration={
            "SourceType": "S3",
            "ImportRoleArn": ROLE,
            "SourceS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": prefix},
        },
    )
    snapshot_operation(kav2, "b-start", imported["SnapshotOperationId"])
    assert (
        kav2.describe_snapshot(SnapshotName="b-start")["SnapshotInfoDetails"]["SnapshotSizeInBytes"]
        == (described["SnapshotSizeInBytes"])
    )

    out_b = tmp_path / "out-b"
    restore = {
        "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
        "SnapshotArn": imported["SnapshotArn"],
    }
    deploy_enhanced(app, "word-count-b", out_b, restore)
    app.put(10)
    app.assert_counts_exact()  # A is untouched by B

    # B: the counts at the snapshot, then every record after it, each line once
    state, expected = Counter(at_snapshot), defaultdict(list)
    for words in app.records[records_in_snapshot:]:
        for word in words:
            state[word] += 1
            expected[word].append(state[word])
    wanted = {word: sorted(counts) for word, counts in expected.items()}
    total = sum(len(counts) for counts in wanted.values())
    eventually(lambda: sum(len(counts) for counts in committed(out_b).values()) >= total, True, timeout=30)
    assert committed(out_b) == wanted
    for name in (app.name, "word-count-b"):
        kav2.stop_application(ApplicationName=name, Force=True)
        assert eventually(lambda n=name: app_status(kav2, n), "READY") == "READY"


def app_status(kav2: Any, name: str) -> str:
    value: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return value
