"""SigV4 verification; the expected signature is computed by botocore's own signer.

The incoming request is rebuilt as a botocore ``AWSRequest`` (method, the path as sent, the query
parameters, the headers the client signed, the body) and run through the canonical request, string to
sign and signature steps of ``SigV4Auth`` (``S3SigV4Auth`` for S3, the ``QueryAuth`` variants for
presigned URLs) with the request's own timestamp, service and region, so both sides sign the same way.

Beyond the signature itself: the signing time must be within 15 minutes of now (a presigned URL: not
past its ``X-Amz-Expires``), ``host``, the request-time header and every ``x-amz-*`` header sent must
be signed, and a declared ``X-Amz-Content-SHA256`` must be the body's hash (or one of the unsigned or
streaming payload markers; streamed chunks' signatures are checked too, see :mod:`app.auth.chunks`).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.credentials import AccessKey

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRY = 604800  # seconds: seven days, as S3
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
UNSIGNED_PAYLOADS = frozenset({UNSIGNED_PAYLOAD, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
SIGNED_STREAMING_PAYLOADS = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)
_REGION = re.compile(r"[a-z0-9-]{1,64}")  # a region becomes part of ARNs: no ':' or other separators
_SIGNATURE = "X-Amz-Signature"


class Failure(StrEnum):
    """Why a request is refused; each service words and codes it in its own way."""

    MISSING = "missing"  # no Authorization header, no presigned query
    UNKNOWN_KEY = "unknown-key"
    MISMATCH = "mismatch"  # the signature (or the payload hash it covers) does not match
    UNSIGNED_HEADERS = "unsigned-headers"  # an x-amz-* header (or the request time) is not signed
    SKEWED = "skewed"  # signed more than 15 minutes before or after now
    EXPIRED = "expired"  # a presigned URL past its expiry
    INCOMPLETE = "incomplete"  # the Authorization header or presigned query is malformed


class SignatureError(Exception):
    """A request that fails verification: the ``failure`` kind and the message to answer with."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


@dataclass(frozen=True)
class SigV4Authorization:
    """The parts of a SigV4 signature, from the Authorization header or a presigned URL's query."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: frozenset[str]
    signature: str


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as it arrived: the path and query as sent, lower-case header names."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def from_asgi(cls, scope: Mapping[str, Any], body: bytes) -> SignedRequest:
        """From an ASGI HTTP scope (repeated headers joined with commas, as SigV4 canonicalizes them)."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        path = scope.get("raw_path") or str(scope.get("path", "/")).encode()
        return cls(
            method=str(scope["method"]),
            path=path.decode("latin-1").partition("?")[0],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query parameters, percent-decoded, in order (``?acl`` is ``("acl", "")``)."""
        pairs = []
        for item in self.query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((unquote(name), unquote(value)))
        return pairs

    @property
    def presigned(self) -> bool:
        """Whether the signature is in the query (a presigned URL) rather than a header."""
        return "authorization" not in self.headers and any(
            name in (_SIGNATURE, "X-Amz-Credential") for name, _ in self.query_pairs()
        )


@dataclass(frozen=True)
class Verified:
    """A request whose signature holds: how it was signed and with which key."""

    authorization: SigV4Authorization
    key: AccessKey


KeyLookup = Callable[[str], AccessKey | None]


def parse_authorization(header: str) -> SigV4Authorization:
    """Split ``AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError(Failure.INCOMPLETE, f"Unsupported authorization algorithm '{algorithm[:64]}'")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if equals:
            parts[name] = value
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parts.get(name)]
    if missing:
        raise SignatureError(
            Failure.INCOMPLETE,
            "Authorization header requires " + ", ".join(f"'{name}'" for name in missing) + " parameter(s)",
        )
    return _authorization(parts["Credential"], parts["SignedHeaders"], parts["Signature"])


def _authorization(credential: str, signed_headers: str, signature: str) -> SigV4Authorization:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise SignatureError(
            Failure.INCOMPLETE,
            "Credential must have the form <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request",
        )
    access_key, date, region, service, _ = scope
    if not _REGION.fullmatch(region):
        raise SignatureError(
            Failure.INCOMPLETE, f"Credential should be scoped to a valid region, not '{region[:64]}'."
        )
    return SigV4Authorization(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=frozenset(signed_headers.lower().split(";")),
        signature=signature,
    )


def verify_sigv4(request: SignedRequest, lookup: KeyLookup, now: datetime) -> tuple[Verified, str]:
    """Check the request's SigV4 signature (header or presigned URL), not yet its payload; SignatureError if
    it fails. Returns the verified signature and the signing time (``20240101T120000Z``)."""
    if "authorization" in request.headers:
        authorization = parse_authorization(request.headers["authorization"])
        timestamp, expires = _request_timestamp(request.headers), None
    elif request.presigned:
        authorization, timestamp, expires = _presigned(dict(request.query_pairs()))
    else:
        raise SignatureError(Failure.MISSING, "Missing Authentication Token")
    key = lookup(authorization.access_key)
    if key is None:
        raise SignatureError(Failure.UNKNOWN_KEY, "The security token included in the request is invalid.")
    _check_time(timestamp, expires, now)
    if authorization.date != timestamp[:8]:
        raise SignatureError(
            Failure.MISMATCH,
            f"Date in Credential scope does not match YYYYMMDD from the request time: "
            f"'{authorization.date}' != '{timestamp[:8]}', from '{timestamp}'.",
        )
    _check_signed_headers(request, authorization)
    expected = expected_signature(request, authorization, key.secret_access_key, timestamp, expires)
    if not hmac.compare_digest(expected.encode(), authorization.signature.encode()):
        raise SignatureError(Failure.MISMATCH, SIGNATURE_MISMATCH)
    return Verified(authorization, key), timestamp


def signer_for(authorization: SigV4Authorization, secret: str, expires: int | None) -> SigV4Auth:
    """botocore's signer for this signature's scope (its query-string form when ``expires`` is given)."""
    credentials = Credentials(authorization.access_key, secret)
    region, service = authorization.region, authorization.service
    s3 = service == "s3"
    if expires is None:
        return (S3SigV4Auth if s3 else SigV4Auth)(credentials, service, region)
    return (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(credentials, service, region, expires=expires)


def expected_signature(
    request: SignedRequest,
    authorization: SigV4Authorization,
    secret: str,
    timestamp: str,
    expires: int | None = None,
) -> str:
    """The signature botocore's SigV4 signer makes for this request with ``secret``."""
    rebuilt = rebuild(request, authorization, timestamp)
    signer = signer_for(authorization, secret, expires)
    canonical_request = signer.canonical_request(rebuilt)
    signature: str = signer.signature(signer.string_to_sign(rebuilt, canonical_request), rebuilt)
    return signature


def rebuild(request: SignedRequest, authorization: SigV4Authorization, timestamp: str) -> AWSRequest:
    """The request as botocore signs it: path as sent, decoded query parameters, signed headers only."""
    host = request.headers.get("host", "localhost")
    rebuilt = AWSRequest(method=request.method, url=f"http://{host}{request.path}", data=request.body)
    rebuilt.params = [(name, value) for name, value in request.query_pairs() if name != _SIGNATURE]
    for name, value in request.headers.items():
        if name in authorization.signed_headers:
            rebuilt.headers[name] = value
    rebuilt.context["timestamp"] = timestamp
    return rebuilt


def _presigned(query: Mapping[str, str]) -> tuple[SigV4Authorization, str, int]:
    """The signature, signing time and expiry (seconds) of a presigned URL."""
    missing = [
        name
        for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", _SIGNATURE)
        if not query.get(name)
    ]
    if missing:
        raise SignatureError(
            Failure.INCOMPLETE, "Query-string authentication requires " + ", ".join(missing) + " parameter(s)"
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise SignatureError(Failure.INCOMPLETE, "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'")
    expires_text = query.get("X-Amz-Expires", "3600")
    if not expires_text.isdigit() or not 0 < int(expires_text) <= MAX_PRESIGNED_EXPIRY:
        raise SignatureError(
            Failure.INCOMPLETE,
            f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRY} seconds, not '{expires_text[:20]}'",
        )
    timestamp = _amz_date(query["X-Amz-Date"])
    authorization = _authorization(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query[_SIGNATURE])
    return authorization, timestamp, int(expires_text)


def _amz_date(value: str) -> str:
    try:
        if len(value) != len("20240101T120000Z"):
            raise ValueError(value)
        datetime.strptime(value, AMZ_DATE_FORMAT)
    except ValueError:
        raise SignatureError(
            Failure.INCOMPLETE,
            "The request time must be an ISO-8601 basic-format X-Amz-Date (yyyyMMdd'T'HHmmss'Z') "
            "or an RFC 1123 Date",
        ) from None
    return value


def _request_timestamp(headers: Mapping[str, str]) -> str:
    """The signing time in SigV4 form (``20240101T120000Z``), from X-Amz-Date or else Date."""
    amz_date = headers.get("x-amz-date")
    if amz_date is not None:
        return _amz_date(amz_date)
    http_date = headers.get("date")
    if http_date is None:
        raise SignatureError(
            Failure.INCOMPLETE,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    try:
        moment = parsedate_to_datetime(http_date)  # zone "-0000" comes back without tzinfo: UTC
    except (ValueError, TypeError):
        return _amz_date(http_date)  # not a date either way: the same refusal
    moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment.strftime(AMZ_DATE_FORMAT)


def _check_time(timestamp: str, expires: int | None, now: datetime) -> None:
    signed_at = datetime.strptime(timestamp, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    now_text = now.strftime(AMZ_DATE_FORMAT)
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise SignatureError(
            Failure.SKEWED,
            f"Signature not yet current: {timestamp} is still later than {latest} ({now_text} + 15 min.)",
        )
    if expires is not None:
        if signed_at + timedelta(seconds=expires) < now:
            raise SignatureError(Failure.EXPIRED, "Request has expired")
        return
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise SignatureError(
            Failure.SKEWED,
            f"Signature expired: {timestamp} is now earlier than {earliest} ({now_text} - 15 min.)",
        )


def _check_signed_headers(request: SignedRequest, authorization: SigV4Authorization) -> None:
    """``host``, the request-time header and every ``x-amz-*`` header sent must be signed."""
    if "host" not in authorization.signed_headers:
        raise SignatureError(Failure.INCOMPLETE, "'Host' must be a signed header in the AWS Authorization.")
    required = {name for name in request.headers if name.startswith("x-amz-")}
    if not request.presigned and "x-amz-date" not in request.headers:
        required.add("date")
    unsigned = sorted(required - authorization.signed_headers)
    if unsigned:
        raise SignatureError(
            Failure.UNSIGNED_HEADERS,
            "There were headers present in the request which were not signed: " + ", ".join(unsigned),
        )
