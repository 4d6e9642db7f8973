"""Job logs reach the application's CloudWatch Logs stream at its LogLevel, in AWS's JSON shape."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import LiveServer, eventually
from tests.observability.helpers import (
    LOGGING_JOB,
    create_application,
    job_id,
    log_stream_arn,
    start_and_wait_running,
    status,
)

ACCOUNT = "123456789012"
AWS_FIELDS = {
    "locationInformation",
    "logger",
    "message",
    "threadName",
    "applicationARN",
    "applicationVersionId",
    "messageSchemaVersion",
    "messageType",
}


def monitoring(level: str) -> dict[str, Any]:
    return {
        "MonitoringConfiguration": {
            "ConfigurationType": "CUSTOM",
            "LogLevel": level,
            "MetricsLevel": "APPLICATION",
        }
    }


def job_messages(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    """The AWS-shaped messages of the example job's own logger in ``stream``."""
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    messages = [json.loads(event["message"]) for event in events]
    return [message for message in messages if message["logger"] == "com.example.LoggingJob"]


def test_log_level_filters_what_reaches_the_stream(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    group = f"flink-{uuid.uuid4().hex[:8]}"  # moto outlives each server in this process
    kav2 = live.client(access_key=ACCOUNT)
    logs = live.client("logs", access_key=ACCOUNT)
    logs.create_log_group(logGroupName=group)
    for stream in ("warn", "info"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    create_application(
        kav2,
        "warn-app",
        LOGGING_JOB,
        log_streams=[log_stream_arn(ACCOUNT, group, "warn")],
        **monitoring("WARN"),
    )
    create_application(
        kav2,
        "info-app",
        LOGGING_JOB,
        log_streams=[log_stream_arn(ACCOUNT, group, "info")],
        **monitoring("INFO"),
    )
    for name in ("warn-app", "info-app"):
        start_and_wait_running(kav2, name)

    def levels(stream: str) -> list[str]:
        return [message["messageType"] for message in job_messages(logs, group, stream)]

    assert eventually(lambda: levels("warn"), ["WARN", "ERROR"]) == ["WARN", "ERROR"]
    assert eventually(lambda: levels("info"), ["INFO", "WARN", "ERROR"]) == ["INFO", "WARN", "ERROR"]
    arn = kav2.describe_application(ApplicationName="info-app")["ApplicationDetail"]["ApplicationARN"]
    for message in job_messages(logs, group, "info"):
        assert set(message) == AWS_FIELDS
        assert message["applicationARN"] == arn
        assert message["applicationVersionId"] == "1"
        assert message["messageSchemaVersion"] == "1"
        assert message["message"] in ("info-line", "warn-line", "error-line")
        assert "main.py" in message["locationInformation"]
    events = logs.get_log_events(logGroupName=group, logStreamName="info", startFromHead=True)["events"]
    assert all(event["timestamp"] > 0 for event in events)


def test_a_missing_log_stream_is_reported_in_the_logs_directory_and_the_job_runs_on(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client(access_key=ACCOUNT)
    missing = log_stream_arn(ACCOUNT, "no-such-group", "no-such-stream")
    create_application(kav2, "lost-logs", LOGGING_JOB, log_streams=[missing], **monitoring("INFO"))
    start_and_wait_running(kav2, "lost-logs")
    errors = (
        live.settings.data_dir / "runtime" / "logs" / f"{job_id(live, 'lost-logs')}-cloudwatch-errors.log"
    )
    assert eventually(lambda: errors.is_file() and "ResourceNotFoundException" in errors.read_text(), True)
    assert missing in errors.read_text()
    assert status(kav2, "lost-logs") == "RUNNING"
