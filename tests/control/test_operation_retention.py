"""Operation history ages out: finished application and snapshot operations go 90 days after they started,
pruned by the control loop's ``tick()`` under a manual clock; an operation still in progress stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api_models import errors, models
from app.services import operations
from tests.control.conftest import ControlEnv, dump
from tests.control.test_enhanced_snapshot_loop import (
    ENHANCED,
    operation,
    operations_of,
    ready,
    system_snapshots,
)

DAY = timedelta(days=1).total_seconds()


def application_operations(control: ControlEnv) -> list[str]:
    request = {"ApplicationName": "app"}
    response = control.call(
        operations.list_application_operations, request, models.ListApplicationOperationsRequest
    )
    infos: list[dict[str, Any]] = dump(response)["ApplicationOperationInfoList"]
    return [info["Operation"] for info in infos]


def test_finished_operations_go_90_days_after_they_started_and_running_ones_stay(control: ControlEnv) -> None:
    control.run(**ENHANCED)
    ready(control, "snap")
    [created] = operations_of(control, "snap")
    stop = control.stop()  # IN_PROGRESS until the loop sees it through
    control.clock.advance(90 * DAY)
    assert control.loop.retention.prune(control.clock()) == 0  # exactly 90 days: still available
    control.clock.advance(60)
    assert control.loop.retention.tick() == 2  # the start and the CreateSnapshot; the stop is in progress
    assert application_operations(control) == ["StopApplication"]
    assert operations_of(control, "snap") == []
    with pytest.raises(errors.ResourceNotFoundException):
        operation(control, "snap", created["SnapshotOperationId"])

    for _ in range(4):
        control.tick()
        control.fake.advance()
    control.tick()  # the stop ends (with its system snapshot) 90 days after it began
    assert control.status() == "READY" and control.operation(stop)["OperationStatus"] != "IN_PROGRESS"
    [system] = system_snapshots(control)
    assert control.tick().pruned_operations == 0  # pruned at most once an hour
    control.clock.advance(3600)
    assert control.tick().pruned_operations == 1  # the stop; its system snapshot's operation is new
    assert application_operations(control) == []
    assert [info["SnapshotOperation"] for info in operations_of(control, system["SnapshotName"])] == [
        "SystemCreateSnapshot"
    ]
