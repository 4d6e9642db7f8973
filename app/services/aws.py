"""Outbound AWS clients: the endpoint, account and credentials of the control plane's and jobs' own calls.

With the embedded moto (no ``settings.aws_endpoint``) every call goes to this server's own port, and
the 12-digit account id is the access key, which puts the call in that account exactly as the caller's
own requests are; with an external endpoint the default credential chain applies.
"""

from __future__ import annotations

from typing import Any

from app.settings import Settings


def aws_endpoint_url(settings: Settings) -> str:
    """The endpoint for S3/Kinesis/CloudWatch Logs: the configured one, or this server (embedded moto)."""
    if settings.aws_endpoint:
        return settings.aws_endpoint
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


EMBEDDED_SECRET_KEY = "msf-local"
"""Secret used with the embedded moto, which does not verify signatures."""


def aws_client(settings: Settings, service: str, account_id: str, region: str) -> Any:
    """A boto3 client acting in ``account_id`` for the control plane's own calls (e.g. fetching code).

    With the embedded moto, the 12-digit account id is the access key, which puts the call in that
    account exactly as the caller's own requests are; with an external endpoint the default
    credential chain applies.
    """
    import boto3
    from botocore.config import Config

    credentials: dict[str, str] = {}
    if not settings.aws_endpoint:
        credentials = {"aws_access_key_id": account_id, "aws_secret_access_key": EMBEDDED_SECRET_KEY}
    return boto3.client(
        service,
        endpoint_url=aws_endpoint_url(settings),
        region_name=region,
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60),
        **credentials,
    )


def job_aws_environment(settings: Settings, account_id: str, region: str) -> dict[str, str]:
    """Environment for a job's own AWS clients (boto3 reads ``AWS_ENDPOINT_URL``): same endpoint, account."""
    environment = {
        "AWS_ENDPOINT_URL": aws_endpoint_url(settings),
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
    if not settings.aws_endpoint:
        environment |= {"AWS_ACCESS_KEY_ID": account_id, "AWS_SECRET_ACCESS_KEY": EMBEDDED_SECRET_KEY}
    return environment
