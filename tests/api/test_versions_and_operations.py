"""Version history and operation records through boto3."""

from __future__ import annotations

from typing import Any

from tests.api.app_helpers import aws_error, create_flink, create_sql, log_stream

CHECKPOINT = {
    "FlinkApplicationConfigurationUpdate": {
        "CheckpointConfigurationUpdate": {
            "ConfigurationTypeUpdate": "CUSTOM",
            "CheckpointIntervalUpdate": 30000,
        }
    }
}


def _three_versions(kav2: Any) -> list[str]:
    create_flink(kav2, "app")
    first = kav2.update_application(
        ApplicationName="app", CurrentApplicationVersionId=1, ApplicationConfigurationUpdate=CHECKPOINT
    )
    second = kav2.add_application_cloud_watch_logging_option(
        ApplicationName="app",
        CurrentApplicationVersionId=2,
        CloudWatchLoggingOption={"LogStreamARN": log_stream("s")},
    )
    return [first["OperationId"], second["OperationId"]]


def test_versions_are_listed_and_described(kav2: Any) -> None:
    _three_versions(kav2)
    listed = kav2.list_application_versions(ApplicationName="app")
    assert listed["ApplicationVersionSummaries"] == [
        {"ApplicationVersionId": 1, "ApplicationStatus": "READY"},
        {"ApplicationVersionId": 2, "ApplicationStatus": "READY"},
        {"ApplicationVersionId": 3, "ApplicationStatus": "READY"},
    ]
    assert "NextToken" not in listed
    page = kav2.list_application_versions(ApplicationName="app", Limit=2)
    assert [s["ApplicationVersionId"] for s in page["ApplicationVersionSummaries"]] == [1, 2]
    rest = kav2.list_application_versions(ApplicationName="app", Limit=2, NextToken=page["NextToken"])
    assert [s["ApplicationVersionId"] for s in rest["ApplicationVersionSummaries"]] == [3]

    old = kav2.describe_application_version(ApplicationName="app", ApplicationVersionId=1)[
        "ApplicationVersionDetail"
    ]
    assert old["ApplicationVersionId"] == 1
    assert "ApplicationVersionUpdatedFrom" not in old
    checkpoint = old["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"][
        "CheckpointConfigurationDescription"
    ]
    assert checkpoint["ConfigurationType"] == "DEFAULT"
    middle = kav2.describe_application_version(ApplicationName="app", ApplicationVersionId=2)[
        "ApplicationVersionDetail"
    ]
    assert middle["ApplicationVersionUpdatedFrom"] == 1
    assert "CloudWatchLoggingOptionDescriptions" not in middle
    current = kav2.describe_application_version(ApplicationName="app", ApplicationVersionId=3)[
        "ApplicationVersionDetail"
    ]
    assert current == kav2.describe_application(ApplicationName="app")["ApplicationDetail"]


def test_version_errors(kav2: Any) -> None:
    create_flink(kav2, "app")
    create_sql(kav2, "sql")
    with aws_error("ResourceNotFoundException", "Application version 5 of application app is not found"):
        kav2.describe_application_version(ApplicationName="app", ApplicationVersionId=5)
    with aws_error("ResourceNotFoundException", "Application ghost is not found"):
        kav2.list_application_versions(ApplicationName="ghost")
    with aws_error("UnsupportedOperationException", "supported only for Managed Service for Apache Flink"):
        kav2.list_application_versions(ApplicationName="sql")
    with aws_error("UnsupportedOperationException", "supported only for Managed Service for Apache Flink"):
        kav2.describe_application_version(ApplicationName="sql", ApplicationVersionId=1)
    for token in ("not-ours", "9" * 40, "١٢"):
        with aws_error("InvalidArgumentException", "Invalid NextToken"):
            kav2.list_application_versions(ApplicationName="app", NextToken=token)
        with aws_error("InvalidArgumentException", "Invalid NextToken"):
            kav2.list_application_operations(ApplicationName="app", NextToken=token)


def test_operations_are_recorded_and_filterable(kav2: Any) -> None:
    update_id, logging_id = _three_versions(kav2)
    listed = kav2.list_application_operations(ApplicationName="app")["ApplicationOperationInfoList"]
    assert [(item["OperationId"], item["Operation"]) for item in listed] == [
        (logging_id, "AddApplicationCloudWatchLoggingOption"),
        (update_id, "UpdateApplication"),
    ]
    assert all(
        item["OperationStatus"] == "SUCCESSFUL" and item["EndTime"] >= item["StartTime"] for item in listed
    )
    only_updates = kav2.list_application_operations(ApplicationName="app", Operation="UpdateApplication")
    assert [item["OperationId"] for item in only_updates["ApplicationOperationInfoList"]] == [update_id]
    failed = kav2.list_application_operations(ApplicationName="app", OperationStatus="FAILED")
    assert failed["ApplicationOperationInfoList"] == []
    first_page = kav2.list_application_operations(ApplicationName="app", Limit=1)
    second_page = kav2.list_application_operations(
        ApplicationName="app", Limit=1, NextToken=first_page["NextToken"]
    )
    assert [item["OperationId"] for item in second_page["ApplicationOperationInfoList"]] == [update_id]
    assert "NextToken" not in second_page
    details = kav2.describe_application_operation(ApplicationName="app", OperationId=logging_id)[
        "ApplicationOperationInfoDetails"
    ]
    assert details["ApplicationVersionChangeDetails"] == {
        "ApplicationVersionUpdatedFrom": 2,
        "ApplicationVersionUpdatedTo": 3,
    }
    assert "OperationFailureDetails" not in details


def test_operation_errors(kav2: Any) -> None:
    create_flink(kav2, "app")
    create_sql(kav2, "sql")
    with aws_error("ResourceNotFoundException", "Operation abcdefabcdef of application app is not found"):
        kav2.describe_application_operation(ApplicationName="app", OperationId="abcdefabcdef")
    with aws_error("ResourceNotFoundException", "Application ghost is not found"):
        kav2.list_application_operations(ApplicationName="ghost")
    with aws_error("UnsupportedOperationException", "ListApplicationOperations is supported only"):
        kav2.list_application_operations(ApplicationName="sql")
