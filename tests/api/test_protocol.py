"""The AWS JSON 1.1 protocol over real HTTP: content types, targets, malformed and hostile input, limits,
error shape, validation wording through boto3, serialization of outputs, identity in accept mode."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from api_models import errors, models
from tests.api.protocol_stubs import JSON_1_1, assert_aws_error, create_body, post, stub_operations, target
from tests.conftest import LiveServer

EMPTY_LIST = models.ListApplicationsResponse(ApplicationSummaries=[])


@pytest.fixture
def backend() -> str:
    """The protocol layer is the same over any database (services are stubbed): SQLite only."""
    return "sqlite"


def unvalidated_client(live: LiveServer, **kwargs: Any) -> Any:
    """A boto3 client that sends whatever it is given (no client-side parameter validation)."""
    return boto3.client(
        "kinesisanalyticsv2",
        endpoint_url=live.url,
        region_name=kwargs.get("region", "us-east-1"),
        aws_access_key_id=kwargs.get("access_key", "AKIDEXAMPLE"),
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


# ------------------------------------------------------------------------------------- content type


@pytest.mark.parametrize(
    "content_type",
    [JSON_1_1, "application/json", "application/json; charset=utf-8", "APPLICATION/X-AMZ-JSON-1.1", None],
)
def test_json_content_types_and_no_content_type_are_read(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, content_type: str | None
) -> None:
    calls = stub_operations(monkeypatch, ListApplications=EMPTY_LIST)
    headers = {"X-Amz-Target": target("ListApplications")}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = httpx.post(live_server.url + "/", content=b'{"Limit": 7}', headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"ApplicationSummaries": []}
    assert calls.requests[0] == models.ListApplicationsRequest(Limit=7)


def test_other_content_types_are_refused(live_server: LiveServer) -> None:
    response = post(live_server.url, "ListApplications", b"{}", {"Content-Type": "text/plain"})
    message = assert_aws_error(response, 400, "SerializationException")
    assert "Unsupported Content-Type 'text/plain'" in message


def test_empty_body_is_an_empty_object(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stub_operations(monkeypatch, ListApplications=EMPTY_LIST)
    assert post(live_server.url, "ListApplications", b"").status_code == 200
    assert calls.requests == [models.ListApplicationsRequest()]
    response = post(live_server.url, "DescribeApplication", b"")
    assert_aws_error(
        response,
        400,
        "ValidationException",
        "1 validation error detected: Value null at 'applicationName' failed to satisfy constraint: "
        "Member must not be null",
    )


# ------------------------------------------------------------------------------------------ targets


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Missing X-Amz-Target header"),
        (
            "KinesisAnalytics_20180523.NoSuchOperation",
            "Unknown operation KinesisAnalytics_20180523.NoSuchOperation",
        ),
        ("KinesisAnalytics_20180523.", "Unknown operation KinesisAnalytics_20180523."),
        (
            "KinesisAnalytics_20180523.listApplications",
            "Unknown operation KinesisAnalytics_20180523.listApplications",
        ),
    ],
)
def test_unknown_targets(live_server: LiveServer, header: str | None, message: str) -> None:
    headers = {"Content-Type": JSON_1_1}
    if header is not None:
        headers["X-Amz-Target"] = header
    response = httpx.post(live_server.url + "/", content=b"{}", headers=headers)
    assert_aws_error(response, 400, "UnknownOperationException", message)


def test_a_10_kb_target_is_a_clean_unknown_operation(live_server: LiveServer) -> None:
    huge = "KinesisAnalytics_20180523." + "A" * 10_240
    response = httpx.post(live_server.url + "/", content=b"{}", headers={"X-Amz-Target": huge})
    message = assert_aws_error(response, 400, "UnknownOperationException")
    assert message == f"Unknown operation {huge[:256]}..."


# --------------------------------------------------------------------------------- malformed input


def test_malformed_json_names_line_and_column(live_server: LiveServer) -> None:
    body = b'{\n  "ApplicationName": "a",\n  "RuntimeEnvironment": "FLINK-1_20"\n'
    response = post(live_server.url, "CreateApplication", body)
    assert_aws_error(
        response,
        400,
        "SerializationException",
        "Malformed JSON at line 4, column 1: Expecting ',' delimiter",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "Request body is not valid UTF-8 (byte 0)"),
        (b'{"ApplicationName": "caf\xe9"}', "Request body is not valid UTF-8 (byte 24)"),
        (b"[" * 100_000 + b"]" * 100_000, "Request body is nested too deeply"),
        (b'{"a":' + b"[" * 100_000, "Request body is nested too deeply"),
        (b'{"Limit": ' + b"9" * 10_000 + b"}", "Request body holds a number with too many digits"),
        (
            b'{"NextToken": "\\ud800"}',
            "Value at 'nextToken' is not valid Unicode: it holds a lone surrogate (\\u escape)",
        ),
        (b'{"Limit": NaN}', "Malformed JSON: NaN is not a JSON value"),
        (b'{"Limit": -Infinity}', "Malformed JSON: -Infinity is not a JSON value"),
        (b'["ApplicationName"]', "Request body must be a JSON object"),
        (b'"just a string"', "Request body must be a JSON object"),
        (b"null", "Request body must be a JSON object"),
    ],
)
def test_unreadable_bodies_are_serialization_errors(
    live_server: LiveServer, body: bytes, message: str
) -> None:
    assert_aws_error(post(live_server.url, "ListApplications", body), 400, "SerializationException", message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Limit": 1e999}, "Expected an integer at 'limit' but found the number inf"),
        ({"Limit": 10**30}, "Value at 'limit' is out of range for an integer"),
        ({"Limit": "5"}, "Expected an integer at 'limit' but found a string"),
        ({"Limit": 2.5}, "Expected an integer at 'limit' but found the number 2.5"),
        ({"Limit": True}, "Expected an integer at 'limit' but found a boolean"),
        ({"NextToken": {"a": 1}}, "Expected a string at 'nextToken' but found an object"),
    ],
)
def test_wrong_types_and_huge_numbers(live_server: LiveServer, body: dict[str, Any], message: str) -> None:
    raw = json.dumps(body).replace("Infinity", "1e999").encode()
    assert_aws_error(post(live_server.url, "ListApplications", raw), 400, "SerializationException", message)


def test_wrong_types_deep_inside_the_input(live_server: LiveServer) -> None:
    body = create_body(
        {
            "FlinkApplicationConfiguration": {
                "ParallelismConfiguration": {"ConfigurationType": "CUSTOM", "Parallelism": "4"}
            }
        }
    )
    response = post(live_server.url, "CreateApplication", body)
    assert_aws_error(
        response,
        400,
        "SerializationException",
        "Expected an integer at 'applicationConfiguration.flinkApplicationConfiguration."
        "parallelismConfiguration.parallelism' but found a string",
    )
    body["ApplicationConfiguration"] = {"EnvironmentProperties": {"PropertyGroups": {"PropertyGroupId": "g"}}}
    response = post(live_server.url, "CreateApplication", body)
    assert_aws_error(
        response,
        400,
        "SerializationException",
        "Expected a list at 'applicationConfiguration.environmentProperties.propertyGroups' "
        "but found an object",
    )


# ----------------------------------------------------------------------------------------- limits


@pytest.fixture
def small_server(make_server: Any) -> LiveServer:
    server: LiveServer = make_server(max_body_bytes=4096)
    return server


def test_declared_body_over_the_limit_is_413(small_server: LiveServer) -> None:
    response = post(small_server.url, "ListApplications", b" " * 4097)
    assert_aws_error(
        response,
        413,
        "RequestEntityTooLargeException",
        "Request body of 4097 bytes exceeds the maximum of 4096 bytes this service accepts",
    )


def test_a_10_mb_body_is_refused_without_being_read(small_server: LiveServer) -> None:
    response = post(small_server.url, "ListApplications", b"{" + b" " * 10_000_000 + b"}")
    assert_aws_error(response, 413, "RequestEntityTooLargeException")


def test_streamed_body_over_the_limit_is_413(small_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"NextToken": "'
        for _ in range(64):
            yield b"a" * 1024
        yield b'"}'

    response = httpx.post(
        small_server.url + "/",
        content=chunks(),
        headers={"X-Amz-Target": target("ListApplications"), "Content-Type": JSON_1_1},
    )
    assert "content-length" not in response.request.headers
    assert_aws_error(
        response,
        413,
        "RequestEntityTooLargeException",
        "Request body exceeds the maximum of 4096 bytes this service accepts",
    )


def test_body_at_the_limit_is_read(small_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_operations(monkeypatch, ListApplications=EMPTY_LIST)
    body = b'{"Limit": 3}'
    response = post(small_server.url, "ListApplications", body + b" " * (4096 - len(body)))
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------------- response shape


def test_success_carries_request_id_and_serializes_outputs(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    detail = models.ApplicationDetail(
        ApplicationARN="arn:aws:kinesisanalytics:us-east-1:123456789012:application/a",
        ApplicationName="a",
        RuntimeEnvironment=models.RuntimeEnvironment.FLINK_1_20,
        ApplicationStatus=models.ApplicationStatus.READY,
        ApplicationVersionId=1,
        CreateTimestamp=created,
        LastUpdateTimestamp=datetime(2024, 1, 2, 3, 4, 6),  # no zone: read as UTC
    )
    stub_operations(
        monkeypatch, DescribeApplication=models.DescribeApplicationResponse(ApplicationDetail=detail)
    )
    first = post(live_server.url, "DescribeApplication", {"ApplicationName": "a"})
    second = post(live_server.url, "DescribeApplication", {"ApplicationName": "a"})
    assert first.status_code == 200
    assert first.headers["content-type"] == JSON_1_1
    assert first.headers["x-amzn-requestid"] != second.headers["x-amzn-requestid"]
    assert first.json() == {
        "ApplicationDetail": {
            "ApplicationARN": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/a",
            "ApplicationName": "a",
            "RuntimeEnvironment": "FLINK-1_20",
            "ApplicationStatus": "READY",
            "ApplicationVersionId": 1,
            "CreateTimestamp": created.timestamp(),
            "LastUpdateTimestamp": created.timestamp() + 1,
        }
    }
    described = unvalidated_client(live_server).describe_application(ApplicationName="a")["ApplicationDetail"]
    assert described["CreateTimestamp"] == created


def test_service_errors_are_mapped_with_type_message_and_headers(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = errors.ResourceNotFoundException("Application a is not found in account 123456789012")
    stub_operations(monkeypatch, DescribeApplication=missing)
    response = post(live_server.url, "DescribeApplication", {"ApplicationName": "a"})
    assert_aws_error(response, 400, "ResourceNotFoundException", missing.message)
    with pytest.raises(ClientError) as raised:
        unvalidated_client(live_server).describe_application(ApplicationName="a")
    assert raised.value.response["Error"] == {"Code": "ResourceNotFoundException", "Message": missing.message}


def test_not_implemented_operations_answer_501_naming_them(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_operations(monkeypatch)
    response = post(live_server.url, "DescribeApplication", {"ApplicationName": "a"})
    assert_aws_error(
        response,
        501,
        "NotImplementedException",
        "The operation DescribeApplication is not implemented by msf-local yet",
    )


def test_unexpected_exceptions_are_logged_500_internal_failure(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stub_operations(monkeypatch, DescribeApplication=KeyError("boom"))
    with caplog.at_level(logging.ERROR, logger="msf_local.protocol"):
        response = post(live_server.url, "DescribeApplication", {"ApplicationName": "a"})
    assert_aws_error(response, 500, "InternalFailure", "An internal error occurred")
    request_id = response.headers["x-amzn-requestid"]
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


# ------------------------------------------------------------------------------ validation via boto3


def test_validation_errors_reach_boto3_in_aws_wording(live_server: LiveServer) -> None:
    client = unvalidated_client(live_server)
    with pytest.raises(ClientError) as raised:
        client.create_application(
            ApplicationName="bad name!", RuntimeEnvironment="FLINK-1_20", ServiceExecutionRole="arn:x"
        )
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value 'bad name!' at 'applicationName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    }


def test_several_violations_are_reported_together(live_server: LiveServer) -> None:
    client = unvalidated_client(live_server)
    with pytest.raises(ClientError) as raised:
        client.create_application(
            ApplicationName="x" * 129,
            RuntimeEnvironment="FLINK-0",
            ServiceExecutionRole="arn:aws:iam::123456789012:role/r",
            Tags=[{"Key": "", "Value": "v"}],
            ApplicationConfiguration={
                "FlinkApplicationConfiguration": {
                    "ParallelismConfiguration": {"ConfigurationType": "CUSTOM", "Parallelism": 0}
                }
            },
        )
    message = raised.value.response["Error"]["Message"]
    assert message == (
        "4 validation errors detected: "
        f"Value '{'x' * 129}' at 'applicationName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128; "
        "Value 'FLINK-0' at 'runtimeEnvironment' failed to satisfy constraint: Member must satisfy enum "
        "value set: [SQL-1_0, FLINK-1_6, FLINK-1_8, ZEPPELIN-FLINK-1_0, FLINK-1_11, FLINK-1_13, "
        "ZEPPELIN-FLINK-2_0, FLINK-1_15, ZEPPELIN-FLINK-3_0, FLINK-1_18, FLINK-1_19, FLINK-1_20, "
        "FLINK-2_2, FLINK-2_3]; "
        "Value '0' at 'applicationConfiguration.flinkApplicationConfiguration.parallelismConfiguration."
        "parallelism' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_string_booleans_timestamps_blobs_and_unknown_members_are_accepted(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = stub_operations(
        monkeypatch,
        StartApplication=models.StartApplicationResponse(),
        DeleteApplication=models.DeleteApplicationResponse(),
        CreateApplication=errors.ResourceInUseException("stop here"),
    )
    start = {
        "ApplicationName": "a",
        "RunConfiguration": {"FlinkRunConfiguration": {"AllowNonRestoredState": "true"}},
        "SomethingNew": [1, {"x": None}],
    }
    assert post(live_server.url, "StartApplication", start).status_code == 200
    started = calls.requests[-1]
    assert isinstance(started, models.StartApplicationRequest)
    assert (
        started.run_configuration is not None
        and started.run_configuration.flink_run_configuration is not None
    )
    assert started.run_configuration.flink_run_configuration.allow_non_restored_state is True

    for stamp in (1704164645.25, "2024-01-02T03:04:05.25Z", "2024-01-02T03:04:05.25+00:00"):
        body = {"ApplicationName": "a", "CreateTimestamp": stamp}
        assert post(live_server.url, "DeleteApplication", body).status_code == 200
        deleted = calls.requests[-1]
        assert isinstance(deleted, models.DeleteApplicationRequest)
        assert deleted.create_timestamp == datetime(2024, 1, 2, 3, 4, 5, 250000, UTC)

    code = {
        "CodeContentType": "ZIPFILE",
        "CodeContent": {"ZipFileContent": base64.b64encode(b"PK\x03\x04").decode()},
    }
    create = create_body({"ApplicationCodeConfiguration": code})
    assert_aws_error(
        post(live_server.url, "CreateApplication", create), 400, "ResourceInUseException", "stop here"
    )
    created = calls.requests[-1]
    assert isinstance(created, models.CreateApplicationRequest)
    assert created.application_configuration is not None
    content = created.application_configuration.application_code_configuration.code_content
    assert content is not None and content.zip_file_content == b"PK\x03\x04"


# ------------------------------------------------------------------------------ identity (accept)


def test_scope_comes_from_the_signature_in_accept_mode(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = stub_operations(monkeypatch, ListApplications=EMPTY_LIST)
    live_server.client(access_key="111111111111", region="eu-west-1").list_applications()
    live_server.client(access_key="222222222222", region="us-west-2").list_applications()
    live_server.client(access_key="AKIDNOTANACCOUNT", region="ap-south-1").list_applications()
    post(live_server.url, "ListApplications")  # unsigned
    scopes = [(ctx.scope.account_id, ctx.scope.region) for ctx in calls.contexts]
    assert scopes == [
        ("111111111111", "eu-west-1"),
        ("222222222222", "us-west-2"),
        ("123456789012", "ap-south-1"),
        ("123456789012", "us-east-1"),
    ]


def test_accept_mode_takes_any_signature(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stub_operations(monkeypatch, ListApplications=EMPTY_LIST)
    forged = (
        "AWS4-HMAC-SHA256 Credential=333333333333/20000101/sa-east-1/kinesisanalytics/aws4_request, "
        "SignedHeaders=host, Signature=0000"
    )
    response = post(live_server.url, "ListApplications", b"{}", {"Authorization": forged})
    assert response.status_code == 200
    assert (calls.contexts[0].scope.account_id, calls.contexts[0].scope.region) == (
        "333333333333",
        "sa-east-1",
    )
