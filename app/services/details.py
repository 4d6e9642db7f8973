"""``ApplicationDetail`` of a version, and the cache of recently built ones (DescribeApplication's read path).

The cache lives as long as the application that serves requests (``create_app`` builds one and every
``RequestContext`` carries it); nothing is created at import time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api_models.models import ApplicationDetail
from app.db.models import ApplicationRow, ApplicationVersionRow
from app.db.repositories import CurrentVersionRow
from app.services.configuration.wire import Configuration, is_sql


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
