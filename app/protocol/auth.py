"""SigV4 verification for ``--auth strict``; the expected signature is computed by botocore's own signer.

The incoming request is rebuilt as a botocore ``AWSRequest`` (method, URL, the headers the client
signed, body) and run through ``SigV4Auth``'s canonical request, string to sign and signature steps with
the request's own timestamp, service and region, so both sides sign exactly the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.requests import Request

from api_models import errors
from app.credentials import AccessKey

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=15)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_REGION = re.compile(r"[a-z0-9-]{1,64}")  # a region becomes part of ARNs: no ':' or other separators

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)
UNKNOWN_KEY = "The security token included in the request is invalid."


class IncompleteSignatureException(errors.AwsError):
    """The Authorization header lacks a part SigV4 needs, or a part is malformed."""

    code = "IncompleteSignatureException"
    status_code = 400


@dataclass(frozen=True)
class SigV4Authorization:
    """The parts of a SigV4 ``Authorization`` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: frozenset[str]
    signature: str


def parse_authorization(header: str) -> SigV4Authorization:
    """Split ``AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported authorization algorithm '{algorithm[:64]}'")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if equals:
            parts[name] = value
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parts.get(name)]
    if missing:
        raise IncompleteSignatureException(
            "Authorization header requires " + ", ".join(f"'{name}'" for name in missing) + " parameter(s)"
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise IncompleteSignatureException(
            "Credential must have the form <access key id>/<yyyyMMdd>/<region>/<service>/aws4_request"
        )
    access_key, date, region, service, _ = scope
    if not _REGION.fullmatch(region):
        raise IncompleteSignatureException(
            f"Credential should be scoped to a valid region, not '{region[:64]}'."
        )
    return SigV4Authorization(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=frozenset(parts["SignedHeaders"].lower().split(";")),
        signature=parts["Signature"],
    )


def verify_signature(
    request: Request, body: bytes, access_keys: Mapping[str, AccessKey], now: datetime
) -> tuple[SigV4Authorization, AccessKey]:
    """Check the request's SigV4 signature; returns the parsed header and the key it was made with."""
    header = request.headers.get("authorization")
    if not header:
        raise errors.MissingAuthenticationTokenException("Missing Authentication Token")
    authorization = parse_authorization(header)
    key = access_keys.get(authorization.access_key)
    if key is None:
        raise errors.UnrecognizedClientException(UNKNOWN_KEY)
    timestamp = _request_timestamp(request)
    _check_fresh(timestamp, now)
    if authorization.date != timestamp[:8]:
        raise errors.InvalidSignatureException(
            f"Date in Credential scope does not match YYYYMMDD from the request time: "
            f"'{authorization.date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    if "host" not in authorization.signed_headers:
        raise IncompleteSignatureException("'Host' must be a signed header in the AWS Authorization.")
    _check_payload_hash(request, body)
    expected = expected_signature(request, body, authorization, key.secret_access_key, timestamp)
    if not hmac.compare_digest(expected.encode(), authorization.signature.encode()):
        raise errors.InvalidSignatureException(SIGNATURE_MISMATCH)
    return authorization, key


def expected_signature(
    request: Request, body: bytes, authorization: SigV4Authorization, secret: str, timestamp: str
) -> str:
    """The signature botocore's SigV4 signer makes for this request with ``secret``."""
    rebuilt = AWSRequest(method=request.method, url=str(request.url), data=body)
    for name, value in request.headers.items():
        if name in authorization.signed_headers:
            rebuilt.headers[name] = value
    rebuilt.context["timestamp"] = timestamp
    signer = SigV4Auth(
        Credentials(authorization.access_key, secret), authorization.service, authorization.region
    )
    canonical_request = signer.canonical_request(rebuilt)
    signature: str = signer.signature(signer.string_to_sign(rebuilt, canonical_request), rebuilt)
    return signature


def _request_timestamp(request: Request) -> str:
    """The signing time in SigV4 form (``20240101T120000Z``), from X-Amz-Date or else Date."""
    amz_date = request.headers.get("x-amz-date")
    try:
        if amz_date is not None:
            if len(amz_date) != len("20240101T120000Z"):
                raise ValueError(amz_date)
            datetime.strptime(amz_date, AMZ_DATE_FORMAT)
            return amz_date
        http_date = request.headers.get("date")
        if http_date is not None:
            moment = parsedate_to_datetime(http_date)  # zone "-0000" comes back without tzinfo: UTC
            moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
            return moment.strftime(AMZ_DATE_FORMAT)
    except (ValueError, TypeError):
        raise IncompleteSignatureException(
            "The request time must be an ISO-8601 basic-format X-Amz-Date (yyyyMMdd'T'HHmmss'Z') "
            "or an RFC 1123 Date"
        ) from None
    raise IncompleteSignatureException(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def _check_fresh(timestamp: str, now: datetime) -> None:
    signed_at = datetime.strptime(timestamp, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    now_text = now.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise errors.InvalidSignatureException(
            f"Signature expired: {timestamp} is now earlier than {earliest} ({now_text} - 15 min.)"
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise errors.InvalidSignatureException(
            f"Signature not yet current: {timestamp} is still later than {latest} ({now_text} + 15 min.)"
        )


def _check_payload_hash(request: Request, body: bytes) -> None:
    """A declared X-Amz-Content-SHA256 must be the body's hash (the signature covers only the header)."""
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None or declared == UNSIGNED_PAYLOAD:
        return
    if not hmac.compare_digest(declared.lower().encode(), hashlib.sha256(body).hexdigest().encode()):
        raise errors.InvalidSignatureException(
            "The provided X-Amz-Content-SHA256 header does not match the SHA-256 of the request body."
        )
