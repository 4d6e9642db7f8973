"""The control loop's side of enhanced snapshots: every IN_PROGRESS snapshot operation, one step per tick.

- CreateSnapshot: trigger a savepoint of the source application's job (trigger id ``enhanced-<row id>``,
  written under the snapshot's own folder, outside the application's state so it outlives it); READY
  with its size once the runtime reports it complete, FAILED with the runtime's reason otherwise.
- ExportSnapshot: copy the savepoint's files to ``s3://<bucket>/<KeyPrefix><operation id>/``.
- ImportSnapshot: copy the files under ``s3://<bucket>/<KeyPrefix>`` into the snapshot's folder and
  verify they form a savepoint; READY, or FAILED saying why not.
- DeleteSnapshot: once no export of the snapshot is running, dispose of its savepoint and forget it.

Each step is idempotent (the trigger id is derived from the row; copies overwrite), so a crash anywhere
is resumed by the next tick. S3 copies run outside any database transaction. System snapshots are taken
with the stop or update that causes them, by the lifecycle reconciler; one its stop or update no longer
waits for (a failed savepoint, a stop that timed out) is ended FAILED here.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api_models.models import SnapshotOperation, SnapshotOperationStatus, SnapshotStatus
from app.control.system_snapshots import FILE_SCHEME, savepoint_size
from app.db.deployments import DeploymentRow
from app.db.models import EnhancedSnapshotRow, SnapshotOperationRow
from app.db.repositories import lock_for_write
from app.db.session import Database
from app.services.aws import aws_client
from app.services.snapshot_operations import finish_snapshot_operation
from app.services.snapshot_transfers import bucket_name
from app.settings import Settings
from runtime_adapter.base import (
    DisposeResult,
    JobState,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    TriggerResult,
)
from runtime_adapter.savepoint_files import savepoint_problem

logger = logging.getLogger("msf_local.control")

S3ClientFactory = Callable[[Settings, str, str], Any]
IMPORTED_FOLDER = "savepoint"
_WORKED = (
    SnapshotOperation.CREATESNAPSHOT.value,
    SnapshotOperation.SYSTEMCREATESNAPSHOT.value,
    SnapshotOperation.EXPORTSNAPSHOT.value,
    SnapshotOperation.IMPORTSNAPSHOT.value,
    SnapshotOperation.DELETESNAPSHOT.value,
)


def default_s3_client(settings: Settings, account_id: str, region: str) -> Any:
    """An S3 client acting in the snapshot's account and Region, on the configured endpoint."""
    return aws_client(settings, "s3", account_id, region)


class TransferFailed(Exception):
    """An export or import could not complete: ``code`` and message become the operation's ErrorInfo."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EnhancedSnapshotWorker:
    """Carries every IN_PROGRESS enhanced-snapshot operation forward (see the module doc)."""

    def __init__(
        self,
        database: Database,
        adapter: RuntimeAdapter,
        settings: Settings,
        clock: Callable[[], datetime],
        s3_client: S3ClientFactory = default_s3_client,
    ) -> None:
        self.database = database
        self.adapter = adapter
        self.settings = settings
        self.clock = clock
        self.s3_client = s3_client

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def snapshot_dir(self, snapshot: EnhancedSnapshotRow) -> Path:
        """The snapshot's own folder: its savepoint, whichever application it came from."""
        return (
            self.settings.data_dir
            / "enhanced-snapshots"
            / snapshot.account_id
            / snapshot.region
            / str(snapshot.id)
        )

    def tick(self) -> dict[str, BaseException]:
        """One step for each operation in progress; failures are logged, returned and retried."""
        failures: dict[str, BaseException] = {}
        with self.database.session() as session:
            pending = list(
                session.scalars(
                    select(SnapshotOperationRow.id)
                    .where(
                        SnapshotOperationRow.status == SnapshotOperationStatus.IN_PROGRESS.value,
                        SnapshotOperationRow.operation.in_(_WORKED),
                    )
                    .order_by(SnapshotOperationRow.id)
                )
            )
        for operation_pk in pending:
            try:
                self.step(operation_pk)
            except Exception as error:  # one operation's problem must not stop the others
                logger.exception("enhanced snapshot operation %s failed a step", operation_pk)
                failures[str(operation_pk)] = error
        return failures

    def step(self, operation_pk: int) -> None:
        """Advance one operation."""
        with self.database.session() as session:
            operation = session.get(SnapshotOperationRow, operation_pk)
            if operation is None or operation.status != SnapshotOperationStatus.IN_PROGRESS.value:
                return
            kind = SnapshotOperation(operation.operation)
        if kind is SnapshotOperation.EXPORTSNAPSHOT:
            self._transfer(operation_pk, self._export)
            return
        if kind is SnapshotOperation.IMPORTSNAPSHOT:
            self._transfer(operation_pk, self._import)
            return
        with self.database.session_factory() as session:
            lock_for_write(session)
            operation = session.get(SnapshotOperationRow, operation_pk, with_for_update=True)
            snapshot = session.get(EnhancedSnapshotRow, operation.snapshot_id) if operation else None
            if operation is None or operation.status != SnapshotOperationStatus.IN_PROGRESS.value:
                return
            if snapshot is None:
                finish_snapshot_operation(operation, self.now())  # already gone: nothing left to do
            elif kind is SnapshotOperation.CREATESNAPSHOT:
                self._take(session, snapshot, operation)
            elif kind is SnapshotOperation.SYSTEMCREATESNAPSHOT:
                self._abandoned(session, snapshot, operation)
            else:
                self._delete(session, snapshot, operation)
            session.commit()

    # ---- create ------------------------------------------------------------------------------

    def _take(self, session: Session, snapshot: EnhancedSnapshotRow, operation: SnapshotOperationRow) -> None:
        deployment = session.scalars(
            select(DeploymentRow).where(DeploymentRow.application_id == snapshot.source_application_id)
        ).one_or_none()
        job_id = deployment.job_id if deployment is not None else None
        state = self.adapter.status(job_id).state if job_id is not None else JobState.NOT_FOUND
        if job_id is None or state is JobState.NOT_FOUND or state.is_terminal:
            self._fail(snapshot, operation, "ApplicationNotRunning", "No job of the application is running")
            return
        trigger = f"enhanced-{snapshot.id}"
        savepoint = self.adapter.savepoint_status(job_id, trigger)
        if savepoint.state is SavepointState.UNKNOWN:
            if state is not JobState.RUNNING:
                return  # starting or restarting: ask once it runs
            request = SavepointRequest(trigger, str(self.snapshot_dir(snapshot)))
            outcome = self.adapter.trigger_savepoint(job_id, request)
            if outcome.result is not TriggerResult.ACCEPTED:
                self._fail(
                    snapshot,
                    operation,
                    "SavepointFailed",
                    outcome.error or f"The runtime answered {outcome.result}",
                )
        elif savepoint.state is SavepointState.COMPLETED and savepoint.location is not None:
            snapshot.savepoint_location = savepoint.location
            snapshot.size_bytes = savepoint_size(savepoint.location)
            snapshot.status = SnapshotStatus.READY.value
            finish_snapshot_operation(operation, self.now())
        elif savepoint.state is SavepointState.FAILED:
            self._fail(snapshot, operation, "SavepointFailed", savepoint.error or "The savepoint failed")

    def _abandoned(
        self, session: Session, snapshot: EnhancedSnapshotRow, operation: SnapshotOperationRow
    ) -> None:
        """A system snapshot is ended by its stop or update; one they no longer wait for has FAILED."""
        deployment = session.scalars(
            select(DeploymentRow).where(DeploymentRow.application_id == snapshot.source_application_id)
        ).one_or_none()
        if deployment is not None and deployment.snapshot_name == snapshot.snapshot_name:
            return  # the stop or update still waits for its savepoint
        reason = deployment.observed_savepoint_error if deployment is not None else None
        self._fail(
            snapshot,
            operation,
            "SavepointFailed",
            reason or "The stop or update ended without the snapshot's savepoint",
        )

    def _fail(
        self, snapshot: EnhancedSnapshotRow, operation: SnapshotOperationRow, code: str, error: str
    ) -> None:
        logger.info("snapshot %s failed: %s", snapshot.snapshot_name, error)
        snapshot.status = SnapshotStatus.FAILED.value
        finish_snapshot_operation(operation, self.now(), error_code=code, error=error)

    # ---- delete ------------------------------------------------------------------------------

    def _delete(
        self, session: Session, snapshot: EnhancedSnapshotRow, operation: SnapshotOperationRow
    ) -> None:
        exporting = session.scalar(
            select(SnapshotOperationRow.id).where(
                SnapshotOperationRow.snapshot_id == snapshot.id,
                SnapshotOperationRow.operation == SnapshotOperation.EXPORTSNAPSHOT.value,
                SnapshotOperationRow.status == SnapshotOperationStatus.IN_PROGRESS.value,
            )
        )
        if exporting is not None:
            return  # the export reads the savepoint: delete once it has ended
        if snapshot.savepoint_location is not None:
            outcome = self.adapter.dispose_savepoint(snapshot.savepoint_location)
            if outcome.result is DisposeResult.FAILED:
                logger.warning(
                    "savepoint %s not disposed (retrying): %s", snapshot.savepoint_location, outcome.error
                )
                return
        shutil.rmtree(self.snapshot_dir(snapshot), ignore_errors=True)
        session.delete(snapshot)
        finish_snapshot_operation(operation, self.now())

    # ---- export and import -------------------------------------------------------------------

    def _transfer(
        self, operation_pk: int, copy: Callable[[SnapshotOperationRow, EnhancedSnapshotRow], str | None]
    ) -> None:
        """Copy outside any transaction, then record the outcome if the operation is still running."""
        with self.database.session() as session:
            operation = session.get(SnapshotOperationRow, operation_pk)
            snapshot = session.get(EnhancedSnapshotRow, operation.snapshot_id) if operation else None
            if operation is None or snapshot is None:
                return
        failure: TransferFailed | None = None
        try:
            result = copy(operation, snapshot)
        except TransferFailed as error:
            failure, result = error, None
        with self.database.session_factory() as session:
            lock_for_write(session)
            operation = session.get(SnapshotOperationRow, operation_pk, with_for_update=True)
            current = session.get(EnhancedSnapshotRow, snapshot.id) if operation else None
            if operation is None or operation.status != SnapshotOperationStatus.IN_PROGRESS.value:
                return
            if failure is not None:
                finish_snapshot_operation(
                    operation, self.now(), error_code=failure.code, error=failure.message
                )
                if current is not None and operation.operation == SnapshotOperation.IMPORTSNAPSHOT.value:
                    current.status = SnapshotStatus.FAILED.value
            elif operation.operation == SnapshotOperation.EXPORTSNAPSHOT.value:
                operation.exported_prefix = result
                finish_snapshot_operation(operation, self.now())
            elif current is not None:
                current.savepoint_location = result
                current.size_bytes = savepoint_size(result or "")
                current.status = SnapshotStatus.READY.value
                finish_snapshot_operation(operation, self.now())
            session.commit()

    def _export(self, operation: SnapshotOperationRow, snapshot: EnhancedSnapshotRow) -> str:
        """Upload the savepoint's files; the ExportedPrefix."""
        if snapshot.savepoint_location is None:
            raise TransferFailed("SnapshotNotFound", f"Snapshot {snapshot.snapshot_name} has no savepoint")
        source = _local_path(snapshot.savepoint_location)
        files = sorted(path for path in source.rglob("*") if path.is_file()) if source.is_dir() else []
        if not files:
            raise TransferFailed(
                "SnapshotNotFound", f"The savepoint of snapshot {snapshot.snapshot_name} has no files"
            )
        assert operation.bucket_arn is not None and operation.key_prefix is not None
        prefix = f"{operation.key_prefix}{operation.operation_id}/"
        client = self.s3_client(self.settings, snapshot.account_id, snapshot.region)
        bucket = bucket_name(operation.bucket_arn)
        for path in files:
            key = prefix + path.relative_to(source).as_posix()
            _s3(client.put_object, Bucket=bucket, Key=key, Body=path.read_bytes())
        return prefix

    def _import(self, operation: SnapshotOperationRow, snapshot: EnhancedSnapshotRow) -> str:
        """Download the objects under the prefix into the snapshot's folder and verify them; the folder."""
        assert operation.bucket_arn is not None and operation.key_prefix is not None
        client = self.s3_client(self.settings, snapshot.account_id, snapshot.region)
        bucket, prefix = bucket_name(operation.bucket_arn), operation.key_prefix
        keys: list[str] = []
        paginator = client.get_paginator("list_objects_v2")
        for page in _s3(
            lambda **arguments: list(paginator.paginate(**arguments)), Bucket=bucket, Prefix=prefix
        ):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
        if not keys:
            raise TransferFailed(
                "InvalidSavepoint", f"There are no objects under s3://{bucket}/{prefix}: nothing to import"
            )
        target = self.snapshot_dir(snapshot) / IMPORTED_FOLDER
        shutil.rmtree(target, ignore_errors=True)
        for key in keys:
            relative = key[len(prefix) :].lstrip("/")
            parts = relative.split("/")
            if not relative or key.endswith("/"):
                continue
            if any(part in ("", ".", "..") for part in parts):
                raise TransferFailed(
                    "InvalidSavepoint", f"Object key {key} does not name a file inside the prefix"
                )
            path = target.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            body = _s3(
                lambda **arguments: client.get_object(**arguments)["Body"].read(), Bucket=bucket, Key=key
            )
            path.write_bytes(body)
        problem = savepoint_problem(target)
        if problem is not None:
            shutil.rmtree(target, ignore_errors=True)
            raise TransferFailed("InvalidSavepoint", f"s3://{bucket}/{prefix}: {problem}")
        return str(target)


def _s3(call: Callable[..., Any], **arguments: Any) -> Any:
    """Run one S3 call; its errors become a TransferFailed with S3's own code and message."""
    try:
        return call(**arguments)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise TransferFailed(
            str(details.get("Code", "S3Error")), f"S3: {details.get('Message') or error}"
        ) from error
    except BotoCoreError as error:
        raise TransferFailed("S3Unavailable", f"S3: {type(error).__name__}: {error}") from error


def _local_path(location: str) -> Path:
    return Path(location.removeprefix(FILE_SCHEME))
