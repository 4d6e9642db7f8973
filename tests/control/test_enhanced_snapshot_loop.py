"""Enhanced snapshots with the control loop driven by ``tick()``: services called as the protocol layer
calls them, the fake runtime, a manual clock, S3 in process (moto). The races a live server cannot pin
down (one creation, one export at a time; a delete waiting for an export) are checked step by step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from api_models import errors, models
from app.db.models import EnhancedSnapshotRow
from app.services import enhanced_snapshots, snapshot_operations, snapshot_transfers
from stream_runtime.storage.metadata import CheckpointMetadata
from tests.control.conftest import ControlEnv, dump

ENHANCED = {
    "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True, "SnapshotMode": "ENHANCED_SNAPSHOTS"}
}
BUCKET = "snapshots"


@pytest.fixture
def s3(control: ControlEnv) -> Iterator[Any]:
    """S3 in process; the loop's snapshot worker uses it."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        control.loop.enhanced_snapshots.s3_client = lambda _settings, _account, _region: client
        yield client


def create(control: ControlEnv, name: str, application: str = "app") -> dict[str, Any]:
    request = {"ApplicationName": application, "SnapshotName": name}
    return dump(control.call(enhanced_snapshots.create_snapshot, request, models.CreateSnapshotRequest))


def describe(control: ControlEnv, name: str) -> dict[str, Any]:
    response = control.call(
        enhanced_snapshots.describe_snapshot, {"SnapshotName": name}, models.DescribeSnapshotRequest
    )
    details: dict[str, Any] = dump(response)["SnapshotInfoDetails"]
    return details


def delete(control: ControlEnv, name: str) -> dict[str, Any]:
    created = describe(control, name)["SnapshotCreationTimestamp"]
    request = {"SnapshotName": name, "SnapshotCreationTimestamp": created}
    return dump(control.call(enhanced_snapshots.delete_snapshot, request, models.DeleteSnapshotRequest))


def export(control: ControlEnv, name: str, prefix: str = "exports/") -> dict[str, Any]:
    request = {
        "SnapshotName": name,
        "ExportDestinationConfiguration": {
            "DestinationType": "S3",
            "ExportRoleArn": "arn:aws:iam::123456789012:role/r",
            "DestinationS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{BUCKET}", "KeyPrefix": prefix},
        },
    }
    return dump(control.call(snapshot_transfers.export_snapshot, request, models.ExportSnapshotRequest))


def import_(control: ControlEnv, name: str, prefix: str) -> dict[str, Any]:
    request = {
        "SnapshotName": name,
        "ImportSourceConfiguration": {
            "SourceType": "S3",
            "ImportRoleArn": "arn:aws:iam::123456789012:role/r",
            "SourceS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{BUCKET}", "KeyPrefix": prefix},
        },
    }
    return dump(control.call(snapshot_transfers.import_snapshot, request, models.ImportSnapshotRequest))


def operation(control: ControlEnv, name: str, operation_id: str) -> dict[str, Any]:
    request = {"SnapshotName": name, "SnapshotOperationId": operation_id}
    response = control.call(
        snapshot_operations.describe_snapshot_operation, request, models.DescribeSnapshotOperationRequest
    )
    details: dict[str, Any] = dump(response)["SnapshotOperationInfoDetails"]
    return details


def ready(control: ControlEnv, name: str) -> dict[str, Any]:
    """Create a snapshot of "app" and drive the loop until it is READY."""
    create(control, name)
    control.tick()
    control.fake.advance()
    control.tick()
    details = describe(control, name)
    assert details["SnapshotStatus"] == "READY"
    return details


def write_savepoint(directory: Path) -> None:
    """A savepoint in the embedded runtime's format: one state file and the ``_metadata`` naming it."""
    directory.mkdir(parents=True)
    (directory / "op0-0.state").write_bytes(b"state of operator 0")
    metadata = CheckpointMetadata(
        checkpoint_id=7,
        job_id="job",
        timestamp_ms=1,
        parallelism=1,
        max_parallelism=128,
        operators={"counter": {"files": ["op0-0.state"], "shared": []}},
        is_savepoint=True,
    )
    (directory / "_metadata").write_bytes(metadata.to_bytes())


def test_one_snapshot_of_an_application_is_created_at_a_time(control: ControlEnv) -> None:
    control.run(**ENHANCED)
    first = create(control, "first")
    assert first["SnapshotStatus"] == "CREATING"
    with pytest.raises(errors.LimitExceededException, match="one snapshot creation at a time"):
        create(control, "second")
    control.tick()
    control.fake.advance()
    control.tick()
    assert describe(control, "first")["SnapshotStatus"] == "READY"
    assert (
        operation(control, "first", first["SnapshotOperationId"])["SnapshotOperationStatus"] == "SUCCESSFUL"
    )
    assert create(control, "second")["SnapshotStatus"] == "CREATING"
    control.tick()
    [job] = control.fake.jobs.values()
    assert {trigger for trigger in job.savepoints} == {"enhanced-1", "enhanced-2"}
    assert all("enhanced-snapshots/123456789012/us-east-1/" in s.location for s in job.savepoints.values())


def test_a_snapshot_whose_job_is_gone_fails_and_a_snapshot_outlives_its_application(
    control: ControlEnv,
) -> None:
    control.run(**ENHANCED)
    kept = ready(control, "kept")
    create(control, "orphaned")
    control.stop(force=True)
    control.tick(3)
    assert control.status() == "READY"
    failed = describe(control, "orphaned")
    assert failed["SnapshotStatus"] == "FAILED"
    control.delete()
    control.tick(2)
    assert describe(control, "kept") == kept  # the application is gone, its snapshot is not
    assert kept["SnapshotSourceDescription"]["SourceApplicationDescription"]["ApplicationName"] == "app"


def test_one_export_at_a_time_and_a_delete_waits_for_it(control: ControlEnv, s3: Any, tmp_path: Path) -> None:
    control.run(**ENHANCED)
    ready(control, "snap")
    savepoint = control.fake.jobs[next(iter(control.fake.jobs))].savepoints["enhanced-1"].location
    write_savepoint(Path(savepoint))  # the fake runtime names the folder; give it real files
    exported = export(control, "snap")
    with pytest.raises(errors.LimitExceededException, match="one export at a time"):
        export(control, "snap")
    deleted = delete(control, "snap")
    assert deleted["SnapshotStatus"] == "DELETING"
    with pytest.raises(errors.ResourceInUseException, match="only READY snapshots can be exported"):
        export(control, "snap")
    with pytest.raises(errors.ResourceInUseException, match="only READY or FAILED"):
        delete(control, "snap")
    control.tick()  # the export runs first; the delete waits for it, then goes
    done = operation(control, "snap", exported["SnapshotOperationId"])
    prefix = f"exports/{exported['SnapshotOperationId']}/"
    assert done["SnapshotOperationStatus"] == "SUCCESSFUL"
    assert done["SnapshotDestinationLocationDescription"]["S3PrefixLocation"] == {
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "KeyPrefix": "exports/",
        "ExportedPrefix": prefix,
    }
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == [f"{prefix}_metadata", f"{prefix}op0-0.state"]
    with pytest.raises(errors.ResourceNotFoundException):
        describe(control, "snap")
    assert (
        operation(control, "snap", deleted["SnapshotOperationId"])["SnapshotOperationStatus"] == "SUCCESSFUL"
    )
    assert not Path(savepoint).exists()


def test_an_exported_savepoint_imports_under_a_new_name(control: ControlEnv, s3: Any, tmp_path: Path) -> None:
    write_savepoint(tmp_path / "outside")
    for path in (tmp_path / "outside").iterdir():
        s3.put_object(Bucket=BUCKET, Key=f"from-flink/{path.name}", Body=path.read_bytes())
    response = import_(control, "imported", "from-flink/")
    assert describe(control, "imported")["SnapshotStatus"] == "CREATING"
    control.tick()
    details = describe(control, "imported")
    assert details["SnapshotStatus"] == "READY"
    assert details["SnapshotSizeInBytes"] == sum(p.stat().st_size for p in (tmp_path / "outside").iterdir())
    assert (
        details["SnapshotInitiatorOperation"] == "ImportSnapshot" and details["SnapshotInitiator"] == "USER"
    )
    done = operation(control, "imported", response["SnapshotOperationId"])
    assert done["SnapshotOperationStatus"] == "SUCCESSFUL"
    assert done["SourceEncryptionConfigurationDescription"] == {"KeyType": "AWS_OWNED_KEY"}


def test_an_incomplete_savepoint_is_refused_with_the_missing_files(
    control: ControlEnv, s3: Any, tmp_path: Path
) -> None:
    write_savepoint(tmp_path / "outside")
    s3.put_object(
        Bucket=BUCKET, Key="partial/_metadata", Body=(tmp_path / "outside" / "_metadata").read_bytes()
    )
    response = import_(control, "partial", "partial/")
    control.tick()
    failed = operation(control, "partial", response["SnapshotOperationId"])
    assert failed["SnapshotOperationFailureDetails"]["ErrorInfo"] == {
        "ErrorCode": "InvalidSavepoint",
        "ErrorString": f"s3://{BUCKET}/partial/: The savepoint is incomplete: "
        "state files missing: op0-0.state",
    }
    assert describe(control, "partial")["SnapshotStatus"] == "FAILED"


def system_snapshots(control: ControlEnv) -> list[dict[str, Any]]:
    request = {"SnapshotInitiator": "SYSTEM"}
    response = control.call(enhanced_snapshots.list_snapshots, request, models.ListSnapshotsRequest)
    infos: list[dict[str, Any]] = dump(response)["SnapshotInfoList"]
    return infos


def operations_of(control: ControlEnv, name: str) -> list[dict[str, Any]]:
    request = {"SnapshotName": name}
    response = control.call(
        snapshot_operations.list_snapshot_operations, request, models.ListSnapshotOperationsRequest
    )
    infos: list[dict[str, Any]] = dump(response)["SnapshotOperationInfoList"]
    return infos


def test_a_stop_in_enhanced_mode_takes_a_system_snapshot_the_next_start_restores(control: ControlEnv) -> None:
    control.run(**ENHANCED)
    stop = control.stop()
    control.tick()
    [creating] = system_snapshots(control)
    assert creating["SnapshotName"].startswith("SYSTEMSNAPSHOT-") and creating["SnapshotStatus"] == "CREATING"
    control.fake.advance()
    control.tick(2)
    assert control.status() == "READY"
    [snapshot] = system_snapshots(control)
    details = describe(control, snapshot["SnapshotName"])
    assert (details["SnapshotStatus"], details["SnapshotInitiator"]) == ("READY", "SYSTEM")
    assert details["SnapshotInitiatorOperation"] == "SystemCreateSnapshot"
    [info] = operations_of(control, snapshot["SnapshotName"])
    taken = operation(control, snapshot["SnapshotName"], info["SnapshotOperationId"])
    assert taken["SnapshotOperationStatus"] == "SUCCESSFUL"
    assert taken["ApplicationOperationDescription"] == {
        "ApplicationOperationId": stop,
        "ApplicationName": "app",
    }
    location = describe_location(control, snapshot["SnapshotName"])
    assert "enhanced-snapshots/123456789012/us-east-1/" in location
    control.start()  # RESTORE_FROM_LATEST_SNAPSHOT: the newest enhanced snapshot of this application
    control.tick()
    assert control.job().spec.restore is not None and control.job().spec.restore.location == location
    assert not control.snapshots()  # no application snapshot (legacy) was taken


def test_custom_restores_name_one_snapshot_of_the_right_kind(control: ControlEnv) -> None:
    control.run(**ENHANCED)
    arn = ready(control, "mine")["SnapshotArn"]
    control.stop(force=True)
    control.tick(2)
    assert control.status() == "READY"
    for restore, reason in (
        ({"SnapshotName": "mine", "SnapshotArn": arn}, "exactly one of them"),
        ({}, "exactly one of them"),
        ({"SnapshotName": "mine"}, "restore from an enhanced snapshot by SnapshotArn"),
    ):
        with pytest.raises(errors.InvalidArgumentException, match=reason):
            control.start(
                ApplicationRestoreConfiguration={
                    "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                    **restore,
                }
            )
    with pytest.raises(errors.ResourceNotFoundException, match="ghost does not exist"):
        control.start(
            ApplicationRestoreConfiguration={
                "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                "SnapshotArn": arn.replace("mine", "ghost"),
            }
        )
    assert control.status() == "READY"
    control.create("other", **ENHANCED)
    control.start(
        "other",
        ApplicationRestoreConfiguration={
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotArn": arn,
        },
    )
    control.tick()
    restored = control.job().spec.restore
    assert restored is not None and restored.location == describe_location(control, "mine")
    control.create("legacy")
    with pytest.raises(
        errors.InvalidArgumentException, match="SnapshotArn requires SnapshotMode ENHANCED_SNAPSHOTS"
    ):
        control.start(
            "legacy",
            ApplicationRestoreConfiguration={
                "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                "SnapshotArn": arn,
            },
        )


def describe_location(control: ControlEnv, name: str) -> str:
    with control.database.session() as session:
        location = session.scalars(
            select(EnhancedSnapshotRow.savepoint_location).where(EnhancedSnapshotRow.snapshot_name == name)
        ).one()
    assert location is not None
    return location


def test_an_update_restores_from_one_snapshot_of_the_right_kind(control: ControlEnv) -> None:
    control.create(**ENHANCED)
    arn = "arn:aws:kinesisanalytics:us-east-1:123456789012:snapshot/any"
    custom = {"ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT"}
    for restore, reason in (
        ({"SnapshotName": "any", "SnapshotArn": arn}, "exactly one of them"),
        ({}, "requires SnapshotName"),
        ({"SnapshotName": "any"}, "restore from an enhanced snapshot by SnapshotArn"),
    ):
        with pytest.raises(errors.InvalidArgumentException, match=reason):
            control.update(RunConfigurationUpdate={"ApplicationRestoreConfiguration": {**custom, **restore}})
    with pytest.raises(errors.ResourceNotFoundException, match="does not exist"):
        control.update(
            RunConfigurationUpdate={"ApplicationRestoreConfiguration": {**custom, "SnapshotArn": arn}}
        )
    assert control.describe()["ApplicationVersionId"] == 1  # refused before anything changed
    control.create("legacy")
    with pytest.raises(errors.InvalidArgumentException, match="SnapshotArn requires SnapshotMode"):
        control.update(
            "legacy",
            RunConfigurationUpdate={"ApplicationRestoreConfiguration": {**custom, "SnapshotArn": arn}},
        )
