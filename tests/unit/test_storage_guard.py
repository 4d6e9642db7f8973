"""The running-application-storage guard: what it measures, and what it does to a job that overruns."""

from __future__ import annotations

import io
import os
import signal
import subprocess
from pathlib import Path

from stream_runtime.process.sandbox import JobSandbox
from stream_runtime.process.storage_guard import StorageGuard, disk_usage

KIB = 1024


def fill(path: Path, size: int) -> None:
    path.write_bytes(os.urandom(size))  # real blocks, not a sparse file


def test_usage_counts_allocated_blocks_once_per_inode_and_follows_no_link(tmp_path: Path) -> None:
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    (scratch / "rocksdb" / "db").mkdir(parents=True)
    outside.mkdir()
    fill(scratch / "a", 64 * KIB)
    fill(scratch / "rocksdb" / "db" / "b", 128 * KIB)
    os.link(scratch / "a", scratch / "rocksdb" / "a-again")
    fill(outside / "big", 1024 * KIB)
    (scratch / "link").symlink_to(outside)
    (scratch / "sparse").open("wb").truncate(1024**3)  # 1 GiB long, nothing allocated

    used = disk_usage([str(scratch)])
    assert 192 * KIB <= used < 256 * KIB
    assert disk_usage([str(tmp_path / "missing")]) == 0
    assert disk_usage([str(scratch)], stop_above=1) < used  # stopped after the first directory


def test_a_job_past_its_storage_is_killed_with_a_clear_cause_and_its_scratch_emptied(
    tmp_path: Path,
) -> None:
    scratch = tmp_path / "job" / "tmp"
    scratch.mkdir(parents=True)
    sandbox = JobSandbox(kpus=2, workdir=str(tmp_path / "job"), storage_per_kpu=256 * KIB)
    job = subprocess.Popen(["sleep", "60"], start_new_session=True)
    log = io.BytesIO()
    try:
        guard = StorageGuard.for_job(sandbox, job.pid, log)
        assert guard is not None and guard.limit == 512 * KIB
        fill(scratch / "part-0", 256 * KIB)
        assert guard.check() is False  # within 2 KPU x 256 KiB: nothing happens
        assert job.poll() is None
        (scratch / "state").mkdir()
        for part in range(3):
            fill(scratch / "state" / f"part-{part}", 128 * KIB)

        assert guard.check() is True
        assert job.wait(10) == -signal.SIGKILL
        cause = guard.stop()
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert cause is not None and cause.startswith("OSError: [Errno 28] No space left on device")
    assert "2 KPU x 256.0 KiB = 512.0 KiB" in cause and str(scratch) in cause
    assert cause in log.getvalue().decode()
    assert scratch.is_dir() and not any(scratch.iterdir())  # the next attempt starts empty


def test_a_guard_that_never_tripped_leaves_the_scratch_alone(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    fill(scratch / "kept", 4 * KIB)
    guard = StorageGuard([str(scratch)], 1024**2, os.getpid(), what="test storage", interval=0.01)
    guard.start()
    assert guard.stop() is None
    assert (scratch / "kept").exists()
    assert StorageGuard.for_job(JobSandbox(), os.getpid(), None) is None  # no working directory
