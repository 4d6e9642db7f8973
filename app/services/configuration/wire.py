"""The member names of a stored configuration, the runtime families, and helpers for ``<version>.<n>`` ids."""

from __future__ import annotations

import re
from typing import Any

from api_models import errors
from api_models.models import RuntimeEnvironment
from app.services.shapes import merge_update, shape

Configuration = dict[str, Any]

APP_CONFIG = "ApplicationConfigurationDescription"
FLINK = "FlinkApplicationConfigurationDescription"
SQL = "SqlApplicationConfigurationDescription"
CWL = "CloudWatchLoggingOptionDescriptions"
VPC = "VpcConfigurationDescriptions"
RUN = "RunConfigurationDescription"
SNAPSHOTS = "ApplicationSnapshotConfigurationDescription"
ROLLBACK = "ApplicationSystemRollbackConfigurationDescription"
CODE = "ApplicationCodeConfigurationDescription"
ENVIRONMENT = "EnvironmentPropertyDescriptions"
CHECKPOINT = "CheckpointConfigurationDescription"
MONITORING = "MonitoringConfigurationDescription"
PARALLELISM = "ParallelismConfigurationDescription"
RESTORE = "ApplicationRestoreConfigurationDescription"
FLINK_RUN = "FlinkRunConfigurationDescription"


def is_sql(runtime: str) -> bool:
    """Whether the runtime is the legacy SQL runtime (SQL-1_0)."""
    return runtime == RuntimeEnvironment.SQL_1_0.value


def is_zeppelin(runtime: str) -> bool:
    """Whether the runtime is Studio (Zeppelin)."""
    return runtime.startswith("ZEPPELIN-")


def supports_enhanced_snapshots(runtime: str) -> bool:
    """Enhanced snapshots need Apache Flink 1.20 or later (not SQL, not Studio)."""
    match = re.fullmatch(r"FLINK-(\d+)_(\d+)", runtime)
    return match is not None and (int(match[1]), int(match[2])) >= (1, 20)


def sub_resource_id(version_id: int, existing: list[dict[str, Any]], id_member: str) -> str:
    """The next ``<version>.<n>`` id for a sub-resource added at ``version_id``."""
    prefix = f"{version_id}."
    taken = [item[id_member] for item in existing if str(item.get(id_member, "")).startswith(prefix)]
    return f"{prefix}{len(taken) + 1}"


def remove_by_id(
    existing: list[dict[str, Any]], id_member: str, wanted: str, what: str
) -> list[dict[str, Any]]:
    """``existing`` without the item whose ``id_member`` is ``wanted`` (ResourceNotFound if none)."""
    kept = [item for item in existing if item.get(id_member) != wanted]
    if len(kept) == len(existing):
        raise errors.ResourceNotFoundException(f"{what} with id {wanted} does not exist")
    return kept


def find_by_id(existing: list[dict[str, Any]], id_member: str, wanted: str, what: str) -> dict[str, Any]:
    """The item whose ``id_member`` is ``wanted`` (ResourceNotFound if none)."""
    for item in existing:
        if item.get(id_member) == wanted:
            return item
    raise errors.ResourceNotFoundException(f"{what} with id {wanted} does not exist")


def update_by_id(
    current: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    id_member: str,
    update_shape: str,
    description_shape: str,
    what: str,
) -> list[dict[str, Any]]:
    """``current`` with each change merged into the item ``id_member`` names (ResourceNotFound if none)."""
    updated = [dict(item) for item in current]
    for change in updates:
        target = find_by_id(updated, id_member, change[id_member], what)
        merged = merge_update(target, change, shape(update_shape), shape(description_shape))
        target.clear()
        target.update(merged)
    return updated
