"""Sub-resources of any application: CloudWatch logging options and VPC configurations."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from api_models import errors
from api_models.models import CloudWatchLoggingOption, CloudWatchLoggingOptionUpdate, VpcConfiguration
from app.services.configuration.wire import find_by_id, sub_resource_id

MAX_VPC_CONFIGURATIONS = 1
_LOG_STREAM_ARN = re.compile(r"^arn:[a-z-]+:logs:[a-z0-9-]+:\d{12}:log-group:[^:]+:log-stream:[^:]+$")


def add_logging_option(
    existing: list[dict[str, Any]], option: CloudWatchLoggingOption, version_id: int
) -> list[dict[str, Any]]:
    """The logging options with ``option`` added as ``<version>.<n>``."""
    arn = option.log_stream_arn
    _check_log_stream_arn(arn)
    if any(item["LogStreamARN"] == arn for item in existing):
        raise errors.InvalidArgumentException(
            f"CloudWatch logging option with log stream {arn} already exists"
        )
    new_id = sub_resource_id(version_id, existing, "CloudWatchLoggingOptionId")
    return [*existing, {"CloudWatchLoggingOptionId": new_id, "LogStreamARN": arn}]


def _check_log_stream_arn(arn: str) -> None:
    if not _LOG_STREAM_ARN.match(arn):
        raise errors.InvalidArgumentException(
            f"Invalid log stream ARN {arn}: expected "
            "arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>"
        )


def describe_vpc(vpc: VpcConfiguration, vpc_configuration_id: str) -> dict[str, Any]:
    """``VpcConfigurationDescription``; the VPC id is derived from the subnets, as AWS looks it up."""
    return {
        "VpcConfigurationId": vpc_configuration_id,
        "VpcId": vpc_id(vpc.subnet_ids),
        "SubnetIds": list(vpc.subnet_ids),
        "SecurityGroupIds": list(vpc.security_group_ids),
    }


def vpc_id(subnet_ids: list[str]) -> str:
    return "vpc-" + hashlib.sha256(",".join(sorted(subnet_ids)).encode()).hexdigest()[:17]


def vpc_limit_message() -> str:
    return f"Kinesis Analytics currently supports only {MAX_VPC_CONFIGURATIONS} VPC configuration(s)"


def add_vpc(existing: list[dict[str, Any]], vpc: VpcConfiguration, version_id: int) -> list[dict[str, Any]]:
    if len(existing) >= MAX_VPC_CONFIGURATIONS:
        raise errors.InvalidArgumentException(vpc_limit_message())
    return [*existing, describe_vpc(vpc, sub_resource_id(version_id, existing, "VpcConfigurationId"))]


def update_logging_option(
    current: list[dict[str, Any]], update: CloudWatchLoggingOptionUpdate
) -> list[dict[str, Any]]:
    updated = [dict(item) for item in current]
    target = find_by_id(
        updated,
        "CloudWatchLoggingOptionId",
        update.cloud_watch_logging_option_id,
        "CloudWatch logging option",
    )
    if update.log_stream_arn_update is not None:
        _check_log_stream_arn(update.log_stream_arn_update)
        target["LogStreamARN"] = update.log_stream_arn_update
    return updated
