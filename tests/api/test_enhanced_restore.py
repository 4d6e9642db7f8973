"""Restoring from an enhanced snapshot by ``SnapshotArn``, through boto3 against a live server (fake runtime):
StartApplication and UpdateApplication refuse an ARN they cannot restore from in the call itself, with the
documented error, and change nothing — the application keeps its status, version and run configuration."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.app_helpers import ROLE, aws_error
from tests.api.test_enhanced_snapshots import app_status, code, finished, running, source, take
from tests.conftest import LiveServer

CUSTOM = "RESTORE_FROM_CUSTOM_SNAPSHOT"


@pytest.fixture
def live(make_server: Any) -> LiveServer:
    server: LiveServer = make_server(runtime="fake", control_interval=0.05)
    return server


def unusable(kav2: Any, s3: Any, arn: str) -> list[tuple[dict[str, Any], str, str]]:
    """(restore configuration, error code, message part) for each ARN an application cannot restore."""
    bucket = f"imports-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    failed = kav2.import_snapshot(
        SnapshotName="failed-import", ImportSourceConfiguration=source(bucket, "x/")
    )
    assert (
        finished(kav2, "failed-import", failed["SnapshotOperationId"])["SnapshotOperationStatus"] == "FAILED"
    )
    region, account = arn.split(":")[3], arn.split(":")[4]
    return [
        ({"SnapshotArn": arn.replace(account, "210987654321")}, "InvalidArgumentException", "not in account"),
        ({"SnapshotArn": arn.replace(region, "eu-west-1")}, "InvalidArgumentException", "Region us-east-1"),
        ({"SnapshotArn": f"{arn[: -len('snap')]}ghost"}, "ResourceNotFoundException", "ghost does not exist"),
        ({"SnapshotArn": failed["SnapshotArn"]}, "InvalidArgumentException", "in FAILED status"),
        (
            {"SnapshotArn": arn.replace(":snapshot/", ":application/")},
            "InvalidArgumentException",
            "not the ARN",
        ),
        ({"SnapshotArn": arn, "SnapshotName": "snap"}, "InvalidArgumentException", "exactly one of them"),
    ]


def restore(**members: Any) -> dict[str, Any]:
    return {"ApplicationRestoreConfiguration": {"ApplicationRestoreType": CUSTOM, **members}}


def test_an_unusable_snapshot_arn_fails_the_start_and_the_update_and_changes_nothing(
    live: LiveServer,
) -> None:
    kav2, s3 = live.client(), live.client("s3")
    running(kav2, "source")
    arn = take(kav2, "source", "snap")["SnapshotArn"]
    running(kav2, "target")
    kav2.create_application(
        ApplicationName="idle",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration=code(),
    )
    before = {
        name: kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
        for name in ("target", "idle")
    }
    for members, error, reason in unusable(kav2, s3, arn):
        with aws_error(error, reason):
            kav2.update_application(ApplicationName="target", RunConfigurationUpdate=restore(**members))
        with aws_error(error, reason):
            kav2.update_application(ApplicationName="idle", RunConfigurationUpdate=restore(**members))
        with aws_error(error, reason):
            kav2.start_application(ApplicationName="idle", RunConfiguration=restore(**members))
    for name, detail in before.items():
        assert kav2.describe_application(ApplicationName=name)["ApplicationDetail"] == detail
    operations = kav2.list_application_operations(ApplicationName="target")["ApplicationOperationInfoList"]
    assert [info["Operation"] for info in operations] == ["StartApplication"]  # no refused update recorded
    assert app_status(kav2, "target") == "RUNNING"

    updated = kav2.update_application(
        ApplicationName="target", RunConfigurationUpdate=restore(SnapshotArn=arn)
    )
    assert updated["ApplicationDetail"]["ApplicationVersionId"] == 2


def test_a_legacy_application_cannot_restore_an_enhanced_snapshot(live: LiveServer) -> None:
    kav2 = live.client()
    running(kav2, "source")
    arn = take(kav2, "source", "snap")["SnapshotArn"]
    running(kav2, "legacy", SnapshotsEnabled=True)
    with aws_error("InvalidArgumentException", "SnapshotArn requires SnapshotMode ENHANCED_SNAPSHOTS"):
        kav2.update_application(ApplicationName="legacy", RunConfigurationUpdate=restore(SnapshotArn=arn))
    assert (
        kav2.describe_application(ApplicationName="legacy")["ApplicationDetail"]["ApplicationVersionId"] == 1
    )
    running(kav2, "newer", runtime="FLINK-2_2")
    newer = take(kav2, "newer", "newer-snap")["SnapshotArn"]
    with aws_error("InvalidArgumentException", "taken by FLINK-2_2; an application on FLINK-1_20"):
        kav2.update_application(ApplicationName="source", RunConfigurationUpdate=restore(SnapshotArn=newer))
    kav2.update_application(  # an upgrade to the snapshot's runtime in the same call restores it
        ApplicationName="source",
        RuntimeEnvironmentUpdate="FLINK-2_2",
        RunConfigurationUpdate=restore(SnapshotArn=newer),
    )
