"""Schema inference rules for DiscoverInputSchema: formats, column names and SQL types."""

from __future__ import annotations

import json

from app.services.schema_inference import column_name, infer_object, infer_records


def columns(schema: dict[str, object]) -> list[tuple[str, str, str | None]]:
    return [(c["Name"], c["SqlType"], c.get("Mapping")) for c in schema["RecordColumns"]]  # type: ignore[attr-defined]


def test_json_records_give_json_paths_and_widened_types() -> None:
    records = [
        json.dumps({"id": 1, "price": 10, "ok": True, "at": "2026-01-02 03:04:05", "when": "2026-01-02"}),
        json.dumps({"id": 3_000_000_000, "price": 10.5, "ok": False, "at": "2026-01-02T03:04:05Z"}),
    ]
    inferred = infer_records([r.encode() for r in records])
    assert inferred is not None
    assert inferred.schema["RecordFormat"] == {
        "RecordFormatType": "JSON",
        "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
    }
    assert inferred.schema["RecordEncoding"] == "UTF-8"
    assert columns(inferred.schema) == [
        ("id", "BIGINT", "$.id"),
        ("price", "REAL", "$.price"),
        ("ok", "BOOLEAN", "$.ok"),
        ("at", "TIMESTAMP", "$.at"),
        ("COL_when", "DATE", "$.when"),
    ]
    assert inferred.parsed == [
        ["1", "10", "true", "2026-01-02 03:04:05", "2026-01-02"],
        ["3000000000", "10.5", "false", "2026-01-02T03:04:05Z", ""],
    ]


def test_nested_objects_flatten_and_arrays_of_objects_are_rows() -> None:
    inferred = infer_records(
        [b'[{"user": {"name": "ann", "age": 7}, "tags": [1, 2]}, {"user": {"name": "bo"}}]']
    )
    assert inferred is not None
    assert inferred.schema["RecordFormat"]["MappingParameters"] == {
        "JSONMappingParameters": {"RecordRowPath": "$[0:]"}
    }
    assert columns(inferred.schema) == [
        ("name", "VARCHAR(4)", "$.user.name"),
        ("age", "INTEGER", "$.user.age"),
        ("tags", "VARCHAR(8)", "$.tags"),
    ]
    assert inferred.parsed == [["ann", "7", "[1,2]"], ["bo", "", ""]]


def test_column_names_follow_the_discovery_rules() -> None:
    taken: set[str] = set()
    assert column_name("ticker", taken) == "ticker"
    assert column_name("YEAR", taken) == "COL_YEAR"
    assert column_name("2nd", taken) == "COL_2nd"
    assert column_name("unit price", taken) == "COL_unit_price"
    assert column_name("x" * 101, taken) == "COL_" + "x" * 96
    assert column_name("Ticker", taken) == "Ticker_2"


def test_csv_with_a_header_row() -> None:
    body = b"year,month,state,producer_type,units,consumption\r\n"
    body += b"2001,1,AK,TotalElectricPowerIndustry,ShortTons,47615\r\n"
    body += b"2001,2,AL,ElectricGeneratorsElectricUtilities,ShortTons,3020601.5\r\n"
    inferred = infer_object(body)
    assert inferred is not None
    assert inferred.schema["RecordFormat"] == {
        "RecordFormatType": "CSV",
        "MappingParameters": {
            "CSVMappingParameters": {"RecordRowDelimiter": "\r\n", "RecordColumnDelimiter": ","}
        },
    }
    assert columns(inferred.schema) == [
        ("COL_year", "INTEGER", None),
        ("COL_month", "INTEGER", None),
        ("state", "VARCHAR(4)", None),
        ("producer_type", "VARCHAR(64)", None),
        ("units", "VARCHAR(16)", None),
        ("consumption", "REAL", None),
    ]
    assert inferred.parsed[0] == ["2001", "1", "AK", "TotalElectricPowerIndustry", "ShortTons", "47615"]
    assert len(inferred.parsed) == 2


def test_delimited_rows_without_a_header_and_other_delimiters() -> None:
    inferred = infer_records([b"a|1|true", b"bb|2|false"])
    assert inferred is not None
    assert inferred.schema["RecordFormat"]["MappingParameters"]["CSVMappingParameters"] == {
        "RecordRowDelimiter": "\n",
        "RecordColumnDelimiter": "|",
    }
    assert columns(inferred.schema) == [
        ("COL_1", "VARCHAR(4)", None),
        ("COL_2", "INTEGER", None),
        ("COL_3", "BOOLEAN", None),
    ]
    assert inferred.parsed == [["a", "1", "true"], ["bb", "2", "false"]]


def test_json_lines_object_and_json_document_object() -> None:
    lines = infer_object(b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
    assert lines is not None
    assert lines.schema["RecordFormat"]["RecordFormatType"] == "JSON"
    assert lines.parsed == [["1", "x"], ["2", "y"]]
    document = infer_object(b'[\n  {"a": 1},\n  {"a": 2}\n]\n')
    assert document is not None
    assert (
        document.schema["RecordFormat"]["MappingParameters"]["JSONMappingParameters"]["RecordRowPath"]
        == "$[0:]"
    )
    assert document.parsed == [["1"], ["2"]]


def test_nothing_is_inferred_from_binary_mixed_or_single_column_text() -> None:
    assert infer_records([bytes(range(256))]) is None
    assert infer_records([b'{"a": 1}', b"\x00\x01\x02"]) is None
    assert infer_records([b"just words", b"more words"]) is None
    assert infer_records([b"a,b", b"a,b,c"]) is None
    assert infer_records([]) is None
    assert infer_object(b"\x89PNG\r\n\x1a\n\x00\x00") is None
