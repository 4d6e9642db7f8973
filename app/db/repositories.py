"""Data access by scope: every query is bounded by the caller's (account_id, region)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from app.db.models import ApplicationRow, ApplicationVersionRow, OperationRow, TagRow
from app.db.scope import Scope


def lock_for_write(session: Session) -> None:
    """Open the transaction as a writer so reads that follow see the latest committed state.

    SQLite: a no-op UPDATE takes the database write lock (waiting for other writers) before any
    read, so validate-then-mutate sequences never act on a stale snapshot. PostgreSQL needs
    nothing here: mutating paths read their application row ``FOR UPDATE``.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(ApplicationRow).where(ApplicationRow.id == -1).values(status=ApplicationRow.status)
        )


class CurrentVersionRow(NamedTuple):
    """The columns DescribeApplication needs besides the configuration (see ``_CURRENT_VERSION``)."""

    application_arn: str
    application_name: str
    status: str
    create_timestamp: datetime
    last_update_timestamp: datetime
    maintenance_window_start: str
    maintenance_window_end: str
    version_pk: int
    version_id: int
    conditional_token: str
    version_create_timestamp: datetime
    updated_from: int | None
    rolled_back_from: int | None
    rolled_back_to: int | None


_CURRENT_VERSION = (
    select(
        ApplicationRow.application_arn,
        ApplicationRow.application_name,
        ApplicationRow.status,
        ApplicationRow.create_timestamp,
        ApplicationRow.last_update_timestamp,
        ApplicationRow.maintenance_window_start,
        ApplicationRow.maintenance_window_end,
        ApplicationVersionRow.id,
        ApplicationVersionRow.version_id,
        ApplicationVersionRow.conditional_token,
        ApplicationVersionRow.create_timestamp,
        ApplicationVersionRow.updated_from,
        ApplicationVersionRow.rolled_back_from,
        ApplicationVersionRow.rolled_back_to,
    )
    .join(
        ApplicationVersionRow,
        (ApplicationVersionRow.application_id == ApplicationRow.id)
        & (ApplicationVersionRow.version_id == ApplicationRow.current_version_id),
    )
    .where(
        ApplicationRow.account_id == bindparam("account"),
        ApplicationRow.region == bindparam("region"),
        ApplicationRow.application_name == bindparam("name"),
    )
)
_CONFIGURATION = select(ApplicationVersionRow.configuration).where(
    ApplicationVersionRow.id == bindparam("pk")
)


class ApplicationRepository:
    """Applications of one scope, with their versions, tags and operations."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def _in_scope(self) -> tuple[ColumnElement[bool], ...]:
        return (
            ApplicationRow.account_id == self.scope.account_id,
            ApplicationRow.region == self.scope.region,
        )

    def find(self, name: str, *, for_update: bool = False) -> ApplicationRow | None:
        query = select(ApplicationRow).where(*self._in_scope(), ApplicationRow.application_name == name)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def current_version(self, name: str) -> CurrentVersionRow | None:
        """The application and its current version's metadata in one prepared query (the read path)."""
        parameters = {"account": self.scope.account_id, "region": self.scope.region, "name": name}
        row = self.session.connection().execute(_CURRENT_VERSION, parameters).one_or_none()
        return None if row is None else CurrentVersionRow._make(row)

    def configuration(self, version_pk: int) -> dict[str, Any]:
        """The stored configuration of one version row."""
        configuration: dict[str, Any] = (
            self.session.connection().execute(_CONFIGURATION, {"pk": version_pk}).scalar_one()
        )
        return configuration

    def find_by_arn(self, arn: str, *, for_update: bool = False) -> ApplicationRow | None:
        query = select(ApplicationRow).where(*self._in_scope(), ApplicationRow.application_arn == arn)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def count(self) -> int:
        return int(
            self.session.scalar(select(func.count()).select_from(ApplicationRow).where(*self._in_scope()))
            or 0
        )

    def page(self, *, after_name: str | None, limit: int) -> Sequence[ApplicationRow]:
        """Applications ordered by name, starting after ``after_name``."""
        query = select(ApplicationRow).where(*self._in_scope()).order_by(ApplicationRow.application_name)
        if after_name is not None:
            query = query.where(ApplicationRow.application_name > after_name)
        return self.session.scalars(query.limit(limit)).all()

    def add(self, application: ApplicationRow) -> None:
        self.session.add(application)
        self.session.flush()

    def delete(self, application: ApplicationRow) -> None:
        self.session.execute(delete(ApplicationRow).where(ApplicationRow.id == application.id))

    # versions

    def version(self, application: ApplicationRow, version_id: int) -> ApplicationVersionRow | None:
        query = select(ApplicationVersionRow).where(
            ApplicationVersionRow.application_id == application.id,
            ApplicationVersionRow.version_id == version_id,
        )
        return self.session.scalars(query).one_or_none()

    def versions_page(
        self, application: ApplicationRow, *, after_version: int | None, limit: int
    ) -> Sequence[ApplicationVersionRow]:
        query = (
            select(ApplicationVersionRow)
            .where(ApplicationVersionRow.application_id == application.id)
            .order_by(ApplicationVersionRow.version_id)
        )
        if after_version is not None:
            query = query.where(ApplicationVersionRow.version_id > after_version)
        return self.session.scalars(query.limit(limit)).all()

    def add_version(self, version: ApplicationVersionRow) -> None:
        self.session.add(version)
        self.session.flush()

    # tags

    def tags(self, application: ApplicationRow) -> Sequence[TagRow]:
        query = select(TagRow).where(TagRow.application_id == application.id).order_by(TagRow.tag_key)
        return self.session.scalars(query).all()

    def put_tags(self, application: ApplicationRow, tags: dict[str, str]) -> None:
        existing = {row.tag_key: row for row in self.tags(application)}
        for key, value in tags.items():
            if key in existing:
                existing[key].tag_value = value
            else:
                self.session.add(TagRow(application_id=application.id, tag_key=key, tag_value=value))
        self.session.flush()

    def delete_tags(self, application: ApplicationRow, keys: Sequence[str]) -> None:
        self.session.execute(
            delete(TagRow).where(TagRow.application_id == application.id, TagRow.tag_key.in_(keys))
        )

    # operations

    def add_operation(self, operation: OperationRow) -> None:
        self.session.add(operation)
        self.session.flush()

    def operation(self, application: ApplicationRow, operation_id: str) -> OperationRow | None:
        query = select(OperationRow).where(
            OperationRow.application_id == application.id, OperationRow.operation_id == operation_id
        )
        return self.session.scalars(query).one_or_none()

    def operations_page(
        self,
        application: ApplicationRow,
        *,
        after_id: int | None,
        limit: int,
        operation: str | None,
        status: str | None,
    ) -> Sequence[OperationRow]:
        """Operations newest first; ``after_id`` is the row id of the last one already returned."""
        query = select(OperationRow).where(OperationRow.application_id == application.id)
        if operation is not None:
            query = query.where(OperationRow.operation == operation)
        if status is not None:
            query = query.where(OperationRow.status == status)
        if after_id is not None:
            query = query.where(OperationRow.id < after_id)
        return self.session.scalars(query.order_by(OperationRow.id.desc()).limit(limit)).all()
