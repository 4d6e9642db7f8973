"""The scripted lifecycle of the chaos tests, with ``kill -9`` of msf-local and of job processes at given
points, and the checks that follow every fault.

A step makes one boto3 call (or puts records) and says what the application must settle in. After a step,
the server is killed at each delay scheduled for it (counted from the step's call, then from the restart's
settling) and restarted on the same data directory; then the job process is killed as many times as
scheduled. After every restart and job kill the application must settle, within a bound, in what the step
asked for: no transient status, no operation IN_PROGRESS, every operation SUCCESSFUL (an update runs its
new parallelism, a rollback its old one), exactly one job process while RUNNING and none otherwise, no
duplicated output.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.harness import (
    APP,
    SETTLE_S,
    TRANSIENT,
    Records,
    ServerProcess,
    create_application,
    describe,
    job_processes,
    operations,
    parallelism_of,
    poll,
)
from tests.control.test_live_server import rescale

RECORDS_PER_PUT = 400


@dataclass
class Expect:
    """What the application must settle in after a step: its status and the job's parallelism."""

    status: str
    parallelism: int = 1
    snapshot: str | None = None  # a snapshot that must be READY


Step = tuple[str, Callable[[], Expect]]


@dataclass
class Scenario:
    """One run: the server, the files, the faults to inject and what happened."""

    server: ServerProcess
    records: Records
    deadline_s: float
    server_kills: dict[int, list[float]] = field(default_factory=dict)  # step → delays of its kills
    job_kills: dict[int, int] = field(default_factory=dict)  # step → job kills after it settled
    restarts: int = 0
    killed_jobs: int = 0
    step: int = 0
    parallelism: int = 1  # what the last accepted update or rollback asked for
    expect: Expect = field(default_factory=lambda: Expect("READY"))
    began: float = field(default_factory=time.monotonic)

    @property
    def kav2(self) -> Any:
        return self.server.client()

    def elapsed(self) -> str:
        return f"[{time.monotonic() - self.began:6.1f} s]"

    def bound(self, seconds: float) -> float:
        """``seconds``, cut to what is left of the scenario's deadline (which must not have passed)."""
        remaining = self.began + self.deadline_s - time.monotonic()
        assert remaining > 0, f"the scenario passed its {self.deadline_s} s deadline"
        return min(seconds, remaining)

    # ---- the lifecycle -----------------------------------------------------------------------

    def steps(self) -> dict[str, Callable[[], Expect]]:
        """The calls of the scripted lifecycle, by name."""
        return {
            "create": self._create,
            "start": self._start,
            "put": self._put,
            "snapshot": self._snapshot,
            "update with rescale to 2": self._update,
            "rollback": self._rollback,
            "stop": self._stop,
            "start from the newest snapshot": self._start_from_snapshot,
        }

    def _create(self) -> Expect:
        create_application(self.kav2, self.records)
        return Expect("READY")

    def _start(self) -> Expect:
        self.kav2.start_application(ApplicationName=APP)
        return Expect("RUNNING", self.parallelism)

    def _put(self) -> Expect:
        self.records.put(RECORDS_PER_PUT)
        return Expect("RUNNING", self.parallelism)

    def _snapshot(self) -> Expect:
        self.kav2.create_application_snapshot(ApplicationName=APP, SnapshotName="chaos-1")
        return Expect("RUNNING", self.parallelism, snapshot="chaos-1")

    def _update(self) -> Expect:
        rescale(self.kav2, APP, 2)
        self.parallelism = 2
        return Expect("RUNNING", 2)

    def _rollback(self) -> Expect:
        version = describe(self.kav2)["ApplicationVersionId"]
        self.kav2.rollback_application(ApplicationName=APP, CurrentApplicationVersionId=version)
        self.parallelism = 1  # the version before the update
        return Expect("RUNNING", 1)

    def _stop(self) -> Expect:
        self.kav2.stop_application(ApplicationName=APP)
        return Expect("READY")

    def _start_from_snapshot(self) -> Expect:
        """Start restoring the newest READY snapshot by name (the stop's system snapshot)."""
        listed = self.kav2.list_application_snapshots(ApplicationName=APP)["SnapshotSummaries"]
        ready = [s for s in listed if s["SnapshotStatus"] == "READY"]
        newest = max(ready, key=lambda s: s["SnapshotCreationTimestamp"])
        self.kav2.start_application(
            ApplicationName=APP,
            RunConfiguration={
                "ApplicationRestoreConfiguration": {
                    "ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT",
                    "SnapshotName": newest["SnapshotName"],
                }
            },
        )
        return Expect("RUNNING", self.parallelism)

    # ---- running it --------------------------------------------------------------------------

    def run(self, names: list[str]) -> list[int]:
        """Run the named steps with the scheduled faults; the committed output once all records are in."""
        steps = self.steps()
        self.server.start()
        for index, name in enumerate(names):
            print(f"{self.elapsed()} step {index}: {name}")
            self.step = index
            self.expect = steps[name]()
            for delay in self.server_kills.get(index, []):
                self.kill_server_and_restart(delay)
            self.check_settled(f"step {index} ({name})")
            for _ in range(self.job_kills.get(index, 0)):
                self.kill_job()
        return poll(
            self.records.committed,
            lambda c: len(c) >= self.records.written,
            self.bound(SETTLE_S),
            interval=0.1,
        )

    def kill_server_and_restart(self, delay: float) -> None:
        time.sleep(delay)
        self.server.kill()
        self.restarts += 1
        print(f"{self.elapsed()}   kill -9 of msf-local {delay:.2f} s in; restart {self.restarts}")
        self.server.start()
        self.check_settled(f"restart {self.restarts} (step {self.step})")

    def kill_job(self) -> None:
        """``kill -9`` of the application's job process; it must come back (one process, RUNNING)."""
        jobs = poll(lambda: job_processes(self.server.data_dir), lambda j: len(j) == 1, self.bound(10))
        assert len(jobs) == 1, jobs
        (pid,) = jobs
        os.kill(pid, signal.SIGKILL)
        self.killed_jobs += 1
        print(f"{self.elapsed()}   kill -9 of job process {pid}")
        back = poll(
            lambda: job_processes(self.server.data_dir),
            lambda j: len(j) == 1 and pid not in j,
            self.bound(SETTLE_S),
        )
        assert len(back) == 1 and pid not in back, f"the killed job did not come back once: {back}"
        self.check_settled(f"job kill {self.killed_jobs} (step {self.step})")

    # ---- checks ------------------------------------------------------------------------------

    def check_settled(self, when: str) -> None:
        """The application settled as expected, with exactly the job processes its status allows."""
        status, pending = poll(
            self._state, lambda s: s[0] not in TRANSIENT and not s[1], self.bound(SETTLE_S)
        )
        log = self.server.log_tail()
        assert status not in TRANSIENT, f"{when}: still {status} after {SETTLE_S} s\n{log}"
        assert not pending, f"{when}: operations {pending} IN_PROGRESS after {SETTLE_S} s\n{log}"
        assert status == self.expect.status, f"{when}: {status}, expected {self.expect.status}\n{log}"
        failed = [o for o in operations(self.kav2) if o["OperationStatus"] != "SUCCESSFUL"]
        assert not failed, f"{when}: {failed}\n{log}"
        wanted = 1 if status == "RUNNING" else 0
        jobs = poll(lambda: job_processes(self.server.data_dir), lambda j: len(j) == wanted, self.bound(5))
        assert len(jobs) == wanted, f"{when}: {len(jobs)} job processes for a {status} application: {jobs}"
        if status == "RUNNING":
            (argv,) = jobs.values()
            assert parallelism_of(argv) == self.expect.parallelism, f"{when}: {argv}"
            flink = describe(self.kav2)["ApplicationConfigurationDescription"][
                "FlinkApplicationConfigurationDescription"
            ]
            current = flink["ParallelismConfigurationDescription"]["CurrentParallelism"]
            assert current == self.expect.parallelism, f"{when}: CurrentParallelism {current}"
        if self.expect.snapshot is not None:
            snapshot = poll(
                lambda: self.kav2.describe_application_snapshot(
                    ApplicationName=APP, SnapshotName=self.expect.snapshot
                )["SnapshotDetails"],
                lambda s: s["SnapshotStatus"] != "CREATING",
                self.bound(SETTLE_S),
            )
            assert snapshot["SnapshotStatus"] == "READY", f"{when}: {snapshot}"
        committed = self.records.committed()
        assert len(committed) == len(set(committed)), f"{when}: duplicated output"

    def _state(self) -> tuple[str, list[str]]:
        status: str = describe(self.kav2)["ApplicationStatus"]
        pending = [o["Operation"] for o in operations(self.kav2) if o["OperationStatus"] == "IN_PROGRESS"]
        return status, pending
