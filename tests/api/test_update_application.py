"""UpdateApplication through boto3: merged configuration, versions, tokens, concurrency, run configuration."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from botocore.exceptions import ClientError

from tests.api.app_helpers import (
    aws_error,
    create_flink,
    create_sql,
    describe,
    flink_config,
    log_stream,
    python_zip,
)
from tests.conftest import LiveServer

CHECKPOINT_20S = {
    "FlinkApplicationConfigurationUpdate": {
        "CheckpointConfigurationUpdate": {
            "ConfigurationTypeUpdate": "CUSTOM",
            "CheckpointIntervalUpdate": 20000,
        }
    }
}


def test_update_creates_the_next_version(kav2: Any) -> None:
    created = create_flink(kav2, "app")
    response = kav2.update_application(
        ApplicationName="app", CurrentApplicationVersionId=1, ApplicationConfigurationUpdate=CHECKPOINT_20S
    )
    detail = response["ApplicationDetail"]
    assert detail["ApplicationVersionId"] == 2
    assert detail["ApplicationVersionUpdatedFrom"] == 1
    assert detail["ApplicationStatus"] == "READY"
    assert detail["ConditionalToken"] != created["ConditionalToken"]
    assert detail["CreateTimestamp"] == created["CreateTimestamp"]
    assert flink_config(detail)["CheckpointConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 20000,
        "MinPauseBetweenCheckpoints": 5000,
    }
    assert flink_config(detail)["MonitoringConfigurationDescription"]["ConfigurationType"] == "DEFAULT"
    assert describe(kav2, "app") == detail
    operation = kav2.describe_application_operation(
        ApplicationName="app", OperationId=response["OperationId"]
    )
    details = operation["ApplicationOperationInfoDetails"]
    assert details["Operation"] == "UpdateApplication"
    assert details["OperationStatus"] == "SUCCESSFUL"
    assert details["ApplicationVersionChangeDetails"] == {
        "ApplicationVersionUpdatedFrom": 1,
        "ApplicationVersionUpdatedTo": 2,
    }


def test_back_to_default_shows_the_defaults_again(kav2: Any) -> None:
    create_flink(kav2, "app")
    kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=1,
        ApplicationConfigurationUpdate={
            "FlinkApplicationConfigurationUpdate": {
                "ParallelismConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "CUSTOM",
                    "ParallelismUpdate": 6,
                },
                "MonitoringConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "CUSTOM",
                    "LogLevelUpdate": "WARN",
                },
            }
        },
    )
    flink = flink_config(describe(kav2, "app"))
    assert flink["ParallelismConfigurationDescription"]["Parallelism"] == 6
    assert flink["ParallelismConfigurationDescription"]["CurrentParallelism"] == 6
    assert flink["MonitoringConfigurationDescription"]["LogLevel"] == "WARN"
    detail = kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=2,
        ApplicationConfigurationUpdate={
            "FlinkApplicationConfigurationUpdate": {
                "ParallelismConfigurationUpdate": {
                    "ConfigurationTypeUpdate": "DEFAULT",
                    "ParallelismUpdate": 9,
                }
            }
        },
    )["ApplicationDetail"]
    flink = flink_config(detail)
    assert flink["ParallelismConfigurationDescription"]["Parallelism"] == 1
    assert flink["ParallelismConfigurationDescription"]["ConfigurationType"] == "DEFAULT"
    assert flink["MonitoringConfigurationDescription"]["LogLevel"] == "WARN"


def test_update_merges_code_properties_role_snapshots_and_logging(live_server: LiveServer, kav2: Any) -> None:
    s3_code = python_zip({"main.py": "print('v3')\n"})
    live_server.client("s3").create_bucket(Bucket="code-b")
    live_server.client("s3").put_object(Bucket="code-b", Key="k.zip", Body=s3_code)
    create_flink(kav2, "app", CloudWatchLoggingOptions=[{"LogStreamARN": log_stream("a")}])
    code = python_zip({"main.py": "print('v2')\n"})
    detail = kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=1,
        ServiceExecutionRoleUpdate="arn:aws:iam::123456789012:role/other",
        RuntimeEnvironmentUpdate="FLINK-2_2",
        CloudWatchLoggingOptionUpdates=[
            {"CloudWatchLoggingOptionId": "1.1", "LogStreamARNUpdate": log_stream("renamed")}
        ],
        ApplicationConfigurationUpdate={
            "ApplicationCodeConfigurationUpdate": {
                "CodeContentTypeUpdate": "ZIPFILE",
                "CodeContentUpdate": {"ZipFileContentUpdate": code},
            },
            "EnvironmentPropertyUpdates": {
                "PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"k": "v"}}]
            },
            "ApplicationSnapshotConfigurationUpdate": {"SnapshotsEnabledUpdate": False},
            "ApplicationSystemRollbackConfigurationUpdate": {"RollbackEnabledUpdate": True},
        },
    )["ApplicationDetail"]
    assert detail["ServiceExecutionRole"] == "arn:aws:iam::123456789012:role/other"
    assert detail["RuntimeEnvironment"] == "FLINK-2_2"
    assert detail["CloudWatchLoggingOptionDescriptions"] == [
        {"CloudWatchLoggingOptionId": "1.1", "LogStreamARN": log_stream("renamed")}
    ]
    configuration = detail["ApplicationConfigurationDescription"]
    assert configuration["ApplicationCodeConfigurationDescription"]["CodeContentDescription"][
        "CodeSize"
    ] == len(code)
    assert (
        configuration["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"][0]["PropertyGroupId"]
        == "g"
    )
    assert configuration["ApplicationSnapshotConfigurationDescription"] == {"SnapshotsEnabled": False}
    assert configuration["ApplicationSystemRollbackConfigurationDescription"] == {"RollbackEnabled": True}
    summary = kav2.list_applications()["ApplicationSummaries"][0]
    assert summary["RuntimeEnvironment"] == "FLINK-2_2"
    s3 = kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=2,
        ApplicationConfigurationUpdate={
            "ApplicationCodeConfigurationUpdate": {
                "CodeContentUpdate": {
                    "S3ContentLocationUpdate": {
                        "BucketARNUpdate": "arn:aws:s3:::code-b",
                        "FileKeyUpdate": "k.zip",
                    }
                }
            }
        },
    )["ApplicationDetail"]
    code_description = s3["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"]
    assert code_description["CodeContentDescription"] == {
        "CodeMD5": hashlib.sha512(s3_code).hexdigest(),
        "CodeSize": len(s3_code),
        "S3ApplicationCodeLocationDescription": {"BucketARN": "arn:aws:s3:::code-b", "FileKey": "k.zip"},
    }
    with aws_error("CodeValidationException"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=3,
            ApplicationConfigurationUpdate={
                "ApplicationCodeConfigurationUpdate": {
                    "CodeContentUpdate": {"S3ContentLocationUpdate": {"FileKeyUpdate": "missing.zip"}}
                }
            },
        )
    assert describe(kav2, "app")["ApplicationVersionId"] == 3


def test_conditional_token_is_an_alternative_to_the_version(kav2: Any) -> None:
    created = create_flink(kav2, "app")
    updated = kav2.update_application(
        ApplicationName="app",
        ConditionalToken=created["ConditionalToken"],
        ApplicationConfigurationUpdate=CHECKPOINT_20S,
    )["ApplicationDetail"]
    assert updated["ApplicationVersionId"] == 2
    with aws_error("ConcurrentModificationException", "ConditionalToken does not match"):
        kav2.update_application(
            ApplicationName="app",
            ConditionalToken=created["ConditionalToken"],
            ApplicationConfigurationUpdate=CHECKPOINT_20S,
        )
    with aws_error("ConcurrentModificationException", "version 1 is not the current version (2)"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            ApplicationConfigurationUpdate=CHECKPOINT_20S,
        )
    assert describe(kav2, "app")["ApplicationVersionId"] == 2


def test_update_without_version_or_token_is_unconditional(kav2: Any) -> None:
    create_flink(kav2, "app")
    detail = kav2.update_application(ApplicationName="app", ApplicationConfigurationUpdate=CHECKPOINT_20S)[
        "ApplicationDetail"
    ]
    assert detail["ApplicationVersionId"] == 2


def test_run_configuration_update_is_not_sticky(kav2: Any) -> None:
    create_flink(kav2, "app")
    detail = kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=1,
        RunConfigurationUpdate={
            "FlinkRunConfiguration": {"AllowNonRestoredState": True},
            "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"},
        },
    )["ApplicationDetail"]
    run = detail["ApplicationConfigurationDescription"]["RunConfigurationDescription"]
    assert run == {
        "ApplicationRestoreConfigurationDescription": {
            "ApplicationRestoreType": "SKIP_RESTORE_FROM_SNAPSHOT"
        },
        "FlinkRunConfigurationDescription": {"AllowNonRestoredState": True},
    }
    later = kav2.update_application(
        ApplicationName="app", CurrentApplicationVersionId=2, ApplicationConfigurationUpdate=CHECKPOINT_20S
    )["ApplicationDetail"]
    assert later["ApplicationConfigurationDescription"]["RunConfigurationDescription"] == {
        "ApplicationRestoreConfigurationDescription": {
            "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"
        },
        "FlinkRunConfigurationDescription": {"AllowNonRestoredState": False},
    }
    with aws_error("InvalidArgumentException", "RESTORE_FROM_CUSTOM_SNAPSHOT requires SnapshotName"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=3,
            RunConfigurationUpdate={
                "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "RESTORE_FROM_CUSTOM_SNAPSHOT"}
            },
        )


def test_invalid_updates_change_nothing(kav2: Any) -> None:
    create_flink(kav2, "app")
    with aws_error("ResourceNotFoundException", "Application nope is not found"):
        kav2.update_application(ApplicationName="nope", CurrentApplicationVersionId=1)
    with aws_error("InvalidArgumentException", "cannot change from FLINK-1_20 to SQL-1_0"):
        kav2.update_application(
            ApplicationName="app", CurrentApplicationVersionId=1, RuntimeEnvironmentUpdate="SQL-1_0"
        )
    with aws_error("ResourceNotFoundException", "CloudWatch logging option with id 1.9 does not exist"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            CloudWatchLoggingOptionUpdates=[
                {"CloudWatchLoggingOptionId": "1.9", "LogStreamARNUpdate": log_stream("x")}
            ],
        )
    with aws_error("InvalidArgumentException", "SqlApplicationConfigurationUpdate is not supported"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            ApplicationConfigurationUpdate={"SqlApplicationConfigurationUpdate": {"InputUpdates": []}},
        )
    with aws_error("InvalidArgumentException", "Duplicate property group ids: g"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=1,
            ApplicationConfigurationUpdate={
                "EnvironmentPropertyUpdates": {
                    "PropertyGroups": [
                        {"PropertyGroupId": "g", "PropertyMap": {"a": "1"}},
                        {"PropertyGroupId": "g", "PropertyMap": {"b": "2"}},
                    ]
                }
            },
        )
    assert describe(kav2, "app")["ApplicationVersionId"] == 1
    assert kav2.list_application_operations(ApplicationName="app")["ApplicationOperationInfoList"] == []


def test_enhanced_snapshots_cannot_be_switched_back(kav2: Any) -> None:
    create_flink(kav2, "app")
    kav2.update_application(
        ApplicationName="app",
        CurrentApplicationVersionId=1,
        ApplicationConfigurationUpdate={
            "ApplicationSnapshotConfigurationUpdate": {
                "SnapshotsEnabledUpdate": True,
                "SnapshotModeUpdate": "ENHANCED_SNAPSHOTS",
            }
        },
    )
    with aws_error("InvalidArgumentException", "use RollbackApplication"):
        kav2.update_application(
            ApplicationName="app",
            CurrentApplicationVersionId=2,
            ApplicationConfigurationUpdate={
                "ApplicationSnapshotConfigurationUpdate": {
                    "SnapshotsEnabledUpdate": True,
                    "SnapshotModeUpdate": "APPLICATION_SNAPSHOTS_LEGACY",
                }
            },
        )


def test_concurrent_updates_of_one_version_let_exactly_one_win(live_server: LiveServer) -> None:
    clients = [live_server.client() for _ in range(6)]
    create_flink(clients[0], "contended")
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(client: Any) -> None:
        try:
            client.update_application(
                ApplicationName="contended",
                CurrentApplicationVersionId=1,
                ApplicationConfigurationUpdate=CHECKPOINT_20S,
            )
            result = "ok"
        except ClientError as error:
            result = error.response["Error"]["Code"]
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ConcurrentModificationException"] * 5 + ["ok"]
    assert describe(clients[0], "contended")["ApplicationVersionId"] == 2


def test_sql_application_update(kav2: Any) -> None:
    create_sql(
        kav2,
        "sql",
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContentType": "PLAINTEXT",
                "CodeContent": {"TextContent": "SELECT 1"},
            }
        },
    )
    response = kav2.update_application(
        ApplicationName="sql",
        CurrentApplicationVersionId=1,
        ApplicationConfigurationUpdate={
            "ApplicationCodeConfigurationUpdate": {"CodeContentUpdate": {"TextContentUpdate": "SELECT 2"}}
        },
    )
    assert "OperationId" not in response
    code = response["ApplicationDetail"]["ApplicationConfigurationDescription"][
        "ApplicationCodeConfigurationDescription"
    ]
    assert code["CodeContentDescription"]["TextContent"] == "SELECT 2"
    assert code["CodeContentType"] == "PLAINTEXT"
    with aws_error("InvalidArgumentException", "RunConfigurationUpdate is not supported for SQL"):
        kav2.update_application(
            ApplicationName="sql",
            CurrentApplicationVersionId=2,
            RunConfigurationUpdate={"FlinkRunConfiguration": {"AllowNonRestoredState": True}},
        )


def test_studio_notebook_and_encryption_updates(kav2: Any) -> None:
    kav2.create_application(
        ApplicationName="studio",
        RuntimeEnvironment="ZEPPELIN-FLINK-3_0",
        ServiceExecutionRole="arn:aws:iam::123456789012:role/msf",
    )
    detail = kav2.update_application(
        ApplicationName="studio",
        CurrentApplicationVersionId=1,
        ApplicationConfigurationUpdate={
            "ZeppelinApplicationConfigurationUpdate": {
                "MonitoringConfigurationUpdate": {"LogLevelUpdate": "WARN"},
                "CatalogConfigurationUpdate": {
                    "GlueDataCatalogConfigurationUpdate": {
                        "DatabaseARNUpdate": "arn:aws:glue:us-east-1:1:database/d"
                    }
                },
                "CustomArtifactsConfigurationUpdate": [
                    {
                        "ArtifactType": "DEPENDENCY_JAR",
                        "MavenReference": {"GroupId": "org.example", "ArtifactId": "lib", "Version": "1.0"},
                    }
                ],
            },
            "ApplicationEncryptionConfigurationUpdate": {"KeyTypeUpdate": "AWS_OWNED_KEY"},
        },
    )["ApplicationDetail"]
    configuration = detail["ApplicationConfigurationDescription"]
    zeppelin = configuration["ZeppelinApplicationConfigurationDescription"]
    assert zeppelin["MonitoringConfigurationDescription"] == {"LogLevel": "WARN"}
    assert zeppelin["CatalogConfigurationDescription"] == {
        "GlueDataCatalogConfigurationDescription": {"DatabaseARN": "arn:aws:glue:us-east-1:1:database/d"}
    }
    assert zeppelin["CustomArtifactsConfigurationDescription"] == [
        {
            "ArtifactType": "DEPENDENCY_JAR",
            "MavenReferenceDescription": {"GroupId": "org.example", "ArtifactId": "lib", "Version": "1.0"},
        }
    ]
    assert configuration["ApplicationEncryptionConfigurationDescription"] == {"KeyType": "AWS_OWNED_KEY"}
    with aws_error("InvalidArgumentException", "ZeppelinApplicationConfigurationUpdate is not supported"):
        create_flink(kav2, "plain")
        kav2.update_application(
            ApplicationName="plain",
            CurrentApplicationVersionId=1,
            ApplicationConfigurationUpdate={
                "ZeppelinApplicationConfigurationUpdate": {
                    "MonitoringConfigurationUpdate": {"LogLevelUpdate": "WARN"}
                }
            },
        )
