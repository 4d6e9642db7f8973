"""The DataStream API: an environment that records transformations, and the streams that build them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stream_runtime.config import CheckpointConfig, CheckpointingMode
from stream_runtime.functions import (
    FilterFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    MapFunction,
    ProcessFunction,
    ReduceFunction,
    SinkFunction,
)
from stream_runtime.restart import RestartStrategy
from stream_runtime.sinks.basic import PrintSinkFunction
from stream_runtime.sources import CollectionSource, NumberSequenceSource, Source
from stream_runtime.state.backends import StateBackend

if TYPE_CHECKING:
    from stream_runtime.engine.executor import JobExecutionResult

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

    def stable_uid(self) -> str:
        """The explicit uid, or one derived from the node's kind and position (stable for the same code)."""
        return self.uid or f"auto-{self.kind}-{self.id}"


class StreamExecutionEnvironment:
    """Entry point of a job: configuration plus the graph of transformations, run by :meth:`execute`."""

    def __init__(self) -> None:
        self.checkpoint_config = CheckpointConfig()
        self.parallelism = 1
        self.max_parallelism: int | None = None
        self.restart_strategy: RestartStrategy | None = None
        self.state_backend: StateBackend | None = None
        self.transformations: list[Transformation] = []

    @staticmethod
    def get_execution_environment() -> StreamExecutionEnvironment:
        """A new environment (the launcher applies its overrides when the job is executed)."""
        return StreamExecutionEnvironment()

    def enable_checkpointing(
        self, interval_ms: int, mode: CheckpointingMode = CheckpointingMode.EXACTLY_ONCE
    ) -> StreamExecutionEnvironment:
        """Take a checkpoint every ``interval_ms``."""
        self.checkpoint_config.set_checkpoint_interval(interval_ms)
        self.checkpoint_config.set_checkpointing_mode(mode)
        return self

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

    def from_source(self, source: Source, source_name: str = "Source") -> DataStream:
        """A stream read from ``source``."""
        node = self._add("source", source_name, source, parallelism=source.default_parallelism)
        return DataStream(self, node)

    def from_collection(self, collection: Sequence[Any], type_info: Any = None) -> DataStream:
        """A bounded stream of the given elements (non-parallel)."""
        return self.from_source(CollectionSource(collection), "Collection Source")

    def from_sequence(
        self, start: int, end: int | None = None, records_per_second: float | None = None
    ) -> DataStream:
        """Numbers ``start..end`` (inclusive), optionally rate-limited."""
        return self.from_source(NumberSequenceSource(start, end, records_per_second), "Sequence Source")

    def execute(self, job_name: str = "Stream Job") -> JobExecutionResult:
        """Run the job to completion in this process with the launcher's options (storage, overrides)."""
        from stream_runtime.engine.executor import execute_job
        from stream_runtime.engine.launch import current_launch_options

        return execute_job(self, job_name, current_launch_options())


def _as_callable(function: Any, method: str) -> Callable[..., Any]:
    return getattr(function, method) if hasattr(function, method) else function


class DataStream:
    """A stream of records produced by one transformation."""

    def __init__(self, env: StreamExecutionEnvironment, node: Transformation) -> None:
        self.env = env
        self.node = node

    def _then(self, kind: str, name: str, function: Any, key: KeySelector | None = None) -> DataStream:
        node = self.env._add(kind, name, function, inputs=[(self.node, key)])
        return DataStream(self.env, node)

    def uid(self, uid: str) -> DataStream:
        """Stable identifier of this operator's state (savepoints address state by uid)."""
        self.node.uid = uid
        return self

    def name(self, name: str) -> DataStream:
        """Display name of this operator."""
        self.node.name = name
        return self

    def set_parallelism(self, parallelism: int) -> DataStream:
        """Parallelism of this operator."""
        self.node.parallelism = parallelism
        return self

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        """Max parallelism (key groups) of this operator."""
        self.node.max_parallelism = max_parallelism
        return self

    def map(self, func: MapFunction | Callable[[Any], Any]) -> DataStream:
        """One output per record."""
        return self._then("map", "Map", func)

    def flat_map(self, func: FlatMapFunction | Callable[[Any], Iterable[Any] | None]) -> DataStream:
        """Zero or more outputs per record."""
        return self._then("flat_map", "FlatMap", func)

    def filter(self, func: FilterFunction | Callable[[Any], bool]) -> DataStream:
        """Keep records for which ``func`` is true."""
        return self._then("filter", "Filter", func)

    def process(self, func: ProcessFunction) -> DataStream:
        """Low-level processing of each record."""
        return self._then("process", "Process", func)

    def key_by(self, key_selector: KeySelector) -> KeyedStream:
        """Partition by key (key groups); enables keyed state and timers downstream."""
        return KeyedStream(self, _as_callable(key_selector, "get_key"))

    def union(self, *streams: DataStream) -> DataStream:
        """Merge streams of the same type."""
        inputs: list[tuple[Transformation, KeySelector | None]] = [(self.node, None)]
        inputs += [(s.node, None) for s in streams]
        return DataStream(self.env, self.env._add("union", "Union", None, inputs=inputs))

    def add_sink(self, sink_func: SinkFunction) -> DataStreamSink:
        """Send every record to ``sink_func``."""
        return DataStreamSink(self._then("sink", type(sink_func).__name__, sink_func).node)

    def sink_to(self, sink: SinkFunction) -> DataStreamSink:
        """Same as :meth:`add_sink`."""
        return self.add_sink(sink)

    def print(self, sink_identifier: str | None = None) -> DataStreamSink:
        """Print every record to stdout."""
        return self.add_sink(PrintSinkFunction(sink_identifier))


class DataStreamSink:
    """The end of a pipeline; carries uid/name/parallelism setters."""

    def __init__(self, node: Transformation) -> None:
        self.node = node

    def uid(self, uid: str) -> DataStreamSink:
        """Stable identifier of the sink's state."""
        self.node.uid = uid
        return self

    def name(self, name: str) -> DataStreamSink:
        """Display name."""
        self.node.name = name
        return self

    def set_parallelism(self, parallelism: int) -> DataStreamSink:
        """Parallelism of the sink."""
        self.node.parallelism = parallelism
        return self


def _field_getter(field_ref: int | str) -> Callable[[Any], Any]:
    def get(value: Any) -> Any:
        if isinstance(value, (tuple, list, dict)):
            return value[field_ref]  # type: ignore[index]
        return getattr(value, str(field_ref))

    return get


def _field_setter(field_ref: int | str) -> Callable[[Any, Any], Any]:
    def put(record: Any, new: Any) -> Any:
        if isinstance(record, tuple):
            items = list(record)
            items[field_ref] = new  # type: ignore[index]
            return tuple(items)
        if isinstance(record, list):
            copied = list(record)
            copied[field_ref] = new  # type: ignore[index]
            return copied
        if isinstance(record, dict):
            return {**record, field_ref: new}
        if isinstance(record, (int, float)):
            return new
        raise TypeError(f"cannot aggregate field {field_ref!r} of {type(record).__name__}")

    return put


class KeyedStream(DataStream):
    """A stream partitioned by key; keyed operators get per-key state and timers."""

    def __init__(self, parent: DataStream, key_selector: KeySelector) -> None:
        super().__init__(parent.env, parent.node)
        self.key_selector = key_selector

    def _then(self, kind: str, name: str, function: Any, key: KeySelector | None = None) -> DataStream:
        """Every operator applied to a keyed stream receives its input partitioned by key."""
        return super()._then(kind, name, function, self.key_selector)

    def process(self, func: KeyedProcessFunction | ProcessFunction) -> DataStream:
        """Keyed processing with state and timers."""
        return self._then("keyed_process", "KeyedProcess", func, self.key_selector)

    def reduce(self, func: ReduceFunction | Callable[[Any, Any], Any]) -> DataStream:
        """Running reduction per key; emits the updated value for every record."""
        return self._then("keyed_reduce", "Reduce", _as_callable(func, "reduce"), self.key_selector)

    def _aggregate(self, field_ref: int | str, name: str, pick: Callable[[Any, Any], Any]) -> DataStream:
        get, put = _field_getter(field_ref), _field_setter(field_ref)
        scalar = isinstance(field_ref, int) and field_ref == 0

        def combine(acc: Any, value: Any) -> Any:
            if scalar and isinstance(acc, (int, float)):
                return pick(acc, value)
            return put(acc, pick(get(acc), get(value)))

        return self._then("keyed_reduce", name, combine, self.key_selector)

    def sum(self, position_to_sum: int | str = 0) -> DataStream:
        """Running sum of a field per key."""
        return self._aggregate(position_to_sum, "Sum", lambda a, b: a + b)

    def min(self, position_to_min: int | str = 0) -> DataStream:
        """Running minimum of a field per key."""
        return self._aggregate(position_to_min, "Min", min)

    def max(self, position_to_max: int | str = 0) -> DataStream:
        """Running maximum of a field per key."""
        return self._aggregate(position_to_max, "Max", max)
