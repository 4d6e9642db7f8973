"""The Flink blocks of a configuration: checkpointing, monitoring, parallelism, snapshots, run configuration.

AWS's DEFAULT rule lives here and only here: a block whose ``ConfigurationType`` is DEFAULT is
described (and runs) with the values below, whatever else it carries; a CUSTOM block takes the given
values over them. ``view.VersionView`` reads the effective values through ``described_block``.
"""

from __future__ import annotations

import copy
from typing import Any

from api_models import errors
from api_models.models import ApplicationRestoreType, ConfigurationType, RunConfigurationUpdate, SnapshotMode
from app.services.configuration.wire import (
    CHECKPOINT,
    FLINK_RUN,
    MONITORING,
    PARALLELISM,
    RESTORE,
    RUN,
    SNAPSHOTS,
    supports_enhanced_snapshots,
)

DEFAULT = ConfigurationType.DEFAULT.value
CUSTOM = ConfigurationType.CUSTOM.value

DEFAULT_CHECKPOINT: dict[str, Any] = {
    "ConfigurationType": DEFAULT,
    "CheckpointingEnabled": True,
    "CheckpointInterval": 60000,
    "MinPauseBetweenCheckpoints": 5000,
}
DEFAULT_MONITORING: dict[str, Any] = {
    "ConfigurationType": DEFAULT,
    "MetricsLevel": "APPLICATION",
    "LogLevel": "INFO",
}
DEFAULT_PARALLELISM: dict[str, Any] = {
    "ConfigurationType": DEFAULT,
    "Parallelism": 1,
    "ParallelismPerKPU": 1,
    "CurrentParallelism": 1,
    "AutoScalingEnabled": True,
}
DEFAULT_RUN_CONFIGURATION: dict[str, Any] = {
    RESTORE: {"ApplicationRestoreType": ApplicationRestoreType.RESTORE_FROM_LATEST_SNAPSHOT.value},
    FLINK_RUN: {"AllowNonRestoredState": False},
}
DEFAULT_SNAPSHOTS: dict[str, Any] = {"SnapshotsEnabled": True}
DEFAULT_ROLLBACK: dict[str, Any] = {"RollbackEnabled": False}

_DEFAULTS = {CHECKPOINT: DEFAULT_CHECKPOINT, MONITORING: DEFAULT_MONITORING, PARALLELISM: DEFAULT_PARALLELISM}
_UPDATES = {
    "CheckpointConfigurationUpdate": CHECKPOINT,
    "MonitoringConfigurationUpdate": MONITORING,
    "ParallelismConfigurationUpdate": PARALLELISM,
}


def described_block(member: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """The description of block ``member`` (CHECKPOINT, MONITORING or PARALLELISM) as it is in force.

    DEFAULT (or nothing given) → AWS's values; CUSTOM → the given values over them. A CUSTOM
    parallelism runs at its ``Parallelism``, so ``CurrentParallelism`` follows it.
    """
    defaults = _DEFAULTS[member]
    if given is None or given.get("ConfigurationType", DEFAULT) == DEFAULT:
        return dict(defaults)
    described = {**defaults, **given}
    if member == PARALLELISM:
        described["CurrentParallelism"] = described["Parallelism"]
    return described


def initial_flink(given: dict[str, Any]) -> dict[str, Any]:
    """``FlinkApplicationConfigurationDescription`` of a new application."""
    return {
        CHECKPOINT: described_block(CHECKPOINT, given.get("CheckpointConfiguration")),
        MONITORING: described_block(MONITORING, given.get("MonitoringConfiguration")),
        PARALLELISM: described_block(PARALLELISM, given.get("ParallelismConfiguration")),
    }


def update_flink(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The Flink description after ``FlinkApplicationConfigurationUpdate`` (wire form)."""
    updated = dict(current)
    for update_member, member in _UPDATES.items():
        if update_member not in update:
            continue
        changes = {key.removesuffix("Update"): value for key, value in update[update_member].items()}
        previous = updated.get(member, _DEFAULTS[member])
        configuration_type = changes.get("ConfigurationType", previous.get("ConfigurationType", DEFAULT))
        base = previous if previous.get("ConfigurationType") == CUSTOM else {}
        updated[member] = described_block(
            member,
            {**base, **changes, "ConfigurationType": CUSTOM if configuration_type != DEFAULT else DEFAULT},
        )
    return updated


def check_snapshot_mode(runtime: str, mode: str | None) -> None:
    """ENHANCED_SNAPSHOTS only on runtimes that support it."""
    if mode == SnapshotMode.ENHANCED_SNAPSHOTS.value and not supports_enhanced_snapshots(runtime):
        raise errors.InvalidArgumentException(
            f"SnapshotMode ENHANCED_SNAPSHOTS requires Apache Flink 1.20 or later; the runtime is {runtime}"
        )


def update_snapshots(runtime: str, current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The snapshot description after ``ApplicationSnapshotConfigurationUpdate`` (wire form)."""
    updated = {**current, "SnapshotsEnabled": update["SnapshotsEnabledUpdate"]}
    mode = update.get("SnapshotModeUpdate")
    if mode is not None:
        check_snapshot_mode(runtime, mode)
        enhanced = SnapshotMode.ENHANCED_SNAPSHOTS.value
        if current.get("SnapshotMode") == enhanced and mode != enhanced:
            raise errors.InvalidArgumentException(
                "SnapshotMode cannot change from ENHANCED_SNAPSHOTS to APPLICATION_SNAPSHOTS_LEGACY; "
                "use RollbackApplication"
            )
        updated["SnapshotMode"] = mode
    return updated


def check_custom_restore(enhanced: bool, name: str | None, arn: str | None) -> None:
    """RESTORE_FROM_CUSTOM_SNAPSHOT names exactly one snapshot: ``SnapshotName`` (an application snapshot)
    in legacy mode, ``SnapshotArn`` (an enhanced snapshot) in enhanced mode."""
    if bool(name) == bool(arn):
        raise errors.InvalidArgumentException(
            "ApplicationRestoreType RESTORE_FROM_CUSTOM_SNAPSHOT requires SnapshotName (SnapshotArn in "
            "enhanced snapshot mode): exactly one of them"
        )
    if arn and not enhanced:
        raise errors.InvalidArgumentException(
            "SnapshotArn requires SnapshotMode ENHANCED_SNAPSHOTS; use SnapshotName for application snapshots"
        )
    if name and enhanced:
        raise errors.InvalidArgumentException(
            "The application uses SnapshotMode ENHANCED_SNAPSHOTS; restore from an enhanced snapshot "
            "by SnapshotArn"
        )


def apply_run_configuration(described: dict[str, Any], update: RunConfigurationUpdate | None) -> None:
    """RunConfigurationUpdate is not sticky: omitted members fall back to AWS's defaults."""
    if update is None:
        if RUN in described:
            described[RUN] = copy.deepcopy(DEFAULT_RUN_CONFIGURATION)
        return
    run = copy.deepcopy(DEFAULT_RUN_CONFIGURATION)
    restore = update.application_restore_configuration
    if restore is not None:
        if restore.application_restore_type is ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT:
            enhanced = described.get(SNAPSHOTS, {}).get("SnapshotMode") == SnapshotMode.ENHANCED_SNAPSHOTS
            check_custom_restore(enhanced, restore.snapshot_name, restore.snapshot_arn)
        run[RESTORE] = restore.model_dump(mode="json", by_alias=True, exclude_none=True)
    flink = update.flink_run_configuration
    if flink is not None and flink.allow_non_restored_state is not None:
        run[FLINK_RUN] = {"AllowNonRestoredState": flink.allow_non_restored_state}
    described[RUN] = run
