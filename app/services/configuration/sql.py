"""The SQL application blocks (legacy SQL-1_0): inputs, outputs and reference data sources."""

from __future__ import annotations

from typing import Any

from api_models import errors
from app.services.configuration.wire import find_by_id, sub_resource_id, update_by_id
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


_INPUT_SOURCES = ("KinesisStreamsInput", "KinesisFirehoseInput")
_OUTPUT_DESTINATIONS = ("KinesisStreamsOutput", "KinesisFirehoseOutput", "LambdaOutput")


def add_output(
    existing: list[dict[str, Any]], given: dict[str, Any], version_id: int
) -> list[dict[str, Any]]:
    if sum(key in given for key in _OUTPUT_DESTINATIONS) != 1:
        raise errors.InvalidArgumentException(
            "Output must specify exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput"
        )
    _require_new(
        existing, given, "Name", f"An output for in-application stream {given['Name']} already exists"
    )
    return _added(existing, given, version_id, "Output", "OutputId")


def add_reference(
    existing: list[dict[str, Any]], given: dict[str, Any], version_id: int
) -> list[dict[str, Any]]:
    s3 = given.get("S3ReferenceDataSource", {})
    if "BucketARN" not in s3 or "FileKey" not in s3:
        raise errors.InvalidArgumentException(
            "ReferenceDataSource requires S3ReferenceDataSource with BucketARN and FileKey"
        )
    _require_new(
        existing, given, "TableName", f"A reference data source for table {given['TableName']} already exists"
    )
    return _added(existing, given, version_id, "ReferenceDataSource", "ReferenceId")


def _require_new(existing: list[dict[str, Any]], given: dict[str, Any], member: str, message: str) -> None:
    if any(item[member] == given[member] for item in existing):
        raise errors.InvalidArgumentException(message)


def _added(
    existing: list[dict[str, Any]], given: dict[str, Any], version_id: int, stem: str, id_member: str
) -> list[dict[str, Any]]:
    """``existing`` with ``given`` (wire form of shape ``stem``) described and numbered ``<version>.<n>``."""
    described = describe(given, shape(stem), shape(f"{stem}Description"))
    described[id_member] = sub_resource_id(version_id, existing, id_member)
    return [*existing, described]


_SQL_UPDATES = (  # update member, description member, id member, shape stem, what, source kinds
    ("InputUpdates", "InputDescriptions", "InputId", "Input", "Input", _INPUT_SOURCES),
    ("OutputUpdates", "OutputDescriptions", "OutputId", "Output", "Output", _OUTPUT_DESTINATIONS),
    (
        "ReferenceDataSourceUpdates",
        "ReferenceDataSourceDescriptions",
        "ReferenceId",
        "ReferenceDataSource",
        "Reference data source",
        (),
    ),
)


def update_sql(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The SQL description after ``SqlApplicationConfigurationUpdate`` (wire form)."""
    updated = dict(current)
    for member, described_member, id_member, stem, what, kinds in _SQL_UPDATES:
        if member not in update:
            continue
        items = update_by_id(
            current.get(described_member, []),
            update[member],
            id_member,
            f"{stem}Update",
            f"{stem}Description",
            what,
        )
        for change in update[member]:
            item = find_by_id(items, id_member, change[id_member], what)
            _keep_one_source(item, change, kinds)
            if stem == "Input":
                item["InAppStreamNames"] = in_app_stream_names(
                    item["NamePrefix"], item.get("InputParallelism", {}).get("Count", 1)
                )
        updated[described_member] = items
    return updated


def _keep_one_source(item: dict[str, Any], change: dict[str, Any], kinds: tuple[str, ...]) -> None:
    """When an update names a new source/destination kind, the previous kind is replaced."""
    chosen = [kind for kind in kinds if f"{kind}Update" in change]
    if chosen:
        for kind in kinds:
            if kind != chosen[-1]:
                item.pop(f"{kind}Description", None)
