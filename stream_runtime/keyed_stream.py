"""KeyedStream: a stream partitioned by key, with keyed state, timers and the built-in aggregations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stream_runtime.aggregations import AccumulateType as _Accumulate
from stream_runtime.aggregations import accumulator
from stream_runtime.datastream import CachedDataStream, DataStream
from stream_runtime.functions import KeyedProcessFunction, ProcessFunction, ReduceFunction
from stream_runtime.graph import KeySelector


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
