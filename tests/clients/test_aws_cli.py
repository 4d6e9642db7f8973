"""``aws kinesisanalyticsv2`` runs an application's life against ``msf-local serve``, as the README shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clients.conftest import ServeProcess

AWS = Path(sys.executable).parent / "aws"
ROLE = "arn:aws:iam::123456789012:role/msf-demo-role"


@dataclass
class AwsCli:
    """The AWS CLI with its own config files: a ``msf-local`` profile whose endpoint_url is the server."""

    home: Path
    endpoint: str

    def env(self) -> dict[str, str]:
        isolated = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {
            **isolated,
            "AWS_CONFIG_FILE": str(self.home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "credentials"),
            "AWS_PAGER": "",
        }

    def run(self, *arguments: str, profile: bool = True) -> subprocess.CompletedProcess[str]:
        """``aws <arguments>`` with the profile, or with --endpoint-url and environment credentials."""
        env = self.env()
        command = [str(AWS), *arguments, "--output", "json"]
        if profile:
            command += ["--profile", "msf-local"]
        else:
            command += ["--endpoint-url", self.endpoint]
            env |= {
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    def json(self, *arguments: str, profile: bool = True) -> Any:
        """The JSON the command printed; fails with its stderr if it did not succeed."""
        result = self.run(*arguments, profile=profile)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture
def cli(serve: ServeProcess, tmp_path: Path) -> AwsCli:
    (tmp_path / "config").write_text(
        f"[profile msf-local]\nregion = us-east-1\nendpoint_url = {serve.url}\noutput = json\n"
    )
    (tmp_path / "credentials").write_text(
        "[msf-local]\naws_access_key_id = test\naws_secret_access_key = test\n"
    )
    return AwsCli(home=tmp_path, endpoint=serve.url)


def test_cli_walks_create_describe_update_versions_tag_delete(cli: AwsCli) -> None:
    name = "cli-walk"
    created = cli.json(
        "kinesisanalyticsv2",
        "create-application",
        "--application-name",
        name,
        "--runtime-environment",
        "FLINK-1_20",
        "--service-execution-role",
        ROLE,
        "--tags",
        "Key=team,Value=data-platform",
    )["ApplicationDetail"]
    assert (created["ApplicationName"], created["ApplicationStatus"], created["ApplicationVersionId"]) == (
        name,
        "READY",
        1,
    )
    arn = created["ApplicationARN"]
    assert arn == f"arn:aws:kinesisanalytics:us-east-1:123456789012:application/{name}"

    described = cli.json("kinesisanalyticsv2", "describe-application", "--application-name", name)
    detail = described["ApplicationDetail"]
    flink = detail["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    assert flink["CheckpointConfigurationDescription"]["CheckpointInterval"] == 60000
    assert flink["ParallelismConfigurationDescription"]["Parallelism"] == 1

    updated = cli.json(
        "kinesisanalyticsv2",
        "update-application",
        "--application-name",
        name,
        "--current-application-version-id",
        "1",
        "--application-configuration-update",
        json.dumps(
            {
                "FlinkApplicationConfigurationUpdate": {
                    "ParallelismConfigurationUpdate": {
                        "ConfigurationTypeUpdate": "CUSTOM",
                        "ParallelismUpdate": 4,
                        "ParallelismPerKPUUpdate": 2,
                        "AutoScalingEnabledUpdate": False,
                    }
                }
            }
        ),
    )["ApplicationDetail"]
    assert (updated["ApplicationVersionId"], updated["ApplicationVersionUpdatedFrom"]) == (2, 1)
    parallelism = updated["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"][
        "ParallelismConfigurationDescription"
    ]
    assert (parallelism["Parallelism"], parallelism["ParallelismPerKPU"]) == (4, 2)

    versions = cli.json("kinesisanalyticsv2", "list-application-versions", "--application-name", name)
    assert sorted(v["ApplicationVersionId"] for v in versions["ApplicationVersionSummaries"]) == [1, 2]
    first = cli.json(
        "kinesisanalyticsv2",
        "describe-application-version",
        "--application-name",
        name,
        "--application-version-id",
        "1",
    )
    assert first["ApplicationVersionDetail"]["ApplicationVersionId"] == 1

    assert (
        cli.json("kinesisanalyticsv2", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=dev")
        is None
    )
    tags = cli.json("kinesisanalyticsv2", "list-tags-for-resource", "--resource-arn", arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "data-platform")]

    summaries = cli.json("kinesisanalyticsv2", "list-applications")["ApplicationSummaries"]
    assert name in {s["ApplicationName"] for s in summaries}

    # The CLI prints timestamps as the epoch seconds the service sent; it takes them back the same way.
    assert (
        cli.json(
            "kinesisanalyticsv2",
            "delete-application",
            "--application-name",
            name,
            "--create-timestamp",
            str(detail["CreateTimestamp"]),
        )
        is None
    )
    gone = cli.run("kinesisanalyticsv2", "describe-application", "--application-name", name)
    assert gone.returncode != 0
    assert (
        "An error occurred (ResourceNotFoundException) when calling the DescribeApplication operation"
        in gone.stderr
    )


def test_cli_with_endpoint_url_and_environment_credentials(cli: AwsCli) -> None:
    listed = cli.json("kinesisanalyticsv2", "list-applications", profile=False)
    assert isinstance(listed["ApplicationSummaries"], list)
    bad = cli.run(
        "kinesisanalyticsv2", "describe-application", "--application-name", "bad name!", profile=False
    )
    assert bad.returncode != 0
    assert "ValidationException" in bad.stderr and "applicationName" in bad.stderr
