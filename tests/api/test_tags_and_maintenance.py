"""Tagging and UpdateApplicationMaintenanceConfiguration through boto3."""

from __future__ import annotations

import threading
from typing import Any

from tests.api.app_helpers import aws_error, create_flink, create_sql, describe
from tests.conftest import LiveServer


def test_tag_untag_and_list(kav2: Any) -> None:
    arn = create_flink(kav2, "app", Tags=[{"Key": "a", "Value": "1"}])["ApplicationARN"]
    kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}])
    assert kav2.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "one"},
        {"Key": "b", "Value": "2"},
    ]
    kav2.untag_resource(ResourceARN=arn, TagKeys=["a", "never-set"])
    assert kav2.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert describe(kav2, "app")["ApplicationVersionId"] == 1


def test_too_many_tags_counts_existing_tags(kav2: Any) -> None:
    arn = create_flink(kav2, "app", Tags=[{"Key": f"old{index}", "Value": "v"} for index in range(40)])[
        "ApplicationARN"
    ]
    with aws_error("TooManyTagsException", "limit of 50"):
        kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": f"new{index}", "Value": "v"} for index in range(11)])
    assert len(kav2.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 40
    kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": f"new{index}", "Value": "v"} for index in range(10)])
    kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": "old0", "Value": "overwritten"}])
    assert len(kav2.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 50


def test_unknown_resource_arn_is_not_found(kav2: Any) -> None:
    arn = "arn:aws:kinesisanalytics:us-east-1:123456789012:application/ghost"
    with aws_error("ResourceNotFoundException", f"Resource {arn} is not found"):
        kav2.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    with aws_error("ResourceNotFoundException", f"Resource {arn} is not found"):
        kav2.untag_resource(ResourceARN=arn, TagKeys=["k"])
    with aws_error("ResourceNotFoundException", f"Resource {arn} is not found"):
        kav2.list_tags_for_resource(ResourceARN=arn)


def test_maintenance_window_moves_without_a_new_version(kav2: Any) -> None:
    create_flink(kav2, "app")
    response = kav2.update_application_maintenance_configuration(
        ApplicationName="app",
        ApplicationMaintenanceConfigurationUpdate={"ApplicationMaintenanceWindowStartTimeUpdate": "20:30"},
    )
    window = {
        "ApplicationMaintenanceWindowStartTime": "20:30",
        "ApplicationMaintenanceWindowEndTime": "04:30",
    }
    assert response["ApplicationMaintenanceConfigurationDescription"] == window
    assert response["ApplicationARN"].endswith(":application/app")
    detail = describe(kav2, "app")
    assert detail["ApplicationMaintenanceConfigurationDescription"] == window
    assert detail["ApplicationVersionId"] == 1


def test_maintenance_window_errors(kav2: Any) -> None:
    create_sql(kav2, "sql")
    with aws_error("UnsupportedOperationException", "supported only for Managed Service for Apache Flink"):
        kav2.update_application_maintenance_configuration(
            ApplicationName="sql",
            ApplicationMaintenanceConfigurationUpdate={
                "ApplicationMaintenanceWindowStartTimeUpdate": "01:00"
            },
        )
    with aws_error("ResourceNotFoundException", "Application ghost is not found"):
        kav2.update_application_maintenance_configuration(
            ApplicationName="ghost",
            ApplicationMaintenanceConfigurationUpdate={
                "ApplicationMaintenanceWindowStartTimeUpdate": "01:00"
            },
        )


def test_concurrent_tagging_of_one_key(live_server: LiveServer) -> None:
    clients = [live_server.client() for _ in range(6)]
    arn = create_flink(clients[0], "app")["ApplicationARN"]
    failures: list[Exception] = []

    def tag(client: Any, value: str) -> None:
        try:
            client.tag_resource(ResourceARN=arn, Tags=[{"Key": "owner", "Value": value}])
        except Exception as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=tag, args=(client, str(n))) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    [only] = clients[0].list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert only["Key"] == "owner"
