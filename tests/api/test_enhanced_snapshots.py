"""Enhanced snapshots through boto3 against a live server (fake runtime, control loop running): the eight
operations, their positive answers and every documented refusal (spec §5.2, §5.3)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.app_helpers import ROLE, aws_error, create_flink, create_sql, python_zip
from tests.conftest import LiveServer, eventually

ENHANCED = {"SnapshotsEnabled": True, "SnapshotMode": "ENHANCED_SNAPSHOTS"}
EXPORT_ROLE = "arn:aws:iam::123456789012:role/snapshots"


@pytest.fixture
def live(make_server: Any) -> LiveServer:
    server: LiveServer = make_server(runtime="fake", control_interval=0.05)
    return server


def code(**snapshot_configuration: Any) -> dict[str, Any]:
    return {
        "ApplicationCodeConfiguration": {
            "CodeContent": {"ZipFileContent": python_zip()},
            "CodeContentType": "ZIPFILE",
        },
        "ApplicationSnapshotConfiguration": snapshot_configuration or ENHANCED,
    }


def running(kav2: Any, name: str, runtime: str = "FLINK-1_20", **snapshot_configuration: Any) -> None:
    """Create ``name`` (enhanced mode unless told otherwise) and wait until it runs."""
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment=runtime,
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration=code(**snapshot_configuration),
    )
    kav2.start_application(ApplicationName=name)
    assert eventually(lambda: app_status(kav2, name), "RUNNING") == "RUNNING"


def app_status(kav2: Any, name: str) -> str:
    value: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return value


def snapshot_status(kav2: Any, name: str) -> str:
    try:
        value: str = kav2.describe_snapshot(SnapshotName=name)["SnapshotInfoDetails"]["SnapshotStatus"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return "GONE"
        raise
    return value


def operation(kav2: Any, snapshot: str, operation_id: str) -> dict[str, Any]:
    details: dict[str, Any] = kav2.describe_snapshot_operation(
        SnapshotName=snapshot, SnapshotOperationId=operation_id
    )["SnapshotOperationInfoDetails"]
    return details


def finished(kav2: Any, snapshot: str, operation_id: str) -> dict[str, Any]:
    """Wait (bounded) until the operation has ended; its details."""
    eventually(
        lambda: operation(kav2, snapshot, operation_id)["SnapshotOperationStatus"] != "IN_PROGRESS", True
    )
    return operation(kav2, snapshot, operation_id)


def take(kav2: Any, application: str, name: str) -> dict[str, Any]:
    response = kav2.create_snapshot(ApplicationName=application, SnapshotName=name)
    assert finished(kav2, name, response["SnapshotOperationId"])["SnapshotOperationStatus"] == "SUCCESSFUL"
    details: dict[str, Any] = kav2.describe_snapshot(SnapshotName=name)["SnapshotInfoDetails"]
    return details


def test_a_snapshot_is_created_described_listed_and_deleted(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "source")
    application = kav2.describe_application(ApplicationName="source")["ApplicationDetail"]
    response = kav2.create_snapshot(
        ApplicationName="source",
        SnapshotName="before-upgrade",
        SnapshotDescription="Before code update",
        Tags=[{"Key": "Environment", "Value": "prod"}],
    )
    arn = "arn:aws:kinesisanalytics:us-east-1:123456789012:snapshot/before-upgrade"
    assert response["SnapshotArn"] == arn
    assert (response["SnapshotStatus"], response["SnapshotOperationStatus"]) == ("CREATING", "IN_PROGRESS")
    assert len(response["SnapshotOperationId"]) == 12
    created = finished(kav2, "before-upgrade", response["SnapshotOperationId"])
    assert (
        created["SnapshotOperation"] == "CreateSnapshot"
        and created["SnapshotOperationStatus"] == "SUCCESSFUL"
    )
    assert created["SnapshotArn"] == arn and created["EndTime"] >= created["StartTime"]

    details = kav2.describe_snapshot(SnapshotName="before-upgrade")["SnapshotInfoDetails"]
    assert details == {
        "SnapshotName": "before-upgrade",
        "SnapshotArn": arn,
        "SnapshotDescription": "Before code update",
        "SnapshotStatus": "READY",
        "SnapshotCreationTimestamp": details["SnapshotCreationTimestamp"],
        "RuntimeEnvironment": "FLINK-1_20",
        "SnapshotSizeInBytes": 0,  # the fake runtime keeps nothing on disk
        "SnapshotEncryptionConfigurationDescription": {"KeyType": "AWS_OWNED_KEY"},
        "SnapshotInitiator": "USER",
        "SnapshotInitiatorOperation": "CreateSnapshot",
        "SnapshotSourceDescription": {
            "SourceApplicationDescription": {
                "ApplicationName": "source",
                "ApplicationCreationTimestamp": application["CreateTimestamp"],
                "ApplicationVersionId": 1,
            }
        },
        "SnapshotFormat": "CANONICAL",
    }
    [summary] = kav2.list_snapshots()["SnapshotInfoList"]
    assert summary["SnapshotName"] == "before-upgrade" and summary["SourceApplicationName"] == "source"

    with aws_error("InvalidArgumentException", "does not match the creation time"):
        kav2.delete_snapshot(
            SnapshotName="before-upgrade",
            SnapshotCreationTimestamp=details["SnapshotCreationTimestamp"] - timedelta(seconds=5),
        )
    deleted = kav2.delete_snapshot(
        SnapshotName="before-upgrade", SnapshotCreationTimestamp=details["SnapshotCreationTimestamp"]
    )
    assert (deleted["SnapshotStatus"], deleted["SnapshotArn"]) == ("DELETING", arn)
    assert eventually(lambda: snapshot_status(kav2, "before-upgrade"), "GONE") == "GONE"
    deletion = operation(kav2, "before-upgrade", deleted["SnapshotOperationId"])
    assert (deletion["SnapshotOperation"], deletion["SnapshotOperationStatus"]) == (
        "DeleteSnapshot",
        "SUCCESSFUL",
    )
    assert kav2.list_snapshots()["SnapshotInfoList"] == []
    assert app_status(kav2, "source") == "RUNNING"
    assert take(kav2, "source", "before-upgrade")["SnapshotStatus"] == "READY"  # the name is free again


def test_snapshot_names_are_account_wide_and_reserved_until_deleted(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "first")
    running(kav2, "second")
    take(kav2, "first", "shared-name")
    for reserved in ("SYSTEMSNAPSHOT-1", "systemsnapshot", "SystemSnapshot_x"):
        with aws_error("InvalidArgumentException", "reserved"):
            kav2.create_snapshot(ApplicationName="second", SnapshotName=reserved)
    with aws_error("ResourceInUseException", "shared-name is in use"):
        kav2.create_snapshot(ApplicationName="second", SnapshotName="shared-name")
    with aws_error("ValidationException", "Member must have length less than or equal to 100"):
        kav2.create_snapshot(ApplicationName="second", SnapshotName="n" * 101)
    with aws_error("ValidationException", "regular expression pattern"):
        kav2.create_snapshot(ApplicationName="second", SnapshotName="bad name!")
    other_account = live.client(access_key="210987654321")
    assert other_account.list_snapshots()["SnapshotInfoList"] == []
    with aws_error("ResourceNotFoundException"):
        other_account.describe_snapshot(SnapshotName="shared-name")


def test_a_failed_snapshot_keeps_its_name_and_can_be_deleted(make_server: Any) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    running(kav2, "app")
    live_adapter = live.server.config.app.state.runtime_adapter
    live_adapter.fail_next_savepoint("Checkpoint was declined (task not ready)")
    response = kav2.create_snapshot(ApplicationName="app", SnapshotName="unlucky")
    failed = finished(kav2, "unlucky", response["SnapshotOperationId"])
    assert failed["SnapshotOperationStatus"] == "FAILED"
    assert failed["SnapshotOperationFailureDetails"]["ErrorInfo"] == {
        "ErrorCode": "SavepointFailed",
        "ErrorString": "Checkpoint was declined (task not ready)",
    }
    details = kav2.describe_snapshot(SnapshotName="unlucky")["SnapshotInfoDetails"]
    assert details["SnapshotStatus"] == "FAILED"
    with aws_error("ResourceInUseException", "is in use"):
        kav2.create_snapshot(ApplicationName="app", SnapshotName="unlucky")
    kav2.delete_snapshot(
        SnapshotName="unlucky", SnapshotCreationTimestamp=details["SnapshotCreationTimestamp"]
    )
    assert eventually(lambda: snapshot_status(kav2, "unlucky"), "GONE") == "GONE"


def test_only_enhanced_mode_applications_on_flink_1_20_that_run_take_enhanced_snapshots(
    live: LiveServer,
) -> None:
    kav2 = live.client()
    running(kav2, "legacy", SnapshotsEnabled=True)
    with aws_error(
        "InvalidApplicationConfigurationException", "does not use SnapshotMode ENHANCED_SNAPSHOTS"
    ):
        kav2.create_snapshot(ApplicationName="legacy", SnapshotName="nope")
    running(kav2, "old", runtime="FLINK-1_19", SnapshotsEnabled=True)
    with aws_error("InvalidApplicationConfigurationException", "requires Apache Flink 1.20 or later"):
        kav2.create_snapshot(ApplicationName="old", SnapshotName="nope")
    create_sql(kav2, "sql")
    with aws_error("UnsupportedOperationException", "SQL-1_0"):
        kav2.create_snapshot(ApplicationName="sql", SnapshotName="nope")
    with aws_error("InvalidArgumentException", "Application ghost does not exist"):
        kav2.create_snapshot(ApplicationName="ghost", SnapshotName="nope")
    kav2.create_application(
        ApplicationName="idle",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration=code(),
    )
    with aws_error("ResourceInUseException", "CreateSnapshot is allowed only in RUNNING status"):
        kav2.create_snapshot(ApplicationName="idle", SnapshotName="nope")
    # SnapshotsEnabled governs system snapshots only
    running(kav2, "no-system-snapshots", SnapshotsEnabled=False, SnapshotMode="ENHANCED_SNAPSHOTS")
    assert take(kav2, "no-system-snapshots", "still-allowed")["SnapshotStatus"] == "READY"
    # the legacy API is not for enhanced-mode applications
    running(kav2, "enhanced")
    with aws_error("InvalidApplicationConfigurationException", "ENHANCED_SNAPSHOTS"):
        kav2.create_application_snapshot(ApplicationName="enhanced", SnapshotName="legacy-style")
    assert kav2.list_snapshots()["SnapshotInfoList"][0]["SnapshotName"] == "still-allowed"


def test_the_snapshot_mode_is_checked_against_the_current_runtime(live: LiveServer) -> None:
    kav2 = live.client()
    kav2.create_application(
        ApplicationName="old",
        RuntimeEnvironment="FLINK-1_19",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration=code(SnapshotsEnabled=True),
    )
    enhanced = {
        "ApplicationSnapshotConfigurationUpdate": {
            "SnapshotsEnabledUpdate": True,
            "SnapshotModeUpdate": "ENHANCED_SNAPSHOTS",
        }
    }
    with aws_error(
        "InvalidArgumentException", "requires Apache Flink 1.20 or later; the runtime is FLINK-1_19"
    ):
        kav2.update_application(  # the upgrade must come first, in its own call
            ApplicationName="old",
            CurrentApplicationVersionId=1,
            RuntimeEnvironmentUpdate="FLINK-1_20",
            ApplicationConfigurationUpdate=enhanced,
        )
    kav2.update_application(
        ApplicationName="old", CurrentApplicationVersionId=1, RuntimeEnvironmentUpdate="FLINK-1_20"
    )
    updated = kav2.update_application(
        ApplicationName="old", CurrentApplicationVersionId=2, ApplicationConfigurationUpdate=enhanced
    )["ApplicationDetail"]
    described = updated["ApplicationConfigurationDescription"]["ApplicationSnapshotConfigurationDescription"]
    assert described == ENHANCED
    with aws_error("InvalidArgumentException", "requires Apache Flink 1.20 or later"):
        kav2.create_application(
            ApplicationName="older",
            RuntimeEnvironment="FLINK-1_19",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration=code(),
        )


def test_list_snapshots_filters_one_at_a_time_newest_first_in_pages(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "alpha")
    running(kav2, "beta")
    for name, application in (("a-1", "alpha"), ("b-1", "beta"), ("a-2", "alpha")):
        take(kav2, application, name)

    def names(**filters: Any) -> list[str]:
        return [info["SnapshotName"] for info in kav2.list_snapshots(**filters)["SnapshotInfoList"]]

    assert names() == ["a-2", "b-1", "a-1"]
    assert names(SourceApplicationName="alpha") == ["a-2", "a-1"]
    assert names(SnapshotInitiator="USER") == ["a-2", "b-1", "a-1"]
    assert names(SnapshotInitiator="SYSTEM") == []
    assert names(SnapshotInitiatorOperation="ImportSnapshot") == []
    assert names(SnapshotStatus="READY") == ["a-2", "b-1", "a-1"]
    with aws_error("InvalidArgumentException", "at most one of"):
        kav2.list_snapshots(SourceApplicationName="alpha", SnapshotStatus="READY")
    with aws_error("ValidationException", "Member must satisfy enum value set"):
        kav2.list_snapshots(SnapshotStatus="SLEEPING")
    first = kav2.list_snapshots(Limit=2)
    assert [info["SnapshotName"] for info in first["SnapshotInfoList"]] == ["a-2", "b-1"]
    rest = kav2.list_snapshots(Limit=2, NextToken=first["NextToken"])
    assert [info["SnapshotName"] for info in rest["SnapshotInfoList"]] == ["a-1"] and "NextToken" not in rest
    with aws_error("InvalidArgumentException", "Invalid NextToken"):
        kav2.list_snapshots(NextToken="not-ours")
    paginated = kav2.get_paginator("list_snapshots").paginate(PaginationConfig={"PageSize": 1})
    assert [info["SnapshotName"] for page in paginated for info in page["SnapshotInfoList"]] == [
        "a-2",
        "b-1",
        "a-1",
    ]


def test_snapshot_operations_are_listed_and_filtered(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "app")
    created = take(kav2, "app", "snap")
    s3 = live.client("s3")
    s3.create_bucket(Bucket="exports")
    exported = kav2.export_snapshot(
        SnapshotName="snap", ExportDestinationConfiguration=destination("exports")
    )
    export = finished(kav2, "snap", exported["SnapshotOperationId"])
    assert export["SnapshotOperation"] == "ExportSnapshot"
    operations = kav2.list_snapshot_operations(SnapshotName="snap")["SnapshotOperationInfoList"]
    assert [item["SnapshotOperation"] for item in operations] == ["ExportSnapshot", "CreateSnapshot"]
    only_creates = kav2.list_snapshot_operations(SnapshotName="snap", SnapshotOperation="CreateSnapshot")
    assert [item["SnapshotOperation"] for item in only_creates["SnapshotOperationInfoList"]] == [
        "CreateSnapshot"
    ]
    successful = kav2.list_snapshot_operations(SnapshotName="snap", SnapshotOperationStatus="SUCCESSFUL")
    assert [item["SnapshotOperation"] for item in successful["SnapshotOperationInfoList"]] == [
        "CreateSnapshot"
    ]
    with aws_error(
        "InvalidArgumentException", "at most one of SnapshotOperation and SnapshotOperationStatus"
    ):
        kav2.list_snapshot_operations(
            SnapshotName="snap", SnapshotOperation="CreateSnapshot", SnapshotOperationStatus="SUCCESSFUL"
        )
    page = kav2.list_snapshot_operations(SnapshotName="snap", Limit=1)
    assert len(page["SnapshotOperationInfoList"]) == 1 and page["NextToken"]
    with aws_error("ResourceNotFoundException", "Snapshot ghost does not exist"):
        kav2.list_snapshot_operations(SnapshotName="ghost")
    with aws_error("ResourceNotFoundException", "Snapshot operation abcdefabcdef"):
        kav2.describe_snapshot_operation(SnapshotName="snap", SnapshotOperationId="abcdefabcdef")
    assert created["SnapshotStatus"] == "READY"


def destination(bucket: str, prefix: str = "exports/") -> dict[str, Any]:
    return {
        "DestinationType": "S3",
        "ExportRoleArn": EXPORT_ROLE,
        "DestinationS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": prefix},
    }


def source(bucket: str, prefix: str) -> dict[str, Any]:
    return {
        "SourceType": "S3",
        "ImportRoleArn": EXPORT_ROLE,
        "SourceS3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": prefix},
    }


def test_export_refusals_and_failures(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "app")
    with aws_error("ResourceNotFoundException", "Snapshot ghost does not exist"):
        kav2.export_snapshot(SnapshotName="ghost", ExportDestinationConfiguration=destination("bucket"))
    take(kav2, "app", "snap")
    bad = destination("bucket")
    bad["DestinationS3PrefixLocation"]["BucketARN"] = "arn:aws:s3:::Not_A_Bucket"
    with aws_error("InvalidArgumentException", "is not the ARN of an S3 bucket"):
        kav2.export_snapshot(SnapshotName="snap", ExportDestinationConfiguration=bad)
    missing = kav2.export_snapshot(
        SnapshotName="snap", ExportDestinationConfiguration=destination("no-such-bucket")
    )
    failed = finished(kav2, "snap", missing["SnapshotOperationId"])
    assert failed["SnapshotOperationStatus"] == "FAILED"
    # the fake runtime writes no files: the copy has nothing to send
    assert failed["SnapshotOperationFailureDetails"]["ErrorInfo"]["ErrorCode"] == "SnapshotNotFound"
    assert "SnapshotDestinationLocationDescription" not in failed
    details = kav2.describe_snapshot(SnapshotName="snap")["SnapshotInfoDetails"]
    assert details["SnapshotStatus"] == "READY"  # a failed export leaves the snapshot as it was


def test_importing_what_is_not_a_savepoint_fails_with_the_reason(live: LiveServer) -> None:
    kav2, s3 = live.client(), live.client("s3")
    bucket = f"imports-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="garbage/_metadata", Body=b"\x00\x01 definitely not a savepoint")
    s3.put_object(Bucket=bucket, Key="no-metadata/op0-0.state", Body=b"state")
    cases = {
        "garbage": ("garbage/", "The savepoint metadata is not valid"),
        "no-metadata": ("no-metadata/", "No _metadata file"),
        "nothing": ("empty/", "There are no objects under"),
    }
    for name, (prefix, reason) in cases.items():
        response = kav2.import_snapshot(SnapshotName=name, ImportSourceConfiguration=source(bucket, prefix))
        assert response["SnapshotStatus"] == "CREATING"
        failed = finished(kav2, name, response["SnapshotOperationId"])
        assert failed["SnapshotOperationStatus"] == "FAILED", failed
        error = failed["SnapshotOperationFailureDetails"]["ErrorInfo"]
        assert error["ErrorCode"] == "InvalidSavepoint" and reason in error["ErrorString"], error
        assert failed["SnapshotSourceLocationDescription"] == {
            "LocationType": "S3",
            "S3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": prefix},
        }
        details = kav2.describe_snapshot(SnapshotName=name)["SnapshotInfoDetails"]
        assert details["SnapshotStatus"] == "FAILED"
        assert (
            details["SnapshotInitiatorOperation"] == "ImportSnapshot" and "RuntimeEnvironment" not in details
        )
        assert details["SnapshotSourceDescription"] == {
            "S3PrefixLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "KeyPrefix": prefix}
        }
    assert [
        info["SnapshotName"]
        for info in kav2.list_snapshots(SnapshotInitiatorOperation="ImportSnapshot")["SnapshotInfoList"]
    ] == ["nothing", "no-metadata", "garbage"]
    with aws_error("ResourceInUseException", "garbage is in use"):
        kav2.import_snapshot(SnapshotName="garbage", ImportSourceConfiguration=source(bucket, "garbage/"))
    with aws_error("InvalidArgumentException", "reserved"):
        kav2.import_snapshot(
            SnapshotName="SYSTEMSNAPSHOT-x", ImportSourceConfiguration=source(bucket, "garbage/")
        )
    with aws_error("TooManyTagsException"):
        kav2.import_snapshot(
            SnapshotName="tagged",
            ImportSourceConfiguration=source(bucket, "garbage/"),
            Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)],
        )
    with aws_error("ResourceNotFoundException"):
        kav2.describe_snapshot(SnapshotName="tagged")  # nothing was stored


def test_enhanced_operations_answer_for_unknown_snapshots(live: LiveServer) -> None:
    kav2 = live.client()
    with aws_error("ResourceNotFoundException", "Snapshot ghost does not exist"):
        kav2.describe_snapshot(SnapshotName="ghost")
    with aws_error("ResourceNotFoundException", "Snapshot ghost does not exist"):
        kav2.delete_snapshot(SnapshotName="ghost", SnapshotCreationTimestamp=0)
    with aws_error("ResourceNotFoundException", "Snapshot ghost does not exist"):
        kav2.describe_snapshot_operation(SnapshotName="ghost", SnapshotOperationId="abcdefabcdef")
    assert kav2.list_snapshots()["SnapshotInfoList"] == []
    assert create_flink(kav2, "quiet")["ApplicationStatus"] == "READY"


def test_snapshots_are_tagged_through_their_arn(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "app")
    arn = kav2.create_snapshot(
        ApplicationName="app", SnapshotName="tagged", Tags=[{"Key": "Environment", "Value": "prod"}]
    )["SnapshotArn"]
    assert kav2.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Environment", "Value": "prod"}]
    kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": "Team", "Value": "streams"}])
    kav2.untag_resource(ResourceARN=arn, TagKeys=["Environment", "never-set"])
    assert kav2.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Team", "Value": "streams"}]
    with aws_error("TooManyTagsException", "limit of 50"):
        kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])
    assert len(kav2.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 1
    ghost = arn.replace("tagged", "ghost")
    with aws_error("ResourceNotFoundException", f"Resource {ghost} is not found"):
        kav2.list_tags_for_resource(ResourceARN=ghost)
    with aws_error("TooManyTagsException"):
        kav2.create_snapshot(
            ApplicationName="app",
            SnapshotName="many",
            Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)],
        )
