"""Body handling below HTTP: content types, JSON parsing, and the default size limit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from api_models import errors
from api_models.service_model import service_model
from app.protocol.body import check_content_type, parse_json_object
from app.settings import Settings


@pytest.mark.parametrize(
    "value",
    [None, "", "application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json; charset=UTF-8"],
)
def test_json_content_types_pass(value: str | None) -> None:
    check_content_type(value)


@pytest.mark.parametrize("value", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_other_content_types_fail(value: str) -> None:
    with pytest.raises(errors.SerializationException, match="Unsupported Content-Type"):
        check_content_type(value)


def test_whitespace_only_body_is_an_empty_object() -> None:
    assert parse_json_object(b"") == {}
    assert parse_json_object(b" \r\n\t") == {}


def test_malformed_json_reports_line_and_column() -> None:
    with pytest.raises(errors.SerializationException) as raised:
        parse_json_object(b'{\n  "a": 1,\n  "b" 2\n}')
    assert raised.value.message == "Malformed JSON at line 3, column 7: Expecting ':' delimiter"


def test_a_byte_order_mark_is_malformed_json() -> None:
    with pytest.raises(errors.SerializationException, match=r"^Malformed JSON at line 1, column 1"):
        parse_json_object(b"\xef\xbb\xbf{}")


def test_default_limit_fits_the_largest_zip_file_content(tmp_path: Path) -> None:
    shape = service_model().shape_for("ZipFileContent")
    largest_base64 = 4 * math.ceil(shape.metadata["max"] / 3)
    assert Settings(data_dir=tmp_path).max_body_bytes > largest_base64 + 64 * 1024
