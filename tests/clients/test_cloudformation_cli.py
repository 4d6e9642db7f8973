"""``aws cloudformation deploy --endpoint-url`` against ``msf-local serve``: a stack with an S3 code bucket,
a Kinesis stream and the application, created, updated (parallelism and runtime, while RUNNING) and
deleted (while RUNNING), with the application checked through kinesisanalyticsv2 at each step. The test
templates pass cfn-lint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.app_helpers import python_zip as code_zip
from tests.clients.conftest import ServeProcess, serving
from tests.conftest import eventually

BIN = Path(sys.executable).parent
TEMPLATES = Path(__file__).resolve().parent / "cloudformation"
ACCOUNT = "123456789012"
JOB = """
from stream_runtime import StreamExecutionEnvironment
from stream_runtime.connectors import KinesisSink, SimpleStringSchema
from stream_runtime.properties import get_application_properties

stream = get_application_properties()["Output"]["stream"]
env = StreamExecutionEnvironment.get_execution_environment()
numbers = env.from_sequence(0, None, records_per_second=400).uid("numbers")
first = numbers.filter(lambda n: n < 100).uid("first").map(str).uid("text")
first.add_sink(KinesisSink(stream, SimpleStringSchema())).uid("stream")
env.execute("numbers-to-stream")
"""
WRITTEN = 100
"""The job writes 0..99 once (flushed by its first checkpoints) and then keeps running without writing,
so the test never reads the stream while the job writes to it (moto's shards are not thread-safe)."""


def client(served: ServeProcess, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def aws(served: ServeProcess, home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``aws <arguments> --endpoint-url <server>`` with environment credentials acting in ACCOUNT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_ACCESS_KEY_ID": ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PAGER": "",
    }
    command = [str(BIN / "aws"), *arguments, "--endpoint-url", served.url, "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, (result.stdout, result.stderr, served.output()[-4000:])
    return result


def deploy(served: ServeProcess, home: Path, stack: str, **parameters: str) -> None:
    overrides = [f"{key}={value}" for key, value in parameters.items()]
    aws(
        served,
        home,
        "cloudformation",
        "deploy",
        "--template-file",
        str(TEMPLATES / "flink-application.yaml"),
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--parameter-overrides",
        *overrides,
    )


def stack_resources(served: ServeProcess, home: Path, stack: str) -> dict[str, str]:
    """Logical id → physical id (an application's name, a logging option's id, a stream's name).

    (Read from the resources: moto does not fill the Outputs of a stack made by a change set.)
    """
    command = ("cloudformation", "describe-stack-resources", "--stack-name", stack)
    described = json.loads(aws(served, home, *command).stdout)
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described["StackResources"]}


def detail(kav2: Any, name: str) -> dict[str, Any]:
    described: dict[str, Any] = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
    return described


def parallelism(described: dict[str, Any]) -> int:
    flink = described["ApplicationConfigurationDescription"]["FlinkApplicationConfigurationDescription"]
    value: int = flink["ParallelismConfigurationDescription"]["Parallelism"]
    return value


def records_in(kinesis: Any, stream: str) -> int:
    """How many records the stream holds (one shard, read from the start)."""
    (shard,) = kinesis.list_shards(StreamName=stream)["Shards"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    count = 0
    for _ in range(100):  # bounded
        answer = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        count += len(answer["Records"])
        if not answer["Records"]:
            return count
        iterator = answer["NextShardIterator"]
    return count


def test_the_templates_pass_cfn_lint() -> None:
    templates = sorted(str(path) for path in TEMPLATES.glob("*.yaml"))
    assert len(templates) == 2
    result = subprocess.run(
        [str(BIN / "cfn-lint"), *templates], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_update_and_delete_a_running_application_through_the_aws_cli(tmp_path: Path) -> None:
    with serving(tmp_path / "data") as served:
        s3, kav2, kinesis = (
            client(served, "s3"),
            client(served, "kinesisanalyticsv2"),
            client(served, "kinesis"),
        )
        bucket = f"code-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="app/job.zip", Body=code_zip({"main.py": JOB}))
        stack = "flink-stack"

        deploy(served, tmp_path, stack, CodeBucket=bucket)
        found = stack_resources(served, tmp_path, stack)
        name = found["Application"]
        assert name.startswith(f"{stack}-Application-")
        created = detail(kav2, name)
        assert created["ApplicationStatus"] == "READY"  # CloudFormation does not start the application
        assert created["RuntimeEnvironment"] == "FLINK-1_19"
        assert created["ServiceExecutionRole"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
        assert parallelism(created) == 1
        (option,) = created["CloudWatchLoggingOptionDescriptions"]
        assert option["CloudWatchLoggingOptionId"] == found["LoggingOption"]
        tags = kav2.list_tags_for_resource(ResourceARN=created["ApplicationARN"])["Tags"]
        assert {"Key": "team", "Value": "streaming"} in tags

        kav2.start_application(ApplicationName=name, RunConfiguration={})
        assert (
            eventually(lambda: detail(kav2, name)["ApplicationStatus"], "RUNNING", timeout=120) == "RUNNING"
        )
        stream = found["OutputStream"]
        assert eventually(lambda: records_in(kinesis, stream), WRITTEN, timeout=60, interval=0.5) == WRITTEN

        version = detail(kav2, name)["ApplicationVersionId"]
        deploy(served, tmp_path, stack, CodeBucket=bucket, Parallelism="2", Runtime="FLINK-1_20")
        updated = detail(kav2, name)
        assert updated["ApplicationStatus"] == "RUNNING"  # updated in place and running again
        assert updated["RuntimeEnvironment"] == "FLINK-1_20"
        assert parallelism(updated) == 2
        assert updated["ApplicationVersionId"] == version + 1
        operations = kav2.list_application_operations(ApplicationName=name)["ApplicationOperationInfoList"]
        assert (operations[0]["Operation"], operations[0]["OperationStatus"]) == (
            "UpdateApplication",
            "SUCCESSFUL",
        )
        assert records_in(kinesis, stream) == WRITTEN  # restored from its snapshot: nothing written twice

        aws(served, tmp_path, "cloudformation", "delete-stack", "--stack-name", stack)
        aws(served, tmp_path, "cloudformation", "wait", "stack-delete-complete", "--stack-name", stack)
        with pytest.raises(ClientError) as raised:
            kav2.describe_application(ApplicationName=name)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
        listed = kav2.list_applications()["ApplicationSummaries"]
        assert name not in [summary["ApplicationName"] for summary in listed]
        assert stream not in kinesis.list_streams()["StreamNames"]
