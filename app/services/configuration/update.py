"""The configuration of the version an UpdateApplication call creates."""

from __future__ import annotations

import copy
from typing import Any

from api_models import errors
from api_models.models import (
    ApplicationConfigurationUpdate,
    CloudWatchLoggingOptionUpdate,
    RunConfigurationUpdate,
    RuntimeEnvironment,
)
from app.services.configuration import wire
from app.services.configuration.code import update_code
from app.services.configuration.create import environment_description
from app.services.configuration.flink import (
    apply_run_configuration,
    check_snapshot_mode,
    update_flink,
    update_snapshots,
)
from app.services.configuration.resources import update_logging_option, vpc_id
from app.services.configuration.sql import update_sql
from app.services.inline_code import CodeIntake
from app.services.shapes import merge_update, shape


def apply_update(
    current: wire.Configuration,
    *,
    configuration_update: ApplicationConfigurationUpdate | None,
    service_execution_role: str | None,
    runtime_update: RuntimeEnvironment | None,
    run_configuration_update: RunConfigurationUpdate | None,
    logging_option_updates: list[CloudWatchLoggingOptionUpdate] | None,
    code_store: CodeIntake,
) -> wire.Configuration:
    """The configuration of the version an UpdateApplication call creates."""
    updated = copy.deepcopy(current)
    runtime = updated["RuntimeEnvironment"]
    snapshots = (
        configuration_update.application_snapshot_configuration_update if configuration_update else None
    )
    if snapshots is not None and snapshots.snapshot_mode_update is not None:
        check_snapshot_mode(runtime, snapshots.snapshot_mode_update.value)  # the current runtime, as on AWS
    if runtime_update is not None:
        runtime = _change_runtime(runtime, runtime_update.value)
        updated["RuntimeEnvironment"] = runtime
    if service_execution_role is not None:
        updated["ServiceExecutionRole"] = service_execution_role
    described: dict[str, Any] = updated.setdefault(wire.APP_CONFIG, {})
    if not wire.is_sql(runtime):
        apply_run_configuration(described, run_configuration_update)
    elif run_configuration_update is not None:
        raise errors.InvalidArgumentException("RunConfigurationUpdate is not supported for SQL applications")
    for option_update in logging_option_updates or []:
        updated[wire.CWL] = update_logging_option(updated.get(wire.CWL, []), option_update)
    if configuration_update is not None:  # last: a code update stores the code
        _apply_configuration_update(runtime, described, configuration_update, code_store)
    return updated


def _change_runtime(current: str, requested: str) -> str:
    def family(runtime: str) -> str:
        return "SQL" if wire.is_sql(runtime) else "ZEPPELIN" if wire.is_zeppelin(runtime) else "FLINK"

    if family(current) != family(requested):
        raise errors.InvalidArgumentException(
            f"The runtime environment cannot change from {current} to {requested}"
        )
    return requested


def _apply_configuration_update(
    runtime: str,
    described: dict[str, Any],
    update: ApplicationConfigurationUpdate,
    code_store: CodeIntake,
) -> None:
    body = update.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"application_code_configuration_update"}
    )
    sql_members = {"SqlApplicationConfigurationUpdate"}
    flink_members = {
        "FlinkApplicationConfigurationUpdate",
        "ApplicationSnapshotConfigurationUpdate",
        "ApplicationSystemRollbackConfigurationUpdate",
        "VpcConfigurationUpdates",
        "ZeppelinApplicationConfigurationUpdate",
    }
    foreign = sorted(set(body) & (flink_members if wire.is_sql(runtime) else sql_members))
    if (
        not wire.is_sql(runtime)
        and not wire.is_zeppelin(runtime)
        and "ZeppelinApplicationConfigurationUpdate" in body
    ):
        foreign.append("ZeppelinApplicationConfigurationUpdate")
    if foreign:
        raise errors.InvalidArgumentException(
            f"{', '.join(foreign)} is not supported for runtime environment {runtime}"
        )
    if "FlinkApplicationConfigurationUpdate" in body:
        described[wire.FLINK] = update_flink(
            described.get(wire.FLINK, {}), body["FlinkApplicationConfigurationUpdate"]
        )
    if "EnvironmentPropertyUpdates" in body:
        described[wire.ENVIRONMENT] = environment_description(
            body["EnvironmentPropertyUpdates"]["PropertyGroups"]
        )
    if "ApplicationSnapshotConfigurationUpdate" in body:
        described[wire.SNAPSHOTS] = update_snapshots(
            runtime,
            described.get(wire.SNAPSHOTS, {}),
            body["ApplicationSnapshotConfigurationUpdate"],
        )
    if "ApplicationSystemRollbackConfigurationUpdate" in body:
        described[wire.ROLLBACK] = {
            "RollbackEnabled": body["ApplicationSystemRollbackConfigurationUpdate"]["RollbackEnabledUpdate"]
        }
    if "VpcConfigurationUpdates" in body:
        described[wire.VPC] = wire.update_by_id(
            described.get(wire.VPC, []),
            body["VpcConfigurationUpdates"],
            "VpcConfigurationId",
            "VpcConfigurationUpdate",
            "VpcConfigurationDescription",
            "VPC configuration",
        )
        for item in described[wire.VPC]:
            item["VpcId"] = vpc_id(item["SubnetIds"])
    if "SqlApplicationConfigurationUpdate" in body:
        described[wire.SQL] = update_sql(
            described.get(wire.SQL, {}), body["SqlApplicationConfigurationUpdate"]
        )
    if "ZeppelinApplicationConfigurationUpdate" in body:
        described["ZeppelinApplicationConfigurationDescription"] = merge_update(
            described.get("ZeppelinApplicationConfigurationDescription", {}),
            body["ZeppelinApplicationConfigurationUpdate"],
            shape("ZeppelinApplicationConfigurationUpdate"),
            shape("ZeppelinApplicationConfigurationDescription"),
        )
    if "ApplicationEncryptionConfigurationUpdate" in body:
        encryption = body["ApplicationEncryptionConfigurationUpdate"]
        described["ApplicationEncryptionConfigurationDescription"] = {
            key: value
            for key, value in (
                ("KeyType", encryption["KeyTypeUpdate"]),
                ("KeyId", encryption.get("KeyIdUpdate")),
            )
            if value is not None
        }

    if update.application_code_configuration_update is not None:  # last: it stores the code
        described[wire.CODE] = update_code(
            runtime,
            described.get(wire.CODE),
            update.application_code_configuration_update,
            code_store,
        )
