"""Flink lifecycle latencies: through kinesisanalyticsv2 (msf-local) against Flink's REST API directly.

One local 127.0.0.1 cluster (from ``msf-local[flink]``) and one msf-local (``--flink-rest-url`` to it,
SQLite, its default control interval: the loop ticks at once after an API call and every 50 ms while an
application changes status; metrics published every second so ``fullRestarts`` shows a restart quickly) are
started here. The Java counting job of the tests is compiled with javac. Both sides checkpoint every
second and both lose their TaskManager the same way (``kill -9``; the cluster's watchdog starts another).
Each step is measured the same way in the same run, polling every 20 ms:

- submit → all tasks RUNNING: REST ``/jars/:id/run`` then ``/jobs/overview`` vs StartApplication → RUNNING
- stop-with-savepoint: ``/jobs/:id/stop`` → FINISHED vs StopApplication → READY
- resubmit from the savepoint at parallelism 2 → RUNNING vs StartApplication (restore) + UpdateApplication p=2
- kill -9 of the TaskManager → all tasks RUNNING again (the job recovers from its latest checkpoint).
  Through the API a TaskManager failure is no status change (the application stays RUNNING, as on AWS):
  the step ends when msf-local's ``fullRestarts`` metric counts the restart *and* Flink runs all tasks
  again (once the restart is counted, each poll reads only what the direct side reads), with
  DescribeApplication read throughout on a thread of its own (any other status than RUNNING fails the
  bench).

Prints seconds per step, the difference and the ratio; the target is "at most +10 % or +300 ms,
whichever is larger".

    .venv/bin/python bench/flink_lifecycle.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.settings import Settings  # noqa: E402
from runtime_adapter.flink.cluster import LocalFlinkCluster  # noqa: E402
from runtime_adapter.flink.config import ClusterConfig  # noqa: E402
from runtime_adapter.flink.distribution import flink_home  # noqa: E402
from tests.conftest import free_port, start_server, stop_server  # noqa: E402
from tests.control.test_live_server import create_from_s3  # noqa: E402
from tests.flink.test_same_story import full_restarts  # noqa: E402

# the same checkpointing both ways: every second (a TaskManager kill needs a checkpoint to recover from)
CHECKPOINTS = {
    "ConfigurationType": "CUSTOM",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 1000,
    "MinPauseBetweenCheckpoints": 0,
}
CHECKPOINTS_ON_FLINK = {"execution.checkpointing.interval": "1000 ms"}
# msf-local publishes fullRestarts this often (AWS and msf-local's default: every minute). The restart is
# counted 1.5-3 s after the kill, long before the job runs again (~10 s), so the period does not end the step
# later; each publication samples about 12 Flink REST endpoints, and at 0.2 s that load alone (not a user's)
# slowed the replacement TaskManager's start by ~1 s on 2 cores.
METRICS_PERIOD_S = 1.0
# one keep-alive client for every direct call and poll, as msf-local's adapter has (a new connection per
# 20 ms poll would cost this process, which also hosts msf-local, as much CPU as the TaskManager's start)
FLINK_HTTP = httpx.Client(timeout=30.0)


def until(check: Callable[[], bool], timeout: float = 300.0) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError("step did not finish")
        time.sleep(0.02)
    return time.monotonic() - start


def build_jar(work: Path) -> Path:
    sources = [str(p) for p in (ROOT / "tests" / "flink" / "jobs").rglob("*.java")]
    classes = work / "classes"
    subprocess.run(["javac", "-d", str(classes), "-cp", f"{flink_home() / 'lib'}/*", *sources], check=True)
    jar = work / "counting-job.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr(
            "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: msflocal.CountingJob\n\n"
        )
        for path in classes.rglob("*.class"):
            archive.write(path, path.relative_to(classes).as_posix())
    return jar


def all_running(rest: str, job: str) -> bool:
    """Whether every task of ``job`` runs (a source subtask without a split finishes at once)."""
    jobs = FLINK_HTTP.get(f"{rest}/jobs/overview").json()["jobs"]
    done = [j["tasks"]["running"] + j["tasks"]["finished"] for j in jobs if j["jid"] == job]
    totals = [j["tasks"]["total"] for j in jobs if j["jid"] == job]
    return bool(done) and done == totals


def kill_task_manager(cluster: LocalFlinkCluster, rest: str, job: str) -> float:
    """After a completed checkpoint, ``kill -9`` the TaskManager; the kill's monotonic time."""
    until(lambda: FLINK_HTTP.get(f"{rest}/jobs/{job}/checkpoints").json()["counts"]["completed"] > 0)
    (pid,) = cluster.task_manager_pids()
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    return killed


def direct(cluster: LocalFlinkCluster, jar: Path, work: Path) -> dict[str, float]:
    rest = cluster.rest_url
    jar_id = Path(
        FLINK_HTTP.post(f"{rest}/jars/upload", files={"jarfile": jar.open("rb")}).json()["filename"]
    ).name
    args = ["200", "10", "20", str(work / f"out-{uuid.uuid4().hex}")]

    def running(job: str) -> bool:
        return all_running(rest, job)

    def state(job: str) -> str:
        return str(FLINK_HTTP.get(f"{rest}/jobs/{job}/status").json()["status"])

    times: dict[str, float] = {}
    start = time.monotonic()
    first = {"programArgsList": args, "flinkConfiguration": CHECKPOINTS_ON_FLINK}
    job = FLINK_HTTP.post(f"{rest}/jars/{jar_id}/run", json=first, timeout=120).json()["jobid"]
    until(lambda: running(job))
    times["submit→RUNNING"] = time.monotonic() - start
    start = time.monotonic()
    trigger = FLINK_HTTP.post(
        f"{rest}/jobs/{job}/stop", json={"drain": False, "targetDirectory": f"file://{work}/sp"}
    ).json()
    until(lambda: state(job) == "FINISHED")
    times["stop-with-savepoint"] = time.monotonic() - start
    location = FLINK_HTTP.get(f"{rest}/jobs/{job}/savepoints/{trigger['request-id']}").json()["operation"][
        "location"
    ]
    start = time.monotonic()
    body = {**first, "parallelism": 2, "savepointPath": location}
    again = FLINK_HTTP.post(f"{rest}/jars/{jar_id}/run", json=body, timeout=120).json()["jobid"]
    until(lambda: running(again))
    times["resubmit p=2→RUNNING"] = time.monotonic() - start
    start = kill_task_manager(cluster, rest, again)
    until(lambda: not running(again))
    until(lambda: running(again))
    times["TM kill→RUNNING"] = time.monotonic() - start
    FLINK_HTTP.patch(f"{rest}/jobs/{again}?mode=cancel")
    until(lambda: state(again) == "CANCELED")
    return times


class Statuses:
    """Reads the application's status every metrics period on a thread of its own while the block runs."""

    def __init__(self, read: Callable[[], str]) -> None:
        self.read = read
        self.seen: set[str] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Statuses:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=30)
        self.seen.add(self.read())

    def _run(self) -> None:
        while not self._done.wait(METRICS_PERIOD_S):
            self.seen.add(self.read())


def through_api(url: str, jar: Path, cluster: LocalFlinkCluster) -> dict[str, float]:
    credentials: dict[str, Any] = {
        "region_name": "us-east-1",
        "aws_access_key_id": "a",
        "aws_secret_access_key": "b",
    }
    kav2 = boto3.client("kinesisanalyticsv2", endpoint_url=url, **credentials)
    s3 = boto3.client("s3", endpoint_url=url, **credentials)
    cloudwatch = boto3.client("cloudwatch", endpoint_url=url, **credentials)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    create_from_s3(
        kav2,
        s3,
        name,
        jar.read_bytes(),
        bucket=name,
        key="job.jar",
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": True},
        FlinkApplicationConfiguration={"CheckpointConfiguration": CHECKPOINTS},
    )

    def status() -> str:
        return str(kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"])

    def running() -> bool:
        """RUNNING yet; a start that failed (the application back to READY) ends the bench with its error."""
        now = status()
        if now == "READY":
            operations = kav2.list_application_operations(ApplicationName=name)[
                "ApplicationOperationInfoList"
            ]
            last = kav2.describe_application_operation(
                ApplicationName=name, OperationId=operations[0]["OperationId"]
            )["ApplicationOperationInfoDetails"]
            error = (last.get("OperationFailureDetails") or {}).get("ErrorInfo", {}).get("ErrorString")
            raise AssertionError(f"{last['Operation']} ended {last['OperationStatus']}: {error}")
        return now == "RUNNING"

    times: dict[str, float] = {}
    start = time.monotonic()
    kav2.start_application(ApplicationName=name)
    until(running)
    times["submit→RUNNING"] = time.monotonic() - start
    start = time.monotonic()
    kav2.stop_application(ApplicationName=name)
    until(lambda: status() == "READY")
    times["stop-with-savepoint"] = time.monotonic() - start
    version = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]
    kav2.update_application(
        ApplicationName=name,
        CurrentApplicationVersionId=version,
        ApplicationConfigurationUpdate={
            "FlinkApplicationConfigurationUpdate": {
                "ParallelismConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "CUSTOM",
                    "ParallelismUpdate": 2,
                }
            }
        },
    )
    start = time.monotonic()
    restore = {"ApplicationRestoreConfiguration": {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}}
    kav2.start_application(ApplicationName=name, RunConfiguration=restore)
    until(running)
    times["resubmit p=2→RUNNING"] = time.monotonic() - start
    rest = cluster.rest_url
    jobs = FLINK_HTTP.get(f"{rest}/jobs/overview").json()["jobs"]
    (job,) = [j["jid"] for j in jobs if j["state"] == "RUNNING"]  # the REST side cancelled its own
    restarts = full_restarts(cloudwatch, name)
    counted = threading.Event()
    next_read = [0.0]

    def recovered() -> bool:
        # fullRestarts changes once per publication: read it that often, then poll as the direct side does
        if not counted.is_set() and time.monotonic() >= next_read[0]:
            next_read[0] = time.monotonic() + METRICS_PERIOD_S
            if full_restarts(cloudwatch, name) > restarts:
                counted.set()
        return counted.is_set() and all_running(rest, job)

    with Statuses(status) as statuses:
        start = kill_task_manager(cluster, rest, job)
        until(recovered)
        times["TM kill→RUNNING"] = time.monotonic() - start
    if statuses.seen != {"RUNNING"}:
        raise AssertionError(f"the application left RUNNING after the TaskManager kill: {statuses.seen}")
    kav2.stop_application(ApplicationName=name, Force=True)
    until(lambda: status() == "READY")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="msf-flink-bench-"))
    cluster = LocalFlinkCluster(
        ClusterConfig(data_dir=work / "flink", rest_port=free_port(), rpc_port=free_port())
    )
    server = None
    try:
        jar = build_jar(work)
        cluster.start(timeout_s=300)
        settings = Settings(
            data_dir=work / "msf",
            port=free_port(),
            flink_rest_url=cluster.rest_url,
            metrics_period=METRICS_PERIOD_S,
        )
        server = start_server(settings)
        through_api(server.url, jar, cluster)  # warm-up: launcher compile, first upload, JIT
        results: dict[str, dict[str, list[float]]] = {"REST": {}, "API": {}}
        for _ in range(rounds):
            for label, run in (
                ("REST", lambda: direct(cluster, jar, work)),
                ("API", lambda: through_api(server.url, jar, cluster)),
            ):
                for step, seconds in run().items():
                    results[label].setdefault(step, []).append(seconds)
        print(
            f"{'step':24} {'REST s':>8} {'API s':>8} {'+s':>7} {'ratio':>6} {'allowed':>8}"
            f"   (median of {rounds}; load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)"
        )
        for step in results["REST"]:
            rest, api = statistics.median(results["REST"][step]), statistics.median(results["API"][step])
            allowed = max(0.3, 0.1 * rest)
            print(f"{step:24} {rest:8.2f} {api:8.2f} {api - rest:7.2f} {api / rest:6.2f} {allowed:8.2f}")
        for label, steps in results.items():
            for step, seconds in steps.items():
                print(f"  {label:4} {step:24} " + " ".join(f"{value:.2f}" for value in seconds))
    finally:
        if server is not None:
            stop_server(server)
        cluster.stop()
        FLINK_HTTP.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
