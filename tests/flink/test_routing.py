"""Which runtime a job goes to: JARs and the Table API need Flink; PyFlink DataStream programs prefer it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from runtime_adapter.base import (
    CodeLanguage,
    JobCode,
    JobSpec,
    JobState,
    PropertyGroup,
    RestorePoint,
    StartResult,
)
from runtime_adapter.fake import FakeRuntimeAdapter
from runtime_adapter.routing import RoutingRuntimeAdapter, needed_runtime
from runtime_adapter.savepoint_files import savepoint_format
from stream_runtime.storage.metadata import CheckpointMetadata

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


FLINK_SAVEPOINT = Path(__file__).parents[1] / "data" / "flink-savepoint"


def test_a_savepoint_is_restored_only_by_the_runtime_that_can_read_it(tmp_path: Path) -> None:
    embedded, flink = FakeRuntimeAdapter(), FakeRuntimeAdapter()
    router = RoutingRuntimeAdapter(embedded, flink, tmp_path / "state")
    jar = JobCode(root=tmp_path, entry="a.jar", language=CodeLanguage.JAR)
    from_flink = RestorePoint(str(FLINK_SAVEPOINT))
    assert savepoint_format(from_flink.location) == "flink"

    started = router.start(JobSpec(job_id=JOB, name="j", code=jar, restore=from_flink))
    assert started.result is StartResult.STARTED and flink.jobs[JOB].spec.restore == from_flink

    (tmp_path / "py").mkdir()
    refused = router.start(replace(python_job(tmp_path / "py", "print('x')\n"), restore=from_flink))
    assert refused.result is StartResult.REJECTED and not embedded.jobs
    assert refused.error is not None and "is an Apache Flink savepoint" in refused.error
    assert "the embedded runtime cannot read" in refused.error

    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "_metadata").write_bytes(CheckpointMetadata(1, "job", 1, 1, 128, is_savepoint=True).to_bytes())
    assert savepoint_format(str(ours)) == "embedded"
    jar_spec = JobSpec(job_id="f" * 32, name="j", code=jar, restore=RestorePoint(f"file://{ours}"))
    refused = router.start(jar_spec)
    assert refused.result is StartResult.REJECTED and "which Apache Flink cannot read" in str(refused.error)
