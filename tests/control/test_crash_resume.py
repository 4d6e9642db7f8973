"""Rule 6: a control plane that dies at any runtime call (before or after the runtime acted) resumes on
the next tick; the lifecycle ends exactly as without the crash, and nothing runs twice."""

from __future__ import annotations

from typing import Any

import pytest

from runtime_adapter.base import JobSpec, JobState, SavepointRequest, StartOutcome, StopMode, StopOutcome
from runtime_adapter.fake import FakeRuntimeAdapter
from tests.control.conftest import ControlEnv

PARALLELISM_2 = {
    "ApplicationConfigurationUpdate": {
        "FlinkApplicationConfigurationUpdate": {
            "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 2}
        }
    }
}
ACTIONS_IN_SCENARIO = 4  # start, stop-with-savepoint (update), start (new version), stop-with-savepoint


class Crash(RuntimeError):
    """The control plane dies here."""


class CrashingRuntime:
    """The fake runtime, except that its ``crash_at``-th action kills the caller before or after acting."""

    def __init__(self, fake: FakeRuntimeAdapter, crash_at: int, after: bool) -> None:
        self.fake = fake
        self.crash_at = crash_at
        self.after = after
        self.actions = 0

    def _act(self, action: Any) -> Any:
        self.actions += 1
        if self.actions == self.crash_at and not self.after:
            raise Crash(f"before action {self.actions}")
        result = action()
        if self.actions == self.crash_at and self.after:
            raise Crash(f"after action {self.actions}")
        return result

    def start(self, spec: JobSpec) -> StartOutcome:
        outcome: StartOutcome = self._act(lambda: self.fake.start(spec))
        return outcome

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        outcome: StopOutcome = self._act(lambda: self.fake.stop(job_id, mode, savepoint))
        return outcome

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)


def settle(control: ControlEnv, wanted: str) -> None:
    """Tick (letting the runtime progress) until the application is ``wanted``; crashes are survived."""
    for _ in range(20):
        control.loop.tick()
        control.fake.advance()
        if control.status() == wanted and not control.deployments()[0].phase.endswith("_JOB"):
            return
    raise AssertionError(f"application did not settle in {wanted}: {control.status()}")


@pytest.mark.parametrize("after", [False, True], ids=["before-acting", "after-acting"])
@pytest.mark.parametrize("crash_at", range(1, ACTIONS_IN_SCENARIO + 1))
def test_lifecycle_survives_a_crash_at_any_runtime_call(
    control: ControlEnv, crash_at: int, after: bool
) -> None:
    runtime = CrashingRuntime(control.fake, crash_at, after)
    control.loop.observer.adapter = runtime  # type: ignore[assignment]
    control.loop.lifecycle.adapter = runtime  # type: ignore[assignment]
    control.create()
    operations = [control.start()]
    settle(control, "RUNNING")
    operations.append(control.update(**PARALLELISM_2))
    settle(control, "RUNNING")
    operations.append(control.stop())
    settle(control, "READY")

    assert runtime.actions >= ACTIONS_IN_SCENARIO
    assert [control.operation(o)["OperationStatus"] for o in operations] == ["SUCCESSFUL"] * 3
    first, second = control.fake.jobs.values()  # exactly one job per version
    assert (first.spec.parallelism, second.spec.parallelism) == (1, 2)
    assert first.state is JobState.FINISHED and second.state is JobState.FINISHED
    snapshots = control.snapshots()
    assert len(snapshots) == 2  # one system snapshot per stop-with-savepoint, none twice
    assert second.spec.restore is not None and second.spec.restore.location == snapshots[0].savepoint_location
    assert [call[0] for call in control.fake.calls].count("stop:SAVEPOINT") == 2
