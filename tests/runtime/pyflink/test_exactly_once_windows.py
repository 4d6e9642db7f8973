"""Exactly-once windows: a PyFlink windowed aggregation into the exactly-once FileSink, killed with
``kill -9`` five times, commits exactly the output of an uninterrupted run; so does a run stopped with a
savepoint at parallelism 2 and restored at parallelism 3."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.sinks import read_committed_lines
from tests.runtime.conftest import FakeClock, read_logs, wait_until

JOB = Path(__file__).parent / "jobs" / "windowed_count.py"
WAIT_S = 60.0


def _expected(n: int) -> Counter[str]:
    """The uninterrupted run's output, computed from the job's definition."""
    windows: dict[tuple[int, int], list[int]] = {}
    for value in range(n):
        windows.setdefault((value % 7, value * 10 // 1000 * 1000), []).append(value)
    return Counter(f"{key},{start},{len(vs)},{sum(vs)}" for (key, start), vs in windows.items())


def _committed(out: Path) -> Counter[str]:
    return Counter(line for lines in read_committed_lines(str(out)).values() for line in lines)


def _supervisor(tmp_path: Path, n: int, rate: float, **spec: object) -> Supervisor:
    clock = FakeClock()
    return Supervisor(
        JobProcessSpec(
            job_file=str(JOB),
            job_id="windows",
            checkpoint_dir=str(tmp_path / "checkpoints"),
            env={"OUT_DIR": str(tmp_path / "out"), "N": str(n), "RATE": str(rate)},
            **spec,  # type: ignore[arg-type]
        ),
        clock=clock.time,
        sleeper=clock.sleep,
        log_dir=str(tmp_path / "logs"),
    )


def _completed(supervisor: Supervisor) -> int:
    return sum(1 for s in supervisor.checkpoint_stats() if s["status"] == "COMPLETED")


def test_uninterrupted_run_matches_the_model(tmp_path: Path) -> None:
    supervisor = _supervisor(tmp_path, 3000, 1e9)
    supervisor.start()
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FINISHED, (
        supervisor.failure_cause,
        read_logs(tmp_path),
    )
    assert _committed(tmp_path / "out") == _expected(3000)


def test_five_kill_9_commit_exactly_the_uninterrupted_output(tmp_path: Path) -> None:
    n = 6000
    supervisor = _supervisor(tmp_path, n, 1500)  # 4 s of input at least
    supervisor.start()
    rng = random.Random()
    for _ in range(5):
        wait_until(supervisor.processing.is_set, WAIT_S, "the job to process")
        wait_until(lambda: _completed(supervisor) >= 1, WAIT_S, "a completed checkpoint")
        time.sleep(rng.uniform(0.1, 0.4))  # a random moment in the job's life, not a synchronisation
        pid = supervisor.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda killed=pid: supervisor.pid != killed or not supervisor.processing.is_set(),
            WAIT_S,
            "restart",
        )
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FINISHED, (
        supervisor.failure_cause,
        read_logs(tmp_path),
    )
    assert supervisor.restart_count == 5
    assert _committed(tmp_path / "out") == _expected(n)
    assert not [name for name in os.listdir(tmp_path / "out") if name.startswith(".")]


def test_savepoint_at_parallelism_2_restored_at_3_gives_the_same_output(tmp_path: Path) -> None:
    n = 4000
    first = _supervisor(tmp_path, n, 500, overrides=RuntimeOverrides(parallelism=2))  # 8 s of input
    first.start()
    wait_until(lambda: len(_committed(tmp_path / "out")) > 0, WAIT_S, "first committed windows")
    outcome = first.stop_with_savepoint(str(tmp_path / "savepoints"), request_id="sp")
    assert outcome.state.value != "FAILED", outcome
    assert first.wait(WAIT_S) is JobProcessStatus.FINISHED, (first.failure_cause, read_logs(tmp_path))
    location = first.final_savepoint
    assert location is not None
    partial = _committed(tmp_path / "out")
    assert 0 < sum(partial.values()) < sum(_expected(n).values())

    second = _supervisor(tmp_path, n, 1e9, overrides=RuntimeOverrides(parallelism=3), restore_path=location)
    second.start()
    assert second.wait(WAIT_S) is JobProcessStatus.FINISHED, (second.failure_cause, read_logs(tmp_path))
    assert _committed(tmp_path / "out") == _expected(n)
