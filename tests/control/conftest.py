"""A control plane without HTTP: services called directly, the loop driven by ``tick()``, a fake runtime,
a manual clock. Runs on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from api_models import models
from app.control.loop import ControlLoop, TickReport
from app.db.deployments import DeploymentRow
from app.db.migrate import upgrade
from app.db.models import ApplicationRow, SnapshotRow
from app.db.scope import Scope
from app.db.session import Database
from app.services import applications, lifecycle, operations
from app.services.context import RequestContext
from app.settings import Settings
from runtime_adapter.fake import FakeJob, FakeRuntimeAdapter
from tests.api.app_helpers import python_zip as code_zip

SCOPE = Scope("123456789012", "us-east-1")
ROLE = "arn:aws:iam::123456789012:role/msf"
START_TIMEOUT = timedelta(seconds=120)
STOP_TIMEOUT = timedelta(seconds=60)


@dataclass
class ManualClock:
    """A clock that moves only when told to."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class ControlEnv:
    """Services, loop, fake runtime and clock of one test."""

    database: Database
    settings: Settings
    fake: FakeRuntimeAdapter
    clock: ManualClock
    loop: ControlLoop

    def call(
        self, function: Callable[[RequestContext, Any], Any], request: dict[str, Any], model: type
    ) -> Any:
        """Call a service function as the protocol layer does: one committed transaction."""
        with self.database.session() as session:
            ctx = RequestContext(SCOPE, session, self.settings, "test-request", clock=self.clock)
            return function(ctx, model.model_validate(request))

    def tick(self, times: int = 1) -> TickReport:
        report = TickReport()
        for _ in range(times):
            report = self.loop.tick()
            assert not report.errors, report.errors
        return report

    # ---- API calls -------------------------------------------------------------------------

    def create(self, name: str = "app", *, code: bytes | None = None, **configuration: Any) -> dict[str, Any]:
        code_configuration = {
            "CodeContent": {"ZipFileContent": code if code is not None else code_zip()},
            "CodeContentType": "ZIPFILE",
        }
        request = {
            "ApplicationName": name,
            "RuntimeEnvironment": "FLINK-1_20",
            "ServiceExecutionRole": ROLE,
            "ApplicationConfiguration": {"ApplicationCodeConfiguration": code_configuration, **configuration},
        }
        response = self.call(applications.create_application, request, models.CreateApplicationRequest)
        return dump(response)["ApplicationDetail"]

    def run(self, **configuration: Any) -> None:
        """Create the application "app" and drive it to RUNNING."""
        self.create(**configuration)
        self.start()
        self.tick()
        self.fake.advance()
        self.tick()
        assert self.status() == "RUNNING"

    def start(self, name: str = "app", **run_configuration: Any) -> str:
        request: dict[str, Any] = {"ApplicationName": name}
        if run_configuration:
            request["RunConfiguration"] = run_configuration
        response = self.call(lifecycle.start_application, request, models.StartApplicationRequest)
        operation_id: str = response.operation_id
        return operation_id

    def stop(self, name: str = "app", force: bool = False) -> str:
        request = {"ApplicationName": name, "Force": force}
        response = self.call(lifecycle.stop_application, request, models.StopApplicationRequest)
        operation_id: str = response.operation_id
        return operation_id

    def update(self, name: str = "app", **update: Any) -> str:
        version = self.describe(name)["ApplicationVersionId"]
        request = {"ApplicationName": name, "CurrentApplicationVersionId": version, **update}
        response = self.call(applications.update_application, request, models.UpdateApplicationRequest)
        operation_id: str = response.operation_id
        return operation_id

    def delete(self, name: str = "app") -> None:
        created = self.describe(name)["CreateTimestamp"]
        request = {"ApplicationName": name, "CreateTimestamp": created}
        self.call(applications.delete_application, request, models.DeleteApplicationRequest)

    def describe(self, name: str = "app") -> dict[str, Any]:
        request = {"ApplicationName": name}
        response = self.call(applications.describe_application, request, models.DescribeApplicationRequest)
        detail: dict[str, Any] = dump(response)["ApplicationDetail"]
        return detail

    def status(self, name: str = "app") -> str:
        status: str = self.describe(name)["ApplicationStatus"]
        return status

    def operation(self, operation_id: str, name: str = "app") -> dict[str, Any]:
        request = {"ApplicationName": name, "OperationId": operation_id}
        response = self.call(
            operations.describe_application_operation, request, models.DescribeApplicationOperationRequest
        )
        details: dict[str, Any] = dump(response)["ApplicationOperationInfoDetails"]
        return details

    def error_string(self, operation_id: str, name: str = "app") -> str:
        error: str = self.operation(operation_id, name)["OperationFailureDetails"]["ErrorInfo"]["ErrorString"]
        return error

    # ---- direct reads ----------------------------------------------------------------------

    def snapshots(self, name: str = "app") -> list[SnapshotRow]:
        with self.database.session() as session:
            application = session.scalars(
                select(ApplicationRow).where(ApplicationRow.application_name == name)
            ).one()
            rows = session.scalars(
                select(SnapshotRow)
                .where(SnapshotRow.application_id == application.id)
                .order_by(SnapshotRow.id)
            )
            return list(rows)

    def deployments(self) -> list[DeploymentRow]:
        with self.database.session() as session:
            return list(session.scalars(select(DeploymentRow).order_by(DeploymentRow.id)))

    def job(self, index: int = -1) -> FakeJob:
        """A job the fake runtime was asked to start (the latest by default)."""
        return list(self.fake.jobs.values())[index]


def dump(model: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


@pytest.fixture
def control(tmp_path: Path, database_url: str) -> Iterator[ControlEnv]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    upgrade(database_url)
    database = Database(database_url)
    fake = FakeRuntimeAdapter(auto_advance=False)
    clock = ManualClock()
    loop = ControlLoop(
        database, fake, settings, clock=clock, start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT
    )
    try:
        yield ControlEnv(database, settings, fake, clock, loop)
    finally:
        database.dispose()
