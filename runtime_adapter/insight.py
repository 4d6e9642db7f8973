"""What a runtime can tell about a running job beyond its state: the figures metrics and dashboards show.

``InsightSource`` is an optional companion of ``RuntimeAdapter``: an adapter that can say more about
its jobs than ``status`` and ``checkpoint_stats`` (uptime, restarts and their causes, record counts,
the job's process and log files) implements ``insight``. The control plane publishes metrics and
renders the job dashboard from it; an adapter without it still runs jobs, only without those figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class OperatorInsight:
    """One operator of the job graph: its parallelism and the records its subtasks took in and put out.

    ``subtasks`` holds (records in, records out) of each subtask by index, when the runtime counts them.
    """

    uid: str
    name: str
    parallelism: int
    records_in: int = 0
    records_out: int = 0
    kind: str = ""
    inputs: tuple[tuple[str, str], ...] = ()  # (upstream uid, ship strategy: HASH, REBALANCE, FORWARD)
    subtasks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RestartRecord:
    """One failure of the job: when (epoch ms) and why (the exception type and message, or the signal)."""

    failed_at_ms: int
    cause: str


@dataclass(frozen=True)
class JobInsight:
    """A job's vital figures at one moment.

    ``running_since_ms`` is when the current attempt started processing (None while it is not);
    ``down_since_ms`` is when the outage in progress began (None while the job is up);
    ``full_restarts`` counts restarts since submission (Flink's ``fullRestarts``), ``failures`` lists
    each failure. Record counts are those of the current attempt, as Flink's counters restart with
    the job. ``checkpoints`` are the checkpoint statistics across attempts, oldest first (``id``,
    ``status``, ``trigger_timestamp_ms``, ``duration_ms``, ``state_size``, ``failure_reason``).
    ``failed_checkpoints`` is the runtime's own count of failed checkpoints when its history is bounded
    (Flink keeps the last few), None when ``checkpoints`` holds them all. ``heap_percent``,
    ``cpu_percent`` and ``memory_percent`` are the runtime's own heap, CPU and memory use across its
    workers (memory out of their process size), for runtimes without a process of the job to measure
    (``pid`` None); None when not reported.
    """

    job_id: str
    parallelism: int
    running_since_ms: int | None
    down_since_ms: int | None
    full_restarts: int = 0
    failures: tuple[RestartRecord, ...] = ()
    checkpoints: tuple[dict[str, Any], ...] = ()
    operators: tuple[OperatorInsight, ...] = ()
    records_in: int = 0
    records_out: int = 0
    millis_behind_latest: int | None = None
    pid: int | None = None
    log_files: tuple[Path, ...] = field(default=())
    failed_checkpoints: int | None = None
    heap_percent: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    disk_percent: float | None = None  # running application storage used, of what the job may use


@runtime_checkable
class InsightSource(Protocol):
    """A runtime adapter that reports ``JobInsight`` for its jobs."""

    def insight(self, job_id: str) -> JobInsight | None:
        """The job's figures now, or None for a job this runtime does not run."""
        ...


@runtime_checkable
class WebUiSource(Protocol):
    """A runtime adapter whose runtime serves its own web UI (Flink's dashboard)."""

    def web_ui(self, job_id: str) -> str | None:
        """The base URL of the web UI showing the job, or None when this runtime has none for it."""
        ...


@runtime_checkable
class JobLogSource(Protocol):
    """A runtime adapter whose jobs log into files shared with other jobs, one JSON object a line
    (log4j's ``JsonLayout`` template), each line of a job tagged with its id (MDC key ``flink-job-id``)."""

    def job_log_files(self, job_id: str) -> tuple[Path, ...]:
        """The files that may hold the job's lines (none when this runtime cannot read them)."""
        ...
