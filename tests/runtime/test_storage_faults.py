"""Proof 5: checkpoint-storage faults fail the job only after tolerable + 1 consecutive counted failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_runtime import DiscardingSink, StreamExecutionEnvironment
from stream_runtime.engine.coordinator import CheckpointFailureThresholdExceeded
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.storage import LocalCheckpointStorage, StorageError
from stream_runtime.storage.layout import CheckpointLayout

TOLERABLE = 2


class FaultyStorage(LocalCheckpointStorage):
    """Fails data writes (async phase) or the ``_metadata`` publish (I/O) of chosen checkpoint ids."""

    def __init__(self, root: Path, fail_write: set[int], fail_publish: set[int]) -> None:
        super().__init__(root)
        self.fail_write = fail_write
        self.fail_publish = fail_publish

    @staticmethod
    def _checkpoint_id(path: str) -> int | None:
        for part in path.split("/"):
            if part.startswith("chk-"):
                return int(part[4:])
        return None

    def write(self, path: str, data: bytes) -> None:
        if self._checkpoint_id(path) in self.fail_write:
            raise StorageError(f"injected write failure for {path}")
        super().write(path, data)

    def publish(self, path: str, data: bytes) -> None:
        if path.endswith("_metadata") and self._checkpoint_id(path) in self.fail_publish:
            raise StorageError(f"injected publish failure for {path}")
        super().publish(path, data)


def _run(storage: FaultyStorage) -> list[dict]:  # type: ignore[type-arg]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(20)
    env.get_checkpoint_config().set_tolerable_checkpoint_failure_number(TOLERABLE)
    env.from_sequence(0, 1999, records_per_second=4000).uid("numbers").add_sink(DiscardingSink())
    with launch_options(LaunchOptions(job_id="faulty", storage=storage, log=lambda _: None)):
        env.execute("storage-faults")
    return CheckpointLayout(storage, "faulty").read_stats()


def test_tolerable_plus_one_consecutive_failures_fail_the_job(tmp_path: Path) -> None:
    storage = FaultyStorage(tmp_path, fail_write={3, 5}, fail_publish={4})
    with pytest.raises(CheckpointFailureThresholdExceeded, match="tolerable failure threshold"):
        _run(storage)
    stats = {s["id"]: s for s in CheckpointLayout(storage, "faulty").read_stats()}
    assert [stats[i]["status"] for i in (1, 2, 3, 4, 5)] == [
        "COMPLETED",
        "COMPLETED",
        "FAILED",
        "FAILED",
        "FAILED",
    ]
    assert stats[3]["failure_reason"].startswith("CHECKPOINT_ASYNC_EXCEPTION")
    assert stats[4]["failure_reason"].startswith("IO_EXCEPTION")
    assert max(stats) == 5, "the job must fail at the third consecutive failure, not later"
    assert CheckpointLayout(storage, "faulty").latest_completed().checkpoint_id == 2  # type: ignore[union-attr]


def test_failures_interrupted_by_a_success_are_tolerated(tmp_path: Path) -> None:
    storage = FaultyStorage(tmp_path, fail_write={2, 3, 6}, fail_publish={5})
    stats = {s["id"]: s["status"] for s in _run(storage)}
    assert [stats[i] for i in range(1, 8)] == [
        "COMPLETED",
        "FAILED",
        "FAILED",
        "COMPLETED",
        "FAILED",
        "FAILED",
        "COMPLETED",
    ]
    torn = [i for i in CheckpointLayout(storage, "faulty").checkpoint_ids() if i in (2, 3, 5, 6)]
    assert torn == [], "failed checkpoints leave no directories behind"
