"""Signed streaming uploads (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``): each chunk's signature.

The body is ``aws-chunked``: ``<hex size>;chunk-signature=<signature>\\r\\n<data>\\r\\n`` repeated, ending
with a zero-size chunk, then (for the ``-TRAILER`` variant) trailing headers and
``x-amz-trailer-signature``. Each signature chains from the previous one, starting from the
Authorization header's; the HMAC is botocore's signer's, over AWS's chunk string to sign.
"""

from __future__ import annotations

import hashlib
import hmac

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from app.auth.sigv4 import SIGNATURE_MISMATCH, Failure, SignatureError, SigV4Authorization

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _refuse(detail: str) -> SignatureError:
    return SignatureError(Failure.MISMATCH, f"{SIGNATURE_MISMATCH} ({detail})")


def verify_chunks(
    body: bytes, authorization: SigV4Authorization, signer: SigV4Auth, rebuilt: AWSRequest
) -> None:
    """Check every chunk signature (and the trailer's) of an aws-chunked body; SignatureError if one fails."""
    timestamp = rebuilt.context["timestamp"]
    scope = signer.credential_scope(rebuilt)
    previous, position = authorization.signature, 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise _refuse("truncated chunk header")
        size_text, _, extension = body[position:line_end].decode("latin-1").partition(";")
        name, _, signature = extension.partition("=")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _refuse("malformed chunk size") from None
        if name != "chunk-signature":
            raise _refuse("chunk without chunk-signature")
        data = body[line_end + 2 : line_end + 2 + size]
        if len(data) != size:
            raise _refuse("truncated chunk")
        sha = hashlib.sha256(data).hexdigest()
        string_to_sign = f"AWS4-HMAC-SHA256-PAYLOAD\n{timestamp}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{sha}"
        if not hmac.compare_digest(signer.signature(string_to_sign, rebuilt).encode(), signature.encode()):
            raise _refuse("chunk signature")
        previous, position = signature, line_end + 2 + size
        if size == 0:
            break
        if body[position : position + 2] != b"\r\n":
            raise _refuse("chunk not followed by CRLF")
        position += 2
    _verify_trailer(body[position:], timestamp, scope, previous, signer, rebuilt)


def _verify_trailer(
    rest: bytes, timestamp: str, scope: str, previous: str, signer: SigV4Auth, rebuilt: AWSRequest
) -> None:
    lines = [line for line in rest.decode("latin-1").split("\r\n") if line]
    if not lines:
        return
    trailer_signature = ""
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "x-amz-trailer-signature":
            trailer_signature = value.strip()
        else:
            headers.append(f"{name.strip().lower()}:{value.strip()}\n")
    sha = hashlib.sha256("".join(headers).encode()).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{timestamp}\n{scope}\n{previous}\n{sha}"
    expected = signer.signature(string_to_sign, rebuilt)
    if not hmac.compare_digest(expected.encode(), trailer_signature.encode()):
        raise _refuse("trailer signature")
