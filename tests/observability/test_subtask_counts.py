"""Per-subtask record counts of the embedded engine (what MetricsLevel PARALLELISM publishes).

A job runs in this process; each subtask of its keyed process function and of its sinks notes the
records it really handled, and the engine's ``metrics`` message must report exactly those, subtask by
subtask (main and side outputs, rebalance and hash partitioning).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import stream_runtime.environment as environment
from stream_runtime import KeyedProcessFunction, SinkFunction, StreamExecutionEnvironment
from stream_runtime.engine.executor import JobRunner
from stream_runtime.engine.metrics import metrics_message
from stream_runtime.functions import OutputTag

SEEN: Counter[tuple[str, int]] = Counter()
ODD = OutputTag("odd")


class Route(KeyedProcessFunction):
    """Counts what this subtask gets; odd values go to the side output, even ones to the main output."""

    def open(self, runtime_context: Any) -> None:
        self.index = runtime_context.get_index_of_this_subtask()

    def process_element(self, value: Any, ctx: Any) -> Any:
        SEEN["route", self.index] += 1
        if value % 2:
            ctx.output(ODD, value)
        else:
            SEEN["route-main", self.index] += 1
            yield value


class Noting(SinkFunction):
    """Counts what each of its subtasks receives."""

    def __init__(self, name: str) -> None:
        self.name = name

    def open(self, runtime_context: Any) -> None:
        self.index = runtime_context.get_index_of_this_subtask()

    def invoke(self, value: Any, context: Any = None) -> None:
        SEEN[self.name, self.index] += 1


def test_each_subtask_reports_the_records_it_handled(monkeypatch: pytest.MonkeyPatch) -> None:
    runners: list[JobRunner] = []

    def keep_runner(graph: Any, job_name: str, options: Any) -> Any:
        runner = JobRunner(graph, job_name, options)
        runners.append(runner)
        return runner.run()

    monkeypatch.setattr(environment, "execute_job", keep_runner)
    SEEN.clear()
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    values = env.from_collection(list(range(600))).name("numbers")
    spread = values.rebalance().map(lambda value: value).name("spread").set_parallelism(3)
    routed = spread.key_by(lambda value: value % 13).process(Route()).name("route").set_parallelism(4)
    routed.add_sink(Noting("even")).name("even").set_parallelism(2)
    routed.get_side_output(ODD).add_sink(Noting("odd")).name("odd").set_parallelism(3)
    env.execute("subtask counts")

    operators = {entry["name"]: entry for entry in metrics_message(runners[0].topology.vertices)["operators"]}
    for name, parallelism in (("route", 4), ("even", 2), ("odd", 3)):
        received = [into for into, _ in operators[name]["subtasks"]]
        assert received == [SEEN[name, index] for index in range(parallelism)], name
        assert operators[name]["records_in"] == sum(received)
    assert sum(SEEN["route", index] > 0 for index in range(4)) >= 2  # hashing really spread the keys
    assert operators["route"]["records_in"] == 600
    assert operators["odd"]["records_in"] == 300  # side output records are counted where they arrive
    assert [out for _, out in operators["route"]["subtasks"]] == [
        SEEN["route-main", index] for index in range(4)
    ]
    spread_subtasks = operators["spread"]["subtasks"]
    assert len(spread_subtasks) == 3 and all(into == out for into, out in spread_subtasks)
    assert sum(into for into, _ in spread_subtasks) == 600
    assert operators["numbers"]["subtasks"] == [[600, 600]]
