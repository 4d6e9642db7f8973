"""Lifecycle latencies of msf-local on the embedded runtime: boto3 against a live ``msf-local serve``.

One server (a subprocess on loopback, SQLite, the default control-loop interval unless
``--control-interval`` says otherwise) and one small application: the chaos tests' job, which tails a
file through a keyed operator into the exactly-once file sink, checkpointing every 100 ms, with a fixed
restart delay of ``RESTART_DELAY_MS``. Each step is measured ``--rounds`` times and the median printed
next to the issue's target and baseline:

- StartApplication → RUNNING (then a forced stop, not timed)
- UpdateApplication with a parallelism change → RUNNING (1 → 2 → 1 …)
- ``kill -9`` of the job process → the first checkpoint of the new attempt completed
- ``kill -9`` of msf-local, restart on the same data directory → the application RUNNING again with one
  job process that has completed a checkpoint (also: until the server answers again)
- a start whose code fails while it initialises → StartApplication FAILED

    .venv/bin/python bench/lifecycle.py [--rounds 5] [--control-interval 0.5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.app_helpers import python_zip  # noqa: E402
from tests.chaos.harness import (  # noqa: E402
    APP,
    RESTART_DELAY_MS,
    ROLE,
    Records,
    ServerProcess,
    create_application,
    describe,
    job_processes,
    operations,
    parallelism_of,
)
from tests.control.test_live_server import rescale  # noqa: E402

STEP_TIMEOUT_S = 120.0
FAILING_JOB = "raise RuntimeError('the job cannot initialise')\n"
TARGETS = {  # step: (target in seconds, baseline named by issue 10)
    "StartApplication → RUNNING": (1.0, "0.65 s"),
    "UpdateApplication (parallelism) → RUNNING": (1.5, "1.6-2.0 s"),
    "job kill -9 → first checkpoint of the new attempt": (1.0 + RESTART_DELAY_MS / 1000, "about 2 s"),
    "msf-local kill -9 + restart → RUNNING, checkpointing": (2.0, "none"),
    "msf-local kill -9 + restart → answering": (2.0, "none"),
    "failed start → FAILED": (5.0, "300 s"),
}


def until(check: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> float:
    """Seconds until ``check()`` holds (polled every 10 ms); TimeoutError after ``timeout``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError("step did not finish")
        time.sleep(0.01)
    return time.monotonic() - start


def newest_checkpoint(data_dir: Path, job_id: str = "*") -> tuple[int, str] | None:
    """(id, job id) of the newest completed checkpoint of any job (or of ``job_id``) under ``data_dir``."""
    found = [
        (int(metadata.parent.name.removeprefix("chk-")), metadata.parent.parent.name)
        for metadata in (data_dir / "state").glob(f"*/checkpoints/{job_id}/chk-*/_metadata")
    ]
    return max(found) if found else None


class Bench:
    """The server, the application and the measurements."""

    def __init__(self, work: Path, control_interval: float) -> None:
        data_dir = work / "data"
        self.server = ServerProcess(data_dir, f"sqlite:///{work / 'msf-local.db'}", work, control_interval)
        self.records = Records(work / "input.txt", work / "output")
        self.records.input.touch()
        self.results: dict[str, list[float]] = {name: [] for name in TARGETS}

    @property
    def kav2(self) -> Any:
        return self.server.client()

    def status(self, name: str = APP) -> str:
        value: str = describe(self.kav2, name)["ApplicationStatus"]
        return value

    def jobs(self) -> dict[int, list[str]]:
        return job_processes(self.server.data_dir)

    def record(self, step: str, seconds: float) -> None:
        self.results[step].append(seconds)
        print(f"  {step}: {seconds:.3f} s", flush=True)

    # ---- steps -------------------------------------------------------------------------------

    def start(self) -> None:
        begin = time.monotonic()
        self.kav2.start_application(ApplicationName=APP)
        until(lambda: self.status() == "RUNNING")
        self.record("StartApplication → RUNNING", time.monotonic() - begin)

    def force_stop(self) -> None:
        self.kav2.stop_application(ApplicationName=APP, Force=True)
        until(lambda: self.status() == "READY" and not self.jobs())

    def update(self, parallelism: int) -> None:
        begin = time.monotonic()
        rescale(self.kav2, APP, parallelism)
        until(lambda: self.status() == "RUNNING")
        self.record("UpdateApplication (parallelism) → RUNNING", time.monotonic() - begin)
        assert [parallelism_of(argv) for argv in self.jobs().values()] == [parallelism]

    def kill_job(self) -> None:
        until(lambda: newest_checkpoint(self.server.data_dir) is not None and len(self.jobs()) == 1)
        ((pid, argv),) = self.jobs().items()
        # the killed job's own checkpoints: after an update, an ended job's retained checkpoints may carry
        # higher ids than the new attempt's first ones (the newest of any job then changed seconds late)
        job_id = argv[argv.index("--job-id") + 1]
        before = newest_checkpoint(self.server.data_dir, job_id)
        begin = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        # the cheap check first: a scan of the process table each 10 ms takes CPU from the job it waits for
        until(lambda: newest_checkpoint(self.server.data_dir, job_id) != before and pid not in self.jobs())
        self.record("job kill -9 → first checkpoint of the new attempt", time.monotonic() - begin)

    def kill_server(self) -> None:
        until(lambda: newest_checkpoint(self.server.data_dir) is not None and len(self.jobs()) == 1)
        ((_, argv),) = self.jobs().items()
        # the running job's own checkpoints, as in ``kill_job``: the restarted server takes that job over
        # under the same job id, and an ended job's retained checkpoints may carry higher ids
        job_id = argv[argv.index("--job-id") + 1]
        before = newest_checkpoint(self.server.data_dir, job_id)
        begin = time.monotonic()
        self.server.kill()
        self.server.start()
        self.record("msf-local kill -9 + restart → answering", time.monotonic() - begin)
        until(
            lambda: (
                newest_checkpoint(self.server.data_dir, job_id) != before
                and self.status() == "RUNNING"
                and len(self.jobs()) == 1
            )
        )
        self.record("msf-local kill -9 + restart → RUNNING, checkpointing", time.monotonic() - begin)

    def failed_start(self, round_: int) -> None:
        name = f"failing-{round_}"
        self.kav2.create_application(
            ApplicationName=name,
            RuntimeEnvironment="FLINK-1_20",
            ServiceExecutionRole=ROLE,
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {"ZipFileContent": python_zip({"main.py": FAILING_JOB})},
                    "CodeContentType": "ZIPFILE",
                }
            },
        )
        begin = time.monotonic()
        self.kav2.start_application(ApplicationName=name)
        until(lambda: operations(self.kav2, name)[0]["OperationStatus"] == "FAILED")
        self.record("failed start → FAILED", time.monotonic() - begin)

    # ---- the run -----------------------------------------------------------------------------

    def run(self, rounds: int) -> None:
        self.server.start()
        create_application(self.kav2, self.records)
        for round_ in range(rounds):
            print(f"round {round_ + 1}/{rounds}", flush=True)
            self.start()
            self.records.put(200)
            self.update(2 if round_ % 2 == 0 else 1)
            self.update(1 if round_ % 2 == 0 else 2)
            self.kill_job()
            self.kill_server()
            self.force_stop()
            self.failed_start(round_)

    def report(self) -> None:
        load = os.getloadavg()
        print(f"\nmedian of {len(self.results['StartApplication → RUNNING'])} (load {load[0]:.1f})")
        print(f"{'step':<56} {'median':>8} {'target':>8} {'ratio':>7}  baseline")
        for step, (target, baseline) in TARGETS.items():
            values = self.results[step]
            if not values:
                continue
            median = statistics.median(values)
            print(f"{step:<56} {median:7.3f}s {target:7.2f}s {median / target:6.2f}x  {baseline}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--control-interval", type=float, default=0.5, help="the server's (default 0.5)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="msf-bench-lifecycle-"))
    work.chmod(0o1777)  # a server that runs as root runs its jobs as nobody: they read and write files here
    bench = Bench(work, args.control_interval)
    try:
        bench.run(args.rounds)
    finally:
        bench.server.stop()
        shutil.rmtree(work, ignore_errors=True)
    bench.report()


if __name__ == "__main__":
    main()
