"""The SQL-1_0 application that carries the SQL-only operations."""

from __future__ import annotations

from app.clients.story.demo import DETAIL, ROLE, SQL_APP
from app.clients.story.model import Folder, Step, Var, change, equals, equals_var

RECORD_COLUMNS = [
    {"Name": "TICKER", "Mapping": "$.ticker", "SqlType": "VARCHAR(4)"},
    {"Name": "PRICE", "Mapping": "$.price", "SqlType": "DOUBLE"},
]
SQL_VERSION = "sqlApplicationVersionId"
SQL_APPLICATIONS = Folder(
    "SQL applications",
    "A SQL-1_0 application with an input, an input processor, an output and reference data.",
    (
        Step(
            name="CreateApplication (SQL-1_0)",
            operation="CreateApplication",
            body={
                "ApplicationName": SQL_APP,
                "RuntimeEnvironment": "SQL-1_0",
                "ServiceExecutionRole": ROLE,
                "ApplicationConfiguration": {
                    "ApplicationCodeConfiguration": {
                        "CodeContent": {
                            "TextContent": 'CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" '
                            "(TICKER VARCHAR(4), PRICE DOUBLE);"
                        },
                        "CodeContentType": "PLAINTEXT",
                    }
                },
            },
            checks=(
                equals(f"{DETAIL}.ApplicationStatus", "READY"),
                equals(f"{DETAIL}.ApplicationVersionId", 1),
            ),
            captures={
                SQL_VERSION: f"body.{DETAIL}.ApplicationVersionId",
                "sqlCreateTimestamp": f"body.{DETAIL}.CreateTimestamp",
            },
        ),
        change(
            "AddApplicationInput",
            SQL_APP,
            SQL_VERSION,
            {
                "Input": {
                    "NamePrefix": "SOURCE_SQL_STREAM",
                    "KinesisStreamsInput": {
                        "ResourceARN": "arn:aws:kinesis:{{region}}:{{accountId}}:stream/ticker"
                    },
                    "InputParallelism": {"Count": 1},
                    "InputSchema": {
                        "RecordFormat": {
                            "RecordFormatType": "JSON",
                            "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
                        },
                        "RecordEncoding": "UTF-8",
                        "RecordColumns": RECORD_COLUMNS,
                    },
                },
            },
            checks=(equals("InputDescriptions[0].InAppStreamNames", ["SOURCE_SQL_STREAM_001"]),),
            captures={"inputId": "body.InputDescriptions[0].InputId"},
        ),
        change(
            "AddApplicationInputProcessingConfiguration",
            SQL_APP,
            SQL_VERSION,
            {
                "InputId": "{{inputId}}",
                "InputProcessingConfiguration": {
                    "InputLambdaProcessor": {
                        "ResourceARN": "arn:aws:lambda:{{region}}:{{accountId}}:function:enrich-ticker"
                    }
                },
            },
            checks=(equals_var("InputId", "inputId"),),
        ),
        change(
            "DeleteApplicationInputProcessingConfiguration",
            SQL_APP,
            SQL_VERSION,
            {
                "InputId": "{{inputId}}",
            },
        ),
        change(
            "AddApplicationOutput",
            SQL_APP,
            SQL_VERSION,
            {
                "Output": {
                    "Name": "DESTINATION_SQL_STREAM",
                    "KinesisStreamsOutput": {
                        "ResourceARN": "arn:aws:kinesis:{{region}}:{{accountId}}:stream/ticker-averages"
                    },
                    "DestinationSchema": {"RecordFormatType": "JSON"},
                },
            },
            captures={"outputId": "body.OutputDescriptions[0].OutputId"},
        ),
        change(
            "DeleteApplicationOutput",
            SQL_APP,
            SQL_VERSION,
            {
                "OutputId": "{{outputId}}",
            },
        ),
        change(
            "AddApplicationReferenceDataSource",
            SQL_APP,
            SQL_VERSION,
            {
                "ReferenceDataSource": {
                    "TableName": "COMPANY",
                    "S3ReferenceDataSource": {
                        "BucketARN": "arn:aws:s3:::msf-demo-reference",
                        "FileKey": "companies.csv",
                    },
                    "ReferenceSchema": {
                        "RecordFormat": {
                            "RecordFormatType": "CSV",
                            "MappingParameters": {
                                "CSVMappingParameters": {
                                    "RecordRowDelimiter": "\n",
                                    "RecordColumnDelimiter": ",",
                                }
                            },
                        },
                        "RecordColumns": [
                            {"Name": "TICKER", "SqlType": "VARCHAR(4)"},
                            {"Name": "COMPANY", "SqlType": "VARCHAR(64)"},
                        ],
                    },
                },
            },
            captures={"referenceId": "body.ReferenceDataSourceDescriptions[0].ReferenceId"},
        ),
        change(
            "DeleteApplicationReferenceDataSource",
            SQL_APP,
            SQL_VERSION,
            {
                "ReferenceId": "{{referenceId}}",
            },
        ),
        Step(
            name="DiscoverInputSchema (no sample data)",
            operation="DiscoverInputSchema",
            description="The reference file does not exist, so there is nothing to sample.",
            body={
                "ServiceExecutionRole": ROLE,
                "S3Configuration": {
                    "BucketARN": "arn:aws:s3:::msf-demo-reference",
                    "FileKey": "companies.csv",
                },
            },
            error="InvalidArgumentException",
        ),
        Step(
            name="DeleteApplication (SQL-1_0)",
            operation="DeleteApplication",
            body={"ApplicationName": SQL_APP, "CreateTimestamp": Var("sqlCreateTimestamp")},
        ),
    ),
)
