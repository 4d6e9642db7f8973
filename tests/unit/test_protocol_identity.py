"""Identity below HTTP: resolve_scope on hand-built requests, the credentials file, SigV4 header parsing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pydantic import ValidationError
from starlette.requests import Request

from api_models import errors
from app.credentials import AccessKey, account_for_key, read_credentials_file
from app.db.scope import Scope
from app.protocol.auth import IncompleteSignatureException, parse_authorization, verify_signature
from app.protocol.identity import resolve_scope
from app.settings import AuthMode, Settings

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_request(settings: Settings, headers: dict[str, str], body: bytes = b"{}") -> Request:
    """A Starlette request as the router sees it, with ``settings`` on the app."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("127.0.0.1", 4590),
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ],
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    return Request(scope)


def authorization(access_key: str, region: str = "eu-west-1") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20240102/{region}/kinesisanalytics/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )


def botocore_signed(access_key: str, secret: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers botocore's signer produces for POST http://127.0.0.1:4590/ with body ``{}`` at NOW."""
    headers = {"Host": "127.0.0.1:4590", **(extra or {})}
    request = AWSRequest(method="POST", url="http://127.0.0.1:4590/", data=b"{}", headers=headers)
    request.context["timestamp"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    signer = SigV4Auth(Credentials(access_key, secret), "kinesisanalytics", "ap-northeast-1")
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return dict(request.headers.items())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, default_account_id="999999999999", default_region="sa-east-1")


# ----------------------------------------------------------------------------------------- accept


def test_accept_mode_scope_from_the_credential(settings: Settings) -> None:
    assert resolve_scope(
        make_request(settings, {"Authorization": authorization("123456789000")}), b""
    ) == Scope("123456789000", "eu-west-1")
    assert resolve_scope(
        make_request(settings, {"Authorization": authorization("AKIDEXAMPLE")}), b""
    ) == Scope("999999999999", "eu-west-1")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic abc",
        "AWS4-HMAC-SHA256 Credential=broken",
        "x" * 10_000,
        authorization("AKID", "us:east"),
    ],
)
def test_accept_mode_without_a_usable_credential_uses_the_defaults(
    settings: Settings, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert resolve_scope(make_request(settings, headers), b"") == Scope("999999999999", "sa-east-1")


@pytest.mark.parametrize(
    ("key", "account"),
    [("123456789012", "123456789012"), ("12345678901", "999999999999"), ("1234567890123", "999999999999")],
)
def test_only_a_12_digit_key_is_an_account(settings: Settings, key: str, account: str) -> None:
    assert account_for_key(key, settings) == account


# ----------------------------------------------------------------------------------------- strict


def strict_settings(tmp_path: Path, keys: dict[str, Any]) -> Settings:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(keys))
    return Settings(data_dir=tmp_path, auth=AuthMode.STRICT, credentials_file=path)


def test_strict_mode_verifies_with_botocore_and_uses_the_files_account(tmp_path: Path) -> None:
    settings = strict_settings(tmp_path, {"AKIDA": {"secret_access_key": "s", "account_id": "101010101010"}})
    request = make_request(settings, botocore_signed("AKIDA", "s"))
    parsed, key = verify_signature(request, b"{}", settings.access_keys, NOW)
    assert (parsed.access_key, parsed.region, parsed.service) == (
        "AKIDA",
        "ap-northeast-1",
        "kinesisanalytics",
    )
    assert key == AccessKey(secret_access_key="s", account_id="101010101010")
    with pytest.raises(errors.InvalidSignatureException):
        verify_signature(request, b'{"tampered": 1}', settings.access_keys, NOW)
    with pytest.raises(errors.InvalidSignatureException, match=r"^Date in Credential scope does not match"):
        headers = botocore_signed("AKIDA", "s") | {"X-Amz-Date": "20240102T030405Z".replace("02T", "03T")}
        verify_signature(make_request(settings, headers), b"{}", settings.access_keys, NOW.replace(day=3))


def test_strict_mode_key_without_account_follows_the_key_rule(tmp_path: Path) -> None:
    settings = strict_settings(
        tmp_path, {"202020202020": {"secret_access_key": "s"}, "AKIDB": {"secret_access_key": "t"}}
    )
    keys = settings.access_keys
    _, twelve = verify_signature(
        make_request(settings, botocore_signed("202020202020", "s")), b"{}", keys, NOW
    )
    assert twelve.account_id is None
    assert account_for_key("202020202020", settings) == "202020202020"
    assert account_for_key("AKIDB", settings) == settings.default_account_id


def test_strict_mode_needs_a_credentials_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="--auth strict needs --credentials-file"):
        Settings(data_dir=tmp_path, auth=AuthMode.STRICT)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "cannot read credentials file"),
        ("[]", "is not valid"),
        ('{"k": "secret"}', "is not valid"),
        ('{"k": {"secret_access_key": ""}}', "is not valid"),
        ('{"k": {"secret_access_key": "s", "account_id": "12"}}', "is not valid"),
        ('{"k": {"secret_access_key": "s", "typo": 1}}', "is not valid"),
        ("{}", "holds no access keys"),
    ],
)
def test_a_bad_credentials_file_fails_when_settings_are_built(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=problem):
        read_credentials_file(path)
    with pytest.raises(ValidationError, match=problem):
        Settings(data_dir=tmp_path, auth=AuthMode.STRICT, credentials_file=path)


def test_a_missing_credentials_file_fails_when_settings_are_built(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read credentials file"):
        Settings(data_dir=tmp_path, auth=AuthMode.STRICT, credentials_file=tmp_path / "absent.json")


def test_accept_mode_ignores_the_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("{not json")
    assert Settings(data_dir=tmp_path, credentials_file=path).access_keys == {}


# ---------------------------------------------------------------------------------------- parsing


def test_parse_authorization_reads_every_part() -> None:
    parsed = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesisanalytics/aws4_request, "
        "SignedHeaders=Host;X-Amz-Date;x-amz-target, Signature=0123abcd"
    )
    assert parsed.access_key == "AKID"
    assert parsed.date == "20240102"
    assert parsed.signed_headers == frozenset({"host", "x-amz-date", "x-amz-target"})
    assert parsed.signature == "0123abcd"


@pytest.mark.parametrize(
    "header",
    [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesisanalytics/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID//us-east-1/svc/aws4_request, SignedHeaders=h, Signature=",
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/svc/aws4, SignedHeaders=h, Signature=a",
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesisanalytics/aws4_request, SignedHeaders=h",
        "AWS4-HMAC-SHA512 Credential=AKID/20240102/us-east-1/kinesisanalytics/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us:east/svc/aws4_request, SignedHeaders=h, Signature=a",
    ],
)
def test_parse_authorization_refuses_incomplete_headers(header: str) -> None:
    with pytest.raises(IncompleteSignatureException):
        parse_authorization(header)


@pytest.mark.parametrize(
    "changes",
    [
        {"X-Amz-Date": "2024-01-02T03:04:05Z"},
        {"X-Amz-Date": "2024112T030405Z"},
        {"X-Amz-Date": "nonsense"},
    ],
)
def test_unreadable_request_times_are_incomplete_signatures(tmp_path: Path, changes: dict[str, str]) -> None:
    settings = strict_settings(tmp_path, {"AKIDA": {"secret_access_key": "s"}})
    headers = botocore_signed("AKIDA", "s") | changes
    with pytest.raises(IncompleteSignatureException):
        verify_signature(make_request(settings, headers), b"{}", settings.access_keys, NOW)


def test_an_rfc_1123_date_header_is_a_request_time(tmp_path: Path) -> None:
    settings = strict_settings(tmp_path, {"AKIDA": {"secret_access_key": "s"}})
    headers = botocore_signed("AKIDA", "s", extra={"Date": "set by the signer"})
    assert "X-Amz-Date" not in headers
    assert headers["Date"] == "Tue, 02 Jan 2024 03:04:05 -0000"
    parsed, _ = verify_signature(make_request(settings, headers), b"{}", settings.access_keys, NOW)
    assert parsed.access_key == "AKIDA"


def test_non_ascii_signatures_are_mismatches_not_crashes(tmp_path: Path) -> None:
    settings = strict_settings(tmp_path, {"AKIDA": {"secret_access_key": "s"}})
    headers = botocore_signed("AKIDA", "s")
    headers["Authorization"] = headers["Authorization"].rsplit("=", 1)[0] + "=\u00e9\u00e9"
    with pytest.raises(errors.InvalidSignatureException):
        verify_signature(make_request(settings, headers), b"{}", settings.access_keys, NOW)


def test_a_declared_payload_hash_is_used_and_checked(tmp_path: Path) -> None:
    settings = strict_settings(tmp_path, {"AKIDA": {"secret_access_key": "s"}})
    unsigned = botocore_signed("AKIDA", "s", extra={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    parsed, _ = verify_signature(make_request(settings, unsigned), b"{}", settings.access_keys, NOW)
    assert parsed.access_key == "AKIDA"
    declared = botocore_signed(
        "AKIDA", "s", extra={"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()}
    )
    verify_signature(make_request(settings, declared), b"{}", settings.access_keys, NOW)
    with pytest.raises(errors.InvalidSignatureException, match="X-Amz-Content-SHA256"):
        verify_signature(make_request(settings, declared), b"{ }", settings.access_keys, NOW)
