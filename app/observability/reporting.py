"""Runs the ``MetricsReporter`` beside the control loop, every ``settings.metrics_period`` seconds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import FastAPI

from app.gateway import aws_client
from app.observability.metrics import MetricsReporter
from app.settings import Settings

logger = logging.getLogger("msf_local.metrics")


def cloudwatch_clients(settings: Settings) -> Any:
    """(account, region) → a CloudWatch client on the configured endpoint, built once per pair."""

    @lru_cache(maxsize=256)
    def client(account_id: str, region: str) -> Any:
        return aws_client(settings, "cloudwatch", account_id, region)

    return client


@asynccontextmanager
async def run_metrics_reporter(app: FastAPI) -> AsyncIterator[MetricsReporter]:
    """Publish metrics of ``app``'s jobs (``app.state.runtime_adapter``) until the block exits.

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
    )
    app.state.metrics_reporter = reporter
    stop = asyncio.Event()

    async def run() -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(reporter.tick)
            except Exception:  # e.g. the database is unreachable: try again next period
                logger.exception("metrics reporter tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.metrics_period)
            except TimeoutError:
                continue

    task = asyncio.create_task(run(), name="msf-local metrics reporter")
    try:
        yield reporter
    finally:
        stop.set()
        await task
