"""Signed streaming uploads against AWS's published examples (S3 API reference, "sigv4-streaming" and
"sigv4-streaming-trailers"): 66,560 bytes of ``a`` in chunks of 65,536, 1,024 and 0 bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.auth.chunks import verify_chunks
from app.auth.sigv4 import Failure, SignatureError, SigV4Authorization
from app.credentials import INTERNAL_SECRET_FILE, InternalKeys

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGNED = (
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
TRAILER = (
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
TRAILER_LINES = (
    b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
    b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
)


def body(signatures: tuple[str, ...], trailer: bytes = b"") -> bytes:
    chunks = [
        f"10000;chunk-signature={signatures[1]}\r\n".encode() + b"a" * 65536 + b"\r\n",
        f"400;chunk-signature={signatures[2]}\r\n".encode() + b"a" * 1024 + b"\r\n",
        f"0;chunk-signature={signatures[3]}\r\n".encode(),
    ]
    return b"".join(chunks) + trailer + b"\r\n"


def check(payload: bytes, seed: str) -> None:
    authorization = SigV4Authorization(
        "AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3", frozenset(), seed
    )
    rebuilt = AWSRequest(method="PUT", url="http://s3.amazonaws.com/examplebucket/chunkObject.txt")
    rebuilt.context["timestamp"] = "20130524T000000Z"
    verify_chunks(
        payload,
        authorization,
        S3SigV4Auth(Credentials("AKIAIOSFODNN7EXAMPLE", SECRET), "s3", "us-east-1"),
        rebuilt,
    )


@pytest.mark.parametrize(("signatures", "trailer"), [(SIGNED, b""), (TRAILER, TRAILER_LINES)])
def test_the_documented_uploads_verify_and_any_change_is_refused(
    signatures: tuple[str, ...], trailer: bytes
) -> None:
    payload = body(signatures, trailer)
    check(payload, signatures[0])
    tampered = [
        payload.replace(b"a" * 1024 + b"\r\n", b"a" * 1023 + b"b\r\n"),  # one byte of the second chunk
        payload.replace(b"\r\n0;", b"\r\n").replace(signatures[3].encode(), b""),  # the final chunk dropped
    ]
    if trailer:
        tampered.append(payload.replace(b"sOO8/Q==", b"AAAAAA=="))
    for changed in tampered:
        with pytest.raises(SignatureError) as refused:
            check(changed, signatures[0])
        assert refused.value.failure is Failure.MISMATCH
    with pytest.raises(SignatureError):
        check(payload, "0" * 64)  # another seed: every chunk signature chains from it


def test_internal_keys_are_stable_per_data_directory_and_private(tmp_path: Path) -> None:
    first, again = InternalKeys(tmp_path), InternalKeys(tmp_path)
    key_id, secret = first.for_account("111122223333")
    assert key_id == "MSFLOCAL111122223333"
    assert again.for_account("111122223333") == (key_id, secret)
    assert (tmp_path / INTERNAL_SECRET_FILE).stat().st_mode & 0o777 == 0o600
    found = again.get(key_id)
    assert found is not None and (found.account_id, found.secret_access_key) == ("111122223333", secret)
    assert again.get("MSFLOCAL12") is None and again.get("AKIDEXAMPLE") is None
    assert InternalKeys(tmp_path / "other").for_account("111122223333")[1] != secret
