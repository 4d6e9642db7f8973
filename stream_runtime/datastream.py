"""The DataStream API: streams that record transformations in their environment, and keyed streams."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stream_runtime.aggregations import AccumulateType as _Accumulate
from stream_runtime.aggregations import accumulator, projector
from stream_runtime.eventtime import WatermarkStrategy
from stream_runtime.functions import (
    FilterFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    MapFunction,
    OutputTag,
    ProcessFunction,
    ReduceFunction,
    SinkFunction,
    method_or_callable,
)
from stream_runtime.graph import GraphBuilder, KeySelector, Transformation
from stream_runtime.sinks.basic import PrintSinkFunction
from stream_runtime.typeinfo import TupleTypeInfo


class DataStream:
    """A stream of records produced by one transformation."""

    def __init__(self, env: GraphBuilder, node: Transformation, partitioner: Any = None) -> None:
        self.env = env
        self.node = node
        self.partitioner = partitioner

    def _derive(self, node: Transformation) -> DataStream:
        """A stream of ``node``'s output (used by the derived streams of :mod:`stream_runtime.streams`)."""
        return DataStream(self.env, node)

    def _then(
        self, kind: str, name: str, function: Any, key: KeySelector | None = None, output_type: Any = None
    ) -> DataStream:
        node = self.env._add(kind, name, function, inputs=[(self.node, key)], output_type=output_type)
        if self.partitioner is not None:
            node.partitioners[0] = self.partitioner
        return DataStream(self.env, node)

    def uid(self, uid: str) -> DataStream:
        """Stable identifier of this operator's state (savepoints address state by uid)."""
        self.node.uid = uid
        return self

    def name(self, name: str) -> DataStream:
        """Display name of this operator."""
        self.node.name = name
        return self

    def set_description(self, description: str) -> DataStream:
        """Accepted for compatibility (descriptions are only shown in Flink's web UI)."""
        return self

    def set_parallelism(self, parallelism: int) -> DataStream:
        """Parallelism of this operator."""
        if self.node.non_parallel and parallelism != 1:
            raise ValueError("The parallelism of non parallel operator must be 1.")
        self.node.parallelism = parallelism
        return self

    def force_non_parallel(self) -> DataStream:
        """Run this operator as one subtask, whatever the job's parallelism (it cannot be rescaled)."""
        self.node.parallelism = 1
        self.node.max_parallelism = 1
        self.node.non_parallel = True
        return self

    def set_uid_hash(self, uid_hash: str) -> DataStream:
        """Accepted for compatibility: the embedded runtime matches state by :meth:`uid` only (Flink uses
        the hash to match the state of a real Flink savepoint, which the embedded runtime does not read)."""
        return self

    def set_buffer_timeout(self, timeout_millis: int) -> DataStream:
        """Accepted for compatibility: records reach the next operator as soon as they are produced."""
        return self

    def get_type(self) -> Any:
        """The declared type of the records (``output_type``/``type_info``), else PICKLED_BYTE_ARRAY."""
        from stream_runtime.typeinfo import Types

        return self.node.output_type if self.node.output_type is not None else Types.PICKLED_BYTE_ARRAY()

    def get_execution_environment(self) -> GraphBuilder:
        """The environment this stream belongs to."""
        return self.env

    def get_execution_config(self) -> Any:
        """The environment's ExecutionConfig."""
        return self.env.get_config()

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        """Max parallelism (key groups) of this operator."""
        self.node.max_parallelism = max_parallelism
        return self

    def get_name(self) -> str:
        """Display name."""
        return self.node.name

    def slot_sharing_group(self, slot_sharing_group: Any) -> DataStream:
        """Accepted for compatibility (one process runs every subtask)."""
        return self

    def disable_chaining(self) -> DataStream:
        """Accepted for compatibility (operators are always chained in one loop)."""
        return self

    def start_new_chain(self) -> DataStream:
        """Accepted for compatibility."""
        return self

    def map(self, func: MapFunction | Callable[[Any], Any], output_type: Any = None) -> DataStream:
        """One output per record."""
        return self._then("map", "Map", func, output_type=output_type)

    def flat_map(
        self, func: FlatMapFunction | Callable[[Any], Iterable[Any] | None], output_type: Any = None
    ) -> DataStream:
        """Zero or more outputs per record."""
        return self._then("flat_map", "FlatMap", func, output_type=output_type)

    def filter(self, func: FilterFunction | Callable[[Any], bool]) -> DataStream:
        """Keep records for which ``func`` is true."""
        return self._then("filter", "Filter", func)

    def process(self, func: ProcessFunction, output_type: Any = None) -> DataStream:
        """Low-level processing of each record (side outputs: ``yield tag, value``)."""
        return self._then("process", "Process", func, output_type=output_type)

    def key_by(self, key_selector: KeySelector, key_type: Any = None) -> Any:
        """Partition by key (key groups); enables keyed state and timers downstream."""
        return KeyedStream(self, method_or_callable(key_selector, "get_key"))

    def union(self, *streams: DataStream) -> DataStream:
        """Merge streams of the same type."""
        inputs: list[tuple[Transformation, KeySelector | None]] = [(self.node, None)]
        inputs += [(s.node, None) for s in streams]
        node = self.env._add("union", "Union", None, inputs=inputs)
        for position, stream in enumerate((self, *streams)):
            if stream.partitioner is not None:
                node.partitioners[position] = stream.partitioner
        return DataStream(self.env, node)

    def _partitioned(self, partitioner: Any) -> DataStream:
        return DataStream(self.env, self.node, partitioner)

    def rebalance(self) -> DataStream:
        """Round-robin records over the next operator's subtasks."""
        return self._partitioned("rebalance")

    def shuffle(self) -> DataStream:
        """Send each record to a random subtask."""
        return self._partitioned("shuffle")

    def rescale(self) -> DataStream:
        """Round-robin to the next operator's subtasks (as rebalance in one process)."""
        return self._partitioned("rescale")

    def forward(self) -> DataStream:
        """Subtask i sends to subtask i (parallelism must match)."""
        return self._partitioned("forward")

    def partition_custom(self, partitioner: Any, key_selector: KeySelector) -> DataStream:
        """``partitioner.partition(key, num_partitions)`` chooses the subtask of each record."""
        from stream_runtime.engine.channels import CustomPartitioning

        return self._partitioned(CustomPartitioning(partitioner, key_selector))

    def broadcast(
        self, broadcast_state_descriptor: Any = None, *other_broadcast_state_descriptors: Any
    ) -> Any:
        """Without descriptors: every record to every subtask of the next operator. With MapStateDescriptors:
        a BroadcastStream to ``connect`` to another stream."""
        if broadcast_state_descriptor is None:
            return self._partitioned("broadcast")
        from stream_runtime.streams import BroadcastStream

        return BroadcastStream(self, [broadcast_state_descriptor, *other_broadcast_state_descriptors])

    def connect(self, ds: Any) -> Any:
        """ConnectedStreams (or a BroadcastConnectedStream when ``ds`` is a BroadcastStream)."""
        from stream_runtime.streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams

        if isinstance(ds, BroadcastStream):
            return BroadcastConnectedStream(self, ds)
        return ConnectedStreams(self, ds)

    def assign_timestamps_and_watermarks(self, watermark_strategy: WatermarkStrategy) -> DataStream:
        """Stamp records and generate watermarks here (upstream watermarks are replaced)."""
        node = self.env._add(
            "timestamps",
            "Timestamps/Watermarks",
            None,
            inputs=[(self.node, None)],
            watermark_strategy=watermark_strategy,
        )
        if self.partitioner is not None:
            node.partitioners[0] = self.partitioner
        return DataStream(self.env, node)

    def project(self, *field_indexes: int) -> DataStream:
        """The tuples' fields at ``field_indexes``, in that order (a stream declared as Types.TUPLE)."""
        declared = self.get_type()
        if not isinstance(declared, TupleTypeInfo):
            raise TypeError("Only Tuple DataStreams can be projected.")
        project = projector(field_indexes, declared.get_arity())
        fields = declared.get_field_types()
        return self._then(
            "map", "Projection", project, output_type=TupleTypeInfo([fields[i] for i in field_indexes])
        )

    def cache(self) -> CachedDataStream:
        """Cache the result of this (bounded) stream for later jobs of the environment. On the embedded
        runtime the stream passes through unchanged and each ``execute()`` computes it again (as Flink does
        in STREAMING mode); the records are the same, only the work is repeated."""
        if self.node.kind in ("sink", "union") or self.partitioner is not None:
            raise TypeError(
                "Cache can only be called with physical transformation or side output transformation"
            )
        return CachedDataStream(self.env, self.node)

    def get_side_output(self, output_tag: OutputTag) -> DataStream:
        """The records this operator sent to ``output_tag``."""
        node = self.env._add(
            "side_output",
            f"SideOutput({output_tag.tag_id})",
            None,
            inputs=[(self.node, None)],
            parallelism=self.node.parallelism,
            side_tag=output_tag.tag_id,
        )
        return DataStream(self.env, node)

    def window_all(self, window_assigner: Any) -> Any:
        """Windows over the whole (non-keyed) stream, at parallelism 1."""
        from stream_runtime.streams import AllWindowedStream

        return AllWindowedStream(self, window_assigner)

    def count_window_all(self, size: int) -> Any:
        """Tumbling windows of ``size`` records over the whole stream."""
        from stream_runtime.windowing.windows import CountTumblingWindowAssigner

        return self.window_all(CountTumblingWindowAssigner.of(size))

    def add_sink(self, sink_func: SinkFunction) -> DataStreamSink:
        """Send every record to ``sink_func``."""
        return DataStreamSink(self._then("sink", type(sink_func).__name__, sink_func).node)

    def sink_to(self, sink: SinkFunction) -> DataStreamSink:
        """Same as :meth:`add_sink`."""
        return self.add_sink(sink)

    def print(self, sink_identifier: str | None = None) -> DataStreamSink:
        """Print every record to stdout."""
        return self.add_sink(PrintSinkFunction(sink_identifier))

    def execute_and_collect(self, job_execution_name: str | None = None, limit: int | None = None) -> Any:
        """Run the job and return its records (a list-backed iterator; ``limit`` caps it)."""
        from stream_runtime.sinks.basic import CollectSink

        sink = CollectSink()
        self.add_sink(sink)
        self.env.execute(job_execution_name or "collect")
        return _Collected(sink.values if limit is None else sink.values[:limit])


class _Collected(list[Any]):
    """Results of ``execute_and_collect``: iterable, and closeable as PyFlink's CloseableIterator."""

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> _Collected:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class CachedDataStream(DataStream):
    """``DataStream.cache()``: a stream whose records later jobs could reuse; ``invalidate()`` drops them."""

    def invalidate(self) -> None:
        """Nothing is kept between jobs on the embedded runtime, so there is nothing to release."""

    def _refuse(self, what: str) -> Any:
        raise TypeError(f"{what} for CachedDataStream is not supported.")

    def set_parallelism(self, parallelism: int) -> DataStream:
        """Refused, as in PyFlink."""
        return self._refuse("Set parallelism")

    def name(self, name: str) -> DataStream:
        """Refused, as in PyFlink."""
        return self._refuse("Set name")

    def uid(self, uid: str) -> DataStream:
        """Refused, as in PyFlink."""
        return self._refuse("Set uid")

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        """Refused, as in PyFlink."""
        return self._refuse("Set max parallelism")

    def force_non_parallel(self) -> DataStream:
        """Refused, as in PyFlink."""
        return self._refuse("Set force non-parallel")


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

    def set_description(self, description: str) -> DataStreamSink:
        """Accepted for compatibility (descriptions are only shown in Flink's web UI)."""
        return self

    def set_uid_hash(self, uid_hash: str) -> DataStreamSink:
        """Accepted for compatibility (state is matched by :meth:`uid`)."""
        return self

    def slot_sharing_group(self, slot_sharing_group: Any) -> DataStreamSink:
        """Accepted for compatibility (one process runs every subtask)."""
        return self

    def disable_chaining(self) -> DataStreamSink:
        """Accepted for compatibility (operators are always chained in one loop)."""
        return self


class KeyedStream(DataStream):
    """A stream partitioned by key; keyed operators get per-key state and timers."""

    def __init__(self, parent: DataStream, key_selector: KeySelector) -> None:
        super().__init__(parent.env, parent.node)
        self.key_selector = key_selector

    def _then(
        self, kind: str, name: str, function: Any, key: KeySelector | None = None, output_type: Any = None
    ) -> DataStream:
        """Every operator applied to a keyed stream receives its input partitioned by key."""
        return super()._then(kind, name, function, self.key_selector, output_type)

    def process(self, func: KeyedProcessFunction | ProcessFunction, output_type: Any = None) -> DataStream:
        """Keyed processing with state and timers."""
        return self._then("keyed_process", "KeyedProcess", func, self.key_selector, output_type)

    def reduce(self, func: ReduceFunction | Callable[[Any, Any], Any], output_type: Any = None) -> DataStream:
        """Running reduction per key; emits the updated value for every record."""
        return self._then("keyed_reduce", "Reduce", func, self.key_selector, output_type)

    def window(self, window_assigner: Any) -> Any:
        """Windows per key (``.reduce/.aggregate/.process/.apply`` on the result)."""
        from stream_runtime.streams import WindowedStream

        return WindowedStream(self, window_assigner)

    def count_window(self, size: int, slide: int | None = None) -> Any:
        """Tumbling windows of ``size`` records per key."""
        from stream_runtime.windowing.windows import CountTumblingWindowAssigner

        if slide is not None and slide != size:
            raise NotImplementedError(
                "not supported on the embedded runtime: count_window(size, slide) (sliding count "
                "windows need an evictor)"
            )
        return self.window(CountTumblingWindowAssigner.of(size))

    AccumulateType = _Accumulate

    def _accumulate(self, position: int | str, kind: _Accumulate, name: str) -> DataStream:
        reduce = accumulator(position, kind)
        return self._then("keyed_reduce", name, reduce, self.key_selector, self.node.output_type)

    def sum(self, position_to_sum: int | str = 0) -> DataStream:
        """Running sum of a field per key (the other fields keep the key's first record's values)."""
        return self._accumulate(position_to_sum, _Accumulate.SUM, "Sum")

    def min(self, position_to_min: int | str = 0) -> DataStream:
        """Running minimum of a field per key (the other fields keep the key's first record's values)."""
        return self._accumulate(position_to_min, _Accumulate.MIN, "Min")

    def max(self, position_to_max: int | str = 0) -> DataStream:
        """Running maximum of a field per key (the other fields keep the key's first record's values)."""
        return self._accumulate(position_to_max, _Accumulate.MAX, "Max")

    def min_by(self, position_to_min_by: int | str = 0) -> DataStream:
        """Per key, the record with the smallest value in a field so far (the earlier one on ties)."""
        return self._accumulate(position_to_min_by, _Accumulate.MIN_BY, "MinBy")

    def max_by(self, position_to_max_by: int | str = 0) -> DataStream:
        """Per key, the record with the largest value in a field so far (the earlier one on ties)."""
        return self._accumulate(position_to_max_by, _Accumulate.MAX_BY, "MaxBy")

    def project(self, *field_indexes: int) -> DataStream:
        """Project the records (not the keys) as :meth:`DataStream.project` does."""
        return DataStream(self.env, self.node).project(*field_indexes)

    def force_non_parallel(self) -> DataStream:
        """PyFlink refuses this on a KeyedStream."""
        raise TypeError("Set force non-parallel for KeyedStream is not supported.")

    def cache(self) -> CachedDataStream:
        """PyFlink refuses this on a KeyedStream."""
        raise TypeError("Cache for KeyedStream is not supported.")
