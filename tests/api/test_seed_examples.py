"""The four example requests of the AWS checkpointing guide (shared/seeds/000, 001), sent verbatim as
raw HTTP with ``X-Amz-Target``; the bodies are kept byte-for-byte in ``seed_examples/``.

What the documentation gets wrong, and what msf-local answers (as AWS's model demands):
* Both CreateApplication examples lack two closing braces → SerializationException naming the line
  and column where the body ends unexpectedly.
* With the braces added where the indentation shows they belong, both succeed: the members the
  examples omit although the model requires them (``CodeContentType``; in the second also
  ``ConfigurationType``) are inferred as the examples mean them (app/protocol/omissions.py).
* The code they name (``s3://mybucket/myflink.jar``) is read when the application is created, as AWS
  does: the successful cases upload it first (``seed_code``), with the version id S3 chose in place of
  the examples' placeholder.
* The UpdateApplication examples name neither CurrentApplicationVersionId nor ConditionalToken; they
  are accepted as unconditional updates and DescribeApplication shows their effect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.app_helpers import flink_config, python_zip
from tests.conftest import LiveServer

EXAMPLES = Path(__file__).parent / "seed_examples"
TARGET = "KinesisAnalytics_20180523.{}"
PLACEHOLDER_VERSION = "AbCdEfGhIjKlMnOpQrStUvWxYz12345"


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def send(live_server: LiveServer, operation: str, body: str) -> httpx.Response:
    return httpx.post(
        live_server.url + "/",
        content=body.encode(),
        headers={"X-Amz-Target": TARGET.format(operation), "Content-Type": "application/x-amz-json-1.1"},
        timeout=30,
    )


def with_braces(body: str) -> str:
    """Close ApplicationCodeConfiguration before FlinkApplicationConfiguration, and the root at the end."""
    closed = body.replace(
        '      },\n      "FlinkApplicationConfiguration"',
        '      }\n      },\n      "FlinkApplicationConfiguration"',
    )
    assert closed != body
    return closed.rstrip() + "\n}\n"


@pytest.fixture
def seed_code(live_server: LiveServer) -> str:
    """The examples' code object, uploaded where they name it (default account); its version id."""
    s3 = live_server.client("s3")
    s3.create_bucket(Bucket="mybucket")
    s3.put_bucket_versioning(Bucket="mybucket", VersioningConfiguration={"Status": "Enabled"})
    version: str = s3.put_object(Bucket="mybucket", Key="myflink.jar", Body=python_zip())["VersionId"]
    return version


def braced(name: str, version: str) -> str:
    """A create example with its braces closed, naming the uploaded version of its code."""
    return with_braces(example(name)).replace(PLACEHOLDER_VERSION, version)


def error_of(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    document: dict[str, Any] = response.json()
    return document["__type"], document["message"]


def checkpoint(kav2: Any) -> dict[str, Any]:
    detail = kav2.describe_application(ApplicationName="MyApplication")["ApplicationDetail"]
    described: dict[str, Any] = flink_config(detail)["CheckpointConfigurationDescription"]
    return described


def test_create_examples_verbatim_are_serialization_errors(live_server: LiveServer) -> None:
    for name, line in (
        ("create_configure_checkpointing.json", 23),
        ("create_disable_checkpointing.json", 20),
    ):
        code, message = error_of(send(live_server, "CreateApplication", example(name)))
        assert code == "SerializationException"
        assert f"line {line}, column 1" in message


def test_braced_create_example_configures_checkpointing(
    live_server: LiveServer, kav2: Any, seed_code: str
) -> None:
    body = braced("create_configure_checkpointing.json", seed_code)
    response = send(live_server, "CreateApplication", body)
    assert response.status_code == 200, response.text
    detail = response.json()["ApplicationDetail"]
    assert detail["ApplicationStatus"] == "READY"
    assert detail["RuntimeEnvironment"] == "FLINK-1_15"
    assert checkpoint(kav2) == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 20000,
        "MinPauseBetweenCheckpoints": 10000,
    }
    code = detail["ApplicationConfigurationDescription"]["ApplicationCodeConfigurationDescription"]
    assert code["CodeContentType"] == "ZIPFILE"
    assert code["CodeContentDescription"]["S3ApplicationCodeLocationDescription"] == {
        "BucketARN": "arn:aws:s3:::mybucket",
        "FileKey": "myflink.jar",
        "ObjectVersion": seed_code,
    }
    assert code["CodeContentDescription"]["CodeSize"] == len(python_zip())


def test_the_create_example_without_its_code_uploaded_is_a_code_validation_error(
    live_server: LiveServer,
) -> None:
    body = with_braces(example("create_configure_checkpointing.json"))
    code, message = error_of(send(live_server, "CreateApplication", body))
    assert code == "CodeValidationException"
    assert "s3://mybucket/myflink.jar" in message


def test_braced_disable_example_disables_checkpointing(
    live_server: LiveServer, kav2: Any, seed_code: str
) -> None:
    response = send(live_server, "CreateApplication", braced("create_disable_checkpointing.json", seed_code))
    assert response.status_code == 200, response.text
    assert checkpoint(kav2) == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": False,
        "CheckpointInterval": 60000,
        "MinPauseBetweenCheckpoints": 5000,
    }


def test_an_explicit_default_configuration_type_still_ignores_the_values(
    live_server: LiveServer, kav2: Any, seed_code: str
) -> None:
    body = braced("create_disable_checkpointing.json", seed_code).replace(
        '"CheckpointConfiguration": { ', '"CheckpointConfiguration": { "ConfigurationType": "DEFAULT",'
    )
    response = send(live_server, "CreateApplication", body)
    assert response.status_code == 200, response.text
    assert checkpoint(kav2) == {
        "ConfigurationType": "DEFAULT",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 60000,
        "MinPauseBetweenCheckpoints": 5000,
    }


def test_other_required_members_are_still_required(live_server: LiveServer) -> None:
    body = with_braces(example("create_configure_checkpointing.json")).replace(
        '"ServiceExecutionRole":"arn:aws:iam::123456789123:role/myrole",', ""
    )
    code, message = error_of(send(live_server, "CreateApplication", body))
    assert code == "ValidationException"
    assert (
        "Value null at 'serviceExecutionRole' failed to satisfy constraint: Member must not be null"
        in message
    )


def test_update_examples_verbatim_succeed_and_take_effect(
    live_server: LiveServer, kav2: Any, seed_code: str
) -> None:
    created = send(live_server, "CreateApplication", braced("create_disable_checkpointing.json", seed_code))
    assert created.status_code == 200, created.text
    response = send(live_server, "UpdateApplication", example("update_configure_checkpointing.json"))
    assert response.status_code == 200, response.text
    assert response.json()["ApplicationDetail"]["ApplicationVersionId"] == 2
    assert response.json()["OperationId"]
    assert checkpoint(kav2) == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": True,
        "CheckpointInterval": 20000,
        "MinPauseBetweenCheckpoints": 10000,
    }
    response = send(live_server, "UpdateApplication", example("update_disable_checkpointing.json"))
    assert response.status_code == 200, response.text
    assert response.json()["ApplicationDetail"]["ApplicationVersionUpdatedFrom"] == 2
    assert checkpoint(kav2) == {
        "ConfigurationType": "CUSTOM",
        "CheckpointingEnabled": False,
        "CheckpointInterval": 20000,
        "MinPauseBetweenCheckpoints": 10000,
    }
    assert (
        kav2.describe_application(ApplicationName="MyApplication")["ApplicationDetail"][
            "ApplicationVersionId"
        ]
        == 3
    )
