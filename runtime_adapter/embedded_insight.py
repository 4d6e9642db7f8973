"""``JobInsight`` of an embedded job, from its supervisor's vitals, checkpoint statistics and log files."""

from __future__ import annotations

import re
from pathlib import Path

from runtime_adapter.insight import JobInsight, OperatorInsight, RestartRecord
from stream_runtime.process.supervisor import Supervisor

_ATTEMPT = re.compile(r"-attempt-(\d+)\.log$")


def attempt_logs(log_dir: Path, job_id: str) -> tuple[Path, ...]:
    """The job's attempt log files, oldest attempt first."""
    files = [
        (int(found.group(1)), path)
        for path in log_dir.glob(f"{job_id}-attempt-*.log")
        if (found := _ATTEMPT.search(path.name))
    ]
    return tuple(path for _, path in sorted(files))


def supervisor_insight(supervisor: Supervisor, log_dir: Path) -> JobInsight:
    """What ``supervisor`` knows about its job now."""
    vitals = supervisor.vitals
    metrics = vitals.metrics
    operators = tuple(
        OperatorInsight(
            uid=str(entry["uid"]),
            name=str(entry["name"]),
            parallelism=int(entry["parallelism"]),
            records_in=int(entry["records_in"]),
            records_out=int(entry["records_out"]),
            kind=str(entry.get("kind", "")),
            inputs=tuple((str(uid), str(strategy)) for uid, strategy in entry.get("inputs", [])),
            subtasks=tuple((int(into), int(out)) for into, out in entry.get("subtasks", [])),
        )
        for entry in metrics.get("operators", [])
    )
    lag = metrics.get("millis_behind_latest")
    storage = supervisor.storage_use()
    return JobInsight(
        job_id=supervisor.spec.job_id,
        parallelism=supervisor.spec.overrides.parallelism or 1,
        running_since_ms=vitals.running_since_ms,
        down_since_ms=vitals.down_since_ms,
        full_restarts=supervisor.restart_count,
        failures=tuple(RestartRecord(failure.at_ms, failure.cause) for failure in vitals.failures),
        checkpoints=tuple(supervisor.checkpoint_stats()),
        operators=operators,
        records_in=int(metrics.get("records_in", 0)),
        records_out=int(metrics.get("records_out", 0)),
        millis_behind_latest=None if lag is None else int(lag),
        pid=supervisor.pid,
        log_files=attempt_logs(log_dir, supervisor.spec.job_id),
        disk_percent=None
        if storage is None or storage[1] <= 0
        else min(100.0, storage[0] * 100 / storage[1]),
    )
