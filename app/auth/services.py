"""``--auth strict`` for the embedded AWS services: the gateway's hook in front of moto.

Every request the gateway hands to moto (S3, Kinesis, CloudWatch Logs, CloudWatch, CloudFormation, ...)
is verified first, with the credentials file's keys and msf-local's internal per-account keys (see
:class:`app.credentials.InternalKeys`). A refusal is answered in the protocol the caller speaks:

============  ===========================  ==============================  =========================
failure       S3 (REST XML)                JSON (Kinesis, Logs, CloudWatch)  query XML (CloudFormation)
============  ===========================  ==============================  =========================
no signature  403 AccessDenied             403 MissingAuthenticationToken…   403 MissingAuthenticationToken
unknown key   403 InvalidAccessKeyId       403 UnrecognizedClientException   403 InvalidClientTokenId
forged        403 SignatureDoesNotMatch    403 InvalidSignatureException     403 SignatureDoesNotMatch
time off      403 RequestTimeTooSkewed     403 InvalidSignatureException     403 SignatureDoesNotMatch
============  ===========================  ==============================  =========================

An expired presigned URL and unsigned ``x-amz-*`` headers are S3's 403 AccessDenied (the others': as
forged); a malformed signature is a 400 (AuthorizationHeaderMalformed, IncompleteSignatureException,
IncompleteSignature). The request body is read once here and replayed to moto unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from xml.sax.saxutils import escape

from starlette.types import Message, Receive, Scope, Send

from app.auth.sigv4 import Failure, SignatureError, SignedRequest
from app.auth.verify import verify
from app.credentials import account_for_key
from app.settings import Settings


class Dialect(Enum):
    """The error format a caller understands."""

    S3 = "s3"
    JSON = "json"
    QUERY = "query"


_CODES: dict[Failure, tuple[int, dict[Dialect, str]]] = {
    failure: (status, dict(zip(Dialect, codes, strict=True)))
    for failure, status, *codes in [
        (
            Failure.MISSING,
            403,
            "AccessDenied",
            "MissingAuthenticationTokenException",
            "MissingAuthenticationToken",
        ),
        (
            Failure.UNKNOWN_KEY,
            403,
            "InvalidAccessKeyId",
            "UnrecognizedClientException",
            "InvalidClientTokenId",
        ),
        (
            Failure.MISMATCH,
            403,
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
        ),
        (Failure.UNSIGNED_HEADERS, 403, "AccessDenied", "InvalidSignatureException", "SignatureDoesNotMatch"),
        (Failure.SKEWED, 403, "RequestTimeTooSkewed", "InvalidSignatureException", "SignatureDoesNotMatch"),
        (Failure.EXPIRED, 403, "AccessDenied", "InvalidSignatureException", "SignatureDoesNotMatch"),
        (
            Failure.INCOMPLETE,
            400,
            "AuthorizationHeaderMalformed",
            "IncompleteSignatureException",
            "IncompleteSignature",
        ),
    ]
}
"""Per failure: the HTTP status and each dialect's error code (columns in :class:`Dialect`'s order)."""

_S3_MESSAGES = {
    Failure.MISSING: "Access Denied",
    Failure.UNKNOWN_KEY: "The AWS Access Key Id you provided does not exist in our records.",
    Failure.SKEWED: "The difference between the request time and the current time is too large.",
}


def dialect(request: SignedRequest) -> Dialect:
    """S3 for requests signed for ``s3`` or addressed REST-style; JSON with X-Amz-Target; else query."""
    authorization = request.headers.get("authorization", "")
    credential = authorization or dict(request.query_pairs()).get("X-Amz-Credential", "")
    if "/s3/aws4_request" in credential:
        return Dialect.S3
    if "x-amz-target" in request.headers:
        return Dialect.JSON
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if form or "Action" in dict(request.query_pairs()):
        return Dialect.QUERY
    return Dialect.S3


def refusal(request: SignedRequest, error: SignatureError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the refusal of ``request`` in its caller's own error format."""
    kind = dialect(request)
    status, codes = _CODES[error.failure]
    code = codes[kind]
    request_id = str(uuid.uuid4())
    headers = [(b"x-amzn-requestid", request_id.encode())]
    if kind is Dialect.JSON:
        content_type = request.headers.get("content-type", "application/x-amz-json-1.1")
        body = json.dumps({"__type": code, "message": error.message}).encode()
        headers += [(b"content-type", content_type.encode("latin-1")), (b"x-amzn-errortype", code.encode())]
        if request.headers.get("x-amzn-query-mode") == "true":  # CloudWatch's query-compatible JSON
            query_code = codes[Dialect.QUERY]
            headers.append((b"x-amzn-query-error", f"{query_code};Sender".encode()))
    elif kind is Dialect.QUERY:
        body = (
            f'<ErrorResponse xmlns="https://msf-local/doc/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append((b"content-type", b"text/xml"))
    else:
        message = _S3_MESSAGES.get(error.failure, error.message)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers += [(b"content-type", b"application/xml"), (b"x-amz-request-id", request_id.encode())]
    if request.method == "HEAD":
        body = b""
    return status, [*headers, (b"content-length", str(len(body)).encode())], body


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it on again before anything else."""
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks += message.get("body", b"")
        if not message.get("more_body", False):
            break
    body = bytes(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def admit(
    scope: Scope, receive: Receive, send: Send, settings: Settings, now: Callable[[], datetime] | None = None
) -> tuple[str, Receive] | None:
    """The verified caller's account and the request's ``receive``; None once a refusal has been sent."""
    body, replay = await _read_body(receive)
    request = SignedRequest.from_asgi(scope, body)
    try:
        verified = verify(request, settings.service_key, (now or _utc_now)())
    except SignatureError as error:
        status, headers, content = refusal(request, error)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content, "more_body": False})
        return None
    access_key = verified.authorization.access_key
    return verified.key.account_id or account_for_key(access_key, settings), replay


def _utc_now() -> datetime:
    return datetime.now(UTC)


def unsigned_query_call(scope: Scope) -> bool:
    """An unsigned form-encoded ``POST /``: a query-protocol call (CloudFormation, CloudWatch, STS), not
    kinesisanalyticsv2 (which speaks JSON) — refused as such in strict mode, in query XML."""
    headers = dict(scope.get("headers", ()))
    return (
        scope.get("path") == "/"
        and b"authorization" not in headers
        and headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded")
    )
