"""``JobInsight`` of a job on a Flink cluster, read from Flink's REST API.

- ``/jobs/:id`` (job details): state, the time of each state (``timestamps``), the job graph's vertices
  with their parallelism, and the plan's edges;
- ``/jobs/:id/vertices/:vid/subtasks/metrics?get=numRecordsIn,numRecordsOut&agg=sum``: each vertex's
  records, summed over its subtasks (Flink's task metrics, which AWS publishes per task);
- ``/jobs/:id/vertices/:vid`` (vertex details): each subtask's records in and out (``read-records`` /
  ``write-records``: the same task counters, per subtask, for MetricsLevel PARALLELISM);
- ``/jobs/:id/checkpoints``: the checkpoint history Flink keeps (``web.checkpoints.history``, 10 by
  default) and the failed-checkpoint count over the job's whole life;
- ``/jobs/:id/exceptions``: each failure, with its time and cause;
- a source vertex's ``millisBehindLatest`` (Kinesis source connector metrics), when it reports one;
- ``/taskmanagers/metrics``: heap used / heap max and the JVMs' CPU load, across the TaskManagers (the
  cluster's, shared by every job on it, as AWS's figures are its application's cluster's);
- ``/taskmanagers`` and ``/taskmanagers/metrics``: the TaskManagers' memory in use (heap, non-heap,
  direct and mapped buffers, Flink's managed memory) out of their total process memory
  (``taskmanager.memory.process.size``, the container's size on AWS).

Flink's metrics reach the REST API through the JobManager's metric fetcher
(``metrics.fetcher.update-interval``, 10 s by default), so record counts trail the job by that much.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime_adapter.flink.rest import FlinkRest, error_text
from runtime_adapter.insight import JobInsight, OperatorInsight, RestartRecord

RECORD_METRICS = "numRecordsIn,numRecordsOut"
HEAP_USED, HEAP_MAX, CPU_LOAD = (
    "Status.JVM.Memory.Heap.Used",
    "Status.JVM.Memory.Heap.Max",
    "Status.JVM.CPU.Load",
)
IN_USE = (
    "Status.JVM.Memory.Heap.Used",
    "Status.JVM.Memory.NonHeap.Used",
    "Status.JVM.Memory.Direct.MemoryUsed",
    "Status.JVM.Memory.Mapped.MemoryUsed",
    "Status.Flink.Memory.Managed.Used",
)
BEHIND = "millisBehindLatest"
_DOWN = ("FAILING", "RESTARTING", "SUSPENDED")


def _metric_values(reply_body: dict[str, Any]) -> dict[str, float]:
    """``{id: value}`` of a metrics answer (``[{"id", "value"}]`` or aggregated ``{"id", "sum"/"max"}``)."""
    entries = reply_body.get("value") if isinstance(reply_body.get("value"), list) else []
    values: dict[str, float] = {}
    for entry in entries or []:
        raw = entry.get("value", entry.get("sum", entry.get("max", entry.get("avg"))))
        try:
            values[str(entry.get("id"))] = float(raw)
        except (TypeError, ValueError):
            continue
    return values


def _inputs(details: dict[str, Any]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each vertex's inputs as (upstream vertex id, ship strategy), from the plan in the job details."""
    nodes = (details.get("plan") or {}).get("nodes") or []
    return {
        str(node.get("id")): tuple(
            (str(edge.get("id")), str(edge.get("ship_strategy", ""))) for edge in node.get("inputs") or []
        )
        for node in nodes
    }


def _checkpoint(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry in ``JobInsight`` form (the checkpointed size is Flink's ``lastCheckpointSize``)."""
    return {
        "id": int(entry.get("id", 0)),
        "status": str(entry.get("status", "")),
        "trigger_timestamp_ms": int(entry.get("trigger_timestamp") or 0),
        "duration_ms": int(entry.get("end_to_end_duration") or 0),
        "state_size": int(entry.get("checkpointed_size") or entry.get("state_size") or 0),
        "failure_reason": entry.get("failure_message"),
        "is_savepoint": bool(entry.get("is_savepoint", False)),
    }


class FlinkInsight:
    """Reads the figures of one cluster's jobs; ``restarts`` counts a job's restarts from the exception
    history read here (the adapter's rule)."""

    def __init__(self, rest: FlinkRest, restarts: Callable[[str, list[dict[str, Any]]], int]) -> None:
        self.rest = rest
        self.restarts = restarts

    def insight(self, job_id: str) -> JobInsight | None:
        """The job's figures now, or None when the cluster does not know the job."""
        details = self.rest.get(f"/jobs/{job_id}")
        if not details.ok:
            return None
        state = str(details.body.get("state", ""))
        timestamps = details.body.get("timestamps") or {}
        checkpoints = self.rest.get(f"/jobs/{job_id}/checkpoints").body
        history = (self.rest.get(f"/jobs/{job_id}/exceptions").body.get("exceptionHistory") or {}).get(
            "entries"
        ) or []
        failures = tuple(
            RestartRecord(
                int(entry.get("timestamp") or 0),
                error_text(entry.get("stacktrace")) or str(entry.get("exceptionName", "")),
            )
            for entry in reversed(history)
        )
        operators = self._operators(job_id, details.body)
        heap, cpu, memory = self._resources()
        consumed = {upstream for operator in operators for upstream, _ in operator.inputs}
        sources = [operator for operator in operators if not operator.inputs]
        sinks = [operator for operator in operators if operator.uid not in consumed]
        running = state == "RUNNING" and timestamps.get("RUNNING")
        down_since = None
        if state in _DOWN:
            down_since = failures[-1].failed_at_ms if failures else int(timestamps.get(state) or 0) or None
        return JobInsight(
            job_id=job_id,
            parallelism=max((operator.parallelism for operator in operators), default=1),
            running_since_ms=int(timestamps["RUNNING"]) if running else None,
            down_since_ms=down_since,
            full_restarts=self.restarts(job_id, history),
            failures=failures,
            checkpoints=tuple(_checkpoint(entry) for entry in reversed(checkpoints.get("history") or [])),
            failed_checkpoints=int((checkpoints.get("counts") or {}).get("failed", 0)),
            operators=operators,
            records_in=sum(op.records_in or op.records_out for op in sources),
            records_out=sum(op.records_out or op.records_in for op in sinks),
            millis_behind_latest=self._behind_latest(job_id, sources) if state == "RUNNING" else None,
            heap_percent=heap,
            cpu_percent=cpu,
            memory_percent=memory,
        )

    def _resources(self) -> tuple[float | None, float | None, float | None]:
        """Heap use (sum used / sum max), mean CPU load, and memory in use out of the total process
        memory, of the TaskManagers, in percent."""
        summed = _metric_values(
            self.rest.get("/taskmanagers/metrics", get=",".join((HEAP_MAX, *IN_USE)), agg="sum").body
        )
        load = _metric_values(self.rest.get("/taskmanagers/metrics", get=CPU_LOAD, agg="avg").body)
        heap_max = summed.get(HEAP_MAX, 0.0)
        heap = summed.get(HEAP_USED, 0.0) * 100 / heap_max if heap_max > 0 else None
        cpu = min(100.0, load[CPU_LOAD] * 100) if CPU_LOAD in load else None
        return heap, cpu, self._memory(summed) if HEAP_USED in summed else None

    def _memory(self, summed: dict[str, float]) -> float | None:
        """Memory in use (``IN_USE`` summed over the TaskManagers) out of their total process memory."""
        listed = self.rest.get("/taskmanagers")
        managers = (listed.body.get("taskmanagers") or []) if listed.ok else []
        size = sum(
            int((manager.get("memoryConfiguration") or {}).get("totalProcessMemory") or 0)
            for manager in managers
        )
        if size <= 0:
            return None
        return min(100.0, sum(summed.get(name, 0.0) for name in IN_USE) * 100 / size)

    def _subtasks(self, job_id: str, vertex_id: str) -> tuple[tuple[int, int], ...]:
        """(records in, records out) of each subtask of a vertex, by subtask index."""
        reply = self.rest.get(f"/jobs/{job_id}/vertices/{vertex_id}")
        if not reply.ok:
            return ()
        counts: dict[int, tuple[int, int]] = {}
        for entry in reply.body.get("subtasks") or []:
            metrics = entry.get("metrics") or {}
            index = int(entry.get("subtask", len(counts)))
            counts[index] = (int(metrics.get("read-records") or 0), int(metrics.get("write-records") or 0))
        return tuple(counts[index] for index in sorted(counts))

    def _operators(self, job_id: str, details: dict[str, Any]) -> tuple[OperatorInsight, ...]:
        inputs = _inputs(details)
        operators = []
        for vertex in details.get("vertices") or []:
            vertex_id = str(vertex.get("id"))
            reply = self.rest.get(
                f"/jobs/{job_id}/vertices/{vertex_id}/subtasks/metrics", get=RECORD_METRICS, agg="sum"
            )
            records = _metric_values(reply.body) if reply.ok else {}
            edges = inputs.get(vertex_id, ())
            operators.append(
                OperatorInsight(
                    uid=vertex_id,
                    name=str(vertex.get("name", vertex_id)),
                    parallelism=int(vertex.get("parallelism") or 1),
                    records_in=int(records.get("numRecordsIn", 0)),
                    records_out=int(records.get("numRecordsOut", 0)),
                    kind="source" if not edges else "",
                    inputs=edges,
                    subtasks=self._subtasks(job_id, vertex_id),
                )
            )
        return tuple(operators)

    def _behind_latest(self, job_id: str, sources: list[OperatorInsight]) -> int | None:
        """The largest ``millisBehindLatest`` a source vertex reports (Kinesis sources), if any."""
        behind: list[float] = []
        for source in sources:
            path = f"/jobs/{job_id}/vertices/{source.uid}/subtasks/metrics"
            listed = self.rest.get(path).body.get("value")
            names = [str(entry.get("id")) for entry in listed or [] if isinstance(entry, dict)]
            wanted = ",".join(name for name in names if name.endswith(BEHIND))
            if wanted:
                behind.extend(_metric_values(self.rest.get(path, get=wanted, agg="max").body).values())
        return int(max(behind)) if behind else None
