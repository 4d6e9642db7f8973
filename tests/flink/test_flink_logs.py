"""Lines of jobs on Flink reach their application's CloudWatch log stream at its LogLevel, in AWS's JSON
shape, from the cluster's shared JSON log files (written here as log4j's JsonLayout writes them)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import ROLE, status
from tests.flink.fake_flink import FakeFlink
from tests.flink.test_api_routing import jar_bytes

ACCOUNT = "123456789012"


def log4j_line(job_id: str | None, level: str, message: str, at: float | None = None) -> str:
    at = time.time() if at is None else at
    entry: dict[str, Any] = {
        "instant": {"epochSecond": int(at), "nanoOfSecond": int(at % 1 * 1e9)},
        "thread": "Source: numbers (1/1)#0",
        "level": level,
        "loggerName": "com.example.Job",
        "message": message,
        "contextMap": {"flink-job-id": job_id} if job_id else {},
        "source": {"class": "com.example.Job", "method": "run", "file": "Job.java", "line": 42},
    }
    if level == "ERROR":
        entry["thrown"] = {"name": "java.lang.IllegalStateException", "message": "poison"}
    return json.dumps(entry) + "\n"


def start_on_flink(live: LiveServer, name: str, level: str, stream_arn: str) -> str:
    kav2 = live.client(access_key=ACCOUNT)
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        CloudWatchLoggingOptions=[{"LogStreamARN": stream_arn}],
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": jar_bytes()},
                "CodeContentType": "ZIPFILE",
            },
            "FlinkApplicationConfiguration": {
                "MonitoringConfiguration": {"ConfigurationType": "CUSTOM", "LogLevel": level}
            },
        },
    )
    kav2.start_application(ApplicationName=name)
    assert eventually(lambda: status(kav2, name), "RUNNING") == "RUNNING"
    description = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
    return str(description["ApplicationARN"])


def test_a_jobs_lines_at_its_log_level_reach_its_stream_once(
    make_server: Any, fake: FakeFlink, tmp_path: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=fake.url)
    group = f"flink-{uuid.uuid4().hex[:8]}"  # moto outlives each server in this process
    logs = live.client("logs", access_key=ACCOUNT)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="shop")
    prefix = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:log-stream:"
    shop_arn = start_on_flink(live, "shop", "WARN", prefix + "shop")
    start_on_flink(live, "other", "INFO", prefix + "missing")  # a stream that does not exist
    by_name = {job.body["flinkConfiguration"]["pipeline.name"]: job.job_id for job in fake.jobs.values()}
    shared = tmp_path / "flink-taskexecutor-0.log.json"
    state = live.server.config.app.state
    state.runtime_adapter.flink.job_log_files = lambda job_id: (shared,)  # the cluster's JSON log
    with shared.open("w") as out:
        out.write(log4j_line(by_name["shop"], "ERROR", "before msf-local started", at=time.time() - 3600))
        for level in ("DEBUG", "INFO", "WARN", "ERROR"):
            out.write(log4j_line(by_name["shop"], level, f"shop {level}"))
        out.write(log4j_line(by_name["other"], "INFO", "other INFO"))
        out.write(log4j_line(None, "WARN", "a line of no job"))
        later = log4j_line(by_name["shop"], "WARN", "shop later")
        out.write(later[:40])  # still being written

    state.flink_log_shipper.tick()
    with shared.open("a") as out:
        out.write(later[40:])
    state.flink_log_shipper.tick()

    def messages() -> list[dict[str, Any]]:
        events = logs.get_log_events(logGroupName=group, logStreamName="shop", startFromHead=True)["events"]
        return [json.loads(event["message"]) for event in events]

    shipped = messages()  # nothing from before the start, of another job, of no job; the last line once
    assert [m["message"] for m in shipped] == [
        "shop WARN",
        "shop ERROR\njava.lang.IllegalStateException: poison",
        "shop later",
    ]
    first = shipped[0]
    assert first["locationInformation"] == "com.example.Job.run(Job.java:42)"
    assert first["applicationARN"] == shop_arn and first["applicationVersionId"] == "1"
    assert (first["messageType"], first["threadName"], first["logger"]) == (
        "WARN",
        "Source: numbers (1/1)#0",
        "com.example.Job",
    )
    errors = live.settings.data_dir / "runtime" / "logs" / f"{by_name['other']}-cloudwatch-errors.log"
    assert "ResourceNotFoundException" in errors.read_text()
