"""The sandbox of the local Flink cluster msf-local starts (``serve --flink local``), as root (here and in
CI): its JobManager and TaskManager run as the job user, with none of msf-local's environment, in their own
folder; a probe program (``msflocal.SandboxProbe``) tries to read msf-local's database, its credentials
file and the embedded jobs' records from the JobManager and from a TaskManager, and reports."""

from __future__ import annotations

import json
import os
import pwd
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.control.plane import make_flink_adapter
from app.settings import Settings
from runtime_adapter.base import CodeLanguage, JobCode, JobSpec, PropertyGroup
from runtime_adapter.flink.bootstrap import PROPERTIES_VARIABLE
from runtime_adapter.flink.properties import AWS_PATH
from runtime_adapter.flink.service import LocalFlinkRuntime
from tests.conftest import eventually, free_port

pytestmark = [
    pytest.mark.flink_jvm,
    pytest.mark.skipif(os.geteuid() != 0, reason="the cluster switches user only when msf-local is root"),
    pytest.mark.timeout(600),
]

PROPERTIES_SPEC = JobSpec(
    job_id="0" * 32,
    name="probe",
    code=JobCode(root=Path("/nonexistent"), entry="job.jar", language=CodeLanguage.JAR),
    property_groups=(PropertyGroup("Probe", {"token": "t"}),),
)
SECRET_VARIABLES = {"MSF_SANDBOX_PROBE_SECRET": "server-only", "AWS_SECRET_ACCESS_KEY": "server-only"}


@pytest.fixture
def sandboxed_flink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalFlinkRuntime]:
    """``serve --flink local``'s runtime over a data directory holding a database and, outside it, a
    credentials file readable by everyone; msf-local's environment holds secrets."""
    for name, value in SECRET_VARIABLES.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "data"
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"AKIDFLINKPROBE": {"secret_access_key": "s", "account_id": "1" * 12}}))
    credentials.chmod(0o644)
    (data_dir / "runtime" / "jobs").mkdir(parents=True)
    (data_dir / "msf-local.db").write_bytes(b"SQLite format 3\x00")
    (data_dir / "runtime" / "jobs" / "embedded.json").write_text("{}")
    settings = Settings(
        data_dir=data_dir,
        credentials_file=credentials,
        flink="local",
        flink_rest_port=free_port(),
        flink_rpc_port=free_port(),
    )
    runtime = make_flink_adapter(settings)
    assert isinstance(runtime, LocalFlinkRuntime)
    try:
        yield runtime
    finally:
        runtime.close()


def probe(runtime: LocalFlinkRuntime, jar: Path, paths: list[str]) -> list[list[str]]:
    """Run ``msflocal.SandboxProbe`` over ``paths``; its report lines (where, path, user, outcome)."""
    uploaded = runtime.rest.upload_jar(jar)
    assert uploaded.ok, uploaded.error
    job_id = uuid.uuid4().hex
    body = {
        "entryClass": "msflocal.SandboxProbe",
        "programArgsList": paths,
        "jobId": job_id,
        "flinkConfiguration": {"restart-strategy.type": "none"},
    }
    runtime.rest.post(f"/jars/{Path(uploaded.body['filename']).name}/run", body, timeout_s=120)

    def root_exception() -> str:
        answer = runtime.rest.get(f"/jobs/{job_id}/exceptions").body
        entries = (answer.get("exceptionHistory") or {}).get("entries") or [{}]
        return str(entries[0].get("stacktrace", ""))

    assert eventually(lambda: "SANDBOX-PROBE-END" in root_exception(), True, timeout=120)
    text = root_exception().split("SANDBOX-PROBE\n", 1)[1].split("\nSANDBOX-PROBE-END", 1)[0]
    return [line.split("|") for line in text.splitlines()]


def test_the_local_cluster_runs_as_the_job_user_and_reaches_nothing_of_msf_local(
    sandboxed_flink: LocalFlinkRuntime, counting_jar: Path
) -> None:
    cluster = sandboxed_flink.cluster
    nobody = pwd.getpwnam("nobody").pw_uid
    pids = [process["pid"] for process in cluster.status().processes]
    assert len(pids) == 2
    for pid in pids:
        assert os.stat(f"/proc/{pid}").st_uid == nobody
        environment = dict(
            entry.split("=", 1) for entry in Path(f"/proc/{pid}/environ").read_text().split("\0") if entry
        )
        assert not set(SECRET_VARIABLES) & set(environment)
        # of msf-local's variables, only where a job's main() finds its properties
        assert [name for name in environment if name.startswith("MSF_")] == [PROPERTIES_VARIABLE]
        assert environment[PROPERTIES_VARIABLE] == str(cluster.config.application_properties.resolve())
        assert environment["FLINK_CONF_DIR"] == str(cluster.config.conf_dir)
    assert cluster.config.log_dir.stat().st_uid == nobody

    data_dir = cluster.config.data_dir.parent
    own = cluster.config.conf_dir / "config.yaml"
    targets = [
        str(data_dir / "msf-local.db"),
        str(data_dir.parent / "credentials.json"),
        str(data_dir / "runtime" / "jobs" / "embedded.json"),
        f"/proc/{os.getpid()}/cmdline",
        str(own),
        str(AWS_PATH),  # the job's properties, written while it is submitted: readable by the job user
        str(cluster.config.application_properties),
    ]
    readable = {str(own), str(AWS_PATH), str(cluster.config.application_properties)}
    assert sandboxed_flink.properties is not None
    with sandboxed_flink.properties.publishing(PROPERTIES_SPEC):
        report = probe(sandboxed_flink, counting_jar, targets)
    print("\nWhat a program on the local Flink cluster could reach:\n" + "\n".join(map(" | ".join, report)))

    assert {where for where, *_ in report} == {"jobmanager", "taskmanager"}
    assert {user for _, _, user, _ in report} == {"nobody"}
    for _, path, _, outcome in report:
        assert outcome.startswith("REACHED" if path in readable else "refused"), (path, outcome)
