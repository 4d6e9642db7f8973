"""CloudFormation through the same endpoint (boto3): the KinesisAnalyticsV2 resource types provision
msf-local's own applications, visible through kinesisanalyticsv2 at every step."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LiveServer

TEMPLATES = Path(__file__).resolve().parents[1] / "clients" / "cloudformation"
ACCOUNT = "123456789012"


def outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def sql_description(kav2: Any, name: str) -> dict[str, Any]:
    detail = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
    described: dict[str, Any] = detail["ApplicationConfigurationDescription"][
        "SqlApplicationConfigurationDescription"
    ]
    return described


def test_sql_application_with_output_and_reference_data_source(live_server: LiveServer) -> None:
    cloudformation = live_server.client("cloudformation", access_key=ACCOUNT)
    kav2 = live_server.client(access_key=ACCOUNT)
    stack = f"sql-{uuid.uuid4().hex[:8]}"
    parameters = [
        {
            "ParameterKey": "OutputStreamArn",
            "ParameterValue": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/out",
        },
        {"ParameterKey": "ReferenceBucket", "ParameterValue": "reference-data"},
    ]
    template = (TEMPLATES / "sql-application.yaml").read_text()
    cloudformation.create_stack(StackName=stack, TemplateBody=template, Parameters=parameters)
    found = outputs(cloudformation, stack)
    name = found["ApplicationName"]
    assert name == f"{stack}-sql"
    sql = sql_description(kav2, name)
    (output,) = sql["OutputDescriptions"]
    (reference,) = sql["ReferenceDataSourceDescriptions"]
    assert found["OutputId"] == found["OutputRef"] == output["OutputId"]
    assert found["ReferenceId"] == reference["ReferenceId"]
    assert output["KinesisStreamsOutputDescription"]["ResourceARN"].endswith(":stream/out")
    assert reference["S3ReferenceDataSourceDescription"]["FileKey"] == "companies.csv"
    assert kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"] == 3

    parameters[0]["ParameterValue"] = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/other"
    parameters.append({"ParameterKey": "ReferenceKey", "ParameterValue": "companies-v2.csv"})
    cloudformation.update_stack(StackName=stack, TemplateBody=template, Parameters=parameters)
    sql = sql_description(kav2, name)
    (output,) = sql["OutputDescriptions"]
    (reference,) = sql["ReferenceDataSourceDescriptions"]
    assert output["OutputId"] == found["OutputId"]  # updated in place, not replaced
    assert output["KinesisStreamsOutputDescription"]["ResourceARN"].endswith(":stream/other")
    assert reference["ReferenceId"] == found["ReferenceId"]
    assert reference["S3ReferenceDataSourceDescription"]["FileKey"] == "companies-v2.csv"

    cloudformation.delete_stack(StackName=stack)
    with pytest.raises(ClientError) as raised:
        kav2.describe_application(ApplicationName=name)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


REFUSED = {
    "the API refuses it": (
        "ApplicationName: not-interactive\n      RuntimeEnvironment: FLINK-1_20\n"
        "      ApplicationMode: INTERACTIVE",
        "Resource App failed: InvalidArgumentException",
    ),
    "a value of the wrong type": (
        "ApplicationName: not-interactive\n      RuntimeEnvironment: FLINK-1_20\n"
        "      ApplicationConfiguration:\n        ApplicationSnapshotConfiguration:\n"
        "          SnapshotsEnabled: maybe",
        "ApplicationConfiguration.ApplicationSnapshotConfiguration.SnapshotsEnabled must be true or false",
    ),
    "a required property missing": (
        "ApplicationName: not-interactive",
        "Resource App failed: ValidationException",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_application_that_cannot_be_made_fails_the_stack_call_naming_why(
    live_server: LiveServer, case: str
) -> None:
    properties, message = REFUSED[case]
    cloudformation = live_server.client("cloudformation", access_key=ACCOUNT)
    template = f"""
Resources:
  App:
    Type: AWS::KinesisAnalyticsV2::Application
    Properties:
      ServiceExecutionRole: arn:aws:iam::123456789012:role/r
      {properties}
"""
    with pytest.raises(ClientError) as raised:
        cloudformation.create_stack(StackName=f"bad-{uuid.uuid4().hex[:8]}", TemplateBody=template)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert message in error["Message"]
    with pytest.raises(ClientError):
        live_server.client(access_key=ACCOUNT).describe_application(ApplicationName="not-interactive")


def test_get_att_of_an_attribute_the_schema_does_not_have_is_a_template_error(
    live_server: LiveServer,
) -> None:
    cloudformation = live_server.client("cloudformation", access_key=ACCOUNT)
    template = """
Resources:
  App:
    Type: AWS::KinesisAnalyticsV2::Application
    Properties:
      RuntimeEnvironment: SQL-1_0
      ServiceExecutionRole: arn:aws:iam::123456789012:role/r
Outputs:
  Arn:
    Value: !GetAtt App.Arn
"""
    with pytest.raises(ClientError) as raised:
        cloudformation.create_stack(StackName=f"getatt-{uuid.uuid4().hex[:8]}", TemplateBody=template)
    assert "Arn" in raised.value.response["Error"]["Message"]
