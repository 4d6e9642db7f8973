"""Generate the OpenAPI 3.0 document of the kinesisanalyticsv2 API from botocore's service model.

Every operation is ``POST /`` with an ``X-Amz-Target`` header. OpenAPI keys paths by URL, so each
operation gets the path ``/#X-Amz-Target=KinesisAnalytics_20180523.<Op>``: the fragment keeps the
paths apart and is never sent (URL fragments stay on the client), so Swagger UI's "Try it out"
(fetch) and schemathesis (requests) both post to ``/`` with the header the document requires.

Run ``python -m app.clients.openapi`` (or ``make generate``) to rewrite ``openapi/kinesisanalyticsv2.json``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from api_models import errors
from api_models.generate import first_sentence
from api_models.service_model import TARGET_PREFIX, raw_service_model
from app.clients.catalog import FAMILIES, FAMILY_DESCRIPTIONS, FAMILY_OF, openapi_path, target
from app.clients.story import example_body

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "kinesisanalyticsv2.json"
DEFAULT_SERVER = "http://127.0.0.1:4590"
CONTENT_TYPE = "application/x-amz-json-1.1"

DOCUMENT_DESCRIPTION = """\
The AWS JSON 1.1 API of Amazon Managed Service for Apache Flink as msf-local serves it. Every operation
is `POST /` with the header `X-Amz-Target: {target_prefix}.<Operation>` and a JSON body
(`Content-Type: {content_type}`). The `#X-Amz-Target=...` part of each path only tells the operations
apart; it is never sent. Requests are signed with AWS Signature Version 4 (service `{signing_name}`); in
msf-local's default `--auth accept` mode unsigned requests are accepted too and act in the default
account and region.

Generated from botocore's service model by `python -m app.clients.openapi`."""

# JSON Schema's names for the model's min/max of a string's length, a list's items and a map's entries.
_SIZE_KEYWORDS = {
    "string": ("minLength", "maxLength"),
    "list": ("minItems", "maxItems"),
    "map": ("minProperties", "maxProperties"),
}
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

# Errors any operation can answer with besides its modeled ones, by HTTP status.
_COMMON_BY_STATUS: dict[int, tuple[str, ...]] = {
    400: (
        "ValidationException",
        "SerializationException",
        "UnknownOperationException",
        "ThrottlingException",
    ),
    403: (
        "MissingAuthenticationTokenException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "AccessDeniedException",
    ),
    413: ("RequestEntityTooLargeException",),
    500: ("InternalFailure",),
    501: ("NotImplementedException",),
}
_STATUS_TEXT = {
    400: "Client error",
    403: "Authentication error",
    413: "Request body too large",
    500: "Internal failure",
    501: "Operation not implemented by msf-local yet",
    503: "Service unavailable",
}


def plain_text(doc: str | None) -> str:
    """botocore's HTML documentation as plain text, paragraphs kept."""
    if not doc:
        return ""
    text = re.sub(r"</p>\s*", "\n\n", doc)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    paragraphs = (" ".join(part.split()) for part in text.split("\n\n"))
    return "\n\n".join(part for part in paragraphs if part)


class OpenApiBuilder:
    """Turns the service model into an OpenAPI 3.0.3 document, one path per operation."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.model = model
        self.shapes: dict[str, Any] = model["shapes"]
        self.components: dict[str, Any] = {}

    def schema_for(self, shape_name: str, documentation: str | None = None) -> dict[str, Any]:
        """The JSON schema of a shape reference: ``$ref`` for structures, inline otherwise."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            self.add_component(shape_name)
            return {"$ref": f"#/components/schemas/{shape_name}"}
        schema: dict[str, Any] = {}
        notes = [first_sentence(documentation or shape.get("documentation"))]
        if kind == "string":
            schema["type"] = "string"
            if "enum" in shape:
                schema["enum"] = list(shape["enum"])
            if "pattern" in shape:
                # AWS patterns match the whole value; JSON Schema's match anywhere unless anchored.
                schema["pattern"] = f"^(?:{shape['pattern']})$"
        elif kind in ("integer", "long"):
            low, high = _INT32 if kind == "integer" else _INT64
            schema.update(type="integer", format="int32" if kind == "integer" else "int64")
            schema.update(minimum=shape.get("min", low), maximum=shape.get("max", high))
        elif kind in ("double", "float"):
            schema["type"] = "number"
        elif kind == "boolean":
            schema["type"] = "boolean"
            notes.append('The strings "true" and "false" are accepted too.')
        elif kind == "timestamp":
            schema.update(type="number", minimum=0)
            notes.append("Epoch seconds.")
        elif kind == "blob":
            schema.update(type="string", format="byte")
            notes.append(f"Base64; at most {shape['max']} bytes." if "max" in shape else "Base64.")
        elif kind == "list":
            schema.update(type="array", items=self.schema_for(shape["member"]["shape"]))
        elif kind == "map":
            schema.update(type="object", additionalProperties=self.schema_for(shape["value"]["shape"]))
        else:
            raise ValueError(f"shape {shape_name} has unsupported type {kind}")
        low_key, high_key = _SIZE_KEYWORDS.get(kind, (None, None))
        if low_key and "min" in shape:
            schema[low_key] = shape["min"]
        if high_key and "max" in shape:
            schema[high_key] = shape["max"]
        description = " ".join(note for note in notes if note)
        if description:
            schema["description"] = description
        return schema

    def add_component(self, shape_name: str) -> None:
        """Add a structure (and everything it reaches) to ``components.schemas``."""
        if shape_name in self.components:
            return
        shape = self.shapes[shape_name]
        component: dict[str, Any] = {"type": "object"}
        self.components[shape_name] = component
        doc = first_sentence(shape.get("documentation"))
        if doc:
            component["description"] = doc
        required = list(shape.get("required", []))
        if required:
            component["required"] = required
        component["properties"] = {
            member: self.schema_for(ref["shape"], ref.get("documentation"))
            for member, ref in shape.get("members", {}).items()
        }

    def example(self, value: Any, shape_name: str) -> Any:
        """An example body as its schema has it: booleans sent as "true"/"false" become JSON booleans."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure" and isinstance(value, dict):
            members = shape.get("members", {})
            return {
                key: self.example(item, members[key]["shape"]) if key in members else item
                for key, item in value.items()
            }
        if kind == "list" and isinstance(value, list):
            return [self.example(item, shape["member"]["shape"]) for item in value]
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        return value

    def error_response(self, status: int, codes: tuple[str, ...]) -> dict[str, Any]:
        """A response carrying an AWS error: ``__type`` is one of ``codes``."""
        lines = "\n".join(f"- `{code}`: {errors.ERRORS[code].__doc__}" for code in codes)
        return {
            "description": f"{_STATUS_TEXT[status]}. `__type` is one of:\n\n{lines}",
            "headers": {
                "X-Amzn-ErrorType": {"schema": {"type": "string", "enum": list(codes)}},
                "x-amzn-RequestId": {"$ref": "#/components/headers/RequestId"},
            },
            "content": {
                CONTENT_TYPE: {
                    "schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/AwsError"},
                            {
                                "type": "object",
                                "properties": {"__type": {"type": "string", "enum": list(codes)}},
                            },
                        ]
                    }
                }
            },
        }

    def operation(self, name: str) -> dict[str, Any]:
        """The OpenAPI operation object of one kinesisanalyticsv2 operation."""
        op = self.model["operations"][name]
        modeled = tuple(error["shape"] for error in op.get("errors", []))
        by_status: dict[int, list[str]] = {}
        for code in modeled:
            by_status.setdefault(errors.ERRORS[code].status_code, []).append(code)
        for status, codes in _COMMON_BY_STATUS.items():
            by_status.setdefault(status, []).extend(code for code in codes if code not in modeled)
        responses: dict[str, Any] = {
            "200": {
                "description": "Success.",
                "headers": {"x-amzn-RequestId": {"$ref": "#/components/headers/RequestId"}},
                "content": {CONTENT_TYPE: {"schema": self.schema_for(op["output"]["shape"])}},
            }
        }
        for status in sorted(by_status):
            responses[str(status)] = self.error_response(status, tuple(by_status[status]))
        return {
            "operationId": name,
            "summary": first_sentence(op.get("documentation")) or name,
            "description": plain_text(op.get("documentation")),
            "tags": [FAMILY_OF[name]],
            "parameters": [
                {
                    "name": "X-Amz-Target",
                    "in": "header",
                    "required": True,
                    "description": "Names the operation.",
                    "schema": {"type": "string", "enum": [target(name)], "default": target(name)},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    CONTENT_TYPE: {
                        "schema": self.schema_for(op["input"]["shape"]),
                        "example": self.example(example_body(name), op["input"]["shape"]),
                    }
                },
            },
            "responses": responses,
        }

    def document(self, server_url: str) -> dict[str, Any]:
        """The whole OpenAPI document, with ``server_url`` as its one server."""
        names = sorted(self.model["operations"])
        missing = set(names) - set(FAMILY_OF)
        if missing:
            raise ValueError(f"operations without a family: {sorted(missing)}")
        paths = {openapi_path(name): {"post": self.operation(name)} for name in names}
        metadata = self.model["metadata"]
        self.components["AwsError"] = {
            "type": "object",
            "description": "The body of every AWS JSON 1.1 error.",
            "required": ["__type", "message"],
            "properties": {
                "__type": {"type": "string", "description": "The error code."},
                "message": {"type": "string", "description": "What went wrong."},
            },
        }
        return {
            "openapi": "3.0.3",
            "info": {
                "title": f"msf-local: {metadata['serviceFullName']} V2 (kinesisanalyticsv2)",
                "version": metadata["apiVersion"],
                "description": DOCUMENT_DESCRIPTION.format(
                    target_prefix=TARGET_PREFIX,
                    content_type=CONTENT_TYPE,
                    signing_name=metadata["signingName"],
                ),
            },
            "servers": [{"url": server_url}],
            "tags": [{"name": family, "description": FAMILY_DESCRIPTIONS[family]} for family in FAMILIES],
            "paths": paths,
            "components": {
                "schemas": dict(sorted(self.components.items())),
                "headers": {
                    "RequestId": {"description": "The request's id.", "schema": {"type": "string"}},
                },
            },
        }


def build_document(server_url: str = DEFAULT_SERVER) -> dict[str, Any]:
    """The OpenAPI document for a service at ``server_url``."""
    return OpenApiBuilder(raw_service_model()).document(server_url)


def render(document: dict[str, Any]) -> str:
    """The document as the committed file's text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OPENAPI_FILE.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_FILE.write_text(render(build_document()))
    print(f"wrote {OPENAPI_FILE}")


if __name__ == "__main__":
    main()
