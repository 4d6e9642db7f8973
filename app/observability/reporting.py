"""Runs the metrics reporter and the lifecycle log beside the control loop in ``msf-local serve``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import FastAPI

from app.observability.flink_logs import FlinkLogShipper
from app.observability.lifecycle import LifecycleLog
from app.observability.metrics import MetricsReporter
from app.services.aws import aws_client
from app.services.job_plans import JobPlanStore
from app.settings import Settings

logger = logging.getLogger("msf_local.metrics")


def cloudwatch_clients(settings: Settings, service: str = "cloudwatch") -> Any:
    """(account, region) → a ``service`` client on the configured endpoint, built once per pair."""

    @lru_cache(maxsize=256)
    def client(account_id: str, region: str) -> Any:
        return aws_client(settings, service, account_id, region)

    return client


async def _every(interval: float, stop: asyncio.Event, work: Callable[[], object], what: str) -> None:
    """Run ``work`` on a worker thread every ``interval`` seconds until ``stop`` is set. The first round
    comes one interval after start, not while a (re)started server answers its first requests: it would
    compete with them for the interpreter (it loads boto3, for one)."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            await asyncio.to_thread(work)
        except Exception:  # e.g. the database is unreachable: try again next time
            logger.exception("%s failed", what)


@asynccontextmanager
async def run_observability(app: FastAPI) -> AsyncIterator[MetricsReporter]:
    """Publish metrics of ``app``'s jobs (``app.state.runtime_adapter``) every metrics period; log
    lifecycle events and keep the running jobs' plans every control interval; until the block exits.

    With the embedded CloudWatch the reporter also evaluates the alarms on those metrics (moto does not).
    """
    settings: Settings = app.state.settings
    reporter = MetricsReporter(
        app.state.database,
        app.state.runtime_adapter,
        cloudwatch_clients(settings),
        period=settings.metrics_period,
        clock=time.time,
        evaluate_alarms=settings.aws_endpoint is None,
        plans=JobPlanStore(settings.data_dir),
    )
    app.state.metrics_reporter = reporter
    lifecycle = LifecycleLog(app.state.database)
    shipper = FlinkLogShipper(
        reporter.watched,
        app.state.runtime_adapter,
        cloudwatch_clients(settings, "logs"),
        settings.data_dir / "runtime" / "logs",
    )
    app.state.flink_log_shipper = shipper

    def watch() -> None:
        lifecycle.poll()
        reporter.record_plans()

    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_every(settings.metrics_period, stop, reporter.tick, "metrics reporter tick")),
        asyncio.create_task(_every(settings.control_interval, stop, watch, "lifecycle log and job plans")),
        asyncio.create_task(_every(settings.control_interval, stop, shipper.tick, "Flink log shipping")),
    ]
    try:
        yield reporter
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await asyncio.to_thread(shipper.close)
