"""UpdateApplication on a running application (stop-with-savepoint → restore), restore configurations,
and the API errors of Start/StopApplication."""

from __future__ import annotations

import pytest

from api_models import errors, models
from app.services import applications
from runtime_adapter.base import JobState
from tests.control.conftest import ControlEnv, code_zip


def stopped_with_snapshot(control: ControlEnv) -> str:
    control.run()
    control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    location = control.snapshots()[-1].savepoint_location
    assert location is not None
    return location


PARALLELISM_2 = {
    "ApplicationConfigurationUpdate": {
        "FlinkApplicationConfigurationUpdate": {
            "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 2}
        }
    }
}


def test_update_of_a_running_app_rescales_through_a_savepoint(control: ControlEnv) -> None:
    control.run()
    old_job = control.job()
    operation_id = control.update(**PARALLELISM_2)
    assert control.status() == "UPDATING"
    control.tick()
    assert old_job.state is JobState.STOPPING
    control.fake.advance()
    control.tick()  # savepoint done, old job finished, new version submitted from the savepoint
    [snapshot] = control.snapshots()
    new_job = control.job()
    assert new_job is not old_job and old_job.state is JobState.FINISHED
    assert new_job.spec.parallelism == 2
    assert new_job.spec.restore is not None and new_job.spec.restore.location == snapshot.savepoint_location
    assert snapshot.application_version_id == 1  # taken from the version that was running
    assert control.status() == "UPDATING"
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    operation = control.operation(operation_id)
    assert operation["Operation"] == "UpdateApplication" and operation["OperationStatus"] == "SUCCESSFUL"
    assert operation["ApplicationVersionChangeDetails"] == {
        "ApplicationVersionUpdatedFrom": 1,
        "ApplicationVersionUpdatedTo": 2,
    }


def test_update_with_new_code_runs_the_new_code(control: ControlEnv) -> None:
    control.run(ApplicationSnapshotConfiguration={"SnapshotsEnabled": False})
    update = {
        "ApplicationConfigurationUpdate": {
            "ApplicationCodeConfigurationUpdate": {
                "CodeContentUpdate": {"ZipFileContentUpdate": code_zip({"main.py": "print('v2')\n"})}
            }
        }
    }
    control.update(**update)
    control.tick()
    control.fake.advance()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.job().spec.code.entry_path.read_text() == "print('v2')\n"
    assert control.job().spec.restore is None  # snapshots disabled: no system snapshot to restore
    assert control.job(0).state is JobState.CANCELED


def test_update_whose_new_version_fails_to_start_leaves_the_app_ready(control: ControlEnv) -> None:
    control.run()
    operation_id = control.update(**PARALLELISM_2)
    control.tick()
    control.fake.advance()
    control.fake.fail_next_start("java.lang.IllegalStateException: Failed to rollback to savepoint")
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert (
        control.error_string(operation_id)
        == "java.lang.IllegalStateException: Failed to rollback to savepoint"
    )


def test_update_whose_savepoint_fails_keeps_the_old_job_running(control: ControlEnv) -> None:
    control.run()
    old_job = control.job()
    control.fake.fail_next_savepoint("Checkpoint expired before completing.")
    operation_id = control.update(**PARALLELISM_2)
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert old_job.state is JobState.RUNNING and len(control.fake.jobs) == 1
    assert "Checkpoint expired before completing." in control.error_string(operation_id)


def test_update_of_a_ready_app_does_not_touch_the_runtime(control: ControlEnv) -> None:
    control.create()
    operation_id = control.update(**PARALLELISM_2)
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    control.tick()
    assert control.fake.calls == []


# ---- restore configurations -------------------------------------------------------------------


def test_start_restores_from_the_latest_snapshot_by_default(control: ControlEnv) -> None:
    location = stopped_with_snapshot(control)
    control.start()
    control.tick()
    restore = control.job().spec.restore
    assert restore is not None and (restore.location, restore.allow_non_restored_state) == (location, False)


def test_skip_restore_starts_with_empty_state(control: ControlEnv) -> None:
    stopped_with_snapshot(control)
    control.start(ApplicationRestoreConfiguration={"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"})
    control.tick()
    assert control.job().spec.restore is None
    run = control.describe()["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run["ApplicationRestoreConfigurationDescription"] == {
        "ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"
    }


def test_restore_from_a_custom_snapshot_with_allow_non_restored_state(control: ControlEnv) -> None:
    location = stopped_with_snapshot(control)
    name = control.snapshots()[-1].snapshot_name
    control.fake.add_savepoint(location, compatible=False)
    control.start(
        ApplicationRestoreConfiguration={
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotName": name,
        },
        FlinkRunConfiguration={"AllowNonRestoredState": True},
    )
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    restore = control.job().spec.restore
    assert restore is not None and (restore.location, restore.allow_non_restored_state) == (location, True)
    run = control.describe()["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run["FlinkRunConfigurationDescription"] == {"AllowNonRestoredState": True}


def test_failed_restore_fails_the_start(control: ControlEnv) -> None:
    location = stopped_with_snapshot(control)
    control.fake.add_savepoint(location, compatible=False)
    operation_id = control.start()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert "allowNonRestoredState" in control.error_string(operation_id)


def test_latest_restore_without_any_snapshot_starts_fresh(control: ControlEnv) -> None:
    control.create()
    control.start(ApplicationRestoreConfiguration={"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"})
    control.tick()
    assert control.job().spec.restore is None


def test_unknown_custom_snapshot_is_refused_by_the_api(control: ControlEnv) -> None:
    control.create()
    with pytest.raises(errors.InvalidArgumentException) as caught:
        control.start(
            ApplicationRestoreConfiguration={
                "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                "SnapshotName": "nope",
            }
        )
    assert "Snapshot nope does not exist" in caught.value.message
    with pytest.raises(errors.InvalidArgumentException) as missing:
        control.start(
            ApplicationRestoreConfiguration={"ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT"}
        )
    assert "requires SnapshotName" in missing.value.message
    assert control.status() == "READY"
    assert "RunConfigurationDescription" not in control.describe()["ApplicationConfigurationDescription"]


# ---- API errors -------------------------------------------------------------------------------


def test_wrong_status_is_resource_in_use(control: ControlEnv) -> None:
    control.create()
    with pytest.raises(errors.ResourceInUseException):
        control.stop()
    with pytest.raises(errors.ResourceInUseException):
        control.stop(force=True)
    control.start()
    with pytest.raises(errors.ResourceInUseException) as caught:
        control.start()
    assert "STARTING" in caught.value.message
    with pytest.raises(errors.ResourceInUseException):
        control.stop()  # not RUNNING yet; only Force is allowed


def test_start_without_code_is_an_invalid_configuration(control: ControlEnv) -> None:
    request = {
        "ApplicationName": "bare",
        "RuntimeEnvironment": "FLINK-1_20",
        "ServiceExecutionRole": "arn:aws:iam::1:role/r",
    }
    control.call(applications.create_application, request, models.CreateApplicationRequest)
    with pytest.raises(errors.InvalidApplicationConfigurationException):
        control.start("bare")
    assert control.status("bare") == "READY"


def test_a_changed_run_configuration_is_described_at_once(control: ControlEnv) -> None:
    control.create()
    token = control.describe()["ConditionalToken"]
    control.start(FlinkRunConfiguration={"AllowNonRestoredState": True})
    detail = control.describe()
    run = detail["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run["FlinkRunConfigurationDescription"] == {"AllowNonRestoredState": True}
    assert detail["ConditionalToken"] != token and detail["ApplicationVersionId"] == 1
    control.stop(force=True)
    control.tick(2)
    control.start(FlinkRunConfiguration={"AllowNonRestoredState": False})
    run = control.describe()["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run["FlinkRunConfigurationDescription"] == {"AllowNonRestoredState": False}


def test_an_update_accepted_while_a_lost_job_is_resubmitted_is_applied(control: ControlEnv) -> None:
    control.run()
    lost = control.job().spec.job_id
    control.fake.lose(lost)
    control.tick()  # resubmitting the running version
    resubmitted = control.job()
    assert resubmitted.spec.job_id != lost and control.deployments()[0].phase == "STARTING_JOB"
    operation_id = control.update(**PARALLELISM_2)  # accepted while the resubmission is in flight
    assert control.status() == "UPDATING"
    for _ in range(6):
        control.fake.advance()
        control.tick()
    assert control.status() == "RUNNING"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.job().spec.parallelism == 2 and resubmitted.state is JobState.FINISHED
    assert [job.spec.parallelism for job in control.fake.jobs.values() if not job.state.is_terminal] == [2]


def test_a_bounded_job_that_completes_is_a_successful_start_then_ready(control: ControlEnv) -> None:
    control.create()
    operation_id = control.start()
    control.tick()
    control.fake.finish(control.job().spec.job_id)  # done before the control plane saw it running
    control.tick()
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.status() == "READY"
    control.tick()
    assert control.deployments()[0].job_id is None
