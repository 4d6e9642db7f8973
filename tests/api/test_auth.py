"""``--auth strict`` over real HTTP: botocore-signed requests pass, everything else gets AWS's 403s."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from api_models import models
from app.protocol.auth import SIGNATURE_MISMATCH, UNKNOWN_KEY
from tests.api.protocol_stubs import StubCalls, assert_aws_error, post, signed_headers, stub_operations
from tests.conftest import LiveServer

NAMED_KEY, NAMED_SECRET, NAMED_ACCOUNT = "AKIDSTRICTEXAMPLE", "named-secret", "111122223333"
ACCOUNT_KEY, ACCOUNT_SECRET = "444455556666", "account-secret"
EMPTY_LIST = models.ListApplicationsResponse(ApplicationSummaries=[])


@pytest.fixture
def backend() -> str:
    """Authentication happens before any database work: SQLite only."""
    return "sqlite"


@pytest.fixture
def strict_server(make_server: Any, tmp_path: Path) -> LiveServer:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                NAMED_KEY: {"secret_access_key": NAMED_SECRET, "account_id": NAMED_ACCOUNT},
                ACCOUNT_KEY: {"secret_access_key": ACCOUNT_SECRET},
            }
        )
    )
    server: LiveServer = make_server(auth="strict", credentials_file=credentials)
    return server


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> StubCalls:
    return stub_operations(monkeypatch, ListApplications=EMPTY_LIST)


def client_error(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    response: dict[str, Any] = raised.value.response
    return response


def test_correctly_signed_boto3_requests_pass_and_carry_their_scope(
    strict_server: LiveServer, calls: StubCalls
) -> None:
    named = strict_server.client(access_key=NAMED_KEY, secret_key=NAMED_SECRET, region="eu-central-1")
    assert named.list_applications()["ApplicationSummaries"] == []
    account = strict_server.client(access_key=ACCOUNT_KEY, secret_key=ACCOUNT_SECRET, region="us-west-2")
    assert account.list_applications(Limit=5)["ApplicationSummaries"] == []
    scopes = [(ctx.scope.account_id, ctx.scope.region) for ctx in calls.contexts]
    assert scopes == [(NAMED_ACCOUNT, "eu-central-1"), (ACCOUNT_KEY, "us-west-2")]


def test_a_wrong_secret_is_an_invalid_signature(strict_server: LiveServer, calls: StubCalls) -> None:
    client = strict_server.client(access_key=NAMED_KEY, secret_key="not-the-secret")
    response = client_error(client.list_applications)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"] == {"Code": "InvalidSignatureException", "Message": SIGNATURE_MISMATCH}
    assert calls.contexts == []


def test_an_unknown_key_is_unrecognized(strict_server: LiveServer, calls: StubCalls) -> None:
    client = strict_server.client(access_key="AKIDNOBODYKNOWS", secret_key="whatever")
    response = client_error(client.list_applications)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"] == {"Code": "UnrecognizedClientException", "Message": UNKNOWN_KEY}
    assert UNKNOWN_KEY == "The security token included in the request is invalid."


@pytest.mark.parametrize(
    ("shift", "wording"), [(-20, "Signature expired: "), (20, "Signature not yet current: ")]
)
def test_a_request_signed_20_minutes_off_is_refused(
    strict_server: LiveServer, calls: StubCalls, shift: int, wording: str
) -> None:
    at = datetime.now(UTC) + timedelta(minutes=shift)
    headers = signed_headers(
        strict_server.url, "ListApplications", b"{}", access_key=NAMED_KEY, secret_key=NAMED_SECRET, at=at
    )
    message = assert_aws_error(
        httpx.post(strict_server.url + "/", content=b"{}", headers=headers), 403, "InvalidSignatureException"
    )
    assert message.startswith(wording + at.strftime("%Y%m%dT%H%M%SZ"))
    assert message.endswith(" 15 min.)")
    assert calls.contexts == []


def test_a_request_signed_a_few_minutes_ago_passes(strict_server: LiveServer, calls: StubCalls) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    headers = signed_headers(
        strict_server.url, "ListApplications", b"{}", access_key=NAMED_KEY, secret_key=NAMED_SECRET, at=at
    )
    response = httpx.post(strict_server.url + "/", content=b"{}", headers=headers)
    assert response.status_code == 200, response.text
    assert calls.contexts[0].scope.account_id == NAMED_ACCOUNT


def test_no_authentication_is_a_missing_token(strict_server: LiveServer, calls: StubCalls) -> None:
    response = post(strict_server.url, "ListApplications")
    assert_aws_error(response, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    assert calls.contexts == []


def test_a_body_changed_after_signing_fails(strict_server: LiveServer, calls: StubCalls) -> None:
    headers = signed_headers(
        strict_server.url, "ListApplications", b'{"Limit": 1}', access_key=NAMED_KEY, secret_key=NAMED_SECRET
    )
    response = httpx.post(strict_server.url + "/", content=b'{"Limit": 9}', headers=headers)
    assert_aws_error(response, 403, "InvalidSignatureException", SIGNATURE_MISMATCH)
    headers["X-Amz-Content-SHA256"] = "0" * 64
    response = httpx.post(strict_server.url + "/", content=b'{"Limit": 1}', headers=headers)
    assert_aws_error(response, 403, "InvalidSignatureException")
    assert calls.contexts == []


def test_a_signed_header_changed_after_signing_fails(strict_server: LiveServer, calls: StubCalls) -> None:
    headers = signed_headers(
        strict_server.url, "ListApplications", b"{}", access_key=NAMED_KEY, secret_key=NAMED_SECRET
    )
    headers["X-Amz-Target"] = "KinesisAnalytics_20180523.DescribeApplication"
    response = httpx.post(strict_server.url + "/", content=b"{}", headers=headers)
    assert_aws_error(response, 403, "InvalidSignatureException", SIGNATURE_MISMATCH)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Basic dXNlcjpwYXNz", "Unsupported authorization algorithm 'Basic'"),
        (
            f"AWS4-HMAC-SHA256 Credential={NAMED_KEY}/20240101/us-east-1/kinesisanalytics/aws4_request",
            "Authorization header requires 'SignedHeaders', 'Signature' parameter(s)",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={NAMED_KEY}/us-east-1, SignedHeaders=host, Signature=00",
            "Credential must have the form <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request",
        ),
    ],
)
def test_malformed_authorization_is_an_incomplete_signature(
    strict_server: LiveServer, authorization: str, message: str
) -> None:
    response = post(strict_server.url, "ListApplications", b"{}", {"Authorization": authorization})
    assert_aws_error(response, 400, "IncompleteSignatureException", message)


def test_missing_request_time_is_an_incomplete_signature(strict_server: LiveServer) -> None:
    headers = signed_headers(
        strict_server.url, "ListApplications", b"{}", access_key=NAMED_KEY, secret_key=NAMED_SECRET
    )
    del headers["X-Amz-Date"]
    response = httpx.post(strict_server.url + "/", content=b"{}", headers=headers)
    assert_aws_error(
        response,
        400,
        "IncompleteSignatureException",
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    )


def test_accept_mode_still_accepts_what_strict_refuses(make_server: Any, calls: StubCalls) -> None:
    accepting: LiveServer = make_server()
    client = accepting.client(access_key=NAMED_KEY, secret_key="not-the-secret")
    assert client.list_applications()["ApplicationSummaries"] == []
    assert post(accepting.url, "ListApplications").status_code == 200


def test_strict_accounts_from_the_credentials_file_never_see_each_other(strict_server: LiveServer) -> None:
    named = strict_server.client(access_key=NAMED_KEY, secret_key=NAMED_SECRET)
    account = strict_server.client(access_key=ACCOUNT_KEY, secret_key=ACCOUNT_SECRET)
    role = "arn:aws:iam::123456789012:role/r"
    created = named.create_application(
        ApplicationName="mine", RuntimeEnvironment="FLINK-1_20", ServiceExecutionRole=role
    )
    assert created["ApplicationDetail"]["ApplicationARN"].split(":")[4] == NAMED_ACCOUNT
    assert account.list_applications()["ApplicationSummaries"] == []
    response = client_error(lambda: account.describe_application(ApplicationName="mine"))
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    theirs = account.create_application(
        ApplicationName="mine", RuntimeEnvironment="FLINK-1_20", ServiceExecutionRole=role
    )
    assert theirs["ApplicationDetail"]["ApplicationARN"].split(":")[4] == ACCOUNT_KEY
    assert [s["ApplicationName"] for s in named.list_applications()["ApplicationSummaries"]] == ["mine"]
