"""SigV4 verification of kinesisanalyticsv2 requests for ``--auth strict`` (the checks: app/auth/sigv4.py).

This module maps a failed check to the API's own modeled errors (``MissingAuthenticationTokenException``,
``UnrecognizedClientException``, ``InvalidSignatureException``, ``IncompleteSignatureException``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from starlette.requests import Request

from api_models import errors
from app.auth import sigv4
from app.auth.sigv4 import SIGNATURE_MISMATCH, Failure, SignatureError, SigV4Authorization
from app.auth.verify import verify
from app.credentials import AccessKey

__all__ = ["SIGNATURE_MISMATCH", "UNKNOWN_KEY", "parse_authorization", "verify_signature"]

UNKNOWN_KEY = "The security token included in the request is invalid."


class IncompleteSignatureException(errors.AwsError):
    """The Authorization header lacks a part SigV4 needs, or a part is malformed."""

    code = "IncompleteSignatureException"
    status_code = 400


def _api_error(error: SignatureError) -> errors.AwsError:
    if error.failure is Failure.MISSING:
        return errors.MissingAuthenticationTokenException(error.message)
    if error.failure is Failure.UNKNOWN_KEY:
        return errors.UnrecognizedClientException(error.message)
    if error.failure is Failure.INCOMPLETE:
        return IncompleteSignatureException(error.message)
    return errors.InvalidSignatureException(error.message)


def parse_authorization(header: str) -> SigV4Authorization:
    """Split ``AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=...``."""
    try:
        return sigv4.parse_authorization(header)
    except SignatureError as error:
        raise _api_error(error) from None


def verify_signature(
    request: Request, body: bytes, access_keys: Mapping[str, AccessKey], now: datetime
) -> tuple[SigV4Authorization, AccessKey]:
    """Check the request's SigV4 signature; returns the parsed header and the key it was made with."""
    try:
        verified = verify(sigv4.SignedRequest.from_asgi(request.scope, body), access_keys.get, now)
    except SignatureError as error:
        raise _api_error(error) from None
    return verified.authorization, verified.key
