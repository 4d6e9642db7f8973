"""Through boto3: which runtime runs an application, and what the API shows when Flink is missing or fails.

A JAR (or a Python entry using the PyFlink Table API) on a server without Flink: StartApplication's operation
ends FAILED with an ErrorString naming what to run, and the application is READY again. With
``flink_rest_url`` pointed at the scriptable fake Flink REST server: a job refused at submission ends the
operation FAILED with Flink's error text; an accepted one runs and stops with a savepoint.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import create, operation_status, status
from tests.flink.fake_flink import FakeFlink


def jar_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: demo.Job\n\n")
        archive.writestr("demo/Job.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def failed_start(kav2: Any, name: str) -> str:
    started = kav2.start_application(ApplicationName=name)
    outcome = eventually(lambda: operation_status(kav2, name, started["OperationId"]), "FAILED")
    details = kav2.describe_application_operation(ApplicationName=name, OperationId=started["OperationId"])
    assert outcome == "FAILED", details
    error: str = details["ApplicationOperationInfoDetails"]["OperationFailureDetails"]["ErrorInfo"][
        "ErrorString"
    ]
    return error


@pytest.fixture
def fake_flink() -> Iterator[FakeFlink]:
    server = FakeFlink()
    yield server
    server.stop()


def test_a_jar_without_a_flink_runtime_fails_the_start_saying_what_to_run(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.05)
    kav2 = live.client()
    create(kav2, "java", {"ZipFileContent": jar_bytes()})

    error = failed_start(kav2, "java")

    assert "its code is a JAR" in error
    assert "pip install 'msf-local[flink]'" in error and "--flink local" in error
    assert eventually(lambda: status(kav2, "java"), "READY") == "READY"


def test_a_pyflink_table_api_entry_without_a_flink_runtime_fails_the_start(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.05)
    kav2 = live.client()
    main = "from pyflink.table import TableEnvironment\n"
    create(kav2, "py", {"ZipFileContent": zip_bytes({"main.py": main})})

    error = failed_start(kav2, "py")

    assert "main.py uses the PyFlink Table API" in error and "--flink local" in error
    assert eventually(lambda: status(kav2, "py"), "READY") == "READY"


def test_a_submission_flink_refuses_ends_the_operation_failed_with_flinks_text(
    make_server: Any, fake_flink: FakeFlink
) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=fake_flink.url)
    kav2 = live.client()
    create(kav2, "java", {"ZipFileContent": jar_bytes()})
    fake_flink.fail_submit("Unknown topic 'orders'")

    error = failed_start(kav2, "java")

    assert "ProgramInvocationException: The main method caused an error: Unknown topic 'orders'" in error
    assert eventually(lambda: status(kav2, "java"), "READY") == "READY"


def test_a_jar_runs_on_flink_and_stops_with_a_savepoint(make_server: Any, fake_flink: FakeFlink) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=fake_flink.url)
    kav2 = live.client()
    create(
        kav2,
        "java",
        {"ZipFileContent": jar_bytes()},
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": True},
    )

    started = kav2.start_application(ApplicationName="java")
    assert (
        eventually(lambda: operation_status(kav2, "java", started["OperationId"]), "SUCCESSFUL")
        == "SUCCESSFUL"
    )
    assert status(kav2, "java") == "RUNNING"
    (job,) = fake_flink.jobs.values()
    assert job.body["programArgsList"][0] == "demo.Job"  # the manifest's entry class, run by the launcher
    assert job.body["flinkConfiguration"]["execution.checkpointing.interval"] == "60000 ms"

    stopped = kav2.stop_application(ApplicationName="java")
    assert (
        eventually(lambda: operation_status(kav2, "java", stopped["OperationId"]), "SUCCESSFUL")
        == "SUCCESSFUL"
    )
    assert status(kav2, "java") == "READY"
    snapshots = kav2.list_application_snapshots(ApplicationName="java")["SnapshotSummaries"]
    assert [s["SnapshotStatus"] for s in snapshots] == ["READY"]
