"""Proof 3: failures thrown from process, snapshot_state, initialize_state and close vs restart strategies.

Delays are checked through the supervisor's injected clock and sleeper, never by sleeping.
"""

from __future__ import annotations

import pytest

from stream_runtime.process.model import JobProcessStatus
from tests.runtime.conftest import FakeClock, SupervisorFactory

POINTS = ["process", "snapshot_state", "initialize_state", "close"]


def run(supervised: SupervisorFactory, fail_in: str, times: int, strategy: str, checkpointing: bool = True):
    supervisor = supervised(
        "failing_job.py",
        env={
            "FAIL_IN": fail_in,
            "FAIL_TIMES": str(times),
            "STRATEGY": strategy,
            "CHECKPOINTING": "1" if checkpointing else "0",
        },
    )
    supervisor.start()
    status = supervisor.wait(timeout=60)
    return supervisor, status


@pytest.mark.parametrize("fail_in", POINTS)
def test_no_restart_fails_the_job_with_the_cause(supervised: SupervisorFactory, fail_in: str) -> None:
    supervisor, status = run(supervised, fail_in, 1, "none")
    assert status is JobProcessStatus.FAILED
    assert supervisor.restart_count == 0
    assert supervisor.failure_cause is not None
    assert f"RuntimeError: boom in {fail_in} #1" in supervisor.failure_cause
    assert "Traceback" in supervisor.failure_cause


@pytest.mark.parametrize("fail_in", POINTS)
def test_fixed_delay_restarts_until_attempts_run_out(
    supervised: SupervisorFactory, fake_clock: FakeClock, fail_in: str
) -> None:
    supervisor, status = run(supervised, fail_in, 2, "fixed:2:5000")
    assert status is JobProcessStatus.FINISHED, supervisor.failure_cause
    assert supervisor.restart_count == 2
    assert fake_clock.sleeps == [5.0, 5.0]


def test_fixed_delay_fails_after_the_last_attempt(
    supervised: SupervisorFactory, fake_clock: FakeClock
) -> None:
    supervisor, status = run(supervised, "process", 3, "fixed:2:5000")
    assert status is JobProcessStatus.FAILED
    assert supervisor.restart_count == 2
    assert fake_clock.sleeps == [5.0, 5.0]
    assert supervisor.failure_cause is not None and "boom in process #3" in supervisor.failure_cause


def test_failure_rate_fails_when_too_many_failures_fall_in_the_interval(
    supervised: SupervisorFactory, fake_clock: FakeClock
) -> None:
    # failures at t=0, 10, 20 (the delay moves the clock): three within 60 s > 2 allowed
    supervisor, status = run(supervised, "snapshot_state", 5, "rate:2:60000:10000")
    assert status is JobProcessStatus.FAILED
    assert supervisor.restart_count == 2
    assert fake_clock.sleeps == [10.0, 10.0]


def test_failure_rate_keeps_restarting_when_failures_are_spread_out(
    supervised: SupervisorFactory, fake_clock: FakeClock
) -> None:
    # the interval (15 s) only ever holds two failures 10 s apart
    supervisor, status = run(supervised, "initialize_state", 3, "rate:2:15000:10000")
    assert status is JobProcessStatus.FINISHED, supervisor.failure_cause
    assert supervisor.restart_count == 3
    assert fake_clock.sleeps == [10.0, 10.0, 10.0]


def test_exponential_delay_grows_and_is_capped(supervised: SupervisorFactory, fake_clock: FakeClock) -> None:
    supervisor, status = run(supervised, "close", 4, "exp:1000:5000:2.0")
    assert status is JobProcessStatus.FINISHED, supervisor.failure_cause
    assert supervisor.restart_count == 4
    assert fake_clock.sleeps == [1.0, 2.0, 4.0, 5.0]


def test_default_with_checkpointing_is_flink_1_19_exponential_delay(
    supervised: SupervisorFactory, fake_clock: FakeClock
) -> None:
    supervisor, status = run(supervised, "process", 2, "default")
    assert status is JobProcessStatus.FINISHED, supervisor.failure_cause
    assert supervisor.restart_count == 2
    first, second = fake_clock.sleeps
    assert 0.9 <= first <= 1.1  # 1 s initial backoff, jitter 0.1
    assert 1.35 <= second <= 1.65  # x1.5


def test_default_without_checkpointing_is_no_restart(
    supervised: SupervisorFactory, fake_clock: FakeClock
) -> None:
    supervisor, status = run(supervised, "process", 1, "default", checkpointing=False)
    assert status is JobProcessStatus.FAILED
    assert supervisor.restart_count == 0
    assert fake_clock.sleeps == []
