"""The Postman collection: current with its generator, complete, and run start to finish by newman."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api_models.operations import OPERATIONS
from app.clients.catalog import FAMILIES
from app.clients.postman import COLLECTION_FILE, ENVIRONMENT_FILE, build_collection, build_environment, render
from app.clients.story import covered_operations, steps
from tests.clients.conftest import REPO, ServeProcess, serving

NEWMAN = REPO / "node_modules" / ".bin" / "newman"
STRICT_KEY = "AKIAMSFLOCALPOSTMAN1"
STRICT_SECRET = "postman-secret-key"
STRICT_ACCOUNT = "210987654321"


def test_committed_files_match_a_fresh_generation() -> None:
    assert COLLECTION_FILE.read_text() == render(build_collection()), "postman/ is stale: run `make generate`"
    assert ENVIRONMENT_FILE.read_text() == render(build_environment()), (
        "postman/ is stale: run `make generate`"
    )


def test_every_operation_has_a_request_with_tests_and_aws_signature() -> None:
    collection = build_collection()
    assert collection["auth"]["type"] == "awsv4"
    requests = [request for folder in collection["item"] for request in folder["item"]]
    targets = {header["value"] for request in requests for header in request["request"]["header"]}
    assert {f"KinesisAnalytics_20180523.{name}" for name in OPERATIONS} <= targets
    for request in requests:
        json.loads(re.sub(r"\{\{\w+\}\}", "1", request["request"]["body"]["raw"]))
        scripts = [event["script"]["exec"] for event in request["event"] if event["listen"] == "test"]
        assert scripts and any("pm.response.to.have.status" in line for line in scripts[0]), request["name"]


def test_the_walk_calls_every_operation_and_every_family_is_complete() -> None:
    assert covered_operations() == set(OPERATIONS)
    assert sorted(op for ops in FAMILIES.values() for op in ops) == sorted(OPERATIONS)


def test_the_walk_creates_first_and_deletes_last() -> None:
    operations = [step.operation for step in steps()]
    assert operations[0] == "CreateApplication"
    assert operations[-2:] == ["DeleteApplication", "DescribeApplication"]
    assert operations.index("UpdateApplication") < operations.index("TagResource")
    assert operations.index("TagResource") < operations.index("ListApplicationVersions")


def newman_failures(report: dict[str, Any]) -> list[str]:
    """Every failed assertion or script error of a newman JSON report, as readable lines."""
    failures = []
    for failure in report["run"]["failures"]:
        source = failure.get("source", {}).get("name", "?")
        error = failure["error"]
        failures.append(f"{source}: {error.get('test') or error.get('name')}: {error.get('message')}")
    return failures


def run_newman(server: ServeProcess, tmp_path: Path, **variables: str) -> tuple[str, dict[str, Any]]:
    """Run the collection with the local environment against ``server``; its output and JSON report."""
    assert NEWMAN.exists(), "newman is missing: run `npm ci` (make test does)"
    report_file = tmp_path / "newman.json"
    overrides = [f"{name}={value}" for name, value in {"baseUrl": server.url, **variables}.items()]
    result = subprocess.run(
        [str(NEWMAN), "run", str(COLLECTION_FILE), "--environment", str(ENVIRONMENT_FILE)]
        + [argument for override in overrides for argument in ("--env-var", override)]
        + ["--reporters", "cli,json", "--reporter-json-export", str(report_file)]
        + ["--timeout-request", "30000", "--disable-unicode", "--color", "off"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert report_file.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, json.loads(report_file.read_text())


def test_newman_runs_the_collection_against_msf_local_serve(serve: ServeProcess, tmp_path: Path) -> None:
    output, report = run_newman(serve, tmp_path)
    failures = newman_failures(report)
    assert not failures, "\n".join(failures) + "\n" + output[-5000:]
    stats = report["run"]["stats"]
    assert stats["requests"]["total"] == len(steps())
    assert stats["assertions"]["failed"] == 0 and stats["assertions"]["total"] > len(steps())


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A server that verifies every SigV4 signature (``--auth strict``) against one access key."""
    directory = tmp_path_factory.mktemp("strict")
    credentials = directory / "credentials.json"
    credentials.write_text(
        json.dumps({STRICT_KEY: {"secret_access_key": STRICT_SECRET, "account_id": STRICT_ACCOUNT}})
    )
    with serving(directory / "data", MSF_AUTH="strict", MSF_CREDENTIALS_FILE=str(credentials)) as served:
        yield served


def test_postman_signatures_pass_strict_verification(strict_server: ServeProcess, tmp_path: Path) -> None:
    output, report = run_newman(
        strict_server, tmp_path, accessKey=STRICT_KEY, secretKey=STRICT_SECRET, accountId=STRICT_ACCOUNT
    )
    failures = newman_failures(report)
    assert not failures, "\n".join(failures) + "\n" + output[-5000:]
    created = report["run"]["executions"][0]["response"]
    assert created["code"] == 200
    arn = json.loads(bytes(created["stream"]["data"]))["ApplicationDetail"]["ApplicationARN"]
    assert f":{STRICT_ACCOUNT}:application/" in arn


def test_postman_with_a_wrong_secret_is_refused(strict_server: ServeProcess, tmp_path: Path) -> None:
    _, report = run_newman(strict_server, tmp_path, accessKey=STRICT_KEY, secretKey="not-the-secret")
    responses = [execution["response"] for execution in report["run"]["executions"]]
    assert {response["code"] for response in responses} == {403}
    first = json.loads(bytes(responses[0]["stream"]["data"]))
    assert first["__type"] == "InvalidSignatureException"
