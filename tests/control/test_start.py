"""StartApplication driven by the control loop against the fake runtime, with failures at each step."""

from __future__ import annotations

from sqlalchemy import select

from api_models.models import ApplicationStatus
from app.db.models import ApplicationRow
from app.services import state_machine
from runtime_adapter.base import JobState
from tests.control.conftest import START_TIMEOUT, ControlEnv, code_zip


def test_start_goes_starting_then_running_and_the_operation_succeeds(control: ControlEnv) -> None:
    control.create()
    operation_id = control.start()
    assert control.status() == "STARTING"  # before the call returned
    assert control.operation(operation_id)["OperationStatus"] == "IN_PROGRESS"
    control.tick()
    assert control.status() == "STARTING" and control.job().state is JobState.STARTING
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    operation = control.operation(operation_id)
    assert (operation["Operation"], operation["OperationStatus"]) == ("StartApplication", "SUCCESSFUL")
    assert "EndTime" in operation
    detail = control.describe()
    assert detail["ApplicationVersionId"] == 1
    assert detail["ApplicationConfigurationDescription"]["RunConfigurationDescription"] == {
        "ApplicationRestoreConfigurationDescription": {
            "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"
        },
        "FlinkRunConfigurationDescription": {"AllowNonRestoredState": False},
    }


def test_a_tick_reports_an_application_in_transit_until_it_is_at_rest(control: ControlEnv) -> None:
    control.create()
    assert not control.tick().in_transit  # READY, nothing to do
    control.start()
    assert control.tick().in_transit  # submitted, not RUNNING yet: the loop ticks again soon
    control.fake.advance()
    assert not control.tick().in_transit and control.status() == "RUNNING"
    control.update(
        ApplicationConfigurationUpdate={
            "FlinkApplicationConfigurationUpdate": {
                "ParallelismConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "CUSTOM",
                    "ParallelismUpdate": 2,
                }
            }
        }
    )
    assert control.tick().in_transit  # stopping with a savepoint
    control.fake.advance()
    assert control.tick().in_transit  # the new version submitted
    control.fake.advance()
    assert not control.tick().in_transit and control.status() == "RUNNING"


def test_the_job_gets_the_application_configuration(control: ControlEnv) -> None:
    control.create(
        code=code_zip({"src/job.py": "print('x')\n"}),
        FlinkApplicationConfiguration={
            "CheckpointConfiguration": {
                "ConfigurationType": "CUSTOM",
                "CheckpointingEnabled": True,
                "CheckpointInterval": 10000,
                "MinPauseBetweenCheckpoints": 500,
            },
            "ParallelismConfiguration": {"ConfigurationType": "CUSTOM", "Parallelism": 3},
        },
        EnvironmentProperties={
            "PropertyGroups": [
                {
                    "PropertyGroupId": "kinesis.analytics.flink.run.options",
                    "PropertyMap": {"python": "src/job.py"},
                },
                {"PropertyGroupId": "Input", "PropertyMap": {"stream": "in"}},
            ]
        },
    )
    control.start()
    control.tick()
    spec = control.job().spec
    assert spec.parallelism == 3
    assert (spec.checkpoints.enabled, spec.checkpoints.interval_ms, spec.checkpoints.min_pause_ms) == (
        True,
        10000,
        500,
    )
    assert spec.code.entry == "src/job.py" and spec.code.entry_path.read_text() == "print('x')\n"
    assert spec.properties_file is not None and spec.properties_file.name == "application_properties.json"
    assert '"Input"' in spec.properties_file.read_text()
    assert spec.environment["AWS_ACCESS_KEY_ID"] == "123456789012"
    assert spec.restore is None


def test_default_checkpointing_overrides_the_code(control: ControlEnv) -> None:
    control.create()
    control.start()
    control.tick()
    checkpoints = control.job().spec.checkpoints
    assert (checkpoints.enabled, checkpoints.interval_ms, checkpoints.min_pause_ms) == (True, 60000, 5000)
    assert control.job().spec.parallelism == 1


def test_code_without_the_entry_file_fails_the_start_and_the_app_is_ready(control: ControlEnv) -> None:
    control.create(code=code_zip({"job.py": "print('x')\n"}))
    operation_id = control.start()
    control.tick()
    assert control.status() == "READY"
    assert control.operation(operation_id)["OperationStatus"] == "FAILED"
    assert "The entry file 'main.py'" in control.error_string(operation_id)
    assert control.fake.jobs == {}


def test_runtime_rejection_fails_the_start(control: ControlEnv) -> None:
    control.create()
    control.fake.reject_next_start(
        "org.apache.flink.client.program.ProgramInvocationException: no entry point"
    )
    operation_id = control.start()
    control.tick()
    assert control.status() == "READY"
    assert control.error_string(operation_id) == (
        "org.apache.flink.client.program.ProgramInvocationException: no entry point"
    )


def test_job_failing_while_starting_fails_the_start(control: ControlEnv) -> None:
    control.create()
    control.fake.fail_next_start("ModuleNotFoundError: No module named 'missing'")
    operation_id = control.start()
    control.tick()
    assert control.status() == "STARTING"
    control.fake.advance()
    control.tick()
    assert control.status() == "READY"
    assert control.error_string(operation_id) == "ModuleNotFoundError: No module named 'missing'"
    control.tick()
    assert control.deployments()[0].job_id is None


def test_long_error_strings_are_cut_to_512_characters(control: ControlEnv) -> None:
    control.create()
    control.fake.reject_next_start("Traceback: " + "x" * 2000)
    operation_id = control.start()
    control.tick()
    error = control.error_string(operation_id)
    assert len(error) == 512 and error.startswith("...") and error.endswith("x")  # the tail is kept


def test_a_traceback_keeps_its_exception_type_and_message_without_server_paths(control: ControlEnv) -> None:
    control.create()
    frames = "".join(
        f'  File "/srv/msf/.venv/lib/python3.11/site-packages/stream_runtime/m{n}.py", line {n}, in f\n'
        for n in range(40)
    )
    control.fake.reject_next_start(
        f"Traceback (most recent call last):\n{frames}"
        "stream_runtime.state.api.StateRestoreError: operator uid 'counts' is not in /srv/msf/data/state/1/sp"
    )
    operation_id = control.start()
    control.tick()
    error = control.error_string(operation_id)
    assert len(error) <= 512
    assert error.endswith("stream_runtime.state.api.StateRestoreError: operator uid 'counts' is not in sp")
    assert "/srv" not in error and 'File "m39.py", line 39' in error


def test_start_that_never_reaches_running_times_out(control: ControlEnv) -> None:
    control.create()
    operation_id = control.start()
    control.tick()
    control.clock.advance(START_TIMEOUT.total_seconds() - 1)
    control.tick()
    assert control.status() == "STARTING"
    control.clock.advance(2)
    control.tick()
    assert control.status() == "READY"
    assert "did not reach RUNNING within 120 seconds" in control.error_string(operation_id)
    assert control.job().state is JobState.CANCELED  # the stuck job was terminated
    control.tick()
    assert control.deployments()[0].job_id is None


def test_a_crash_between_saving_the_intent_and_submitting_is_resumed(control: ControlEnv) -> None:
    control.create()
    operation_id = control.start()
    real_start = control.fake.start

    def crash(_spec: object) -> None:
        raise RuntimeError("control plane died")

    control.fake.start = crash  # type: ignore[assignment,method-assign]
    report = control.loop.tick()
    assert next(iter(report.errors.values())).args == ("control plane died",)
    saved = control.deployments()[0]
    assert saved.job_id is not None and saved.phase == "STARTING_JOB"
    control.fake.start = real_start  # type: ignore[method-assign]
    control.tick()
    assert list(control.fake.jobs) == [saved.job_id]  # the same job id, submitted once
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"


def test_repeated_ticks_do_not_start_twice(control: ControlEnv) -> None:
    control.create()
    control.start()
    control.tick(3)
    control.fake.advance()
    control.tick(3)
    assert [call for call in control.fake.calls if call[0] == "start"] == [
        ("start", control.job().spec.job_id)
    ]


def test_loop_leaves_ready_applications_alone(control: ControlEnv) -> None:
    control.create()
    assert control.tick().handled == []
    assert control.fake.calls == []
    assert control.deployments() == []


def test_a_force_stop_while_the_code_is_being_prepared_wins(control: ControlEnv) -> None:
    control.create()
    start_id = control.start()
    plan = control.loop.lifecycle.planner.plan

    def plan_then_force_stop(*args: object) -> object:
        planned = plan(*args)  # type: ignore[arg-type]
        control.stop(force=True)  # an API call while the loop holds no lock
        return planned

    control.loop.lifecycle.planner.plan = plan_then_force_stop  # type: ignore[method-assign,assignment]
    control.tick()
    assert control.fake.jobs == {}  # the plan was dropped, nothing was submitted
    control.tick()
    assert control.status() == "READY"
    assert control.operation(start_id)["OperationStatus"] == "CANCELLED"


def test_loop_drives_only_applications_handed_to_it_by_start(control: ControlEnv) -> None:
    control.create()
    with control.database.session() as session:  # a status set by other means (tests, tools)
        row = session.scalars(select(ApplicationRow)).one()
        state_machine.transition(row, ApplicationStatus.STARTING)
        state_machine.transition(row, ApplicationStatus.RUNNING)
    assert control.tick().handled == []
    assert control.status() == "RUNNING" and control.fake.calls == []


def test_a_job_lost_while_starting_is_resubmitted_from_its_own_newest_checkpoint(control: ControlEnv) -> None:
    control.create()
    operation_id = control.start()
    control.tick()
    job_id = control.job().spec.job_id
    control.fake.advance()  # running and checkpointing, but not yet observed by the loop
    checkpoint = control.fake.complete_checkpoint(job_id)
    control.fake.lose(job_id)
    control.fake.add_savepoint(checkpoint.location)
    control.tick()
    resubmitted = control.fake.jobs[job_id]
    assert resubmitted.spec.restore is not None and resubmitted.spec.restore.location == checkpoint.location
    control.fake.advance()
    control.tick()
    assert control.status() == "RUNNING"
    assert control.operation(operation_id)["OperationStatus"] == "SUCCESSFUL"
