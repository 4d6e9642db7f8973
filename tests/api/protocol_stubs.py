"""Helpers for the protocol and auth API tests: stub service functions, raw and SigV4-signed requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from api_models.models import AwsModel
from api_models.operations import OPERATIONS
from api_models.service_model import SIGNING_NAME, TARGET_PREFIX
from app.protocol import router
from app.services.context import RequestContext

JSON_1_1 = "application/x-amz-json-1.1"
ROLE = "arn:aws:iam::123456789012:role/r"


def create_body(configuration: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CreateApplication body: valid required members, ``configuration`` as ApplicationConfiguration."""
    body: dict[str, Any] = {
        "ApplicationName": "a",
        "RuntimeEnvironment": "FLINK-1_20",
        "ServiceExecutionRole": ROLE,
    }
    if configuration is not None:
        body["ApplicationConfiguration"] = configuration
    return body


class StubCalls:
    """What stubbed service functions received: the context and the input model of each call."""

    def __init__(self) -> None:
        self.contexts: list[RequestContext] = []
        self.requests: list[AwsModel] = []


def stub_operations(monkeypatch: pytest.MonkeyPatch, **responses: Any) -> StubCalls:
    """Serve the named operations (``ListApplications=<response model or exception>``) from stubs.

    The live server runs in this process, so replacing the router's service table reaches it; every
    other operation is then not implemented.
    """
    calls = StubCalls()
    table: dict[str, Any] = {}
    for name, outcome in responses.items():

        def function(ctx: RequestContext, request: AwsModel, outcome: Any = outcome) -> Any:
            calls.contexts.append(ctx)
            calls.requests.append(request)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        table[OPERATIONS[name].method] = function
    monkeypatch.setattr(router, "service_table", lambda: table)
    return calls


def target(operation: str) -> str:
    return f"{TARGET_PREFIX}.{operation}"


def post(
    url: str,
    operation: str | None,
    body: bytes | str | dict[str, Any] = b"{}",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A raw POST / with the JSON 1.1 content type unless ``headers`` says otherwise."""
    sent = {"Content-Type": JSON_1_1}
    if operation is not None:
        sent["X-Amz-Target"] = target(operation)
    sent.update(headers or {})
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return httpx.post(url + "/", content=content, headers=sent, timeout=30)


def signed_headers(
    url: str,
    operation: str,
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    at: datetime | None = None,
) -> dict[str, str]:
    """Headers of a request signed by botocore's SigV4 signer, optionally as if signed at ``at``."""
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"Content-Type": JSON_1_1, "X-Amz-Target": target(operation)},
    )
    signer = SigV4Auth(Credentials(access_key, secret_key), SIGNING_NAME, region)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    return dict(request.headers.items())


def assert_aws_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> str:
    """The response is the AWS error ``code`` with ``status`` (and ``message`` when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON_1_1
    assert response.headers["x-amzn-errortype"] == code
    assert response.headers["x-amzn-requestid"]
    document = response.json()
    assert document["__type"] == code
    if message is not None:
        assert document["message"] == message
    text: str = document["message"]
    return text
