"""Proof 2: ``kill -9`` of the job at random moments; the exactly-once file sink holds each record once.

The input is a file another thread keeps appending ``key,seq`` lines to, read from the latest offset like a
Kafka consumer without committed offsets. With checkpointing, ≥ 5 SIGKILLs lose and duplicate nothing; with
checkpointing disabled the same run loses the records produced while the job was down (seed 003).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

from stream_runtime.config import RuntimeOverrides
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.sinks import read_committed_lines
from tests.runtime.conftest import SupervisorFactory, read_logs

KEYS = 5
WAIT_S = 30.0


class Producer(threading.Thread):
    """Appends ``key,seq`` lines (sequence numbers per key) until stopped, then writes ``END``."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.produced: dict[str, int] = {str(k): 0 for k in range(KEYS)}

    def run(self) -> None:
        rng = random.Random(7)
        with open(self.path, "a", encoding="utf-8") as handle:
            while not self.stop.is_set():
                lines = []
                for _ in range(40):
                    key = str(rng.randrange(KEYS))
                    lines.append(f"{key},{self.produced[key]}\n")
                    self.produced[key] += 1
                handle.write("".join(lines))
                handle.flush()
                time.sleep(0.005)
            handle.write("END\n")


def _wait_for(predicate, timeout: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _completed(supervisor: Supervisor) -> int:
    return sum(1 for s in supervisor.checkpoint_stats() if s["status"] == "COMPLETED")


def _run_with_kills(supervisor: Supervisor, tmp_path: Path, kills: int, need_checkpoint: bool) -> Producer:
    supervisor.start()
    _wait_for(supervisor.processing.is_set)
    producer = Producer(tmp_path / "input.txt")
    producer.start()
    rng = random.Random()
    for _ in range(kills):
        _wait_for(supervisor.processing.is_set)
        if need_checkpoint:
            _wait_for(lambda: _completed(supervisor) >= 1)
        time.sleep(rng.uniform(0.05, 0.3))  # a random moment in the job's life, not a synchronisation
        pid = supervisor.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _wait_for(lambda killed=pid: not supervisor.processing.is_set() or supervisor.pid != killed)
    _wait_for(supervisor.processing.is_set)
    time.sleep(0.2)
    producer.stop.set()
    producer.join(5)
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FINISHED, (
        supervisor.failure_cause,
        read_logs(tmp_path),
    )
    return producer


def _committed_by_key(tmp_path: Path) -> dict[str, list[int]]:
    by_key: dict[str, list[int]] = {}
    for lines in read_committed_lines(str(tmp_path / "out")).values():
        for line in lines:
            key, seq = line.split(",")
            by_key.setdefault(key, []).append(int(seq))
    return by_key


def test_kill_9_with_checkpoints_loses_and_duplicates_nothing(
    supervised: SupervisorFactory, tmp_path: Path
) -> None:
    (tmp_path / "input.txt").touch()
    supervisor = supervised("tail_job.py", env={"INPUT": str(tmp_path / "input.txt")})
    producer = _run_with_kills(supervisor, tmp_path, kills=5, need_checkpoint=True)

    assert supervisor.restart_count == 5
    assert supervisor.failure_cause is not None and "SIGKILL" in supervisor.failure_cause
    by_key = _committed_by_key(tmp_path)
    for key, count in producer.produced.items():
        assert by_key.get(key, []) == list(range(count)), f"key {key}: lost, duplicated or out of order"
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".")], "uncommitted files left"


def test_kill_9_without_checkpoints_loses_records(supervised: SupervisorFactory, tmp_path: Path) -> None:
    (tmp_path / "input.txt").touch()
    supervisor = supervised(
        "tail_job.py",
        env={"INPUT": str(tmp_path / "input.txt")},
        overrides=RuntimeOverrides(checkpointing_enabled=False),
    )
    producer = _run_with_kills(supervisor, tmp_path, kills=2, need_checkpoint=False)

    assert supervisor.restart_count == 2
    assert supervisor.checkpoint_stats() == []
    committed = sum(len(v) for v in _committed_by_key(tmp_path).values())
    produced = sum(producer.produced.values())
    assert committed < produced, "without checkpoints the records produced while the job was down are lost"
