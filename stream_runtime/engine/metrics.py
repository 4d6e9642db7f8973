"""The job's operators and record counts, sent to the supervisor as a ``metrics`` message about once a second.

Each operator comes with its kind, parallelism and inputs (upstream uid and how records are shipped:
HASH by key, else REBALANCE), from which the control plane draws the job plan. Counts follow Flink's:
per operator the records its subtasks took in and put out; for the job, the records its sources read
(``numRecordsIn``) and its sinks received (``numRecordsOut``). Counts start at zero with each attempt,
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


def metrics_message(vertices: Sequence[_Vertex]) -> dict[str, Any]:
    """The fields of a ``metrics`` message for the job's operators now.

    An operator's records out are what its subtasks' main outputs sent; its records in are what its
    inputs sent it (each record reaches one subtask per input), and for a source what it read.
    """
    sent = {
        vertex.node.id: sum(instance.output.records for instance in vertex.instances) for vertex in vertices
    }
    operators = []
    records_in = records_out = 0
    behind: list[int] = []
    for vertex in vertices:
        node = vertex.node
        given = sent[node.id]
        taken = given if node.kind == "source" else sum(sent.get(up.id, 0) for up, _ in node.inputs)
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
