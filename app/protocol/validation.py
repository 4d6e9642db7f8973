"""Server-side input validation driven by botocore's shapes, worded the way AWS (Coral) words it.

An :class:`InputReader` is compiled once per operation from its input shape. Reading a parsed JSON body
checks and converts it in one pass and returns a dict holding only modeled members (keyed by their AWS
member names), with wire values turned into what the generated pydantic models take: base64 → bytes,
epoch seconds or ISO-8601 → aware ``datetime``, ``"true"``/``"false"`` → ``bool``. Unknown members are
dropped, as AWS ignores them; a JSON ``null`` member counts as absent.

Two kinds of failure, as on AWS:

* a value of the wrong JSON type at any depth (a string for an integer, an object for a list, a number
  out of the 32/64-bit range, bad base64, an unreadable timestamp, a string no database can store:
  one holding NUL or a lone surrogate) stops reading at once with a ``SerializationException`` naming
  the path;
* constraint violations (required, length of strings/lists/maps/blobs, pattern, enum, numeric range)
  are all collected and raised together as one ``ValidationException``::

      2 validation errors detected: Value 'bad name!' at 'applicationName' failed to satisfy
      constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value null at
      'runtimeEnvironment' failed to satisfy constraint: Member must not be null

  (at most MAX_LISTED_VIOLATIONS are written out; the message then ends with ``; and N more``).

Paths are the member names in lowerCamelCase joined by ``.``:

* structure members: ``applicationConfiguration.flinkApplicationConfiguration.parallelismConfiguration``;
* list elements, 1-based, followed by ``member``: ``tags.1.member.key``; a scalar element is the
  ``member`` itself: ``tagKeys.2.member``;
* map values: the map's path followed by the key: ``...propertyGroups.1.member.propertyMap.my.key``;
  a key that breaks the key shape's constraints is reported at the map's own path, listing what it
  breaks: ``Value 'k' at '...propertyMap' failed to satisfy constraint: Map keys must satisfy
  constraint: [Member must have length less than or equal to 2048]``.

Values are shown as Coral shows them: ``Value 'x'`` for strings, numbers and booleans, ``[a, b]`` for
lists, ``{k=v}`` for maps and structures, ``Value null`` for a missing member; a blob is shown as its size
(``'<12 bytes>'``) and any shown value is cut at :data:`SHOWN_VALUE_LIMIT` characters. String lengths
count UTF-16 code units, as the Java services do. Patterns must match the whole value, with ASCII
meanings of ``\\s``, ``\\d`` and ``\\w`` (Java's defaults).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from api_models import errors
from api_models.service_model import service_model

SHOWN_VALUE_LIMIT = 256
"""Longest rendering of a value inside a validation message; longer ones end with ``...``."""

MAX_LISTED_VIOLATIONS = 100
"""Violations written out in one message; any beyond are counted (a hostile body can break millions)."""


class Violations:
    """The constraint violations found while reading one body, in the order they were found."""

    def __init__(self) -> None:
        self.count = 0
        self.listed: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        """Record that ``value`` at ``path`` breaks ``constraint`` (worded as Coral words it)."""
        self.count += 1
        if len(self.listed) < MAX_LISTED_VIOLATIONS:
            shown = "null" if value is None else f"'{_show(value)}'"
            self.listed.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, value: Any, path: str, checks: Iterable[Check]) -> None:
        """Record every constraint among ``checks`` that ``value`` breaks."""
        for check in checks:
            broken = check(value)
            if broken is not None:
                self.add(value, path, broken)

    def message(self) -> str:
        """``N validation error(s) detected: v1; v2`` as AWS words it."""
        noun = "error" if self.count == 1 else "errors"
        unlisted = self.count - len(self.listed)
        more = f"; and {unlisted} more" if unlisted else ""
        return f"{self.count} validation {noun} detected: " + "; ".join(self.listed) + more


Check = Callable[[Any], str | None]
"""One constraint: returns its wording when the value breaks it, else None."""

Reader = Callable[[Any, str, Violations], Any]
"""Reads one wire value at a path: returns it converted, records violations, raises on a wrong type."""

_INTEGER_BITS = {"integer": 32, "long": 64}


class InputReader:
    """Checks and converts the JSON body of one operation; build with :func:`input_reader`."""

    def __init__(self, shape: StructureShape) -> None:
        self._compiled: dict[str, Reader] = {}
        self._read = self._compile(shape)

    def read(self, body: dict[str, Any]) -> dict[str, Any]:
        """The modeled members of ``body``, converted; raises Validation/SerializationException."""
        violations = Violations()
        result: dict[str, Any] = self._read(body, "", violations)
        if violations.count:
            raise errors.ValidationException(violations.message())
        return result

    def _compile(self, shape: Shape) -> Reader:
        known = self._compiled.get(shape.name)
        if known is not None:
            return known
        if isinstance(shape, StructureShape):
            return self._structure(shape)
        if isinstance(shape, ListShape):
            reader = _list_reader(shape, self._compile(shape.member))
        elif isinstance(shape, MapShape):
            reader = _map_reader(shape, _string_checks(shape.key), self._compile(shape.value))
        elif shape.type_name == "string":
            reader = _string_reader(_string_checks(shape))
        elif shape.type_name in _INTEGER_BITS:
            reader = _integer_reader(shape)
        elif shape.type_name == "boolean":
            reader = _read_boolean
        elif shape.type_name == "timestamp":
            reader = _read_timestamp
        elif shape.type_name == "blob":
            reader = _blob_reader(shape)
        else:
            raise TypeError(f"shape {shape.name} has type {shape.type_name}, which inputs never use")
        self._compiled[shape.name] = reader
        return reader

    def _structure(self, shape: StructureShape) -> Reader:
        members: list[tuple[str, str, Reader, bool]] = []
        required = set(shape.required_members)

        def read(value: Any, path: str, violations: Violations) -> dict[str, Any]:
            if type(value) is not dict:
                raise _wrong_type(value, path, "an object")
            result: dict[str, Any] = {}
            for name, segment, reader, is_required in members:
                item = value.get(name)
                where = f"{path}.{segment}" if path else segment
                if item is None:
                    if is_required:
                        violations.add(None, where, "Member must not be null")
                    continue
                result[name] = reader(item, where, violations)
            return result

        self._compiled[shape.name] = read  # registered before its members, so shapes may nest themselves
        for name, member in shape.members.items():
            members.append((name, name[:1].lower() + name[1:], self._compile(member), name in required))
        return read


@cache
def input_reader(operation_name: str) -> InputReader:
    """The compiled reader for an operation's input (cached: one per operation)."""
    shape = service_model().operation_model(operation_name).input_shape
    if shape is None:
        raise TypeError(f"operation {operation_name} has no input shape")
    return InputReader(shape)


# ---------------------------------------------------------------------------------------- scalars


def _string_checks(shape: Shape) -> tuple[Check, ...]:
    checks: list[Check] = []
    pattern_text = shape.metadata.get("pattern")
    if pattern_text is not None:
        pattern = re.compile(pattern_text, re.ASCII)
        broken_pattern = f"Member must satisfy regular expression pattern: {pattern_text}"
        checks.append(lambda text: None if pattern.fullmatch(text) else broken_pattern)
    checks.extend(_length_checks(shape, _utf16_length))
    if shape.enum:
        allowed = frozenset(shape.enum)
        broken_enum = f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
        checks.append(lambda text: None if text in allowed else broken_enum)
    return tuple(checks)


def _length_checks(shape: Shape, length: Callable[[Any], int]) -> list[Check]:
    checks: list[Check] = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low:
        too_short = f"Member must have length greater than or equal to {low}"
        checks.append(lambda value: too_short if length(value) < low else None)
    if high is not None:
        too_long = f"Member must have length less than or equal to {high}"
        checks.append(lambda value: too_long if length(value) > high else None)
    return checks


def _check_text(text: str, path: str) -> None:
    """Refuse what no database can store: a lone surrogate (left by a ``\\ud800``-style JSON escape), or
    NUL (PostgreSQL text cannot hold U+0000)."""
    if "\x00" in text:
        raise errors.SerializationException(
            f"Value at '{path}' holds a NUL character (\\u0000), which msf-local cannot store"
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise errors.SerializationException(
                f"Value at '{path}' is not valid Unicode: it holds a lone surrogate (\\u escape)"
            ) from None


def _utf16_length(text: str) -> int:
    """Length as Java counts it: characters outside the BMP take two UTF-16 code units."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _string_reader(checks: tuple[Check, ...]) -> Reader:
    def read(value: Any, path: str, violations: Violations) -> str:
        if type(value) is not str:
            raise _wrong_type(value, path, "a string")
        _check_text(value, path)
        violations.check(value, path, checks)
        return value

    return read


def _integer_reader(shape: Shape) -> Reader:
    kind = shape.type_name
    bound = 1 << (_INTEGER_BITS[kind] - 1)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    too_small = f"Member must have value greater than or equal to {low}"
    too_large = f"Member must have value less than or equal to {high}"
    expected = "an integer" if kind == "integer" else "a long"

    def read(value: Any, path: str, violations: Violations) -> int:
        if type(value) is int:
            number = value
        elif type(value) is float and value.is_integer():
            number = int(value)
        else:
            raise _wrong_type(value, path, expected)
        if not -bound <= number < bound:
            raise errors.SerializationException(f"Value at '{path}' is out of range for {expected}")
        if low is not None and number < low:
            violations.add(number, path, too_small)
        if high is not None and number > high:
            violations.add(number, path, too_large)
        return number

    return read


def _read_boolean(value: Any, path: str, violations: Violations) -> bool:
    if type(value) is bool:
        return value
    if type(value) is str:
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    raise _wrong_type(value, path, "a boolean")


def _read_timestamp(value: Any, path: str, violations: Violations) -> datetime:
    """Epoch seconds (fractions kept) or an ISO-8601 string; a time without zone is UTC."""
    try:
        if type(value) in (int, float):
            return datetime.fromtimestamp(value, UTC)
        if type(value) is str:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise errors.SerializationException(
            f"Value at '{path}' is not a valid timestamp (epoch seconds or ISO-8601)"
        ) from None
    raise _wrong_type(value, path, "a timestamp (epoch seconds or an ISO-8601 string)")


def _blob_reader(shape: Shape) -> Reader:
    checks = _length_checks(shape, len)

    def read(value: Any, path: str, violations: Violations) -> bytes:
        if type(value) is not str:
            raise _wrong_type(value, path, "a base64 string")
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise errors.SerializationException(f"Value at '{path}' is not valid base64") from None
        violations.check(data, path, checks)
        return data

    return read


# ------------------------------------------------------------------------------------ collections


def _list_reader(shape: ListShape, element: Reader) -> Reader:
    checks = _length_checks(shape, len)

    def read(value: Any, path: str, violations: Violations) -> list[Any]:
        if type(value) is not list:
            raise _wrong_type(value, path, "a list")
        violations.check(value, path, checks)
        result: list[Any] = []
        for index, item in enumerate(value, start=1):
            where = f"{path}.{index}.member"
            if item is None:
                violations.add(None, where, "Member must not be null")
                continue
            result.append(element(item, where, violations))
        return result

    return read


def _map_reader(shape: MapShape, key_checks: tuple[Check, ...], element: Reader) -> Reader:
    checks = _length_checks(shape, len)

    def read(value: Any, path: str, violations: Violations) -> dict[str, Any]:
        if type(value) is not dict:
            raise _wrong_type(value, path, "an object (map)")
        violations.check(value, path, checks)
        result: dict[str, Any] = {}
        for key, item in value.items():
            _check_text(key, path)
            broken_key = [broken for check in key_checks if (broken := check(key)) is not None]
            if broken_key:
                constraints = ", ".join(broken_key)
                violations.add(key, path, f"Map keys must satisfy constraint: [{constraints}]")
            where = f"{path}.{key}"
            if item is None:
                violations.add(None, where, "Member must not be null")
                continue
            result[key] = element(item, where, violations)
        return result

    return read


# -------------------------------------------------------------------------------------- wording


def _show(value: Any) -> str:
    """Coral's rendering of a value, cut at SHOWN_VALUE_LIMIT characters."""
    rendering = _Rendering()
    rendering.add(value)
    return rendering.text()


class _Rendering:
    """Builds a value's text piece by piece and stops adding once past the limit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, value: Any) -> None:
        if isinstance(value, list):
            self._sequence("[", ((None, item) for item in value), "]")
        elif isinstance(value, dict):
            self._sequence("{", value.items(), "}")
        elif isinstance(value, bool):
            self._text("true" if value else "false")
        elif isinstance(value, bytes):
            self._text(f"<{len(value)} bytes>")
        else:
            self._text("null" if value is None else str(value))

    def text(self) -> str:
        joined = "".join(self.parts)
        return joined if len(joined) <= SHOWN_VALUE_LIMIT else joined[:SHOWN_VALUE_LIMIT] + "..."

    def _sequence(self, opening: str, pairs: Iterable[tuple[Any, Any]], closing: str) -> None:
        self._text(opening)
        for index, (key, item) in enumerate(pairs):
            if self.size > SHOWN_VALUE_LIMIT:
                return
            if index:
                self._text(", ")
            if key is not None:
                self._text(f"{key}=")
            self.add(item)
        self._text(closing)

    def _text(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)


_JSON_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (str, "a string"),
    (list, "a list"),
    (dict, "an object"),
)


def _wrong_type(value: Any, path: str, expected: str) -> errors.SerializationException:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = str(value)
        found = f"the number {number}" if len(number) <= 32 else "a number"
    else:
        found = next((name for kind, name in _JSON_TYPE_NAMES if isinstance(value, kind)), "null")
    where = f"'{path}'" if path else "the top level"
    return errors.SerializationException(f"Expected {expected} at {where} but found {found}")
