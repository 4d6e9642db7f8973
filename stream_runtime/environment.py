"""The environment of a job: its settings and the transformations its streams record, run by ``execute``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stream_runtime.config import CheckpointConfig, CheckpointingMode
from stream_runtime.datastream import DataStream
from stream_runtime.engine.executor import JobExecutionResult, execute_job
from stream_runtime.eventtime import DEFAULT_AUTO_WATERMARK_INTERVAL_MS, WatermarkStrategy
from stream_runtime.graph import JobGraph, Transformation
from stream_runtime.process.launch import current_launch_options
from stream_runtime.restart import RestartStrategy
from stream_runtime.sources import CollectionSource, NumberSequenceSource, Source
from stream_runtime.state.backends import StateBackend


class StreamExecutionEnvironment:
    """Entry point of a job: configuration plus the graph of transformations, run by :meth:`execute`."""

    def __init__(self) -> None:
        self.checkpoint_config = CheckpointConfig()
        self.parallelism = 1
        self.max_parallelism: int | None = None
        self.restart_strategy: RestartStrategy | None = None
        self.state_backend: StateBackend | None = None
        self.auto_watermark_interval_ms = DEFAULT_AUTO_WATERMARK_INTERVAL_MS
        self.transformations: list[Transformation] = []
        self._config: Any = None

    @staticmethod
    def get_execution_environment() -> StreamExecutionEnvironment:
        """A new environment (the launcher applies its overrides when the job is executed)."""
        return StreamExecutionEnvironment()

    def enable_checkpointing(
        self, interval: int, mode: CheckpointingMode = CheckpointingMode.EXACTLY_ONCE
    ) -> StreamExecutionEnvironment:
        """Take a checkpoint every ``interval`` ms."""
        self.checkpoint_config.set_checkpoint_interval(interval)
        self.checkpoint_config.set_checkpointing_mode(mode)
        return self

    def get_config(self) -> Any:
        """Job-level settings (auto-watermark interval, parallelism, job parameters): an ExecutionConfig."""
        if self._config is None:
            self._config = ExecutionConfig(self)
        return self._config

    def get_checkpoint_config(self) -> CheckpointConfig:
        """The mutable checkpoint configuration."""
        return self.checkpoint_config

    def get_checkpoint_interval(self) -> int:
        """Checkpoint interval in ms (-1 when disabled)."""
        return self.checkpoint_config.checkpoint_interval_ms

    def set_parallelism(self, parallelism: int) -> StreamExecutionEnvironment:
        """Default parallelism of operators."""
        if parallelism < 1:
            raise ValueError("parallelism must be >= 1")
        self.parallelism = parallelism
        return self

    def get_parallelism(self) -> int:
        """Default parallelism."""
        return self.parallelism

    def set_max_parallelism(self, max_parallelism: int) -> StreamExecutionEnvironment:
        """Number of key groups (fixed for the life of keyed state)."""
        if not 0 < max_parallelism <= 1 << 15:
            raise ValueError("max parallelism must be in (0, 32768]")
        self.max_parallelism = max_parallelism
        return self

    def get_max_parallelism(self) -> int | None:
        """Explicit max parallelism, if set."""
        return self.max_parallelism

    def set_restart_strategy(self, strategy: RestartStrategy) -> StreamExecutionEnvironment:
        """How the supervisor reacts to failures (Flink's defaults when unset)."""
        self.restart_strategy = strategy
        return self

    def set_state_backend(self, backend: StateBackend) -> StreamExecutionEnvironment:
        """Keyed-state backend of the job (``HashMapStateBackend`` when unset)."""
        self.state_backend = backend
        return self

    def get_state_backend(self) -> StateBackend | None:
        """The configured state backend, if any."""
        return self.state_backend

    def _add(self, kind: str, name: str, function: Any = None, **kwargs: Any) -> Transformation:
        node = Transformation(
            id=len(self.transformations) + 1, kind=kind, name=name, function=function, **kwargs
        )
        self.transformations.append(node)
        return node

    def from_source(
        self,
        source: Source,
        watermark_strategy: WatermarkStrategy | str | None = None,
        source_name: str = "Source",
        type_info: Any = None,
    ) -> DataStream:
        """A stream read from ``source``; ``watermark_strategy`` stamps records and generates watermarks
        in the source (PyFlink's signature; a string second argument is taken as the name)."""
        if isinstance(watermark_strategy, str):
            source_name = watermark_strategy
            watermark_strategy = None
        node = self._add(
            "source",
            source_name,
            source,
            parallelism=source.default_parallelism,
            watermark_strategy=watermark_strategy,
            output_type=type_info,
        )
        return DataStream(self, node)

    def from_collection(self, collection: Sequence[Any], type_info: Any = None) -> DataStream:
        """A bounded stream of the given elements (non-parallel)."""
        return self.from_source(CollectionSource(collection), None, "Collection Source", type_info)

    def set_auto_watermark_interval(self, interval_ms: int) -> StreamExecutionEnvironment:
        """How often periodic watermark generators emit (ms; 0 disables periodic watermarks)."""
        self.auto_watermark_interval_ms = int(interval_ms)
        return self

    def from_sequence(
        self, start: int, end: int | None = None, records_per_second: float | None = None
    ) -> DataStream:
        """Numbers ``start..end`` (inclusive), optionally rate-limited."""
        return self.from_source(NumberSequenceSource(start, end, records_per_second), None, "Sequence Source")

    def execute(self, job_name: str = "Stream Job") -> JobExecutionResult:
        """Run the job to completion in this process with the launcher's options (storage, overrides)."""
        graph = JobGraph(
            transformations=tuple(self.transformations),
            checkpoint_config=self.checkpoint_config,
            parallelism=self.parallelism,
            max_parallelism=self.max_parallelism,
            restart_strategy=self.restart_strategy,
            state_backend=self.state_backend,
            auto_watermark_interval_ms=self.auto_watermark_interval_ms,
            job_parameters=self.get_config().get_global_job_parameters(),
        )
        return execute_job(graph, job_name, current_launch_options())


class ExecutionConfig:
    """``env.get_config()``: job-level settings stored on the environment."""

    def __init__(self, env: StreamExecutionEnvironment) -> None:
        self._env = env
        self._parameters: dict[str, Any] = {}

    def set_auto_watermark_interval(self, interval: int) -> ExecutionConfig:
        """Periodic watermark interval (ms)."""
        self._env.set_auto_watermark_interval(interval)
        return self

    def get_auto_watermark_interval(self) -> int:
        """Periodic watermark interval (ms)."""
        return self._env.auto_watermark_interval_ms

    def set_parallelism(self, parallelism: int) -> ExecutionConfig:
        """Default parallelism."""
        self._env.set_parallelism(parallelism)
        return self

    def get_parallelism(self) -> int:
        """Default parallelism."""
        return self._env.get_parallelism()

    def set_max_parallelism(self, max_parallelism: int) -> ExecutionConfig:
        """Max parallelism."""
        self._env.set_max_parallelism(max_parallelism)
        return self

    def set_global_job_parameters(self, parameters: dict[str, Any]) -> ExecutionConfig:
        """Job parameters (kept; ``RuntimeContext.get_job_parameter`` reads them)."""
        self._parameters.update(parameters)
        return self

    def get_global_job_parameters(self) -> dict[str, Any]:
        """Job parameters."""
        return dict(self._parameters)
