"""One boto3 scenario, run unchanged on an embedded-only msf-local and on ``msf-local serve --flink local``:
the API cannot tell the two runtimes apart.

The same calls go to both servers; only the bytes of the code object in the embedded S3 differ (a
``stream_runtime`` program for the embedded runtime, the counting JAR for Flink, which routing picks by
content). The scenario records what the API shows: the status after each transition (every status seen
on the way must lie on the documented path), the operations and their statuses, the shape of the snapshot
listing, the error codes of the same bad calls, and that a failure of the job's machinery (kill -9 of the
job process / of the TaskManager) keeps the application RUNNING and is counted by ``fullRestarts``.

The Flink side is a real ``msf-local serve --flink local`` subprocess that starts its own cluster; when
it stops, none of the cluster's JVMs may be left in the process table. On Flink the job is also checked
to have recovered from a checkpoint (not from the savepoint it was started from).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.api.app_helpers import python_zip
from tests.chaos.harness import ServerProcess, job_processes
from tests.conftest import LiveServer, aws_client, eventually, free_port
from tests.control.test_live_server import JOB, create_from_s3, rescale

# a second real cluster on a loaded 2-core machine
pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(900)]
NAME = "story"
PROPERTIES = [{"PropertyGroupId": "Job", "PropertyMap": {"rate": "50"}}]
CHECKPOINTS = {
    "ConfigurationType": "CUSTOM",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 500,
    "MinPauseBetweenCheckpoints": 0,
}
STARTING = ("STARTING", "RUNNING")
UPDATING = ("RUNNING", "UPDATING", "RUNNING")
STOPPING = ("RUNNING", "STOPPING", "READY")
FORCE_STOPPING = ("RUNNING", "FORCE_STOPPING", "STOPPING", "READY")


@dataclass
class Side:
    """One server of the comparison: its URL, the code it runs, how to fail its job's machinery and how
    to see (below the API) that the job recovered."""

    url: str
    code: bytes
    fail: Callable[[], None]
    recovered: Callable[[], bool]

    def client(self, service: str = "kinesisanalyticsv2") -> Any:
        return aws_client(self.url, service)


def error_code(call: Callable[[], Any]) -> str:
    """The AWS error code ``call`` answers with (it must fail, with a 4xx, never a 500)."""
    try:
        call()
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] < 500, error.response
        return str(error.response["Error"]["Code"])
    raise AssertionError("the call succeeded")


def on_path(seen: list[str], path: tuple[str, ...]) -> bool:
    """Whether the statuses seen (consecutive repeats removed) are a subsequence of ``path``."""
    remaining = iter(path)
    return all(status in remaining for status in seen)


def transition(kav2: Any, operation_id: str, path: tuple[str, ...]) -> tuple[str, str, bool]:
    """Poll until the operation ends: (operation status, application status, every status on ``path``)."""
    seen: list[str] = []

    def step() -> str:
        status = kav2.describe_application(ApplicationName=NAME)["ApplicationDetail"]["ApplicationStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        details = kav2.describe_application_operation(ApplicationName=NAME, OperationId=operation_id)
        return str(details["ApplicationOperationInfoDetails"]["OperationStatus"])

    outcome = eventually(lambda: step() != "IN_PROGRESS", True, timeout=300)
    assert outcome, f"operation {operation_id} did not end; statuses {seen}"
    status = kav2.describe_application(ApplicationName=NAME)["ApplicationDetail"]["ApplicationStatus"]
    details = kav2.describe_application_operation(ApplicationName=NAME, OperationId=operation_id)
    return details["ApplicationOperationInfoDetails"]["OperationStatus"], status, on_path(seen, path)


def full_restarts(cloudwatch: Any, name: str) -> float:
    """The highest ``fullRestarts`` msf-local published for application ``name`` in the last minutes."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/KinesisAnalytics",
        MetricName="fullRestarts",
        Dimensions=[{"Name": "Application", "Value": name}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=1,
        Statistics=["Maximum"],
    )["Datapoints"]
    return max((point["Maximum"] for point in points), default=0.0)


def story(side: Side) -> dict[str, Any]:
    """The scenario; what the API showed at each step."""
    kav2, s3, cloudwatch = side.client(), side.client("s3"), side.client("cloudwatch")
    create_from_s3(
        kav2,
        s3,
        NAME,
        side.code,
        bucket="code",
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": True},
        EnvironmentProperties={"PropertyGroups": PROPERTIES},
        FlinkApplicationConfiguration={"CheckpointConfiguration": CHECKPOINTS},
    )
    seen: dict[str, Any] = {}

    def status() -> str:
        return str(kav2.describe_application(ApplicationName=NAME)["ApplicationDetail"]["ApplicationStatus"])

    def start(**restore: Any) -> str:
        run = {"ApplicationRestoreConfiguration": restore} if restore else {}
        return str(kav2.start_application(ApplicationName=NAME, RunConfiguration=run)["OperationId"])

    seen["created"] = status()
    seen["snapshot while READY"] = error_code(
        lambda: kav2.create_application_snapshot(ApplicationName=NAME, SnapshotName="early")
    )
    seen["stop while READY"] = error_code(lambda: kav2.stop_application(ApplicationName=NAME))
    seen["start"] = transition(kav2, start(), STARTING)
    seen["start while RUNNING"] = error_code(start)
    kav2.create_application_snapshot(ApplicationName=NAME, SnapshotName="custom")
    seen["snapshot"] = eventually(
        lambda: kav2.describe_application_snapshot(ApplicationName=NAME, SnapshotName="custom")[
            "SnapshotDetails"
        ]["SnapshotStatus"],
        "READY",
        timeout=120,
    )
    seen["same snapshot name"] = error_code(
        lambda: kav2.create_application_snapshot(ApplicationName=NAME, SnapshotName="custom")
    )
    seen["unknown snapshot"] = error_code(
        lambda: kav2.describe_application_snapshot(ApplicationName=NAME, SnapshotName="nope")
    )
    seen["stale version"] = error_code(
        lambda: kav2.update_application(
            ApplicationName=NAME,
            CurrentApplicationVersionId=99,
            ApplicationConfigurationUpdate={
                "FlinkApplicationConfigurationUpdate": {
                    "ParallelismConfigurationUpdate": {
                        "ConfigurationTypeUpdate": "CUSTOM",
                        "ParallelismUpdate": 2,
                    }
                }
            },
        )
    )
    seen["rescale to 2"] = transition(kav2, rescale(kav2, NAME, 2), UPDATING)
    detail = kav2.describe_application(ApplicationName=NAME)["ApplicationDetail"]
    flink = detail["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    seen["version, parallelism"] = (
        detail["ApplicationVersionId"],
        flink["ParallelismConfigurationDescription"],
    )
    seen["stop"] = transition(kav2, kav2.stop_application(ApplicationName=NAME)["OperationId"], STOPPING)
    seen["restore"] = transition(kav2, start(ApplicationRestoreType="RESTORE_FROM_LATEST_SNAPSHOT"), STARTING)

    side.fail()
    statuses: set[str] = set()

    def restarted() -> bool:
        statuses.add(status())
        return full_restarts(cloudwatch, NAME) >= 1 and side.recovered()

    seen["restarted after a failure"] = eventually(restarted, True, timeout=180)
    seen["statuses while recovering"] = sorted(statuses)
    stopped = kav2.stop_application(ApplicationName=NAME, Force=True)["OperationId"]
    seen["force stop"] = transition(kav2, stopped, FORCE_STOPPING)

    operations = kav2.list_application_operations(ApplicationName=NAME)["ApplicationOperationInfoList"]
    seen["operations"] = [(o["Operation"], o["OperationStatus"]) for o in operations]
    snapshots = sorted(
        kav2.list_application_snapshots(ApplicationName=NAME)["SnapshotSummaries"],
        key=lambda s: s["SnapshotCreationTimestamp"],
    )
    seen["snapshots"] = [
        (sorted(s), s["SnapshotStatus"], s["SnapshotName"] == "custom", s["ApplicationVersionId"])
        for s in snapshots
    ]
    custom = next(s for s in snapshots if s["SnapshotName"] == "custom")
    seen["delete snapshot at a wrong time"] = error_code(
        lambda: kav2.delete_application_snapshot(
            ApplicationName=NAME,
            SnapshotName="custom",
            SnapshotCreationTimestamp=custom["SnapshotCreationTimestamp"] + timedelta(seconds=5),
        )
    )
    created = kav2.describe_application(ApplicationName=NAME)["ApplicationDetail"]["CreateTimestamp"]
    kav2.delete_application(ApplicationName=NAME, CreateTimestamp=created)
    seen["deleted"] = eventually(lambda: error_code(status), "ResourceNotFoundException", timeout=120)
    return seen


def flink_processes(marker: str) -> list[int]:
    """Live processes whose command line names ``marker`` (the cluster's directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and marker.encode() in (entry / "cmdline").read_bytes()
                and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_same_boto3_story_on_the_embedded_runtime_and_on_serve_flink_local(
    make_server: Any,
    counting_jar: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the Flink server (and its cluster) starts while the embedded story runs
    rest_port = free_port()
    monkeypatch.setenv("MSF_FLINK_REST_PORT", str(rest_port))
    monkeypatch.setenv("MSF_FLINK_RPC_PORT", str(free_port()))
    flink_dir = tmp_path / "flink-side"
    flink_dir.mkdir()
    served = ServerProcess(
        flink_dir / "data",
        f"sqlite:///{flink_dir / 'msf.db'}",
        flink_dir,
        control_interval=0.05,
        options=("--flink", "local", "--metrics-period", "1"),
    )
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            served.start(timeout=300)
        except BaseException as error:  # reported by the test thread
            failures.append(error)

    starting = threading.Thread(target=serve)
    starting.start()
    cluster_dir = flink_dir / "data" / "flink"
    pids: set[int] = set()
    try:
        live: LiveServer = make_server(control_interval=0.05, metrics_period=1)

        killed: dict[str, Any] = {}

        def kill_job_process() -> None:
            (killed["pid"],) = job_processes(live.settings.data_dir)
            os.kill(killed["pid"], signal.SIGKILL)

        def job_process_replaced() -> bool:
            return set(job_processes(live.settings.data_dir)) - {killed["pid"]} != set()

        code = python_zip({"main.py": JOB})
        embedded = story(Side(live.url, code, kill_job_process, job_process_replaced))

        starting.join(timeout=320)
        assert not failures and served.process is not None, f"{failures} {served.log_tail()}"
        rest = httpx.Client(base_url=f"http://127.0.0.1:{rest_port}", timeout=10)

        def kill_task_manager() -> None:
            (job,) = [j for j in rest.get("/jobs/overview").json()["jobs"] if j["state"] == "RUNNING"]
            # a checkpoint after the restore, so that recovery has one to come back from
            checkpoints = f"/jobs/{job['jid']}/checkpoints"
            assert eventually(lambda: rest.get(checkpoints).json()["counts"]["completed"] > 0, True)
            processes = json.loads((cluster_dir / "cluster.json").read_text())["processes"]
            (pid,) = [p["pid"] for p in processes if p["role"] == "taskmanager"]
            pids.update(p["pid"] for p in processes)
            killed["job"] = job["jid"]
            os.kill(pid, signal.SIGKILL)

        def job_recovered_from_a_checkpoint() -> bool:
            """All tasks run again, restored from a checkpoint taken after the restore (not the savepoint)."""
            job = killed["job"]
            (tasks,) = [j["tasks"] for j in rest.get("/jobs/overview").json()["jobs"] if j["jid"] == job]
            restored = rest.get(f"/jobs/{job}/checkpoints").json()["latest"]["restored"] or {}
            return tasks["running"] == tasks["total"] and restored.get("is_savepoint") is False

        flink_side = Side(
            f"http://127.0.0.1:{served.port}",
            counting_jar.read_bytes(),
            kill_task_manager,
            job_recovered_from_a_checkpoint,
        )
        on_flink = story(flink_side)

        assert on_flink == embedded
        assert embedded["statuses while recovering"] == ["RUNNING"]
        assert all(embedded[step][2] for step in ("start", "rescale to 2", "stop", "restore", "force stop"))
        pids.update(p["pid"] for p in json.loads((cluster_dir / "cluster.json").read_text())["processes"])
    finally:
        starting.join(timeout=320)
        served.stop()
    # stopping msf-local stopped its cluster: none of the JVMs it started is left
    assert flink_processes(str(cluster_dir)) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids)
