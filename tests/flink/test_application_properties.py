"""EnvironmentProperties reach a Java job's ``main()`` on the real cluster where AWS code reads them.

``msflocal.PropertiesJob`` reads ``/etc/flink/application_properties.json`` (as AWS's
``KinesisAnalyticsRuntime.getApplicationProperties()`` does, with Flink's shaded Jackson) and the file named
by ``MSF_APPLICATION_PROPERTIES``, and names its Flink job after what it found. Two applications with
different properties, started together through boto3, each read their own; on a cluster msf-local started,
the variable's file holds the job's properties even where msf-local may not write the AWS path.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime_adapter.base import (
    CodeLanguage,
    JobCode,
    JobSpec,
    JobState,
    PropertyGroup,
    StartResult,
    StopMode,
)
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.properties import PropertiesPublisher
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import create_from_s3, status
from tests.flink.test_api_java import wait

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(600)]
MANIFEST = "META-INF/MANIFEST.MF"


@pytest.fixture(scope="module")
def properties_jar(counting_jar: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test jobs' jar with ``msflocal.PropertiesJob`` as its entry class."""
    jar = tmp_path_factory.mktemp("properties") / "properties-job.jar"
    with zipfile.ZipFile(counting_jar) as source, zipfile.ZipFile(jar, "w") as target:
        for item in source.infolist():
            if item.filename == MANIFEST:
                target.writestr(item, "Manifest-Version: 1.0\nMain-Class: msflocal.PropertiesJob\n\n")
            else:
                target.writestr(item, source.read(item))
    return jar


def job_name(cluster: LocalFlinkCluster, job_id: str) -> str:
    name: str = httpx.get(f"{cluster.rest_url}/jobs/{job_id}", timeout=10).json()["name"]
    return name


def running_job_names(cluster: LocalFlinkCluster) -> set[str]:
    jobs = httpx.get(f"{cluster.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    return {job["name"] for job in jobs if job["state"] == "RUNNING"}


def test_on_a_cluster_msf_local_started_main_finds_its_properties_in_the_variables_file(
    flink_cluster: LocalFlinkCluster, properties_jar: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # the AWS path msf-local may not write (as when it is not root)
    own = flink_cluster.config.application_properties
    adapter = FlinkRuntimeAdapter(
        flink_cluster.rest_url,
        tmp_path / "state",
        properties=PropertiesPublisher((blocked / "application_properties.json", own)),
    )
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "job.jar").write_bytes(properties_jar.read_bytes())
    token = uuid.uuid4().hex
    spec = JobSpec(
        job_id=uuid.uuid4().hex,
        name="variable",
        code=JobCode(root=tmp_path / "code", entry="job.jar", language=CodeLanguage.JAR),
        property_groups=(PropertyGroup("Probe", {"token": token}), PropertyGroup("Other", {"a": "b"})),
    )
    try:
        assert adapter.start(spec).result is StartResult.STARTED
        name = job_name(flink_cluster, spec.job_id)
        assert name.startswith("variable|") and name.endswith(f"|{token}"), name
    finally:
        adapter.stop(spec.job_id, StopMode.FORCE)
        assert eventually(lambda: adapter.status(spec.job_id).state, JobState.CANCELED) is JobState.CANCELED
        adapter.close()
    assert not own.exists()  # removed when msf-local closes


@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_java_applications_started_together_each_read_their_own_properties_in_main(
    make_server: Any, flink_cluster: LocalFlinkCluster, properties_jar: Path
) -> None:
    eventually(lambda: int((flink_cluster.overview() or {}).get("slots-available", 0)) >= 2, True)
    assert flink_cluster.ensure_slots(2) is None
    live: LiveServer = make_server(control_interval=0.1, flink_rest_url=flink_cluster.rest_url)
    kav2, s3 = live.client(), live.client("s3")
    tokens = {f"properties-{uuid.uuid4().hex[:8]}": uuid.uuid4().hex for _ in range(2)}
    for name, token in tokens.items():
        groups = [{"PropertyGroupId": "Probe", "PropertyMap": {"token": token, "application": name}}]
        properties = {"PropertyGroups": groups}
        jar = properties_jar.read_bytes()
        create_from_s3(kav2, s3, name, jar, bucket=name, EnvironmentProperties=properties)
    try:
        started = {name: kav2.start_application(ApplicationName=name)["OperationId"] for name in tokens}
        for name, operation_id in started.items():
            wait(kav2, name, operation_id)
        running = running_job_names(flink_cluster)
        # what each main() read at the AWS path; the remote cluster's own variable file is not msf-local's
        for name, token in tokens.items():
            assert f"{name}|{token}|-" in running, running
    finally:
        for name in tokens:
            if status(kav2, name) == "RUNNING":
                wait(kav2, name, kav2.stop_application(ApplicationName=name, Force=True)["OperationId"])
