"""Simple sinks: print and discard."""

from __future__ import annotations

import sys
from typing import Any

from stream_runtime.functions import RuntimeContext, SinkFunction


class PrintSinkFunction(SinkFunction):
    """Prints each record, prefixed like Flink's (``id:subtask> record`` when parallel)."""

    def __init__(self, sink_identifier: str | None = None) -> None:
        self.sink_identifier = sink_identifier
        self._prefix = ""

    def open(self, runtime_context: RuntimeContext) -> None:
        parts = [self.sink_identifier] if self.sink_identifier else []
        if runtime_context.get_number_of_parallel_subtasks() > 1:
            parts.append(str(runtime_context.get_index_of_this_subtask() + 1))
        self._prefix = ":".join(parts) + "> " if parts else ""

    def invoke(self, value: Any, context: Any = None) -> None:
        sys.stdout.write(f"{self._prefix}{value}\n")

    def finish(self) -> None:
        sys.stdout.flush()


class DiscardingSink(SinkFunction):
    """Drops every record (for benchmarks and tests)."""

    def invoke(self, value: Any, context: Any = None) -> None:
        return None

    def invoke_batch(self, values: list[Any]) -> None:
        return None


class CollectSink(SinkFunction):
    """Keeps every record in ``values`` (``execute_and_collect``; all subtasks share the list)."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> CollectSink:
        return self  # parallel subtasks collect into the same list

    def invoke(self, value: Any, context: Any = None) -> None:
        self.values.append(value)

    def invoke_batch(self, values: list[Any]) -> None:
        self.values.extend(values)
