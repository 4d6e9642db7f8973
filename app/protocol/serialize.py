"""Wire ↔ model: inputs checked against botocore's shapes; outputs with epoch timestamps, base64 blobs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from api_models.models import AwsModel
from api_models.operations import OperationSpec
from app.protocol.omissions import fill_documented_omissions
from app.protocol.validation import input_reader


def load_input(spec: OperationSpec, body: dict[str, Any]) -> AwsModel:
    """The operation's input model from a parsed JSON body, validated against botocore's shapes first.

    Members the AWS documentation's examples omit are inferred first (app.protocol.omissions). The
    validator (app.protocol.validation) reports every shape violation the AWS way and hands over only
    modeled members in the types the generated models take, so the model can always be built from it.
    """
    body = fill_documented_omissions(spec.name, body)
    return spec.input_model.model_validate(input_reader(spec.name).read(body))


def _json_value(value: Any) -> Any:
    """What json.dumps cannot write itself: timestamps as epoch seconds, blobs as base64."""
    if isinstance(value, datetime):  # a datetime without zone (as SQLite returns them) is UTC
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_output(spec: OperationSpec, result: AwsModel) -> bytes:
    """The JSON body of an operation's output: AWS member names, no nulls, epoch timestamps, base64 blobs.

    Enum members are ``str`` subclasses and are written as their values by json itself.
    """
    if not isinstance(result, spec.output_model):
        raise TypeError(
            f"{spec.method} returned {type(result).__name__}, expected {spec.output_model.__name__}"
        )
    document = result.model_dump(by_alias=True, exclude_none=True)
    return json.dumps(document, separators=(",", ":"), default=_json_value).encode()
