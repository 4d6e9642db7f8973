"""Job plans of running applications, in Flink's JSON plan format, for DescribeApplication's
``IncludeAdditionalDetails`` (``FlinkApplicationConfigurationDescription.JobPlanDescription``).

The process that runs the jobs writes each running job's plan to ``<data dir>/job-plans/`` (one file per
application ARN) and removes it when the job is gone; DescribeApplication, in any HTTP worker, reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from api_models.models import ApplicationDetail
from runtime_adapter.insight import JobInsight

PLANS_DIR = "job-plans"


def flink_job_plan(insight: JobInsight, job_name: str) -> str:
    """The plan as Flink's REST API gives it (``/jobs/:id/plan``): nodes with parallelism and inputs."""
    nodes = [
        {
            "id": operator.uid,
            "parallelism": operator.parallelism,
            "operator": operator.kind,
            "operator_strategy": "",
            "description": operator.name,
            "inputs": [
                {"num": number, "id": upstream, "ship_strategy": strategy, "exchange": "pipelined_bounded"}
                for number, (upstream, strategy) in enumerate(operator.inputs)
            ],
            "optimizer_properties": {},
        }
        for operator in insight.operators
    ]
    return json.dumps({"jid": insight.job_id, "name": job_name, "type": "STREAMING", "nodes": nodes})


class JobPlanStore:
    """One plan file per application ARN under a directory."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / PLANS_DIR

    def _path(self, application_arn: str) -> Path:
        return self.directory / (hashlib.sha256(application_arn.encode()).hexdigest()[:32] + ".json")

    def read(self, application_arn: str) -> str | None:
        """The plan of the application's running job, if one is known."""
        try:
            return self._path(application_arn).read_text(encoding="utf-8")
        except OSError:
            return None

    def write(self, application_arn: str, plan: str) -> None:
        """Keep ``plan`` (atomically replacing an older one; an unchanged plan is not rewritten)."""
        path = self._path(application_arn)
        if self.read(application_arn) == plan:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(plan, encoding="utf-8")
        temporary.replace(path)

    def keep_only(self, application_arns: Iterable[str]) -> None:
        """Remove the plans of every application not in ``application_arns`` (their jobs are gone)."""
        kept = {self._path(arn).name for arn in application_arns}
        if not self.directory.is_dir():
            return
        for path in self.directory.glob("*.json"):
            if path.name not in kept:
                path.unlink(missing_ok=True)


def with_job_plan(detail: ApplicationDetail, plan: str) -> ApplicationDetail:
    """A copy of ``detail`` whose Flink configuration describes the job plan."""
    described = detail.model_copy(deep=True)
    configuration = described.application_configuration_description
    if configuration is not None and configuration.flink_application_configuration_description is not None:
        configuration.flink_application_configuration_description.job_plan_description = plan
    return described
