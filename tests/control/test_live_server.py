"""The control loop in production: run from the lifespan of a live ``msf-local serve``, through boto3."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.app_helpers import ROLE
from tests.api.app_helpers import python_zip as code_zip
from tests.conftest import LiveServer, eventually

JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment
from stream_runtime.properties import get_application_properties

env = StreamExecutionEnvironment.get_execution_environment()
rate = float(get_application_properties()["Job"]["rate"])
env.from_sequence(0, None, records_per_second=rate).uid("numbers").add_sink(DiscardingSink())
env.execute("numbers")
"""


def status(kav2: Any, name: str) -> str:
    value: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return value


def operation_status(kav2: Any, name: str, operation_id: str) -> str:
    details = kav2.describe_application_operation(ApplicationName=name, OperationId=operation_id)
    value: str = details["ApplicationOperationInfoDetails"]["OperationStatus"]
    return value


def wait_successful(kav2: Any, name: str, operation_id: str) -> None:
    """Wait (bounded) for the operation to end; it must have succeeded."""
    outcome = eventually(lambda: operation_status(kav2, name, operation_id), "SUCCESSFUL")
    details = kav2.describe_application_operation(ApplicationName=name, OperationId=operation_id)
    assert outcome == "SUCCESSFUL", details


def rescale(kav2: Any, name: str, parallelism: int) -> str:
    """UpdateApplication to a CUSTOM parallelism; the operation id."""
    version = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]
    response = kav2.update_application(
        ApplicationName=name,
        CurrentApplicationVersionId=version,
        ApplicationConfigurationUpdate={
            "FlinkApplicationConfigurationUpdate": {
                "ParallelismConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "CUSTOM",
                    "ParallelismUpdate": parallelism,
                }
            }
        },
    )
    operation_id: str = response["OperationId"]
    return operation_id


def create(kav2: Any, name: str, code: dict[str, Any], **configuration: Any) -> None:
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {"CodeContent": code, "CodeContentType": "ZIPFILE"},
            **configuration,
        },
    )


def create_from_s3(
    kav2: Any, s3: Any, name: str, code: bytes, *, bucket: str, key: str = "application", **configuration: Any
) -> None:
    """Upload ``code`` to a new bucket of the embedded S3 and create application ``name`` from it."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=code)
    create(
        kav2,
        name,
        {"S3ContentLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": key}},
        **configuration,
    )


def test_start_and_stop_through_boto3_with_the_fake_runtime(make_server: Any) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    create(kav2, "app", {"ZipFileContent": code_zip({"main.py": "print('job')\n"})})
    started = kav2.start_application(ApplicationName="app", RunConfiguration={})
    assert status(kav2, "app") in ("STARTING", "RUNNING")
    assert (
        eventually(lambda: operation_status(kav2, "app", started["OperationId"]), "SUCCESSFUL")
        == "SUCCESSFUL"
    )
    assert status(kav2, "app") == "RUNNING"
    stopped = kav2.stop_application(ApplicationName="app")
    assert eventually(lambda: status(kav2, "app"), "READY") == "READY"
    assert operation_status(kav2, "app", stopped["OperationId"]) == "SUCCESSFUL"
    operations = kav2.list_application_operations(ApplicationName="app")["ApplicationOperationInfoList"]
    assert [(o["Operation"], o["OperationStatus"]) for o in operations] == [
        ("StopApplication", "SUCCESSFUL"),
        ("StartApplication", "SUCCESSFUL"),
    ]


def test_a_call_wakes_the_control_loop_and_a_transition_is_followed_closely(make_server: Any) -> None:
    """With ticks 30 s apart, StartApplication still ends RUNNING within 10 s: the call wakes the loop,
    which then ticks every 50 ms until the application is at rest."""
    live: LiveServer = make_server(runtime="fake", control_interval=30)
    kav2 = live.client()
    create(kav2, "app", {"ZipFileContent": code_zip({"main.py": "print('job')\n"})})
    started = kav2.start_application(ApplicationName="app")
    outcome = eventually(lambda: operation_status(kav2, "app", started["OperationId"]), "SUCCESSFUL", 10)
    assert outcome == "SUCCESSFUL" and status(kav2, "app") == "RUNNING"


def test_failing_start_through_boto3_ends_ready_with_the_error(make_server: Any) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    create(kav2, "broken", {"ZipFileContent": code_zip({"app.py": "print('no main')\n"})})
    started = kav2.start_application(ApplicationName="broken")
    assert eventually(lambda: operation_status(kav2, "broken", started["OperationId"]), "FAILED") == "FAILED"
    details = kav2.describe_application_operation(
        ApplicationName="broken", OperationId=started["OperationId"]
    )
    error = details["ApplicationOperationInfoDetails"]["OperationFailureDetails"]["ErrorInfo"]["ErrorString"]
    assert "The entry file 'main.py'" in error
    assert status(kav2, "broken") == "READY"


def test_code_from_the_embedded_s3_runs_on_the_embedded_runtime(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    account = "210987654321"
    s3 = live.client("s3", access_key=account)
    kav2 = live.client(access_key=account)
    bucket = f"code-{uuid.uuid4().hex[:12]}"
    create_from_s3(
        kav2,
        s3,
        "numbers",
        code_zip({"main.py": JOB}),
        bucket=bucket,
        key="app/job.zip",
        EnvironmentProperties={
            "PropertyGroups": [{"PropertyGroupId": "Job", "PropertyMap": {"rate": "200"}}]
        },
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": False},
    )
    started = kav2.start_application(ApplicationName="numbers")
    outcome = eventually(lambda: operation_status(kav2, "numbers", started["OperationId"]), "SUCCESSFUL")
    assert outcome == "SUCCESSFUL", kav2.describe_application_operation(
        ApplicationName="numbers", OperationId=started["OperationId"]
    )
    assert status(kav2, "numbers") == "RUNNING"
    stopped = kav2.stop_application(ApplicationName="numbers")
    assert eventually(lambda: status(kav2, "numbers"), "READY") == "READY"
    assert operation_status(kav2, "numbers", stopped["OperationId"]) == "SUCCESSFUL"


def test_embedded_runtime_stop_update_and_restart_go_through_savepoints(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client()
    create(
        kav2,
        "counted",
        {"ZipFileContent": code_zip({"main.py": JOB})},
        EnvironmentProperties={
            "PropertyGroups": [{"PropertyGroupId": "Job", "PropertyMap": {"rate": "200"}}]
        },
    )

    wait_successful(kav2, "counted", kav2.start_application(ApplicationName="counted")["OperationId"])
    assert status(kav2, "counted") == "RUNNING"
    wait_successful(kav2, "counted", rescale(kav2, "counted", 2))
    assert status(kav2, "counted") == "RUNNING"
    wait_successful(kav2, "counted", kav2.stop_application(ApplicationName="counted")["OperationId"])
    assert status(kav2, "counted") == "READY"
    savepoints = [
        p for p in (live.settings.data_dir / "state").glob("*/savepoints/*") if (p / "_metadata").is_file()
    ]
    assert len(savepoints) == 2  # the update's and the stop's system snapshots are real savepoints
    wait_successful(kav2, "counted", kav2.start_application(ApplicationName="counted")["OperationId"])
    assert status(kav2, "counted") == "RUNNING"
    wait_successful(
        kav2, "counted", kav2.stop_application(ApplicationName="counted", Force=True)["OperationId"]
    )
    assert status(kav2, "counted") == "READY"
