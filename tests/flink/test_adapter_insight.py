"""The figures of a job on Flink (``FlinkRuntimeAdapter.insight``) and the AWS/KinesisAnalytics metrics
published from them, against the scriptable fake Flink REST server; one test through boto3."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from app.observability.metrics import WatchedJob, job_metrics
from app.observability.monitoring import MonitoringSettings
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.insight import InsightSource
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import create, status
from tests.flink.fake_flink import SINK, SOURCE, FakeFlink
from tests.flink.test_adapter_rest import JOB, jar_spec
from tests.flink.test_api_routing import jar_bytes
from tests.observability.test_metrics import statistic


def checkpoint(number: int, status: str = "COMPLETED", size: int = 4096) -> dict[str, Any]:
    return {
        "id": number,
        "status": status,
        "trigger_timestamp": 10_000 * number,
        "end_to_end_duration": 120 + number,
        "checkpointed_size": size,
        "state_size": size * 10,
        "external_path": f"file:/cp/chk-{number}",
        "failure_message": "Checkpoint expired" if status == "FAILED" else None,
    }


def metric(data: list[dict[str, Any]], name: str, **dimensions: str) -> float:
    wanted = [{"Name": "Application", "Value": "app"}] + [
        {"Name": key, "Value": value} for key, value in dimensions.items()
    ]
    (value,) = [d["Value"] for d in data if d["MetricName"] == name and d["Dimensions"] == wanted]
    return float(value)


def test_a_running_job_reports_records_checkpoints_and_operators(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    assert isinstance(adapter, InsightSource)
    adapter.start(jar_spec(tmp_path, parallelism=2))
    job = fake.jobs[JOB]
    job.running_since_ms = 50_000
    job.records = {SOURCE: (0, 900), SINK: (880, 0)}  # the chained sink emits nothing downstream
    job.checkpoints = [checkpoint(1), checkpoint(2, "FAILED"), checkpoint(3, size=8192)]
    job.failed_checkpoints = 7  # more than the history Flink keeps
    job.metrics = {"0.Source__Kinesis.shardId-000.millisBehindLatest": 1500.0}

    insight = adapter.insight(JOB)

    assert insight is not None
    assert (insight.running_since_ms, insight.down_since_ms, insight.full_restarts) == (50_000, None, 0)
    assert (insight.records_in, insight.records_out, insight.parallelism) == (900, 880, 2)
    assert [(op.name, op.parallelism, op.records_in, op.records_out) for op in insight.operators] == [
        ("Source: numbers", 2, 0, 900),
        ("Map -> Sink: print", 2, 880, 0),
    ]
    assert insight.operators[1].inputs == ((SOURCE, "REBALANCE"),)
    assert [c["id"] for c in insight.checkpoints] == [1, 2, 3]  # oldest first
    assert insight.millis_behind_latest == 1500
    assert (insight.heap_percent, insight.cpu_percent) == (25.0, 25.0)  # the TaskManagers' JVMs
    assert adapter.web_ui(JOB) == fake.url

    settings = MonitoringSettings(metrics_level="OPERATOR", parallelism=2)
    data = job_metrics(WatchedJob("1", "us-east-1", "app", JOB, settings), insight, 60.0, None, None)
    assert metric(data, "uptime") == 10_000
    assert metric(data, "numberOfFailedCheckpoints") == 7
    assert (metric(data, "lastCheckpointDuration"), metric(data, "lastCheckpointSize")) == (123, 8192)
    assert (metric(data, "numRecordsIn"), metric(data, "numRecordsOut")) == (900, 880)
    assert metric(data, "numRecordsIn", Operator="Map -> Sink: print") == 880
    assert metric(data, "millisBehindLatest") == 1500
    assert (metric(data, "heapMemoryUtilization"), metric(data, "containerCPUUtilization")) == (25, 25)


def test_a_restarting_job_is_down_since_its_failure_with_the_cause(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink, tmp_path: Path
) -> None:
    adapter.start(jar_spec(tmp_path))
    fake.restart_job(JOB, "java.lang.IllegalStateException: poison record", at_ms=70_000)

    insight = adapter.insight(JOB)

    assert insight is not None
    assert (insight.running_since_ms, insight.down_since_ms, insight.full_restarts) == (None, 70_000, 1)
    (failure,) = insight.failures
    assert failure.failed_at_ms == 70_000
    assert failure.cause == "java.lang.IllegalStateException: poison record"
    settings = MonitoringSettings()
    data = job_metrics(WatchedJob("1", "us-east-1", "app", JOB, settings), insight, 75.0, None, None)
    assert (metric(data, "downtime"), metric(data, "uptime"), metric(data, "fullRestarts")) == (5000, 0, 1)


def test_unknown_jobs_and_an_unreachable_cluster_have_no_figures(
    adapter: FlinkRuntimeAdapter, fake: FakeFlink
) -> None:
    assert adapter.insight(JOB) is None
    assert adapter.insight("not-a-flink-id") is None
    fake.stop()
    assert adapter.insight(JOB) is None


def test_metrics_of_an_application_on_flink_reach_cloudwatch(make_server: Any, fake: FakeFlink) -> None:
    live: LiveServer = make_server(control_interval=0.05, metrics_period=3600, flink_rest_url=fake.url)
    kav2 = live.client()
    name = f"flink-{uuid.uuid4().hex[:8]}"  # moto outlives each server in this process
    create(kav2, name, {"ZipFileContent": jar_bytes()})
    kav2.start_application(ApplicationName=name)
    assert eventually(lambda: status(kav2, name), "RUNNING") == "RUNNING"
    (job,) = fake.jobs.values()
    job.records = {SOURCE: (0, 42), SINK: (42, 0)}
    job.checkpoints = [checkpoint(1, size=2048)]

    assert live.server.config.app.state.metrics_reporter.tick() > 0

    cloudwatch = live.client("cloudwatch")
    assert statistic(cloudwatch, "numRecordsIn", name) == [42.0]
    assert statistic(cloudwatch, "lastCheckpointSize", name) == [2048.0]
    assert statistic(cloudwatch, "fullRestarts", name) == [0.0]
