"""S3 checkpoint storage (boto3): data objects first, ``_metadata`` created once with a conditional PUT."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stream_runtime.storage.base import (
    S3_SCHEME,
    AlreadyPublishedError,
    CheckpointStorage,
    StorageError,
    is_write_once,
)

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")`` (prefix without slashes at the ends)."""
    if not uri.startswith(S3_SCHEME):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len(S3_SCHEME) :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, prefix.strip("/")


def make_s3_client(env: Mapping[str, str] | None = None) -> Any:
    """A path-style S3 client; endpoint, region and credentials come from ``env`` (default ``os.environ``).

    The endpoint is ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (as boto3 reads them), else AWS.
    """
    source = os.environ if env is None else env
    endpoint = source.get("AWS_ENDPOINT_URL_S3") or source.get("AWS_ENDPOINT_URL") or None
    session = boto3.session.Session(
        aws_access_key_id=source.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=source.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=source.get("AWS_SESSION_TOKEN"),
        region_name=source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1",
    )
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"})
    return session.client("s3", endpoint_url=endpoint, config=config)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3CheckpointStorage(CheckpointStorage):
    """Stores checkpoints under ``s3://bucket/prefix``.

    S3 PUTs are atomic (an object is visible whole or not at all), so ``publish`` is a plain PUT; write-once
    names (``_metadata``) are PUT with ``If-None-Match: *``, so an existing commit record is never replaced.
    Since the writer uploads every data object before ``_metadata``, a crash mid-upload leaves a folder
    without ``_metadata``, which the layout treats as torn and deletes.
    """

    def __init__(self, bucket: str, prefix: str = "", *, client: Any = None, page_size: int = 1000) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client if client is not None else make_s3_client()
        self.page_size = page_size  # keys per LIST page and per DELETE batch (at most 1000)

    @classmethod
    def from_uri(cls, uri: str, env: Mapping[str, str] | None = None) -> S3CheckpointStorage:
        """Storage rooted at an ``s3://bucket/prefix`` URI, with a client configured from ``env``."""
        bucket, prefix = parse_s3_uri(uri)
        return cls(bucket, prefix, client=make_s3_client(env))

    def _key(self, path: str) -> str:
        path = path.strip("/")
        key = path if not self.prefix else (f"{self.prefix}/{path}" if path else self.prefix)
        if ".." in key.split("/"):  # ``../shared/<run>`` from a checkpoint folder (incremental RocksDB state)
            key = posixpath.normpath(key)
        return key

    def _folder(self, prefix: str) -> str:
        key = self._key(prefix)
        return f"{key}/" if key else ""

    def write(self, path: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(path), Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"PUT {self.describe(path)} failed: {exc}") from exc

    def publish(self, path: str, data: bytes) -> None:
        extra = {"IfNoneMatch": "*"} if is_write_once(path) else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(path), Body=data, **extra)
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise AlreadyPublishedError(f"{self.describe(path)} already exists") from exc
            raise StorageError(f"PUT {self.describe(path)} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"PUT {self.describe(path)} failed: {exc}") from exc

    def read(self, path: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(path))
            return bytes(response["Body"].read())
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise FileNotFoundError(self.describe(path)) from exc
            raise StorageError(f"GET {self.describe(path)} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"GET {self.describe(path)} failed: {exc}") from exc

    def exists(self, path: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(path))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            raise StorageError(f"HEAD {self.describe(path)} failed: {exc}") from exc
        return True

    def _pages(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            config = {"PageSize": self.page_size}
            yield from paginator.paginate(Bucket=self.bucket, PaginationConfig=config, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"LIST s3://{self.bucket}/{kwargs.get('Prefix', '')} failed: {exc}") from exc

    def list_dir(self, prefix: str) -> list[str]:
        folder = self._folder(prefix)
        names: set[str] = set()
        for page in self._pages(Prefix=folder, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(folder) :].rstrip("/"))
            for item in page.get("Contents", []):
                names.add(item["Key"][len(folder) :])
        names.discard("")
        return sorted(names)

    def delete_tree(self, prefix: str) -> None:
        folder = self._folder(prefix)
        keys = [item["Key"] for page in self._pages(Prefix=folder) for item in page.get("Contents", [])]
        if prefix.strip("/") and self.exists(prefix):
            keys.append(self._key(prefix))
        for lo in range(0, len(keys), self.page_size):
            batch = [{"Key": key} for key in keys[lo : lo + self.page_size]]
            try:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(f"DELETE under {self.describe(prefix)} failed: {exc}") from exc

    def describe(self, path: str) -> str:
        key = self._key(path)
        return f"{S3_SCHEME}{self.bucket}/{key}" if key else f"{S3_SCHEME}{self.bucket}"

    def child(self, prefix: str) -> S3CheckpointStorage:
        return S3CheckpointStorage(
            self.bucket, self._key(prefix), client=self.client, page_size=self.page_size
        )
