"""Targeted crash points: ``kill -9`` of msf-local 0.8 s after StartApplication, while RUNNING, 0.5 s after
UpdateApplication (a rescale) and right after StopApplication; after each restart on the same data
directory the application converges — the status the call asked for, its operation SUCCESSFUL, one job
process at the right parallelism while RUNNING and none otherwise — and, started again from the stop's
snapshot, the exactly-once output holds every record once. On SQLite: the chaos test kills the server
at random points on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.harness import Records, ServerProcess
from tests.chaos.scenario import Scenario

DEADLINE_S = 180.0
STEPS = [
    "create",
    "start",
    "put",
    "update with rescale to 2",
    "stop",
    "start from the newest snapshot",
    "put",
]
KILLS = {1: [0.8], 2: [0.3], 3: [0.5], 4: [0.0]}  # 0.8 s after Start, RUNNING, 0.5 s after Update, at Stop


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_kill_9_at_start_running_update_and_stop_converges(database_url: str, tmp_path: Path) -> None:
    records = Records(tmp_path / "input.txt", tmp_path / "output")
    records.input.touch()
    scenario = Scenario(ServerProcess(tmp_path / "data", database_url, tmp_path), records, DEADLINE_S)
    scenario.server_kills = KILLS
    try:
        committed = scenario.run(STEPS)
    finally:
        scenario.server.stop()

    assert scenario.restarts == len(KILLS)
    assert len(committed) == len(set(committed)), "duplicated output"
    assert sorted(committed) == list(range(records.written)), "lost output"
