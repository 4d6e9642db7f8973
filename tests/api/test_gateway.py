"""One endpoint: S3, Kinesis and CloudWatch Logs answered by the embedded moto, kinesisanalyticsv2 by us."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from app.code.source import S3CodeLocation, fetch_s3_code
from app.gateway import AwsGatewayMiddleware
from app.services.aws import aws_client, aws_endpoint_url, job_aws_environment
from app.settings import Settings
from tests.conftest import LiveServer


def unique(prefix: str) -> str:
    """moto's state lives in the test process, shared by every live server: names must not collide."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_s3_through_the_same_endpoint(live_server: LiveServer) -> None:
    s3 = live_server.client("s3")
    bucket = unique("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app/code.zip", Body=b"PK\x05\x06" + bytes(18))
    body = s3.get_object(Bucket=bucket, Key="app/code.zip")["Body"].read()
    assert body == b"PK\x05\x06" + bytes(18)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["app/code.zip"]


def test_kinesis_through_the_same_endpoint(live_server: LiveServer) -> None:
    kinesis = live_server.client("kinesis")
    stream = unique("input")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    put = kinesis.put_record(StreamName=stream, Data=b'{"key": "a"}', PartitionKey="a")
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [r["Data"] for r in records] == [b'{"key": "a"}']


def test_cloudwatch_logs_through_the_same_endpoint(live_server: LiveServer) -> None:
    logs = live_server.client("logs")
    group = unique("/aws/kinesis-analytics/app")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="kinesis-analytics-log-stream")
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in found] == [group]


def test_moto_keeps_state_per_account_like_aws(live_server: LiveServer) -> None:
    stream = unique("shared-name")
    first = live_server.client("kinesis", access_key="111111111111")
    second = live_server.client("kinesis", access_key="222222222222")
    first.create_stream(StreamName=stream, ShardCount=1)
    second.create_stream(StreamName=stream, ShardCount=1)  # the same name in another account is fine
    summary = first.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert ":111111111111:" in summary["StreamARN"]
    first.delete_stream(StreamName=stream)
    assert stream in second.list_streams()["StreamNames"]
    assert stream not in first.list_streams()["StreamNames"]


def test_kinesisanalyticsv2_still_reaches_msf_local(live_server: LiveServer) -> None:
    kav2 = live_server.client()
    with pytest.raises(ClientError) as caught:
        kav2.describe_application(ApplicationName=unique("missing"))
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400  # moto's own kinesisanalyticsv2 answers 500
    assert error["Error"]["Code"] in ("ResourceNotFoundException", "NotImplementedException")


NEAR_MISSES = (
    "KinesisAnalytics_20180524.ListApplications",  # wrong date
    "kinesisanalytics_20180523.ListApplications",  # wrong case
    "KinesisAnalyticsV2_20180523.ListApplications",  # the SDK's name, not the wire's
    "KinesisAnalytcs_20180523.ListApplications",  # a typo
)


def test_unknown_and_near_miss_kinesisanalytics_targets_are_answered_by_msf_local(
    live_server: LiveServer,
) -> None:
    for target in ("KinesisAnalytics_20180523.Bogus", *NEAR_MISSES):
        response = httpx.post(
            live_server.url + "/",
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
            content=b"{}",
        )
        assert response.status_code == 400, (target, response.text)
        assert response.headers["content-type"].startswith("application/x-amz-json-1.1"), target
        assert response.json() == {
            "__type": "UnknownOperationException",
            "message": f"Unknown operation {target}",
        }


def test_with_an_external_aws_endpoint_nothing_is_embedded(make_server: Any) -> None:
    live = make_server(aws_endpoint="http://127.0.0.1:9")
    response = httpx.get(
        live.url + "/",
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, x"},
    )
    assert response.status_code == 405  # our POST-only endpoint, not moto's ListBuckets
    assert b"ListAllMyBucketsResult" not in response.content


def _scope(path: str = "/", query: bytes = b"", **headers: str) -> dict[str, Any]:
    encoded = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "path": path, "query_string": query, "headers": encoded}


def _gateway(**settings: Any) -> AwsGatewayMiddleware:
    return AwsGatewayMiddleware(app=lambda *_: None, settings=Settings(**settings), own_paths={"/", "/docs"})  # type: ignore[arg-type,return-value]


def _auth(key: str, service: str) -> str:
    credential = f"{key}/20260101/eu-west-1/{service}/aws4_request"
    return f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=0"


@pytest.mark.parametrize(
    ("scope", "ours"),
    [
        (_scope(x_amz_target="KinesisAnalytics_20180523.ListApplications"), True),
        (_scope(x_amz_target="Kinesis_20131202.ListStreams", authorization=_auth("k", "kinesis")), False),
        (_scope(x_amz_target="Logs_20140328.CreateLogGroup"), False),
        (_scope(x_amz_target="Kinesis_20131202.ListStreams"), False),
        (_scope(x_amz_target="Firehose_20150804.ListDeliveryStreams"), False),
        *((_scope(x_amz_target=target), True) for target in NEAR_MISSES),
        (_scope(authorization=_auth("k", "kinesisanalytics")), True),
        (_scope("/bucket/key", authorization=_auth("k", "s3")), False),
        (_scope("/docs", authorization=_auth("k", "s3")), False),  # a bucket named "docs"
        (_scope("/bucket/key", b"X-Amz-Credential=k%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"), False),
        (_scope("/docs"), True),
        (_scope("/"), True),
        (_scope("/bucket/key"), False),
    ],
)
def test_routing_rule(scope: dict[str, Any], ours: bool) -> None:
    assert _gateway().is_ours(scope) is ours


def test_moto_account_follows_the_scope_rule() -> None:
    gateway = _gateway(default_account_id="000000000000")
    assert gateway.moto_account(_scope(authorization=_auth("123456789012", "s3"))) == "123456789012"
    assert gateway.moto_account(_scope(authorization=_auth("AKIDEXAMPLE", "s3"))) == "000000000000"
    assert gateway.moto_account(_scope()) == "000000000000"


def test_endpoint_url_for_the_runtime_and_code_fetching() -> None:
    assert aws_endpoint_url(Settings(host="0.0.0.0", port=4590)) == "http://127.0.0.1:4590"
    assert aws_endpoint_url(Settings(port=4590)) == "http://127.0.0.1:4590"
    assert aws_endpoint_url(Settings(aws_endpoint="https://s3.example")) == "https://s3.example"


def test_control_plane_reads_code_the_caller_uploaded_in_its_account(
    live_server: LiveServer, tmp_path: Path
) -> None:
    bucket = unique("code")
    uploader = live_server.client("s3", access_key="333333333333", region="eu-west-1")
    uploader.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    uploader.put_object(Bucket=bucket, Key="app.zip", Body=b"zip bytes")
    s3 = aws_client(live_server.settings, "s3", "333333333333", "eu-west-1")
    fetch_s3_code(s3, S3CodeLocation(f"arn:aws:s3:::{bucket}", "app.zip"), tmp_path / "app.zip")
    assert (tmp_path / "app.zip").read_bytes() == b"zip bytes"
    other = aws_client(live_server.settings, "s3", "444444444444", "eu-west-1")
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_job_environment_points_at_the_same_endpoint() -> None:
    embedded = job_aws_environment(Settings(port=4590), "123456789012", "eu-west-1")
    assert embedded == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4590",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "123456789012",
        "AWS_SECRET_ACCESS_KEY": "msf-local",
    }
    external = job_aws_environment(Settings(aws_endpoint="https://aws.example"), "123456789012", "eu-west-1")
    assert "AWS_ACCESS_KEY_ID" not in external and external["AWS_ENDPOINT_URL"] == "https://aws.example"
