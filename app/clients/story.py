"""The walk through the API that the Postman collection runs, and the example bodies the OpenAPI shows.

One Flink application is created, described, updated, given and relieved of configuration options,
tagged, its versions listed, then deleted; a SQL-1_0 application carries the SQL-only operations.
Requests that cannot succeed in this story (the application is never started, since msf-local would
really run it) assert the exact AWS error instead.

Bodies are JSON-like values in which ``{{name}}`` inside a string is a Postman variable and a
``Var("name")`` value is a variable whose value is a JSON number (written without quotes).
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Var:
    """A Postman variable holding a number; rendered unquoted in the raw JSON body."""

    name: str


@dataclass(frozen=True)
class Check:
    """One Postman test: a title and a chai assertion over ``body`` (the parsed response)."""

    title: str
    assertion: str


@dataclass(frozen=True)
class Step:
    """One request of the walk: which operation, with what body, and what the answer must be.

    ``error`` names the AWS error the request must fail with (HTTP 400); otherwise it must succeed
    and pass ``checks``. ``captures`` store response values (JS expressions over ``body``) in
    collection variables for later requests. ``pending`` marks operations that are outside the
    control-plane foundation: until they are implemented, a 501 ``NotImplementedException`` is
    accepted in place of the expected answer.
    """

    name: str
    operation: str
    body: dict[str, Any]
    checks: tuple[Check, ...] = ()
    error: str | None = None
    captures: dict[str, str] = field(default_factory=dict)
    prerequest: tuple[str, ...] = ()
    pending: bool = False
    description: str = ""


@dataclass(frozen=True)
class Folder:
    """A Postman folder: one resource family's requests, in the order the walk runs them."""

    name: str
    description: str
    steps: tuple[Step, ...]


def js(value: Any) -> str:
    """A Python value as a JavaScript literal; ``Var`` reads the (numeric) collection variable."""
    if isinstance(value, Var):
        return f'Number(pm.collectionVariables.get("{value.name}"))'
    return json.dumps(value)


def var(name: str) -> str:
    """JavaScript reading a string variable (collection variable, environment or default)."""
    return f'pm.variables.get("{name}")'


def equals(expression: str, expected: Any, title: str | None = None) -> Check:
    """``body.<expression>`` deep-equals ``expected``."""
    return Check(
        title or f"{expression} is {js(expected)}", f"pm.expect(body.{expression}).to.eql({js(expected)})"
    )


def equals_var(expression: str, name: str) -> Check:
    """``body.<expression>`` equals the string variable ``name``."""
    return Check(f"{expression} is {{{{{name}}}}}", f"pm.expect(body.{expression}).to.eql({var(name)})")


def next_version(expression: str, counter: str) -> Check:
    """``body.<expression>`` is one more than the version stored in ``counter`` (which is then updated)."""
    return Check(
        f"{expression} is the previous version + 1",
        f"pm.expect(body.{expression}).to.eql({js(Var(counter))} + 1)",
    )


def is_number(expression: str) -> Check:
    """``body.<expression>`` is a JSON number (timestamps are epoch seconds)."""
    return Check(f"{expression} is a number", f"pm.expect(body.{expression}).to.be.a('number')")


def is_empty(expression: str) -> Check:
    """``body.<expression>`` is absent or an empty list."""
    return Check(f"{expression} is empty", f"pm.expect(body.{expression} || []).to.be.empty")


def names(list_expression: str, member: str) -> str:
    """JavaScript mapping a response list to one member of each item."""
    return f"(body.{list_expression} || []).map(function (item) {{ return item.{member}; }})"


def change(
    operation: str,
    application: str,
    counter: str,
    body: dict[str, Any],
    checks: tuple[Check, ...] = (),
    captures: dict[str, str] | None = None,
) -> Step:
    """A configuration change: it names the version in ``counter`` and must make the next one."""
    return Step(
        name=operation,
        operation=operation,
        body={"ApplicationName": application, "CurrentApplicationVersionId": Var(counter), **body},
        checks=(next_version("ApplicationVersionId", counter), *checks),
        captures={counter: "body.ApplicationVersionId", **(captures or {})},
    )


APP = "{{applicationName}}"
SQL_APP = "{{applicationName}}-sql"
ROLE = "arn:aws:iam::{{accountId}}:role/msf-demo-role"
DETAIL = "ApplicationDetail"


def _demo_code() -> str:
    """The demo application's code: a one-file zip (fixed timestamp), base64 as ZipFileContent travels."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("main.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, "print('the demo application is never started')\n")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


DEMO_CODE = _demo_code()
FLINK_DESCRIPTION = f"{DETAIL}.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription"

CREATE_APPLICATION = Step(
    name="CreateApplication",
    operation="CreateApplication",
    description="Creates a Flink application (the AWS documentation's checkpointing example, seed 000). "
    "Its name is made unique for each run. The code travels inline (ZipFileContent, base64): an "
    "S3ContentLocation is read when the application is created, so its object would have to exist.",
    prerequest=('pm.collectionVariables.set("applicationName", "postman-demo-" + Date.now());',),
    body={
        "ApplicationName": APP,
        "ApplicationDescription": "Counts words read from a Kinesis data stream",
        "RuntimeEnvironment": "FLINK-1_20",
        "ServiceExecutionRole": ROLE,
        "ApplicationConfiguration": {
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": DEMO_CODE},
                "CodeContentType": "ZIPFILE",
            },
            "FlinkApplicationConfiguration": {
                "CheckpointConfiguration": {
                    "CheckpointingEnabled": "true",
                    "CheckpointInterval": 20000,
                    "ConfigurationType": "CUSTOM",
                    "MinPauseBetweenCheckpoints": 10000,
                }
            },
            "EnvironmentProperties": {
                "PropertyGroups": [
                    {
                        "PropertyGroupId": "kinesis.analytics.flink.run.options",
                        "PropertyMap": {"python": "main.py"},
                    }
                ]
            },
        },
        "Tags": [{"Key": "team", "Value": "data-platform"}],
    },
    checks=(
        equals_var(f"{DETAIL}.ApplicationName", "applicationName"),
        equals(f"{DETAIL}.ApplicationStatus", "READY"),
        equals(f"{DETAIL}.ApplicationVersionId", 1),
        equals(f"{DETAIL}.RuntimeEnvironment", "FLINK-1_20"),
        is_number(f"{DETAIL}.CreateTimestamp"),
        equals(f"{FLINK_DESCRIPTION}.CheckpointConfigurationDescription.CheckpointInterval", 20000),
    ),
    captures={
        "applicationArn": f"body.{DETAIL}.ApplicationARN",
        "createTimestamp": f"body.{DETAIL}.CreateTimestamp",
        "applicationVersionId": f"body.{DETAIL}.ApplicationVersionId",
    },
)

APPLICATIONS = Folder(
    "Applications",
    "Create, describe, list and update the demo application.",
    (
        CREATE_APPLICATION,
        Step(
            name="DescribeApplication",
            operation="DescribeApplication",
            body={"ApplicationName": APP},
            checks=(
                equals(f"{DETAIL}.ApplicationStatus", "READY"),
                equals_var(f"{DETAIL}.ApplicationARN", "applicationArn"),
                equals(f"{FLINK_DESCRIPTION}.CheckpointConfigurationDescription.ConfigurationType", "CUSTOM"),
                equals(f"{FLINK_DESCRIPTION}.CheckpointConfigurationDescription.CheckpointingEnabled", True),
                equals(f"{FLINK_DESCRIPTION}.ParallelismConfigurationDescription.Parallelism", 1),
                equals(f"{FLINK_DESCRIPTION}.MonitoringConfigurationDescription.MetricsLevel", "APPLICATION"),
            ),
        ),
        Step(
            name="ListApplications",
            operation="ListApplications",
            body={"Limit": 50},
            checks=(
                Check(
                    "ApplicationSummaries include the demo application (when they fit on one page)",
                    f"if (!body.NextToken) pm.expect({names('ApplicationSummaries', 'ApplicationName')})"
                    f".to.include({var('applicationName')})",
                ),
                Check(
                    "every summary names its status and version",
                    "(body.ApplicationSummaries || []).forEach(function (item) { "
                    "pm.expect(item.ApplicationStatus).to.be.a('string'); "
                    "pm.expect(item.ApplicationVersionId).to.be.a('number'); })",
                ),
            ),
        ),
        Step(
            name="UpdateApplication",
            operation="UpdateApplication",
            description="Turns checkpointing off (seed 000's UpdateApplication example), sets parallelism.",
            body={
                "ApplicationName": APP,
                "CurrentApplicationVersionId": Var("applicationVersionId"),
                "ApplicationConfigurationUpdate": {
                    "FlinkApplicationConfigurationUpdate": {
                        "CheckpointConfigurationUpdate": {
                            "CheckpointingEnabledUpdate": False,
                            "CheckpointIntervalUpdate": 20000,
                            "ConfigurationTypeUpdate": "CUSTOM",
                            "MinPauseBetweenCheckpointsUpdate": 10000,
                        },
                        "ParallelismConfigurationUpdate": {
                            "ConfigurationTypeUpdate": "CUSTOM",
                            "ParallelismUpdate": 2,
                            "ParallelismPerKPUUpdate": 1,
                            "AutoScalingEnabledUpdate": False,
                        },
                    }
                },
            },
            checks=(
                next_version(f"{DETAIL}.ApplicationVersionId", "applicationVersionId"),
                equals(f"{DETAIL}.ApplicationVersionUpdatedFrom", Var("applicationVersionId")),
                equals(f"{FLINK_DESCRIPTION}.CheckpointConfigurationDescription.CheckpointingEnabled", False),
                equals(f"{FLINK_DESCRIPTION}.ParallelismConfigurationDescription.Parallelism", 2),
            ),
            captures={
                "applicationVersionId": f"body.{DETAIL}.ApplicationVersionId",
                "conditionalToken": f"body.{DETAIL}.ConditionalToken",
                "operationId": "body.OperationId",
            },
        ),
        Step(
            name="UpdateApplicationMaintenanceConfiguration",
            operation="UpdateApplicationMaintenanceConfiguration",
            body={
                "ApplicationName": APP,
                "ApplicationMaintenanceConfigurationUpdate": {
                    "ApplicationMaintenanceWindowStartTimeUpdate": "03:00"
                },
            },
            checks=(
                equals_var("ApplicationARN", "applicationArn"),
                equals(
                    "ApplicationMaintenanceConfigurationDescription.ApplicationMaintenanceWindowStartTime",
                    "03:00",
                ),
            ),
        ),
        Step(
            name="CreateApplicationPresignedUrl (application not running)",
            operation="CreateApplicationPresignedUrl",
            description="The Flink dashboard exists only while the application runs.",
            body={
                "ApplicationName": APP,
                "UrlType": "FLINK_DASHBOARD_URL",
                "SessionExpirationDurationInSeconds": 1800,
            },
            error="ResourceInUseException",
        ),
    ),
)

CONFIGURATION_OPTIONS = Folder(
    "Configuration options",
    "Add and delete a CloudWatch logging option and a VPC configuration; each change is a new version.",
    (
        Step(
            name="AddApplicationCloudWatchLoggingOption",
            operation="AddApplicationCloudWatchLoggingOption",
            description="Uses the ConditionalToken of the last update instead of the version id.",
            body={
                "ApplicationName": APP,
                "ConditionalToken": "{{conditionalToken}}",
                "CloudWatchLoggingOption": {
                    "LogStreamARN": "arn:aws:logs:{{region}}:{{accountId}}:log-group:/msf/demo:log-stream:app"
                },
            },
            checks=(
                equals_var("ApplicationARN", "applicationArn"),
                next_version("ApplicationVersionId", "applicationVersionId"),
                equals("CloudWatchLoggingOptionDescriptions.length", 1),
            ),
            captures={
                "applicationVersionId": "body.ApplicationVersionId",
                "cloudWatchLoggingOptionId": (
                    "body.CloudWatchLoggingOptionDescriptions[0].CloudWatchLoggingOptionId"
                ),
            },
        ),
        change(
            "DeleteApplicationCloudWatchLoggingOption",
            APP,
            "applicationVersionId",
            {
                "CloudWatchLoggingOptionId": "{{cloudWatchLoggingOptionId}}",
            },
            checks=(is_empty("CloudWatchLoggingOptionDescriptions"),),
        ),
        change(
            "AddApplicationVpcConfiguration",
            APP,
            "applicationVersionId",
            {
                "VpcConfiguration": {
                    "SubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
                    "SecurityGroupIds": ["sg-0a1b2c3d4e5f60001"],
                },
            },
            checks=(equals("VpcConfigurationDescription.SecurityGroupIds", ["sg-0a1b2c3d4e5f60001"]),),
            captures={"vpcConfigurationId": "body.VpcConfigurationDescription.VpcConfigurationId"},
        ),
        change(
            "DeleteApplicationVpcConfiguration",
            APP,
            "applicationVersionId",
            {
                "VpcConfigurationId": "{{vpcConfigurationId}}",
            },
        ),
    ),
)

TAGS = Folder(
    "Tags",
    "Tag the application, remove one tag and list what is left.",
    (
        Step(
            name="TagResource",
            operation="TagResource",
            body={
                "ResourceARN": "{{applicationArn}}",
                "Tags": [{"Key": "env", "Value": "dev"}, {"Key": "cost-center", "Value": "1234"}],
            },
        ),
        Step(
            name="UntagResource",
            operation="UntagResource",
            body={"ResourceARN": "{{applicationArn}}", "TagKeys": ["cost-center"]},
        ),
        Step(
            name="ListTagsForResource",
            operation="ListTagsForResource",
            body={"ResourceARN": "{{applicationArn}}"},
            checks=(
                Check(
                    "the tags are team and env",
                    f'pm.expect({names("Tags", "Key")}.sort()).to.eql(["env", "team"])',
                ),
            ),
        ),
    ),
)

VERSIONS = Folder(
    "Versions and operations",
    "Every configuration change above made a version; UpdateApplication recorded an operation.",
    (
        Step(
            name="ListApplicationVersions",
            operation="ListApplicationVersions",
            body={"ApplicationName": APP, "Limit": 50},
            checks=(
                Check(
                    "versions 1 to the current one are listed",
                    f"pm.expect({names('ApplicationVersionSummaries', 'ApplicationVersionId')}"
                    ".sort(function (a, b) { return a - b; }))"
                    f".to.eql(Array.from({{length: {js(Var('applicationVersionId'))}}}, function (_, i) "
                    "{ return i + 1; }))",
                ),
            ),
        ),
        Step(
            name="DescribeApplicationVersion",
            operation="DescribeApplicationVersion",
            description="Version 1 still has checkpointing on, as created.",
            body={"ApplicationName": APP, "ApplicationVersionId": 1},
            checks=(
                equals("ApplicationVersionDetail.ApplicationVersionId", 1),
                equals(
                    "ApplicationVersionDetail.ApplicationConfigurationDescription."
                    "FlinkApplicationConfigurationDescription.CheckpointConfigurationDescription."
                    "CheckpointingEnabled",
                    True,
                ),
            ),
        ),
        Step(
            name="ListApplicationOperations",
            operation="ListApplicationOperations",
            body={"ApplicationName": APP, "Limit": 50},
            checks=(
                Check(
                    "UpdateApplication is among the operations",
                    f"pm.expect({names('ApplicationOperationInfoList', 'Operation')})"
                    '.to.include("UpdateApplication")',
                ),
            ),
        ),
        Step(
            name="DescribeApplicationOperation",
            operation="DescribeApplicationOperation",
            body={"ApplicationName": APP, "OperationId": "{{operationId}}"},
            checks=(equals("ApplicationOperationInfoDetails.Operation", "UpdateApplication"),),
        ),
    ),
)

LIFECYCLE = Folder(
    "Lifecycle",
    "The demo application is never started (msf-local would really run it), so these answer errors.",
    (
        Step(
            name="StartApplication (unknown application)",
            operation="StartApplication",
            body={
                "ApplicationName": "{{applicationName}}-never-created",
                "RunConfiguration": {
                    "ApplicationRestoreConfiguration": {
                        "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"
                    },
                    "FlinkRunConfiguration": {"AllowNonRestoredState": False},
                },
            },
            error="ResourceNotFoundException",
        ),
        Step(
            name="StopApplication (application not running)",
            operation="StopApplication",
            body={"ApplicationName": APP, "Force": False},
            error="ResourceInUseException",
        ),
        Step(
            name="RollbackApplication (application not running)",
            operation="RollbackApplication",
            body={"ApplicationName": APP, "CurrentApplicationVersionId": Var("applicationVersionId")},
            error="ResourceInUseException",
            pending=True,
        ),
    ),
)

SNAPSHOT = "before-upgrade"
APPLICATION_SNAPSHOTS = Folder(
    "Application snapshots",
    "Snapshots are taken of running applications only.",
    (
        Step(
            name="CreateApplicationSnapshot (application not running)",
            operation="CreateApplicationSnapshot",
            body={"ApplicationName": APP, "SnapshotName": SNAPSHOT},
            error="ResourceInUseException",
        ),
        Step(
            name="ListApplicationSnapshots",
            operation="ListApplicationSnapshots",
            body={"ApplicationName": APP, "Limit": 10},
            checks=(is_empty("SnapshotSummaries"),),
        ),
        Step(
            name="DescribeApplicationSnapshot (unknown snapshot)",
            operation="DescribeApplicationSnapshot",
            body={"ApplicationName": APP, "SnapshotName": SNAPSHOT},
            error="ResourceNotFoundException",
        ),
        Step(
            name="DeleteApplicationSnapshot (unknown snapshot)",
            operation="DeleteApplicationSnapshot",
            body={
                "ApplicationName": APP,
                "SnapshotName": SNAPSHOT,
                "SnapshotCreationTimestamp": Var("createTimestamp"),
            },
            error="ResourceNotFoundException",
        ),
    ),
)

ENHANCED = "{{applicationName}}-snapshot"
S3_PREFIX = {"BucketARN": "arn:aws:s3:::msf-demo-snapshots", "KeyPrefix": "exports/"}
SNAPSHOTS = Folder(
    "Snapshots",
    "Enhanced snapshots are account-scoped; none exist for the demo application.",
    (
        Step(
            name="CreateSnapshot (application not running)",
            operation="CreateSnapshot",
            body={
                "ApplicationName": APP,
                "SnapshotName": ENHANCED,
                "SnapshotDescription": "before the upgrade",
            },
            error="ResourceInUseException",
            pending=True,
        ),
        Step(
            name="ListSnapshots",
            operation="ListSnapshots",
            body={"SourceApplicationName": APP, "Limit": 10},
            checks=(is_empty("SnapshotInfoList"),),
            pending=True,
        ),
        Step(
            name="DescribeSnapshot (unknown snapshot)",
            operation="DescribeSnapshot",
            body={"SnapshotName": ENHANCED},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ExportSnapshot (unknown snapshot)",
            operation="ExportSnapshot",
            body={
                "SnapshotName": ENHANCED,
                "ExportDestinationConfiguration": {
                    "DestinationType": "S3",
                    "ExportRoleArn": ROLE,
                    "DestinationS3PrefixLocation": S3_PREFIX,
                },
            },
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ImportSnapshot (reserved name)",
            operation="ImportSnapshot",
            description="Names starting with SYSTEMSNAPSHOT are reserved for the service.",
            body={
                "SnapshotName": "SYSTEMSNAPSHOT-import",
                "ImportSourceConfiguration": {
                    "SourceType": "S3",
                    "ImportRoleArn": ROLE,
                    "SourceS3PrefixLocation": S3_PREFIX,
                },
            },
            error="InvalidArgumentException",
            pending=True,
        ),
        Step(
            name="DescribeSnapshotOperation (unknown snapshot)",
            operation="DescribeSnapshotOperation",
            body={"SnapshotName": ENHANCED, "SnapshotOperationId": "a1B2c3D4e5F6"},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="ListSnapshotOperations (unknown snapshot)",
            operation="ListSnapshotOperations",
            body={"SnapshotName": ENHANCED, "Limit": 10},
            error="ResourceNotFoundException",
            pending=True,
        ),
        Step(
            name="DeleteSnapshot (unknown snapshot)",
            operation="DeleteSnapshot",
            body={"SnapshotName": ENHANCED, "SnapshotCreationTimestamp": Var("createTimestamp")},
            error="ResourceNotFoundException",
            pending=True,
        ),
    ),
)

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

CLEAN_UP = Folder(
    "Clean up",
    "Delete the demo application; afterwards it is gone.",
    (
        Step(
            name="DeleteApplication",
            operation="DeleteApplication",
            body={"ApplicationName": APP, "CreateTimestamp": Var("createTimestamp")},
        ),
        Step(
            name="DescribeApplication (deleted)",
            operation="DescribeApplication",
            body={"ApplicationName": APP},
            error="ResourceNotFoundException",
        ),
    ),
)

STORY: tuple[Folder, ...] = (
    APPLICATIONS,
    CONFIGURATION_OPTIONS,
    TAGS,
    VERSIONS,
    LIFECYCLE,
    APPLICATION_SNAPSHOTS,
    SNAPSHOTS,
    SQL_APPLICATIONS,
    CLEAN_UP,
)

# What the variables stand for in the OpenAPI examples (Swagger UI's "Try it out" starts from these).
EXAMPLE_VALUES: dict[str, Any] = {
    "applicationName": "my-app",
    "accountId": "123456789012",
    "region": "us-east-1",
    "applicationArn": "arn:aws:kinesisanalytics:us-east-1:123456789012:application/my-app",
    "applicationVersionId": 1,
    "sqlApplicationVersionId": 1,
    "createTimestamp": 1700000000,
    "sqlCreateTimestamp": 1700000000,
    "conditionalToken": "c29tZS10b2tlbg==",
    "operationId": "a1B2c3D4e5F6",
    "cloudWatchLoggingOptionId": "2.1",
    "vpcConfigurationId": "2.1",
    "inputId": "2.1",
    "outputId": "2.1",
    "referenceId": "2.1",
}

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def steps() -> list[Step]:
    """Every step of the walk, in order."""
    return [step for folder in STORY for step in folder.steps]


def example_body(operation: str) -> dict[str, Any]:
    """The first body the walk sends to ``operation``, with example values for its variables."""

    def render(value: Any) -> Any:
        if isinstance(value, Var):
            return EXAMPLE_VALUES[value.name]
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda match: str(EXAMPLE_VALUES[match.group(1)]), value)
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [render(item) for item in value]
        return value

    body = next(step.body for step in steps() if step.operation == operation)
    rendered: dict[str, Any] = render(body)
    return rendered


def covered_operations() -> set[str]:
    """The operations the walk calls at least once."""
    return {step.operation for step in steps()}
