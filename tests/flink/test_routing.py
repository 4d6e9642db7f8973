"""Which runtime a job goes to: JARs and the Table API need Flink; PyFlink DataStream programs prefer it."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime_adapter.base import CodeLanguage, JobCode, JobSpec, JobState, PropertyGroup, StartResult
from runtime_adapter.fake import FakeRuntimeAdapter
from runtime_adapter.routing import RoutingRuntimeAdapter, needed_runtime

JOB = "0123456789abcdef0123456789abcdef"


def python_job(tmp_path: Path, source: str, *groups: PropertyGroup) -> JobSpec:
    (tmp_path / "main.py").write_text(source)
    return JobSpec(job_id=JOB, name="app", code=JobCode(root=tmp_path), property_groups=groups)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from stream_runtime import StreamExecutionEnvironment\n", ("embedded", False)),
        ("from pyflink.datastream import StreamExecutionEnvironment\n", ("flink", False)),
        ("import pyflink\n", ("flink", False)),
        ("from pyflink.table import TableEnvironment\n", ("flink", True)),
        ("# from pyflink.table import x is only a comment here\nprint('x')\n", ("embedded", False)),
    ],
)
def test_python_entries_are_routed_by_what_they_import(
    tmp_path: Path, source: str, expected: tuple[str, bool]
) -> None:
    runtime, required, _ = needed_runtime(python_job(tmp_path, source))

    assert (runtime, required) == expected


def test_a_jar_needs_flink_and_the_property_overrides(tmp_path: Path) -> None:
    jar = JobSpec(job_id=JOB, name="j", code=JobCode(root=tmp_path, entry="a.jar", language=CodeLanguage.JAR))
    forced = python_job(tmp_path, "import pyflink\n", PropertyGroup("msf-local", {"runtime": "embedded"}))

    assert needed_runtime(jar)[:2] == ("flink", True)
    assert needed_runtime(forced)[:2] == ("embedded", True)


def test_jobs_go_to_their_runtime_and_are_found_there_after_a_restart(tmp_path: Path) -> None:
    embedded, flink = FakeRuntimeAdapter(), FakeRuntimeAdapter()
    router = RoutingRuntimeAdapter(embedded, flink, tmp_path / "state")

    assert router.start(python_job(tmp_path, "import pyflink\n")).result is StartResult.STARTED

    assert JOB in flink.jobs and JOB not in embedded.jobs
    again = RoutingRuntimeAdapter(embedded, flink, tmp_path / "state")
    assert again.status(JOB).state is JobState.RUNNING
    assert again.status("f" * 32).state is JobState.NOT_FOUND


def test_without_flink_datastream_programs_run_embedded_and_jars_are_refused(tmp_path: Path) -> None:
    embedded = FakeRuntimeAdapter()
    router = RoutingRuntimeAdapter(embedded, None, tmp_path / "state")
    jar = JobSpec(
        job_id="a" * 32, name="j", code=JobCode(root=tmp_path, entry="a.jar", language=CodeLanguage.JAR)
    )

    assert router.start(python_job(tmp_path, "import pyflink\n")).result is StartResult.STARTED
    refused = router.start(jar)

    assert JOB in embedded.jobs
    assert refused.result is StartResult.REJECTED
    assert refused.error is not None and "pip install 'msf-local[flink]'" in refused.error
