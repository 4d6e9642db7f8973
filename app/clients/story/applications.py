"""Create, describe, list and update the demo application; its configuration options, tags and versions."""

from __future__ import annotations

from app.clients.story.demo import APP, DEMO_CODE, DETAIL, FLINK_DESCRIPTION, ROLE
from app.clients.story.model import (
    Check,
    Folder,
    Step,
    Var,
    change,
    equals,
    equals_var,
    is_empty,
    is_number,
    js,
    names,
    next_version,
    var,
)

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
