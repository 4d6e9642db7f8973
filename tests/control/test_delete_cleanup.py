"""Issue 10: a deleted application leaves a clean disk, on a live server with the embedded runtime.

Everything the application's jobs wrote under the data directory (job folders, checkpoints, savepoints, log
files, the runtime's registry entries and routes) is gone once the control loop has disposed of it, except
the savepoints of enhanced snapshots, which outlive their application. Asserted on the filesystem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.api.app_helpers import python_zip as code_zip
from tests.conftest import LiveServer, eventually
from tests.control.conftest import ControlEnv
from tests.control.test_live_server import JOB, create, status, wait_successful

FAST_CHECKPOINTS = {
    "FlinkApplicationConfiguration": {
        "CheckpointConfiguration": {
            "ConfigurationType": "CUSTOM",
            "CheckpointingEnabled": True,
            "CheckpointInterval": 200,
            "MinPauseBetweenCheckpoints": 0,
        }
    },
    "EnvironmentProperties": {"PropertyGroups": [{"PropertyGroupId": "Job", "PropertyMap": {"rate": "200"}}]},
}
ENHANCED = {"SnapshotsEnabled": True, "SnapshotMode": "ENHANCED_SNAPSHOTS"}
# shared by applications (the code store ages out on its own schedule), the embedded AWS services' state,
# or outliving applications
KEPT = ("code/", "inline-code/", "aws/", "enhanced-snapshots/", "runtime/routes.json")


def files(data_dir: Path) -> set[str]:
    """Every file under the data directory, relative to it (os.walk skips folders deleted meanwhile)."""
    return {
        os.path.relpath(os.path.join(folder, name), data_dir)
        for folder, _, names in os.walk(data_dir)
        for name in names
    }


def job_ids(data_dir: Path) -> set[str]:
    """The jobs the runtime has a registry record of."""
    return {path.stem for path in (data_dir / "runtime" / "jobs").glob("*.json")}


@pytest.mark.parametrize("backend", ["sqlite"])  # the disk, not the database, is under test
def test_deleted_applications_leave_only_their_enhanced_snapshots_on_disk(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.05)
    data_dir = live.settings.data_dir
    kav2 = live.client()
    before = files(data_dir)
    code = {"ZipFileContent": code_zip({"main.py": JOB})}
    create(kav2, "plain", code, **FAST_CHECKPOINTS)
    create(kav2, "enhanced", code, **FAST_CHECKPOINTS, ApplicationSnapshotConfiguration=ENHANCED)
    for name in ("plain", "enhanced"):
        wait_successful(kav2, name, kav2.start_application(ApplicationName=name)["OperationId"])

    # plain: a snapshot, a stop (a system snapshot), then DeleteApplication while READY
    kav2.create_application_snapshot(ApplicationName="plain", SnapshotName="plain-snapshot")
    assert eventually(
        lambda: kav2.describe_application_snapshot(ApplicationName="plain", SnapshotName="plain-snapshot")[
            "SnapshotDetails"
        ]["SnapshotStatus"],
        "READY",
    )
    # enhanced: a snapshot, a stop (an enhanced system snapshot), a second job restored from it, and
    # DeleteApplication while it runs
    kav2.create_snapshot(ApplicationName="enhanced", SnapshotName="kept")
    kept = eventually(
        lambda: kav2.describe_snapshot(SnapshotName="kept")["SnapshotInfoDetails"]["SnapshotStatus"], "READY"
    )
    assert kept == "READY"
    for name in ("plain", "enhanced"):
        wait_successful(kav2, name, kav2.stop_application(ApplicationName=name)["OperationId"])
    wait_successful(kav2, "enhanced", kav2.start_application(ApplicationName="enhanced")["OperationId"])
    assert status(kav2, "enhanced") == "RUNNING"

    ran = job_ids(data_dir)
    assert len(ran) == 3  # plain's job, enhanced's first and second
    written = files(data_dir) - before
    assert any("/checkpoints/" in path for path in written) and any(
        "/savepoints/" in path for path in written
    )
    assert any(path.startswith("runtime/logs/") for path in written)
    assert len(kav2.list_snapshots()["SnapshotInfoList"]) == 2  # "kept" and the stop's SYSTEMSNAPSHOT-…
    enhanced_files = {path for path in written if path.startswith("enhanced-snapshots/")}
    assert len([path for path in enhanced_files if path.endswith("/_metadata")]) == 2  # their savepoints

    for name in ("plain", "enhanced"):
        created = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["CreateTimestamp"]
        kav2.delete_application(ApplicationName=name, CreateTimestamp=created)

    def leftovers() -> list[str]:
        folders = [f"state/{path.name}/" for path in (data_dir / "state").iterdir()]
        return sorted(path for path in files(data_dir) - before if not path.startswith(KEPT)) + folders

    assert eventually(leftovers, [], timeout=30) == []
    assert job_ids(data_dir) == set()
    assert json.loads((data_dir / "runtime" / "routes.json").read_text()) == {}
    assert enhanced_files <= files(data_dir)  # both enhanced snapshots' savepoints are intact
    assert {info["SnapshotStatus"] for info in kav2.list_snapshots()["SnapshotInfoList"]} == {"READY"}


def test_a_deleted_applications_jobs_are_disposed_of_once_stopped_retrying_refusals(
    control: ControlEnv,
) -> None:
    """Driven by tick(): every job the application ran is disposed of, after its running job was stopped;
    a runtime that refuses is asked again on the next tick, and only then is the application forgotten."""
    control.run()
    first = control.job().spec.job_id
    control.stop()
    control.tick()
    control.fake.advance()
    control.tick()
    control.start()
    control.tick()
    control.fake.advance()
    control.tick()
    second = control.job().spec.job_id
    assert control.status() == "RUNNING" and second != first
    application_dir = control.settings.data_dir / "state" / str(control.deployments()[0].application_id)
    assert sorted(path.name for path in (application_dir / "jobs").iterdir()) == sorted([first, second])
    control.delete()  # returns at once; the loop does the rest
    control.fake.fail_next_dispose("OSError: storage unavailable")
    control.tick()  # the running job is force-stopped; nothing is disposed of while it may still run
    assert ("stop:FORCE", second) in control.fake.calls
    assert [call for call in control.fake.calls if call[0] == "dispose_job"] == []
    control.tick()  # gone: disposal, refused once
    assert len(control.deployments()) == 1 and application_dir.is_dir()
    control.tick()
    assert control.deployments() == []
    assert sorted(control.fake.disposed) == sorted([first, second])
    assert not application_dir.exists()
