"""Application snapshots and account-scoped enhanced snapshots (none exist for the demo application)."""

from __future__ import annotations

from app.clients.story.demo import APP, ROLE
from app.clients.story.model import Folder, Step, Var, is_empty

SNAPSHOT = "before-upgrade"
APPLICATION_SNAPSHOTS = Folder(
    "Application snapshots",
    "Snapshots are taken of running applications only.",
    (
        Step(
            name="CreateApplicationSnapshot (application not running)",
            operation="CreateApplicationSnapshot",
            body={"ApplicationName": APP, "SnapshotName": SNAPSHOT},
            error="ResourceInUseException",
        ),
        Step(
            name="ListApplicationSnapshots",
            operation="ListApplicationSnapshots",
            body={"ApplicationName": APP, "Limit": 10},
            checks=(is_empty("SnapshotSummaries"),),
        ),
        Step(
            name="DescribeApplicationSnapshot (unknown snapshot)",
            operation="DescribeApplicationSnapshot",
            body={"ApplicationName": APP, "SnapshotName": SNAPSHOT},
            error="ResourceNotFoundException",
        ),
        Step(
            name="DeleteApplicationSnapshot (unknown snapshot)",
            operation="DeleteApplicationSnapshot",
            body={
                "ApplicationName": APP,
                "SnapshotName": SNAPSHOT,
                "SnapshotCreationTimestamp": Var("createTimestamp"),
            },
            error="ResourceNotFoundException",
        ),
    ),
)

ENHANCED = "{{applicationName}}-snapshot"
S3_PREFIX = {"BucketARN": "arn:aws:s3:::msf-demo-snapshots", "KeyPrefix": "exports/"}
SNAPSHOTS = Folder(
    "Snapshots",
    "Enhanced snapshots are account-scoped; none exist for the demo application.",
    (
        Step(
            name="CreateSnapshot (application not running)",
            operation="CreateSnapshot",
            body={
                "ApplicationName": APP,
                "SnapshotName": ENHANCED,
                "SnapshotDescription": "before the upgrade",
            },
            error="ResourceInUseException",
            pending=True,
        ),
        Step(
            name="ListSnapshots",
            operation="ListSnapshots",
            body={"SourceApplicationName": APP, "Limit": 10},
            checks=(is_empty("SnapshotInfoList"),),
            pending=True,
        ),
        Step(
            name="DescribeSnapshot (unknown snapshot)",
            operation="DescribeSnapshot",
            body={"SnapshotName": ENHANCED},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ExportSnapshot (unknown snapshot)",
            operation="ExportSnapshot",
            body={
                "SnapshotName": ENHANCED,
                "ExportDestinationConfiguration": {
                    "DestinationType": "S3",
                    "ExportRoleArn": ROLE,
                    "DestinationS3PrefixLocation": S3_PREFIX,
                },
            },
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ImportSnapshot (reserved name)",
            operation="ImportSnapshot",
            description="Names starting with SYSTEMSNAPSHOT are reserved for the service.",
            body={
                "SnapshotName": "SYSTEMSNAPSHOT-import",
                "ImportSourceConfiguration": {
                    "SourceType": "S3",
                    "ImportRoleArn": ROLE,
                    "SourceS3PrefixLocation": S3_PREFIX,
                },
            },
            error="InvalidArgumentException",
            pending=True,
        ),
        Step(
            name="DescribeSnapshotOperation (unknown snapshot)",
            operation="DescribeSnapshotOperation",
            body={"SnapshotName": ENHANCED, "SnapshotOperationId": "a1B2c3D4e5F6"},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ListSnapshotOperations (unknown snapshot)",
            operation="ListSnapshotOperations",
            body={"SnapshotName": ENHANCED, "Limit": 10},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="DeleteSnapshot (unknown snapshot)",
            operation="DeleteSnapshot",
            body={"SnapshotName": ENHANCED, "SnapshotCreationTimestamp": Var("createTimestamp")},
            error="ResourceNotFoundException",
            pending=True,
        ),
    ),
)
