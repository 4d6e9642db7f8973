"""(De)serialization schemas between records and the bytes of external systems (Flink's names)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any


class DeserializationSchema(ABC):
    """Turns the bytes of one external record into a stream record."""

    @abstractmethod
    def deserialize(self, data: bytes) -> Any:
        """The record for ``data``."""


class SerializationSchema(ABC):
    """Turns a stream record into the bytes of one external record."""

    @abstractmethod
    def serialize(self, value: Any) -> bytes:
        """The bytes for ``value``."""


class SimpleStringSchema(DeserializationSchema, SerializationSchema):
    """UTF-8 text."""

    def deserialize(self, data: bytes) -> Any:
        return data.decode("utf-8")

    def serialize(self, value: Any) -> bytes:
        return str(value).encode("utf-8")


class JsonDeserializationSchema(DeserializationSchema):
    """One JSON document per record."""

    def deserialize(self, data: bytes) -> Any:
        return json.loads(data)


class JsonSerializationSchema(SerializationSchema):
    """Compact JSON, UTF-8."""

    def serialize(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class RawBytesSchema(DeserializationSchema, SerializationSchema):
    """Bytes as they are (``bytes``, ``bytearray`` or ``memoryview`` when serializing)."""

    def deserialize(self, data: bytes) -> Any:
        return bytes(data)

    def serialize(self, value: Any) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"RawBytesSchema serializes bytes, not {type(value).__name__}")
        return bytes(value)
