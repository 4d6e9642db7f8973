"""The job's operators and record counts, sent to the supervisor as a ``metrics`` message about once a second.

Each operator comes with its kind, parallelism and inputs (upstream uid and how records are shipped:
HASH by key, else REBALANCE), from which the control plane draws the job plan. Counts follow Flink's:
per subtask the records it took in (what the edges into it delivered, main and side outputs alike; for
a source, what it read) and put out on its main output (``subtasks``: ``[in, out]`` by subtask index),
per operator their sums; for the job, the records its sources read (``numRecordsIn``) and its sinks
received (``numRecordsOut``). Counts start at zero with each attempt,
as Flink's counters do after a restart. ``millis_behind_latest`` is the largest lag any source reader
reports (Kinesis sources report ``MillisBehindLatest``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

METRICS_INTERVAL_S = 1.0


class _Vertex(Protocol):
    parallelism: int

    @property
    def node(self) -> Any: ...

    @property
    def instances(self) -> Sequence[Any]: ...


def _delivered(vertices: Sequence[_Vertex]) -> dict[int, list[int]]:
    """Records delivered to each subtask, by the id of its operator's instance list."""
    delivered: dict[int, list[int]] = {
        id(vertex.instances): [0] * len(vertex.instances) for vertex in vertices
    }
    for vertex in vertices:
        for instance in vertex.instances:
            for output in (instance.output, *instance.side_outputs.values()):
                for edge in output.edges:
                    counts = delivered.get(id(edge.targets))
                    if counts is not None:
                        for index, count in enumerate(edge.delivered):
                            counts[index] += count
    return delivered


def metrics_message(vertices: Sequence[_Vertex]) -> dict[str, Any]:
    """The fields of a ``metrics`` message for the job's operators now.

    A subtask's records out are what its main output sent; its records in are what the edges into it
    delivered (each record reaches one subtask per input, every subtask when broadcast), and for a
    source what it read. The engine counts once per batch, so the figures cost next to nothing.
    """
    delivered = _delivered(vertices)
    operators = []
    records_in = records_out = 0
    behind: list[int] = []
    for vertex in vertices:
        node = vertex.node
        sent = [instance.output.records for instance in vertex.instances]
        received = sent if node.kind == "source" else delivered[id(vertex.instances)]
        given, taken = sum(sent), sum(received)
        operators.append(
            {
                "uid": node.stable_uid(),
                "name": node.name,
                "kind": node.kind,
                "parallelism": vertex.parallelism,
                "inputs": [
                    [upstream.stable_uid(), "HASH" if selector is not None else "REBALANCE"]
                    for upstream, selector in node.inputs
                ],
                "records_in": taken,
                "records_out": given,
                "subtasks": [[into, out] for into, out in zip(received, sent, strict=True)],
            }
        )
        if node.kind == "source":
            records_in += taken
            for instance in vertex.instances:
                lag = getattr(instance.reader, "millis_behind_latest", None)
                if lag is not None:
                    behind.append(int(lag))
        elif node.kind == "sink":
            records_out += taken
    return {
        "operators": operators,
        "records_in": records_in,
        "records_out": records_out,
        "millis_behind_latest": max(behind) if behind else None,
    }
