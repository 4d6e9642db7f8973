"""Where application code comes from: inline ``ZipFileContent`` or an S3 object, and its digest.

``CodeMD5`` is modelled by AWS as a string of exactly 128 characters; an MD5 hex digest has 32, so
msf-local reports the SHA-512 hex digest of the code (128 hex characters), which keeps the model's
constraint and still changes whenever the code does. ``CodeSize`` is the code's size in bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from api_models.errors import CodeValidationException, InvalidArgumentException
from app.code.archive import MAX_CODE_BYTES, CodeData, code_hexdigest, code_size

_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])$")


@dataclass(frozen=True)
class CodeDigest:
    """``CodeMD5`` and ``CodeSize`` as ``CodeContentDescription`` reports them."""

    code_md5: str
    code_size: int


def digest(data: CodeData) -> CodeDigest:
    """The digest AWS-style clients see for this code."""
    return CodeDigest(code_md5=code_hexdigest(data, "sha512"), code_size=code_size(data))


@dataclass(frozen=True)
class S3CodeLocation:
    """``S3ContentLocation``: the bucket ARN, the object key and an optional object version."""

    bucket_arn: str
    file_key: str
    object_version: str | None = None

    @property
    def bucket(self) -> str:
        """The bucket name from ``arn:aws:s3:::<bucket>``."""
        match = _BUCKET_ARN.match(self.bucket_arn)
        if match is None:
            raise InvalidArgumentException(f"BucketARN {self.bucket_arn} is not a valid S3 bucket ARN")
        return match.group("bucket")

    def describe(self) -> str:
        """``s3://bucket/key`` (with ``?versionId=`` when pinned), for messages."""
        suffix = f"?versionId={self.object_version}" if self.object_version else ""
        return f"s3://{self.bucket}/{self.file_key}{suffix}"


_CHUNK = 1024 * 1024
_MISSING = {"NoSuchBucket", "NoSuchKey", "NoSuchVersion", "404", "NotFound", "InvalidArgument"}


def fetch_s3_code(
    client: Any, location: S3CodeLocation, target: Path, max_bytes: int = MAX_CODE_BYTES
) -> None:
    """Download the code object with a boto3 S3 client into the file ``target`` (never whole in memory).

    A missing, unreadable or oversized object is ``CodeValidationException``, as AWS answers
    Create/UpdateApplication for code it cannot fetch; a malformed bucket ARN is ``InvalidArgumentException``.
    """
    bucket = location.bucket
    request: dict[str, str] = {"Bucket": bucket, "Key": location.file_key}
    if location.object_version:
        request["VersionId"] = location.object_version
    try:
        response = client.get_object(**request)
        size = int(response.get("ContentLength", 0))
        if size > max_bytes:
            response["Body"].close()
            raise CodeValidationException(
                f"The application code {location.describe()} is {size} bytes, "
                f"more than the limit of {max_bytes}"
            )
        written = 0
        with open(target, "wb") as sink:
            for chunk in response["Body"].iter_chunks(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    break
                sink.write(chunk)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise CodeValidationException(
                f"The application code {location.describe()} does not exist or cannot be read ({code})"
            ) from None
        raise CodeValidationException(
            f"The application code {location.describe()} could not be fetched ({code or exc})"
        ) from None
    except BotoCoreError as exc:
        raise CodeValidationException(
            f"The application code {location.describe()} could not be fetched ({exc})"
        ) from None
    if written > max_bytes:
        raise CodeValidationException(
            f"The application code {location.describe()} is more than the limit of {max_bytes} bytes"
        )
