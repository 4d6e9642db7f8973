"""Version 1 of a new application: CreateApplication's configuration, validated, with AWS's defaults."""

from __future__ import annotations

from typing import Any

from api_models import errors
from api_models.models import ApplicationMode, CreateApplicationRequest
from app.services.configuration.code import describe_code
from app.services.configuration.flink import (
    DEFAULT_ROLLBACK,
    DEFAULT_SNAPSHOTS,
    check_snapshot_mode,
    initial_flink,
)
from app.services.configuration.resources import (
    MAX_VPC_CONFIGURATIONS,
    add_logging_option,
    describe_vpc,
    vpc_limit_message,
)
from app.services.configuration.sql import initial_sql
from app.services.configuration.wire import (
    APP_CONFIG,
    CODE,
    CWL,
    ENVIRONMENT,
    FLINK,
    ROLLBACK,
    SNAPSHOTS,
    SQL,
    VPC,
    Configuration,
    is_sql,
    is_zeppelin,
)
from app.services.inline_code import CodeIntake
from app.services.shapes import describe, shape


def initial_configuration(request: CreateApplicationRequest, code_store: CodeIntake) -> Configuration:
    """Version 1 of a new application, with AWS's defaults filled in."""
    runtime = request.runtime_environment.value
    mode = _application_mode(runtime, request.application_mode)
    given = request.application_configuration
    body = (
        given.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"application_code_configuration"}
        )
        if given is not None
        else {}
    )
    _check_families(runtime, body)
    described: dict[str, Any] = {}
    if not is_sql(runtime):
        flink = body.get("FlinkApplicationConfiguration", {})
        described[FLINK] = initial_flink(flink)
        snapshots = body.get("ApplicationSnapshotConfiguration", dict(DEFAULT_SNAPSHOTS))
        check_snapshot_mode(runtime, snapshots.get("SnapshotMode"))
        described[SNAPSHOTS] = snapshots
        described[ROLLBACK] = body.get("ApplicationSystemRollbackConfiguration", dict(DEFAULT_ROLLBACK))
    if "EnvironmentProperties" in body:
        described[ENVIRONMENT] = environment_description(body["EnvironmentProperties"]["PropertyGroups"])
    if "SqlApplicationConfiguration" in body:
        described[SQL] = initial_sql(body["SqlApplicationConfiguration"])
    if given is not None and given.vpc_configurations:
        if len(given.vpc_configurations) > MAX_VPC_CONFIGURATIONS:
            raise errors.InvalidArgumentException(vpc_limit_message())
        described[VPC] = [describe_vpc(item, f"1.{n}") for n, item in enumerate(given.vpc_configurations, 1)]
    if is_zeppelin(runtime):
        zeppelin = body.get("ZeppelinApplicationConfiguration", {})
        zeppelin.setdefault("MonitoringConfiguration", {"LogLevel": "INFO"})
        described["ZeppelinApplicationConfigurationDescription"] = describe(
            zeppelin,
            shape("ZeppelinApplicationConfiguration"),
            shape("ZeppelinApplicationConfigurationDescription"),
        )
    if "ApplicationEncryptionConfiguration" in body:
        described["ApplicationEncryptionConfigurationDescription"] = body[
            "ApplicationEncryptionConfiguration"
        ]
    configuration: Configuration = {
        "RuntimeEnvironment": runtime,
        "ServiceExecutionRole": request.service_execution_role,
        "ApplicationMode": mode,
        APP_CONFIG: described,
    }
    if request.application_description is not None:
        configuration["ApplicationDescription"] = request.application_description
    options = request.cloud_watch_logging_options or []
    if options:
        configuration[CWL] = []
        for option in options:
            configuration[CWL] = add_logging_option(configuration[CWL], option, 1)
    if given is not None and given.application_code_configuration is not None:  # last: it stores the code
        described[CODE] = describe_code(runtime, given.application_code_configuration, code_store)
    return configuration


def _application_mode(runtime: str, requested: ApplicationMode | None) -> str:
    expected = ApplicationMode.INTERACTIVE if is_zeppelin(runtime) else ApplicationMode.STREAMING
    if requested is not None and requested != expected:
        raise errors.InvalidArgumentException(
            f"ApplicationMode {requested.value} is not supported for runtime environment {runtime}; "
            f"use {expected.value}"
        )
    return expected.value


def _check_families(runtime: str, body: dict[str, Any]) -> None:
    """Reject configuration blocks that do not belong to the runtime."""
    foreign: list[str]
    if is_sql(runtime):
        foreign = [
            key
            for key in (
                "FlinkApplicationConfiguration",
                "ApplicationSnapshotConfiguration",
                "ApplicationSystemRollbackConfiguration",
                "VpcConfigurations",
                "ZeppelinApplicationConfiguration",
            )
            if key in body
        ]
    else:
        foreign = ["SqlApplicationConfiguration"] if "SqlApplicationConfiguration" in body else []
        if not is_zeppelin(runtime) and "ZeppelinApplicationConfiguration" in body:
            foreign.append("ZeppelinApplicationConfiguration")
    if foreign:
        raise errors.InvalidArgumentException(
            f"{', '.join(foreign)} is not supported for runtime environment {runtime}"
        )


def environment_description(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """``EnvironmentPropertyDescriptions`` of the given property groups (ids must be unique)."""
    ids = [group["PropertyGroupId"] for group in groups]
    duplicates = sorted({group_id for group_id in ids if ids.count(group_id) > 1})
    if duplicates:
        raise errors.InvalidArgumentException(f"Duplicate property group ids: {', '.join(duplicates)}")
    return {"PropertyGroupDescriptions": groups}
