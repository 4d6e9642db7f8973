"""Helpers for runtime tests: a fake clock, a supervised-run fixture and output readers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from stream_runtime.config import RuntimeOverrides
from stream_runtime.restart import RestartStrategy
from stream_runtime.supervisor import JobSpec, Supervisor

JOBS = Path(__file__).parent / "jobs"


class FakeClock:
    """A clock that only moves when the supervisor 'sleeps'."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


SupervisorFactory = Callable[..., Supervisor]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def supervised(tmp_path: Path, fake_clock: FakeClock) -> SupervisorFactory:
    """Build a supervisor for a job file under tests/runtime/jobs with a fake clock and logs in tmp_path."""

    def build(
        job: str,
        *,
        env: dict[str, str] | None = None,
        overrides: RuntimeOverrides | None = None,
        restart_strategy: RestartStrategy | None = None,
        job_id: str = "job",
    ) -> Supervisor:
        spec = JobSpec(
            job_file=str(JOBS / job),
            job_id=job_id,
            checkpoint_dir=str(tmp_path / "checkpoints"),
            overrides=overrides or RuntimeOverrides(),
            env={"OUT_DIR": str(tmp_path / "out"), "WORK_DIR": str(tmp_path), **(env or {})},
        )
        return Supervisor(
            spec,
            restart_strategy=restart_strategy,
            clock=fake_clock.time,
            sleeper=fake_clock.sleep,
            log_dir=str(tmp_path / "logs"),
        )

    return build


def read_logs(tmp_path: Path) -> str:
    """All job-process logs of a test, attempt by attempt."""
    folder = tmp_path / "logs"
    if not folder.is_dir():
        return ""
    return "\n".join((folder / name).read_text() for name in sorted(os.listdir(folder)))
