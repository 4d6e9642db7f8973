"""Helpers of the observability tests: applications with real jobs on a live server, and their job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db.deployments import DeploymentRow
from tests.api.app_helpers import python_zip
from tests.conftest import LiveServer, eventually

ROLE = "arn:aws:iam::123456789012:role/msf"

LOGGING_JOB = """
import logging
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

log = logging.getLogger("com.example.LoggingJob")
log.debug("debug-line")
log.info("info-line")
log.warning("warn-line")
log.error("error-line")
env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=50).uid("numbers").add_sink(DiscardingSink())
env.execute("logging")
"""


def create_application(
    kav2: Any, name: str, code: str, *, log_streams: list[str] | None = None, **flink: Any
) -> None:
    """A Flink application running ``code`` as ``main.py`` with the given Flink configuration blocks."""
    kav2.create_application(
        ApplicationName=name,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        CloudWatchLoggingOptions=[{"LogStreamARN": arn} for arn in log_streams or []],
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": python_zip({"main.py": code})},
                "CodeContentType": "ZIPFILE",
            },
            "FlinkApplicationConfiguration": flink,
        },
    )


def status(kav2: Any, name: str) -> str:
    value: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return value


def start_and_wait_running(kav2: Any, name: str) -> None:
    """StartApplication, then wait (bounded) until the application is RUNNING."""
    kav2.start_application(ApplicationName=name, RunConfiguration={})
    assert eventually(lambda: status(kav2, name), "RUNNING", timeout=90) == "RUNNING"


def job_id(live: LiveServer, name: str) -> str:
    """The id of the job the control loop runs for application ``name``."""
    app = live.server.config.app
    with app.state.database.session() as session:
        found = session.scalars(
            select(DeploymentRow.job_id).where(DeploymentRow.application_name == name)
        ).one()
    assert found is not None
    return str(found)


def runtime(live: LiveServer) -> Any:
    """The live server's runtime adapter (the embedded one)."""
    return live.server.config.app.state.runtime_adapter


def log_stream_arn(account: str, group: str, stream: str, region: str = "us-east-1") -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"
