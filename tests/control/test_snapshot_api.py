"""The application snapshot API (Create / Describe / List / DeleteApplicationSnapshot) with the loop:
services called as the protocol layer calls them, the loop driven by ``tick()`` against the fake runtime.
Also the restore types of StartApplication, which resolve to these snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from api_models import errors, models
from app.services import applications, snapshots
from tests.control.conftest import ROLE, ControlEnv, dump


def create_snapshot(control: ControlEnv, name: str, application: str = "app") -> None:
    request = {"ApplicationName": application, "SnapshotName": name}
    control.call(snapshots.create_application_snapshot, request, models.CreateApplicationSnapshotRequest)


def describe_snapshot(control: ControlEnv, name: str, application: str = "app") -> dict[str, Any]:
    request = {"ApplicationName": application, "SnapshotName": name}
    response = control.call(
        snapshots.describe_application_snapshot, request, models.DescribeApplicationSnapshotRequest
    )
    details: dict[str, Any] = dump(response)["SnapshotDetails"]
    return details


def list_snapshots(control: ControlEnv, application: str = "app", **paging: Any) -> dict[str, Any]:
    request = {"ApplicationName": application, **paging}
    response = control.call(
        snapshots.list_application_snapshots, request, models.ListApplicationSnapshotsRequest
    )
    return dump(response)


def delete_snapshot(control: ControlEnv, name: str, created: Any, application: str = "app") -> None:
    request = {"ApplicationName": application, "SnapshotName": name, "SnapshotCreationTimestamp": created}
    control.call(snapshots.delete_application_snapshot, request, models.DeleteApplicationSnapshotRequest)


def take_snapshot(control: ControlEnv, name: str) -> dict[str, Any]:
    """Create a snapshot and drive the loop until it is READY."""
    create_snapshot(control, name)
    control.tick()
    control.fake.advance()
    control.tick()
    details = describe_snapshot(control, name)
    assert details["SnapshotStatus"] == "READY"
    return details


def test_a_snapshot_is_created_creating_and_the_loop_makes_it_a_ready_savepoint(control: ControlEnv) -> None:
    control.run()
    create_snapshot(control, "before-upgrade")
    details = describe_snapshot(control, "before-upgrade")
    assert details == {
        "SnapshotName": "before-upgrade",
        "SnapshotStatus": "CREATING",
        "ApplicationVersionId": 1,
        "SnapshotCreationTimestamp": details["SnapshotCreationTimestamp"],
        "RuntimeEnvironment": "FLINK-1_20",
    }
    control.tick()
    control.fake.advance()
    control.tick()
    assert describe_snapshot(control, "before-upgrade")["SnapshotStatus"] == "READY"
    [row] = control.snapshots()
    assert row.savepoint_location in control.fake.savepoints
    assert control.status() == "RUNNING"


def test_a_snapshot_whose_savepoint_fails_is_reported_failed(control: ControlEnv) -> None:
    control.run()
    control.fake.fail_next_savepoint("Checkpoint was declined")
    create_snapshot(control, "unlucky")
    control.tick()
    control.fake.advance()
    control.tick()
    assert describe_snapshot(control, "unlucky")["SnapshotStatus"] == "FAILED"


@pytest.mark.parametrize("status", ["READY", "STARTING", "STOPPING"])
def test_snapshots_are_taken_only_of_running_applications(control: ControlEnv, status: str) -> None:
    control.create()
    if status != "READY":
        control.start()
        control.tick()
        if status == "STOPPING":
            control.fake.advance()
            control.tick()
            control.stop()
    assert control.status() == status
    with pytest.raises(errors.ResourceInUseException):
        create_snapshot(control, "too-early")
    assert list_snapshots(control)["SnapshotSummaries"] == []


def test_snapshot_names_are_checked(control: ControlEnv) -> None:
    control.run()
    for reserved in ("SYSTEMSNAPSHOT-1", "systemsnapshot", "SystemSnapshot_x"):
        with pytest.raises(errors.InvalidArgumentException, match="reserved"):
            create_snapshot(control, reserved)
    create_snapshot(control, "mine")
    with pytest.raises(errors.InvalidArgumentException, match="already exists"):
        create_snapshot(control, "mine")
    assert [s["SnapshotName"] for s in list_snapshots(control)["SnapshotSummaries"]] == ["mine"]


def test_snapshots_disabled_is_an_invalid_configuration(control: ControlEnv) -> None:
    control.run(ApplicationSnapshotConfiguration={"SnapshotsEnabled": False})
    with pytest.raises(errors.InvalidApplicationConfigurationException):
        create_snapshot(control, "mine")


def test_the_per_application_quota_counts_every_snapshot(control: ControlEnv) -> None:
    control.settings = control.settings.model_copy(update={"max_snapshots_per_application": 2})
    control.run()
    create_snapshot(control, "one")
    create_snapshot(control, "two")
    with pytest.raises(errors.LimitExceededException):
        create_snapshot(control, "three")
    assert len(list_snapshots(control)["SnapshotSummaries"]) == 2


def test_unknown_snapshots_and_applications(control: ControlEnv) -> None:
    control.create()
    with pytest.raises(errors.ResourceNotFoundException, match="does not exist"):
        describe_snapshot(control, "nothing")
    with pytest.raises(errors.ResourceNotFoundException, match="does not exist"):
        delete_snapshot(control, "nothing", control.clock())
    with pytest.raises(errors.ResourceNotFoundException):
        describe_snapshot(control, "nothing", application="ghost")
    with pytest.raises(errors.ResourceNotFoundException):
        create_snapshot(control, "nothing", application="ghost")
    with pytest.raises(errors.InvalidArgumentException):  # the model lists no ResourceNotFound here
        list_snapshots(control, application="ghost")


def test_list_pages_in_creation_order_with_system_snapshots(control: ControlEnv) -> None:
    control.run()
    for name in ("a", "b", "c"):
        take_snapshot(control, name)
        control.clock.advance(1)
    control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    first = list_snapshots(control, Limit=2)
    second = list_snapshots(control, Limit=2, NextToken=first["NextToken"])
    names = [s["SnapshotName"] for s in first["SnapshotSummaries"] + second["SnapshotSummaries"]]
    assert names[:3] == ["a", "b", "c"] and names[3].startswith("SYSTEMSNAPSHOT-")
    assert "NextToken" not in second
    with pytest.raises(errors.InvalidArgumentException):
        list_snapshots(control, NextToken="not-a-token")


def test_deleting_a_snapshot_disposes_of_its_savepoint(control: ControlEnv) -> None:
    control.run()
    details = take_snapshot(control, "old")
    [row] = control.snapshots()
    created = datetime.fromisoformat(details["SnapshotCreationTimestamp"])
    with pytest.raises(errors.InvalidArgumentException):
        delete_snapshot(control, "old", created - timedelta(seconds=1))
    delete_snapshot(control, "old", created + timedelta(seconds=0.75))  # compared at whole seconds
    assert describe_snapshot(control, "old")["SnapshotStatus"] == "DELETING"
    with pytest.raises(errors.ResourceInUseException):
        delete_snapshot(control, "old", created)
    control.tick()
    with pytest.raises(errors.ResourceNotFoundException):
        describe_snapshot(control, "old")
    assert row.savepoint_location not in control.fake.savepoints
    assert ("dispose_savepoint", row.savepoint_location) in control.fake.calls


def test_a_snapshot_being_created_cannot_be_deleted_but_a_failed_one_can(control: ControlEnv) -> None:
    control.run()
    create_snapshot(control, "busy")
    created = describe_snapshot(control, "busy")["SnapshotCreationTimestamp"]
    with pytest.raises(errors.ResourceInUseException):
        delete_snapshot(control, "busy", created)
    control.fake.fail_next_savepoint("declined")
    control.tick()
    control.fake.advance()
    control.tick()
    assert describe_snapshot(control, "busy")["SnapshotStatus"] == "FAILED"
    delete_snapshot(control, "busy", created)
    control.tick()
    assert list_snapshots(control)["SnapshotSummaries"] == []


def test_deleting_the_application_deletes_its_snapshots(control: ControlEnv) -> None:
    control.run()
    take_snapshot(control, "kept")
    control.delete()
    control.create()  # same name, new application: the old snapshots are not its own
    assert list_snapshots(control)["SnapshotSummaries"] == []
    with pytest.raises(errors.ResourceNotFoundException):
        describe_snapshot(control, "kept")


def test_snapshot_calls_on_sql_applications_are_unsupported(control: ControlEnv) -> None:
    request = {"ApplicationName": "sql", "RuntimeEnvironment": "SQL-1_0", "ServiceExecutionRole": ROLE}
    control.call(applications.create_application, request, models.CreateApplicationRequest)
    with pytest.raises(errors.UnsupportedOperationException):
        list_snapshots(control, application="sql")
    with pytest.raises(errors.UnsupportedOperationException):
        create_snapshot(control, "x", application="sql")


# ---- restore types of StartApplication ---------------------------------------------------------


def stop_and_settle(control: ControlEnv) -> None:
    control.stop(force=True)
    control.tick(2)
    assert control.status() == "READY"


def test_restore_from_a_custom_snapshot_uses_its_savepoint(control: ControlEnv) -> None:
    control.run()
    take_snapshot(control, "first")
    control.clock.advance(1)
    take_snapshot(control, "second")
    stop_and_settle(control)
    control.start(
        ApplicationRestoreConfiguration={
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotName": "first",
        }
    )
    control.tick()
    first = next(row for row in control.snapshots() if row.snapshot_name == "first")
    restore = control.job().spec.restore
    assert restore is not None and restore.location == first.savepoint_location


def test_restore_from_an_unknown_or_unready_snapshot_is_refused_at_the_call(control: ControlEnv) -> None:
    control.run()
    create_snapshot(control, "pending")
    stop_and_settle(control)  # the snapshot request stays CREATING → FAILED on the next tick
    for name in ("missing", "pending"):
        with pytest.raises(errors.InvalidArgumentException, match="does not exist"):
            control.start(
                ApplicationRestoreConfiguration={
                    "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                    "SnapshotName": name,
                }
            )
    assert control.status() == "READY"


def test_restore_from_latest_uses_the_newest_ready_snapshot(control: ControlEnv) -> None:
    control.run()
    take_snapshot(control, "older")
    control.clock.advance(1)
    take_snapshot(control, "newer")
    control.clock.advance(1)
    control.fake.fail_next_savepoint("declined")
    create_snapshot(control, "newest-failed")
    control.tick()
    control.fake.advance()
    control.tick()
    stop_and_settle(control)
    control.start(ApplicationRestoreConfiguration={"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"})
    control.tick()
    newer = next(row for row in control.snapshots() if row.snapshot_name == "newer")
    restore = control.job().spec.restore
    assert restore is not None and restore.location == newer.savepoint_location


def test_restore_from_latest_without_snapshots_and_skip_restore_start_fresh(control: ControlEnv) -> None:
    control.run()
    assert control.job().spec.restore is None  # RESTORE_FROM_LATEST_SNAPSHOT, none exists
    take_snapshot(control, "there")
    stop_and_settle(control)
    control.start(ApplicationRestoreConfiguration={"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"})
    control.tick()
    assert control.job().spec.restore is None


def test_an_update_of_a_running_application_restores_from_the_custom_snapshot_it_names(
    control: ControlEnv,
) -> None:
    control.run()
    take_snapshot(control, "chosen")
    restore = {"ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT", "SnapshotName": "unknown"}
    with pytest.raises(errors.InvalidArgumentException, match="does not exist"):
        control.update(RunConfigurationUpdate={"ApplicationRestoreConfiguration": restore})
    assert control.describe()["ApplicationVersionId"] == 1
    restore["SnapshotName"] = "chosen"
    operation_id = control.update(RunConfigurationUpdate={"ApplicationRestoreConfiguration": restore})
    for _ in range(4):
        control.tick()
        control.fake.advance()
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    chosen = next(row for row in control.snapshots() if row.snapshot_name == "chosen")
    job_restore = control.job().spec.restore
    assert job_restore is not None and job_restore.location == chosen.savepoint_location
