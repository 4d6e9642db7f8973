"""From an application version to a ``JobSpec``: code, entry file, properties, checkpoints, parallelism.

Planning is deterministic for a given version and job id (code is content-addressed, the properties
file is rewritten), so a loop that resumes after a crash can rebuild the same spec and submit it again.
Problems with the code are outcomes (``PlannedJob.error``) that end the operation as FAILED.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api_models.errors import AwsError, InvalidApplicationConfigurationException
from api_models.models import CodeContentType
from app.code.archive import CodeData
from app.code.flink_code import is_jar, property_groups, with_run_options
from app.code.inline import InlineCodeStore
from app.code.properties import entry_file, write_application_properties
from app.code.source import S3CodeLocation, fetch_s3_code
from app.code.store import CodeStore
from app.db.models import ApplicationRow
from app.observability.monitoring import MonitoringSettings, job_logging_environment
from app.services.aws import aws_client, job_aws_environment
from app.services.configuration.view import VersionView
from app.settings import Settings
from runtime_adapter.base import CheckpointSettings, JobSpec, RestorePoint

S3ClientFactory = Callable[[Settings, ApplicationRow], Any]


def default_s3_client(settings: Settings, application: ApplicationRow) -> Any:
    """An S3 client in the application's account and region, on the configured endpoint."""
    return aws_client(settings, "s3", application.account_id, application.region)


@dataclass(frozen=True)
class PlannedJob:
    """A job ready to submit, or why it cannot be."""

    spec: JobSpec | None = None
    error: str | None = None


def checkpoint_settings(view: VersionView) -> CheckpointSettings:
    """The runtime's form of the version's effective checkpoint policy."""
    policy = view.effective_checkpoint()
    return CheckpointSettings(
        enabled=policy.enabled, interval_ms=policy.interval_ms, min_pause_ms=policy.min_pause_ms
    )


class JobPlanner:
    """Turns a stored version into a ``JobSpec``: fetches and unpacks code, writes the properties file."""

    def __init__(self, settings: Settings, s3_client: S3ClientFactory = default_s3_client) -> None:
        self.settings = settings
        self.s3_client = s3_client
        self._s3_clients: dict[tuple[str, str], Any] = {}  # (account, Region) → client
        self.inline = InlineCodeStore(settings.data_dir / "inline-code")
        self.code = CodeStore(settings.data_dir / "code")

    def application_dir(self, application_id: int) -> str:
        """Root of an application's checkpoints and savepoints."""
        return str(self.settings.data_dir / "state" / str(application_id))

    def discard_state(self, application_id: int) -> None:
        """Delete an application's folder: checkpoints, savepoints, job folders (after it was deleted)."""
        shutil.rmtree(self.application_dir(application_id), ignore_errors=True)

    def enhanced_snapshots_dir(self, application: ApplicationRow) -> str:
        """Where the enhanced snapshots of the application's account and Region are written."""
        enhanced = self.settings.data_dir / "enhanced-snapshots"
        return str(enhanced / application.account_id / application.region)

    def job_dir(self, application_id: int, job_id: str) -> Path:
        """The folder of one job of the application (its properties file)."""
        return Path(self.application_dir(application_id)) / "jobs" / job_id

    def job_ids(self, application_id: int) -> list[str]:
        """Every job planned for the application (each has a folder), oldest name first."""
        jobs = Path(self.application_dir(application_id)) / "jobs"
        return sorted(path.name for path in jobs.iterdir()) if jobs.is_dir() else []

    def savepoint_dir(self, application_id: int) -> str:
        """Where an application's savepoints (snapshots) are written."""
        return f"{self.application_dir(application_id)}/savepoints"

    def plan(
        self,
        application: ApplicationRow,
        configuration: dict[str, Any],
        job_id: str,
        restore: RestorePoint | None,
    ) -> PlannedJob:
        """The spec of job ``job_id`` running ``configuration``; an error string if the code is unusable."""
        view = VersionView(configuration)
        try:
            groups = view.property_groups()
            with self._code(application, view) as data:
                if is_jar(data):
                    code = self.code.prepare_jar(data)
                else:
                    code = with_run_options(self.code.prepare(data, entry_file(groups)), groups)
            self.code.hold(job_id, code)
        except AwsError as error:
            return PlannedJob(error=f"{error.code}: {error.message}")
        except OSError as error:
            return PlannedJob(error=f"The application code could not be read: {error}")
        properties = write_application_properties(groups, self.job_dir(application.id, job_id))
        spec = JobSpec(
            job_id=job_id,
            name=application.application_name,
            code=code,
            parallelism=view.parallelism(),
            checkpoints=checkpoint_settings(view),
            properties_file=properties,
            restore=restore,
            checkpoint_dir=f"{self.application_dir(application.id)}/checkpoints",
            environment=job_aws_environment(self.settings, application.account_id, application.region)
            | job_logging_environment(application, configuration),
            property_groups=property_groups(groups),
            kpus=MonitoringSettings.of(configuration).kpus,
            savepoint_dirs=(self.savepoint_dir(application.id), self.enhanced_snapshots_dir(application)),
        )
        return PlannedJob(spec=spec)

    def _s3(self, application: ApplicationRow) -> Any:
        """The S3 client of the application's account and Region, made once (making one takes about
        0.1 s, which every StartApplication of code in S3 paid before)."""
        key = (application.account_id, application.region)
        if key not in self._s3_clients:
            self._s3_clients[key] = self.s3_client(self.settings, application)
        return self._s3_clients[key]

    @contextmanager
    def _code(self, application: ApplicationRow, view: VersionView) -> Iterator[CodeData]:
        """The version's code archive: the kept inline archive, or the S3 object downloaded for the while."""
        code = view.code()
        if code is None:
            raise InvalidApplicationConfigurationException(
                "The application has no ApplicationCodeConfiguration"
            )
        content = code.get("CodeContentDescription", {})
        location = content.get("S3ApplicationCodeLocationDescription")
        if location:
            s3 = S3CodeLocation(location["BucketARN"], location["FileKey"], location.get("ObjectVersion"))
            with self.code.scratch() as scratch:
                fetch_s3_code(self._s3(application), s3, scratch / "code.zip")
                yield scratch / "code.zip"
            return
        if code.get("CodeContentType") == CodeContentType.ZIPFILE and content.get("CodeMD5"):
            yield self.inline.path(content["CodeMD5"])
            return
        raise InvalidApplicationConfigurationException(
            "The application code is not a zip file (ZipFileContent or S3ContentLocation)"
        )
