"""The Flink adapter against a scriptable fake Flink REST server: request shapes and every error path."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from runtime_adapter.base import (
    FLINK_ID,
    CheckpointSettings,
    ClaimMode,
    CodeLanguage,
    JobCode,
    JobSpec,
    JobState,
    PropertyGroup,
    RestorePoint,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
    StopResult,
    TriggerResult,
    flink_id,
)
from runtime_adapter.flink.adapter import BOOTSTRAP, FlinkRuntimeAdapter
from runtime_adapter.flink.rest import error_text
from tests.flink.fake_flink import FakeFlink, stack

JOB = "0123456789abcdef0123456789abcdef"


def jar_spec(tmp_path: Path, job_id: str = JOB, **changes: object) -> JobSpec:
    (tmp_path / "job.jar").write_bytes(b"PK fake jar")
    code = JobCode(
        root=tmp_path, entry="job.jar", language=CodeLanguage.JAR, entry_class="msflocal.CountingJob"
    )
    values: dict[str, object] = {
        "job_id": job_id,
        "name": "app",
        "code": code,
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "checkpoints": CheckpointSettings(enabled=True, interval_ms=60_000, min_pause_ms=5_000),
        "program_args": ("1000", "10"),
    }
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def test_the_adapter_satisfies_the_protocol(adapter: FlinkRuntimeAdapter) -> None:
    assert isinstance(adapter, RuntimeAdapter)


def test_run_request_carries_the_job_id_arguments_restore_point_and_checkpoint_configuration(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    restore = RestorePoint(
        "file:/sp/savepoint-1", allow_non_restored_state=True, claim_mode=ClaimMode.NO_CLAIM
    )
    spec = jar_spec(
        tmp_path, parallelism=2, restore=restore, job_configuration={"pipeline.object-reuse": "true"}
    )

    assert adapter.start(spec).result is StartResult.STARTED

    body = fake.jobs[JOB].body
    assert body["jobId"] == JOB
    assert body["entryClass"] == "msflocal.CountingJob"
    assert body["programArgsList"] == ["1000", "10"]
    assert body["parallelism"] == 2
    assert body["savepointPath"] == "file:/sp/savepoint-1"
    assert body["allowNonRestoredState"] is True
    assert body["claimMode"] == "NO_CLAIM"
    configuration = body["flinkConfiguration"]
    assert configuration["execution.checkpointing.interval"] == "60000 ms"
    assert configuration["execution.checkpointing.min-pause"] == "5000 ms"
    assert configuration["execution.checkpointing.dir"] == f"file://{(tmp_path / 'checkpoints').resolve()}"
    assert configuration["pipeline.object-reuse"] == "true"
    assert adapter.start(spec).result is StartResult.ALREADY_EXISTS
    uploads = [path for method, path, _ in fake.requests if path == "/jars/upload"]
    assert len(uploads) == 1


def test_python_jobs_run_through_the_python_driver_with_their_own_properties(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    (tmp_path / "flink-python.jar").write_bytes(b"PK")
    (tmp_path / "main.py").write_text("print('job')")
    adapter.python_jar = tmp_path / "flink-python.jar"
    code = JobCode(root=tmp_path, entry="main.py", python_files=("lib.py",), jars=("lib/connector.jar",))
    groups = (PropertyGroup("JobConfig", {"rate": "5"}),)
    spec = JobSpec(
        job_id=JOB, name="py", code=code, property_groups=groups, environment={"AWS_REGION": "eu-west-1"}
    )

    assert adapter.start(spec).result is StartResult.STARTED

    body = fake.jobs[JOB].body
    assert body["entryClass"] == "org.apache.flink.client.python.PythonDriver"
    root = tmp_path.resolve()
    job_file = tmp_path / "state" / "jobs" / JOB / "job.json"
    assert body["programArgsList"] == ["-py", BOOTSTRAP, "-pyfs", f"{root},{root}/lib.py", str(job_file)]
    assert body["flinkConfiguration"]["pipeline.jars"] == f"file://{root}/lib/connector.jar"
    job = json.loads(job_file.read_text())
    assert job["entry"] == str(root / "main.py") and job["environment"] == {"AWS_REGION": "eu-west-1"}
    properties = json.loads(Path(job["properties_file"]).read_text())
    assert properties == [{"PropertyGroupId": "JobConfig", "PropertyMap": {"rate": "5"}}]


def test_disabled_checkpointing_sends_no_interval(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(
        jar_spec(
            tmp_path, checkpoints=CheckpointSettings(enabled=False, interval_ms=60_000, min_pause_ms=5_000)
        )
    )

    assert "execution.checkpointing.interval" not in fake.jobs[JOB].body["flinkConfiguration"]


def test_without_a_checkpoint_configuration_the_jobs_own_checkpointing_applies(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path, checkpoints=None))

    configuration = fake.jobs[JOB].body["flinkConfiguration"]
    assert "execution.checkpointing.interval" not in configuration
    assert "msf-local.pinned-keys" not in configuration


def test_a_refused_upload_is_a_rejection_with_flinks_text(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    fake.refuse_upload("Only Jar files are allowed.")

    outcome = adapter.start(jar_spec(tmp_path))

    assert outcome.result is StartResult.REJECTED
    assert outcome.error == "Uploading job.jar failed: Only Jar files are allowed."


def test_a_main_method_failing_at_submission_is_a_rejection_keeping_type_and_message(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    fake.fail_submit("Unknown topic 'orders'")

    outcome = adapter.start(jar_spec(tmp_path))

    assert outcome.result is StartResult.REJECTED
    assert outcome.error is not None
    assert (
        "ProgramInvocationException: The main method caused an error: Unknown topic 'orders'" in outcome.error
    )
    assert outcome.error.endswith("java.lang.IllegalArgumentException: Unknown topic 'orders'")
    assert "\tat " not in outcome.error and "Could not execute application" not in outcome.error


def test_a_job_that_fails_reports_its_root_cause_from_the_exception_history(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.fail_job(JOB, "java.lang.ArithmeticException: / by zero")

    status = adapter.status(JOB)

    assert status.state is JobState.FAILED
    assert status.error == "java.lang.ArithmeticException: / by zero"


def test_a_savepoint_failing_during_stop_leaves_the_job_running(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.fail_next_savepoint("org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired")

    stop = adapter.stop(JOB, StopMode.SAVEPOINT, SavepointRequest("stop-1", str(tmp_path / "sp")))
    savepoint = adapter.savepoint_status(JOB, "stop-1")

    assert stop.result is StopResult.ACCEPTED
    assert savepoint.state is SavepointState.FAILED
    assert savepoint.error == "org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired"
    assert adapter.status(JOB).state is JobState.RUNNING


def overview_reads(fake: FakeFlink) -> int:
    return sum(1 for _, path, _ in fake.requests if path == "/overview")


UNKNOWN_TASK = (
    "org.apache.flink.runtime.checkpoint.CheckpointException: TaskManager received a checkpoint request for "
    "unknown task 9c5aca36445e3ff6f1a348cbaa203a42_ca88eee0095684d687a1b6495617f957_1_0. Failure reason: "
    "Task local checkpoint failure."
)


def stop_requests(fake: FakeFlink) -> int:
    return sum(1 for _, path, _ in fake.requests if path == f"/jobs/{JOB}/stop")


def test_a_stop_whose_savepoint_reached_a_task_not_yet_known_is_asked_again(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    """Right after a start (or an update), Flink may fail a savepoint because a task it just deployed is not
    yet known to its TaskManager (seen on a real cluster): that passes, so the stop is asked for again."""
    adapter.start(jar_spec(tmp_path))
    fake.fail_next_savepoint(UNKNOWN_TASK)

    stop = adapter.stop(JOB, StopMode.SAVEPOINT, SavepointRequest("stop-1", str(tmp_path / "sp")))
    retried = adapter.savepoint_status(JOB, "stop-1")
    done = adapter.savepoint_status(JOB, "stop-1")

    assert stop.result is StopResult.ACCEPTED
    assert retried.state is SavepointState.IN_PROGRESS
    assert done.state is SavepointState.COMPLETED and done.location
    assert adapter.status(JOB).state is JobState.FINISHED
    assert stop_requests(fake) == 2


def test_a_stop_is_asked_for_at_most_three_times(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    for _ in range(3):
        fake.fail_next_savepoint(UNKNOWN_TASK)

    adapter.stop(JOB, StopMode.SAVEPOINT, SavepointRequest("stop-1", str(tmp_path / "sp")))
    states = [adapter.savepoint_status(JOB, "stop-1").state for _ in range(3)]

    assert states == [SavepointState.IN_PROGRESS, SavepointState.IN_PROGRESS, SavepointState.FAILED]
    assert adapter.savepoint_status(JOB, "stop-1").error == UNKNOWN_TASK
    assert adapter.status(JOB).state is JobState.RUNNING and stop_requests(fake) == 3


def test_slots_exhausted_is_a_rejection_naming_the_shortage_at_once(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    fake.slots_total = 1

    outcome = adapter.start(jar_spec(tmp_path, parallelism=3))

    assert outcome.result is StartResult.REJECTED
    assert outcome.error == "Not enough task slots: the job needs 3, 1 of 1 are free"
    assert JOB not in fake.jobs
    assert overview_reads(fake) == 1  # no job of this adapter ended lately: nothing will free a slot


ENDED = "fedcba9876543210fedcba9876543210"


def end_a_job_holding_its_slots(adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path) -> None:
    """A job of parallelism 2 ran on the cluster's 2 slots and ended (as a stop before an update); Flink
    still holds its slots, and frees them on the second ``/overview`` read from now."""
    fake.slots_total = 2
    adapter.start(jar_spec(tmp_path, job_id=ENDED, parallelism=2))
    fake.jobs[ENDED].state = "FINISHED"
    fake.held_slots = 2
    assert adapter.status(ENDED).state is JobState.FINISHED
    read = adapter.rest.get
    reads = [0]

    def get(path: str, **params: str) -> Any:
        if path == "/overview":
            reads[0] += 1
            fake.held_slots = 0 if reads[0] >= 2 else fake.held_slots
        return read(path, **params)

    adapter.rest.get = get  # type: ignore[method-assign]


def test_slots_a_job_that_just_ended_gives_back_are_waited_for(fake: FakeFlink, tmp_path: Path) -> None:
    asked: list[int] = []
    adapter = FlinkRuntimeAdapter(fake.url, tmp_path / "state", slots=lambda needed: asked.append(needed))
    try:
        end_a_job_holding_its_slots(adapter, fake, tmp_path)

        assert adapter.start(jar_spec(tmp_path, parallelism=2)).result is StartResult.STARTED
    finally:
        adapter.close()

    assert asked == []  # a local cluster starts no TaskManager for slots that come back by themselves


def test_a_shortage_that_outlasts_the_settling_asks_the_local_cluster_for_slots(
    fake: FakeFlink, tmp_path: Path
) -> None:
    asked: list[int] = []
    adapter = FlinkRuntimeAdapter(fake.url, tmp_path / "state", slots=lambda needed: asked.append(needed))
    adapter.slot_settle_s = 0.3
    try:
        end_a_job_holding_its_slots(adapter, fake, tmp_path)
        fake.slots_total = 1  # even with the slots back, one is too few

        assert adapter.start(jar_spec(tmp_path, parallelism=2)).result is StartResult.STARTED
    finally:
        adapter.close()

    assert asked == [2]
    assert overview_reads(fake) >= 2  # read again while the ended job's slots could still come back


def test_a_repeated_start_is_answered_before_slots_are_ensured(fake: FakeFlink, tmp_path: Path) -> None:
    asked: list[int] = []
    fake.slots_total = 1
    adapter = FlinkRuntimeAdapter(fake.url, tmp_path / "state", slots=lambda needed: asked.append(needed))
    try:
        assert adapter.start(jar_spec(tmp_path, parallelism=2)).result is StartResult.STARTED
        assert adapter.start(jar_spec(tmp_path, parallelism=2)).result is StartResult.ALREADY_EXISTS
    finally:
        adapter.close()

    assert asked == [2]  # a local cluster starts no TaskManager for a job that already runs


def test_an_observation_of_a_running_job_reads_its_checkpoints_once(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.jobs[JOB].checkpoints = [{"id": 4, "status": "COMPLETED", "external_path": "file:/c/chk-4"}]

    def checkpoint_reads() -> int:
        return sum(1 for _, path, _ in fake.requests if path == f"/jobs/{JOB}/checkpoints")

    before = checkpoint_reads()
    assert adapter.status(JOB).state is JobState.RUNNING
    stats = adapter.checkpoint_stats(JOB)  # what the status observation just read
    assert checkpoint_reads() == before + 1
    fake.jobs[JOB].checkpoints.append({"id": 5, "status": "COMPLETED", "external_path": "file:/c/chk-5"})
    later = adapter.checkpoint_stats(JOB)  # no observation before it: read again

    assert checkpoint_reads() == before + 2
    assert stats.latest_completed is not None and stats.latest_completed.checkpoint_id == 4
    assert later.latest_completed is not None and later.latest_completed.checkpoint_id == 5


def test_an_unreachable_cluster_is_an_outcome_logged_once_without_a_stack_trace(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.stop()
    caplog.set_level(logging.WARNING, logger="runtime_adapter.flink.adapter")

    statuses = [adapter.status(JOB) for _ in range(5)]
    start = adapter.start(jar_spec(tmp_path, job_id="f" * 32))
    stop = adapter.stop(JOB, StopMode.FORCE)
    savepoint = adapter.savepoint_status(JOB, "t")

    assert {status.state for status in statuses} == {JobState.UNREACHABLE}
    assert "is unreachable (ConnectError)" in (statuses[0].error or "")
    assert start.result is StartResult.REJECTED and "unreachable" in (start.error or "")
    assert stop.result is StopResult.REJECTED
    assert savepoint.state is SavepointState.UNREACHABLE
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is None


def test_savepoint_results_are_kept_after_flink_forgets_them(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    assert (
        adapter.trigger_savepoint(JOB, SavepointRequest("snapshot-7", "/sp")).result is TriggerResult.ACCEPTED
    )
    first = adapter.savepoint_status(JOB, "snapshot-7")
    fake.forget_triggers()

    again = FlinkRuntimeAdapter(fake.url, tmp_path / "state").savepoint_status(JOB, "snapshot-7")

    assert first.state is SavepointState.COMPLETED
    assert again == first
    assert (
        adapter.trigger_savepoint(JOB, SavepointRequest("snapshot-7", "/sp")).result is TriggerResult.ACCEPTED
    )


def test_trigger_ids_sent_to_flink_are_valid_trigger_ids(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))

    adapter.trigger_savepoint(JOB, SavepointRequest("snapshot-42", "/sp"))

    sent = [body["triggerId"] for method, path, body in fake.requests if path.endswith("/savepoints")]
    assert sent == [flink_id("snapshot-42")]
    assert FLINK_ID.match(sent[0])
    assert flink_id("snapshot-42") == flink_id("snapshot-42") != flink_id("snapshot-43")
    assert flink_id(JOB) == JOB


def test_the_latest_retained_checkpoint_of_a_forgotten_job_is_read_from_storage(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    for number, complete in ((3, True), (4, True), (5, False)):
        directory = tmp_path / "checkpoints" / JOB / f"chk-{number}"
        directory.mkdir(parents=True)
        if complete:
            (directory / "_metadata").write_bytes(b"meta")
    fake.jobs.clear()  # the cluster restarted and forgot the job

    stats = FlinkRuntimeAdapter(fake.url, tmp_path / "state").checkpoint_stats(JOB)

    assert stats.found
    assert stats.latest_completed is not None
    assert stats.latest_completed.checkpoint_id == 4
    assert stats.latest_completed.location == f"file:{(tmp_path / 'checkpoints' / JOB / 'chk-4').resolve()}"


def test_unknown_jobs_are_not_found(adapter: FlinkRuntimeAdapter, tmp_path: Path) -> None:
    assert adapter.status(JOB).state is JobState.NOT_FOUND
    assert adapter.stop(JOB, StopMode.CANCEL).result is StopResult.NOT_FOUND
    assert adapter.trigger_savepoint(JOB, SavepointRequest("t", "/sp")).result is TriggerResult.NOT_RUNNING
    assert adapter.savepoint_status(JOB, "t").state is SavepointState.UNKNOWN
    assert not adapter.checkpoint_stats(JOB).found
    rejected = adapter.start(jar_spec(tmp_path, job_id="job-1"))
    assert rejected.result is StartResult.REJECTED
    assert rejected.error == "job-1 is not a Flink JobID (32 hex digits)"


def test_error_text_keeps_types_and_messages_and_drops_frames() -> None:
    text = error_text([stack("a.B: outer", "c.D: inner cause")])

    assert text == "a.B: outer\nc.D: inner cause"
    assert error_text(["x" * 5000]).startswith("…")
    assert len(error_text(["x" * 5000])) == 2001


def test_a_jobs_figures_read_its_exception_history_once_and_count_its_restarts_from_it(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.restart_job(JOB, "java.lang.RuntimeException: TaskManager lost", at_ms=60_000)
    before = len(fake.requests)

    insight = adapter.insight(JOB)

    reads = [path for _, path, _ in fake.requests[before:] if path == f"/jobs/{JOB}/exceptions"]
    assert insight is not None and insight.full_restarts == 1
    assert len(reads) == 1
