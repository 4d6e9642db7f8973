"""Versioned sub-resources: CloudWatch logging options, VPC configurations and the SQL-1_0
inputs, input processing configurations, outputs and reference data sources.

Each call checks the application's status and version, applies one change to a copy of the
current configuration and stores it as the next version; new sub-resources get ``<version>.<n>`` ids.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from api_models import errors
from api_models.models import (
    AddApplicationCloudWatchLoggingOptionRequest,
    AddApplicationCloudWatchLoggingOptionResponse,
    AddApplicationInputProcessingConfigurationRequest,
    AddApplicationInputProcessingConfigurationResponse,
    AddApplicationInputRequest,
    AddApplicationInputResponse,
    AddApplicationOutputRequest,
    AddApplicationOutputResponse,
    AddApplicationReferenceDataSourceRequest,
    AddApplicationReferenceDataSourceResponse,
    AddApplicationVpcConfigurationRequest,
    AddApplicationVpcConfigurationResponse,
    CloudWatchLoggingOptionDescription,
    DeleteApplicationCloudWatchLoggingOptionRequest,
    DeleteApplicationCloudWatchLoggingOptionResponse,
    DeleteApplicationInputProcessingConfigurationRequest,
    DeleteApplicationInputProcessingConfigurationResponse,
    DeleteApplicationOutputRequest,
    DeleteApplicationOutputResponse,
    DeleteApplicationReferenceDataSourceRequest,
    DeleteApplicationReferenceDataSourceResponse,
    DeleteApplicationVpcConfigurationRequest,
    DeleteApplicationVpcConfigurationResponse,
    InputDescription,
    InputProcessingConfigurationDescription,
    OutputDescription,
    ReferenceDataSourceDescription,
    VpcConfigurationDescription,
)
from app.db.models import ApplicationRow
from app.services import state_machine
from app.services.common import VersionChange, change_configuration, check_condition, get_for_change
from app.services.configuration.resources import add_logging_option, add_vpc
from app.services.configuration.sql import add_input, add_output, add_reference
from app.services.configuration.wire import (
    APP_CONFIG,
    CWL,
    SQL,
    VPC,
    Configuration,
    find_by_id,
    is_sql,
    remove_by_id,
)
from app.services.context import RequestContext
from app.services.shapes import describe, shape

Mutation = Callable[[Configuration, int], None]


@dataclass(frozen=True)
class Changed:
    """An applied sub-resource change: the application, its new configuration and version."""

    application: ApplicationRow
    configuration: Configuration
    change: VersionChange

    @property
    def version_id(self) -> int:
        return self.change.version.version_id

    def sql(self, member: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.configuration[APP_CONFIG].get(SQL, {}).get(member, [])
        return items


def _apply(
    ctx: RequestContext,
    name: str,
    operation: str,
    mutate: Mutation,
    *,
    current_version_id: int | None,
    conditional_token: str | None,
    sql_only: bool = False,
    flink_only: bool = False,
) -> Changed:
    application, current = get_for_change(ctx, name)
    if sql_only and not is_sql(application.runtime_environment):
        raise errors.InvalidArgumentException(f"{operation} is supported only for SQL-1_0 applications")
    if flink_only and is_sql(application.runtime_environment):
        raise errors.InvalidArgumentException(f"{operation} is not supported for SQL-1_0 applications")
    state_machine.require(application, state_machine.Action.CONFIGURE)
    check_condition(application, current, current_version_id, conditional_token, required=True)
    configuration = copy.deepcopy(current.configuration)
    mutate(configuration, application.current_version_id + 1)
    change = change_configuration(ctx, application, current, configuration, operation)
    return Changed(application, configuration, change)


class _SqlRequest(Protocol):
    application_name: str
    current_application_version_id: int


def _apply_sql(ctx: RequestContext, request: _SqlRequest, operation: str, mutate: Mutation) -> Changed:
    """``_apply`` for the SQL-1_0 calls, which name the application version (no conditional token)."""
    return _apply(
        ctx,
        request.application_name,
        operation,
        mutate,
        current_version_id=request.current_application_version_id,
        conditional_token=None,
        sql_only=True,
    )


def _sql_section(configuration: Configuration) -> dict[str, Any]:
    section: dict[str, Any] = configuration.setdefault(APP_CONFIG, {}).setdefault(SQL, {})
    for member in ("InputDescriptions", "OutputDescriptions", "ReferenceDataSourceDescriptions"):
        section.setdefault(member, [])
    return section


# ---------------------------------------------------------------- CloudWatch logging options


def add_application_cloud_watch_logging_option(
    ctx: RequestContext, request: AddApplicationCloudWatchLoggingOptionRequest
) -> AddApplicationCloudWatchLoggingOptionResponse:
    def mutate(configuration: Configuration, version_id: int) -> None:
        configuration[CWL] = add_logging_option(
            configuration.get(CWL, []), request.cloud_watch_logging_option, version_id
        )

    done = _apply(
        ctx,
        request.application_name,
        "AddApplicationCloudWatchLoggingOption",
        mutate,
        current_version_id=request.current_application_version_id,
        conditional_token=request.conditional_token,
    )
    return AddApplicationCloudWatchLoggingOptionResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        cloud_watch_logging_option_descriptions=_logging_options(done.configuration),
        operation_id=done.change.operation_id,
    )


def delete_application_cloud_watch_logging_option(
    ctx: RequestContext, request: DeleteApplicationCloudWatchLoggingOptionRequest
) -> DeleteApplicationCloudWatchLoggingOptionResponse:
    def mutate(configuration: Configuration, _version_id: int) -> None:
        remaining = remove_by_id(
            configuration.get(CWL, []),
            "CloudWatchLoggingOptionId",
            request.cloud_watch_logging_option_id,
            "CloudWatch logging option",
        )
        if remaining:
            configuration[CWL] = remaining
        else:
            configuration.pop(CWL, None)

    done = _apply(
        ctx,
        request.application_name,
        "DeleteApplicationCloudWatchLoggingOption",
        mutate,
        current_version_id=request.current_application_version_id,
        conditional_token=request.conditional_token,
    )
    return DeleteApplicationCloudWatchLoggingOptionResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        cloud_watch_logging_option_descriptions=_logging_options(done.configuration),
        operation_id=done.change.operation_id,
    )


def _logging_options(configuration: Configuration) -> list[CloudWatchLoggingOptionDescription]:
    return [CloudWatchLoggingOptionDescription.model_validate(item) for item in configuration.get(CWL, [])]


# ---------------------------------------------------------------- VPC configurations


def add_application_vpc_configuration(
    ctx: RequestContext, request: AddApplicationVpcConfigurationRequest
) -> AddApplicationVpcConfigurationResponse:
    def mutate(configuration: Configuration, version_id: int) -> None:
        described = configuration.setdefault(APP_CONFIG, {})
        described[VPC] = add_vpc(described.get(VPC, []), request.vpc_configuration, version_id)

    done = _apply(
        ctx,
        request.application_name,
        "AddApplicationVpcConfiguration",
        mutate,
        current_version_id=request.current_application_version_id,
        conditional_token=request.conditional_token,
        flink_only=True,
    )
    added = done.configuration[APP_CONFIG][VPC][-1]
    return AddApplicationVpcConfigurationResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        vpc_configuration_description=VpcConfigurationDescription.model_validate(added),
        operation_id=done.change.operation_id,
    )


def delete_application_vpc_configuration(
    ctx: RequestContext, request: DeleteApplicationVpcConfigurationRequest
) -> DeleteApplicationVpcConfigurationResponse:
    def mutate(configuration: Configuration, _version_id: int) -> None:
        described = configuration.setdefault(APP_CONFIG, {})
        remaining = remove_by_id(
            described.get(VPC, []), "VpcConfigurationId", request.vpc_configuration_id, "VPC configuration"
        )
        if remaining:
            described[VPC] = remaining
        else:
            described.pop(VPC, None)

    done = _apply(
        ctx,
        request.application_name,
        "DeleteApplicationVpcConfiguration",
        mutate,
        current_version_id=request.current_application_version_id,
        conditional_token=request.conditional_token,
        flink_only=True,
    )
    return DeleteApplicationVpcConfigurationResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        operation_id=done.change.operation_id,
    )


# ---------------------------------------------------------------- SQL-1_0 inputs


def add_application_input(
    ctx: RequestContext, request: AddApplicationInputRequest
) -> AddApplicationInputResponse:
    given = request.input.model_dump(mode="json", by_alias=True, exclude_none=True)

    def mutate(configuration: Configuration, version_id: int) -> None:
        section = _sql_section(configuration)
        section["InputDescriptions"] = add_input(section["InputDescriptions"], given, version_id)

    done = _apply_sql(ctx, request, "AddApplicationInput", mutate)
    return AddApplicationInputResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        input_descriptions=[InputDescription.model_validate(item) for item in done.sql("InputDescriptions")],
    )


def add_application_input_processing_configuration(
    ctx: RequestContext, request: AddApplicationInputProcessingConfigurationRequest
) -> AddApplicationInputProcessingConfigurationResponse:
    given = request.input_processing_configuration.model_dump(mode="json", by_alias=True, exclude_none=True)
    described = describe(
        given, shape("InputProcessingConfiguration"), shape("InputProcessingConfigurationDescription")
    )

    def mutate(configuration: Configuration, _version_id: int) -> None:
        target = find_by_id(
            _sql_section(configuration)["InputDescriptions"], "InputId", request.input_id, "Input"
        )
        if "InputProcessingConfigurationDescription" in target:
            raise errors.InvalidArgumentException(
                f"Input {request.input_id} already has an input processing configuration"
            )
        target["InputProcessingConfigurationDescription"] = described

    done = _apply_sql(ctx, request, "AddApplicationInputProcessingConfiguration", mutate)
    return AddApplicationInputProcessingConfigurationResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        input_id=request.input_id,
        input_processing_configuration_description=InputProcessingConfigurationDescription.model_validate(
            described
        ),
    )


def delete_application_input_processing_configuration(
    ctx: RequestContext, request: DeleteApplicationInputProcessingConfigurationRequest
) -> DeleteApplicationInputProcessingConfigurationResponse:
    def mutate(configuration: Configuration, _version_id: int) -> None:
        target = find_by_id(
            _sql_section(configuration)["InputDescriptions"], "InputId", request.input_id, "Input"
        )
        if target.pop("InputProcessingConfigurationDescription", None) is None:
            raise errors.ResourceNotFoundException(
                f"Input {request.input_id} has no input processing configuration"
            )

    done = _apply_sql(ctx, request, "DeleteApplicationInputProcessingConfiguration", mutate)
    return DeleteApplicationInputProcessingConfigurationResponse(
        application_arn=done.application.application_arn, application_version_id=done.version_id
    )


# ---------------------------------------------------------------- SQL-1_0 outputs


def add_application_output(
    ctx: RequestContext, request: AddApplicationOutputRequest
) -> AddApplicationOutputResponse:
    given = request.output.model_dump(mode="json", by_alias=True, exclude_none=True)

    def mutate(configuration: Configuration, version_id: int) -> None:
        section = _sql_section(configuration)
        section["OutputDescriptions"] = add_output(section["OutputDescriptions"], given, version_id)

    done = _apply_sql(ctx, request, "AddApplicationOutput", mutate)
    return AddApplicationOutputResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        output_descriptions=[
            OutputDescription.model_validate(item) for item in done.sql("OutputDescriptions")
        ],
    )


def delete_application_output(
    ctx: RequestContext, request: DeleteApplicationOutputRequest
) -> DeleteApplicationOutputResponse:
    def mutate(configuration: Configuration, _version_id: int) -> None:
        section = _sql_section(configuration)
        section["OutputDescriptions"] = remove_by_id(
            section["OutputDescriptions"], "OutputId", request.output_id, "Output"
        )

    done = _apply_sql(ctx, request, "DeleteApplicationOutput", mutate)
    return DeleteApplicationOutputResponse(
        application_arn=done.application.application_arn, application_version_id=done.version_id
    )


# ---------------------------------------------------------------- SQL-1_0 reference data sources


def add_application_reference_data_source(
    ctx: RequestContext, request: AddApplicationReferenceDataSourceRequest
) -> AddApplicationReferenceDataSourceResponse:
    given = request.reference_data_source.model_dump(mode="json", by_alias=True, exclude_none=True)

    def mutate(configuration: Configuration, version_id: int) -> None:
        section = _sql_section(configuration)
        section["ReferenceDataSourceDescriptions"] = add_reference(
            section["ReferenceDataSourceDescriptions"], given, version_id
        )

    done = _apply_sql(ctx, request, "AddApplicationReferenceDataSource", mutate)
    return AddApplicationReferenceDataSourceResponse(
        application_arn=done.application.application_arn,
        application_version_id=done.version_id,
        reference_data_source_descriptions=[
            ReferenceDataSourceDescription.model_validate(item)
            for item in done.sql("ReferenceDataSourceDescriptions")
        ],
    )


def delete_application_reference_data_source(
    ctx: RequestContext, request: DeleteApplicationReferenceDataSourceRequest
) -> DeleteApplicationReferenceDataSourceResponse:
    def mutate(configuration: Configuration, _version_id: int) -> None:
        section = _sql_section(configuration)
        section["ReferenceDataSourceDescriptions"] = remove_by_id(
            section["ReferenceDataSourceDescriptions"],
            "ReferenceId",
            request.reference_id,
            "Reference data source",
        )

    done = _apply_sql(ctx, request, "DeleteApplicationReferenceDataSource", mutate)
    return DeleteApplicationReferenceDataSourceResponse(
        application_arn=done.application.application_arn, application_version_id=done.version_id
    )
