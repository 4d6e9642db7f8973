"""Application snapshots as the loop serves them: a row the API leaves CREATING becomes a real savepoint
(READY) or FAILED; a row left DELETING has its savepoint disposed of and disappears. Deleting an
application removes its checkpoints and savepoints."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.models import ApplicationRow, SnapshotRow
from runtime_adapter.base import JobState
from tests.control.conftest import ControlEnv


def request_snapshot(
    control: ControlEnv, name: str, status: str = "CREATING", location: str | None = None
) -> None:
    """What CreateApplicationSnapshot / DeleteApplicationSnapshot leave for the loop."""
    with control.database.session() as session:
        application = session.scalars(
            select(ApplicationRow).where(ApplicationRow.application_name == "app")
        ).one()
        session.add(
            SnapshotRow(
                application_id=application.id,
                snapshot_name=name,
                status=status,
                application_version_id=application.current_version_id,
                creation_timestamp=control.clock(),
                runtime_environment=application.runtime_environment,
                savepoint_location=location,
            )
        )


def snapshot(control: ControlEnv, name: str) -> SnapshotRow | None:
    return next((row for row in control.snapshots() if row.snapshot_name == name), None)


def test_a_requested_snapshot_becomes_a_savepoint_and_the_job_keeps_running(control: ControlEnv) -> None:
    control.run()
    request_snapshot(control, "before-upgrade")
    control.tick()
    row = snapshot(control, "before-upgrade")
    assert row is not None and row.status == "CREATING"
    control.fake.advance()
    control.tick()
    row = snapshot(control, "before-upgrade")
    assert row is not None and row.status == "READY"
    assert row.savepoint_location in control.fake.savepoints
    assert control.job().state is JobState.RUNNING and control.status() == "RUNNING"
    assert [call[0] for call in control.fake.calls].count("trigger_savepoint") == 1


def test_a_snapshot_restores_a_later_start(control: ControlEnv) -> None:
    control.run()
    request_snapshot(control, "mine")
    control.tick()
    control.fake.advance()
    control.tick()
    control.stop(force=True)
    control.tick(2)
    control.start(
        ApplicationRestoreConfiguration={
            "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
            "SnapshotName": "mine",
        }
    )
    control.tick()
    restore = control.job().spec.restore
    row = snapshot(control, "mine")
    assert restore is not None and row is not None and restore.location == row.savepoint_location


def test_a_snapshot_without_a_running_job_fails(control: ControlEnv) -> None:
    control.create()
    request_snapshot(control, "too-early")
    control.tick()
    row = snapshot(control, "too-early")
    assert row is not None and row.status == "FAILED"
    assert control.fake.calls == []


def test_a_snapshot_whose_savepoint_fails_is_failed(control: ControlEnv) -> None:
    control.run()
    control.fake.fail_next_savepoint("Checkpoint was declined (tasks not ready)")
    request_snapshot(control, "unlucky")
    control.tick()
    control.fake.advance()
    control.tick()
    row = snapshot(control, "unlucky")
    assert row is not None and row.status == "FAILED" and row.savepoint_location is None
    assert control.status() == "RUNNING"


def test_a_snapshot_requested_while_the_job_restarts_waits_for_it(control: ControlEnv) -> None:
    control.run()
    control.fake.restart(control.job().spec.job_id)
    request_snapshot(control, "patient")
    control.tick()
    assert "trigger_savepoint" not in {call[0] for call in control.fake.calls}
    control.fake.advance()
    control.tick()
    control.fake.advance()
    control.tick()
    row = snapshot(control, "patient")
    assert row is not None and row.status == "READY"


def test_a_deleted_snapshot_disposes_of_its_savepoint(control: ControlEnv) -> None:
    control.create()
    control.fake.add_savepoint("/savepoints/old")
    request_snapshot(control, "old", status="DELETING", location="/savepoints/old")
    control.tick()
    assert snapshot(control, "old") is None
    assert "/savepoints/old" not in control.fake.savepoints
    assert ("dispose_savepoint", "/savepoints/old") in control.fake.calls


def test_deleting_an_application_removes_its_state(control: ControlEnv) -> None:
    control.run()
    control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    [row] = control.snapshots()
    state = Path(control.loop.lifecycle.planner.application_dir(row.application_id))
    (state / "savepoints").mkdir(parents=True)
    (state / "savepoints" / "data").write_bytes(b"state")
    control.delete()
    control.tick()
    assert not state.exists()
    assert control.deployments() == []
