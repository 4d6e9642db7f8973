"""The monitoring settings of a stored version: log level, metrics level, KPUs, CloudWatch log streams."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.db.models import ApplicationRow
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
        described = configuration.get("ApplicationConfigurationDescription", {})
        flink = described.get("FlinkApplicationConfigurationDescription", {})
        monitoring = flink.get("MonitoringConfigurationDescription", {})
        parallelism = flink.get("ParallelismConfigurationDescription", {})
        custom_monitoring = monitoring.get("ConfigurationType") == "CUSTOM"
        custom_parallelism = parallelism.get("ConfigurationType") == "CUSTOM"
        streams = tuple(
            option["LogStreamARN"] for option in configuration.get("CloudWatchLoggingOptionDescriptions", [])
        )
        return cls(
            log_level=str(monitoring.get("LogLevel", "INFO")) if custom_monitoring else "INFO",
            metrics_level=str(monitoring.get("MetricsLevel", "APPLICATION"))
            if custom_monitoring
            else "APPLICATION",
            parallelism=int(parallelism.get("Parallelism", 1)) if custom_parallelism else 1,
            parallelism_per_kpu=int(parallelism.get("ParallelismPerKPU", 1)) if custom_parallelism else 1,
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
