"""StopApplication (with and without snapshots, forced) and a running job's failures, driven by tick()."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api_models import models
from api_models.models import ApplicationStatus
from app.control.loop import ControlLoop
from app.db.models import ApplicationRow
from app.services import snapshots as snapshot_api
from app.services import state_machine
from runtime_adapter.base import JobState
from tests.control.conftest import STOP_TIMEOUT, ControlEnv
from tests.control.test_update_and_restore import PARALLELISM_2


def test_stop_takes_a_system_snapshot_and_ends_ready(control: ControlEnv) -> None:
    control.run()
    operation_id = control.stop()
    assert control.status() == "STOPPING"
    control.tick()
    assert control.status() == "STOPPING" and control.job().state is JobState.STOPPING
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    [snapshot] = control.snapshots()
    assert snapshot.snapshot_name.startswith("SYSTEMSNAPSHOT-")
    assert snapshot.status == "READY" and snapshot.application_version_id == 1
    assert snapshot.savepoint_location in control.fake.savepoints
    assert control.deployments()[0].job_id is None


def test_stop_without_snapshots_cancels_the_job(control: ControlEnv) -> None:
    control.run(ApplicationSnapshotConfiguration={"SnapshotsEnabled": False})
    operation_id = control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.snapshots() == []
    assert control.job().state is JobState.CANCELED


def test_failed_savepoint_fails_the_stop_and_the_job_keeps_running(control: ControlEnv) -> None:
    control.run()
    control.fake.fail_next_savepoint("Checkpoint Coordinator is suspending.")
    operation_id = control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.job().state is JobState.RUNNING
    assert control.error_string(operation_id) == (
        "The snapshot could not be taken: Checkpoint Coordinator is suspending."
    )
    assert control.snapshots() == []
    second = control.stop()  # the application can be stopped again
    control.tick()
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(second)["OperationStatus"] == "SUCCESSFUL"


def test_refused_stop_fails_the_operation_and_the_app_stays_running(control: ControlEnv) -> None:
    control.run()
    control.fake.reject_next_stop("JobManager unreachable")
    operation_id = control.stop()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.error_string(operation_id) == "JobManager unreachable"


def test_stop_that_does_not_finish_times_out_and_the_job_is_terminated(control: ControlEnv) -> None:
    control.run()
    operation_id = control.stop()
    control.tick()
    control.clock.advance(STOP_TIMEOUT.total_seconds() + 1)
    control.tick()
    assert control.status() == "READY"
    assert "did not stop within 60 seconds" in control.error_string(operation_id)
    assert control.job().state is JobState.CANCELED
    control.tick()
    assert control.deployments()[0].job_id is None


def test_force_stop_from_running_takes_no_snapshot(control: ControlEnv) -> None:
    control.run()
    operation_id = control.stop(force=True)
    assert control.status() == "FORCE_STOPPING"
    control.tick()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.snapshots() == [] and not control.fake.savepoints
    assert ("stop:FORCE", control.job().spec.job_id) in control.fake.calls


def test_force_stop_while_starting_cancels_the_start(control: ControlEnv) -> None:
    control.create()
    start_id = control.start()
    control.tick()  # submitted, still starting
    stop_id = control.stop(force=True)
    control.tick()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(start_id)["OperationStatus"] == "CANCELLED"
    assert control.operation(stop_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.job().state is JobState.CANCELED


def test_force_stop_before_the_job_was_submitted(control: ControlEnv) -> None:
    control.create()
    start_id = control.start()
    stop_id = control.stop(force=True)
    control.tick()
    assert control.status() == "READY"
    assert control.operation(start_id)["OperationStatus"] == "CANCELLED"
    assert control.operation(stop_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.fake.jobs == {}


def test_force_stop_while_stopping_with_a_savepoint(control: ControlEnv) -> None:
    control.run()
    stop_id = control.stop()
    control.tick()
    force_id = control.stop(force=True)
    control.tick()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(stop_id)["OperationStatus"] == "CANCELLED"
    assert control.operation(force_id)["OperationStatus"] == "SUCCESSFUL"
    assert control.job().state is JobState.CANCELED


def test_force_stop_that_the_runtime_refuses_is_retried(control: ControlEnv) -> None:
    control.run()
    control.fake.reject_next_stop("busy")
    operation_id = control.stop(force=True)
    control.tick()
    assert control.status() == "FORCE_STOPPING"
    control.tick()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"


@pytest.mark.parametrize("ending", ["crash", "finish"])
def test_job_that_ends_while_running_leaves_the_app_ready(control: ControlEnv, ending: str) -> None:
    control.run()
    job_id = control.job().spec.job_id
    if ending == "crash":
        control.fake.crash(job_id, "java.lang.OutOfMemoryError: Java heap space")
    else:
        control.fake.finish(job_id)
    control.tick()
    assert control.status() == "READY"
    deployment = control.deployments()[0]
    assert deployment.job_id is None
    if ending == "crash":
        assert deployment.last_error == "java.lang.OutOfMemoryError: Java heap space"


def test_job_restarting_keeps_the_app_running(control: ControlEnv) -> None:
    control.run()
    control.fake.restart(control.job().spec.job_id)
    control.tick()
    assert control.status() == "RUNNING"
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING" and len(control.fake.jobs) == 1


def test_job_lost_by_the_runtime_is_resubmitted_from_its_latest_checkpoint(control: ControlEnv) -> None:
    control.run()
    lost = control.job().spec.job_id
    control.fake.complete_checkpoint(lost)
    control.tick()  # observed
    newest = control.fake.complete_checkpoint(lost)  # completed after the last observation
    control.fake.lose(lost)  # e.g. the runtime restarted without its jobs
    control.fake.add_savepoint(newest.location)  # retained checkpoints restore like savepoints
    control.tick()
    assert control.status() == "RUNNING"
    replacement = control.job()
    assert replacement.spec.job_id != lost
    assert replacement.spec.restore is not None and replacement.spec.restore.location == newest.location
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.deployments()[0].phase == "IDLE"


@pytest.mark.parametrize("change", ["stop", "update"])
def test_a_stop_whose_job_and_savepoint_the_runtime_lost_claims_no_snapshot(
    control: ControlEnv, change: str
) -> None:
    """Issue 10: after a crash that lost the runtime's job registry, NOT_FOUND is not a stop-with-savepoint
    that succeeded: the stop or update fails saying so, no snapshot is recorded, and the job runs on from
    the newest state known (its latest checkpoint), never from an older snapshot."""
    control.run()
    job_id = control.job().spec.job_id
    older = control.call(  # a snapshot older than the job's latest checkpoint
        snapshot_api.create_application_snapshot,
        {"ApplicationName": "app", "SnapshotName": "older"},
        models.CreateApplicationSnapshotRequest,
    )
    assert older is not None
    control.tick()
    control.fake.advance()
    control.tick()
    newest = control.fake.complete_checkpoint(job_id)
    operation_id = control.stop() if change == "stop" else control.update(**PARALLELISM_2)
    control.tick()  # observes the checkpoint, asks for the stop-with-savepoint
    assert ("stop:SAVEPOINT", job_id) in control.fake.calls
    control.fake.lose(job_id)  # e.g. restarted with its data directory wiped: job and savepoint unknown
    control.fake.add_savepoint(newest.location)
    control.tick()
    assert control.operation(operation_id)["OperationStatus"] == "FAILED"
    assert control.error_string(operation_id) == (
        f"The snapshot could not be taken: the runtime no longer knows job {job_id}, so whether its "
        "savepoint completed is unknown; the job is submitted again from its latest checkpoint"
    )
    assert [s.snapshot_name for s in control.snapshots()] == ["older"]
    assert control.status() == "RUNNING"
    control.tick()
    resubmitted = control.job()
    assert resubmitted.spec.job_id != job_id
    assert resubmitted.spec.restore is not None and resubmitted.spec.restore.location == newest.location
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING" and control.deployments()[0].phase == "IDLE"


def test_deleting_a_running_app_stops_its_job(control: ControlEnv) -> None:
    control.run()
    job_id = control.job().spec.job_id
    control.delete()
    control.tick()
    assert control.fake.jobs[job_id].state is JobState.CANCELED
    control.tick()
    assert control.deployments() == []


def test_a_restarted_control_plane_resumes_a_stop_in_progress(control: ControlEnv) -> None:
    control.run()
    operation_id = control.stop()
    control.tick()  # stop-with-savepoint requested, then the control plane goes away
    restarted = ControlLoop(control.database, control.fake, control.settings, clock=control.clock)
    control.fake.advance()
    assert not restarted.tick().errors
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    assert len(control.snapshots()) == 1
    assert [call[0] for call in control.fake.calls].count("stop:SAVEPOINT") == 1


def test_stopping_an_application_the_loop_never_ran_completes(control: ControlEnv) -> None:
    control.create()
    with control.database.session() as session:  # RUNNING by other means: no job behind it
        row = session.scalars(select(ApplicationRow)).one()
        state_machine.transition(row, ApplicationStatus.STARTING)
        state_machine.transition(row, ApplicationStatus.RUNNING)
    operation_id = control.stop()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"


def test_stop_of_a_job_between_restarts_takes_its_snapshot_once_it_runs_again(control: ControlEnv) -> None:
    control.run()
    control.fake.restart(control.job().spec.job_id)
    operation_id = control.stop()
    control.tick()  # the job is RESTARTING: no savepoint can be taken yet, and the stop is not refused
    assert (
        control.status() == "STOPPING" and control.operation(operation_id)["OperationStatus"] == "IN_PROGRESS"
    )
    assert "stop:SAVEPOINT" not in {call[0] for call in control.fake.calls}
    control.fake.advance()  # running again
    control.tick()
    control.tick()
    assert control.job().state is JobState.STOPPING
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
    [snapshot] = control.snapshots()
    assert snapshot.status == "READY"


def test_stop_of_a_job_that_never_runs_again_fails_clearly_within_the_stop_timeout(
    control: ControlEnv,
) -> None:
    control.run()
    control.fake.restart(control.job().spec.job_id)
    operation_id = control.stop()
    control.tick()
    control.clock.advance(STOP_TIMEOUT.total_seconds() + 1)
    control.tick()
    assert control.status() == "READY"
    assert "did not stop within 60 seconds" in control.error_string(operation_id)
    assert control.snapshots() == []
