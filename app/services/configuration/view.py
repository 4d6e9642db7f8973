"""One typed view of a version's effective configuration: what a start, stop, update or snapshot acts on.

The control loop, StartApplication, the snapshot calls and job planning read a stored version only
through ``VersionView``; each effective value (DEFAULT or CUSTOM checkpointing, parallelism, what a
start restores from, whether snapshots are taken, whether a failed update rolls back) is decided here
once, from the blocks ``flink`` describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_models.models import ApplicationRestoreType, SnapshotMode
from app.services.configuration.flink import DEFAULT_RUN_CONFIGURATION, described_block
from app.services.configuration.wire import (
    APP_CONFIG,
    CHECKPOINT,
    CODE,
    ENVIRONMENT,
    FLINK,
    FLINK_RUN,
    MONITORING,
    PARALLELISM,
    RESTORE,
    ROLLBACK,
    RUN,
    SNAPSHOTS,
    Configuration,
)


@dataclass(frozen=True)
class CheckpointPolicy:
    """The checkpointing a job runs with; it wins over what the job's code sets."""

    enabled: bool
    interval_ms: int
    min_pause_ms: int


@dataclass(frozen=True)
class RestoreRequest:
    """What a start asks to restore from (``ApplicationRestoreConfiguration`` in force)."""

    restore_type: ApplicationRestoreType
    snapshot_name: str | None = None
    allow_non_restored_state: bool = False
    snapshot_arn: str | None = None


class VersionView:
    """Read-only, typed access to one stored version configuration's effective values."""

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration

    @property
    def runtime(self) -> str:
        """The ``RuntimeEnvironment``."""
        return str(self.configuration["RuntimeEnvironment"])

    @property
    def described(self) -> dict[str, Any]:
        """The ``ApplicationConfigurationDescription``."""
        described: dict[str, Any] = self.configuration.get(APP_CONFIG, {})
        return described

    def effective_checkpoint(self) -> CheckpointPolicy:
        """AWS's DEFAULT values (60 s interval, 5 s min pause, enabled), or the CUSTOM ones."""
        block = described_block(CHECKPOINT, self.described.get(FLINK, {}).get(CHECKPOINT))
        return CheckpointPolicy(
            enabled=bool(block["CheckpointingEnabled"]),
            interval_ms=int(block["CheckpointInterval"]),
            min_pause_ms=int(block["MinPauseBetweenCheckpoints"]),
        )

    def parallelism(self) -> int:
        """The parallelism the job runs with (DEFAULT: 1)."""
        return int(
            described_block(PARALLELISM, self.described.get(FLINK, {}).get(PARALLELISM))["Parallelism"]
        )

    def parallelism_per_kpu(self) -> int:
        """Parallel tasks per KPU (DEFAULT: 1)."""
        return int(
            described_block(PARALLELISM, self.described.get(FLINK, {}).get(PARALLELISM))["ParallelismPerKPU"]
        )

    def monitoring(self) -> dict[str, Any]:
        """The ``MonitoringConfigurationDescription`` in force (DEFAULT: INFO logs, APPLICATION metrics)."""
        return described_block(MONITORING, self.described.get(FLINK, {}).get(MONITORING))

    def run_configuration(self) -> dict[str, Any]:
        """The ``RunConfigurationDescription`` in force (empty before the first start)."""
        run: dict[str, Any] = self.described.get(RUN, {})
        return run

    def start_run_configuration(self) -> dict[str, Any]:
        """The run configuration a start begins from: the one in force, else AWS's defaults."""
        return self.described.get(RUN) or DEFAULT_RUN_CONFIGURATION

    def restore(self) -> RestoreRequest:
        """What a start of this version restores from (RESTORE_FROM_LATEST_SNAPSHOT unless told)."""
        run = self.run_configuration()
        restore = run.get(RESTORE, {})
        return RestoreRequest(
            restore_type=ApplicationRestoreType(
                restore.get("ApplicationRestoreType", ApplicationRestoreType.RESTORE_FROM_LATEST_SNAPSHOT)
            ),
            snapshot_name=restore.get("SnapshotName"),
            allow_non_restored_state=bool(run.get(FLINK_RUN, {}).get("AllowNonRestoredState", False)),
            snapshot_arn=restore.get("SnapshotArn"),
        )

    def snapshots_enabled(self) -> bool:
        """Whether snapshots are taken (system snapshots on stop and update; CreateApplicationSnapshot)."""
        return bool(self.described.get(SNAPSHOTS, {}).get("SnapshotsEnabled", False))

    def enhanced_snapshots(self) -> bool:
        """Whether the application uses SnapshotMode ENHANCED_SNAPSHOTS."""
        return bool(self.described.get(SNAPSHOTS, {}).get("SnapshotMode") == SnapshotMode.ENHANCED_SNAPSHOTS)

    def rollback_enabled(self) -> bool:
        """Whether a failed update or scale rolls back to the previous running version (system rollback)."""
        return bool(self.described.get(ROLLBACK, {}).get("RollbackEnabled", False))

    def property_groups(self) -> list[dict[str, Any]]:
        """The application's property groups in AWS's shape."""
        groups: list[dict[str, Any]] = self.described.get(ENVIRONMENT, {}).get(
            "PropertyGroupDescriptions", []
        )
        return groups

    def code(self) -> dict[str, Any] | None:
        """The ``ApplicationCodeConfigurationDescription`` (None when the application has no code)."""
        code: dict[str, Any] | None = self.described.get(CODE) or None
        return code
