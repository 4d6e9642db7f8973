"""Proof 1: a keyed aggregator that fails once mid-stream recovers with every per-key total exact."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.sinks import read_committed_lines
from tests.runtime.conftest import SupervisorFactory, read_logs

N = 24_000
KEYS = 13
RATE = 12_000  # two seconds of input: many 50 ms checkpoints complete before FAIL_AT even on a busy machine


@pytest.mark.parametrize("parallelism", [1, 2, 4])
def test_once_failing_keyed_aggregator_is_exact(
    parallelism: int, supervised: SupervisorFactory, tmp_path: Path
) -> None:
    fail_at = random.randint(int(N * 0.4), int(N * 0.7))
    supervisor = supervised(
        "keyed_aggregator.py",
        env={"N": str(N), "KEYS": str(KEYS), "FAIL_AT": str(fail_at), "RATE": str(RATE)},
        overrides=RuntimeOverrides(parallelism=parallelism),
    )
    supervisor.start()
    status = supervisor.wait(timeout=60)
    logs = read_logs(tmp_path)

    assert status is JobProcessStatus.FINISHED, (supervisor.failure_cause, logs)
    assert supervisor.restart_count == 1
    assert supervisor.failure_cause is not None and "injected failure" in supervisor.failure_cause
    failed_at = int(supervisor.failure_cause.rsplit("injected failure at ", 1)[1].split()[0])
    assert int(N * 0.4) <= failed_at < N
    assert "Restoring job" in logs

    lines = [line for part in read_committed_lines(str(tmp_path / "out")).values() for line in part]
    assert len(lines) == N, "every record must be reflected exactly once in the output"
    per_key: dict[int, list[tuple[int, int]]] = {}
    for line in lines:
        key, total, count = map(int, line.split(","))
        per_key.setdefault(key, []).append((count, total))
    for key in range(KEYS):
        expected_values = [n for n in range(N) if n % KEYS == key]
        counts = [count for count, _ in per_key[key]]
        assert counts == list(range(1, len(expected_values) + 1)), f"key {key}: lost, duplicated or reordered"
        assert per_key[key][-1][1] == sum(expected_values)
