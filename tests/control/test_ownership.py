"""One owner per data directory and per database: a second msf-local stops at once, naming the first,
before it has migrated, started its control loop or touched any job (issue 10, item 1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.db.ownership import LOCK_FILE, Ownership, OwnershipError
from tests.api.app_helpers import python_zip as code_zip
from tests.conftest import LiveServer, PostgresServer, eventually, free_port
from tests.control.test_live_server import JOB, create, operation_status, status

BIN = Path(sys.executable).parent


def job_processes(data_dir: Path) -> list[int]:
    """Pids of the job processes running code from ``data_dir`` (read from the process table)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"stream_runtime" in command and any(str(data_dir).encode() in part for part in command):
            pids.append(int(entry.name))
    return sorted(pids)


def run_second_server(data_dir: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """``msf-local serve`` as a user would start it; it must exit by itself (bounded)."""
    return subprocess.run(
        [
            str(BIN / "msf-local"),
            "serve",
            "--port",
            str(free_port()),
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def running_application(live: LiveServer) -> Any:
    kav2 = live.client()
    create(
        kav2,
        "numbers",
        {"ZipFileContent": code_zip({"main.py": JOB})},
        EnvironmentProperties={"PropertyGroups": [{"PropertyGroupId": "Job", "PropertyMap": {"rate": "50"}}]},
        ApplicationSnapshotConfiguration={"SnapshotsEnabled": False},
    )
    started = kav2.start_application(ApplicationName="numbers")
    outcome = eventually(lambda: operation_status(kav2, "numbers", started["OperationId"]), "SUCCESSFUL")
    assert outcome == "SUCCESSFUL"
    return kav2


def assert_untouched(kav2: Any, data_dir: Path, before: list[int]) -> None:
    assert status(kav2, "numbers") == "RUNNING"
    assert job_processes(data_dir) == before  # the same one job process: none started, none stopped
    operations = kav2.list_application_operations(ApplicationName="numbers")["ApplicationOperationInfoList"]
    assert [operation["Operation"] for operation in operations] == ["StartApplication"]


def test_a_second_server_on_the_same_data_directory_exits_naming_the_first(
    make_server: Any, database_url: str
) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = running_application(live)
    data_dir = live.settings.data_dir
    before = job_processes(data_dir)
    assert len(before) == 1

    second = run_second_server(data_dir, database_url)

    assert second.returncode != 0
    assert f"data directory {data_dir} is in use by msf-local pid {os.getpid()}" in second.stderr
    assert f"port {live.settings.port}" in second.stderr
    assert "Traceback" not in second.stderr
    time.sleep(0.5)  # a few control-loop ticks of the first server
    assert_untouched(kav2, data_dir, before)
    kav2.stop_application(ApplicationName="numbers", Force=True)
    assert eventually(lambda: status(kav2, "numbers"), "READY") == "READY"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_second_server_on_the_same_postgresql_database_exits_naming_the_first(
    make_server: Any, database_url: str, tmp_path: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = running_application(live)
    before = job_processes(live.settings.data_dir)
    assert len(before) == 1

    second = run_second_server(tmp_path / "another-data-dir", database_url)

    assert second.returncode != 0
    assert "is in use by msf-local pid" in second.stderr and str(os.getpid()) in second.stderr
    assert not (tmp_path / "another-data-dir" / "msf-local.db").exists()
    assert_untouched(kav2, live.settings.data_dir, before)
    kav2.stop_application(ApplicationName="numbers", Force=True)
    assert eventually(lambda: status(kav2, "numbers"), "READY") == "READY"


def test_the_lock_is_released_at_shutdown_and_by_a_dead_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'msf.db'}"
    first = Ownership(tmp_path / "data", url, 4590)
    first.acquire()
    with pytest.raises(OwnershipError, match=f"data directory .* is in use by msf-local pid {os.getpid()}"):
        Ownership(tmp_path / "data", url, 4591).acquire()
    with pytest.raises(OwnershipError, match=r"database .*msf\.db is in use by msf-local"):
        Ownership(tmp_path / "other-data", url, 4591).acquire()
    first.release()
    second = Ownership(tmp_path / "data", url, 4591)
    second.acquire()
    second.release()

    holder = subprocess.Popen(  # a holder killed with SIGKILL leaves no lock behind
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from app.db.ownership import Ownership; "
            "Ownership(Path(sys.argv[1]), sys.argv[2], 1).acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(tmp_path / "data"),
            url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OwnershipError, match=f"pid {holder.pid}"):
            Ownership(tmp_path / "data", url, 4592).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    third = Ownership(tmp_path / "data", url, 4592)
    third.acquire()
    assert (tmp_path / "data" / LOCK_FILE).is_file()
    third.release()


def test_postgresql_advisory_lock_names_its_holder(postgres_server: PostgresServer, tmp_path: Path) -> None:
    name = postgres_server.create_database()
    url = postgres_server.sqlalchemy_url(name)
    try:
        first = Ownership(tmp_path / "one", url, 4590)
        first.acquire()
        with pytest.raises(OwnershipError, match=f"is in use by msf-local pid {os.getpid()} .*:4590"):
            Ownership(tmp_path / "two", url, 4591).acquire()
        first.release()
        second = Ownership(tmp_path / "two", url, 4591)
        second.acquire()
        second.release()
    finally:
        postgres_server.drop_database(name)
