"""Schemathesis against the OpenAPI document, every operation: valid and invalid inputs, bounded, seeded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import HealthCheck

from app.clients.openapi import build_document
from tests.clients.conftest import ServeProcess, serving

CONTENT_TYPE = "application/x-amz-json-1.1"
EXAMPLES_PER_OPERATION = 15

schemathesis.serializer.alias(CONTENT_TYPE, "application/json")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A server of its own: fuzzing creates applications the other client tests need not see.

    One S3 call first, so the embedded moto is loaded (seconds on a busy machine) before any fuzzed
    request that reaches S3 (code from S3, DiscoverInputSchema) is timed.
    """
    with serving(tmp_path_factory.mktemp("fuzz") / "data") as served:
        s3 = boto3.client(
            "s3",
            endpoint_url=served.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.list_buckets()
        yield served


def fuzz_schema() -> Any:
    """The generated document with bounded, deterministic generation of valid and invalid inputs."""
    loaded = schemathesis.openapi.from_dict(build_document())
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES_PER_OPERATION,
        deterministic=True,
        database="none",
    )
    # Generation speed depends on how busy the machine is; it is no property of the API under test.
    loaded.config.suppress_health_check = [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ]
    return loaded


@schemathesis.check
def no_server_error(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """No 5xx, except the documented 501 ``NotImplementedException`` of an operation not implemented yet."""
    if response.status_code >= 500:
        assert response.status_code == 501, response.content[:2000]
        assert json.loads(response.content)["__type"] == "NotImplementedException", response.content


@schemathesis.check
def aws_error_is_well_formed(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx is an AWS JSON error: ``__type`` and ``message`` strings, ``X-Amzn-ErrorType`` agreeing.

    Only ``POST`` is an AWS call; any other method on ``/`` is refused by HTTP itself (405, Allow: POST).
    """
    if case.method.upper() != "POST":
        assert response.status_code == 405 and response.headers.get("allow") == ["POST"], response.headers
        return
    if not 400 <= response.status_code < 500:
        return
    assert response.headers.get("content-type", [""])[0].startswith(CONTENT_TYPE), response.headers
    body = json.loads(response.content)
    assert isinstance(body, dict) and {"__type", "message"} <= set(body), body
    assert isinstance(body["__type"], str) and body["__type"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert response.headers.get("x-amzn-errortype") == [body["__type"]], response.headers


schema = fuzz_schema()


@schema.parametrize()
def test_no_input_gets_a_server_error_or_a_malformed_aws_error(
    case: schemathesis.Case, fuzz_server: ServeProcess
) -> None:
    """Valid and invalid inputs alike: no 5xx, well-formed AWS errors, every answer as documented.

    ``response_schema_conformance`` holds 200 bodies to the operation's output shape and error bodies to
    the error codes the document lists for the operation (its modeled errors and the common ones).
    """
    case.call_and_validate(
        base_url=fuzz_server.url,
        checks=[no_server_error, aws_error_is_well_formed, schemathesis.checks.response_schema_conformance],
    )
