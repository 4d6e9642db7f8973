"""An application version's configuration: built from CreateApplication, changed by updates.

A configuration is the JSON stored with each version: the description members of
``ApplicationDetail`` that belong to a version (description, runtime, role, mode,
``ApplicationConfigurationDescription``, CloudWatch logging options), in wire form.
Functions here are pure: they validate (raising AWS errors) and return new dictionaries.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from api_models import errors
from api_models.models import (
    ApplicationCodeConfiguration,
    ApplicationCodeConfigurationUpdate,
    ApplicationConfigurationUpdate,
    ApplicationMode,
    CloudWatchLoggingOption,
    CloudWatchLoggingOptionUpdate,
    CreateApplicationRequest,
    RunConfigurationUpdate,
    RuntimeEnvironment,
    VpcConfiguration,
)
from app.code.source import S3CodeLocation, digest
from app.services.inline_code import CodeIntake
from app.services.shapes import describe, merge_update, shape

Configuration = dict[str, Any]

APP_CONFIG = "ApplicationConfigurationDescription"
FLINK = "FlinkApplicationConfigurationDescription"
SQL = "SqlApplicationConfigurationDescription"
CWL = "CloudWatchLoggingOptionDescriptions"
VPC = "VpcConfigurationDescriptions"
RUN = "RunConfigurationDescription"

DEFAULT_CHECKPOINT = {
    "ConfigurationType": "DEFAULT",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 60000,
    "MinPauseBetweenCheckpoints": 5000,
}
DEFAULT_MONITORING = {"ConfigurationType": "DEFAULT", "MetricsLevel": "APPLICATION", "LogLevel": "INFO"}
DEFAULT_PARALLELISM = {
    "ConfigurationType": "DEFAULT",
    "Parallelism": 1,
    "ParallelismPerKPU": 1,
    "CurrentParallelism": 1,
    "AutoScalingEnabled": True,
}
DEFAULT_RUN_CONFIGURATION = {
    "ApplicationRestoreConfigurationDescription": {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"},
    "FlinkRunConfigurationDescription": {"AllowNonRestoredState": False},
}
MAX_VPC_CONFIGURATIONS = 1
_LOG_STREAM_ARN = re.compile(r"^arn:[a-z-]+:logs:[a-z0-9-]+:\d{12}:log-group:[^:]+:log-stream:[^:]+$")


def is_sql(runtime: str) -> bool:
    return runtime == RuntimeEnvironment.SQL_1_0.value


def is_zeppelin(runtime: str) -> bool:
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


# ---------------------------------------------------------------- creation


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
        described[FLINK] = {
            "CheckpointConfigurationDescription": _checkpoint(flink.get("CheckpointConfiguration")),
            "MonitoringConfigurationDescription": _monitoring(flink.get("MonitoringConfiguration")),
            "ParallelismConfigurationDescription": _parallelism(flink.get("ParallelismConfiguration")),
        }
        snapshots = body.get("ApplicationSnapshotConfiguration", {"SnapshotsEnabled": True})
        _check_snapshot_mode(runtime, snapshots.get("SnapshotMode"))
        described["ApplicationSnapshotConfigurationDescription"] = snapshots
        described["ApplicationSystemRollbackConfigurationDescription"] = body.get(
            "ApplicationSystemRollbackConfiguration", {"RollbackEnabled": False}
        )
    if "EnvironmentProperties" in body:
        described["EnvironmentPropertyDescriptions"] = _environment(
            body["EnvironmentProperties"]["PropertyGroups"]
        )
    if "SqlApplicationConfiguration" in body:
        described[SQL] = _initial_sql(body["SqlApplicationConfiguration"])
    if given is not None and given.vpc_configurations:
        if len(given.vpc_configurations) > MAX_VPC_CONFIGURATIONS:
            raise errors.InvalidArgumentException(_vpc_limit_message())
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
        described["ApplicationCodeConfigurationDescription"] = describe_code(
            runtime, given.application_code_configuration, code_store
        )
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


def _checkpoint(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None or given.get("ConfigurationType") == "DEFAULT":
        return dict(DEFAULT_CHECKPOINT)
    return {**DEFAULT_CHECKPOINT, **given}


def _monitoring(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None or given.get("ConfigurationType") == "DEFAULT":
        return dict(DEFAULT_MONITORING)
    return {**DEFAULT_MONITORING, **given}


def _parallelism(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None or given.get("ConfigurationType") == "DEFAULT":
        return dict(DEFAULT_PARALLELISM)
    described = {**DEFAULT_PARALLELISM, **given}
    described["CurrentParallelism"] = described["Parallelism"]
    return described


def _check_snapshot_mode(runtime: str, mode: str | None) -> None:
    if mode == "ENHANCED_SNAPSHOTS" and not supports_enhanced_snapshots(runtime):
        raise errors.InvalidArgumentException(
            f"SnapshotMode ENHANCED_SNAPSHOTS requires Apache Flink 1.20 or later; the runtime is {runtime}"
        )


def _environment(groups: list[dict[str, Any]]) -> dict[str, Any]:
    ids = [group["PropertyGroupId"] for group in groups]
    duplicates = sorted({group_id for group_id in ids if ids.count(group_id) > 1})
    if duplicates:
        raise errors.InvalidArgumentException(f"Duplicate property group ids: {', '.join(duplicates)}")
    return {"PropertyGroupDescriptions": groups}


def describe_code(runtime: str, code: ApplicationCodeConfiguration, code_store: CodeIntake) -> dict[str, Any]:
    """``ApplicationCodeConfigurationDescription`` for code given at creation."""
    content = code.code_content
    if content is None:
        raise errors.InvalidArgumentException("ApplicationCodeConfiguration requires CodeContent")
    return _describe_code_content(
        runtime,
        code.code_content_type.value,
        text=content.text_content,
        zip_bytes=content.zip_file_content,
        s3=content.s3_content_location.model_dump(mode="json", by_alias=True, exclude_none=True)
        if content.s3_content_location is not None
        else None,
        code_store=code_store,
    )


def _describe_code_content(
    runtime: str,
    content_type: str,
    *,
    text: str | None,
    zip_bytes: bytes | None,
    s3: dict[str, Any] | None,
    code_store: CodeIntake,
) -> dict[str, Any]:
    given = [
        name for name, value in (("TextContent", text), ("ZipFileContent", zip_bytes), ("S3", s3)) if value
    ]
    if len(given) != 1:
        raise errors.InvalidArgumentException(
            "CodeContent must contain exactly one of TextContent, ZipFileContent or S3ContentLocation"
        )
    if content_type == "PLAINTEXT" and text is None:
        raise errors.InvalidArgumentException("CodeContentType PLAINTEXT requires TextContent")
    if content_type == "ZIPFILE" and text is not None:
        raise errors.InvalidArgumentException(
            "CodeContentType ZIPFILE requires ZipFileContent or S3ContentLocation"
        )
    if content_type == "PLAINTEXT" and not is_sql(runtime) and not is_zeppelin(runtime):
        raise errors.InvalidArgumentException(
            f"CodeContentType PLAINTEXT is not supported for runtime {runtime}"
        )
    description: dict[str, Any] = {}
    if text is not None:
        described = digest(text.encode())
        description = {"TextContent": text, "CodeMD5": described.code_md5, "CodeSize": described.code_size}
    elif zip_bytes is not None:
        stored = code_store.put(zip_bytes)
        description = {"CodeMD5": stored.code_md5, "CodeSize": stored.code_size}
    elif s3 is not None:
        location = S3CodeLocation(s3["BucketARN"], s3["FileKey"], s3.get("ObjectVersion"))
        fetched = code_store.digest_s3(location)
        description = {
            "CodeMD5": fetched.code_md5,
            "CodeSize": fetched.code_size,
            "S3ApplicationCodeLocationDescription": s3,
        }
    return {"CodeContentType": content_type, "CodeContentDescription": description}


def _initial_sql(sql: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "InputDescriptions": [],
        "OutputDescriptions": [],
        "ReferenceDataSourceDescriptions": [],
    }
    for item in sql.get("Inputs", []):
        described["InputDescriptions"] = add_input(described["InputDescriptions"], item, 1)
    for item in sql.get("Outputs", []):
        described["OutputDescriptions"] = add_output(described["OutputDescriptions"], item, 1)
    for item in sql.get("ReferenceDataSources", []):
        described["ReferenceDataSourceDescriptions"] = add_reference(
            described["ReferenceDataSourceDescriptions"], item, 1
        )
    return described


# ---------------------------------------------------------------- sub-resources


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


def remove_by_id(
    existing: list[dict[str, Any]], id_member: str, wanted: str, what: str
) -> list[dict[str, Any]]:
    """``existing`` without the item whose ``id_member`` is ``wanted`` (ResourceNotFound if none)."""
    kept = [item for item in existing if item.get(id_member) != wanted]
    if len(kept) == len(existing):
        raise errors.ResourceNotFoundException(f"{what} with id {wanted} does not exist")
    return kept


def find_by_id(existing: list[dict[str, Any]], id_member: str, wanted: str, what: str) -> dict[str, Any]:
    for item in existing:
        if item.get(id_member) == wanted:
            return item
    raise errors.ResourceNotFoundException(f"{what} with id {wanted} does not exist")


def describe_vpc(vpc: VpcConfiguration, vpc_configuration_id: str) -> dict[str, Any]:
    """``VpcConfigurationDescription``; the VPC id is derived from the subnets, as AWS looks it up."""
    return {
        "VpcConfigurationId": vpc_configuration_id,
        "VpcId": _vpc_id(vpc.subnet_ids),
        "SubnetIds": list(vpc.subnet_ids),
        "SecurityGroupIds": list(vpc.security_group_ids),
    }


def _vpc_id(subnet_ids: list[str]) -> str:
    return "vpc-" + hashlib.sha256(",".join(sorted(subnet_ids)).encode()).hexdigest()[:17]


def _vpc_limit_message() -> str:
    return f"Kinesis Analytics currently supports only {MAX_VPC_CONFIGURATIONS} VPC configuration(s)"


def add_vpc(existing: list[dict[str, Any]], vpc: VpcConfiguration, version_id: int) -> list[dict[str, Any]]:
    if len(existing) >= MAX_VPC_CONFIGURATIONS:
        raise errors.InvalidArgumentException(_vpc_limit_message())
    return [*existing, describe_vpc(vpc, sub_resource_id(version_id, existing, "VpcConfigurationId"))]


def add_input(existing: list[dict[str, Any]], given: dict[str, Any], version_id: int) -> list[dict[str, Any]]:
    """SQL inputs with ``given`` (wire form of ``Input``) added; a SQL application has one streaming input."""
    if existing:
        raise errors.InvalidArgumentException("A SQL application supports only one streaming input")
    if ("KinesisStreamsInput" in given) == ("KinesisFirehoseInput" in given):
        raise errors.InvalidArgumentException(
            "Input must specify exactly one of KinesisStreamsInput or KinesisFirehoseInput"
        )
    described = describe(given, shape("Input"), shape("InputDescription"))
    count = given.get("InputParallelism", {}).get("Count", 1)
    described["InputParallelism"] = {"Count": count}
    described["InAppStreamNames"] = in_app_stream_names(given["NamePrefix"], count)
    described["InputStartingPositionConfiguration"] = {"InputStartingPosition": "NOW"}
    described["InputId"] = sub_resource_id(version_id, existing, "InputId")
    return [*existing, described]


def in_app_stream_names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}_{index:03d}" for index in range(1, count + 1)]


_OUTPUT_DESTINATIONS = ("KinesisStreamsOutput", "KinesisFirehoseOutput", "LambdaOutput")


def add_output(
    existing: list[dict[str, Any]], given: dict[str, Any], version_id: int
) -> list[dict[str, Any]]:
    if sum(key in given for key in _OUTPUT_DESTINATIONS) != 1:
        raise errors.InvalidArgumentException(
            "Output must specify exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput"
        )
    if any(item["Name"] == given["Name"] for item in existing):
        raise errors.InvalidArgumentException(
            f"An output for in-application stream {given['Name']} already exists"
        )
    described = describe(given, shape("Output"), shape("OutputDescription"))
    described["OutputId"] = sub_resource_id(version_id, existing, "OutputId")
    return [*existing, described]


def add_reference(
    existing: list[dict[str, Any]], given: dict[str, Any], version_id: int
) -> list[dict[str, Any]]:
    s3 = given.get("S3ReferenceDataSource", {})
    if "BucketARN" not in s3 or "FileKey" not in s3:
        raise errors.InvalidArgumentException(
            "ReferenceDataSource requires S3ReferenceDataSource with BucketARN and FileKey"
        )
    if any(item["TableName"] == given["TableName"] for item in existing):
        raise errors.InvalidArgumentException(
            f"A reference data source for table {given['TableName']} already exists"
        )
    described = describe(given, shape("ReferenceDataSource"), shape("ReferenceDataSourceDescription"))
    described["ReferenceId"] = sub_resource_id(version_id, existing, "ReferenceId")
    return [*existing, described]


# ---------------------------------------------------------------- updates


def apply_update(
    current: Configuration,
    *,
    configuration_update: ApplicationConfigurationUpdate | None,
    service_execution_role: str | None,
    runtime_update: RuntimeEnvironment | None,
    run_configuration_update: RunConfigurationUpdate | None,
    logging_option_updates: list[CloudWatchLoggingOptionUpdate] | None,
    code_store: CodeIntake,
) -> Configuration:
    """The configuration of the version an UpdateApplication call creates."""
    updated = copy.deepcopy(current)
    runtime = updated["RuntimeEnvironment"]
    if runtime_update is not None:
        runtime = _change_runtime(runtime, runtime_update.value)
        updated["RuntimeEnvironment"] = runtime
    if service_execution_role is not None:
        updated["ServiceExecutionRole"] = service_execution_role
    described: dict[str, Any] = updated.setdefault(APP_CONFIG, {})
    if not is_sql(runtime):
        _apply_run_configuration(described, run_configuration_update)
    elif run_configuration_update is not None:
        raise errors.InvalidArgumentException("RunConfigurationUpdate is not supported for SQL applications")
    for option_update in logging_option_updates or []:
        updated[CWL] = _update_logging_option(updated.get(CWL, []), option_update)
    if configuration_update is not None:  # last: a code update stores the code
        _apply_configuration_update(runtime, described, configuration_update, code_store)
    return updated


def _change_runtime(current: str, requested: str) -> str:
    def family(runtime: str) -> str:
        return "SQL" if is_sql(runtime) else "ZEPPELIN" if is_zeppelin(runtime) else "FLINK"

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
    foreign = sorted(set(body) & (flink_members if is_sql(runtime) else sql_members))
    if not is_sql(runtime) and not is_zeppelin(runtime) and "ZeppelinApplicationConfigurationUpdate" in body:
        foreign.append("ZeppelinApplicationConfigurationUpdate")
    if foreign:
        raise errors.InvalidArgumentException(
            f"{', '.join(foreign)} is not supported for runtime environment {runtime}"
        )
    if "FlinkApplicationConfigurationUpdate" in body:
        described[FLINK] = _update_flink(
            described.get(FLINK, {}), body["FlinkApplicationConfigurationUpdate"]
        )
    if "EnvironmentPropertyUpdates" in body:
        described["EnvironmentPropertyDescriptions"] = _environment(
            body["EnvironmentPropertyUpdates"]["PropertyGroups"]
        )
    if "ApplicationSnapshotConfigurationUpdate" in body:
        described["ApplicationSnapshotConfigurationDescription"] = _update_snapshots(
            runtime,
            described.get("ApplicationSnapshotConfigurationDescription", {}),
            body["ApplicationSnapshotConfigurationUpdate"],
        )
    if "ApplicationSystemRollbackConfigurationUpdate" in body:
        described["ApplicationSystemRollbackConfigurationDescription"] = {
            "RollbackEnabled": body["ApplicationSystemRollbackConfigurationUpdate"]["RollbackEnabledUpdate"]
        }
    if "VpcConfigurationUpdates" in body:
        described[VPC] = _update_by_id(
            described.get(VPC, []),
            body["VpcConfigurationUpdates"],
            "VpcConfigurationId",
            "VpcConfigurationUpdate",
            "VpcConfigurationDescription",
            "VPC configuration",
        )
        for item in described[VPC]:
            item["VpcId"] = _vpc_id(item["SubnetIds"])
    if "SqlApplicationConfigurationUpdate" in body:
        described[SQL] = _update_sql(described.get(SQL, {}), body["SqlApplicationConfigurationUpdate"])
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
        described["ApplicationCodeConfigurationDescription"] = _update_code(
            runtime,
            described.get("ApplicationCodeConfigurationDescription"),
            update.application_code_configuration_update,
            code_store,
        )


def _update_code(
    runtime: str,
    current: dict[str, Any] | None,
    update: ApplicationCodeConfigurationUpdate,
    code_store: CodeIntake,
) -> dict[str, Any]:
    content_type = (
        update.code_content_type_update.value
        if update.code_content_type_update is not None
        else (current or {}).get("CodeContentType", "ZIPFILE")
    )
    content = update.code_content_update
    if content is None:
        if current is None:
            raise errors.InvalidArgumentException(
                "ApplicationCodeConfigurationUpdate requires CodeContentUpdate"
            )
        return {**current, "CodeContentType": content_type}
    s3: dict[str, Any] | None = None
    if content.s3_content_location_update is not None:
        previous = ((current or {}).get("CodeContentDescription") or {}).get(
            "S3ApplicationCodeLocationDescription", {}
        )
        s3 = merge_update(
            previous,
            content.s3_content_location_update.model_dump(mode="json", by_alias=True, exclude_none=True),
            shape("S3ContentLocationUpdate"),
            shape("S3ApplicationCodeLocationDescription"),
        )
        if "BucketARN" not in s3 or "FileKey" not in s3:
            raise errors.InvalidArgumentException(
                "S3ContentLocationUpdate requires BucketARNUpdate and FileKeyUpdate"
            )
    return _describe_code_content(
        runtime,
        content_type,
        text=content.text_content_update,
        zip_bytes=content.zip_file_content_update,
        s3=s3,
        code_store=code_store,
    )


def _update_flink(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    updated = dict(current)
    blocks = (
        ("CheckpointConfigurationUpdate", "CheckpointConfigurationDescription", DEFAULT_CHECKPOINT),
        ("MonitoringConfigurationUpdate", "MonitoringConfigurationDescription", DEFAULT_MONITORING),
        ("ParallelismConfigurationUpdate", "ParallelismConfigurationDescription", DEFAULT_PARALLELISM),
    )
    for update_member, description_member, defaults in blocks:
        if update_member not in update:
            continue
        changes = {key.removesuffix("Update"): value for key, value in update[update_member].items()}
        previous = updated.get(description_member, defaults)
        configuration_type = changes.get("ConfigurationType", previous.get("ConfigurationType", "DEFAULT"))
        if configuration_type == "DEFAULT":
            updated[description_member] = dict(defaults)
            continue
        base = previous if previous.get("ConfigurationType") == "CUSTOM" else defaults
        described = {**base, **changes, "ConfigurationType": "CUSTOM"}
        if description_member == "ParallelismConfigurationDescription":
            described["CurrentParallelism"] = described["Parallelism"]
        updated[description_member] = described
    return updated


def _update_snapshots(runtime: str, current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    updated = {**current, "SnapshotsEnabled": update["SnapshotsEnabledUpdate"]}
    mode = update.get("SnapshotModeUpdate")
    if mode is not None:
        _check_snapshot_mode(runtime, mode)
        if current.get("SnapshotMode") == "ENHANCED_SNAPSHOTS" and mode != "ENHANCED_SNAPSHOTS":
            raise errors.InvalidArgumentException(
                "SnapshotMode cannot change from ENHANCED_SNAPSHOTS to APPLICATION_SNAPSHOTS_LEGACY; "
                "use RollbackApplication"
            )
        updated["SnapshotMode"] = mode
    return updated


def _update_by_id(
    current: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    id_member: str,
    update_shape: str,
    description_shape: str,
    what: str,
) -> list[dict[str, Any]]:
    updated = [dict(item) for item in current]
    for change in updates:
        target = find_by_id(updated, id_member, change[id_member], what)
        merged = merge_update(target, change, shape(update_shape), shape(description_shape))
        target.clear()
        target.update(merged)
    return updated


def _update_sql(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    updated = dict(current)
    if "InputUpdates" in update:
        inputs = _update_by_id(
            current.get("InputDescriptions", []),
            update["InputUpdates"],
            "InputId",
            "InputUpdate",
            "InputDescription",
            "Input",
        )
        for item, change in (
            (i, c) for c in update["InputUpdates"] for i in inputs if i["InputId"] == c["InputId"]
        ):
            _keep_one_source(item, change, ("KinesisStreamsInput", "KinesisFirehoseInput"))
            item["InAppStreamNames"] = in_app_stream_names(
                item["NamePrefix"], item.get("InputParallelism", {}).get("Count", 1)
            )
        updated["InputDescriptions"] = inputs
    if "OutputUpdates" in update:
        outputs = _update_by_id(
            current.get("OutputDescriptions", []),
            update["OutputUpdates"],
            "OutputId",
            "OutputUpdate",
            "OutputDescription",
            "Output",
        )
        for item, change in (
            (o, c) for c in update["OutputUpdates"] for o in outputs if o["OutputId"] == c["OutputId"]
        ):
            _keep_one_source(item, change, _OUTPUT_DESTINATIONS)
        updated["OutputDescriptions"] = outputs
    if "ReferenceDataSourceUpdates" in update:
        updated["ReferenceDataSourceDescriptions"] = _update_by_id(
            current.get("ReferenceDataSourceDescriptions", []),
            update["ReferenceDataSourceUpdates"],
            "ReferenceId",
            "ReferenceDataSourceUpdate",
            "ReferenceDataSourceDescription",
            "Reference data source",
        )
    return updated


def _keep_one_source(item: dict[str, Any], change: dict[str, Any], kinds: tuple[str, ...]) -> None:
    """When an update names a new source/destination kind, the previous kind is replaced."""
    chosen = [kind for kind in kinds if f"{kind}Update" in change]
    if chosen:
        for kind in kinds:
            if kind != chosen[-1]:
                item.pop(f"{kind}Description", None)


def _apply_run_configuration(described: dict[str, Any], update: RunConfigurationUpdate | None) -> None:
    """RunConfigurationUpdate is not sticky: omitted members fall back to AWS's defaults."""
    if update is None:
        if RUN in described:
            described[RUN] = copy.deepcopy(DEFAULT_RUN_CONFIGURATION)
        return
    run = copy.deepcopy(DEFAULT_RUN_CONFIGURATION)
    restore = update.application_restore_configuration
    if restore is not None:
        if restore.application_restore_type.value == "RESTORE_FROM_CUSTOM_SNAPSHOT" and not (
            restore.snapshot_name or restore.snapshot_arn
        ):
            raise errors.InvalidArgumentException(
                "ApplicationRestoreType RESTORE_FROM_CUSTOM_SNAPSHOT requires SnapshotName"
            )
        run["ApplicationRestoreConfigurationDescription"] = restore.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    flink = update.flink_run_configuration
    if flink is not None and flink.allow_non_restored_state is not None:
        run["FlinkRunConfigurationDescription"] = {"AllowNonRestoredState": flink.allow_non_restored_state}
    described[RUN] = run


def _update_logging_option(
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
