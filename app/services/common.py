"""Building blocks shared by the service modules: lookups, version changes, operation records."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from api_models import errors
from api_models.models import ApplicationStatus, OperationStatus
from app.db.models import ApplicationRow, ApplicationVersionRow, OperationRow
from app.db.repositories import ApplicationRepository, lock_for_write
from app.services import state_machine
from app.services.aws import aws_client
from app.services.configuration.wire import Configuration, is_sql
from app.services.context import RequestContext
from app.services.inline_code import CodeIntake

DEFAULT_PAGE_SIZE = 50
_Row = TypeVar("_Row")
_OPERATION_ID_ALPHABET = string.ascii_letters + string.digits


def now(ctx: RequestContext) -> datetime:
    """The request's clock at whole seconds (AWS reports whole-second timestamps)."""
    return ctx.clock().replace(microsecond=0)


def repository(ctx: RequestContext) -> ApplicationRepository:
    return ApplicationRepository(ctx.session, ctx.scope)


def code_store(ctx: RequestContext) -> CodeIntake:
    """Where this call's code goes: inline zips into the data directory, S3 objects read in its scope."""
    return CodeIntake(
        ctx.settings.data_dir / "inline-code",
        lambda: aws_client(ctx.settings, "s3", ctx.scope.account_id, ctx.scope.region),
    )


def not_found(name: str) -> errors.ResourceNotFoundException:
    return errors.ResourceNotFoundException(f"Application {name} is not found")


def get_application(ctx: RequestContext, name: str) -> ApplicationRow:
    """The named application for reading; ResourceNotFoundException if it does not exist."""
    application = repository(ctx).find(name)
    if application is None:
        raise not_found(name)
    return application


def get_for_change(ctx: RequestContext, name: str) -> tuple[ApplicationRow, ApplicationVersionRow]:
    """The named application and its current version, locked for a validate-then-mutate change."""
    lock_for_write(ctx.session)
    repo = repository(ctx)
    application = repo.find(name, for_update=True)
    if application is None:
        raise not_found(name)
    version = repo.version(application, application.current_version_id)
    if version is None:
        raise RuntimeError(f"application {name} has no row for its current version")
    return application, version


def new_token() -> str:
    """A fresh opaque ConditionalToken (pattern ``[a-zA-Z0-9-_+/=]+``)."""
    return secrets.token_urlsafe(32)


def new_operation_id() -> str:
    """A 12-character alphanumeric operation id, as AWS issues them."""
    return "".join(secrets.choice(_OPERATION_ID_ALPHABET) for _ in range(12))


def check_condition(
    application: ApplicationRow,
    version: ApplicationVersionRow,
    current_version_id: int | None,
    conditional_token: str | None,
    *,
    required: bool,
) -> None:
    """Optimistic concurrency of versioned calls: CurrentApplicationVersionId and ConditionalToken."""
    if required and current_version_id is None and conditional_token is None:
        raise errors.InvalidArgumentException(
            "Either CurrentApplicationVersionId or ConditionalToken must be provided"
        )
    if current_version_id is not None and current_version_id != application.current_version_id:
        raise errors.ConcurrentModificationException(
            f"The application version {current_version_id} is not the current version "
            f"({application.current_version_id}) of application {application.application_name}"
        )
    if conditional_token is not None and conditional_token != version.conditional_token:
        raise errors.ConcurrentModificationException(
            "The ConditionalToken does not match the current token of application "
            f"{application.application_name}"
        )


@dataclass(frozen=True)
class VersionChange:
    """The outcome of a configuration change: the new version and the operation that records it."""

    version: ApplicationVersionRow
    operation_id: str | None


def change_configuration(
    ctx: RequestContext,
    application: ApplicationRow,
    current: ApplicationVersionRow,
    configuration: Configuration,
    operation: str,
) -> VersionChange:
    """Store ``configuration`` as version N+1 and record the operation (Flink applications only).

    A READY application takes the change at once (operation SUCCESSFUL); a RUNNING one moves to
    UPDATING and its operation stays IN_PROGRESS until the control loop has applied it.
    """
    timestamp = now(ctx)
    current.status = application.status
    if application.status == ApplicationStatus.RUNNING:
        state_machine.transition(application, ApplicationStatus.UPDATING)
    version = ApplicationVersionRow(
        application_id=application.id,
        version_id=application.current_version_id + 1,
        status=application.status,
        conditional_token=new_token(),
        create_timestamp=timestamp,
        updated_from=current.version_id,
        configuration=configuration,
    )
    try:
        repository(ctx).add_version(version)
    except IntegrityError:
        raise errors.ConcurrentModificationException(
            f"Application {application.application_name} was modified concurrently; "
            "retry with the current version"
        ) from None
    application.current_version_id = version.version_id
    application.last_update_timestamp = timestamp
    application.runtime_environment = configuration["RuntimeEnvironment"]
    operation_id = None
    if not is_sql(application.runtime_environment):
        finished = application.status == ApplicationStatus.READY
        operation_id = record_operation(
            ctx,
            application,
            operation,
            OperationStatus.SUCCESSFUL if finished else OperationStatus.IN_PROGRESS,
            version_from=current.version_id,
            version_to=version.version_id,
            finished_at=timestamp if finished else None,
        )
    return VersionChange(version=version, operation_id=operation_id)


def record_operation(
    ctx: RequestContext,
    application: ApplicationRow,
    operation: str,
    status: OperationStatus,
    *,
    version_from: int | None = None,
    version_to: int | None = None,
    finished_at: datetime | None = None,
) -> str:
    """Insert an operation record (visible as soon as the call commits) and return its id."""
    operation_id = new_operation_id()
    repository(ctx).add_operation(
        OperationRow(
            application_id=application.id,
            operation_id=operation_id,
            operation=operation,
            status=status.value,
            start_time=finished_at or now(ctx),  # one instant for an operation that ends as it starts
            end_time=finished_at,
            version_updated_from=version_from,
            version_updated_to=version_to,
        )
    )
    return operation_id


def parse_int_token(token: str | None) -> int | None:
    """Decode a numeric NextToken; InvalidArgumentException if it is not one of ours."""
    if token is None:
        return None
    if not (token.isascii() and token.isdigit() and len(token) <= 18):  # fits a 64-bit column
        raise errors.InvalidArgumentException(f"Invalid NextToken: {token}")
    return int(token)


def next_page_token(rows: Sequence[_Row], limit: int, key: Callable[[_Row], object]) -> str | None:
    """NextToken of a page read with ``limit + 1`` rows: the key of its last row if more follow, else None."""
    return str(key(rows[limit - 1])) if len(rows) > limit else None


def require_flink(application: ApplicationRow, operation: str) -> None:
    """UnsupportedOperationException for operations that exist only for Apache Flink applications."""
    if is_sql(application.runtime_environment):
        raise errors.UnsupportedOperationException(
            f"{operation} is supported only for Managed Service for Apache Flink applications"
        )
