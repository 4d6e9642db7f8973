"""Status-dependent behaviour through boto3, with the status moved by ``transition()`` as the control
loop will: refused operations answer ResourceInUseException; a RUNNING application updates via UPDATING."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api_models.models import ApplicationStatus
from app.db.models import ApplicationRow
from app.services.state_machine import transition
from tests.api.app_helpers import aws_error, create_flink, describe, log_stream
from tests.conftest import LiveServer

S = ApplicationStatus


def move(live_server: LiveServer, name: str, *path: ApplicationStatus) -> None:
    database = live_server.server.config.app.state.database
    with database.session() as session:
        row = session.scalars(select(ApplicationRow).where(ApplicationRow.application_name == name)).one()
        for status in path:
            transition(row, status)


def test_configuration_changes_are_refused_while_starting(live_server: LiveServer, kav2: Any) -> None:
    create_flink(kav2, "app")
    move(live_server, "app", S.STARTING)
    message = (
        "Application app is in STARTING status; UpdateApplication is allowed only in READY, RUNNING status"
    )
    with aws_error("ResourceInUseException", message):
        kav2.update_application(ApplicationName="app", CurrentApplicationVersionId=1)
    with aws_error("ResourceInUseException", "is in STARTING status"):
        kav2.add_application_cloud_watch_logging_option(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            CloudWatchLoggingOption={"LogStreamARN": log_stream("x")},
        )
    with aws_error(
        "ResourceInUseException", "UpdateApplicationMaintenanceConfiguration is allowed only in READY"
    ):
        kav2.update_application_maintenance_configuration(
            ApplicationName="app",
            ApplicationMaintenanceConfigurationUpdate={
                "ApplicationMaintenanceWindowStartTimeUpdate": "01:00"
            },
        )
    assert describe(kav2, "app")["ApplicationVersionId"] == 1


def test_running_application_update_goes_through_updating(live_server: LiveServer, kav2: Any) -> None:
    create_flink(kav2, "app")
    move(live_server, "app", S.STARTING, S.RUNNING)
    response = kav2.update_application(ApplicationName="app", CurrentApplicationVersionId=1)
    assert response["ApplicationDetail"]["ApplicationStatus"] == "UPDATING"
    details = kav2.describe_application_operation(ApplicationName="app", OperationId=response["OperationId"])
    info = details["ApplicationOperationInfoDetails"]
    assert info["OperationStatus"] == "IN_PROGRESS"
    assert "EndTime" not in info
    versions = kav2.list_application_versions(ApplicationName="app")["ApplicationVersionSummaries"]
    assert versions == [
        {"ApplicationVersionId": 1, "ApplicationStatus": "RUNNING"},
        {"ApplicationVersionId": 2, "ApplicationStatus": "UPDATING"},
    ]
    with aws_error("ResourceInUseException", "is in UPDATING status"):
        kav2.update_application(ApplicationName="app", CurrentApplicationVersionId=2)
    move(live_server, "app", S.RUNNING)
    assert describe(kav2, "app")["ApplicationStatus"] == "RUNNING"


def test_running_application_can_be_deleted(live_server: LiveServer, kav2: Any) -> None:
    created = create_flink(kav2, "app")
    move(live_server, "app", S.STARTING, S.RUNNING)
    kav2.delete_application(ApplicationName="app", CreateTimestamp=created["CreateTimestamp"])
    with aws_error("ResourceNotFoundException"):
        describe(kav2, "app")
