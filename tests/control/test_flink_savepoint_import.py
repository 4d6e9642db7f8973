"""ImportSnapshot of a real Apache Flink savepoint (``tests/data/flink-savepoint``, written by Flink 2.3;
see its README) through boto3 against a live server on the embedded runtime: the import is accepted — it is
a valid savepoint, and a Flink-run application restores it (``tests/flink/test_routing.py``) — while
starting an application the embedded runtime runs from it fails the start with the reason, leaving the
application READY."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.api.app_helpers import ROLE, python_zip
from tests.api.test_enhanced_snapshots import ENHANCED, finished, source
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import operation_status

FLINK_SAVEPOINT = Path(__file__).parents[1] / "data" / "flink-savepoint"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # nothing here depends on the database
def test_a_flink_savepoint_imports_and_the_embedded_runtime_refuses_to_restore_it(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2, s3 = live.client(), live.client("s3")
    bucket = f"flink-savepoints-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    metadata = (FLINK_SAVEPOINT / "_metadata").read_bytes()
    s3.put_object(Bucket=bucket, Key="counting/_metadata", Body=metadata)

    imported = kav2.import_snapshot(
        SnapshotName="from-flink", ImportSourceConfiguration=source(bucket, "counting/")
    )
    done = finished(kav2, "from-flink", imported["SnapshotOperationId"])
    assert done["SnapshotOperationStatus"] == "SUCCESSFUL", done
    details = kav2.describe_snapshot(SnapshotName="from-flink")["SnapshotInfoDetails"]
    assert (details["SnapshotStatus"], details["SnapshotSizeInBytes"]) == ("READY", len(metadata))

    kav2.create_application(
        ApplicationName="embedded",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": python_zip()},
                "CodeContentType": "ZIPFILE",
            },
            "ApplicationSnapshotConfiguration": ENHANCED,
        },
    )
    restore = {
        "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
        "SnapshotArn": imported["SnapshotArn"],
    }
    started = kav2.start_application(
        ApplicationName="embedded", RunConfiguration={"ApplicationRestoreConfiguration": restore}
    )
    assert (
        eventually(lambda: operation_status(kav2, "embedded", started["OperationId"]), "FAILED") == "FAILED"
    )
    failure = kav2.describe_application_operation(
        ApplicationName="embedded", OperationId=started["OperationId"]
    )
    error = failure["ApplicationOperationInfoDetails"]["OperationFailureDetails"]["ErrorInfo"]["ErrorString"]
    assert "is an Apache Flink savepoint" in error and "the embedded runtime cannot read" in error, error
    status = kav2.describe_application(ApplicationName="embedded")["ApplicationDetail"]["ApplicationStatus"]
    assert status == "READY"
