"""The SQL application blocks (legacy SQL-1_0): inputs, outputs and reference data sources."""

from __future__ import annotations

from typing import Any

from api_models import errors
from app.services.configuration.wire import sub_resource_id, update_by_id
from app.services.shapes import describe, shape


def initial_sql(sql: dict[str, Any]) -> dict[str, Any]:
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


def update_sql(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    updated = dict(current)
    if "InputUpdates" in update:
        inputs = update_by_id(
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
        outputs = update_by_id(
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
        updated["ReferenceDataSourceDescriptions"] = update_by_id(
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
