"""SnapshotMode is a one-way switch except through RollbackApplication, when no update followed the switch.

The switch to ENHANCED_SNAPSHOTS stops the running job with an *enhanced* system snapshot, which the new
version restores; a rollback to the legacy version stops with an *application snapshot (legacy)*, which
the rolled-back version restores. Once another update follows the switch, a rollback returns to the
enhanced version, and nothing leads back to legacy mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api_models import errors
from tests.api.app_helpers import aws_error
from tests.conftest import LiveServer
from tests.control.conftest import ControlEnv
from tests.control.test_end_to_end import WordCountApp
from tests.control.test_enhanced_snapshot_loop import describe_location, system_snapshots
from tests.control.test_live_server import rescale, wait_successful
from tests.control.test_rollback import PARALLELISM_2, roll_back, settle

LEGACY, ENHANCED = "APPLICATION_SNAPSHOTS_LEGACY", "ENHANCED_SNAPSHOTS"


def mode_update(mode: str) -> dict[str, Any]:
    return {
        "ApplicationConfigurationUpdate": {
            "ApplicationSnapshotConfigurationUpdate": {
                "SnapshotsEnabledUpdate": True,
                "SnapshotModeUpdate": mode,
            }
        }
    }


def snapshot_mode(control: ControlEnv) -> str:
    configuration = control.describe()["ApplicationConfigurationDescription"]
    mode: str = configuration["ApplicationSnapshotConfigurationDescription"].get("SnapshotMode", LEGACY)
    return mode


def test_a_rollback_right_after_the_switch_returns_to_legacy_mode_with_the_state(control: ControlEnv) -> None:
    control.run()
    control.update(**mode_update(ENHANCED))
    settle(control)
    assert (control.status(), snapshot_mode(control)) == ("RUNNING", ENHANCED)
    [upgrade] = system_snapshots(control)  # the switch's stop took an enhanced snapshot ...
    assert control.snapshots() == []
    restored = control.job().spec.restore  # ... and the enhanced version restored it
    assert restored is not None and restored.location == describe_location(control, upgrade["SnapshotName"])

    response = roll_back(control)
    assert response.application_detail.application_version_rolled_back_to == 1
    settle(control)
    assert (control.status(), snapshot_mode(control)) == ("RUNNING", LEGACY)
    assert control.describe()["ApplicationVersionId"] == 3
    [legacy] = control.snapshots()  # the rollback's stop took an application snapshot (legacy) ...
    restored = control.job().spec.restore  # ... which the legacy version restored
    assert restored is not None and restored.location == legacy.savepoint_location
    assert control.operation(response.operation_id)["OperationStatus"] == "SUCCESSFUL"


def test_after_an_update_follows_the_switch_there_is_no_way_back_to_legacy(control: ControlEnv) -> None:
    control.run()
    control.update(**mode_update(ENHANCED))
    settle(control)
    control.update(**PARALLELISM_2)
    settle(control)
    assert (control.describe()["ApplicationVersionId"], snapshot_mode(control)) == (3, ENHANCED)
    with pytest.raises(errors.InvalidArgumentException, match="use RollbackApplication"):
        control.update(**mode_update(LEGACY))
    response = roll_back(control)  # back to version 2: the switch, not what came before it
    assert response.application_detail.application_version_rolled_back_to == 2
    settle(control)
    assert (control.status(), snapshot_mode(control)) == ("RUNNING", ENHANCED)
    assert control.job().spec.parallelism == 1 and control.snapshots() == []
    with pytest.raises(errors.InvalidRequestException, match="no previous version"):
        roll_back(control)
    assert control.describe()["ApplicationVersionId"] == 4


def switch(kav2: Any, name: str, mode: str) -> str:
    """UpdateApplication with a SnapshotModeUpdate; the operation id."""
    version = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationVersionId"]
    operation_id: str = kav2.update_application(
        ApplicationName=name, CurrentApplicationVersionId=version, **mode_update(mode)
    )["OperationId"]
    return operation_id


def live_mode(kav2: Any, name: str) -> tuple[int, str]:
    detail = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]
    snapshots = detail["ApplicationConfigurationDescription"]["ApplicationSnapshotConfigurationDescription"]
    return detail["ApplicationVersionId"], snapshots.get("SnapshotMode", LEGACY)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # both databases: the tick tests above
def test_the_example_goes_back_to_legacy_mode_by_rollback_and_counts_on_exactly(
    make_server: Any, tmp_path: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.1)  # the embedded runtime
    app = WordCountApp(live.url, tmp_path / "out")
    kav2 = app.kav2
    app.deploy()
    app.put(20)
    app.assert_counts_exact()

    wait_successful(kav2, app.name, switch(kav2, app.name, ENHANCED))
    assert live_mode(kav2, app.name) == (2, ENHANCED)
    [upgrade] = kav2.list_snapshots(SourceApplicationName=app.name)["SnapshotInfoList"]
    assert (upgrade["SnapshotInitiator"], upgrade["SnapshotStatus"]) == ("SYSTEM", "READY")
    app.put(20)
    app.assert_counts_exact()  # the enhanced version restored the switch's snapshot

    rollback = kav2.rollback_application(ApplicationName=app.name, CurrentApplicationVersionId=2)
    wait_successful(kav2, app.name, rollback["OperationId"])
    assert live_mode(kav2, app.name) == (3, LEGACY)
    detail = kav2.describe_application(ApplicationName=app.name)["ApplicationDetail"]
    assert (detail["ApplicationVersionRolledBackFrom"], detail["ApplicationVersionRolledBackTo"]) == (2, 1)
    legacy = kav2.list_application_snapshots(ApplicationName=app.name)["SnapshotSummaries"]
    assert [s["SnapshotStatus"] for s in legacy] == ["READY"]  # the rollback's stop took it
    app.put(20)
    app.assert_counts_exact()  # the legacy version restored the rollback's snapshot: nothing lost or repeated

    # switched again, and updated after the switch: a rollback now returns to the switch, never to legacy
    wait_successful(kav2, app.name, switch(kav2, app.name, ENHANCED))
    wait_successful(kav2, app.name, rescale(kav2, app.name, 2))
    with aws_error("InvalidArgumentException", "use RollbackApplication"):
        switch(kav2, app.name, LEGACY)
    rollback = kav2.rollback_application(ApplicationName=app.name, CurrentApplicationVersionId=5)
    wait_successful(kav2, app.name, rollback["OperationId"])
    assert live_mode(kav2, app.name) == (6, ENHANCED)
    with aws_error("InvalidRequestException", "no previous version"):
        kav2.rollback_application(ApplicationName=app.name, CurrentApplicationVersionId=6)
    kav2.stop_application(ApplicationName=app.name, Force=True)
