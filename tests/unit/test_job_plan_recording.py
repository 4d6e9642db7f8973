"""The reporter keeps each running job's plan (DescribeApplication's JobPlanDescription) and asks the runtime
for it once per job and application version: on Flink every question is a dozen REST reads."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.observability.metrics import MetricsReporter, WatchedJob
from app.observability.monitoring import MonitoringSettings
from app.services.job_plans import JobPlanStore
from runtime_adapter.insight import JobInsight, OperatorInsight

ARN = "arn:aws:kinesisanalytics:us-east-1:123456789012:application/shop"


class CountingRuntime:
    """Reports one operator at the parallelism set here, and counts the questions."""

    def __init__(self) -> None:
        self.parallelism = 2
        self.asked = 0
        self.running = True

    def insight(self, job_id: str) -> JobInsight | None:
        self.asked += 1
        if not self.running:
            return None
        operator = OperatorInsight("source", "Source: numbers", self.parallelism)
        return JobInsight(
            job_id, self.parallelism, running_since_ms=0, down_since_ms=None, operators=(operator,)
        )


def parallelism_in(plans: JobPlanStore) -> int | None:
    plan = plans.read(ARN)
    return None if plan is None else int(json.loads(plan)["nodes"][0]["parallelism"])


def test_a_plan_is_asked_for_once_per_job_and_version_and_dropped_with_its_job(tmp_path: Path) -> None:
    runtime = CountingRuntime()
    plans = JobPlanStore(tmp_path)
    reporter = MetricsReporter(None, runtime, lambda account, region: None, clock=time.time, plans=plans)
    watched = [WatchedJob("123456789012", "us-east-1", "shop", "job-1", MonitoringSettings(), ARN, 1)]
    reporter.watched = lambda: watched  # type: ignore[method-assign]

    for _ in range(5):
        reporter.record_plans()
    assert (runtime.asked, parallelism_in(plans)) == (1, 2)

    runtime.parallelism = 1  # UpdateApplication to parallelism 1: a new version
    watched[0] = WatchedJob("123456789012", "us-east-1", "shop", "job-1", MonitoringSettings(), ARN, 2)
    reporter.record_plans()
    reporter.record_plans()
    assert (runtime.asked, parallelism_in(plans)) == (2, 1)

    watched.clear()  # the job is gone: so is its plan, and the next job's is asked for again
    reporter.record_plans()
    assert parallelism_in(plans) is None
    watched.append(WatchedJob("123456789012", "us-east-1", "shop", "job-1", MonitoringSettings(), ARN, 2))
    runtime.running = False  # a job that reports no operators yet has no plan
    reporter.record_plans()
    assert (runtime.asked, parallelism_in(plans)) == (3, None)
    runtime.running = True
    reporter.record_plans()
    assert (runtime.asked, parallelism_in(plans)) == (4, 1)
