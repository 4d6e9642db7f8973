"""A real ``msf-local serve`` in a subprocess that tests kill with SIGKILL and restart on the same data
directory, the job processes it runs (read from the process table), and the chaos application.

The chaos application tails an input file (the "records" the tests put) and writes every line through a
keyed operator into the exactly-once file sink. Both live in plain files, so they survive any restart of
msf-local; the embedded S3/Kinesis are not used. Every wait is a bounded poll.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from stream_runtime.sinks import read_committed_lines
from tests.conftest import aws_client, free_port

T = TypeVar("T")
BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/msf"
APP = "chaos"
TRANSIENT = {"STARTING", "UPDATING", "STOPPING", "FORCE_STOPPING", "ROLLING_BACK", "AUTOSCALING", "DELETING"}
SETTLE_S = 30.0  # the bound on a transient status (and on an operation IN_PROGRESS) after a restart

RESTART_DELAY_MS = 100
JOB = f"""
from stream_runtime import ExactlyOnceFileSink, FileSource, RestartStrategies, StreamExecutionEnvironment
from stream_runtime.properties import get_application_properties

files = get_application_properties()["Files"]
env = StreamExecutionEnvironment.get_execution_environment()
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(1000, {RESTART_DELAY_MS}))
source = FileSource(files["input"], starting_offset="earliest", monitor=True)
(
    env.from_source(source, "records")
    .uid("records")
    .set_parallelism(1)
    .key_by(lambda line: int(line) % 7)
    .map(lambda line: line)
    .uid("pass")
    .add_sink(ExactlyOnceFileSink(files["output"]))
    .uid("sink")
)
env.execute("chaos")
"""


def poll(read: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float = 0.05) -> T:
    """Read until ``done`` holds or ``timeout`` seconds passed; the last value read."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = read()
    return value


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", JOB)
    return buffer.getvalue()


# ---------------------------------------------------------------- the process table


def _process(entry: Path) -> tuple[list[bytes], str] | None:
    try:
        argv = (entry / "cmdline").read_bytes().split(b"\0")
        state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    return argv, state


def job_processes(data_dir: Path) -> dict[int, list[str]]:
    """Live ``stream_runtime run`` processes whose checkpoints go under ``data_dir``: pid → argv."""
    found: dict[int, list[str]] = {}
    marker = str(data_dir).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        process = _process(entry)
        if process is None:
            continue
        argv, state = process
        if b"stream_runtime" in argv and b"run" in argv and marker in b" ".join(argv) and state != "Z":
            found[int(entry.name)] = [part.decode() for part in argv if part]
    return found


def parallelism_of(argv: list[str]) -> int:
    """The ``--parallelism`` a job process runs with (1 if the flag is absent)."""
    return int(argv[argv.index("--parallelism") + 1]) if "--parallelism" in argv else 1


# ---------------------------------------------------------------- the server


@dataclass
class ServerProcess:
    """``msf-local serve`` on ``data_dir`` and ``database_url``, restartable after a ``kill -9``."""

    data_dir: Path
    database_url: str
    log_dir: Path
    control_interval: float = 0.1
    options: tuple[str, ...] = ()  # more ``serve`` options, e.g. ("--flink", "local")
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0
    _logs: list[Any] = field(default_factory=list)

    def start(self, timeout: float = 60.0) -> None:
        """Start (or restart) the server and wait, bounded, until it answers the API."""
        assert self.process is None, "already running"
        self.port = free_port()
        self.starts += 1
        log = open(self.log_dir / f"server-{self.starts}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        env = {**os.environ, "MSF_CONTROL_INTERVAL": str(self.control_interval)}
        self.process = subprocess.Popen(
            [
                str(BIN / "msf-local"),
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--database-url",
                self.database_url,
                *self.options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        # its own words that it listens: another process may have taken the free port meanwhile
        listening = f"Uvicorn running on http://127.0.0.1:{self.port} "
        deadline = time.monotonic() + timeout
        while listening not in self.log_tail(characters=100_000):
            if self.process.poll() is not None:
                raise RuntimeError(f"msf-local exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"msf-local did not listen within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """``kill -9`` of the server; returns once it is gone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then whatever is left of its job processes is killed."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None
        for pid in job_processes(self.data_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for log in self._logs:
            log.close()

    def log_tail(self, characters: int = 4000) -> str:
        path = self.log_dir / f"server-{self.starts}.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""

    def client(self, service: str = "kinesisanalyticsv2") -> Any:
        return aws_client(f"http://127.0.0.1:{self.port}", service)


# ---------------------------------------------------------------- the application and its files


@dataclass
class Records:
    """The input file the application tails and the exactly-once sink folder it commits to."""

    input: Path
    output: Path
    written: int = 0

    def put(self, count: int) -> None:
        """Append the next ``count`` records (whole lines, one write)."""
        lines = "".join(f"{n}\n" for n in range(self.written, self.written + count))
        with open(self.input, "a", encoding="ascii") as handle:
            handle.write(lines)
            handle.flush()
        self.written += count

    def committed(self) -> list[int]:
        """Every committed output record, duplicates included."""
        if not self.output.exists():
            return []
        return [int(line) for part in read_committed_lines(str(self.output)).values() for line in part]


def create_application(kav2: Any, records: Records, name: str = APP) -> None:
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": code_zip()},
                "CodeContentType": "ZIPFILE",
            },
            "EnvironmentProperties": {
                "PropertyGroups": [
                    {
                        "PropertyGroupId": "Files",
                        "PropertyMap": {"input": str(records.input), "output": str(records.output)},
                    }
                ]
            },
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": {
                    "ConfigurationType": "CUSTOM",
                    "CheckpointingEnabled": True,
                    "CheckpointInterval": 100,
                    "MinPauseBetweenCheckpoints": 0,
                },
                "ParallelismConfiguration": {
                    "ConfigurationType": "CUSTOM",
                    "Parallelism": 1,
                    "ParallelismPerKPU": 1,
                    "AutoScalingEnabled": False,
                },
            },
            "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True},
        },
    )


def describe(kav2: Any, name: str = APP) -> dict[str, Any]:
    detail: dict[str, Any] = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
    return detail


def operations(kav2: Any, name: str = APP) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = kav2.list_application_operations(ApplicationName=name, Limit=50)[
        "ApplicationOperationInfoList"
    ]
    return listed
