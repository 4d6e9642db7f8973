"""``--auth strict`` over everything on the port: S3 (header-signed and presigned), Kinesis, CloudWatch Logs,
CloudWatch and CloudFormation refuse forged, unknown-key, unsigned, stale and cross-account requests in
their own error formats and touch no data; the internal keys of jobs act in their own account only.

One strict server (SQLite, the embedded runtime) serves every test of this module; names are unique per
run because the embedded moto is shared by all servers of the test process.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from app.services.aws import job_aws_environment
from app.settings import AuthMode, Settings
from tests.api.app_helpers import python_zip
from tests.conftest import LiveServer, eventually, free_port, start_server, stop_server

A_KEY, A_SECRET, A_ACCOUNT = "AKIDSTRICTA", "secret-of-a", "111122223333"
B_KEY, B_SECRET, B_ACCOUNT = "AKIDSTRICTB", "secret-of-b", "444455556666"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("strict")
    credentials = root / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                A_KEY: {"secret_access_key": A_SECRET, "account_id": A_ACCOUNT},
                B_KEY: {"secret_access_key": B_SECRET, "account_id": B_ACCOUNT},
            }
        )
    )
    settings = Settings(
        auth=AuthMode.STRICT,
        credentials_file=credentials,
        data_dir=root / "data",
        port=free_port(),
        database_url=f"sqlite:///{root / 'msf-local.db'}",
        control_interval=0.1,
    )
    live = start_server(settings)
    yield live
    stop_server(live)


@pytest.fixture
def backend() -> str:
    return "sqlite"


def client(server: LiveServer, service: str, key: str = A_KEY, secret: str = A_SECRET, **extra: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **extra),
    )


def refused(call: Callable[[], Any]) -> tuple[int, str]:
    """The HTTP status and error code of a call that must fail."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def signed(
    server: LiveServer,
    service: str,
    headers: dict[str, str],
    body: bytes,
    *,
    method: str = "POST",
    path: str = "/",
    at: datetime | None = None,
) -> dict[str, str]:
    """Headers of a request botocore signs with A's key (at ``at``): exactly ``headers`` are signed."""
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
    signer = SigV4Auth(Credentials(A_KEY, A_SECRET), service, "us-east-1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=at or datetime.now(UTC)):
        signer.add_auth(request)
    return dict(request.headers.items())


def test_s3_refuses_forged_unknown_unsigned_stale_and_other_accounts(strict: LiveServer) -> None:
    bucket = unique("strict-a")
    a = client(strict, "s3")
    a.create_bucket(Bucket=bucket)
    a.put_object(Bucket=bucket, Key="secret.txt", Body=b"A's data")

    forged = client(strict, "s3", secret="not-a-secret")
    assert refused(lambda: forged.get_object(Bucket=bucket, Key="secret.txt")) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert refused(lambda: forged.put_object(Bucket=bucket, Key="secret.txt", Body=b"x")) == (
        403,
        "SignatureDoesNotMatch",
    )
    unknown = client(strict, "s3", key="AKIDNOBODY", secret="whatever")
    assert refused(lambda: unknown.create_bucket(Bucket=unique("unknown"))) == (403, "InvalidAccessKeyId")
    b = client(strict, "s3", B_KEY, B_SECRET)
    assert refused(lambda: b.get_object(Bucket=bucket, Key="secret.txt")) == (403, "AccessDenied")
    assert refused(lambda: b.put_object(Bucket=bucket, Key="secret.txt", Body=b"B")) == (403, "AccessDenied")
    assert refused(lambda: b.delete_bucket(Bucket=bucket)) == (403, "AccessDenied")
    assert refused(lambda: b.create_bucket(Bucket=bucket)) == (403, "AccessDenied")  # AWS: 409
    assert bucket not in [found["Name"] for found in b.list_buckets()["Buckets"]]

    unsigned_bucket = unique("unsigned")
    response = httpx.put(f"{strict.url}/{unsigned_bucket}")
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    stale = signed(
        strict,
        "s3",
        {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        b"",
        method="GET",
        path=f"/{bucket}/secret.txt",
        at=datetime.now(UTC) - timedelta(minutes=20),
    )
    response = httpx.get(f"{strict.url}/{bucket}/secret.txt", headers=stale)
    assert (response.status_code, "<Code>RequestTimeTooSkewed</Code>" in response.text) == (403, True)

    assert a.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"A's data"
    assert unsigned_bucket not in [found["Name"] for found in a.list_buckets()["Buckets"]]


def test_s3_valid_signatures_pass_for_odd_keys_queries_and_multipart(strict: LiveServer) -> None:
    """What the canonical request must get right: encoded paths, query strings, x-amz-* headers."""
    bucket, key = unique("odd"), "a b/c+d=é~!*'();:@&$,[].txt"
    a = client(strict, "s3")
    a.create_bucket(Bucket=bucket)
    a.put_object(
        Bucket=bucket, Key=key, Body=b"1", Metadata={"m": "v"}, ContentType="text/plain; charset=utf-8"
    )
    a.copy_object(Bucket=bucket, Key="copy é", CopySource={"Bucket": bucket, "Key": key})
    listed = a.list_objects_v2(Bucket=bucket, Prefix="a b/", Delimiter="/")["Contents"]
    assert [found["Key"] for found in listed] == [key]
    upload = a.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    part = a.upload_part(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=1, Body=b"part")
    parts = {"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]}
    a.complete_multipart_upload(Bucket=bucket, Key="parts", UploadId=upload, MultipartUpload=parts)
    a.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy é"}]})
    assert sorted(found["Key"] for found in a.list_objects_v2(Bucket=bucket)["Contents"]) == [key, "parts"]


@pytest.mark.parametrize("version", ["default", "s3v4"])  # boto3's default presigned URL is version 2
def test_s3_presigned_urls_are_verified_too(strict: LiveServer, version: str) -> None:
    signing = {} if version == "default" else {"signature_version": version}
    bucket = unique("presigned")
    a = client(strict, "s3", **signing)
    a.create_bucket(Bucket=bucket)
    a.put_object(Bucket=bucket, Key="k", Body=b"A's object")
    params = {"Bucket": bucket, "Key": "k"}
    assert ("X-Amz-Signature=" in a.generate_presigned_url("get_object", Params=params)) == (
        version == "s3v4"
    )

    def url(key: str, secret: str, method: str = "get_object") -> str:
        signer = client(strict, "s3", key, secret, **signing)
        presigned: str = signer.generate_presigned_url(method, Params=params)
        return presigned

    assert httpx.get(url(A_KEY, A_SECRET)).content == b"A's object"
    assert "<Code>SignatureDoesNotMatch</Code>" in httpx.get(url(A_KEY, "not-a-secret")).text
    assert "<Code>InvalidAccessKeyId</Code>" in httpx.get(url("AKIDNOBODY", "x")).text
    assert "<Code>AccessDenied</Code>" in httpx.get(url(B_KEY, B_SECRET)).text
    assert httpx.put(url(A_KEY, "not-a-secret", "put_object"), content=b"overwritten").status_code == 403
    assert httpx.put(url(B_KEY, B_SECRET, "put_object"), content=b"overwritten").status_code == 403
    if version == "s3v4":
        earlier = datetime.now(UTC) - timedelta(hours=2)
        with mock.patch("botocore.auth.get_current_datetime", return_value=earlier):
            expired = a.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
        response = httpx.get(expired)
        assert (response.status_code, "<Message>Request has expired</Message>" in response.text) == (
            403,
            True,
        )
    assert a.get_object(Bucket=bucket, Key="k")["Body"].read() == b"A's object"


def test_kinesis_and_logs_refuse_in_json_and_stay_per_account(strict: LiveServer) -> None:
    stream, group = unique("stream"), unique("group")
    for key, secret, code in [
        (A_KEY, "not-a-secret", "InvalidSignatureException"),
        ("AKIDNOBODY", "whatever", "UnrecognizedClientException"),
    ]:
        kinesis, logs = client(strict, "kinesis", key, secret), client(strict, "logs", key, secret)
        assert refused(partial(kinesis.create_stream, StreamName=stream, ShardCount=1)) == (403, code)
        assert refused(partial(logs.create_log_group, logGroupName=group)) == (403, code)
    for target, body in [
        ("Kinesis_20131202.CreateStream", {"StreamName": stream, "ShardCount": 1}),
        ("Logs_20140328.CreateLogGroup", {"logGroupName": group}),
    ]:
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        response = httpx.post(strict.url + "/", json=body, headers=headers)
        assert response.status_code == 403
        assert response.json()["__type"] == "MissingAuthenticationTokenException"

    a_kinesis, a_logs = client(strict, "kinesis"), client(strict, "logs")
    assert stream not in a_kinesis.list_streams()["StreamNames"]
    assert not a_logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    a_kinesis.create_stream(StreamName=stream, ShardCount=1)
    a_logs.create_log_group(logGroupName=group)
    b_kinesis, b_logs = client(strict, "kinesis", B_KEY, B_SECRET), client(strict, "logs", B_KEY, B_SECRET)
    assert refused(lambda: b_kinesis.describe_stream(StreamName=stream)) == (400, "ResourceNotFoundException")
    assert not b_logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]


def test_a_target_left_out_of_the_signature_is_refused(strict: LiveServer) -> None:
    stream = unique("swapped")
    body = json.dumps({"StreamName": stream, "ShardCount": 1}).encode()
    headers = signed(strict, "kinesis", {}, body)  # signed over host;x-amz-date only
    assert "SignedHeaders=host;x-amz-date," in headers["Authorization"]
    headers |= {"X-Amz-Target": "Kinesis_20131202.CreateStream", "Content-Type": "application/x-amz-json-1.1"}
    response = httpx.post(strict.url + "/", content=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["__type"] == "InvalidSignatureException"
    assert "x-amz-target" in response.json()["message"]
    assert stream not in client(strict, "kinesis").list_streams()["StreamNames"]

    ours = signed(strict, "kinesisanalytics", {}, b"{}")
    ours |= {
        "X-Amz-Target": "KinesisAnalytics_20180523.ListApplications",
        "Content-Type": "application/x-amz-json-1.1",
    }
    response = httpx.post(strict.url + "/", content=b"{}", headers=ours)
    assert (response.status_code, response.json()["__type"]) == (403, "InvalidSignatureException")


def test_cloudwatch_and_cloudformation_answer_in_their_own_formats(strict: LiveServer) -> None:
    namespace = unique("Strict")
    forged = client(strict, "cloudwatch", secret="not-a-secret")
    metric = {"MetricName": "m", "Value": 1.0}
    assert refused(lambda: forged.put_metric_data(Namespace=namespace, MetricData=[metric])) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert not client(strict, "cloudwatch").list_metrics(Namespace=namespace)["Metrics"]
    unknown = client(strict, "cloudformation", "AKIDNOBODY", "whatever")
    assert refused(unknown.list_stacks) == (403, "InvalidClientTokenId")
    response = httpx.post(strict.url + "/", data={"Action": "ListStacks", "Version": "2010-05-15"})
    assert response.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in response.text


def test_job_credentials_act_in_their_own_account_only(strict: LiveServer, tmp_path: Path) -> None:
    settings: Settings = strict.settings
    environment = job_aws_environment(settings, A_ACCOUNT, "us-east-1")
    assert environment["AWS_ACCESS_KEY_ID"] == "MSFLOCAL" + A_ACCOUNT
    assert A_SECRET not in environment.values()
    job = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_REGION"],
    )
    bucket, theirs = unique("job"), unique("theirs")
    s3 = job.client("s3", endpoint_url=environment["AWS_ENDPOINT_URL"])
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="out", Body=b"from the job")
    assert client(strict, "s3").get_object(Bucket=bucket, Key="out")["Body"].read() == b"from the job"
    client(strict, "s3", B_KEY, B_SECRET).create_bucket(Bucket=theirs)
    assert refused(lambda: s3.list_objects_v2(Bucket=theirs)) == (403, "AccessDenied")
    job.client("kinesis", endpoint_url=environment["AWS_ENDPOINT_URL"]).list_streams()
    job.client("logs", endpoint_url=environment["AWS_ENDPOINT_URL"]).describe_log_groups()
    api = job.client("kinesisanalyticsv2", endpoint_url=environment["AWS_ENDPOINT_URL"])
    assert refused(api.list_applications) == (403, "UnrecognizedClientException")
    guessed = client(strict, "s3", "MSFLOCAL" + B_ACCOUNT, environment["AWS_SECRET_ACCESS_KEY"])
    assert refused(lambda: guessed.list_objects_v2(Bucket=theirs)) == (403, "SignatureDoesNotMatch")


JOB = """
import boto3
from botocore.exceptions import ClientError
from stream_runtime import DiscardingSink, StreamExecutionEnvironment
from stream_runtime.properties import get_application_properties

names = get_application_properties()["Job"]
s3 = boto3.client("s3")
try:
    s3.list_objects_v2(Bucket=names["theirs"])
    denied = "reached the other account's bucket"
except ClientError as error:
    denied = error.response["Error"]["Code"]
boto3.client("kinesis").create_stream(StreamName=names["stream"], ShardCount=1)
boto3.client("logs").create_log_group(logGroupName=names["group"])
s3.put_object(Bucket=names["bucket"], Key="report", Body=denied.encode())
env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=10).add_sink(DiscardingSink())
env.execute("strict")
"""


def status_of(kav2: Any, name: str) -> str:
    status: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
    return status


def test_a_job_reaches_its_own_account_and_only_that(strict: LiveServer) -> None:
    bucket, theirs, stream, group = unique("job-code"), unique("theirs"), unique("job"), unique("job")
    client(strict, "s3", B_KEY, B_SECRET).create_bucket(Bucket=theirs)
    s3, kav2 = client(strict, "s3"), client(strict, "kinesisanalyticsv2")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="job.zip", Body=python_zip({"main.py": JOB}))
    names = {"bucket": bucket, "theirs": theirs, "stream": stream, "group": group}
    kav2.create_application(
        ApplicationName=bucket,
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=f"arn:aws:iam::{A_ACCOUNT}:role/job",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {
                    "S3ContentLocation": {"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "job.zip"}
                },
                "CodeContentType": "ZIPFILE",
            },
            "EnvironmentProperties": {"PropertyGroups": [{"PropertyGroupId": "Job", "PropertyMap": names}]},
            "ApplicationSnapshotConfiguration": {"SnapshotsEnabled": False},
        },
    )
    kav2.start_application(ApplicationName=bucket)

    def report() -> bytes | None:
        try:
            body: bytes = s3.get_object(Bucket=bucket, Key="report")["Body"].read()
        except ClientError:
            return None
        return body

    assert eventually(report, b"AccessDenied") == b"AccessDenied"
    assert stream in client(strict, "kinesis").list_streams()["StreamNames"]
    assert client(strict, "logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    kav2.stop_application(ApplicationName=bucket, Force=True)
    assert eventually(lambda: status_of(kav2, bucket), "READY") == "READY"
