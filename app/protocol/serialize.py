"""Wire ↔ model conversion driven by botocore's shapes: blobs are base64, timestamps epoch seconds."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import Enum
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from pydantic import ValidationError

from api_models import errors
from api_models.models import AwsModel
from api_models.operations import OperationSpec
from api_models.service_model import service_model


def _decode(value: Any, shape: Shape, path: str) -> Any:
    """Turn wire values into what the models take: base64 → bytes, "true"/"false" → bool."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {
            key: _decode(item, shape.members[key], f"{path}.{key}") if key in shape.members else item
            for key, item in value.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_decode(item, shape.member, path) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _decode(item, shape.value, path) for key, item in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise errors.SerializationException(f"Value at '{path}' is not valid base64") from None
    if shape.type_name == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def load_input(spec: OperationSpec, body: dict[str, Any]) -> AwsModel:
    """The operation's input model from a parsed JSON body."""
    shape = service_model().operation_model(spec.name).input_shape
    decoded = _decode(body, shape, "") if shape is not None else body
    try:
        return spec.input_model.model_validate(decoded)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise errors.ValidationException(
            f"1 validation error detected: Value at '{where}' {first['msg']}"
        ) from None


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Enum):
        return value.value
    return value


def dump_output(spec: OperationSpec, result: AwsModel) -> dict[str, Any]:
    """The JSON body of an operation's output: AWS member names, no nulls, epoch timestamps."""
    if not isinstance(result, spec.output_model):
        raise TypeError(
            f"{spec.method} returned {type(result).__name__}, expected {spec.output_model.__name__}"
        )
    dumped: dict[str, Any] = _encode(result.model_dump(by_alias=True, exclude_none=True))
    return dumped
