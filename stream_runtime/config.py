"""Checkpointing configuration (Flink's CheckpointConfig) and control-plane overrides."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class CheckpointingMode(Enum):
    """Consistency guarantee of checkpoints."""

    EXACTLY_ONCE = "EXACTLY_ONCE"
    AT_LEAST_ONCE = "AT_LEAST_ONCE"


class ExternalizedCheckpointCleanup(Enum):
    """What happens to retained checkpoints when the job is cancelled (Flink 2's
    ``ExternalizedCheckpointRetention``; NO_EXTERNALIZED_CHECKPOINTS deletes them on cancellation too)."""

    RETAIN_ON_CANCELLATION = "RETAIN_ON_CANCELLATION"
    DELETE_ON_CANCELLATION = "DELETE_ON_CANCELLATION"
    NO_EXTERNALIZED_CHECKPOINTS = "NO_EXTERNALIZED_CHECKPOINTS"

    def deletes_on_cancellation(self) -> bool:
        """Whether a cancelled job's checkpoints are deleted."""
        return self is not ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION


DEFAULT_CHECKPOINT_TIMEOUT_MS = 10 * 60 * 1000


class CheckpointConfig:
    """Checkpoint settings with Flink's defaults (interval unset ⇒ checkpointing disabled)."""

    def __init__(self) -> None:
        self.checkpoint_interval_ms: int = -1
        self.checkpointing_mode = CheckpointingMode.EXACTLY_ONCE
        self.min_pause_between_checkpoints_ms = 0
        self.checkpoint_timeout_ms = DEFAULT_CHECKPOINT_TIMEOUT_MS
        self.max_concurrent_checkpoints = 1
        self.tolerable_checkpoint_failure_number = 0
        self.externalized_checkpoint_cleanup = ExternalizedCheckpointCleanup.DELETE_ON_CANCELLATION
        self.num_retained_checkpoints = 1
        self.unaligned_requested = False
        self.aligned_checkpoint_timeout: Any = None

    def is_checkpointing_enabled(self) -> bool:
        """Whether an interval has been set."""
        return self.checkpoint_interval_ms > 0

    def set_checkpoint_interval(self, checkpoint_interval: int) -> None:
        """Interval between checkpoint triggers; must be ≥ 10 ms as in Flink."""
        if checkpoint_interval < 10:
            raise ValueError("checkpoint interval must be at least 10 ms")
        self.checkpoint_interval_ms = checkpoint_interval

    def get_checkpoint_interval(self) -> int:
        """Configured interval (-1 when disabled)."""
        return self.checkpoint_interval_ms

    def set_checkpointing_mode(self, checkpointing_mode: CheckpointingMode) -> None:
        """EXACTLY_ONCE (default) or AT_LEAST_ONCE."""
        self.checkpointing_mode = checkpointing_mode

    def get_checkpointing_mode(self) -> CheckpointingMode:
        """The configured mode."""
        return self.checkpointing_mode

    def set_min_pause_between_checkpoints(self, min_pause_between_checkpoints: int) -> None:
        """Minimum time between the end of one checkpoint and the start of the next."""
        if min_pause_between_checkpoints < 0:
            raise ValueError("min pause must be >= 0")
        self.min_pause_between_checkpoints_ms = min_pause_between_checkpoints

    def get_min_pause_between_checkpoints(self) -> int:
        """The configured min pause."""
        return self.min_pause_between_checkpoints_ms

    def set_checkpoint_timeout(self, checkpoint_timeout: int) -> None:
        """Checkpoints pending longer than this expire (a counted failure)."""
        if checkpoint_timeout < 1:
            raise ValueError("checkpoint timeout must be >= 1 ms")
        self.checkpoint_timeout_ms = checkpoint_timeout

    def get_checkpoint_timeout(self) -> int:
        """The configured timeout."""
        return self.checkpoint_timeout_ms

    def set_max_concurrent_checkpoints(self, max_concurrent_checkpoints: int) -> None:
        """How many checkpoints may be in flight at once."""
        if max_concurrent_checkpoints < 1:
            raise ValueError("max concurrent checkpoints must be >= 1")
        self.max_concurrent_checkpoints = max_concurrent_checkpoints

    def get_max_concurrent_checkpoints(self) -> int:
        """The configured maximum (a min pause > 0 implies 1)."""
        return self.max_concurrent_checkpoints

    def set_tolerable_checkpoint_failure_number(self, tolerable_checkpoint_failure_number: int) -> None:
        """Consecutive counted checkpoint failures tolerated before the job fails."""
        if tolerable_checkpoint_failure_number < 0:
            raise ValueError("tolerable checkpoint failure tolerable_checkpoint_failure_number must be >= 0")
        self.tolerable_checkpoint_failure_number = tolerable_checkpoint_failure_number

    def get_tolerable_checkpoint_failure_number(self) -> int:
        """The configured tolerance."""
        return self.tolerable_checkpoint_failure_number

    def set_externalized_checkpoint_cleanup(self, cleanup: ExternalizedCheckpointCleanup) -> None:
        """Retain or delete checkpoints on cancellation."""
        self.externalized_checkpoint_cleanup = cleanup

    enable_externalized_checkpoints = set_externalized_checkpoint_cleanup

    def set_externalized_checkpoint_retention(self, retention_mode: ExternalizedCheckpointCleanup) -> None:
        """Flink 2's name of :meth:`set_externalized_checkpoint_cleanup`."""
        self.externalized_checkpoint_cleanup = retention_mode

    def get_externalized_checkpoint_cleanup(self) -> ExternalizedCheckpointCleanup:
        """The configured cleanup mode."""
        return self.externalized_checkpoint_cleanup

    get_externalized_checkpoint_retention = get_externalized_checkpoint_cleanup

    def is_externalized_checkpoints_enabled(self) -> bool:
        """Whether completed checkpoints are kept beyond the job (not NO_EXTERNALIZED_CHECKPOINTS)."""
        return (
            self.externalized_checkpoint_cleanup
            is not ExternalizedCheckpointCleanup.NO_EXTERNALIZED_CHECKPOINTS
        )

    def set_fail_on_checkpointing_errors(self, fail_on_checkpointing_errors: bool) -> None:
        """Deprecated in Flink 2: tolerate no checkpoint failure (True) or any number (False)."""
        self.set_tolerable_checkpoint_failure_number(0 if fail_on_checkpointing_errors else 2147483647)

    def is_fail_on_checkpointing_errors(self) -> bool:
        """Whether no checkpoint failure is tolerated."""
        return self.tolerable_checkpoint_failure_number == 0

    def enable_unaligned_checkpoints(self, enabled: bool = True) -> None:
        """Accepted and recorded; checkpoints stay aligned: every subtask runs in one process, where barriers
        never wait behind buffered records in network channels."""
        self.unaligned_requested = enabled

    def disable_unaligned_checkpoints(self) -> None:
        """See :meth:`enable_unaligned_checkpoints`."""
        self.unaligned_requested = False

    def is_unaligned_checkpoints_enabled(self) -> bool:
        """Always false: checkpoints are aligned (see :meth:`enable_unaligned_checkpoints`)."""
        return False

    def set_force_unaligned_checkpoints(self, force_unaligned_checkpoints: bool = True) -> None:
        """Accepted; checkpoints stay aligned (see :meth:`enable_unaligned_checkpoints`)."""
        self.unaligned_requested = force_unaligned_checkpoints

    def is_force_unaligned_checkpoints(self) -> bool:
        """Always false (see :meth:`enable_unaligned_checkpoints`)."""
        return False

    def set_aligned_checkpoint_timeout(self, alignment_timeout: Any) -> None:
        """Accepted; alignment never times out into unaligned checkpoints here."""
        self.aligned_checkpoint_timeout = alignment_timeout

    def get_aligned_checkpoint_timeout(self) -> Any:
        """The value given to :meth:`set_aligned_checkpoint_timeout` (``None`` if unset)."""
        return self.aligned_checkpoint_timeout

    set_alignment_timeout = set_aligned_checkpoint_timeout
    get_alignment_timeout = get_aligned_checkpoint_timeout

    def set_num_retained_checkpoints(self, number: int) -> None:
        """How many completed checkpoints to keep (default 1)."""
        if number < 1:
            raise ValueError("number of retained checkpoints must be >= 1")
        self.num_retained_checkpoints = number

    def effective_max_concurrent(self) -> int:
        """A min pause forces one checkpoint at a time, as in Flink."""
        return 1 if self.min_pause_between_checkpoints_ms > 0 else self.max_concurrent_checkpoints

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return {
            "interval_ms": self.checkpoint_interval_ms,
            "mode": self.checkpointing_mode.value,
            "min_pause_ms": self.min_pause_between_checkpoints_ms,
            "timeout_ms": self.checkpoint_timeout_ms,
            "max_concurrent": self.max_concurrent_checkpoints,
            "tolerable_failures": self.tolerable_checkpoint_failure_number,
            "externalized_cleanup": self.externalized_checkpoint_cleanup.value,
            "num_retained": self.num_retained_checkpoints,
        }


@dataclass(frozen=True)
class RuntimeOverrides:
    """Settings imposed by the control plane; each one set here wins over what the job code sets."""

    checkpointing_enabled: bool | None = None
    checkpoint_interval_ms: int | None = None
    min_pause_between_checkpoints_ms: int | None = None
    parallelism: int | None = None
    state_backend: str | None = None  # "hashmap" | "rocksdb" (state.backend.type)
    incremental_checkpoints: bool | None = None  # state.backend.incremental

    def apply(self, config: CheckpointConfig) -> None:
        """Overwrite the job's checkpoint settings."""
        if self.checkpoint_interval_ms is not None:
            config.set_checkpoint_interval(self.checkpoint_interval_ms)
        if self.min_pause_between_checkpoints_ms is not None:
            config.set_min_pause_between_checkpoints(self.min_pause_between_checkpoints_ms)
        if self.checkpointing_enabled is False:
            config.checkpoint_interval_ms = -1
        elif self.checkpointing_enabled and not config.is_checkpointing_enabled():
            raise ValueError("checkpointing is enabled without an interval: set the checkpoint interval too")

    def to_cli_args(self) -> list[str]:
        """The ``run`` command-line flags carrying these overrides."""
        args: list[str] = []
        if self.checkpointing_enabled is not None:
            args.append("--checkpointing" if self.checkpointing_enabled else "--no-checkpointing")
        if self.checkpoint_interval_ms is not None:
            args += ["--checkpoint-interval", str(self.checkpoint_interval_ms)]
        if self.min_pause_between_checkpoints_ms is not None:
            args += ["--min-pause", str(self.min_pause_between_checkpoints_ms)]
        if self.parallelism is not None:
            args += ["--parallelism", str(self.parallelism)]
        if self.state_backend is not None:
            args += ["--state-backend", self.state_backend]
        if self.incremental_checkpoints is not None:
            args.append(
                "--incremental-checkpoints"
                if self.incremental_checkpoints
                else "--no-incremental-checkpoints"
            )
        return args

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return asdict(self)
