"""Versioned sub-resources through boto3: CloudWatch logging options, VPC, and the SQL-1_0 configuration."""

from __future__ import annotations

from typing import Any

from tests.api.app_helpers import aws_error, create_flink, create_sql, describe, log_stream

KINESIS_INPUT = {
    "NamePrefix": "SOURCE_SQL_STREAM",
    "KinesisStreamsInput": {"ResourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/in"},
    "InputParallelism": {"Count": 2},
    "InputSchema": {
        "RecordFormat": {
            "RecordFormatType": "JSON",
            "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
        },
        "RecordColumns": [{"Name": "ticker", "SqlType": "VARCHAR(4)", "Mapping": "$.ticker"}],
    },
}
LAMBDA = {"InputLambdaProcessor": {"ResourceARN": "arn:aws:lambda:us-east-1:123456789012:function:pre"}}
OUTPUT = {
    "Name": "DESTINATION_SQL_STREAM",
    "KinesisStreamsOutput": {"ResourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/out"},
    "DestinationSchema": {"RecordFormatType": "JSON"},
}
REFERENCE = {
    "TableName": "COMPANIES",
    "S3ReferenceDataSource": {"BucketARN": "arn:aws:s3:::ref", "FileKey": "companies.csv"},
    "ReferenceSchema": {
        "RecordFormat": {
            "RecordFormatType": "CSV",
            "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}
            },
        },
        "RecordColumns": [{"Name": "ticker", "SqlType": "VARCHAR(4)"}],
    },
}
VPC = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}


def test_logging_options_are_versioned_with_version_ids(kav2: Any) -> None:
    create_flink(kav2, "app", CloudWatchLoggingOptions=[{"LogStreamARN": log_stream("first")}])
    added = kav2.add_application_cloud_watch_logging_option(
        ApplicationName="app",
        CurrentApplicationVersionId=1,
        CloudWatchLoggingOption={"LogStreamARN": log_stream("second")},
    )
    assert added["ApplicationVersionId"] == 2
    assert added["CloudWatchLoggingOptionDescriptions"] == [
        {"CloudWatchLoggingOptionId": "1.1", "LogStreamARN": log_stream("first")},
        {"CloudWatchLoggingOptionId": "2.1", "LogStreamARN": log_stream("second")},
    ]
    operation = kav2.describe_application_operation(ApplicationName="app", OperationId=added["OperationId"])
    assert (
        operation["ApplicationOperationInfoDetails"]["Operation"] == "AddApplicationCloudWatchLoggingOption"
    )
    assert operation["ApplicationOperationInfoDetails"]["OperationStatus"] == "SUCCESSFUL"
    token = describe(kav2, "app")["ConditionalToken"]
    deleted = kav2.delete_application_cloud_watch_logging_option(
        ApplicationName="app", ConditionalToken=token, CloudWatchLoggingOptionId="1.1"
    )
    assert deleted["ApplicationVersionId"] == 3
    assert deleted["CloudWatchLoggingOptionDescriptions"] == [
        {"CloudWatchLoggingOptionId": "2.1", "LogStreamARN": log_stream("second")}
    ]
    assert (
        describe(kav2, "app")["CloudWatchLoggingOptionDescriptions"]
        == deleted["CloudWatchLoggingOptionDescriptions"]
    )


def test_logging_option_errors(kav2: Any) -> None:
    create_flink(kav2, "app", CloudWatchLoggingOptions=[{"LogStreamARN": log_stream("first")}])
    with aws_error("InvalidArgumentException", "Either CurrentApplicationVersionId or ConditionalToken"):
        kav2.add_application_cloud_watch_logging_option(
            ApplicationName="app", CloudWatchLoggingOption={"LogStreamARN": log_stream("x")}
        )
    with aws_error("InvalidArgumentException", "already exists"):
        kav2.add_application_cloud_watch_logging_option(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            CloudWatchLoggingOption={"LogStreamARN": log_stream("first")},
        )
    with aws_error("InvalidArgumentException", "Invalid log stream ARN"):
        kav2.add_application_cloud_watch_logging_option(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            CloudWatchLoggingOption={"LogStreamARN": "arn:aws:s3:::not-a-log-stream"},
        )
    with aws_error("ConcurrentModificationException", "version 7 is not the current version (1)"):
        kav2.delete_application_cloud_watch_logging_option(
            ApplicationName="app", CurrentApplicationVersionId=7, CloudWatchLoggingOptionId="1.1"
        )
    with aws_error("ResourceNotFoundException", "CloudWatch logging option with id 4.4 does not exist"):
        kav2.delete_application_cloud_watch_logging_option(
            ApplicationName="app", CurrentApplicationVersionId=1, CloudWatchLoggingOptionId="4.4"
        )
    with aws_error("ResourceNotFoundException", "Application ghost is not found"):
        kav2.delete_application_cloud_watch_logging_option(
            ApplicationName="ghost", CurrentApplicationVersionId=1, CloudWatchLoggingOptionId="1.1"
        )
    assert describe(kav2, "app")["ApplicationVersionId"] == 1


def test_vpc_configuration_add_and_delete(kav2: Any) -> None:
    create_flink(kav2, "app")
    added = kav2.add_application_vpc_configuration(
        ApplicationName="app", CurrentApplicationVersionId=1, VpcConfiguration=VPC
    )
    assert added["ApplicationVersionId"] == 2
    description = added["VpcConfigurationDescription"]
    assert description["VpcConfigurationId"] == "2.1"
    assert description["VpcId"].startswith("vpc-")
    assert description["SubnetIds"] == VPC["SubnetIds"]
    detail = describe(kav2, "app")
    assert detail["ApplicationConfigurationDescription"]["VpcConfigurationDescriptions"] == [description]
    with aws_error("InvalidArgumentException", "supports only 1 VPC configuration(s)"):
        kav2.add_application_vpc_configuration(
            ApplicationName="app", CurrentApplicationVersionId=2, VpcConfiguration=VPC
        )
    with aws_error("ResourceNotFoundException", "VPC configuration with id 9.1 does not exist"):
        kav2.delete_application_vpc_configuration(
            ApplicationName="app", CurrentApplicationVersionId=2, VpcConfigurationId="9.1"
        )
    deleted = kav2.delete_application_vpc_configuration(
        ApplicationName="app", ConditionalToken=detail["ConditionalToken"], VpcConfigurationId="2.1"
    )
    assert deleted["ApplicationVersionId"] == 3
    assert deleted["OperationId"]
    assert "VpcConfigurationDescriptions" not in describe(kav2, "app")["ApplicationConfigurationDescription"]


def test_vpc_is_not_for_sql_applications(kav2: Any) -> None:
    create_sql(kav2, "sql")
    with aws_error("InvalidArgumentException", "AddApplicationVpcConfiguration is not supported for SQL-1_0"):
        kav2.add_application_vpc_configuration(
            ApplicationName="sql", CurrentApplicationVersionId=1, VpcConfiguration=VPC
        )


def test_sql_inputs_outputs_and_references(kav2: Any) -> None:
    create_sql(kav2, "sql")
    added = kav2.add_application_input(
        ApplicationName="sql", CurrentApplicationVersionId=1, Input=KINESIS_INPUT
    )
    assert added["ApplicationVersionId"] == 2
    [described_input] = added["InputDescriptions"]
    assert described_input["InputId"] == "2.1"
    assert described_input["InAppStreamNames"] == ["SOURCE_SQL_STREAM_001", "SOURCE_SQL_STREAM_002"]
    assert described_input["KinesisStreamsInputDescription"] == KINESIS_INPUT["KinesisStreamsInput"]
    assert described_input["InputSchema"] == KINESIS_INPUT["InputSchema"]

    processing = kav2.add_application_input_processing_configuration(
        ApplicationName="sql",
        CurrentApplicationVersionId=2,
        InputId="2.1",
        InputProcessingConfiguration=LAMBDA,
    )
    assert processing["ApplicationVersionId"] == 3
    assert processing["InputProcessingConfigurationDescription"] == {
        "InputLambdaProcessorDescription": LAMBDA["InputLambdaProcessor"]
    }
    output = kav2.add_application_output(ApplicationName="sql", CurrentApplicationVersionId=3, Output=OUTPUT)
    assert output["ApplicationVersionId"] == 4
    assert output["OutputDescriptions"][0]["OutputId"] == "4.1"
    assert (
        output["OutputDescriptions"][0]["KinesisStreamsOutputDescription"] == OUTPUT["KinesisStreamsOutput"]
    )
    reference = kav2.add_application_reference_data_source(
        ApplicationName="sql", CurrentApplicationVersionId=4, ReferenceDataSource=REFERENCE
    )
    assert reference["ApplicationVersionId"] == 5
    [described_reference] = reference["ReferenceDataSourceDescriptions"]
    assert described_reference["ReferenceId"] == "5.1"
    assert described_reference["S3ReferenceDataSourceDescription"] == REFERENCE["S3ReferenceDataSource"]

    sql = describe(kav2, "sql")["ApplicationConfigurationDescription"][
        "SqlApplicationConfigurationDescription"
    ]
    assert sql["InputDescriptions"][0]["InputProcessingConfigurationDescription"]
    assert [item["OutputId"] for item in sql["OutputDescriptions"]] == ["4.1"]

    updated = kav2.update_application(
        ApplicationName="sql",
        CurrentApplicationVersionId=5,
        ApplicationConfigurationUpdate={
            "SqlApplicationConfigurationUpdate": {
                "InputUpdates": [
                    {
                        "InputId": "2.1",
                        "NamePrefixUpdate": "RENAMED",
                        "InputParallelismUpdate": {"CountUpdate": 1},
                        "KinesisFirehoseInputUpdate": {
                            "ResourceARNUpdate": "arn:aws:firehose:us-east-1:123456789012:deliverystream/f"
                        },
                    }
                ],
                "OutputUpdates": [
                    {"OutputId": "4.1", "DestinationSchemaUpdate": {"RecordFormatType": "CSV"}}
                ],
            }
        },
    )["ApplicationDetail"]
    sql = updated["ApplicationConfigurationDescription"]["SqlApplicationConfigurationDescription"]
    [renamed] = sql["InputDescriptions"]
    assert renamed["NamePrefix"] == "RENAMED"
    assert renamed["InAppStreamNames"] == ["RENAMED_001"]
    assert renamed["KinesisFirehoseInputDescription"] == {
        "ResourceARN": "arn:aws:firehose:us-east-1:123456789012:deliverystream/f"
    }
    assert "KinesisStreamsInputDescription" not in renamed
    assert sql["OutputDescriptions"][0]["DestinationSchema"] == {"RecordFormatType": "CSV"}

    kav2.delete_application_input_processing_configuration(
        ApplicationName="sql", CurrentApplicationVersionId=6, InputId="2.1"
    )
    kav2.delete_application_output(ApplicationName="sql", CurrentApplicationVersionId=7, OutputId="4.1")
    last = kav2.delete_application_reference_data_source(
        ApplicationName="sql", CurrentApplicationVersionId=8, ReferenceId="5.1"
    )
    assert last["ApplicationVersionId"] == 9
    sql = describe(kav2, "sql")["ApplicationConfigurationDescription"][
        "SqlApplicationConfigurationDescription"
    ]
    assert "InputProcessingConfigurationDescription" not in sql["InputDescriptions"][0]
    assert sql["OutputDescriptions"] == []
    assert sql["ReferenceDataSourceDescriptions"] == []


def test_sql_operation_errors(kav2: Any) -> None:
    create_sql(kav2, "sql")
    create_flink(kav2, "flink")
    with aws_error("InvalidArgumentException", "AddApplicationInput is supported only for SQL-1_0"):
        kav2.add_application_input(
            ApplicationName="flink", CurrentApplicationVersionId=1, Input=KINESIS_INPUT
        )
    with aws_error("ConcurrentModificationException", "version 3 is not the current version (1)"):
        kav2.add_application_output(ApplicationName="sql", CurrentApplicationVersionId=3, Output=OUTPUT)
    with aws_error("InvalidArgumentException", "exactly one of KinesisStreamsOutput"):
        kav2.add_application_output(
            ApplicationName="sql",
            CurrentApplicationVersionId=1,
            Output={"Name": "X", "DestinationSchema": {"RecordFormatType": "JSON"}},
        )
    with aws_error("ResourceNotFoundException", "Input with id 1.1 does not exist"):
        kav2.add_application_input_processing_configuration(
            ApplicationName="sql",
            CurrentApplicationVersionId=1,
            InputId="1.1",
            InputProcessingConfiguration=LAMBDA,
        )
    with aws_error("ResourceNotFoundException", "Output with id 2.1 does not exist"):
        kav2.delete_application_output(ApplicationName="sql", CurrentApplicationVersionId=1, OutputId="2.1")
    with aws_error("ResourceNotFoundException", "Reference data source with id 2.1 does not exist"):
        kav2.delete_application_reference_data_source(
            ApplicationName="sql", CurrentApplicationVersionId=1, ReferenceId="2.1"
        )
    kav2.add_application_input(ApplicationName="sql", CurrentApplicationVersionId=1, Input=KINESIS_INPUT)
    with aws_error("InvalidArgumentException", "only one streaming input"):
        kav2.add_application_input(ApplicationName="sql", CurrentApplicationVersionId=2, Input=KINESIS_INPUT)
    with aws_error("ResourceNotFoundException", "Input 2.1 has no input processing configuration"):
        kav2.delete_application_input_processing_configuration(
            ApplicationName="sql", CurrentApplicationVersionId=2, InputId="2.1"
        )
    assert describe(kav2, "sql")["ApplicationVersionId"] == 2


def test_sql_application_created_with_inputs(kav2: Any) -> None:
    detail = create_sql(
        kav2,
        "sql",
        ApplicationConfiguration={
            "SqlApplicationConfiguration": {
                "Inputs": [KINESIS_INPUT],
                "Outputs": [OUTPUT],
                "ReferenceDataSources": [REFERENCE],
            }
        },
    )
    sql = detail["ApplicationConfigurationDescription"]["SqlApplicationConfigurationDescription"]
    assert sql["InputDescriptions"][0]["InputId"] == "1.1"
    assert sql["OutputDescriptions"][0]["OutputId"] == "1.1"
    assert sql["ReferenceDataSourceDescriptions"][0]["ReferenceId"] == "1.1"
