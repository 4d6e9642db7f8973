"""Chaos, bounded: ``kill -9`` of a real msf-local at seeded random points of a scripted boto3 lifecycle
(create → start → put → snapshot → update with rescale → put → rollback → stop → start from the newest
snapshot → put), each followed by a restart on the same data directory, plus ``kill -9`` of job processes.

After every restart and job kill the application settles as the last call asked (``scenario.Scenario``
lists the checks); at the end the committed output of the exactly-once file sink is every record put, once.

The seed is printed; ``CHAOS_SEED=<n>`` replays a run (``CHAOS_DEADLINE_S`` widens the deadline on a slow
machine). Input and output are plain files: the embedded
S3/Kinesis are not used, as they do not yet survive a restart of msf-local.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from tests.chaos.harness import Records, ServerProcess
from tests.chaos.scenario import Scenario

SERVER_KILLS = 10
JOB_KILLS = 5
MAX_KILL_DELAY_S = 1.2  # a server kill falls at most this long after the step's call (or the last restart)
DEADLINE_S = float(os.environ.get("CHAOS_DEADLINE_S", 240))  # one database's whole scenario, whatever happens
LIFECYCLE = [
    "create",
    "start",
    "put",
    "snapshot",
    "update with rescale to 2",
    "put",
    "rollback",
    "stop",
    "start from the newest snapshot",
    "put",
]
RUNNING_AFTER = [2, 3, 4, 5, 6, 9]  # the steps after which the application is RUNNING


def schedule(rng: random.Random) -> tuple[dict[int, list[float]], dict[int, int]]:
    """Server kills: one in every step after create, the rest in random steps, each at a random delay;
    job kills after random steps that leave the application RUNNING."""
    targets = list(range(1, len(LIFECYCLE)))
    targets += [rng.randrange(1, len(LIFECYCLE)) for _ in range(SERVER_KILLS - len(targets))]
    server_kills: dict[int, list[float]] = {}
    for step in sorted(targets):
        server_kills.setdefault(step, []).append(round(rng.uniform(0, MAX_KILL_DELAY_S), 2))
    job_kills: dict[int, int] = {}
    for _ in range(JOB_KILLS):
        step = rng.choice(RUNNING_AFTER)
        job_kills[step] = job_kills.get(step, 0) + 1
    return server_kills, job_kills


def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    seed = int(os.environ.get("CHAOS_SEED", random.randrange(1_000_000)))
    records = Records(tmp_path / "input.txt", tmp_path / "output")
    records.input.touch()
    scenario = Scenario(ServerProcess(tmp_path / "data", database_url, tmp_path), records, DEADLINE_S)
    scenario.server_kills, scenario.job_kills = schedule(random.Random(seed))
    print(f"\nCHAOS_SEED={seed} ({backend})")
    print(
        f"server kills (step: delays) {scenario.server_kills}; job kills (step: count) {scenario.job_kills}"
    )
    try:
        committed = scenario.run(LIFECYCLE)
    finally:
        scenario.server.stop()

    assert scenario.restarts >= SERVER_KILLS and scenario.killed_jobs >= JOB_KILLS
    assert len(committed) == len(set(committed)), "duplicated output"
    assert sorted(committed) == list(range(records.written)), "lost output"
