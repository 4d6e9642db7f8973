"""Building blocks shared by the service modules: lookups, version changes, operation records."""

from __future__ import annotations

import secrets
import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from api_models import errors
from api_models.models import ApplicationDetail, ApplicationStatus, OperationStatus
from app.db.models import ApplicationRow, ApplicationVersionRow, OperationRow
from app.db.repositories import ApplicationRepository, CurrentVersionRow, lock_for_write
from app.gateway import aws_client
from app.services import state_machine
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
            start_time=now(ctx),
            end_time=finished_at,
            version_updated_from=version_from,
            version_updated_to=version_to,
        )
    )
    return operation_id


@dataclass(frozen=True)
class DetailKey:
    """Everything an ``ApplicationDetail`` shows besides the version's stored configuration.

    The conditional token is random per version, so a key names one version of one application in
    any database; with the stored configuration of that version it determines the whole detail. Rule
    for every writer: a version's stored configuration changes only together with a new token (as
    StartApplication does when it records the run configuration), so a cached detail is never stale.
    """

    version_pk: int
    conditional_token: str
    arn: str
    name: str
    status: str
    version_id: int
    create_timestamp: datetime
    last_update_timestamp: datetime
    version_create_timestamp: datetime
    updated_from: int | None
    rolled_back_from: int | None
    rolled_back_to: int | None
    maintenance_window: tuple[str, str]

    @classmethod
    def of(cls, application: ApplicationRow, version: ApplicationVersionRow) -> DetailKey:
        is_current = version.version_id == application.current_version_id
        return cls(
            version_pk=version.id,
            conditional_token=version.conditional_token,
            arn=application.application_arn,
            name=application.application_name,
            status=application.status if is_current else version.status,
            version_id=version.version_id,
            create_timestamp=application.create_timestamp,
            last_update_timestamp=application.last_update_timestamp
            if is_current
            else version.create_timestamp,
            version_create_timestamp=version.create_timestamp,
            updated_from=version.updated_from,
            rolled_back_from=version.rolled_back_from,
            rolled_back_to=version.rolled_back_to,
            maintenance_window=(application.maintenance_window_start, application.maintenance_window_end),
        )

    @classmethod
    def of_current(cls, row: CurrentVersionRow) -> DetailKey:
        return cls(
            version_pk=row.version_pk,
            conditional_token=row.conditional_token,
            arn=row.application_arn,
            name=row.application_name,
            status=row.status,
            version_id=row.version_id,
            create_timestamp=row.create_timestamp,
            last_update_timestamp=row.last_update_timestamp,
            version_create_timestamp=row.version_create_timestamp,
            updated_from=row.updated_from,
            rolled_back_from=row.rolled_back_from,
            rolled_back_to=row.rolled_back_to,
            maintenance_window=(row.maintenance_window_start, row.maintenance_window_end),
        )


def application_detail(application: ApplicationRow, version: ApplicationVersionRow) -> ApplicationDetail:
    """``ApplicationDetail`` of ``application`` as of ``version``."""
    return build_detail(DetailKey.of(application, version), version.configuration)


def build_detail(key: DetailKey, configuration: Configuration) -> ApplicationDetail:
    detail: dict[str, Any] = {
        **configuration,
        "ApplicationARN": key.arn,
        "ApplicationName": key.name,
        "ApplicationStatus": key.status,
        "ApplicationVersionId": key.version_id,
        "CreateTimestamp": key.create_timestamp,
        "LastUpdateTimestamp": key.last_update_timestamp,
        "ApplicationVersionCreateTimestamp": key.version_create_timestamp,
        "ApplicationVersionUpdatedFrom": key.updated_from,
        "ApplicationVersionRolledBackFrom": key.rolled_back_from,
        "ApplicationVersionRolledBackTo": key.rolled_back_to,
        "ConditionalToken": key.conditional_token,
    }
    if not is_sql(configuration["RuntimeEnvironment"]):
        start, end = key.maintenance_window
        detail["ApplicationMaintenanceConfigurationDescription"] = {
            "ApplicationMaintenanceWindowStartTime": start,
            "ApplicationMaintenanceWindowEndTime": end,
        }
    return ApplicationDetail.model_validate(detail)


class DetailCache:
    """Recently built ``ApplicationDetail`` models by ``DetailKey`` (the DescribeApplication read path).

    Entries never go stale: any change to what a detail shows changes its key. Models are treated as
    immutable by every caller. Bounded; the oldest entries are dropped first.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[DetailKey, ApplicationDetail] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: DetailKey, configuration: Callable[[], Configuration]) -> ApplicationDetail:
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        detail = build_detail(key, configuration())
        with self._lock:
            self._entries[key] = detail
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return detail


DETAILS = DetailCache()


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
