"""The job sandbox on a live server running as root (here and in CI): a probe application tries to reach
what belongs to msf-local and to other applications, and jobs that outgrow their KPU's memory or running
application storage fail visibly and restart while the server and the other applications carry on."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import NoResultFound

from app.settings import Settings
from tests.conftest import LiveServer, eventually
from tests.observability.helpers import create_application, job_id, runtime, start_and_wait_running, status

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="jobs switch user only when msf-local is root")

KEY, SECRET, ACCOUNT = "AKIDSANDBOXPROBE", "sandbox-probe-secret", "123456789012"
MARKER = "SANDBOX-PROBE "
RUNNING_JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=20).uid("numbers").add_sink(DiscardingSink())
env.execute("victim")
"""
PROBE_JOB = """
import json, os, signal
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

TARGETS = json.loads({targets!r})
report = {{"uid": os.getuid(), "environment": sorted(os.environ)}}

def attempt(name, action):
    try:
        result = action()
        report[name] = "REACHED: " + repr(result)[:80]
    except Exception as error:
        report[name] = "refused: " + type(error).__name__

def read(path):
    with open(path, "rb") as file:
        return file.read(64)

def write(path):
    with open(path, "w") as file:
        file.write("tampered")

for name, path in TARGETS["read"].items():
    attempt("read " + name, lambda path=path: read(path))
report["data directory as the job sees it"] = sorted(os.listdir(TARGETS["data_dir"]))
attempt("read the server's command line", lambda: read(f"/proc/{{os.getppid()}}/cmdline"))
attempt("overwrite its own entry file", lambda: write(os.path.abspath(__file__)))
attempt("create a file in its code directory", lambda: write(os.path.join(os.getcwd(), "new.py")))
attempt("signal the server (0)", lambda: os.kill(os.getppid(), 0))
attempt("signal the server (SIGTERM)", lambda: os.kill(os.getppid(), signal.SIGTERM))
attempt("write its temporary directory", lambda: write(os.path.join(os.environ["TMPDIR"], "scratch")))
print({marker!r} + json.dumps(report), flush=True)

env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=20).uid("numbers").add_sink(DiscardingSink())
env.execute("probe")
"""
HOG_JOB = """
from stream_runtime import DiscardingSink, RestartStrategies, StreamExecutionEnvironment

def grow(value):
    block = bytes(5 * 1024 ** 3)  # beyond 1 KPU's 4 GiB (calloc: no page is touched if it is granted)
    return value + len(block)

env = StreamExecutionEnvironment.get_execution_environment()
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(1000, 200))
numbers = env.from_sequence(0, None, records_per_second=20).uid("numbers")
numbers.map(grow).uid("grow").add_sink(DiscardingSink())
env.execute("hog")
"""
STORAGE = 16 * 1024**2  # running application storage per KPU on the test server (AWS: 50 GiB)
DISK_HOG_JOB = """
import os
from stream_runtime import DiscardingSink, RestartStrategies, StreamExecutionEnvironment

def spill(value):  # 1 MiB files in its temporary directory: each below the per-file limit, together beyond
    with open(os.path.join(os.environ["TMPDIR"], f"spill-{value}"), "wb") as file:
        file.write(os.urandom(1024 ** 2))
    return value

env = StreamExecutionEnvironment.get_execution_environment()
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(1000, 200))
numbers = env.from_sequence(0, None, records_per_second=20).uid("numbers")
numbers.map(spill).uid("spill").add_sink(DiscardingSink())
env.execute("disk hog")
"""


@pytest.fixture
def backend() -> str:
    """The probe reads the SQLite database file: SQLite only."""
    return "sqlite"


@pytest.fixture
def sandboxed(make_server: Any, tmp_path: Path) -> LiveServer:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({KEY: {"secret_access_key": SECRET, "account_id": ACCOUNT}}))
    credentials.chmod(0o644)  # even readable by everyone, the job must not reach it
    server: LiveServer = make_server(
        auth="strict", credentials_file=credentials, control_interval=0.1, storage_per_kpu=STORAGE
    )
    return server


def attempt_log(live: LiveServer, job: str, attempt: int = 0) -> str:
    path = live.settings.data_dir / "runtime" / "logs" / f"{job}-attempt-{attempt}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def probe_report(live: LiveServer, job: str) -> dict[str, Any] | None:
    for line in attempt_log(live, job).splitlines():
        if MARKER in line:
            report: dict[str, Any] = json.loads(line.split(MARKER, 1)[1])
            return report
    return None


def running_application(kav2: Any, role: str) -> str:
    """A RUNNING application (named after its ``role`` in the test) whose job just runs."""
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    create_application(kav2, name, RUNNING_JOB)
    start_and_wait_running(kav2, name)
    return name


def test_a_probe_job_reaches_nothing_of_the_server_or_other_applications(sandboxed: LiveServer) -> None:
    kav2 = sandboxed.client(access_key=KEY, secret_key=SECRET)
    victim = running_application(kav2, "victim")
    probe = victim.replace("victim", "probe")
    victim_job = job_id(sandboxed, victim)
    data_dir = sandboxed.settings.data_dir
    victim_code = data_dir / "runtime" / "work" / victim_job / "code" / "main.py"
    assert victim_code.is_file()
    targets = {
        "data_dir": str(data_dir),
        "read": {
            "the database file": sandboxed.settings.effective_database_url.removeprefix("sqlite:///"),
            "the credentials file": str(sandboxed.settings.credentials_file),
            "another application's code": str(victim_code),
            "the shared code store": str(next((data_dir / "code").glob("*/main.py"))),
            "another application's job record": str(data_dir / "runtime" / "jobs" / f"{victim_job}.json"),
        },
    }
    code = PROBE_JOB.format(targets=json.dumps(targets), marker=MARKER)
    create_application(kav2, probe, code)
    start_and_wait_running(kav2, probe)
    probe_job = job_id(sandboxed, probe)
    eventually(lambda: probe_report(sandboxed, probe_job) is not None, True, timeout=30)
    report = probe_report(sandboxed, probe_job)
    print("\nWhat the probe job could reach:\n" + json.dumps(report, indent=1))

    assert report is not None, attempt_log(sandboxed, probe_job)
    assert report["uid"] != 0
    environment, seen = report.pop("environment"), report.pop("data directory as the job sees it")
    attempts = {name: outcome for name, outcome in report.items() if name != "uid"}
    assert attempts.pop("write its temporary directory").startswith("REACHED")
    assert all(outcome.startswith("refused") for outcome in attempts.values()), attempts
    assert set(seen) <= {"runtime", "state", "enhanced-snapshots"}  # only the way to its own directories
    assert {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL"} <= set(environment)
    assert not {f"MSF_{name.upper()}" for name in Settings.model_fields} & set(environment)
    assert {status(kav2, victim), status(kav2, probe)} == {"RUNNING"}
    assert victim_code.read_text() == RUNNING_JOB


def test_jobs_beyond_their_memory_or_storage_fail_visibly_and_restart(sandboxed: LiveServer) -> None:
    kav2 = sandboxed.client(access_key=KEY, secret_key=SECRET)
    neighbour = running_application(kav2, "neighbour")
    hogs = {"MemoryError": HOG_JOB, "No space left on device": DISK_HOG_JOB}
    jobs = {}
    for cause, code in hogs.items():
        name = neighbour.replace("neighbour", "hog" if code is HOG_JOB else "disk-hog")
        create_application(kav2, name, code)
        kav2.start_application(ApplicationName=name, RunConfiguration={})
        assert eventually(lambda name=name: job_id_or_none(sandboxed, name) is not None, True, timeout=30)
        jobs[cause] = job_id(sandboxed, name)

    def restarts(job: str) -> int:
        record = runtime(sandboxed).embedded.registry.load(job)
        return 0 if record is None else int(record.restarts)

    for cause, job in jobs.items():
        assert eventually(lambda job=job: restarts(job) >= 2, True, timeout=60)
        record = runtime(sandboxed).embedded.registry.load(job)
        print(f"\nrestarts: {record.restarts}; failure cause tail: {record.failure_cause.strip()[-200:]}")
        assert cause in record.failure_cause
        assert cause in attempt_log(sandboxed, job)
    disk_cause = runtime(sandboxed).embedded.registry.load(jobs["No space left on device"]).failure_cause
    assert "1 KPU x 16.0 MiB" in disk_cause  # the total bound, not the per-file limit (each file is 1 MiB)
    assert status(kav2, neighbour) == "RUNNING"
    assert runtime(sandboxed).status(job_id(sandboxed, neighbour)).restarts == 0


def job_id_or_none(live: LiveServer, name: str) -> str | None:
    try:
        return job_id(live, name)
    except (AssertionError, NoResultFound):  # no deployment yet, or no job id on it yet
        return None
