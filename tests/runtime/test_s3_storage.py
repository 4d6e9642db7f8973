"""S3 checkpoint storage over real HTTP against a moto server subprocess.

A savepoint written to S3 restores from a copy under another prefix (relocatable). The crash proof: a job
whose process dies between uploading checkpoint 2's data objects and its ``_metadata`` leaves a folder that
never looks complete; the next run cleans it and restores from checkpoint 1.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    DisposeResult,
    JobCode,
    JobSpec,
    SavepointRequest,
    SavepointState,
    StartResult,
)
from runtime_adapter.embedded import EmbeddedRuntimeAdapter
from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.faults import FAULT_ENV
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.restart import NoRestartStrategy
from stream_runtime.sinks import read_committed_lines
from stream_runtime.storage import AlreadyPublishedError, CheckpointLayout, CheckpointMetadata, open_storage
from stream_runtime.storage.s3 import S3CheckpointStorage, make_s3_client, parse_s3_uri
from tests.runtime.conftest import JOBS, InProcessJob, read_logs

WAIT_S = 60.0


def test_uri_parsing() -> None:
    assert parse_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_s3_uri("s3://bucket") == ("bucket", "")
    with pytest.raises(ValueError, match="no bucket"):
        parse_s3_uri("s3:///x")


def test_storage_operations_and_write_once_metadata(s3_env: dict[str, str], s3_bucket: str) -> None:
    storage = open_storage(f"s3://{s3_bucket}/root", s3_env)
    assert isinstance(storage, S3CheckpointStorage)
    storage.write("job/chk-1/op0-0.state", b"data")
    storage.publish("job/_checkpoint_counter", b"1")
    storage.publish("job/_checkpoint_counter", b"2")  # ordinary files may be replaced
    storage.publish("job/chk-1/_metadata", b"first")
    with pytest.raises(AlreadyPublishedError):
        storage.publish("job/chk-1/_metadata", b"second")
    assert storage.read("job/chk-1/_metadata") == b"first"
    assert storage.read("job/_checkpoint_counter") == b"2"
    assert storage.list_dir("job") == ["_checkpoint_counter", "chk-1"]
    assert storage.list_dir("job/chk-1") == ["_metadata", "op0-0.state"]
    assert storage.exists("job/chk-1/op0-0.state") and not storage.exists("job/chk-1/missing")
    with pytest.raises(FileNotFoundError):
        storage.read("job/missing")
    child = storage.child("job/chk-1")
    assert child.read("_metadata") == b"first"
    assert child.describe("") == f"s3://{s3_bucket}/root/job/chk-1"
    storage.delete_tree("job/chk-1")
    assert storage.list_dir("job") == ["_checkpoint_counter"]
    assert storage.list_dir("nothing") == []


def test_listing_and_deleting_span_pages(s3_env: dict[str, str], s3_bucket: str) -> None:
    storage = S3CheckpointStorage(s3_bucket, "p", client=make_s3_client(s3_env), page_size=3)
    for index in range(10):
        storage.write(f"big/f{index:02d}", b"x")
        storage.write(f"big/sub{index:02d}/x", b"x")
    assert storage.list_dir("big") == sorted(
        [f"f{i:02d}" for i in range(10)] + [f"sub{i:02d}" for i in range(10)]
    )
    storage.delete_tree("big")
    assert storage.list_dir("") == []


def test_torn_upload_never_looks_complete_and_is_cleaned(
    s3_env: dict[str, str], s3_bucket: str, tmp_path: Path
) -> None:
    root = f"s3://{s3_bucket}/checkpoints"
    env = {**s3_env, "N": "4000", "RATE": "10000", "OUT_DIR": str(tmp_path / "out")}
    first = Supervisor(
        JobProcessSpec(
            str(JOBS / "sequence_job.py"), "job", root, env={**env, FAULT_ENV: "before_metadata@2"}
        ),
        restart_strategy=NoRestartStrategy(),
        log_dir=str(tmp_path / "logs"),
    )
    first.start()
    assert first.wait(60) is JobProcessStatus.FAILED, read_logs(tmp_path)
    assert first.failure_cause == "Job process exited with code 137."

    layout = CheckpointLayout(open_storage(root, s3_env), "job")
    assert layout.checkpoint_ids() == [1, 2]
    torn = layout.storage.list_dir(layout.checkpoint_dir(2))
    assert torn and "_metadata" not in torn  # data objects were uploaded, the commit record was not
    assert [ref.checkpoint_id for ref in layout.completed()] == [1]
    latest = first.latest_checkpoint_path()
    assert latest == f"{root}/job/chk-1"
    assert CheckpointMetadata.from_bytes(open_storage(latest, s3_env).read("_metadata")).checkpoint_id == 1

    second = Supervisor(
        JobProcessSpec(str(JOBS / "sequence_job.py"), "job", root, env=env, restore_path=latest),
        log_dir=str(tmp_path / "logs2"),
    )
    second.start()
    assert second.wait(60) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    assert "Removed torn checkpoint directories [2]" in (tmp_path / "logs2" / "job-attempt-0.log").read_text()
    assert 2 not in layout.checkpoint_ids()
    assert [int(line) for line in read_committed_lines(str(tmp_path / "out"))[0]] == list(range(4000))


def test_checkpoint_ids_continue_on_s3(s3_env: dict[str, str], s3_bucket: str, tmp_path: Path) -> None:
    root = f"s3://{s3_bucket}/c"
    spec = JobProcessSpec(
        str(JOBS / "sequence_job.py"),
        "ids",
        root,
        env={**s3_env, "N": "2000", "RATE": "10000", "OUT_DIR": str(tmp_path / "out")},
        overrides=RuntimeOverrides(),
    )
    supervisor = Supervisor(spec, log_dir=str(tmp_path / "logs"))
    supervisor.start()
    assert supervisor.wait(60) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    layout = CheckpointLayout(open_storage(root, s3_env), "ids")
    assert layout.read_counter() >= 1 and len(layout.completed()) == 1  # retention applies on S3 too
    assert [int(line) for line in read_committed_lines(str(tmp_path / "out"))[0]] == list(range(2000))


def test_savepoint_on_s3_is_relocatable(
    s3_env: dict[str, str], s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)  # the in-process job opens s3:// targets with the process environment
    from tests.runtime.test_rescaling import (
        KEYS,
        Collect,
        ListThenIdleSource,
        _env,
        _options,
        _stop_with_savepoint,
    )

    records = [(key, key + n) for n in range(3) for key in range(KEYS)]
    ListThenIdleSource.ELEMENTS = list(records)
    location = _stop_with_savepoint(
        InProcessJob(_env(), _options(tmp_path, 2)).start(), f"s3://{s3_bucket}/sp"
    )

    client = make_s3_client(s3_env)
    source_prefix = location.removeprefix(f"s3://{s3_bucket}/")
    for name in open_storage(location, s3_env).list_dir(""):
        client.copy_object(
            Bucket=s3_bucket,
            Key=f"moved/copy/{name}",
            CopySource={"Bucket": s3_bucket, "Key": f"{source_prefix}/{name}"},
        )
    open_storage(location, s3_env).delete_tree("")

    ListThenIdleSource.ELEMENTS = records + [("probe", key) for key in range(KEYS)]
    Collect.SEEN = []
    options = _options(tmp_path, 3)
    options.restore_storage = open_storage(f"s3://{s3_bucket}/moved/copy", s3_env)
    _stop_with_savepoint(InProcessJob(_env(), options).start(), str(tmp_path / "again"))
    assert {key: total for key, total, _ in Collect.SEEN} == {key: 3 * key + 3 for key in range(KEYS)}


def test_an_s3_savepoint_disposed_through_the_adapter_is_gone(
    s3_env: dict[str, str], s3_bucket: str, tmp_path: Path
) -> None:
    adapter = EmbeddedRuntimeAdapter(tmp_path / "runtime", cancel_timeout_s=10)
    spec = JobSpec(
        job_id="s3-job",
        name="app",
        code=JobCode(root=JOBS, entry="sequence_job.py"),
        checkpoints=CheckpointSettings(enabled=True, interval_ms=50, min_pause_ms=0),
        checkpoint_dir=f"s3://{s3_bucket}/checkpoints",
        environment={**s3_env, "N": "1000000", "RATE": "200", "OUT_DIR": str(tmp_path / "out")},
    )
    try:
        assert adapter.start(spec).result is StartResult.STARTED
        request = SavepointRequest("trigger-1", f"s3://{s3_bucket}/savepoints")
        status = adapter.savepoint_status("s3-job", "trigger-1")
        deadline = time.monotonic() + WAIT_S
        while status.state is not SavepointState.COMPLETED and time.monotonic() < deadline:
            adapter.trigger_savepoint("s3-job", request)
            time.sleep(0.05)
            status = adapter.savepoint_status("s3-job", "trigger-1")
        assert status.state is SavepointState.COMPLETED and status.location is not None, status
        assert status.location.startswith(f"s3://{s3_bucket}/savepoints/savepoint-")
        savepoint = open_storage(status.location, s3_env)
        assert savepoint.exists("_metadata")

        assert adapter.dispose_savepoint(status.location).result is DisposeResult.DISPOSED
        assert savepoint.list_dir("") == []
        assert adapter.dispose_savepoint(status.location).result is DisposeResult.NOT_FOUND
    finally:
        adapter.close()
