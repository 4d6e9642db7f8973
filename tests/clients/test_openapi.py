"""The OpenAPI document: current with the model, valid, complete, and served with an offline Swagger UI."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from api_models.operations import OPERATIONS
from app.clients.catalog import openapi_path, target
from app.clients.openapi import OPENAPI_FILE, build_document, render
from app.clients.routes import SWAGGER_ASSETS
from tests.clients.conftest import ServeProcess

CONTENT_TYPE = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    committed: dict[str, Any] = json.loads(OPENAPI_FILE.read_text())
    return committed


def test_committed_document_matches_a_fresh_generation() -> None:
    assert OPENAPI_FILE.read_text() == render(build_document()), "openapi/ is stale: run `make generate`"


def test_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.0.3"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_is_a_post_with_its_target_header(document: dict[str, Any], operation: str) -> None:
    item = document["paths"][openapi_path(operation)]
    assert list(item) == ["post"]
    post = item["post"]
    (header,) = post["parameters"]
    assert header["in"] == "header" and header["name"] == "X-Amz-Target" and header["required"] is True
    assert header["schema"]["enum"] == [target(operation)]
    spec = OPERATIONS[operation]
    body_schema = post["requestBody"]["content"][CONTENT_TYPE]["schema"]
    assert body_schema == {"$ref": f"#/components/schemas/{spec.input_model.__name__}"}
    ok_schema = post["responses"]["200"]["content"][CONTENT_TYPE]["schema"]
    assert ok_schema == {"$ref": f"#/components/schemas/{spec.output_model.__name__}"}
    documented_errors = {
        code
        for response in post["responses"].values()
        for code in response.get("headers", {}).get("X-Amzn-ErrorType", {}).get("schema", {}).get("enum", [])
    }
    assert set(spec.errors) <= documented_errors
    assert {"ValidationException", "SerializationException"} <= documented_errors


def test_input_constraints_come_from_the_model(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["CreateApplicationRequest"]
    assert create["required"] == ["ApplicationName", "RuntimeEnvironment", "ServiceExecutionRole"]
    name = create["properties"]["ApplicationName"]
    assert (name["minLength"], name["maxLength"], name["pattern"]) == (1, 128, "^(?:[a-zA-Z0-9_.-]+)$")
    assert "FLINK-1_20" in create["properties"]["RuntimeEnvironment"]["enum"]
    limit = schemas["ListApplicationsRequest"]["properties"]["Limit"]
    assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 50)
    tags = create["properties"]["Tags"]
    assert (tags["type"], tags["minItems"], tags["maxItems"]) == ("array", 1, 200)
    assert tags["items"] == {"$ref": "#/components/schemas/Tag"}
    delete = schemas["DeleteApplicationRequest"]["properties"]["CreateTimestamp"]
    assert delete["type"] == "number"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_request_examples_satisfy_their_schema(document: dict[str, Any], operation: str) -> None:
    media = document["paths"][openapi_path(operation)]["post"]["requestBody"]["content"][CONTENT_TYPE]
    schema = {**media["schema"], "components": document["components"]}
    OAS30Validator(schema).validate(media["example"])


def test_served_document_is_the_generated_one_with_this_server(
    serve: ServeProcess, document: dict[str, Any]
) -> None:
    served = httpx.get(f"{serve.url}/openapi.json", timeout=30).json()
    assert served["servers"] == [{"url": serve.url}]
    assert {**served, "servers": document["servers"]} == document


def test_swagger_ui_is_served_without_any_cdn(serve: ServeProcess) -> None:
    page = httpx.get(f"{serve.url}/docs", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text
    assert 'url: "/openapi.json"' in page.text
    for name, media_type in SWAGGER_ASSETS.items():
        asset = httpx.get(f"{serve.url}/docs/static/{name}", timeout=30)
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(media_type), name
        assert asset.content, name
    assert httpx.get(f"{serve.url}/docs/static/..%2Fmain.py", timeout=30).status_code == 404


def test_a_documented_path_reaches_the_operation_it_names(serve: ServeProcess) -> None:
    """What "Try it out" does: POST to server + path (the fragment is not sent) with the target header."""
    url = serve.url + openapi_path("DescribeApplication")
    response = httpx.post(
        url,
        headers={"X-Amz-Target": target("DescribeApplication"), "Content-Type": CONTENT_TYPE},
        content=json.dumps({"ApplicationName": "no-such-app"}),
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["__type"] == "ResourceNotFoundException"
