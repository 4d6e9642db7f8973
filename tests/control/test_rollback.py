"""RollbackApplication and system rollback (RollbackEnabled), driven by tick() on the fake runtime."""

from __future__ import annotations

from typing import Any

import pytest

from api_models import errors, models
from app.services import applications, rollback
from runtime_adapter.base import JobState
from tests.api.app_helpers import aws_error
from tests.api.app_helpers import python_zip as code_zip
from tests.conftest import LiveServer
from tests.control.conftest import ControlEnv
from tests.control.test_live_server import create, rescale, wait_successful

PARALLELISM_2 = {
    "ApplicationConfigurationUpdate": {
        "FlinkApplicationConfigurationUpdate": {
            "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 2}
        }
    }
}
ROLLBACK_ENABLED = {"ApplicationSystemRollbackConfiguration": {"RollbackEnabled": True}}


def roll_back(control: ControlEnv, name: str = "app") -> Any:
    version = control.describe(name)["ApplicationVersionId"]
    request = {"ApplicationName": name, "CurrentApplicationVersionId": version}
    return control.call(rollback.rollback_application, request, models.RollbackApplicationRequest)


def settle(control: ControlEnv, times: int = 6) -> None:
    for _ in range(times):
        control.fake.advance()
        control.tick()


def test_rollback_restores_the_previous_version_from_the_latest_snapshot(control: ControlEnv) -> None:
    control.run()
    control.update(**PARALLELISM_2)
    settle(control)
    assert control.status() == "RUNNING" and control.job().spec.parallelism == 2
    response = roll_back(control)
    detail = response.application_detail
    assert (detail.application_status, detail.application_version_id) == ("ROLLING_BACK", 3)
    assert (detail.application_version_rolled_back_from, detail.application_version_rolled_back_to) == (2, 1)
    settle(control)
    assert control.status() == "RUNNING"
    job = control.job()
    assert job.spec.parallelism == 1  # version 1's configuration
    latest = control.snapshots()[-1]
    assert job.spec.restore is not None and job.spec.restore.location == latest.savepoint_location
    operation = control.operation(response.operation_id)
    assert operation["Operation"] == "RollbackApplication" and operation["OperationStatus"] == "SUCCESSFUL"
    assert [j.state for j in control.fake.jobs.values()].count(JobState.RUNNING) == 1


def test_rollback_is_refused_in_the_wrong_status_without_a_previous_version_or_snapshot(
    control: ControlEnv,
) -> None:
    control.create()
    with pytest.raises(errors.ResourceInUseException):
        roll_back(control)
    control.start()
    settle(control, 2)
    with pytest.raises(errors.InvalidRequestException, match="no previous version"):
        roll_back(control)
    control.update(**PARALLELISM_2)
    control.tick()
    with pytest.raises(errors.InvalidRequestException, match="no snapshot"):
        roll_back(control)


def test_rollback_of_a_sql_application_is_unsupported(control: ControlEnv) -> None:
    request = {
        "ApplicationName": "sql",
        "RuntimeEnvironment": "SQL-1_0",
        "ServiceExecutionRole": "arn:aws:iam::123456789012:role/r",
    }
    control.call(applications.create_application, request, models.CreateApplicationRequest)
    with pytest.raises(errors.UnsupportedOperationException):
        roll_back(control, "sql")


def test_a_failed_update_with_rollback_enabled_rolls_back_to_the_previous_version(
    control: ControlEnv,
) -> None:
    control.run(**ROLLBACK_ENABLED)
    update_id = control.update(**PARALLELISM_2)
    control.tick()  # stop with a savepoint
    control.fake.advance()
    control.fake.fail_next_start("StateRestoreError: operator uid 'counts' is not in the savepoint")
    settle(control)
    assert control.status() == "RUNNING"
    failed = control.operation(update_id)
    assert failed["OperationStatus"] == "FAILED"
    details = failed["OperationFailureDetails"]
    assert "StateRestoreError" in details["ErrorInfo"]["ErrorString"]
    rollback_operation = control.operation(details["RollbackOperationId"])
    assert rollback_operation["Operation"] == "RollbackApplication"
    assert rollback_operation["OperationStatus"] == "SUCCESSFUL"
    assert control.job().spec.parallelism == 1
    assert control.describe()["ApplicationVersionRolledBackTo"] == 1


def test_a_failed_update_without_rollback_ends_ready(control: ControlEnv) -> None:
    control.run()
    update_id = control.update(**PARALLELISM_2)
    control.tick()
    control.fake.advance()
    control.fake.fail_next_start("StateRestoreError: incompatible")
    settle(control)
    assert control.status() == "READY"
    assert "RollbackOperationId" not in control.operation(update_id)["OperationFailureDetails"]


def test_rollback_through_boto3(make_server: Any) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    create(kav2, "app", {"ZipFileContent": code_zip({"main.py": "print('job')\n"})})
    with aws_error("ResourceInUseException", "READY"):
        kav2.rollback_application(ApplicationName="app", CurrentApplicationVersionId=1)
    started = kav2.start_application(ApplicationName="app")
    wait_successful(kav2, "app", started["OperationId"])
    updated = rescale(kav2, "app", 2)
    wait_successful(kav2, "app", updated)  # its stop took a system snapshot
    with aws_error("ConcurrentModificationException", "not the current version"):
        kav2.rollback_application(ApplicationName="app", CurrentApplicationVersionId=1)
    response = kav2.rollback_application(ApplicationName="app", CurrentApplicationVersionId=2)
    assert response["ApplicationDetail"]["ApplicationStatus"] == "ROLLING_BACK"
    wait_successful(kav2, "app", response["OperationId"])
    detail = kav2.describe_application(ApplicationName="app")["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "RUNNING" and detail["ApplicationVersionId"] == 3
    assert (detail["ApplicationVersionRolledBackFrom"], detail["ApplicationVersionRolledBackTo"]) == (2, 1)
    parallelism = detail["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    assert parallelism["ParallelismConfigurationDescription"]["ConfigurationType"] == "DEFAULT"
