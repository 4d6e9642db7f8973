"""The server console's lifecycle events: each status change, operation and snapshot, once, as it happened."""

from __future__ import annotations

from typing import Any

import pytest

from app.observability.lifecycle import LifecycleLog
from tests.api.app_helpers import python_zip
from tests.conftest import LiveServer, eventually
from tests.observability.helpers import LOGGING_JOB, create_application, status


def test_start_failure_and_stop_are_logged(make_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    log = LifecycleLog(live.server.config.app.state.database)
    assert log.poll() == []  # the first look only learns what exists
    create_application(kav2, "shop", LOGGING_JOB)
    assert log.poll() == ["application 123456789012/us-east-1/shop created (READY, version 1)"]
    started = kav2.start_application(ApplicationName="shop", RunConfiguration={})["OperationId"]
    assert eventually(lambda: status(kav2, "shop"), "RUNNING") == "RUNNING"
    with caplog.at_level("INFO", logger="msf_local.lifecycle"):
        events = log.poll()
    assert events[0] == "application 123456789012/us-east-1/shop: READY -> RUNNING (version 1)"
    assert f"StartApplication {started} of 123456789012/us-east-1/shop SUCCESSFUL" in events
    logged = [record.getMessage() for record in caplog.records if record.name == "msf_local.lifecycle"]
    assert set(events) <= set(logged)  # (the server's own lifecycle log logs the same events too)
    assert log.poll() == []  # nothing happened since
    kav2.create_application_snapshot(ApplicationName="shop", SnapshotName="before-stop")

    def snapshot_status() -> str:
        found = kav2.describe_application_snapshot(ApplicationName="shop", SnapshotName="before-stop")
        value: str = found["SnapshotDetails"]["SnapshotStatus"]
        return value

    assert eventually(snapshot_status, "READY") == "READY"
    kav2.stop_application(ApplicationName="shop")
    assert eventually(lambda: status(kav2, "shop"), "READY") == "READY"
    events = log.poll()
    assert "application 123456789012/us-east-1/shop: RUNNING -> READY (version 1)" in events
    assert any(event.startswith("snapshot SYSTEMSNAPSHOT-") for event in events)  # taken by the stop
    assert "snapshot before-stop of 123456789012/us-east-1/shop: READY" in events
    assert any(event.startswith("StopApplication ") and event.endswith(" SUCCESSFUL") for event in events)


def test_a_failed_operation_is_logged_with_its_error(make_server: Any) -> None:
    live: LiveServer = make_server(runtime="fake", control_interval=0.05)
    kav2 = live.client()
    log = LifecycleLog(live.server.config.app.state.database)
    log.poll()
    kav2.create_application(
        ApplicationName="broken",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole="arn:aws:iam::123456789012:role/msf",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": python_zip({"job.py": "print('no main.py')"})},
                "CodeContentType": "ZIPFILE",
            }
        },
    )
    started = kav2.start_application(ApplicationName="broken", RunConfiguration={})["OperationId"]
    seen: list[str] = []
    assert eventually(lambda: seen.extend(log.poll()) or any("FAILED" in event for event in seen), True)
    failure = next(event for event in seen if "FAILED" in event)
    assert failure.startswith(f"StartApplication {started} of 123456789012/us-east-1/broken FAILED: ")
    assert "The entry file 'main.py'" in failure
