"""The embedded adapter's job sandbox without a server: a private read-only code copy, an environment that
holds nothing of the server's, and a job user that must exist."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime_adapter.base import JobCode, JobSpec, JobState, StartResult
from runtime_adapter.embedded import EmbeddedRuntimeAdapter
from runtime_adapter.embedded_sandbox import SandboxSettings
from tests.unit.test_runtime_adapter_embedded import wait_for

REPORTING_JOB = """
import json, os, resource
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

print("REPORT " + json.dumps({
    "environment": dict(os.environ),
    "cwd": os.getcwd(),
    "memory": resource.getrlimit(resource.RLIMIT_DATA)[0],
}), flush=True)
env = StreamExecutionEnvironment.get_execution_environment()
env.from_collection([1, 2, 3]).add_sink(DiscardingSink())
env.execute("report")
"""


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[EmbeddedRuntimeAdapter]:
    runtime = EmbeddedRuntimeAdapter(tmp_path / "runtime", cancel_timeout_s=10)
    yield runtime
    runtime.close()


def spec(tmp_path: Path, source: str, kpus: int = 1) -> JobSpec:
    code = tmp_path / "store" / "digest"
    code.mkdir(parents=True)
    (code / "main.py").write_text(source)
    return JobSpec(
        job_id="job-1",
        name="app",
        code=JobCode(root=code),
        checkpoint_dir=str(tmp_path / "checkpoints"),
        environment={"AWS_REGION": "eu-west-1"},
        kpus=kpus,
    )


def test_a_job_runs_from_its_own_read_only_copy_with_nothing_of_the_servers_environment(
    adapter: EmbeddedRuntimeAdapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSF_DATABASE_URL", "postgresql+psycopg://msf:secret@db/msf")
    monkeypatch.setenv("MSF_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-servers-own-secret")
    job = spec(tmp_path, REPORTING_JOB, kpus=2)

    assert adapter.start(job).result is StartResult.STARTED
    assert wait_for(lambda: adapter.status("job-1"), {JobState.FINISHED}).state is JobState.FINISHED

    log = (tmp_path / "runtime" / "logs" / "job-1-attempt-0.log").read_text()
    report = json.loads(log.split("REPORT ", 1)[1].splitlines()[0])
    copy = tmp_path / "runtime" / "work" / "job-1" / "code"
    assert report["cwd"] == str(copy)
    assert (copy / "main.py").read_text() == REPORTING_JOB
    assert stat.S_IMODE((copy / "main.py").stat().st_mode) == 0o444
    assert stat.S_IMODE(copy.stat().st_mode) == 0o555
    environment = report["environment"]
    assert environment["AWS_REGION"] == "eu-west-1"
    assert environment["TMPDIR"] == environment["HOME"] == str(copy.parent / "tmp")
    assert "MSF_DATABASE_URL" not in environment and "MSF_CREDENTIALS_FILE" not in environment
    assert "AWS_SECRET_ACCESS_KEY" not in environment
    assert report["memory"] == 2 * 4 * 1024**3  # 4 GiB per KPU

    assert adapter.dispose_job("job-1").result.value == "DISPOSED"
    assert not copy.parent.exists()
    assert (tmp_path / "store" / "digest" / "main.py").read_text() == REPORTING_JOB  # the store is untouched


@pytest.mark.skipif(os.geteuid() != 0, reason="jobs switch user only when msf-local is root")
def test_a_job_user_that_does_not_exist_is_a_rejected_start(tmp_path: Path) -> None:
    adapter = EmbeddedRuntimeAdapter(tmp_path / "runtime", sandbox=SandboxSettings(user="no-such-msf-user"))
    outcome = adapter.start(spec(tmp_path, REPORTING_JOB))
    assert outcome.result is StartResult.REJECTED
    assert "no such user 'no-such-msf-user'" in (outcome.error or "")
