"""The job graph: the transformations a job declares and the job-level settings they run with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from stream_runtime.config import CheckpointConfig
from stream_runtime.restart import RestartStrategy
from stream_runtime.state.backends import StateBackend

KeySelector = Callable[[Any], Any]


@dataclass(eq=False)
class Transformation:
    """One node of the job graph: a source, an operator or a sink."""

    id: int
    kind: str
    name: str
    function: Any = None
    inputs: list[tuple[Transformation, KeySelector | None]] = field(default_factory=list)
    parallelism: int | None = None
    max_parallelism: int | None = None
    uid: str | None = None
    partitioners: dict[int, Any] = field(default_factory=dict)
    side_tag: str | None = None
    watermark_strategy: Any = None
    output_type: Any = None
    non_parallel: bool = False

    def stable_uid(self) -> str:
        """The explicit uid, or one derived from the node's kind and position (stable for the same code)."""
        return self.uid or f"auto-{self.kind}-{self.id}"


@dataclass(frozen=True)
class JobGraph:
    """What ``execute()`` hands the executor: the transformations and the environment's job-level settings."""

    transformations: Sequence[Transformation]
    checkpoint_config: CheckpointConfig
    parallelism: int
    max_parallelism: int | None
    restart_strategy: RestartStrategy | None
    state_backend: StateBackend | None
    auto_watermark_interval_ms: int
    job_parameters: dict[str, str] = field(default_factory=dict)


class GraphBuilder(Protocol):
    """What a stream needs of its environment (``stream_runtime.environment.StreamExecutionEnvironment``):
    adding a transformation, the job's settings and running the job."""

    def _add(self, kind: str, name: str, function: Any = None, **kwargs: Any) -> Transformation: ...

    def get_config(self) -> Any: ...

    def execute(self, job_name: str = ...) -> Any: ...
