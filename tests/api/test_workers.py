"""``msf-local serve --workers 2`` as a real subprocess: every answer consistent across worker processes,
version increments never lost, the control loop and the embedded AWS services in one process only."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from tests.conftest import aws_client, eventually, free_port, start_server, stop_server

BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/workers"
TARGET_PREFIX = "KinesisAnalytics_20180523."
UPDATERS = 4
UPDATES_EACH = 8


@dataclass
class Served:
    """A ``msf-local serve`` subprocess and its port."""

    process: subprocess.Popen[bytes]
    port: int

    def client(self, service: str = "kinesisanalyticsv2") -> Any:
        return aws_client(f"http://127.0.0.1:{self.port}", service)

    def call(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One request on a connection of its own (so that successive calls reach either worker)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {
                "X-Amz-Target": TARGET_PREFIX + operation,
                "Content-Type": "application/x-amz-json-1.1",
                "Connection": "close",
            }
            connection.request("POST", "/", body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes the serve process spawned."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                command = (stat.parent / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if parent == self.process.pid and b"spawn_main" in command:
                pids.append(int(stat.parent.name))
        return pids


@contextmanager
def serve_with_workers(data_dir: Path, runtime: str = "fake") -> Iterator[Served]:
    """``msf-local serve --workers 2`` on a free port until the block exits (bounded start-up wait)."""
    port = free_port()
    environment = {**os.environ, "MSF_CONTROL_INTERVAL": "0.05", "MSF_WORKERS": "2"}
    command = [str(BIN / "msf-local"), "serve", "--port", str(port), "--runtime", runtime]
    command += ["--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    server = Served(process, port)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"msf-local serve exited with {process.returncode}"
            assert time.monotonic() < deadline, "msf-local serve --workers 2 did not start"
            try:
                if server.call("ListApplications", {})[0] == 200 and len(server.worker_pids()) == 2:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_with_workers(tmp_path_factory.mktemp("workers")) as server:
        yield server


def test_two_worker_processes_serve_the_api(served: Served) -> None:
    assert len(served.worker_pids()) == 2


def test_describe_after_every_update_shows_it_whichever_worker_answers(served: Served) -> None:
    status, created = served.call(
        "CreateApplication",
        {"ApplicationName": "sequential", "RuntimeEnvironment": "FLINK-1_20", "ServiceExecutionRole": ROLE},
    )
    assert status == 200
    token = created["ApplicationDetail"]["ConditionalToken"]
    for version in range(2, 22):
        for _ in range(3):  # each on a new connection: the describes land on both workers
            status, described = served.call("DescribeApplication", {"ApplicationName": "sequential"})
            assert status == 200
            assert described["ApplicationDetail"]["ApplicationVersionId"] == version - 1
            assert described["ApplicationDetail"]["ConditionalToken"] == token
        status, updated = served.call(
            "UpdateApplication",
            {
                "ApplicationName": "sequential",
                "ConditionalToken": token,
                "ApplicationConfigurationUpdate": {
                    "EnvironmentPropertyUpdates": {
                        "PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"v": str(version)}}]
                    }
                },
            },
        )
        assert status == 200, updated
        assert updated["ApplicationDetail"]["ApplicationVersionId"] == version
        token = updated["ApplicationDetail"]["ConditionalToken"]
    status, described = served.call("DescribeApplication", {"ApplicationName": "sequential"})
    properties = described["ApplicationDetail"]["ApplicationConfigurationDescription"]
    groups = properties["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"]
    assert groups == [{"PropertyGroupId": "g", "PropertyMap": {"v": "21"}}]


def test_concurrent_updates_through_both_workers_lose_no_version(served: Served) -> None:
    status, _ = served.call(
        "CreateApplication",
        {"ApplicationName": "concurrent", "RuntimeEnvironment": "FLINK-1_20", "ServiceExecutionRole": ROLE},
    )
    assert status == 200
    versions: list[int] = []
    failures: list[Any] = []

    def update(worker: int) -> None:
        for step in range(UPDATES_EACH):
            body = {
                "ApplicationName": "concurrent",
                "ApplicationConfigurationUpdate": {
                    "EnvironmentPropertyUpdates": {
                        "PropertyGroups": [
                            {"PropertyGroupId": f"g{worker}", "PropertyMap": {"step": str(step)}}
                        ]
                    }
                },
            }
            status, answer = served.call("UpdateApplication", body)
            if status == 200:
                versions.append(answer["ApplicationDetail"]["ApplicationVersionId"])
            else:
                failures.append(answer)

    threads = [threading.Thread(target=update, args=(worker,)) for worker in range(UPDATERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(versions) == list(range(2, 2 + UPDATERS * UPDATES_EACH))
    for _ in range(4):
        status, described = served.call("DescribeApplication", {"ApplicationName": "concurrent"})
        assert described["ApplicationDetail"]["ApplicationVersionId"] == 1 + UPDATERS * UPDATES_EACH


def _code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", "print('job')\n")
    return buffer.getvalue()


def test_the_one_control_loop_starts_and_stops_an_application(served: Served) -> None:
    kav2 = served.client()
    kav2.create_application(
        ApplicationName="run",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": _code_zip()},
                "CodeContentType": "ZIPFILE",
            }
        },
    )
    kav2.start_application(ApplicationName="run", RunConfiguration={})

    def status() -> str:
        detail = served.call("DescribeApplication", {"ApplicationName": "run"})[1]["ApplicationDetail"]
        return str(detail["ApplicationStatus"])

    assert eventually(status, "RUNNING", interval=0.1) == "RUNNING"
    kav2.stop_application(ApplicationName="run")
    assert eventually(status, "READY", interval=0.1) == "READY"
    operations = kav2.list_application_operations(ApplicationName="run")["ApplicationOperationInfoList"]
    assert [(o["Operation"], o["OperationStatus"]) for o in operations] == [
        ("StopApplication", "SUCCESSFUL"),
        ("StartApplication", "SUCCESSFUL"),
    ]


def test_embedded_s3_is_one_store_behind_every_worker(served: Served) -> None:
    served.client("s3").create_bucket(Bucket="shared-bucket")
    served.client("s3").put_object(Bucket="shared-bucket", Key="k", Body=b"payload")
    for _ in range(6):  # a new client, so a new connection, each time
        body = served.client("s3").get_object(Bucket="shared-bucket", Key="k")["Body"].read()
        assert body == b"payload"


def test_an_api_worker_neither_migrates_nor_runs_the_control_loop(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", controller_url="http://127.0.0.1:9", port=free_port())
    live = start_server(settings)
    try:
        assert not hasattr(live.server.config.app.state, "control_loop")
        assert not (tmp_path / "data").exists()  # nothing migrated, no database created
    finally:
        stop_server(live)
