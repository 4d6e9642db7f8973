"""The scriptable fake runtime: it honours the RuntimeAdapter contract and its scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime_adapter.base import (
    DisposeResult,
    JobCode,
    JobSpec,
    JobState,
    RestorePoint,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
    StopResult,
    TriggerResult,
)
from runtime_adapter.fake import FakeRuntimeAdapter


def spec(job_id: str = "job-1", restore: RestorePoint | None = None) -> JobSpec:
    return JobSpec(job_id=job_id, name="app", code=JobCode(root=Path("/code")), restore=restore)


def running(fake: FakeRuntimeAdapter, job_id: str = "job-1") -> None:
    assert fake.start(spec(job_id)).result is StartResult.STARTED
    fake.advance()
    assert fake.status(job_id).state is JobState.RUNNING


def test_fake_satisfies_the_protocol() -> None:
    assert isinstance(FakeRuntimeAdapter(), RuntimeAdapter)


def test_start_is_pending_until_advanced_then_running() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    outcome = fake.start(spec())
    assert outcome.result is StartResult.STARTED and outcome.accepted
    assert fake.status("job-1").state is JobState.STARTING
    fake.advance()
    assert fake.status("job-1").state is JobState.RUNNING


def test_auto_advance_settles_on_the_next_poll() -> None:
    fake = FakeRuntimeAdapter()
    fake.start(spec())
    assert fake.status("job-1").state is JobState.RUNNING


def test_repeated_start_with_the_same_job_id_does_not_start_twice() -> None:
    fake = FakeRuntimeAdapter()
    fake.start(spec())
    again = fake.start(spec())
    assert again.result is StartResult.ALREADY_EXISTS and again.accepted
    assert len(fake.jobs) == 1


def test_unknown_job_is_not_found_everywhere() -> None:
    fake = FakeRuntimeAdapter()
    assert fake.status("nope").state is JobState.NOT_FOUND
    assert fake.stop("nope", StopMode.CANCEL).result is StopResult.NOT_FOUND
    assert fake.checkpoint_stats("nope").found is False
    assert fake.savepoint_status("nope", "t").state is SavepointState.UNKNOWN
    trigger = fake.trigger_savepoint("nope", SavepointRequest("t", "/sp"))
    assert trigger.result is TriggerResult.NOT_RUNNING


def test_rejected_start_leaves_no_job() -> None:
    fake = FakeRuntimeAdapter()
    fake.reject_next_start("ProgramInvocationException: entry point not found")
    outcome = fake.start(spec())
    assert outcome.result is StartResult.REJECTED and not outcome.accepted
    assert outcome.error == "ProgramInvocationException: entry point not found"
    assert fake.status("job-1").state is JobState.NOT_FOUND
    assert fake.start(spec()).result is StartResult.STARTED  # the script applies to one call only


def test_failing_start_is_accepted_then_fails_with_the_error() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    fake.fail_next_start("ModuleNotFoundError: No module named 'missing'")
    assert fake.start(spec()).result is StartResult.STARTED
    assert fake.status("job-1").state is JobState.STARTING
    fake.advance()
    status = fake.status("job-1")
    assert status.state is JobState.FAILED and status.state.is_terminal
    assert status.error == "ModuleNotFoundError: No module named 'missing'"


def test_stop_with_savepoint_finishes_and_reports_the_location() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    running(fake)
    outcome = fake.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("trig-1", "/data/savepoints/"))
    assert outcome.result is StopResult.ACCEPTED and outcome.trigger_id == "trig-1"
    assert fake.status("job-1").state is JobState.STOPPING
    assert fake.savepoint_status("job-1", "trig-1").state is SavepointState.IN_PROGRESS
    fake.advance()
    assert fake.status("job-1").state is JobState.FINISHED
    savepoint = fake.savepoint_status("job-1", "trig-1")
    assert savepoint.state is SavepointState.COMPLETED
    assert savepoint.location == "/data/savepoints/savepoint-job-1-trig-1"
    assert savepoint.location in fake.savepoints


def test_stop_with_failing_savepoint_keeps_the_job_running() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.fail_next_savepoint("Checkpoint expired before completing")
    fake.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("trig-1", "/sp"))
    savepoint = fake.savepoint_status("job-1", "trig-1")
    assert savepoint.state is SavepointState.FAILED
    assert savepoint.error == "Checkpoint expired before completing" and savepoint.location is None
    assert fake.status("job-1").state is JobState.RUNNING
    assert fake.checkpoint_stats("job-1").failed == 1


def test_stop_with_savepoint_needs_a_running_job_and_a_request() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    fake.start(spec())
    refused = fake.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("t", "/sp"))
    assert refused.result is StopResult.REJECTED and "STARTING" in (refused.error or "")
    with pytest.raises(ValueError):
        fake.stop("job-1", StopMode.SAVEPOINT)


@pytest.mark.parametrize("mode", [StopMode.CANCEL, StopMode.FORCE])
def test_stop_without_savepoint_cancels(mode: StopMode) -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    running(fake)
    outcome = fake.stop("job-1", mode)
    assert outcome.result is StopResult.ACCEPTED and outcome.trigger_id is None
    fake.advance()
    assert fake.status("job-1").state is JobState.CANCELED
    assert not fake.savepoints


def test_force_stop_ends_a_starting_job_at_once() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    fake.start(spec())
    fake.stop("job-1", StopMode.FORCE)
    assert fake.status("job-1").state is JobState.CANCELED


def test_stop_of_an_ended_job_is_not_running_and_rejections_are_scripted() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.reject_next_stop("cluster unreachable")
    rejected = fake.stop("job-1", StopMode.CANCEL)
    assert rejected.result is StopResult.REJECTED and rejected.error == "cluster unreachable"
    fake.crash("job-1", "TaskManager lost")
    assert fake.stop("job-1", StopMode.CANCEL).result is StopResult.NOT_RUNNING


def test_crash_reports_failed_with_the_error() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.crash("job-1", "java.lang.OutOfMemoryError")
    status = fake.status("job-1")
    assert (status.state, status.error) == (JobState.FAILED, "java.lang.OutOfMemoryError")


def test_restart_goes_through_restarting_and_counts() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    running(fake)
    fake.restart("job-1")
    assert fake.status("job-1").state is JobState.RESTARTING
    fake.advance()
    status = fake.status("job-1")
    assert (status.state, status.restarts) == (JobState.RUNNING, 1)


def test_trigger_savepoint_keeps_running_and_is_idempotent() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    request = SavepointRequest("snap-1", "/sp")
    assert fake.trigger_savepoint("job-1", request).result is TriggerResult.ACCEPTED
    assert fake.trigger_savepoint("job-1", request).result is TriggerResult.ACCEPTED
    assert len(fake.jobs["job-1"].savepoints) == 1
    status = fake.savepoint_status("job-1", "snap-1")
    assert status.state is SavepointState.COMPLETED
    assert fake.status("job-1").state is JobState.RUNNING
    stats = fake.checkpoint_stats("job-1")
    assert stats.latest_savepoint is not None and stats.latest_savepoint.location == status.location


def test_trigger_savepoint_on_a_job_that_is_not_running() -> None:
    fake = FakeRuntimeAdapter(auto_advance=False)
    fake.start(spec())
    outcome = fake.trigger_savepoint("job-1", SavepointRequest("t", "/sp"))
    assert outcome.result is TriggerResult.NOT_RUNNING


def test_failing_trigger_savepoint() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.fail_next_savepoint("disk full")
    fake.trigger_savepoint("job-1", SavepointRequest("t", "/sp"))
    assert fake.savepoint_status("job-1", "t").state is SavepointState.FAILED
    assert fake.status("job-1").state is JobState.RUNNING


def test_restore_from_a_savepoint_taken_by_an_earlier_job() -> None:
    fake = FakeRuntimeAdapter()
    running(fake, "job-1")
    fake.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("t", "/sp"))
    location = fake.savepoint_status("job-1", "t").location
    assert location is not None
    fake.start(spec("job-2", RestorePoint(location)))
    status = fake.status("job-2")
    assert (status.state, status.restored_from) == (JobState.RUNNING, location)
    assert fake.checkpoint_stats("job-2").restored == 1


def test_restore_from_an_unknown_location_fails_while_starting() -> None:
    fake = FakeRuntimeAdapter()
    fake.start(spec(restore=RestorePoint("/sp/missing")))
    status = fake.status("job-1")
    assert status.state is JobState.FAILED and "/sp/missing" in (status.error or "")


@pytest.mark.parametrize(("allow", "expected"), [(False, JobState.FAILED), (True, JobState.RUNNING)])
def test_incompatible_savepoint_needs_allow_non_restored_state(allow: bool, expected: JobState) -> None:
    fake = FakeRuntimeAdapter()
    fake.add_savepoint("/sp/old", compatible=False)
    fake.start(spec(restore=RestorePoint("/sp/old", allow_non_restored_state=allow)))
    status = fake.status("job-1")
    assert status.state is expected
    if expected is JobState.FAILED:
        assert "allowNonRestoredState" in (status.error or "")


def test_checkpoint_stats_follow_completed_checkpoints() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.complete_checkpoint("job-1")
    second = fake.complete_checkpoint("job-1")
    stats = fake.checkpoint_stats("job-1")
    assert (stats.completed, stats.latest_completed) == (2, second)
    assert second.checkpoint_id == 2 and second.location.endswith("/job-1/chk-2")


def test_dispose_savepoint() -> None:
    fake = FakeRuntimeAdapter()
    fake.add_savepoint("/sp/a")
    assert fake.dispose_savepoint("/sp/a").result is DisposeResult.DISPOSED
    assert fake.dispose_savepoint("/sp/a").result is DisposeResult.NOT_FOUND
    fake.start(spec(restore=RestorePoint("/sp/a")))
    assert fake.status("job-1").state is JobState.FAILED


def test_calls_are_recorded_and_close_marks_closed() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    fake.stop("job-1", StopMode.FORCE)
    fake.close()
    assert fake.calls == [("start", "job-1"), ("stop:FORCE", "job-1")]
    assert fake.closed


def test_a_lost_job_is_not_found_but_keeps_its_checkpoints() -> None:
    fake = FakeRuntimeAdapter()
    running(fake)
    checkpoint = fake.complete_checkpoint("job-1")
    fake.lose("job-1")
    assert fake.status("job-1").state is JobState.NOT_FOUND
    assert fake.checkpoint_stats("job-1").latest_completed == checkpoint
