"""Per-subtask records, container memory and the logs of a cluster msf-local did not start, on Flink —
against the scriptable fake Flink REST server, extended here with the endpoints these read."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.observability.flink_rest_logs import task_of, text_entries
from app.observability.metrics import WatchedJob, job_metrics
from app.observability.monitoring import MonitoringSettings
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from tests.conftest import LiveServer
from tests.flink.fake_flink import SINK, FakeFlink
from tests.flink.test_adapter_insight import metric
from tests.flink.test_adapter_rest import JOB, jar_spec
from tests.flink.test_flink_logs import ACCOUNT, start_on_flink

GIB = 1024**3
TASKMANAGER = "127.0.0.1:40123-a1b2c3"


class LoggingFlink(FakeFlink):
    """The fake plus vertex details with subtasks, the TaskManager list, and log files (``logs``)."""

    def __init__(self) -> None:
        super().__init__()
        self.subtasks: dict[str, list[tuple[int, int]]] = {}  # vertex id → (read, written) by subtask
        self.logs: dict[str, str] = {
            "/jobmanager/logs/jobmanager.log": "",
            "/jobmanager/logs/jobmanager.out": "",
        }
        self.logs[f"/taskmanagers/{TASKMANAGER}/logs/taskmanager.log"] = ""
        self.taskmanager_metrics.update(
            {
                "Status.JVM.Memory.NonHeap.Used": 128.0 * 2**20,
                "Status.JVM.Memory.Direct.MemoryUsed": 64.0 * 2**20,
                "Status.JVM.Memory.Mapped.MemoryUsed": 0.0,
                "Status.Flink.Memory.Managed.Used": 64.0 * 2**20,
            }
        )

    def _route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/taskmanagers":
            return 200, {
                "taskmanagers": [{"id": TASKMANAGER, "memoryConfiguration": {"totalProcessMemory": GIB}}]
            }
        if path in self.logs:
            return 200, self.logs[path]
        if path.endswith("/logs") and any(name.startswith(path + "/") for name in self.logs):
            listed = [
                {"name": name.rsplit("/", 1)[1], "size": len(text.encode())}
                for name, text in self.logs.items()
                if name.startswith(path + "/")
            ]
            return 200, {"logs": listed}
        parts = path.split("/")
        if len(parts) == 5 and parts[1] == "jobs" and parts[3] == "vertices" and parts[4] in self.subtasks:
            return 200, {
                "id": parts[4],
                "subtasks": [
                    {"subtask": index, "metrics": {"read-records": read, "write-records": written}}
                    for index, (read, written) in enumerate(self.subtasks[parts[4]])
                ],
            }
        return super()._route(method, path, query, body)


@pytest.fixture
def flink() -> Iterator[LoggingFlink]:
    server = LoggingFlink()
    yield server
    server.stop()


def test_records_per_subtask_and_container_memory(flink: LoggingFlink, tmp_path: Path) -> None:
    adapter = FlinkRuntimeAdapter(flink.url, tmp_path / "state")
    try:
        adapter.start(jar_spec(tmp_path))
        flink.jobs[JOB].records = {SINK: (880, 0)}
        flink.subtasks[SINK] = [(400, 0), (480, 0)]
        insight = adapter.insight(JOB)
    finally:
        adapter.close()

    assert insight is not None
    source, sink = insight.operators
    assert (source.subtasks, sink.subtasks) == ((), ((400, 0), (480, 0)))
    assert insight.memory_percent == 50.0  # (256 heap + 128 non-heap + 64 direct + 64 managed) MiB of 1 GiB
    settings = MonitoringSettings(metrics_level="PARALLELISM", parallelism=2)
    data = job_metrics(WatchedJob("1", "us-east-1", "app", JOB, settings), insight, 60.0, None, None)
    assert metric(data, "numRecordsIn", Operator="Map -> Sink: print", Parallelism="1") == 480
    assert metric(data, "numRecordsIn", Task="Map -> Sink: print", Parallelism="0") == 400
    assert metric(data, "numRecordsIn", Task="Map -> Sink: print") == 880
    assert metric(data, "containerMemoryUtilization") == 50


def log_line(at: float, level: str, logger: str, message: str) -> str:
    """A line in Flink's default log4j pattern ``%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n``."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) + f",{int(at % 1 * 1000):03d}"
    return f"{stamp} {level:<5} {logger:<60}  - {message}\n"


def test_text_lines_parse_with_their_continuation_lines() -> None:
    text = "garbage before the first entry\n" + log_line(1_700_000_000.25, "ERROR", "org.a.B", "boom")
    (entry,) = text_entries(text + "java.lang.IllegalStateException: x\n\tat org.a.B.run(B.java:1)\n")
    assert entry["message"] == "boom\njava.lang.IllegalStateException: x\n\tat org.a.B.run(B.java:1)"
    assert (entry["level"], entry["loggerName"], entry["source"]["file"]) == ("ERROR", "org.a.B", "B.java")
    assert entry["instant"] == {"epochSecond": 1_700_000_000, "nanoOfSecond": 250_000_000}
    assert task_of("Map -> Sink: print (2/2)#1 (ab) switched", "j", ("Map -> Sink: print",)) == (
        "Map -> Sink: print (2/2)#1"
    )
    assert (
        task_of("Job x (j) switched", "j", ()) == "" and task_of("Map -> Sink: print", "j", ("Map",)) is None
    )


@pytest.mark.parametrize("backend", ["sqlite"])  # the database plays no part here
def test_a_remote_clusters_lines_reach_the_stream_through_rest(make_server: Any, flink: LoggingFlink) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=flink.url)
    group = f"remote-{uuid.uuid4().hex[:8]}"  # moto outlives each server in this process
    logs = live.client("logs", access_key=ACCOUNT)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="shop")
    shop_arn = start_on_flink(
        live, "shop", "WARN", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:log-stream:shop"
    )
    (job_id,) = flink.jobs
    now = time.time()
    task_manager_log = f"/taskmanagers/{TASKMANAGER}/logs/taskmanager.log"
    task = "org.apache.flink.runtime.taskmanager.Task"
    flink.logs[task_manager_log] = (
        log_line(now - 3600, "ERROR", task, f"Job {job_id} failed before msf-local started")
        + log_line(now, "INFO", task, "Map -> Sink: print (1/2)#0 (f00) switched from DEPLOYING to RUNNING.")
        + log_line(now, "WARN", task, "Map -> Sink: print (2/2)#0 (ba5) is slow.")
        + log_line(now, "WARN", task, "Source: other job (1/1)#0 (c0ffee) is slow.")
        + log_line(now, "WARN", "org.apache.flink.runtime.taskexecutor.TaskExecutor", "No job here.")
    )
    jobmanager_log = "/jobmanager/logs/jobmanager.log"
    failed = log_line(now, "ERROR", "org.a.JobMaster", f"Job shop ({job_id}) failed.")
    later = log_line(now, "WARN", task, f"Job {job_id} later.")
    flink.logs["/jobmanager/logs/jobmanager.out"] = f"WARN {job_id} stdout is not a log\n"
    flink.logs[jobmanager_log] = (
        failed + "java.lang.IllegalStateException: poison\n" + later[:30]
    )  # being written
    shipper = live.server.config.app.state.flink_log_shipper

    shipper.tick()
    flink.logs[jobmanager_log] += later[30:]
    shipper.tick()
    shipper.tick()  # nothing new: the files are not fetched again

    events = logs.get_log_events(logGroupName=group, logStreamName="shop", startFromHead=True)["events"]
    shipped = [json.loads(event["message"]) for event in events]
    assert sorted(m["message"] for m in shipped) == sorted(
        [
            f"Job shop ({job_id}) failed.\njava.lang.IllegalStateException: poison",
            f"Job {job_id} later.",
            "Map -> Sink: print (2/2)#0 (ba5) is slow.",
        ]
    )
    slow = next(m for m in shipped if "slow" in m["message"])
    assert (slow["threadName"], slow["logger"], slow["messageType"]) == (
        "Map -> Sink: print (2/2)#0",
        task,
        "WARN",
    )
    assert slow["locationInformation"] == f"{task}.?(Task.java:0)"
    assert slow["applicationARN"] == shop_arn
    fetched = [path for method, path, _ in flink.requests if path == jobmanager_log]
    assert len(fetched) == 2  # once per change of the listed size
