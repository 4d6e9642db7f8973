"""``pyflink.common.serialization``: string schemas and the row encoder of file sinks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stream_runtime.connectors.serialization import (
    DeserializationSchema,
    JsonDeserializationSchema,
    JsonSerializationSchema,
    SerializationSchema,
    SimpleStringSchema,
)


class Encoder:
    """Turns a record into a line of a row-format file sink."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        self.encode = encode

    @staticmethod
    def simple_string_encoder(charset_name: str = "UTF-8") -> Encoder:
        """``str(record)`` per line (UTF-8)."""
        if charset_name.upper().replace("-", "") != "UTF8":
            raise ValueError("the embedded file sink writes UTF-8 only")
        return Encoder(str)


__all__ = [
    "DeserializationSchema",
    "Encoder",
    "JsonDeserializationSchema",
    "JsonSerializationSchema",
    "SerializationSchema",
    "SimpleStringSchema",
]
