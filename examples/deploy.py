"""Deploy an example application to a running ``msf-local serve``, with nothing but boto3.

    msf-local serve --port 4590 --data-dir ./data          # in another terminal
    python examples/deploy.py --endpoint-url http://127.0.0.1:4590

Zips the example's code, uploads it to S3 (the S3 msf-local embeds), creates the input Kinesis stream,
creates the application with its properties, starts it and waits (bounded) until it is RUNNING. The
same calls work against AWS itself (drop ``--endpoint-url``; the role must exist).
"""

from __future__ import annotations

import argparse
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

EXAMPLE = Path(__file__).resolve().parent / "kinesis_word_count"
ROLE = "arn:aws:iam::123456789012:role/msf-local-example"


def package(example: Path = EXAMPLE) -> bytes:
    """The example's code as Managed Flink expects it: a zip of its Python files, ``main.py`` first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(example.glob("*.py"), key=lambda p: (p.name != "main.py", p.name)):
            archive.write(path, path.name)
    return buffer.getvalue()


def example_properties(example: Path = EXAMPLE) -> dict[str, dict[str, str]]:
    """The example's ``application_properties.json`` as ``{group id: properties}``."""
    groups = json.loads((example / "application_properties.json").read_text())
    return {group["PropertyGroupId"]: dict(group["PropertyMap"]) for group in groups}


@dataclass(frozen=True)
class Deployment:
    """What to deploy and where; ``properties`` override the example's own, group by group."""

    application: str = "kinesis-word-count"
    bucket: str = "msf-local-examples"
    key: str = "kinesis-word-count.zip"
    stream: str = "word-count-input"
    output: str = "/tmp/msf-local-word-count"
    shards: int = 2
    parallelism: int = 1
    checkpoint_interval_ms: int = 1000
    role: str = ROLE


@dataclass
class Clients:
    """The three boto3 clients the deployment uses."""

    kinesisanalyticsv2: Any
    s3: Any
    kinesis: Any

    @classmethod
    def create(cls, endpoint_url: str | None, region: str, **credentials: str) -> Clients:
        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=endpoint_url, region_name=region, **credentials)

        return cls(client("kinesisanalyticsv2"), client("s3"), client("kinesis"))


def wait_for(read: Callable[[], str], wanted: str, timeout_s: float, what: str) -> None:
    """Poll ``read`` every 0.2 s until it answers ``wanted``; TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while value != wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} is {value}, not {wanted}, after {timeout_s:.0f} s")
        time.sleep(0.2)
        value = read()


def upload_code(clients: Clients, deployment: Deployment) -> None:
    try:
        clients.s3.create_bucket(Bucket=deployment.bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    clients.s3.put_object(Bucket=deployment.bucket, Key=deployment.key, Body=package())


def create_stream(clients: Clients, deployment: Deployment, timeout_s: float) -> None:
    try:
        clients.kinesis.create_stream(StreamName=deployment.stream, ShardCount=deployment.shards)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise

    def stream_status() -> str:
        summary = clients.kinesis.describe_stream_summary(StreamName=deployment.stream)
        status: str = summary["StreamDescriptionSummary"]["StreamStatus"]
        return status

    wait_for(stream_status, "ACTIVE", timeout_s, f"stream {deployment.stream}")


def application_configuration(deployment: Deployment) -> dict[str, Any]:
    """``ApplicationConfiguration`` of the example: S3 code, properties, checkpointing and parallelism."""
    properties = example_properties()
    properties["WordCount"] |= {"input.stream": deployment.stream, "output.path": deployment.output}
    bucket_arn = f"arn:aws:s3:::{deployment.bucket}"
    return {
        "ApplicationCodeConfiguration": {
            "CodeContent": {"S3ContentLocation": {"BucketARN": bucket_arn, "FileKey": deployment.key}},
            "CodeContentType": "ZIPFILE",
        },
        "EnvironmentProperties": {
            "PropertyGroups": [
                {"PropertyGroupId": group, "PropertyMap": values} for group, values in properties.items()
            ]
        },
        "FlinkApplicationConfiguration": {
            "CheckpointConfiguration": {
                "ConfigurationType": "CUSTOM",
                "CheckpointingEnabled": True,
                "CheckpointInterval": deployment.checkpoint_interval_ms,
                "MinPauseBetweenCheckpoints": 0,
            },
            "ParallelismConfiguration": {
                "ConfigurationType": "CUSTOM",
                "Parallelism": deployment.parallelism,
                "ParallelismPerKPU": 1,
                "AutoScalingEnabled": False,
            },
        },
        "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": True},
    }


def application_status(clients: Clients, name: str) -> str:
    detail = clients.kinesisanalyticsv2.describe_application(ApplicationName=name)["ApplicationDetail"]
    status: str = detail["ApplicationStatus"]
    return status


def deploy(clients: Clients, deployment: Deployment, timeout_s: float = 60.0) -> str:
    """Upload, create and start the application; wait until it runs. The StartApplication operation id."""
    upload_code(clients, deployment)
    create_stream(clients, deployment, timeout_s)
    clients.kinesisanalyticsv2.create_application(
        ApplicationName=deployment.application,
        ApplicationDescription="Counts the words of a Kinesis data stream (msf-local example)",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=deployment.role,
        ApplicationConfiguration=application_configuration(deployment),
    )
    started = clients.kinesisanalyticsv2.start_application(
        ApplicationName=deployment.application,
        RunConfiguration={
            "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"}
        },
    )
    wait_for(
        lambda: application_status(clients, deployment.application),
        "RUNNING",
        timeout_s,
        f"application {deployment.application}",
    )
    operation_id: str = started["OperationId"]
    return operation_id


def main() -> None:
    defaults = Deployment()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--endpoint-url", default="http://127.0.0.1:4590", help="msf-local's URL ('' for AWS itself)"
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--application", default=defaults.application)
    parser.add_argument("--bucket", default=defaults.bucket)
    parser.add_argument("--stream", default=defaults.stream)
    parser.add_argument("--output", default=defaults.output, help="directory of the word counts")
    parser.add_argument("--parallelism", type=int, default=defaults.parallelism)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for RUNNING")
    args = parser.parse_args()
    # msf-local takes a 12-digit access key as the account id; AWS uses your own credential chain
    local = {"aws_access_key_id": "123456789012", "aws_secret_access_key": "msf-local"}
    clients = Clients.create(args.endpoint_url or None, args.region, **(local if args.endpoint_url else {}))
    deployment = Deployment(
        application=args.application,
        bucket=args.bucket,
        stream=args.stream,
        output=args.output,
        parallelism=args.parallelism,
    )
    deploy(clients, deployment, args.timeout)
    print(f"{deployment.application} is RUNNING; put lines of text into stream {deployment.stream}:")
    print("  printf 'to be or not to be' > line.txt")
    print(f"  aws --endpoint-url {args.endpoint_url} kinesis put-record --stream-name {deployment.stream} \\")
    print("      --partition-key any --data fileb://line.txt   # with AWS_ACCESS_KEY_ID=123456789012")
    print(f"word counts appear in {deployment.output}/part-* (one 'word,count' line per occurrence)")


if __name__ == "__main__":
    main()
