"""CreateApplication, DescribeApplication, ListApplications and DeleteApplication through boto3."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.app_helpers import (
    ROLE,
    aws_error,
    create_flink,
    create_sql,
    describe,
    flink_config,
    log_stream,
    python_zip,
)
from tests.conftest import LiveServer, stop_server


def test_create_returns_ready_version_1_with_aws_defaults(kav2: Any) -> None:
    detail = create_flink(kav2, "defaults")
    assert detail["ApplicationStatus"] == "READY"
    assert detail["ApplicationVersionId"] == 1
    assert detail["ApplicationARN"] == "arn:aws:kinesisanalytics:us-east-1:123456789012:application/defaults"
    assert detail["ApplicationMode"] == "STREAMING"
    assert detail["ServiceExecutionRole"] == ROLE
    assert (
        detail["CreateTimestamp"]
        == detail["LastUpdateTimestamp"]
        == detail["ApplicationVersionCreateTimestamp"]
    )
    assert detail["CreateTimestamp"].microsecond == 0
    assert "ApplicationVersionUpdatedFrom" not in detail
    assert "ApplicationDescription" not in detail
    assert "CloudWatchLoggingOptionDescriptions" not in detail
    assert detail["ConditionalToken"]
    flink = flink_config(detail)
    assert flink["CheckpointConfigurationDescription"] == {
        "ConfigurationType": "DEFAULT",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 60000,
        "MinPauseBetweenCheckpoints": 5000,
    }
    assert flink["MonitoringConfigurationDescription"] == {
        "ConfigurationType": "DEFAULT",
        "MetricsLevel": "APPLICATION",
        "LogLevel": "INFO",
    }
    assert flink["ParallelismConfigurationDescription"] == {
        "ConfigurationType": "DEFAULT",
        "Parallelism": 1,
        "ParallelismPerKPU": 1,
        "CurrentParallelism": 1,
        "AutoScalingEnabled": True,
    }
    configuration = detail["ApplicationConfigurationDescription"]
    assert configuration["ApplicationSnapshotConfigurationDescription"] == {"SnapshotsEnabled": True}
    assert configuration["ApplicationSystemRollbackConfigurationDescription"] == {"RollbackEnabled": False}
    assert "RunConfigurationDescription" not in configuration
    assert detail["ApplicationMaintenanceConfigurationDescription"] == {
        "ApplicationMaintenanceWindowStartTime": "22:00",
        "ApplicationMaintenanceWindowEndTime": "06:00",
    }
    assert describe(kav2, "defaults") == detail


def test_default_configuration_types_ignore_the_values_sent(kav2: Any) -> None:
    detail = create_flink(
        kav2,
        "ignored",
        ApplicationConfiguration={
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": {
                    "ConfigurationType": "DEFAULT",
                    "CheckpointingEnabled": False,
                    "CheckpointInterval": 1234,
                    "MinPauseBetweenCheckpoints": 99,
                },
                "MonitoringConfiguration": {"ConfigurationType": "DEFAULT", "LogLevel": "DEBUG"},
                "ParallelismConfiguration": {"ConfigurationType": "DEFAULT", "Parallelism": 8},
            }
        },
    )
    flink = flink_config(detail)
    assert flink["CheckpointConfigurationDescription"]["CheckpointingEnabled"] is True
    assert flink["CheckpointConfigurationDescription"]["CheckpointInterval"] == 60000
    assert flink["CheckpointConfigurationDescription"]["MinPauseBetweenCheckpoints"] == 5000
    assert flink["MonitoringConfigurationDescription"]["LogLevel"] == "INFO"
    assert flink["ParallelismConfigurationDescription"]["Parallelism"] == 1


def test_custom_configuration_is_described_with_remaining_defaults(kav2: Any) -> None:
    detail = create_flink(
        kav2,
        "custom",
        ApplicationDescription="my app",
        ApplicationConfiguration={
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": {"ConfigurationType": "CUSTOM", "CheckpointInterval": 20000},
                "MonitoringConfiguration": {"ConfigurationType": "CUSTOM", "MetricsLevel": "OPERATOR"},
                "ParallelismConfiguration": {
                    "ConfigurationType": "CUSTOM",
                    "Parallelism": 4,
                    "ParallelismPerKPU": 2,
                    "AutoScalingEnabled": False,
                },
            },
            "EnvironmentProperties": {
                "PropertyGroups": [{"PropertyGroupId": "app", "PropertyMap": {"stream": "input"}}]
            },
            "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": False},
        },
        CloudWatchLoggingOptions=[{"LogStreamARN": log_stream("a")}, {"LogStreamARN": log_stream("b")}],
    )
    flink = flink_config(detail)
    assert flink["CheckpointConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 20000,
        "MinPauseBetweenCheckpoints": 5000,
    }
    assert flink["MonitoringConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM",
        "MetricsLevel": "OPERATOR",
        "LogLevel": "INFO",
    }
    assert flink["ParallelismConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM",
        "Parallelism": 4,
        "ParallelismPerKPU": 2,
        "CurrentParallelism": 4,
        "AutoScalingEnabled": False,
    }
    configuration = detail["ApplicationConfigurationDescription"]
    assert configuration["EnvironmentPropertyDescriptions"] == {
        "PropertyGroupDescriptions": [{"PropertyGroupId": "app", "PropertyMap": {"stream": "input"}}]
    }
    assert configuration["ApplicationSnapshotConfigurationDescription"] == {"SnapshotsEnabled": False}
    assert detail["ApplicationDescription"] == "my app"
    assert detail["CloudWatchLoggingOptionDescriptions"] == [
        {"CloudWatchLoggingOptionId": "1.1", "LogStreamARN": log_stream("a")},
        {"CloudWatchLoggingOptionId": "1.2", "LogStreamARN": log_stream("b")},
    ]


def test_inline_zip_code_reports_digest_and_size(kav2: Any, live_server: LiveServer) -> None:
    code = python_zip()
    detail = create_flink(
        kav2,
        "zipped",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContentType": "ZIPFILE",
                "CodeContent": {"ZipFileContent": code},
            }
        },
    )
    description = detail["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"]
    assert description["CodeContentType"] == "ZIPFILE"
    content = description["CodeContentDescription"]
    assert content["CodeSize"] == len(code)
    assert len(content["CodeMD5"]) == 128
    stored = live_server.settings.data_dir / "inline-code" / f"{content['CodeMD5']}.zip"
    assert stored.read_bytes() == code
    other = python_zip({"main.py": "print('other')\n"})
    with aws_error("ResourceInUseException", "Application zipped already exists"):
        create_flink(
            kav2,
            "zipped",
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContentType": "ZIPFILE",
                    "CodeContent": {"ZipFileContent": other},
                }
            },
        )
    assert [path.name for path in stored.parent.iterdir()] == [stored.name]  # refused calls store nothing


def test_s3_code_is_fetched_and_digested(live_server: LiveServer, kav2: Any) -> None:
    code = python_zip({"main.py": "print('from s3')\n"})
    s3 = live_server.client("s3")
    s3.create_bucket(Bucket="bucket")
    s3.put_bucket_versioning(Bucket="bucket", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="bucket", Key="app.zip", Body=code)["VersionId"]
    s3.put_object(Bucket="bucket", Key="app.zip", Body=b"a later version, not a zip")
    location = {"BucketARN": "arn:aws:s3:::bucket", "FileKey": "app.zip", "ObjectVersion": version}
    detail = create_flink(
        kav2,
        "from-s3",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContentType": "ZIPFILE",
                "CodeContent": {"S3ContentLocation": location},
            }
        },
    )
    description = detail["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"]
    assert description == {
        "CodeContentType": "ZIPFILE",
        "CodeContentDescription": {
            "CodeMD5": hashlib.sha512(code).hexdigest(),
            "CodeSize": len(code),
            "S3ApplicationCodeLocationDescription": location,
        },
    }
    for name, unusable in (
        ("latest-not-a-zip", {"BucketARN": "arn:aws:s3:::bucket", "FileKey": "app.zip"}),
        ("missing-key", {"BucketARN": "arn:aws:s3:::bucket", "FileKey": "missing.zip"}),
        ("missing-bucket", {"BucketARN": "arn:aws:s3:::no-such-bucket", "FileKey": "app.zip"}),
    ):
        with aws_error("CodeValidationException"):
            create_flink(
                kav2,
                name,
                ApplicationConfiguration={
                    "ApplicationCodeConfiguration": {
                        "CodeContentType": "ZIPFILE",
                        "CodeContent": {"S3ContentLocation": unusable},
                    }
                },
            )
    assert [a["ApplicationName"] for a in kav2.list_applications()["ApplicationSummaries"]] == ["from-s3"]


def test_invalid_code_is_rejected(kav2: Any) -> None:
    with aws_error("CodeValidationException"):
        create_flink(
            kav2,
            "not-a-zip",
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContentType": "ZIPFILE",
                    "CodeContent": {"ZipFileContent": b"this is not a zip"},
                }
            },
        )
    with aws_error("InvalidArgumentException", "CodeContentType ZIPFILE requires"):
        create_flink(
            kav2,
            "text-as-zip",
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContentType": "ZIPFILE",
                    "CodeContent": {"TextContent": "x"},
                }
            },
        )
    assert kav2.list_applications()["ApplicationSummaries"] == []


def test_sql_application_has_no_flink_blocks(kav2: Any) -> None:
    detail = create_sql(
        kav2,
        "sql",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContentType": "PLAINTEXT",
                "CodeContent": {"TextContent": "SELECT 1"},
            }
        },
    )
    configuration = detail["ApplicationConfigurationDescription"]
    assert "FlinkApplicationConfigurationDescription" not in configuration
    assert "ApplicationSnapshotConfigurationDescription" not in configuration
    assert "ApplicationMaintenanceConfigurationDescription" not in detail
    code = configuration["ApplicationCodeConfigurationDescription"]["CodeContentDescription"]
    assert code["TextContent"] == "SELECT 1"
    assert code["CodeSize"] == 8
    with aws_error("InvalidArgumentException", "FlinkApplicationConfiguration is not supported"):
        create_sql(
            kav2,
            "sql-with-flink",
            ApplicationConfiguration={
                "FlinkApplicationConfiguration": {"CheckpointConfiguration": {"ConfigurationType": "DEFAULT"}}
            },
        )


def test_studio_notebooks_are_interactive(kav2: Any) -> None:
    response = kav2.create_application(
        ApplicationName="studio", RuntimeEnvironment="ZEPPELIN-FLINK-3_0", ServiceExecutionRole=ROLE
    )
    detail = response["ApplicationDetail"]
    assert detail["ApplicationMode"] == "INTERACTIVE"
    zeppelin = detail["ApplicationConfigurationDescription"]["ZeppelinApplicationConfigurationDescription"]
    assert zeppelin["MonitoringConfigurationDescription"] == {"LogLevel": "INFO"}
    with aws_error("InvalidArgumentException", "ApplicationMode INTERACTIVE is not supported"):
        create_flink(kav2, "not-studio", ApplicationMode="INTERACTIVE")


def test_duplicate_name_is_resource_in_use(kav2: Any) -> None:
    create_flink(kav2, "twice")
    with aws_error("ResourceInUseException", "Application twice already exists"):
        create_flink(kav2, "twice")


def test_tags_on_create_and_too_many_tags(kav2: Any) -> None:
    detail = create_flink(kav2, "tagged", Tags=[{"Key": "team", "Value": "data"}, {"Key": "env"}])
    tags = kav2.list_tags_for_resource(ResourceARN=detail["ApplicationARN"])["Tags"]
    assert tags == [{"Key": "env", "Value": ""}, {"Key": "team", "Value": "data"}]
    with aws_error("TooManyTagsException", "50"):
        create_flink(kav2, "overtagged", Tags=[{"Key": f"k{index}", "Value": "v"} for index in range(51)])
    with aws_error("ResourceNotFoundException"):
        describe(kav2, "overtagged")


def test_snapshot_mode_enhanced_needs_flink_1_20(kav2: Any) -> None:
    with aws_error("InvalidArgumentException", "ENHANCED_SNAPSHOTS requires Apache Flink 1.20"):
        kav2.create_application(
            ApplicationName="old",
            RuntimeEnvironment="FLINK-1_18",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationSnapshotConfiguration": {
                    "SnapshotsEnabled": True,
                    "SnapshotMode": "ENHANCED_SNAPSHOTS",
                }
            },
        )


def test_describe_unknown_application_is_not_found(kav2: Any) -> None:
    with aws_error("ResourceNotFoundException", "Application ghost is not found"):
        describe(kav2, "ghost")


def test_describe_with_additional_details(kav2: Any) -> None:
    create_flink(kav2, "verbose")
    detail = kav2.describe_application(ApplicationName="verbose", IncludeAdditionalDetails=True)[
        "ApplicationDetail"
    ]
    assert detail["ApplicationStatus"] == "READY"
    assert "JobPlanDescription" not in flink_config(detail)


def test_list_applications_pages_by_name(kav2: Any) -> None:
    for name in ("c-app", "a-app", "b-app"):
        create_flink(kav2, name)
    create_sql(kav2, "d-sql")
    first = kav2.list_applications(Limit=2)
    assert [item["ApplicationName"] for item in first["ApplicationSummaries"]] == ["a-app", "b-app"]
    assert first["NextToken"] == "b-app"
    second = kav2.list_applications(Limit=2, NextToken=first["NextToken"])
    assert [item["ApplicationName"] for item in second["ApplicationSummaries"]] == ["c-app", "d-sql"]
    assert "NextToken" not in second
    summary = second["ApplicationSummaries"][1]
    assert summary == {
        "ApplicationName": "d-sql",
        "ApplicationARN": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/d-sql",
        "ApplicationStatus": "READY",
        "ApplicationVersionId": 1,
        "RuntimeEnvironment": "SQL-1_0",
        "ApplicationMode": "STREAMING",
    }
    paginated = kav2.get_paginator("list_applications").paginate(PaginationConfig={"PageSize": 1})
    assert [s["ApplicationName"] for page in paginated for s in page["ApplicationSummaries"]] == [
        "a-app",
        "b-app",
        "c-app",
        "d-sql",
    ]


def test_accounts_and_regions_are_isolated(live_server: LiveServer) -> None:
    first = live_server.client(access_key="111111111111")
    second = live_server.client(access_key="222222222222")
    other_region = live_server.client(access_key="111111111111", region="eu-west-1")
    mine = create_flink(first, "shared-name")
    theirs = create_flink(second, "shared-name")
    assert mine["ApplicationARN"].split(":")[4] == "111111111111"
    assert theirs["ApplicationARN"].split(":")[4] == "222222222222"
    assert [s["ApplicationName"] for s in second.list_applications()["ApplicationSummaries"]] == [
        "shared-name"
    ]
    assert other_region.list_applications()["ApplicationSummaries"] == []
    with aws_error("ResourceNotFoundException"):
        describe(other_region, "shared-name")
    with aws_error("ResourceNotFoundException"):
        second.list_tags_for_resource(ResourceARN=mine["ApplicationARN"])
    second.delete_application(ApplicationName="shared-name", CreateTimestamp=theirs["CreateTimestamp"])
    assert describe(first, "shared-name")["ApplicationARN"] == mine["ApplicationARN"]


def test_application_quota(kav2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.services.applications.MAX_APPLICATIONS_PER_REGION", 2)
    create_flink(kav2, "one")
    create_flink(kav2, "two")
    with aws_error("LimitExceededException", "limit of 2"):
        create_flink(kav2, "three")


def test_delete_compares_create_timestamp_at_whole_seconds(kav2: Any) -> None:
    detail = create_flink(kav2, "doomed")
    created: datetime = detail["CreateTimestamp"]
    with aws_error("InvalidArgumentException", "does not match the creation time"):
        kav2.delete_application(ApplicationName="doomed", CreateTimestamp=created - timedelta(seconds=1))
    assert describe(kav2, "doomed")["ApplicationStatus"] == "READY"
    kav2.delete_application(ApplicationName="doomed", CreateTimestamp=created + timedelta(milliseconds=678))
    with aws_error("ResourceNotFoundException", "Application doomed is not found"):
        describe(kav2, "doomed")
    with aws_error("ResourceNotFoundException"):
        kav2.delete_application(ApplicationName="doomed", CreateTimestamp=created)
    recreated = create_flink(kav2, "doomed")
    assert recreated["ApplicationVersionId"] == 1
    assert kav2.list_tags_for_resource(ResourceARN=recreated["ApplicationARN"])["Tags"] == []


def test_delete_accepts_rfc3339_seconds_like_terraform(kav2: Any) -> None:
    detail = create_flink(kav2, "tf")
    stamp = detail["CreateTimestamp"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kav2.delete_application(ApplicationName="tf", CreateTimestamp=stamp)
    assert kav2.list_applications()["ApplicationSummaries"] == []


def test_state_survives_a_restart(make_server: Any) -> None:
    first = make_server()
    created = create_flink(first.client(), "durable", Tags=[{"Key": "k", "Value": "v"}])
    stop_server(first)  # one owner per database: the second server is the restarted first
    second = make_server()
    assert describe(second.client(), "durable") == created
