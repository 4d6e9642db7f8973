"""Schema inference for DiscoverInputSchema: sample records in, a SQL-1_0 ``SourceSchema`` out.

Pure functions over the sampled bytes (no I/O). JSON is tried first (every record an object, or an
array of objects), then delimited text (the first of ``, \\t | ;`` that splits every row into the same
number of fields, at least two). Column names follow the SQL developer guide's discovery rules: the
source name is kept unless it is a reserved SQL word, holds characters other than letters, digits and
``_``, starts with a digit or is longer than 100 characters; such a column is renamed ``COL_<name>``
(non-word characters become ``_``). SQL types: BOOLEAN, INTEGER, BIGINT, REAL (decimals), DATE,
TIMESTAMP, else ``VARCHAR(n)`` with ``n`` the longest value rounded up to a power of two (at least 4).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ENCODING = "UTF-8"
MAX_NAME = 100
CSV_DELIMITERS = (",", "\t", "|", ";")

RESERVED_WORDS = frozenset(
    {
        "ALL",
        "AND",
        "ANY",
        "AS",
        "ASC",
        "BETWEEN",
        "BIGINT",
        "BOOLEAN",
        "BY",
        "CASE",
        "CAST",
        "CHAR",
        "CHARACTER",
        "COLUMN",
        "CREATE",
        "CURRENT",
        "DATE",
        "DAY",
        "DECIMAL",
        "DEFAULT",
        "DELETE",
        "DESC",
        "DISTINCT",
        "DOUBLE",
        "ELSE",
        "END",
        "EXISTS",
        "FALSE",
        "FLOAT",
        "FOR",
        "FROM",
        "FULL",
        "GROUP",
        "HAVING",
        "HOUR",
        "IN",
        "INNER",
        "INSERT",
        "INT",
        "INTEGER",
        "INTERVAL",
        "INTO",
        "IS",
        "JOIN",
        "LEFT",
        "LIKE",
        "LIMIT",
        "MINUTE",
        "MONTH",
        "NOT",
        "NULL",
        "NUMERIC",
        "ON",
        "OR",
        "ORDER",
        "OUTER",
        "REAL",
        "RIGHT",
        "ROW",
        "ROWS",
        "SECOND",
        "SELECT",
        "SET",
        "SMALLINT",
        "STREAM",
        "TABLE",
        "THEN",
        "TIME",
        "TIMESTAMP",
        "TO",
        "TRUE",
        "UNION",
        "UPDATE",
        "USER",
        "VALUE",
        "VALUES",
        "VARCHAR",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
        "YEAR",
    }
)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NON_WORD = re.compile(r"[^A-Za-z0-9_]")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_INT_MAX = 2**31 - 1
_TYPE_ORDER = ("BOOLEAN", "INTEGER", "BIGINT", "REAL")


@dataclass
class Inferred:
    """A schema found for the sample: the ``SourceSchema`` document and the rows it parses into."""

    schema: dict[str, Any]
    parsed: list[list[str]]


@dataclass
class _Column:
    """One column being inferred: where it comes from and what its values have looked like so far."""

    source: str
    mapping: str | None
    kinds: set[str] = field(default_factory=set)
    longest: int = 0

    def see(self, value: Any) -> None:
        kind, text = _kind(value)
        if kind is not None:
            self.kinds.add(kind)
        self.longest = max(self.longest, len(text))

    def sql_type(self) -> str:
        kinds = self.kinds
        if kinds and kinds <= {"INTEGER", "BIGINT", "REAL"}:
            return max(kinds, key=_TYPE_ORDER.index)
        if len(kinds) == 1 and kinds < {"BOOLEAN", "DATE", "TIMESTAMP"}:
            return next(iter(kinds))
        return f"VARCHAR({_varchar_length(self.longest)})"


def decode(record: bytes) -> str:
    """A record as text, as a Java service decodes it: UTF-8, malformed bytes as U+FFFD."""
    return record.decode("utf-8", errors="replace")


def infer_records(records: list[bytes]) -> Inferred | None:
    """The schema of stream records (JSON, else delimited text), or None when neither fits them all."""
    texts = [record.decode("utf-8") for record in records if _is_text(record)]
    if not records or len(texts) != len(records):
        return None
    return _infer_json(texts) or _infer_delimited(texts)


def infer_object(body: bytes) -> Inferred | None:
    """The schema of an object's content: JSON lines, one JSON document, else delimited rows."""
    if not _is_text(body):
        return None
    text = body.decode("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    return _infer_json(lines) or _infer_json([text]) or _infer_delimited([text])


def column_name(source: str, taken: set[str]) -> str:
    """The discovered column name for a source field name, unique among ``taken`` (which it joins)."""
    keep = _WORD.fullmatch(source) and len(source) <= MAX_NAME and source.upper() not in RESERVED_WORDS
    name = source if keep else "COL_" + (_NON_WORD.sub("_", source)[: MAX_NAME - 4] or "")
    unique, suffix = name, 2
    while unique.upper() in {t.upper() for t in taken}:
        unique, suffix = f"{name}_{suffix}", suffix + 1
    taken.add(unique)
    return unique


def _is_text(record: bytes) -> bool:
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(text.strip()) and all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def _kind(value: Any) -> tuple[str | None, str]:
    """(SQL kind or None for a null, the value as text) of one field value."""
    if value is None:
        return None, ""
    if isinstance(value, bool):
        return "BOOLEAN", "true" if value else "false"
    if isinstance(value, int):
        return ("INTEGER" if abs(value) <= _INT_MAX else "BIGINT"), str(value)
    if isinstance(value, float):
        return "REAL", repr(value)
    if isinstance(value, (dict, list)):
        return "VARCHAR", json.dumps(value, separators=(",", ":"))
    text = str(value)
    return _text_kind(text.strip()), text


def _text_kind(text: str) -> str:
    if text.lower() in ("true", "false"):
        return "BOOLEAN"
    if _INTEGER.fullmatch(text):
        return "INTEGER" if abs(int(text)) <= _INT_MAX else "BIGINT"
    if _DECIMAL.fullmatch(text):
        return "REAL"
    if _TIMESTAMP.fullmatch(text):
        return "TIMESTAMP"
    if _DATE.fullmatch(text):
        return "DATE"
    return "VARCHAR"


def _varchar_length(longest: int) -> int:
    length = 4
    while length < longest:
        length *= 2
    return length


def _infer_json(texts: list[str]) -> Inferred | None:
    rows: list[dict[str, Any]] = []
    row_path = "$"
    for text in texts:
        try:
            document = json.loads(text)
        except ValueError:
            return None
        if isinstance(document, list) and document and all(isinstance(item, dict) for item in document):
            row_path = "$[0:]"
            rows.extend(document)
        elif isinstance(document, dict) and document:
            rows.append(document)
        else:
            return None
    if row_path == "$[0:]" and not all(text.lstrip().startswith("[") for text in texts):
        return None
    columns: dict[tuple[str, ...], _Column] = {}
    flat_rows = [dict(_flatten(row, ())) for row in rows]
    for flat in flat_rows:
        for path, value in flat.items():
            if path not in columns:
                columns[path] = _Column(source=path[-1], mapping="$." + ".".join(path))
            columns[path].see(value)
    taken: set[str] = set()
    record_columns = [
        _record_column(column, column_name(column.source, taken)) for column in columns.values()
    ]
    parsed = [[_kind(flat.get(path))[1] for path in columns] for flat in flat_rows]
    fmt = {
        "RecordFormatType": "JSON",
        "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": row_path}},
    }
    return Inferred(_schema(fmt, record_columns), parsed)


def _flatten(document: dict[str, Any], prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """Leaf values of nested objects by their key path (arrays are leaves, described as JSON text)."""
    leaves: list[tuple[tuple[str, ...], Any]] = []
    for key, value in document.items():
        if isinstance(value, dict) and value:
            leaves.extend(_flatten(value, (*prefix, key)))
        else:
            leaves.append(((*prefix, key), value))
    return leaves


def _infer_delimited(texts: list[str]) -> Inferred | None:
    row_delimiter = "\r\n" if any("\r\n" in text for text in texts) else "\n"
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    for delimiter in CSV_DELIMITERS:
        rows = [line.split(delimiter) for line in lines]
        width = len(rows[0])
        if width >= 2 and all(len(row) == width for row in rows):
            return _delimited(rows, row_delimiter, delimiter)
    return None


def _delimited(rows: list[list[str]], row_delimiter: str, delimiter: str) -> Inferred:
    header = rows[0] if len(rows) > 1 and _is_header(rows[0], rows[1:]) else None
    data = rows[1:] if header is not None else rows
    sources = header if header is not None else [str(index) for index in range(1, len(rows[0]) + 1)]
    columns = [_Column(source=source.strip(), mapping=None) for source in sources]
    for row in data:
        for column, value in zip(columns, row, strict=True):
            column.see(value)
    taken: set[str] = set()
    record_columns = [_record_column(column, column_name(column.source, taken)) for column in columns]
    fmt = {
        "RecordFormatType": "CSV",
        "MappingParameters": {
            "CSVMappingParameters": {"RecordRowDelimiter": row_delimiter, "RecordColumnDelimiter": delimiter}
        },
    }
    return Inferred(_schema(fmt, record_columns), data)


def _is_header(first: list[str], rest: list[list[str]]) -> bool:
    """A first row of names: only words, and some column whose later values are not all words."""
    if not all(_WORD.fullmatch(value.strip()) for value in first):
        return False
    return any(
        any(_text_kind(row[index].strip()) != "VARCHAR" for row in rest) for index in range(len(first))
    )


def _record_column(column: _Column, name: str) -> dict[str, Any]:
    described: dict[str, Any] = {"Name": name, "SqlType": column.sql_type()}
    if column.mapping is not None:
        described["Mapping"] = column.mapping
    return described


def _schema(record_format: dict[str, Any], columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {"RecordFormat": record_format, "RecordEncoding": ENCODING, "RecordColumns": columns}
