"""Helpers for the control-plane API tests: create applications and assert AWS errors."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/msf"
LOG_STREAM = "arn:aws:logs:us-east-1:123456789012:log-group:msf:log-stream:{name}"


def log_stream(name: str) -> str:
    return LOG_STREAM.format(name=name)


def create_flink(client: Any, name: str, **extra: Any) -> dict[str, Any]:
    """Create a FLINK-1_20 application and return its ApplicationDetail."""
    response = client.create_application(
        ApplicationName=name, RuntimeEnvironment="FLINK-1_20", ServiceExecutionRole=ROLE, **extra
    )
    detail: dict[str, Any] = response["ApplicationDetail"]
    return detail


def create_sql(client: Any, name: str, **extra: Any) -> dict[str, Any]:
    """Create a SQL-1_0 application and return its ApplicationDetail."""
    response = client.create_application(
        ApplicationName=name, RuntimeEnvironment="SQL-1_0", ServiceExecutionRole=ROLE, **extra
    )
    detail: dict[str, Any] = response["ApplicationDetail"]
    return detail


def describe(client: Any, name: str) -> dict[str, Any]:
    detail: dict[str, Any] = client.describe_application(ApplicationName=name)["ApplicationDetail"]
    return detail


def flink_config(detail: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = detail["ApplicationConfigurationDescription"][
        "FlinkApplicationConfigurationDescription"
    ]
    return block


def python_zip(files: dict[str, str] | None = None) -> bytes:
    """A small code archive with a Python entry file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"main.py": "print('hello')\n"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


@contextmanager
def aws_error(code: str, *message_parts: str) -> Iterator[pytest.ExceptionInfo[ClientError]]:
    """Expect a ClientError with ``code`` whose message contains every one of ``message_parts``."""
    with pytest.raises(ClientError) as caught:
        yield caught
    error = caught.value.response["Error"]
    assert error["Code"] == code, error
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, caught.value.response
    for part in message_parts:
        assert part in error["Message"], error
