"""User function interfaces named after Flink's (MapFunction, KeyedProcessFunction, ...)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from stream_runtime.metrics import MetricGroup
from stream_runtime.state.api import StateDescriptor
from stream_runtime.state.backend import HeapKeyedStateBackend, OperatorStateStore


class RuntimeContext:
    """What a rich function sees of its subtask: index, parallelism and keyed state."""

    def __init__(
        self,
        task_name: str,
        subtask_index: int,
        parallelism: int,
        max_parallelism: int,
        attempt_number: int,
        checkpointing_enabled: bool,
        keyed_backend: HeapKeyedStateBackend | None,
        job_parameters: Mapping[str, str] | None = None,
    ) -> None:
        self._task_name = task_name
        self._job_parameters = dict(job_parameters or {})
        self._subtask_index = subtask_index
        self._parallelism = parallelism
        self._max_parallelism = max_parallelism
        self._attempt_number = attempt_number
        self._checkpointing_enabled = checkpointing_enabled
        self._keyed_backend = keyed_backend
        self._metrics: MetricGroup | None = None

    def get_task_name(self) -> str:
        """Name of the operator."""
        return self._task_name

    def get_index_of_this_subtask(self) -> int:
        """Index of this parallel instance, 0-based."""
        return self._subtask_index

    def get_number_of_parallel_subtasks(self) -> int:
        """Parallelism of the operator."""
        return self._parallelism

    def get_max_number_of_parallel_subtasks(self) -> int:
        """Max parallelism (number of key groups)."""
        return self._max_parallelism

    def get_attempt_number(self) -> int:
        """How many times the job was restarted before this run."""
        return self._attempt_number

    def is_checkpointing_enabled(self) -> bool:
        """Whether the job takes checkpoints."""
        return self._checkpointing_enabled

    def get_metrics_group(self) -> MetricGroup:
        """This subtask's metric group (counters, gauges, meters, distributions)."""
        if self._metrics is None:
            self._metrics = MetricGroup((self._task_name, str(self._subtask_index)))
        return self._metrics

    def get_job_parameter(self, key: str, default_value: str | None = None) -> str | None:
        """A global job parameter (``env.get_config().set_global_job_parameters``), else ``default_value``."""
        return self._job_parameters.get(key, default_value)

    def get_task_name_with_subtasks(self) -> str:
        """``<task name> (<subtask index + 1>/<parallelism>)#<attempt>``, as Flink writes it."""
        return f"{self._task_name} ({self._subtask_index + 1}/{self._parallelism})#{self._attempt_number}"

    def _backend(self) -> HeapKeyedStateBackend:
        if self._keyed_backend is None:
            raise RuntimeError("keyed state is only available on a keyed stream (after key_by)")
        return self._keyed_backend

    def get_state(self, descriptor: StateDescriptor) -> Any:
        """A ValueState."""
        return self._backend().get_state(descriptor)

    def get_list_state(self, descriptor: StateDescriptor) -> Any:
        """A ListState."""
        return self._backend().get_state(descriptor)

    def get_map_state(self, descriptor: StateDescriptor) -> Any:
        """A MapState."""
        return self._backend().get_state(descriptor)

    def get_reducing_state(self, descriptor: StateDescriptor) -> Any:
        """A ReducingState."""
        return self._backend().get_state(descriptor)

    def get_aggregating_state(self, descriptor: StateDescriptor) -> Any:
        """An AggregatingState."""
        return self._backend().get_state(descriptor)


def method_or_callable(function: Any, method: str) -> Callable[..., Any]:
    """``function.<method>`` for a function object (``MapFunction.map``), else the plain callable itself."""
    return getattr(function, method) if hasattr(function, method) else function


class Function:
    """Base of every user function. ``open``/``close`` exist on all of them, as in PyFlink; the runtime calls
    them on rich functions and, as PyFlink does, on the ReduceFunction of a keyed ``reduce``."""

    def open(self, runtime_context: RuntimeContext) -> None:
        """Called once per subtask before processing; acquire state handles here."""

    def close(self) -> None:
        """Called once per subtask at the end (also after a failure, best effort)."""


class RichFunction(Function):
    """A function with a lifecycle: ``open`` before the first record, ``close`` at the end."""


class MapFunction(RichFunction):
    """One output per input."""

    @abstractmethod
    def map(self, value: Any) -> Any:
        """Transform one record."""


class FlatMapFunction(RichFunction):
    """Zero or more outputs per input."""

    @abstractmethod
    def flat_map(self, value: Any) -> Iterable[Any] | None:
        """Return (or yield) the outputs for one record."""


class FilterFunction(RichFunction):
    """Keeps records for which ``filter`` is true."""

    @abstractmethod
    def filter(self, value: Any) -> bool:
        """Whether to keep ``value``."""


class ReduceFunction(Function):
    """Combines two values of the same key."""

    @abstractmethod
    def reduce(self, value1: Any, value2: Any) -> Any:
        """Combine two values."""


class AggregateFunction(Function):
    """Incremental aggregation with an accumulator."""

    @abstractmethod
    def create_accumulator(self) -> Any:
        """A new, empty accumulator."""

    @abstractmethod
    def add(self, value: Any, accumulator: Any) -> Any:
        """Add a value and return the accumulator."""

    @abstractmethod
    def get_result(self, accumulator: Any) -> Any:
        """The aggregate of an accumulator."""

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        """Merge two accumulators."""
        raise NotImplementedError


class TimeDomain(Enum):
    """Which clock a timer belongs to."""

    EVENT_TIME = 0
    PROCESSING_TIME = 1


class OutputTag:
    """Names a side output (``yield tag, value`` or ``ctx.output(tag, value)`` in a process function)."""

    def __init__(self, tag_id: str, type_info: Any = None) -> None:
        if not tag_id:
            raise ValueError("OutputTag id must not be empty")
        self.tag_id = tag_id
        self.type_info = type_info

    def get_tag_id(self) -> str:
        """The tag's name."""
        return self.tag_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutputTag) and other.tag_id == self.tag_id

    def __hash__(self) -> int:
        return hash(self.tag_id)

    def __repr__(self) -> str:
        return f"OutputTag({self.tag_id!r})"


class TimerService:
    """Clocks and timers of a keyed operator (processing time and event time)."""

    def __init__(
        self,
        backend: HeapKeyedStateBackend | None,
        clock_ms: Callable[[], float],
        watermark: Callable[[], int] = lambda: -(2**63),
    ) -> None:
        self._backend = backend
        self._clock_ms = clock_ms
        self._watermark = watermark

    def current_processing_time(self) -> int:
        """Milliseconds since the epoch (the injected clock)."""
        return int(self._clock_ms())

    def current_watermark(self) -> int:
        """The operator's current event time."""
        return self._watermark()

    def _keyed(self) -> HeapKeyedStateBackend:
        if self._backend is None:
            raise RuntimeError("timers are only available on a keyed stream")
        return self._backend

    def register_processing_time_timer(self, timestamp: int) -> None:
        """Fire ``on_timer`` for the current key once processing time reaches ``timestamp``."""
        self._keyed().register_timer(int(timestamp))

    def delete_processing_time_timer(self, timestamp: int) -> None:
        """Delete a processing-time timer of the current key."""
        if self._backend is not None:
            self._backend.delete_timer(int(timestamp))

    def register_event_time_timer(self, timestamp: int) -> None:
        """Fire ``on_timer`` for the current key once the watermark reaches ``timestamp``."""
        backend = self._keyed()
        backend.event_timers.add(int(timestamp), backend.key_context.current_key)

    def delete_event_time_timer(self, timestamp: int) -> None:
        """Delete an event-time timer of the current key."""
        if self._backend is not None:
            self._backend.event_timers.remove(int(timestamp), self._backend.key_context.current_key)


class ProcessContext:
    """Context handed to ``process_element`` and ``on_timer``."""

    def __init__(
        self,
        timer_service: TimerService,
        backend: HeapKeyedStateBackend | None,
        side_output: Callable[[OutputTag, Any, Any], None] | None = None,
    ) -> None:
        self._timer_service = timer_service
        self._backend = backend
        self._side_output = side_output
        self._timestamp: int | None = None
        self._time_domain: TimeDomain | None = None

    def timer_service(self) -> TimerService:
        """Clocks and timers."""
        return self._timer_service

    def get_current_key(self) -> Any:
        """Key of the record or timer being processed (keyed streams only)."""
        return None if self._backend is None else self._backend.key_context.current_key

    def timestamp(self) -> int | None:
        """Event timestamp of the record (or of the firing event-time timer); ``None`` when it has none."""
        return self._timestamp

    def time_domain(self) -> TimeDomain | None:
        """In ``on_timer``: the domain of the firing timer."""
        return self._time_domain

    def output(self, output_tag: OutputTag, value: Any) -> None:
        """Emit ``value`` to the side output ``output_tag``."""
        if self._side_output is not None:
            self._side_output(output_tag, value, self._timestamp)


class ProcessFunction(RichFunction):
    """Low-level per-record processing of a non-keyed stream."""

    Context = (
        ProcessContext  # PyFlink's nested name, for annotations such as ``ctx: ProcessFunction.Context``
    )

    @abstractmethod
    def process_element(self, value: Any, ctx: ProcessContext) -> Iterable[Any] | None:
        """Return (or yield) the outputs for one record."""


class KeyedProcessFunction(RichFunction):
    """Per-record processing of a keyed stream, with keyed state and processing-time timers."""

    Context = ProcessContext
    OnTimerContext = ProcessContext

    @abstractmethod
    def process_element(self, value: Any, ctx: ProcessContext) -> Iterable[Any] | None:
        """Return (or yield) the outputs for one record."""

    def on_timer(self, timestamp: int, ctx: ProcessContext) -> Iterable[Any] | None:
        """Called when a registered timer fires; ``ctx.get_current_key()`` is the timer's key."""
        return None


class SinkFunction(RichFunction):
    """Receives every record that reaches the end of a pipeline."""

    @abstractmethod
    def invoke(self, value: Any, context: Any = None) -> None:
        """Consume one record."""

    def invoke_batch(self, values: list[Any]) -> None:
        """Consume a batch; override for speed."""
        invoke = self.invoke
        for value in values:
            invoke(value)

    def finish(self) -> None:
        """End of input reached (bounded sources); flush here."""


class FunctionInitializationContext:
    """Handed to ``initialize_state``: operator state store and whether the job restores from a checkpoint."""

    def __init__(
        self,
        restored: bool,
        operator_state_store: OperatorStateStore,
        runtime_context: RuntimeContext,
    ) -> None:
        self._restored = restored
        self._store = operator_state_store
        self._runtime_context = runtime_context

    def is_restored(self) -> bool:
        """True when state was restored from a checkpoint or savepoint."""
        return self._restored

    def get_operator_state_store(self) -> OperatorStateStore:
        """Store of list and union list states of this subtask."""
        return self._store

    def get_keyed_state_store(self) -> RuntimeContext:
        """Keyed state access (same as the runtime context's)."""
        return self._runtime_context

    def get_runtime_context(self) -> RuntimeContext:
        """The subtask's runtime context."""
        return self._runtime_context


class FunctionSnapshotContext:
    """Handed to ``snapshot_state``."""

    def __init__(self, checkpoint_id: int, checkpoint_timestamp: int) -> None:
        self._checkpoint_id = checkpoint_id
        self._checkpoint_timestamp = checkpoint_timestamp

    def get_checkpoint_id(self) -> int:
        """Id of the checkpoint being taken."""
        return self._checkpoint_id

    def get_checkpoint_timestamp(self) -> int:
        """Trigger time (ms since the epoch)."""
        return self._checkpoint_timestamp


class CheckpointedFunction(ABC):  # noqa: B024 - both hooks are optional to override
    """Mix-in for functions with operator state: snapshot it on checkpoints, initialise it on start."""

    def snapshot_state(self, context: FunctionSnapshotContext) -> None:  # noqa: B027
        """Copy your fields into operator state; runs synchronously at a checkpoint."""

    def initialize_state(self, context: FunctionInitializationContext) -> None:  # noqa: B027
        """Create (and on restore read back) operator state; runs before ``open``."""


class CheckpointListener(ABC):  # noqa: B024 - both hooks are optional to override
    """Mix-in notified when checkpoints complete or are aborted (best effort, ids only increase)."""

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:  # noqa: B027
        """Checkpoint ``checkpoint_id`` (and everything before it) is durable."""

    def notify_checkpoint_aborted(self, checkpoint_id: int) -> None:  # noqa: B027
        """Checkpoint ``checkpoint_id`` will never complete."""
