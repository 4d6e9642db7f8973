"""The AWS CLI (awscli, a dev dependency) against a live server: list-applications and create-application."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.api.app_helpers import ROLE
from tests.conftest import LiveServer

AWS = Path(sys.executable).parent / "aws"


def aws(live_server: LiveServer, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_PAGER": "",
    }
    command = [
        str(AWS),
        "kinesisanalyticsv2",
        *arguments,
        "--endpoint-url",
        live_server.url,
        "--output",
        "json",
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_create_and_list(live_server: LiveServer, tmp_path: Path) -> None:
    empty = aws(live_server, tmp_path, "list-applications")
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == {"ApplicationSummaries": []}

    created = aws(
        live_server,
        tmp_path,
        "create-application",
        "--application-name",
        "cli-app",
        "--runtime-environment",
        "FLINK-1_20",
        "--service-execution-role",
        ROLE,
    )
    assert created.returncode == 0, created.stderr
    detail: dict[str, Any] = json.loads(created.stdout)["ApplicationDetail"]
    assert detail["ApplicationName"] == "cli-app"
    assert detail["ApplicationStatus"] == "READY"
    assert detail["ApplicationVersionId"] == 1
    assert detail["CreateTimestamp"] == int(detail["CreateTimestamp"])  # epoch seconds, whole, as AWS prints

    listed = aws(live_server, tmp_path, "list-applications")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["ApplicationSummaries"] == [
        {
            "ApplicationName": "cli-app",
            "ApplicationARN": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/cli-app",
            "ApplicationStatus": "READY",
            "ApplicationVersionId": 1,
            "RuntimeEnvironment": "FLINK-1_20",
            "ApplicationMode": "STREAMING",
        }
    ]


def test_cli_reports_aws_errors(live_server: LiveServer, tmp_path: Path) -> None:
    missing = aws(live_server, tmp_path, "describe-application", "--application-name", "ghost")
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert "Application ghost is not found" in missing.stderr
