"""The shape validator, exercised over every input shape of the model.

Cases are generated from botocore's model: for every operation, every member reachable from its input
(through structures, list elements and map values) gets a valid body with one violating or wrongly
typed value placed at that member, and the error must name exactly that path.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from api_models import errors
from api_models.operations import OPERATIONS
from api_models.service_model import service_model
from app.protocol.serialize import load_input
from app.protocol.validation import MAX_LISTED_VIOLATIONS, SHOWN_VALUE_LIMIT, Violations, input_reader
from tests.api.protocol_stubs import create_body

OPERATION_NAMES = sorted(OPERATIONS)

# Steps into a shape: a member name, LIST (the first element) or MAP (the value under MAP_KEY).
LIST, MAP = "#list", "#map"
MAP_KEY = "key1"
Step = str
Path = tuple[Step, ...]

# Strings tried, in order, as a value satisfying (or, below, breaking) a string shape's pattern.
VALID_CANDIDATES = ("a", "arn:aws:iam::123456789012:role/r", "12:00", "UTF-8", "$")
BREAKING_CANDIDATES = ("!", " ", "-", "\u0001", "~")


def _pattern_ok(shape: Shape, text: str) -> bool:
    pattern = shape.metadata.get("pattern")
    return pattern is None or re.fullmatch(pattern, text, re.ASCII) is not None


def _sized(seed: str, shape: Shape) -> str:
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    text = seed
    while len(text) < low:
        text += seed[-1]
    return text if high is None or len(text) <= high else text[:high]


def valid_string(shape: Shape) -> str:
    if shape.enum:
        return str(shape.enum[0])
    for seed in VALID_CANDIDATES:
        text = _sized(seed, shape)
        if _pattern_ok(shape, text) and len(text) >= shape.metadata.get("min", 0):
            return text
    raise AssertionError(f"no valid sample for {shape.name}; add a candidate")


def valid_value(shape: Shape, *, full: bool = False) -> Any:
    """A value satisfying the shape: only required members, or every member when ``full``."""
    if isinstance(shape, StructureShape):
        names = list(shape.members) if full else shape.required_members
        return {name: valid_value(shape.members[name], full=full) for name in names}
    if isinstance(shape, ListShape):
        return [valid_value(shape.member, full=full) for _ in range(max(shape.metadata.get("min", 1), 1))]
    if isinstance(shape, MapShape):
        return {valid_string(shape.key): valid_value(shape.value, full=full)}
    kind = shape.type_name
    if kind == "string":
        return valid_string(shape)
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1700000000.5
    if kind == "blob":
        return base64.b64encode(b"x" * max(shape.metadata.get("min", 1), 1)).decode()
    raise AssertionError(f"unexpected shape type {kind}")


def members(shape: Shape, path: Path = ()) -> Iterator[tuple[Path, Shape]]:
    """Every (path, shape) below ``shape``: structure members, first list element, map value."""
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            yield (*path, name), member
            yield from members(member, (*path, name))
    elif isinstance(shape, ListShape):
        yield (*path, LIST), shape.member
        yield from members(shape.member, (*path, LIST))
    elif isinstance(shape, MapShape):
        yield (*path, MAP), shape.value
        yield from members(shape.value, (*path, MAP))


DROP = object()
"""Placed at a path by body_with: the member is left out."""


def body_with(shape: Shape, path: Path, value: Any) -> Any:
    """A valid value of ``shape`` with ``value`` placed at ``path`` (or ``path`` removed if value is DROP)."""
    if not path:
        return value
    step, rest = path[0], path[1:]
    if isinstance(shape, StructureShape):
        body = valid_value(shape)
        inner = body_with(shape.members[step], rest, value)
        if inner is DROP:
            body.pop(step, None)
        else:
            body[step] = inner
        return body
    if isinstance(shape, ListShape):
        return [body_with(shape.member, rest, value)]
    assert isinstance(shape, MapShape)
    return {MAP_KEY: body_with(shape.value, rest, value)}


def wire_path(path: Path) -> str:
    """The AWS-style path of a member: lowerCamelCase, ``.1.member`` for the list element, map key."""
    parts: list[str] = []
    for step in path:
        if step == LIST:
            parts.append("1.member")
        elif step == MAP:
            parts.append(MAP_KEY)
        else:
            parts.append(step[:1].lower() + step[1:])
    return ".".join(parts)


def cases(operation: str) -> Iterator[tuple[Path, Shape]]:
    yield from members(service_model().operation_model(operation).input_shape)


def read(operation: str, body: Any) -> dict[str, Any]:
    return input_reader(operation).read(body)


def expect_error(operation: str, body: Any, kind: type[errors.AwsError]) -> str:
    with pytest.raises(kind) as raised:
        read(operation, body)
    return raised.value.message


def input_shape(operation: str) -> StructureShape:
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None
    return shape


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_minimal_and_full_valid_bodies_pass_and_build_the_model(operation: str) -> None:
    shape = input_shape(operation)
    for body in (valid_value(shape), valid_value(shape, full=True)):
        model = load_input(OPERATIONS[operation], body)
        assert isinstance(model, OPERATIONS[operation].input_model)


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_every_pattern_enum_and_length_violation_names_its_path(operation: str) -> None:
    shape = input_shape(operation)
    checked = 0
    for path, member in cases(operation):
        where = wire_path(path)
        for bad, constraint in violations_of(member):
            message = expect_error(operation, body_with(shape, path, bad), errors.ValidationException)
            assert f"at '{where}' failed to satisfy constraint: {constraint}" in message, (path, message)
            assert re.match(r"\d+ validation errors? detected: Value ", message)
            checked += 1
    constrained = any(violations_of(member) for _, member in cases(operation))
    assert checked > 0 or not constrained


def violations_of(shape: Shape) -> list[tuple[Any, str]]:
    """(wire value, expected constraint wording) pairs that break one constraint of ``shape``."""
    found: list[tuple[Any, str]] = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    kind = shape.type_name
    if kind == "string":
        if shape.enum:
            found.append(("NOT_IN_THE_SET", f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
        pattern = shape.metadata.get("pattern")
        if pattern is not None:
            breaking = next(
                text for seed in BREAKING_CANDIDATES if not _pattern_ok(shape, text := _sized(seed, shape))
            )
            found.append((breaking, f"Member must satisfy regular expression pattern: {pattern}"))
        sample = valid_string(shape)
        if low:
            found.append((sample[: low - 1], f"Member must have length greater than or equal to {low}"))
        if high is not None and not shape.enum:
            found.append(
                (
                    sample + sample[-1] * (high + 1 - len(sample)),
                    f"Member must have length less than or equal to {high}",
                )
            )
    elif kind in ("integer", "long"):
        if low is not None:
            found.append((low - 1, f"Member must have value greater than or equal to {low}"))
        if high is not None:
            found.append((high + 1, f"Member must have value less than or equal to {high}"))
    elif kind in ("list", "map"):
        element = valid_value(shape)
        if low:
            found.append(
                ([] if kind == "list" else {}, f"Member must have length greater than or equal to {low}")
            )
        if high is not None:
            if isinstance(element, list):
                too_many: Any = element[:1] * (high + 1)
            else:
                value = next(iter(element.values()))
                too_many = {f"k{index}": value for index in range(high + 1)}
            found.append((too_many, f"Member must have length less than or equal to {high}"))
    elif kind == "blob" and high is not None:
        too_long = base64.b64encode(b"x" * (high + 1)).decode()
        found.append((too_long, f"Member must have length less than or equal to {high}"))
    return found


WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "structure": ([], "x", 1),
    "list": ({}, "x", 1),
    "map": ([], "x", 1),
    "string": (1, 1.5, True, [], {}),
    "integer": ("1", 1.5, True, [], {}, 2**63),
    "long": ("1", 1.5, True, [], {}, 2**64),
    "boolean": (1, "yes", [], {}),
    "timestamp": (True, [], {}, "not a time", 1e300),
    "blob": (1, [], "not base64!"),
}


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_every_wrong_json_type_is_a_serialization_error_naming_the_path(operation: str) -> None:
    shape = input_shape(operation)
    for path, member in cases(operation):
        for wrong in WRONG_TYPES[member.type_name]:
            message = expect_error(operation, body_with(shape, path, wrong), errors.SerializationException)
            assert f"'{wire_path(path)}'" in message, (path, wrong, message)


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_every_missing_required_member_is_member_must_not_be_null(operation: str) -> None:
    shape = input_shape(operation)
    for path, member in [((), shape), *cases(operation)]:
        if not isinstance(member, StructureShape):
            continue
        for name in member.required_members:
            where = wire_path((*path, name))
            for absent in (DROP, None):
                message = expect_error(
                    operation, body_with(shape, (*path, name), absent), errors.ValidationException
                )
                assert message == (
                    f"1 validation error detected: Value null at '{where}' failed to satisfy constraint: "
                    "Member must not be null"
                )


def test_message_wording_for_one_and_several_violations() -> None:
    message = expect_error("CreateApplication", {"ApplicationName": "bad name!"}, errors.ValidationException)
    assert message == (
        "3 validation errors detected: "
        "Value 'bad name!' at 'applicationName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        "Value null at 'runtimeEnvironment' failed to satisfy constraint: Member must not be null; "
        "Value null at 'serviceExecutionRole' failed to satisfy constraint: Member must not be null"
    )
    one = Violations()
    one.add("x", "a.b", "Member must be good")
    assert (
        one.message()
        == "1 validation error detected: Value 'x' at 'a.b' failed to satisfy constraint: Member must be good"
    )


def test_a_flood_of_violations_lists_the_first_hundred_and_counts_the_rest() -> None:
    body = {"ResourceARN": "arn:x", "TagKeys": [""] * 150}
    message = expect_error("UntagResource", body, errors.ValidationException)
    assert message.startswith("150 validation errors detected: Value '' at 'tagKeys.1.member' failed")
    assert message.count("failed to satisfy constraint") == MAX_LISTED_VIOLATIONS
    assert f"at 'tagKeys.{MAX_LISTED_VIOLATIONS}.member'" in message
    assert f"at 'tagKeys.{MAX_LISTED_VIOLATIONS + 1}.member'" not in message
    assert message.endswith("; and 50 more")


def test_range_and_enum_wording() -> None:
    assert expect_error("ListApplications", {"Limit": 51}, errors.ValidationException) == (
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 50"
    )
    body = {"ApplicationName": "a", "RuntimeEnvironment": "FLINK-9", "ServiceExecutionRole": "arn:x"}
    message = expect_error("CreateApplication", body, errors.ValidationException)
    assert message.startswith(
        "1 validation error detected: Value 'FLINK-9' at 'runtimeEnvironment' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SQL-1_0, FLINK-1_6, "
    )


def test_list_and_map_values_are_shown_like_coral() -> None:
    body = {"ResourceARN": "arn:x", "TagKeys": ["k"] * 201}
    message = expect_error("UntagResource", body, errors.ValidationException)
    assert message.startswith("1 validation error detected: Value '[k, k, k, ")
    assert (
        "...' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 200"
        in (message)
    )
    shown = message.split("'")[1]
    assert len(shown) == SHOWN_VALUE_LIMIT + 3


def test_map_keys_and_values() -> None:
    groups = [{"PropertyGroupId": "g", "PropertyMap": {"": "", "long": "x" * 2049, "nothing": None}}]
    body = create_body({"EnvironmentProperties": {"PropertyGroups": groups}})
    message = expect_error("CreateApplication", body, errors.ValidationException)
    where = "applicationConfiguration.environmentProperties.propertyGroups.1.member.propertyMap"
    assert message.startswith("4 validation errors detected: ")
    assert (
        f"Value '' at '{where}' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]"
    ) in message
    assert f"Value '' at '{where}.' failed to satisfy constraint: Member must have length greater" in message
    assert (
        f"at '{where}.long' failed to satisfy constraint: Member must have length less than or equal to 2048"
        in (message)
    )
    assert f"Value null at '{where}.nothing' failed to satisfy constraint: Member must not be null" in message


def test_null_list_element_is_not_null_violation() -> None:
    body = {"ResourceARN": "arn:x", "Tags": [{"Key": "a"}, None]}
    assert expect_error("TagResource", body, errors.ValidationException) == (
        "1 validation error detected: Value null at 'tags.2.member' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_conversions_to_model_types() -> None:
    body = {
        "ApplicationName": "a",
        "CreateTimestamp": "2024-01-02T03:04:05.5Z",
    }
    assert read("DeleteApplication", body)["CreateTimestamp"] == datetime(2024, 1, 2, 3, 4, 5, 500000, UTC)
    naive = read("DeleteApplication", {**body, "CreateTimestamp": "2024-01-02T03:04:05"})
    assert naive["CreateTimestamp"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    epoch = read("DeleteApplication", {**body, "CreateTimestamp": 1704164645.678})
    assert epoch["CreateTimestamp"] == datetime(2024, 1, 2, 3, 4, 5, 678000, UTC)
    assert read("DeleteApplication", {**body, "CreateTimestamp": 1704164645})["CreateTimestamp"].second == 5
    assert read("ListApplications", {"Limit": 5.0}) == {"Limit": 5}
    start = {
        "ApplicationName": "a",
        "RunConfiguration": {"FlinkRunConfiguration": {"AllowNonRestoredState": "TRUE"}},
    }
    flink = read("StartApplication", start)["RunConfiguration"]["FlinkRunConfiguration"]
    assert flink == {"AllowNonRestoredState": True}
    code = {
        "CodeContentType": "ZIPFILE",
        "CodeContent": {"ZipFileContent": base64.b64encode(b"zip").decode()},
    }
    create = create_body({"ApplicationCodeConfiguration": code})
    read_code = read("CreateApplication", create)["ApplicationConfiguration"]["ApplicationCodeConfiguration"]
    assert read_code["CodeContent"]["ZipFileContent"] == b"zip"


def test_unknown_members_are_dropped_even_snake_case_aliases() -> None:
    body = {"ApplicationName": "a", "Unknown": {"deep": [1, 2]}, "application_name": 5, "Limit": 3}
    assert read("DescribeApplication", body) == {"ApplicationName": "a"}


def test_string_length_counts_utf16_code_units() -> None:
    # TagKey max 128: 64 characters outside the BMP are 128 UTF-16 units; 65 are too many.
    ok = {"ResourceARN": "arn:x", "Tags": [{"Key": "\U0001f600" * 64}]}
    assert read("TagResource", ok)["Tags"][0]["Key"] == "\U0001f600" * 64
    too_long = {"ResourceARN": "arn:x", "Tags": [{"Key": "\U0001f600" * 65}]}
    message = expect_error("TagResource", too_long, errors.ValidationException)
    assert message.endswith(
        "at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_out_of_range_numbers_are_serialization_errors() -> None:
    for limit in (2**31, -(2**31) - 1, 1e300, float("inf")):
        message = expect_error("ListApplications", {"Limit": limit}, errors.SerializationException)
        assert "'limit'" in message
    message = expect_error("ListApplications", {"Limit": 2**31 - 1}, errors.ValidationException)
    assert "Value '2147483647' at 'limit'" in message


def test_top_level_must_be_an_object() -> None:
    message = expect_error("ListApplications", [], errors.SerializationException)
    assert message == "Expected an object at the top level but found a list"


def test_every_operation_compiles() -> None:
    for name in service_model().operation_names:
        assert input_reader(name) is input_reader(name)


def test_lone_surrogates_are_serialization_errors_naming_the_path() -> None:
    message = expect_error(
        "DescribeApplication", {"ApplicationName": "a\ud800"}, errors.SerializationException
    )
    assert (
        message == "Value at 'applicationName' is not valid Unicode: it holds a lone surrogate (\\u escape)"
    )
    groups = [{"PropertyGroupId": "g", "PropertyMap": {"k\udfff": "v"}}]
    body = create_body({"EnvironmentProperties": {"PropertyGroups": groups}})
    message = expect_error("CreateApplication", body, errors.SerializationException)
    assert "'applicationConfiguration.environmentProperties.propertyGroups.1.member.propertyMap'" in message
    assert read("DescribeApplication", {"ApplicationName": "a", "Unknown": "\ud800"}) == {
        "ApplicationName": "a"
    }


def test_nul_characters_are_refused_naming_the_path() -> None:
    tags = {"ResourceARN": "arn:x", "Tags": [{"Key": "k", "Value": "a\x00b"}]}
    message = expect_error("TagResource", tags, errors.SerializationException)
    assert (
        message
        == "Value at 'tags.1.member.value' holds a NUL character (\\u0000), which msf-local cannot store"
    )
