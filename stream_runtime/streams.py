"""Derived streams of the DataStream API: windowed, all-windowed, connected and broadcast streams."""

from __future__ import annotations

from typing import Any

from stream_runtime.cofunctions import KeyedBroadcastProcessFunction, KeyedCoProcessFunction
from stream_runtime.functions import OutputTag, method_or_callable
from stream_runtime.graph import KeySelector
from stream_runtime.timeutil import to_millis
from stream_runtime.unsupported import unsupported
from stream_runtime.windowing.functions import WindowSpec
from stream_runtime.windowing.triggers import Trigger
from stream_runtime.windowing.windows import WindowAssigner

DataStream = Any  # stream_runtime.datastream.DataStream (not imported: it imports this module)


def _constant_key(value: Any) -> int:
    return 0


def _key_of(stream: Any) -> KeySelector | None:
    """The key selector of a KeyedStream, ``None`` for other streams."""
    return getattr(stream, "key_selector", None)


class WindowedStream:
    """``key_by(...).window(assigner)``: configure trigger/lateness, then reduce/aggregate/process/apply."""

    def __init__(self, stream: DataStream, assigner: WindowAssigner, keyless: bool = False) -> None:
        self._stream = stream
        self._spec = WindowSpec(assigner, keyless=keyless)

    def trigger(self, trigger: Trigger) -> WindowedStream:
        """Replace the assigner's default trigger."""
        self._spec.trigger = trigger
        return self

    def allowed_lateness(self, time_ms: Any) -> WindowedStream:
        """Keep windows (and re-fire them for late records) until watermark > end + lateness."""
        self._spec.allowed_lateness_ms = to_millis(time_ms)
        return self

    def side_output_late_data(self, output_tag: OutputTag) -> WindowedStream:
        """Send records too late for any window to ``output_tag`` instead of dropping them."""
        self._spec.late_tag = output_tag
        return self

    def get_execution_environment(self) -> Any:
        """The environment of the windowed stream."""
        return self._stream.get_execution_environment()

    def get_input_type(self) -> Any:
        """The declared type of the records that enter the windows."""
        return self._stream.get_type()

    def evictor(self, evictor: Any) -> WindowedStream:
        """Evictors are not available on the embedded runtime."""
        raise unsupported(f"{type(evictor).__name__} (evictors)")

    def _build(self, name: str, output_type: Any) -> DataStream:
        stream = self._stream
        spec = self._spec
        if _key_of(stream) is not None:
            out = stream._then("window", name, spec, stream.key_selector, output_type)
        else:
            out = stream._then("window", name, spec, _constant_key, output_type)
            out.node.parallelism = 1
        return out

    def reduce(
        self, reduce_function: Any, window_function: Any = None, output_type: Any = None
    ) -> DataStream:
        """Incremental reduction per window; optionally passed through a (Process)WindowFunction."""
        self._spec.mode = "reduce"
        self._spec.reduce = method_or_callable(reduce_function, "reduce")
        self._spec.window_function = window_function
        return self._build("Window(Reduce)", output_type)

    def aggregate(
        self,
        aggregate_function: Any,
        window_function: Any = None,
        accumulator_type: Any = None,
        output_type: Any = None,
    ) -> DataStream:
        """Incremental aggregation per window; optionally passed through a (Process)WindowFunction."""
        self._spec.mode = "aggregate"
        self._spec.aggregate = aggregate_function
        self._spec.window_function = window_function
        return self._build("Window(Aggregate)", output_type)

    def process(self, process_window_function: Any, output_type: Any = None) -> DataStream:
        """All elements of a fired window to a ProcessWindowFunction (with its context)."""
        self._spec.mode = "list"
        self._spec.window_function = process_window_function
        return self._build("Window(Process)", output_type)

    def apply(self, window_function: Any, output_type: Any = None) -> DataStream:
        """All elements of a fired window to a WindowFunction (``apply(key, window, inputs)``)."""
        self._spec.mode = "list"
        self._spec.window_function = window_function
        return self._build("Window(Apply)", output_type)


class AllWindowedStream(WindowedStream):
    """``window_all(assigner)``: windows over the whole stream (one subtask), All-variants of functions."""

    def __init__(self, stream: DataStream, assigner: WindowAssigner) -> None:
        super().__init__(stream, assigner, keyless=True)


class ConnectedStreams:
    """Two streams processed together by one operator (CoMap, CoFlatMap, (Keyed)CoProcess)."""

    def __init__(
        self,
        first: DataStream,
        second: DataStream,
        keys: tuple[KeySelector | None, KeySelector | None] | None = None,
    ) -> None:
        self.stream1 = first
        self.stream2 = second
        if keys is None:
            keys = (
                _key_of(first),
                _key_of(second),
            )
        self._keys = keys

    def key_by(
        self, key_selector1: KeySelector, key_selector2: KeySelector, key_type: Any = None
    ) -> ConnectedStreams:
        """Key both inputs (shared keyed state for equal keys)."""
        return ConnectedStreams(
            self.stream1,
            self.stream2,
            (method_or_callable(key_selector1, "get_key"), method_or_callable(key_selector2, "get_key")),
        )

    def _then(self, kind: str, name: str, function: Any, output_type: Any) -> DataStream:
        env = self.stream1.env
        node = env._add(
            kind,
            name,
            function,
            inputs=[(self.stream1.node, self._keys[0]), (self.stream2.node, self._keys[1])],
            output_type=output_type,
        )
        for position, stream in enumerate((self.stream1, self.stream2)):
            if stream.partitioner is not None:
                node.partitioners[position] = stream.partitioner
        return self.stream1._derive(node)

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        """A CoMapFunction."""
        return self._then("co_map", "CoMap", func, output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        """A CoFlatMapFunction."""
        return self._then("co_flat_map", "CoFlatMap", func, output_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """A CoProcessFunction, or a KeyedCoProcessFunction on keyed inputs."""
        keyed = self._keys[0] is not None
        if isinstance(func, KeyedCoProcessFunction) and not keyed:
            raise TypeError("KeyedCoProcessFunction needs keyed inputs: use connect(...).key_by(k1, k2)")
        return self._then("keyed_co_process" if keyed else "co_process", "CoProcess", func, output_type)


class BroadcastStream:
    """A stream whose records reach every subtask of the operator it is connected to, with broadcast state."""

    def __init__(self, stream: DataStream, descriptors: list[Any]) -> None:
        self.stream = stream
        self.descriptors = descriptors


class BroadcastConnectedStream:
    """A (keyed or non-keyed) stream connected with a BroadcastStream."""

    def __init__(self, stream: DataStream, broadcast: BroadcastStream) -> None:
        self.stream = stream
        self.broadcast = broadcast

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """A BroadcastProcessFunction, or a KeyedBroadcastProcessFunction on a keyed stream."""
        keyed = _key_of(self.stream) is not None
        if isinstance(func, KeyedBroadcastProcessFunction) != keyed:
            raise TypeError(
                "a keyed stream connects to a broadcast stream with a KeyedBroadcastProcessFunction, "
                "a non-keyed one with a BroadcastProcessFunction"
            )
        env = self.stream.env
        key = _key_of(self.stream)
        node = env._add(
            "keyed_broadcast_process" if keyed else "broadcast_process",
            "BroadcastProcess",
            func,
            inputs=[(self.stream.node, key), (self.broadcast.stream.node, None)],
            output_type=output_type,
        )
        node.partitioners[1] = "broadcast"
        if self.stream.partitioner is not None:
            node.partitioners[0] = self.stream.partitioner
        return self.stream._derive(node)
