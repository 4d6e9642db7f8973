"""A request's whole signature check: S3's version-2 presigned URLs or SigV4 (header or presigned URL),
then the payload the signature vouches for (its SHA-256, or each chunk of a signed streaming upload)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from app.auth.chunks import verify_chunks
from app.auth.presigned_v2 import is_presigned_v2, verify_presigned_v2
from app.auth.sigv4 import (
    SIGNED_STREAMING_PAYLOADS,
    UNSIGNED_PAYLOADS,
    Failure,
    KeyLookup,
    SignatureError,
    SignedRequest,
    Verified,
    rebuild,
    signer_for,
    verify_sigv4,
)


def verify(request: SignedRequest, lookup: KeyLookup, now: datetime) -> Verified:
    """Check the request's signature and payload; SignatureError if either fails."""
    if is_presigned_v2(request):
        return verify_presigned_v2(request, lookup, now)
    verified, timestamp = verify_sigv4(request, lookup, now)
    _check_payload(request, verified, timestamp)
    return verified


def _check_payload(request: SignedRequest, verified: Verified, timestamp: str) -> None:
    """A declared X-Amz-Content-SHA256 must be the body's hash (the signature covers only the header)."""
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None or declared in UNSIGNED_PAYLOADS:
        return
    authorization = verified.authorization
    if declared in SIGNED_STREAMING_PAYLOADS:
        signer = signer_for(authorization, verified.key.secret_access_key, None)
        verify_chunks(request.body, authorization, signer, rebuild(request, authorization, timestamp))
        return
    if not hmac.compare_digest(declared.lower().encode(), hashlib.sha256(request.body).hexdigest().encode()):
        raise SignatureError(
            Failure.MISMATCH,
            "The provided X-Amz-Content-SHA256 header does not match the SHA-256 of the request body.",
        )
