"""``AWS/KinesisAnalytics`` metrics of running applications, published to CloudWatch with PutMetricData.

Every ``period`` seconds (60 by default, as on AWS; seconds for tests) ``MetricsReporter.tick`` reads
each application that has a job — its monitoring settings from the database, the job's figures from
the runtime (``runtime_adapter.insight``) and the job process's CPU and memory from ``/proc`` — and
puts one datum per metric, with the ``Application`` dimension, into the application's account and
Region on the configured endpoint (the embedded CloudWatch by default). As on AWS each level adds to
the ones above it: TASK adds the record counts per task (dimensions ``Application`` + ``Task``),
OPERATOR per operator (``Application`` + ``Operator``), PARALLELISM both again per subtask, with the
subtask index as the ``Parallelism`` dimension (Flink's ``subtask_index``).
docs/metrics.md lists every metric and how it is measured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.db.deployments import DeploymentRow
from app.db.models import ApplicationRow, ApplicationVersionRow
from app.db.session import Database
from app.observability.alarms import evaluate_alarms
from app.observability.monitoring import MonitoringSettings
from app.observability.process import ProcessSample, sample_process
from app.services.job_plans import JobPlanStore, flink_job_plan
from runtime_adapter.insight import InsightSource, JobInsight

logger = logging.getLogger("msf_local.metrics")

NAMESPACE = "AWS/KinesisAnalytics"
GIB = 1024**3
MEMORY_PER_KPU = 4 * GIB
MAX_DATA_PER_CALL = 1000

CloudWatchFactory = Callable[[str, str], Any]
"""(account id, region) → a boto3 CloudWatch client acting in that account."""


@dataclass(frozen=True)
class _Previous:
    at_s: float
    records_in: int
    records_out: int
    process: ProcessSample | None


@dataclass(frozen=True)
class WatchedJob:
    """A job the reporter publishes for: where its metrics go and what its version asks for."""

    account_id: str
    region: str
    application_name: str
    job_id: str
    settings: MonitoringSettings
    application_arn: str = ""
    version_id: int = 0


def _datum(name: str, value: float, unit: str, dimensions: dict[str, str], at: datetime) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": key, "Value": val} for key, val in dimensions.items()],
        "Value": float(value),
        "Unit": unit,
        "Timestamp": at,
        "StorageResolution": 1,
    }


def _checkpoint_figures(insight: JobInsight) -> tuple[int, int | None, int | None]:
    """(failed checkpoints, duration and size of the latest completed checkpoint)."""
    failed = insight.failed_checkpoints
    if failed is None:
        failed = sum(1 for entry in insight.checkpoints if entry.get("status") == "FAILED")
    completed = [entry for entry in insight.checkpoints if entry.get("status") == "COMPLETED"]
    if not completed:
        return failed, None, None
    latest = completed[-1]
    return failed, int(latest.get("duration_ms") or 0), int(latest.get("state_size") or 0)


def job_metrics(
    job: WatchedJob,
    insight: JobInsight,
    now_s: float,
    process: ProcessSample | None,
    previous: _Previous | None,
) -> list[dict[str, Any]]:
    """The metric data of one job at ``now_s`` (rates against the ``previous`` sample, if any)."""
    at = datetime.fromtimestamp(now_s, UTC)
    now_ms = int(now_s * 1000)
    app = {"Application": job.application_name}
    uptime = now_ms - insight.running_since_ms if insight.running_since_ms is not None else 0
    downtime = now_ms - insight.down_since_ms if insight.down_since_ms is not None else 0
    failed, duration, size = _checkpoint_figures(insight)
    data = [
        _datum("uptime", max(0, uptime), "Milliseconds", app, at),
        _datum("downtime", max(0, downtime), "Milliseconds", app, at),
        _datum("fullRestarts", insight.full_restarts, "Count", app, at),
        _datum("numberOfFailedCheckpoints", failed, "Count", app, at),
        _datum("numRecordsIn", insight.records_in, "Count", app, at),
        _datum("numRecordsOut", insight.records_out, "Count", app, at),
        _datum("KPUs", job.settings.kpus, "Count", app, at),
    ]
    if duration is not None and size is not None:
        data.append(_datum("lastCheckpointDuration", duration, "Milliseconds", app, at))
        data.append(_datum("lastCheckpointSize", size, "Bytes", app, at))
    if insight.millis_behind_latest is not None:
        data.append(_datum("millisBehindLatest", insight.millis_behind_latest, "Milliseconds", app, at))
    if previous is not None and now_s > previous.at_s:
        elapsed = now_s - previous.at_s
        rate_in = max(0, insight.records_in - previous.records_in) / elapsed
        rate_out = max(0, insight.records_out - previous.records_out) / elapsed
        data.append(_datum("numRecordsInPerSecond", rate_in, "Count/Second", app, at))
        data.append(_datum("numRecordsOutPerSecond", rate_out, "Count/Second", app, at))
        if process is not None and previous.process is not None:
            cpu = max(0.0, process.cpu_seconds - previous.process.cpu_seconds) / elapsed / job.settings.kpus
            data.append(_datum("containerCPUUtilization", min(100.0, cpu * 100), "Percent", app, at))
    if process is not None:
        memory = job.settings.kpus * MEMORY_PER_KPU
        data.append(
            _datum("containerMemoryUtilization", process.resident_bytes * 100 / memory, "Percent", app, at)
        )
        data.append(
            _datum("heapMemoryUtilization", process.anonymous_bytes * 100 / memory, "Percent", app, at)
        )
    if process is None and insight.heap_percent is not None:
        data.append(_datum("heapMemoryUtilization", insight.heap_percent, "Percent", app, at))
    if process is None and insight.cpu_percent is not None:
        data.append(_datum("containerCPUUtilization", insight.cpu_percent, "Percent", app, at))
    if insight.disk_percent is not None:
        data.append(_datum("containerDiskUtilization", insight.disk_percent, "Percent", app, at))
    if process is None and insight.memory_percent is not None:
        data.append(_datum("containerMemoryUtilization", insight.memory_percent, "Percent", app, at))
    data.extend(_operator_metrics(job, insight, at))
    return data


def _operator_metrics(job: WatchedJob, insight: JobInsight, at: datetime) -> Iterator[dict[str, Any]]:
    """Record counts per task (each operator is its own task here), per operator and per subtask."""
    level = job.settings.metrics_level
    if level == "APPLICATION":
        return
    kinds = ("Task",) if level == "TASK" else ("Task", "Operator")
    for operator in insight.operators:
        for kind in kinds:
            dimensions = {"Application": job.application_name, kind: operator.name}
            yield _datum("numRecordsIn", operator.records_in, "Count", dimensions, at)
            yield _datum("numRecordsOut", operator.records_out, "Count", dimensions, at)
            if level != "PARALLELISM":
                continue
            for index, (records_in, records_out) in enumerate(operator.subtasks):
                subtask = dimensions | {"Parallelism": str(index)}
                yield _datum("numRecordsIn", records_in, "Count", subtask, at)
                yield _datum("numRecordsOut", records_out, "Count", subtask, at)


class MetricsReporter:
    """Publishes the metrics of every application with a job, once per ``period`` seconds."""

    def __init__(
        self,
        database: Database,
        runtime: object,
        cloudwatch: CloudWatchFactory,
        *,
        period: float = 60.0,
        clock: Callable[[], float],
        sampler: Callable[[int], ProcessSample | None] = sample_process,
        evaluate_alarms: bool = False,
        plans: JobPlanStore | None = None,
    ) -> None:
        self.database = database
        self.runtime = runtime if isinstance(runtime, InsightSource) else None
        self.cloudwatch = cloudwatch
        self.period = period
        self.clock = clock
        self.sampler = sampler
        self.alarms = evaluate_alarms
        self.plans = plans
        self._previous: dict[str, _Previous] = {}
        self._scopes: set[tuple[str, str]] = set()
        self._last_tick: float | None = None
        self._planned: dict[str, tuple[str, int]] = {}  # application ARN → (job id, version) of its plan

    def due(self) -> bool:
        """Whether a period has passed since the last publication."""
        return self._last_tick is None or self.clock() - self._last_tick >= self.period

    def watched(self) -> list[WatchedJob]:
        """Applications that have a job in the runtime, with their current version's settings."""
        with self.database.session() as session:
            rows = session.execute(
                select(DeploymentRow, ApplicationRow, ApplicationVersionRow)
                .join(ApplicationRow, ApplicationRow.id == DeploymentRow.application_id)
                .join(
                    ApplicationVersionRow,
                    (ApplicationVersionRow.application_id == ApplicationRow.id)
                    & (ApplicationVersionRow.version_id == ApplicationRow.current_version_id),
                )
                .where(DeploymentRow.job_id.is_not(None))
            ).all()
            return [
                WatchedJob(
                    application.account_id,
                    application.region,
                    application.application_name,
                    str(deployment.job_id),
                    MonitoringSettings.of(version.configuration),
                    application.application_arn,
                    application.current_version_id,
                )
                for deployment, application, version in rows
            ]

    def tick(self) -> int:
        """Publish one sample of every watched job; returns how many data were put."""
        self._last_tick = self.clock()
        if self.runtime is None:
            return 0
        published = 0
        live: set[str] = set()
        for job in self.watched():
            insight = self.runtime.insight(job.job_id)
            if insight is None:
                continue
            live.add(job.job_id)
            now = self.clock()
            process = self.sampler(insight.pid) if insight.pid is not None else None
            data = job_metrics(job, insight, now, process, self._previous.get(job.job_id))
            self._previous[job.job_id] = _Previous(now, insight.records_in, insight.records_out, process)
            published += self._put(job, data)
            self._scopes.add((job.account_id, job.region))
        self._previous = {key: value for key, value in self._previous.items() if key in live}
        if self.alarms:
            self._evaluate(datetime.fromtimestamp(self.clock(), UTC))
        return published

    def record_plans(self) -> None:
        """Keep the job plan of every watched job that reports its operators, and only those.

        A job's plan is fixed for its job id and application version (a new parallelism is a new version),
        so the runtime is asked once per pair: on Flink each question is a dozen REST reads.
        """
        if self.plans is None or self.runtime is None:
            return
        kept = []
        for job in self.watched():
            key = (job.job_id, job.version_id)
            if self._planned.get(job.application_arn) != key:
                insight = self.runtime.insight(job.job_id)
                if insight is None or not insight.operators:
                    continue
                self.plans.write(job.application_arn, flink_job_plan(insight, job.application_name))
                self._planned[job.application_arn] = key
            kept.append(job.application_arn)
        self._planned = {arn: self._planned[arn] for arn in kept}
        self.plans.keep_only(kept)

    def _evaluate(self, now: datetime) -> None:
        """Evaluate the alarms of every account and Region metrics were published to."""
        for account_id, region in sorted(self._scopes):
            try:
                changed = evaluate_alarms(self.cloudwatch(account_id, region), now)
            except Exception as error:
                logger.warning("could not evaluate alarms in %s %s: %s", account_id, region, error)
                continue
            for name, state in changed.items():
                logger.info("alarm %s (account %s, %s) is now %s", name, account_id, region, state)

    def _put(self, job: WatchedJob, data: list[dict[str, Any]]) -> int:
        try:
            client = self.cloudwatch(job.account_id, job.region)
            for start in range(0, len(data), MAX_DATA_PER_CALL):
                client.put_metric_data(
                    Namespace=NAMESPACE, MetricData=data[start : start + MAX_DATA_PER_CALL]
                )
        except Exception as error:  # an unreachable endpoint must not stop the other applications
            logger.warning(
                "could not publish metrics of %s: %s: %s", job.application_name, type(error).__name__, error
            )
            return 0
        return len(data)
