"""On the real local cluster: a job's figures come from Flink's REST API (per subtask too, and the
TaskManagers' memory), its log lines are in the cluster's JSON log files tagged with its id, ready for
shipping, and Flink 2.3 holds it in a Flink application the dashboard's proxy finds (one short job on a
cluster of its own)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.observability.flink_logs import JOB_ID_KEY, java_record
from app.web.flink_proxy import filter_answer, flink_application_of
from runtime_adapter.base import CheckpointSettings, CodeLanguage, JobCode, JobSpec, StartResult, StopMode
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.launcher import Launcher
from runtime_adapter.flink.service import LocalFlinkRuntime
from tests.flink.conftest import local_cluster
from tests.flink.test_adapter_contract import eventually

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def flink_cluster() -> Iterator[LocalFlinkCluster]:
    """A cluster of its own: after the other tests/flink tests (TaskManagers killed and restarted, jobs
    cancelled) the shared cluster did not report this job's figures within 180 s in CI, while a fresh one
    reports them within seconds."""
    with local_cluster() as cluster:
        yield cluster


def tagged_lines(files: tuple[Path, ...], job_id: str) -> list[dict[str, object]]:
    lines = []
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            entry = json.loads(line)
            if (entry.get("contextMap") or {}).get(JOB_ID_KEY) == job_id:
                lines.append(entry)
    return lines


def test_a_job_on_flink_has_figures_and_tagged_log_lines(
    flink_cluster: LocalFlinkCluster, flink_launcher: Launcher, counting_jar: Path, tmp_path: Path
) -> None:
    runtime = LocalFlinkRuntime(flink_cluster, tmp_path / "state")
    runtime.launcher = flink_launcher  # compiled once for the session
    (tmp_path / "code").mkdir()
    shutil.copy(counting_jar, tmp_path / "code" / "job.jar")
    job_id = uuid.uuid4().hex
    spec = JobSpec(
        job_id=job_id,
        name="observed",
        code=JobCode(root=tmp_path / "code", entry="job.jar", language=CodeLanguage.JAR),
        checkpoints=CheckpointSettings(enabled=True, interval_ms=500, min_pause_ms=0),
        checkpoint_dir=str(tmp_path / "checkpoints"),
        program_args=("200", "10", "20", str(tmp_path / "out")),
        parallelism=2,
    )
    try:
        assert runtime.start(spec).result is StartResult.STARTED

        def counted() -> bool:
            insight = runtime.insight(job_id)
            done = [c for c in insight.checkpoints if c["status"] == "COMPLETED"] if insight else []
            return insight is not None and insight.records_in > 0 and bool(done)

        assert eventually(counted, bool, timeout=180)
        insight = runtime.insight(job_id)
        assert insight is not None and insight.running_since_ms is not None and insight.operators
        assert insight.heap_percent is not None and 0 < insight.heap_percent < 100
        assert insight.failed_checkpoints is not None  # Flink's own count (one may fail while tasks start)
        assert insight.memory_percent is not None and 0 < insight.memory_percent < 100
        # per subtask (MetricsLevel PARALLELISM): both subtasks of the keyed counter take records, and
        # their counts sit between the operator's counts read just before and in the next round
        later = runtime.insight(job_id)
        assert later is not None
        source, counter = insight.operators
        assert len(source.subtasks) == 2 and all(out > 0 for _, out in source.subtasks)
        assert len(counter.subtasks) == 2 and all(into > 0 for into, _ in counter.subtasks)
        assert (
            counter.records_in <= sum(into for into, _ in counter.subtasks) <= later.operators[1].records_in
        )

        # Flink 2.3 holds the job in a Flink application of its own: the proxy's filter keeps it
        application = flink_application_of(flink_cluster.rest_url, job_id)
        assert application == job_id
        overview = httpx.get(f"{flink_cluster.rest_url}/applications/overview", timeout=10).json()
        filter_answer("applications/overview", overview, job_id, application)
        assert [(entry["status"], entry["jobs"]) for entry in overview["applications"]] == [
            ("RUNNING", {"RUNNING": 1})
        ]
        details = httpx.get(f"{flink_cluster.rest_url}/applications/{application}", timeout=10).json()
        filter_answer(f"applications/{application}", details, job_id, application)
        assert [job["jid"] for job in details["jobs"]] == [job_id]

        files = runtime.job_log_files(job_id)
        assert files and all(path.name.endswith(".log.json") for path in files)
        lines = tagged_lines(files, job_id)
        assert lines, "no line of the job carries its id"
        threads = {str(entry["thread"]) for entry in lines}
        assert any(thread.startswith("Source: numbers (1/2)") for thread in threads)  # a task thread's
        record = java_record(lines[0])
        assert record.name and record.module and record.lineno > 0  # logger and source location
    finally:
        runtime.stop(job_id, StopMode.CANCEL)
        runtime.rest.close()  # not runtime.close(): that would stop the session's cluster
