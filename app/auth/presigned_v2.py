"""S3 presigned URLs in signature version 2 (``?AWSAccessKeyId=...&Expires=...&Signature=...``).

boto3 still makes these by default for ``generate_presigned_url`` on S3 (unless the client is
configured with ``signature_version="s3v4"``), so strict mode verifies them with botocore's own
``HmacV1QueryAuth`` signer: the method, Content-MD5, Content-Type, the expiry, every ``x-amz-*`` header
and the path with its sub-resources are signed. The URL is good until ``Expires`` (epoch seconds).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from urllib.parse import urlsplit

from botocore.auth import HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.auth.sigv4 import (
    SIGNATURE_MISMATCH,
    Failure,
    KeyLookup,
    SignatureError,
    SignedRequest,
    SigV4Authorization,
    Verified,
)

QUERY = ("AWSAccessKeyId", "Expires", "Signature")


def is_presigned_v2(request: SignedRequest) -> bool:
    """Whether the request is authenticated by a version-2 presigned URL."""
    names = {name for name, _ in request.query_pairs()}
    return "authorization" not in request.headers and "AWSAccessKeyId" in names and "Signature" in names


class _SignedUntil(HmacV1QueryAuth):
    """botocore's query signer with the URL's own expiry in place of now + expires."""

    def __init__(self, credentials: Credentials, expires: str) -> None:
        super().__init__(credentials)
        self._expires_at = expires

    def _get_date(self) -> str:
        return self._expires_at


def verify_presigned_v2(request: SignedRequest, lookup: KeyLookup, now: datetime) -> Verified:
    """Check a version-2 presigned URL; SignatureError if its key, expiry or signature fails."""
    query = dict(request.query_pairs())
    if not query.get("Expires", "").isdigit():
        raise SignatureError(Failure.INCOMPLETE, "Query-string authentication requires the Expires parameter")
    key = lookup(query["AWSAccessKeyId"])
    if key is None:
        raise SignatureError(Failure.UNKNOWN_KEY, "The security token included in the request is invalid.")
    if int(query["Expires"]) < now.timestamp():
        raise SignatureError(Failure.EXPIRED, "Request has expired")
    headers = AWSRequest(headers=dict(request.headers)).headers
    split = urlsplit(f"http://host{request.path}?{request.query}")
    signer = _SignedUntil(Credentials(query["AWSAccessKeyId"], key.secret_access_key), query["Expires"])
    expected: str = signer.get_signature(request.method, split, headers)
    if not hmac.compare_digest(expected.encode(), query["Signature"].encode()):
        raise SignatureError(Failure.MISMATCH, SIGNATURE_MISMATCH)
    authorization = SigV4Authorization(
        access_key=query["AWSAccessKeyId"],
        date=now.strftime("%Y%m%d"),
        region="us-east-1",
        service="s3",
        signed_headers=frozenset(),
        signature=query["Signature"],
    )
    return Verified(authorization, key)
