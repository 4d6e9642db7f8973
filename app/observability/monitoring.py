"""The monitoring settings of a stored version: log level, metrics level, KPUs, CloudWatch log streams."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.db.models import ApplicationRow
from app.services.configuration.view import VersionView
from stream_runtime.cloudwatch_logs import logging_environment


@dataclass(frozen=True)
class MonitoringSettings:
    """What a version asks of logging and metrics (DEFAULT monitoring = INFO logs, APPLICATION metrics)."""

    log_level: str = "INFO"
    metrics_level: str = "APPLICATION"
    parallelism: int = 1
    parallelism_per_kpu: int = 1
    log_stream_arns: tuple[str, ...] = ()

    @property
    def kpus(self) -> int:
        """Kinesis Processing Units the application runs on: parallelism / parallelism per KPU, rounded up."""
        return max(1, math.ceil(self.parallelism / max(1, self.parallelism_per_kpu)))

    @classmethod
    def of(cls, configuration: dict[str, Any]) -> MonitoringSettings:
        """Read from a version's stored configuration (the description shapes)."""
        view = VersionView(configuration)
        monitoring = view.monitoring()
        streams = tuple(
            option["LogStreamARN"] for option in configuration.get("CloudWatchLoggingOptionDescriptions", [])
        )
        return cls(
            log_level=str(monitoring["LogLevel"]),
            metrics_level=str(monitoring["MetricsLevel"]),
            parallelism=view.parallelism(),
            parallelism_per_kpu=view.parallelism_per_kpu(),
            log_stream_arns=streams,
        )


def job_logging_environment(application: ApplicationRow, configuration: dict[str, Any]) -> dict[str, str]:
    """The environment telling a job process its log level and CloudWatch log streams."""
    settings = MonitoringSettings.of(configuration)
    return logging_environment(
        list(settings.log_stream_arns),
        settings.log_level,
        application.application_arn,
        application.current_version_id,
    )
