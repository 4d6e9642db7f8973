"""Outbound AWS clients: the endpoint, account and credentials of the control plane's and jobs' own calls.

With the embedded moto (no ``settings.aws_endpoint``) every call goes to this server's own port, and
the 12-digit account id is the access key, which puts the call in that account exactly as the caller's
own requests are; under ``--auth strict`` the key is msf-local's internal key for that account
(``MSFLOCAL<account id>``, see app/credentials.py), which the embedded services verify like any other.
With an external endpoint the default credential chain applies.
"""

from __future__ import annotations

import os
from typing import Any

from app.settings import AuthMode, Settings


def aws_endpoint_url(settings: Settings) -> str:
    """The endpoint for S3/Kinesis/CloudWatch Logs: the configured one, or this server (embedded moto)."""
    if settings.aws_endpoint:
        return settings.aws_endpoint
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


EMBEDDED_SECRET_KEY = "msf-local"
"""Secret used with the embedded moto in accept mode, where signatures are not verified."""
EXTERNAL_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
"""What a job gets of msf-local's environment for an external ``--aws-endpoint`` (and nothing else)."""


def embedded_credentials(settings: Settings, account_id: str) -> tuple[str, str]:
    """(access key id, secret) acting in ``account_id`` on the embedded moto, in either auth mode."""
    if settings.auth is AuthMode.STRICT:
        return settings.internal_keys.for_account(account_id)
    return account_id, EMBEDDED_SECRET_KEY


def aws_client(settings: Settings, service: str, account_id: str, region: str) -> Any:
    """A boto3 client acting in ``account_id`` for the control plane's own calls (e.g. fetching code).

    With the embedded moto, :func:`embedded_credentials` put the call in that account exactly as the
    caller's own requests are; with an external endpoint the default credential chain applies.
    """
    import boto3
    from botocore.config import Config

    credentials: dict[str, str] = {}
    if not settings.aws_endpoint:
        key_id, secret = embedded_credentials(settings, account_id)
        credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
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
        key_id, secret = embedded_credentials(settings, account_id)
        environment |= {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    else:  # the external endpoint's keys, if msf-local has them in its environment (jobs get no other)
        environment |= {key: os.environ[key] for key in EXTERNAL_CREDENTIALS if key in os.environ}
    return environment
