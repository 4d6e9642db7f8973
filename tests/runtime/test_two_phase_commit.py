"""Proof 4: the two-phase-commit windows of the exactly-once file sink.

The job process is made to ``os._exit`` at a named point of checkpoint 2 (``STREAM_RUNTIME_FAULT``):
after ``_metadata`` is published but before the completion notice reaches the sink, or before ``_metadata``.
"""

from __future__ import annotations

import os
from pathlib import Path

from stream_runtime.engine.faults import FAULT_ENV
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.sinks import read_committed_lines
from tests.runtime.conftest import SupervisorFactory, read_logs

N = 4000
RATE = 10_000


def _run(supervised: SupervisorFactory, tmp_path: Path, fault: str) -> tuple[list[int], str]:
    supervisor = supervised("sequence_job.py", env={"N": str(N), "RATE": str(RATE), FAULT_ENV: fault})
    supervisor.start()
    status = supervisor.wait(timeout=60)
    logs = read_logs(tmp_path)
    assert status is JobProcessStatus.FINISHED, (supervisor.failure_cause, logs)
    assert supervisor.restart_count == 1
    assert supervisor.failure_cause == "Job process exited with code 137."
    numbers = [int(line) for line in read_committed_lines(str(tmp_path / "out"))[0]]
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".")], "uncommitted files left"
    return numbers, logs


def test_crash_after_metadata_before_notification_commits_exactly_once(
    supervised: SupervisorFactory, tmp_path: Path
) -> None:
    numbers, logs = _run(supervised, tmp_path, "after_metadata@2")
    # the restore used checkpoint 2, whose pre-committed transaction had never been committed
    assert "chk-2." in logs.split("Restoring job", 1)[1].splitlines()[0]
    assert "Completed checkpoint 2 " not in logs.split("Restoring job", 1)[0]
    assert numbers == list(range(N))


def test_crash_before_metadata_aborts_the_transaction(supervised: SupervisorFactory, tmp_path: Path) -> None:
    numbers, logs = _run(supervised, tmp_path, "before_metadata@2")
    restored_from = logs.split("Restoring job", 1)[1].splitlines()[0]
    assert "chk-1." in restored_from
    assert "Removed torn checkpoint directories [2]" in logs
    assert numbers == list(range(N))
