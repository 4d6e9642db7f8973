"""Units of observability: link and session tokens, alarm states, metric data, log messages and batches."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from app.observability.alarms import new_state
from app.observability.metrics import WatchedJob, _Previous, job_metrics
from app.observability.monitoring import MonitoringSettings
from app.observability.process import ProcessSample, sample_process
from app.services.presign import DashboardGrant, TokenSigner, load_secret
from runtime_adapter.insight import JobInsight, OperatorInsight
from stream_runtime.cloudwatch_logs import (
    MAX_BATCH_EVENTS,
    CloudWatchLogHandler,
    LogStream,
    _batches,
    aws_message,
)

ARN = "arn:aws:kinesisanalytics:us-east-1:123456789012:application/shop"


def grant(issued: int = 1_000_000, duration: int = 1800) -> DashboardGrant:
    return DashboardGrant(ARN, 999_000, issued, issued + duration)


def test_link_tokens_open_within_three_minutes_and_only_for_their_application() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.link_token(grant())
    assert signer.open_link(token, ARN, 1_000_000 + 180) == grant()
    assert signer.open_link(token, ARN, 1_000_000 + 181) is None
    assert signer.open_link(token, ARN, 999_999) is None
    assert signer.open_link(token, ARN.replace("shop", "other"), 1_000_010) is None
    assert TokenSigner(b"x" * 32).open_link(token, ARN, 1_000_010) is None
    assert signer.open_session(token, ARN, 1_000_010) is None  # a link is not a session


def test_sessions_last_until_expiry_and_forgeries_fail() -> None:
    signer = TokenSigner(b"k" * 32)
    session = signer.session_token(grant(duration=1800))
    assert signer.open_session(session, ARN, 1_001_799) is not None
    assert signer.open_session(session, ARN, 1_001_800) is None
    payload, _, signature = session.partition(".")
    for forged in (payload + "." + signature[::-1], payload[:-1] + "A." + signature, "garbage", ".", ""):
        assert signer.open_session(forged, ARN, 1_000_010) is None
    console = signer.console_token("123456789012", 10, 20)
    assert signer.open_console(console, 15) == "123456789012"
    assert signer.open_console(console, 20) is None
    assert signer.open_console(session, 1_000_010) is None


def test_the_signing_secret_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_secret(tmp_path / "data")
    assert load_secret(tmp_path / "data") == first and len(first) == 32
    assert oct(os.stat(tmp_path / "data" / "dashboard-signing.key").st_mode & 0o777) == "0o600"


ALARM = {"ComparisonOperator": "GreaterThanThreshold", "Threshold": 0.0, "EvaluationPeriods": 2}


@pytest.mark.parametrize(
    ("alarm", "values", "state"),
    [
        (ALARM, [5.0, 1.0], "ALARM"),
        (ALARM, [0.0, 1.0], "OK"),
        ({**ALARM, "DatapointsToAlarm": 1}, [0.0, 1.0], "ALARM"),
        (ALARM, [None, None], "INSUFFICIENT_DATA"),
        ({**ALARM, "TreatMissingData": "ignore"}, [None, None], None),
        ({**ALARM, "TreatMissingData": "breaching"}, [None, 3.0], "ALARM"),
        ({**ALARM, "TreatMissingData": "notBreaching"}, [None, None], "OK"),
        ({**ALARM, "ComparisonOperator": "LessThanOrEqualToThreshold"}, [0.0, 0.0], "ALARM"),
    ],
)
def test_alarm_states_follow_cloudwatch_rules(
    alarm: dict[str, Any], values: list[float | None], state: str
) -> None:
    assert new_state(alarm, values) == state


def insight(**changes: Any) -> JobInsight:
    values: dict[str, Any] = {
        "job_id": "j",
        "parallelism": 2,
        "running_since_ms": 10_000,
        "down_since_ms": None,
        "full_restarts": 1,
        "checkpoints": (
            {"id": 1, "status": "COMPLETED", "duration_ms": 30, "state_size": 700},
            {"id": 2, "status": "FAILED", "duration_ms": None, "state_size": 0},
            {"id": 3, "status": "COMPLETED", "duration_ms": 40, "state_size": 800},
            {"id": 4, "status": "IN_PROGRESS", "duration_ms": None, "state_size": 0},
        ),
        "operators": (
            OperatorInsight("src", "orders", 2, 100, 100),
            OperatorInsight("snk", "sink", 2, 100, 0),
        ),
        "records_in": 100,
        "records_out": 90,
        "pid": 1,
    }
    return JobInsight(**(values | changes))


def by_name(data: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    return {(d["MetricName"], ",".join(x["Value"] for x in d["Dimensions"])): d["Value"] for d in data}


def test_job_metrics_reflect_the_insight() -> None:
    job = WatchedJob(
        "123456789012", "us-east-1", "shop", "j", MonitoringSettings(parallelism=3, parallelism_per_kpu=2)
    )
    previous = _Previous(25.0, 40, 30, ProcessSample(1.0, 0, 0))
    sample = ProcessSample(cpu_seconds=2.0, resident_bytes=4 * 1024**3, anonymous_bytes=2 * 1024**3)
    values = by_name(job_metrics(job, insight(), 30.0, sample, previous))
    assert values[("uptime", "shop")] == 20_000
    assert values[("downtime", "shop")] == 0
    assert values[("fullRestarts", "shop")] == 1
    assert values[("numberOfFailedCheckpoints", "shop")] == 1
    assert values[("lastCheckpointDuration", "shop")] == 40
    assert values[("lastCheckpointSize", "shop")] == 800
    assert values[("numRecordsInPerSecond", "shop")] == 12  # (100 - 40) / 5 s
    assert values[("numRecordsOutPerSecond", "shop")] == 12
    assert values[("KPUs", "shop")] == 2
    assert values[("containerCPUUtilization", "shop")] == 10  # 1 CPU-second in 5 s over 2 KPUs
    assert values[("containerMemoryUtilization", "shop")] == 50
    assert values[("heapMemoryUtilization", "shop")] == 25
    assert ("numRecordsIn", "shop,orders") not in values  # APPLICATION level: no operator dimensions


def test_operator_level_adds_per_operator_counts_and_an_outage_reports_downtime() -> None:
    job = WatchedJob("1", "r", "shop", "j", MonitoringSettings(metrics_level="OPERATOR"))
    down = insight(running_since_ms=None, down_since_ms=27_500, disk_percent=12.5)
    data = job_metrics(job, down, 30.0, None, None)
    values = by_name(data)
    assert values[("containerDiskUtilization", "shop")] == 12.5
    kinds = {
        tuple(d["Name"] for d in datum["Dimensions"])
        for datum in data
        if datum["MetricName"] == "numRecordsIn"
    }
    assert kinds == {
        ("Application",),
        ("Application", "Task"),
        ("Application", "Operator"),
    }  # cumulative levels
    assert values[("downtime", "shop")] == 2_500 and values[("uptime", "shop")] == 0
    assert values[("numRecordsIn", "shop,orders")] == 100 and values[("numRecordsOut", "shop,sink")] == 0
    assert ("numRecordsInPerSecond", "shop") not in values  # a rate needs a previous sample


def test_a_process_sample_reads_this_process() -> None:
    sample = sample_process(os.getpid())
    assert (
        sample is not None and sample.cpu_seconds > 0 and sample.resident_bytes > sample.anonymous_bytes > 0
    )
    assert sample_process(2**22 + 12345) is None


def record(level: int, message: str = "hello %s", args: tuple[Any, ...] = ("world",)) -> logging.LogRecord:
    return logging.LogRecord("com.example.Job", level, "/code/main.py", 7, message, args, None, "run")


def test_log_records_become_aws_messages() -> None:
    message = json.loads(aws_message(record(logging.WARNING), ARN, "3"))
    assert message == {
        "locationInformation": "main.run(main.py:7)",
        "logger": "com.example.Job",
        "message": "hello world",
        "threadName": "MainThread",
        "applicationARN": ARN,
        "applicationVersionId": "3",
        "messageSchemaVersion": "1",
        "messageType": "WARN",
    }
    assert json.loads(aws_message(record(logging.CRITICAL), ARN, "3"))["messageType"] == "ERROR"


def test_log_stream_arns_are_parsed_or_refused() -> None:
    stream = LogStream.parse("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/flink:log-stream:app")
    assert (stream.region, stream.group, stream.stream) == ("eu-west-1", "/aws/flink", "app")
    for bad in ("arn:aws:s3:::bucket", "arn:aws:logs:eu-west-1:1:log-group:g", "nonsense"):
        with pytest.raises(ValueError):
            LogStream.parse(bad)


def test_batches_respect_the_put_log_events_limits() -> None:
    many = [{"timestamp": i, "message": "x"} for i in range(MAX_BATCH_EVENTS + 5)]
    assert [len(batch) for batch in _batches(many)] == [MAX_BATCH_EVENTS, 5]
    big = [{"timestamp": i, "message": "y" * 400_000} for i in range(4)]
    assert [len(batch) for batch in _batches(big)] == [2, 2]


class FakeLogs:
    """A CloudWatch Logs client that knows one stream."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def put_log_events(self, logGroupName: str, logStreamName: str, logEvents: list[dict[str, Any]]) -> None:
        if logStreamName != "known":
            raise RuntimeError("ResourceNotFoundException: The specified log stream does not exist.")
        self.events.extend(logEvents)


def test_the_handler_ships_in_order_and_reports_a_failing_stream_once() -> None:
    client = FakeLogs()
    reports: list[str] = []
    streams = [
        LogStream.parse(f"arn:aws:logs:r:1:log-group:g:log-stream:{name}") for name in ("known", "lost")
    ]
    handler = CloudWatchLogHandler(
        streams, ARN, "1", reports.append, lambda region: client, flush_interval=3600
    )
    try:
        for index in range(3):
            handler.emit(record(logging.INFO, f"line {index}", ()))
        handler.flush()
        handler.emit(record(logging.INFO, "line 3", ()))
    finally:
        handler.close()
    assert [json.loads(event["message"])["message"] for event in client.events] == [
        f"line {i}" for i in range(4)
    ]
    assert len(reports) == 1 and "lost" in reports[0] and "ResourceNotFoundException" in reports[0]


def test_console_not_found_page_escapes_what_the_url_says(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings
    from app.web.console import COOKIE

    app = create_app(Settings(data_dir=tmp_path / "data", runtime="fake"))
    with TestClient(app) as client:
        client.cookies.set(COOKIE, app.state.web.signer.console_token("123456789012", 0, 2**40))
        answer = client.get("/console/application", params={"region": "r", "name": "<script>x()</script>"})
    assert answer.status_code == 404
    assert "<script>" not in answer.text and "&lt;script&gt;" in answer.text
