"""AWS/KinesisAnalytics metrics of a real job, read back through the embedded CloudWatch with boto3."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.db.models import ApplicationRow
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.locations import open_storage
from tests.conftest import LiveServer, eventually
from tests.observability.helpers import create_application, job_id, runtime, start_and_wait_running, status

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"
NAMESPACE = "AWS/KinesisAnalytics"
JOB = """
from stream_runtime import DiscardingSink, RestartStrategies, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(3, 4000))
env.from_sequence(0, None, records_per_second=200).uid("numbers").add_sink(DiscardingSink())
env.execute("metrics")
"""
CHECKPOINTS = {
    "ConfigurationType": "CUSTOM",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 500,
    "MinPauseBetweenCheckpoints": 0,
}
PER_SUBTASK = {"ConfigurationType": "CUSTOM", "MetricsLevel": "PARALLELISM", "LogLevel": "INFO"}
TWO_SUBTASKS = {
    "ConfigurationType": "CUSTOM",
    "Parallelism": 2,
    "ParallelismPerKPU": 2,
    "AutoScalingEnabled": False,
}


def per_second(
    cloudwatch: Any, metric: str, app: str, stat: str = "Maximum", **more: str
) -> dict[Any, float]:
    """Per-second values of ``metric`` of application ``app`` (and dimensions ``more``) over the last
    five minutes, by second."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": "Application", "Value": app}]
        + [{"Name": k, "Value": v} for k, v in more.items()],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=1,
        Statistics=[stat],
    )["Datapoints"]
    return {point["Timestamp"]: point[stat] for point in points}


def statistic(cloudwatch: Any, metric: str, app: str, stat: str = "Maximum") -> list[float]:
    """Per-second values of ``metric`` of application ``app`` over the last five minutes, oldest first."""
    return [value for _, value in sorted(per_second(cloudwatch, metric, app, stat).items())]


def checkpoint_dir(live: LiveServer, name: str) -> str:
    with live.server.config.app.state.database.session() as session:
        row = session.scalars(select(ApplicationRow).where(ApplicationRow.application_name == name)).one()
        return f"{live.settings.data_dir}/state/{row.id}/checkpoints"


def test_metrics_follow_the_job_through_a_kill(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1, metrics_period=1)
    name = f"metrics-{uuid.uuid4().hex[:8]}"  # moto outlives each server in this process
    kav2 = live.client(access_key=ACCOUNT)
    cloudwatch = live.client("cloudwatch", access_key=ACCOUNT)
    create_application(
        kav2,
        name,
        JOB,
        CheckpointConfiguration=CHECKPOINTS,
        MonitoringConfiguration=PER_SUBTASK,
        ParallelismConfiguration=TWO_SUBTASKS,
    )
    start_and_wait_running(kav2, name)
    cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-down",
        Namespace=NAMESPACE,
        MetricName="downtime",
        Dimensions=[{"Name": "Application", "Value": name}],
        Statistic="Maximum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )

    assert eventually(lambda: len(statistic(cloudwatch, "lastCheckpointSize", name)) >= 2, True)
    assert eventually(lambda: statistic(cloudwatch, "numRecordsIn", name)[-1] > 0, True)
    assert (
        statistic(cloudwatch, "fullRestarts", name) and max(statistic(cloudwatch, "fullRestarts", name)) == 0
    )
    assert max(statistic(cloudwatch, "downtime", name)) == 0
    assert statistic(cloudwatch, "uptime", name)[-1] > 0
    assert statistic(cloudwatch, "KPUs", name)[-1] == 1
    assert 0 < statistic(cloudwatch, "containerMemoryUtilization", name)[-1] < 100
    assert 0 < statistic(cloudwatch, "heapMemoryUtilization", name)[-1] < 100
    assert eventually(lambda: len(statistic(cloudwatch, "containerCPUUtilization", name)) > 0, True)
    # running application storage in use, of the 50 GiB per KPU (measured by the job's storage guard)
    assert eventually(lambda: len(statistic(cloudwatch, "containerDiskUtilization", name)) > 0, True)
    assert 0 <= statistic(cloudwatch, "containerDiskUtilization", name)[-1] < 1
    assert eventually(lambda: statistic(cloudwatch, "numRecordsInPerSecond", name)[-1] > 0, True)

    # the checkpoint metrics are the runtime's own statistics (as the job wrote them to storage)
    job = job_id(live, name)
    history = CheckpointLayout(open_storage(checkpoint_dir(live, name)), job).read_stats()
    completed = {
        (entry["duration_ms"], entry["state_size"]) for entry in history if entry["status"] == "COMPLETED"
    }
    durations = statistic(cloudwatch, "lastCheckpointDuration", name)
    sizes = statistic(cloudwatch, "lastCheckpointSize", name)
    assert sizes and all(size > 0 for size in sizes)
    assert {(int(d), int(s)) for d, s in zip(durations, sizes, strict=True)} <= completed
    failed = sum(1 for entry in history if entry["status"] == "FAILED")
    assert statistic(cloudwatch, "numberOfFailedCheckpoints", name)[-1] == failed

    # MetricsLevel PARALLELISM: the sink's records in per subtask (dimension Parallelism = subtask
    # index), which add up to the operator's count second by second
    insight = runtime(live).insight(job)
    sink = next(operator.name for operator in insight.operators if operator.kind == "sink")
    subtasks = [
        lambda index=index: per_second(
            cloudwatch, "numRecordsIn", name, Operator=sink, Parallelism=str(index)
        )
        for index in range(2)
    ]
    assert eventually(lambda: all(max(get().values(), default=0) > 0 for get in subtasks), True)
    first, second = (get() for get in subtasks)
    operator = per_second(cloudwatch, "numRecordsIn", name, Operator=sink)  # moto: a superset, Maximum
    both = set(first) & set(second)
    assert both and all(operator[at] == first[at] + second[at] for at in both)
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName="numRecordsOut")["Metrics"]
    assert {"Application", "Task", "Parallelism"} in [{d["Name"] for d in m["Dimensions"]} for m in listed]

    pid = insight.pid
    os.kill(pid, signal.SIGKILL)
    assert eventually(lambda: max(statistic(cloudwatch, "downtime", name)) > 0, True)
    assert status(kav2, name) == "RUNNING"  # a restart is not an application status change

    def alarm_state() -> str:
        state: str = cloudwatch.describe_alarms(AlarmNames=[f"{name}-down"])["MetricAlarms"][0]["StateValue"]
        return state

    assert eventually(alarm_state, "ALARM") == "ALARM"
    assert eventually(lambda: statistic(cloudwatch, "fullRestarts", name)[-1], 1) == 1
    assert eventually(lambda: statistic(cloudwatch, "downtime", name)[-1], 0) == 0
    assert runtime(live).insight(job).pid not in (None, pid)

    # metrics are per account: another account sees none of them
    other = live.client("cloudwatch", access_key=OTHER_ACCOUNT)
    assert statistic(other, "uptime", name) == []
