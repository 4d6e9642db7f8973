"""Output serialization: AWS member names, no nulls, epoch-second timestamps, base64 blobs, enum values."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from api_models import models
from api_models.operations import OPERATIONS
from app.protocol.serialize import dump_output


def test_names_nulls_enums_and_timestamps() -> None:
    summary = models.ApplicationSummary(
        ApplicationName="a",
        ApplicationARN="arn:aws:kinesisanalytics:us-east-1:123456789012:application/a",
        ApplicationStatus=models.ApplicationStatus.RUNNING,
        ApplicationVersionId=3,
        RuntimeEnvironment=models.RuntimeEnvironment.FLINK_1_20,
    )
    response = models.ListApplicationsResponse(ApplicationSummaries=[summary])
    assert json.loads(dump_output(OPERATIONS["ListApplications"], response)) == {
        "ApplicationSummaries": [
            {
                "ApplicationName": "a",
                "ApplicationARN": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/a",
                "ApplicationStatus": "RUNNING",
                "ApplicationVersionId": 3,
                "RuntimeEnvironment": "FLINK-1_20",
            }
        ]
    }


def test_timestamps_are_epoch_seconds_and_zoneless_ones_are_utc() -> None:
    aware = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    operation = models.ApplicationOperationInfo(StartTime=aware, EndTime=aware.replace(tzinfo=None))
    response = models.ListApplicationOperationsResponse(ApplicationOperationInfoList=[operation])
    written = json.loads(dump_output(OPERATIONS["ListApplicationOperations"], response))
    assert written == {
        "ApplicationOperationInfoList": [{"StartTime": 1704164645.678, "EndTime": 1704164645.678}]
    }


def test_blobs_are_base64() -> None:
    # No output shape holds a blob today; an operation whose output were CodeContent would write it so.
    spec = replace(OPERATIONS["DescribeApplication"], output_model=models.CodeContent)
    written = dump_output(spec, models.CodeContent(ZipFileContent=b"PK\x03\x04"))
    assert json.loads(written) == {"ZipFileContent": "UEsDBA=="}


def test_a_service_returning_the_wrong_model_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="describe_application returned ListApplicationsResponse"):
        dump_output(
            OPERATIONS["DescribeApplication"], models.ListApplicationsResponse(ApplicationSummaries=[])
        )
