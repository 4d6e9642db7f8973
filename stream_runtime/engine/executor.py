"""Runs a job graph in this process: subtasks as logical partitions, checkpoints at quiescent points."""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stream_runtime.engine.control import Message
from stream_runtime.engine.coordinator import (
    CheckpointCoordinator,
    CheckpointFailureReason,
    CheckpointFailureThresholdExceeded,
    CheckpointStats,
    CheckpointStatus,
    FailureOutcome,
)
from stream_runtime.engine.metrics import METRICS_INTERVAL_S, metrics_message
from stream_runtime.engine.topology import JobTopology, load_restored_state
from stream_runtime.engine.writer import (
    CheckpointResult,
    CheckpointTask,
    CheckpointWriter,
    OperatorSnapshot,
    SavepointTarget,
)
from stream_runtime.graph import JobGraph
from stream_runtime.process.launch import LaunchOptions
from stream_runtime.restart import default_restart_strategy
from stream_runtime.state.incremental import SHARED_DIR, collect_shared_garbage
from stream_runtime.state.selection import resolve_state_backend
from stream_runtime.storage.layout import CheckpointLayout, savepoint_name
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.storage.locations import open_storage

IDLE_WAIT_S = 0.002


class JobCanceled(Exception):
    """The job was cancelled through the control channel."""


@dataclass
class JobExecutionResult:
    """Returned by ``execute()``: identity, runtime and checkpoint statistics of the run."""

    job_id: str
    job_name: str
    net_runtime_ms: int
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    savepoint_path: str | None = None


@dataclass
class _PendingSavepoint:
    command: Message
    stats: CheckpointStats
    trigger_time: float
    location: str


class JobRunner:
    """Builds subtasks from the graph, restores state, and drives the source → sink loop with checkpoints."""

    def __init__(self, graph: JobGraph, job_name: str, options: LaunchOptions) -> None:
        self.graph = graph
        self.job_name = job_name
        self.options = options
        self.config = graph.checkpoint_config
        options.overrides.apply(self.config)
        self.parallelism = options.overrides.parallelism or graph.parallelism
        self.restart_strategy = graph.restart_strategy or default_restart_strategy(
            self.config.is_checkpointing_enabled()
        )
        storage = options.storage
        if storage is None:
            import tempfile  # only a job run without checkpoint storage (a test, a plain `python job.py`)

            storage = LocalCheckpointStorage(tempfile.mkdtemp(prefix="stream-runtime-"))
        self.layout = CheckpointLayout(storage, options.job_id)
        self.state_backend = resolve_state_backend(
            graph.state_backend, options.overrides.state_backend, options.overrides.incremental_checkpoints
        )
        self.topology = JobTopology(
            graph, options, self.config, self.parallelism, self.state_backend, self.layout
        )
        self.writer: CheckpointWriter | None = None
        self.coordinator: CheckpointCoordinator | None = None
        self.savepoints: dict[int, _PendingSavepoint] = {}
        self.stop_request: Message | None = None
        self._metrics_sent_at = options.clock()  # the first report a second in, not during start-up

    def _send(self, event: str, **fields: Any) -> None:
        if self.options.channel is not None:
            self.options.channel.send(event, **fields)

    def run(self) -> JobExecutionResult:
        """Execute until the bounded input ends, the job is cancelled, or an error escapes."""
        started = time.monotonic()
        self._send(
            "job_started",
            job_name=self.job_name,
            attempt=self.options.attempt,
            parallelism=self.parallelism,
            checkpoint_config=self.config.to_dict(),
            restart_strategy=self.restart_strategy.to_dict(),
        )
        restored = load_restored_state(self.options)
        self.topology.build(restored)
        self.options.started = True
        self._start_checkpointing()
        failed = True
        savepoint_path = None
        try:
            self.topology.initialize(restored)
            self._send("running")
            while True:
                self._loop()
                if self.options.cancel_requested.is_set():
                    raise JobCanceled("job was cancelled")
                if self.stop_request is None:
                    self._finish()
                    break
                savepoint_path = self._stop_with_savepoint(self.stop_request)
                self.stop_request = None
                if savepoint_path is not None:
                    break
            failed = False
        finally:
            self._shutdown(failed)
        self.options.final_savepoint = savepoint_path
        return JobExecutionResult(
            self.options.job_id,
            self.job_name,
            int((time.monotonic() - started) * 1000),
            self.checkpoint_stats(),
            savepoint_path,
        )

    def checkpoint_stats(self) -> list[dict[str, Any]]:
        """Statistics of every checkpoint of this run (readable while it runs)."""
        return [] if self.coordinator is None else [s.to_dict() for s in self.coordinator.history]

    def _start_checkpointing(self) -> None:
        """Coordinator and writer always exist (savepoints work without periodic checkpoints)."""
        last_id = self.layout.read_counter()
        if self.config.is_checkpointing_enabled():
            self.layout.write_counter(last_id)
            torn = self.layout.clean_torn()
            if torn:
                self.options.log(f"Removed torn checkpoint directories {torn}.")
            collect_shared_garbage(self.layout)
        self.coordinator = CheckpointCoordinator(self.config, last_id, self.options.clock())
        self.writer = CheckpointWriter(self.layout, self.config.num_retained_checkpoints)

    def _loop(self) -> None:
        active = list(self.topology.sources)
        batch_size = self.options.source_batch_size
        clock = self.options.clock
        keyed = self.topology.keyed
        channel = self.options.channel
        cancel_requested = self.options.cancel_requested
        while active and not cancel_requested.is_set() and self.stop_request is None:
            produced = 0
            for source in active:
                produced += source.poll(batch_size)
            if any(s.reader is not None and s.reader.is_finished() for s in active):
                for source in active:
                    if source.reader is not None and source.reader.is_finished():
                        source.end_input()
                active = [s for s in active if not s.ended]
            for generator in self.topology.generators:
                generator.periodic_tick()
            if keyed:
                now_ms = int(self.topology.wall_ms())
                for instance in keyed:
                    instance.fire_timers(now_ms)
            now = clock()
            self._checkpoint_tick(now)
            if channel is not None:
                self._handle_commands()
                if now - self._metrics_sent_at >= METRICS_INTERVAL_S:
                    self._metrics_sent_at = now
                    channel.send("metrics", **metrics_message(self.topology.vertices))
            if not produced:
                time.sleep(IDLE_WAIT_S)

    def _handle_commands(self) -> None:
        channel = self.options.channel
        assert channel is not None
        for command in channel.poll_commands():
            kind = command.get("type")
            if kind == "cancel":
                self.options.cancel_requested.set()
                channel.respond(command, ok=True)
            elif kind == "ping":
                channel.respond(command, ok=True, checkpoints=self.checkpoint_stats())
            elif kind in ("trigger_savepoint", "stop_with_savepoint") and self.stop_request is not None:
                channel.respond(command, ok=False, error="the job is already stopping with a savepoint")
            elif kind == "trigger_savepoint":
                self._trigger_savepoint(command)
            elif kind == "stop_with_savepoint":
                self.stop_request = command
            else:
                channel.respond(command, ok=False, error=f"unsupported command {kind!r}")

    def _savepoint_target(self, command: Message) -> SavepointTarget:
        """``<target>/savepoint-<job id prefix>-<hex of the request id>`` (default: the checkpoint root)."""
        target = command.get("target")
        storage = open_storage(str(target)) if target else self.layout.storage
        request_id = str(command.get("request_id") or uuid.uuid4().hex)
        return SavepointTarget(storage, savepoint_name(self.options.job_id, request_id))

    def _trigger_savepoint(self, command: Message) -> _PendingSavepoint | None:
        """Synchronous part of a savepoint; the writer persists it and the main loop answers ``command``."""
        coordinator = self.coordinator
        assert coordinator is not None
        try:
            target = self._savepoint_target(command)
        except (OSError, ValueError) as exc:
            self._respond(command, ok=False, error=f"invalid savepoint target: {type(exc).__name__}: {exc}")
            return None
        now = self.options.clock()
        wall_ms = int(self.topology.wall_ms())
        stats = coordinator.allocate_savepoint(wall_ms)
        pending = _PendingSavepoint(command, stats, now, target.storage.describe(target.directory))
        self.savepoints[stats.checkpoint_id] = pending
        self.options.log(
            f"Triggering savepoint {stats.checkpoint_id} for job {self.options.job_id} to {pending.location}."
        )
        self._snapshot(stats, wall_ms, target)
        return pending

    def _respond(self, command: Message, **fields: Any) -> None:
        if self.options.channel is not None:
            self.options.channel.respond(command, **fields)

    def _checkpoint_tick(self, now: float, trigger: bool = True) -> None:
        """Collect writer results, expire overdue checkpoints and savepoints, maybe trigger a checkpoint."""
        coordinator, writer = self.coordinator, self.writer
        assert coordinator is not None and writer is not None
        while not writer.results.empty():
            self._on_result(writer.results.get_nowait(), now)
        if self.savepoints:
            timeout = self.config.checkpoint_timeout_ms / 1000
            for savepoint_id, pending in list(self.savepoints.items()):
                if now - pending.trigger_time > timeout:
                    writer.abort(savepoint_id)
                    self._on_result(
                        CheckpointResult(
                            savepoint_id,
                            False,
                            reason=CheckpointFailureReason.CHECKPOINT_EXPIRED,
                            message="savepoint expired before completing",
                            is_savepoint=True,
                        ),
                        now,
                    )
        for checkpoint_id in coordinator.expired(now) if coordinator.pending else ():
            writer.abort(checkpoint_id)
            self._on_result(
                CheckpointResult(
                    checkpoint_id,
                    False,
                    reason=CheckpointFailureReason.CHECKPOINT_EXPIRED,
                    message="checkpoint expired before completing",
                ),
                now,
            )
        if trigger and coordinator.should_trigger(now):
            self._trigger(now)

    def _trigger(self, now: float) -> int:
        assert self.coordinator is not None
        wall_ms = int(self.topology.wall_ms())
        pending = self.coordinator.trigger(now, wall_ms)
        self._snapshot(pending.stats, wall_ms, None)
        return pending.checkpoint_id

    def _snapshot(self, stats: CheckpointStats, wall_ms: int, savepoint: SavepointTarget | None) -> None:
        """Synchronous part (user ``snapshot_state`` and state copies), then hand over to the writer."""
        assert self.writer is not None
        checkpoint_id = stats.checkpoint_id
        started = time.perf_counter()
        snapshots = [
            OperatorSnapshot(
                vertex.node.stable_uid(),
                vertex.parallelism,
                vertex.max_parallelism,
                [
                    instance.snapshot(checkpoint_id, wall_ms, savepoint=savepoint is not None)
                    for instance in vertex.instances
                ],
                vertex.assigner is not None,
                None if vertex.assigner is None else vertex.assigner.key_group,
            )
            for vertex in self.topology.vertices
        ]
        stats.sync_duration_ms = int((time.perf_counter() - started) * 1000)
        self.writer.submit(
            CheckpointTask(
                checkpoint_id,
                wall_ms,
                self.parallelism,
                max(v.max_parallelism for v in self.topology.vertices),
                snapshots,
                {"trigger_timestamp_ms": wall_ms, "sync_duration_ms": stats.sync_duration_ms},
                savepoint,
            )
        )

    def _on_result(self, result: CheckpointResult, now: float) -> None:
        coordinator, writer = self.coordinator, self.writer
        assert coordinator is not None and writer is not None
        if result.is_savepoint:
            self._on_savepoint_result(result, now)
            return
        stats: CheckpointStats | None
        if result.ok:
            stats = coordinator.complete(result.checkpoint_id, now, result.state_size)
            if stats is None:
                return
            stats.external_path = result.location
            self.options.log(
                f"Completed checkpoint {stats.checkpoint_id} for job {self.options.job_id} "
                f"({stats.state_size} bytes, {stats.duration_ms} ms, sync part {stats.sync_duration_ms} ms)."
            )
            for instance in self.topology.all_instances():
                instance.notify_complete(result.checkpoint_id)
        else:
            assert result.reason is not None
            stats, outcome = coordinator.fail(result.checkpoint_id, now, result.reason, result.message)
            if stats is None:
                return
            self.options.log(f"Checkpoint {stats.checkpoint_id} failed: {stats.failure_reason}.")
            for instance in self.topology.all_instances():
                instance.notify_aborted(result.checkpoint_id)
            if outcome is FailureOutcome.FAIL_JOB:
                self._report(stats)
                raise CheckpointFailureThresholdExceeded(
                    "Exceeded checkpoint tolerable failure threshold "
                    f"({self.config.tolerable_checkpoint_failure_number}). "
                    f"The latest checkpoint failed due to {stats.failure_reason}"
                )
        self._report(stats)

    def _on_savepoint_result(self, result: CheckpointResult, now: float) -> None:
        """Savepoints commit nothing here (no completion notice) and never count as checkpoint failures."""
        pending = self.savepoints.pop(result.checkpoint_id, None)
        if pending is None:
            return  # expired earlier; the late result is discarded
        stats = pending.stats
        stats.duration_ms = int((now - pending.trigger_time) * 1000)
        if result.ok:
            stats.status = CheckpointStatus.COMPLETED
            stats.state_size = result.state_size
            stats.external_path = result.location
            self.options.log(
                f"Completed savepoint {stats.checkpoint_id} for job {self.options.job_id} at "
                f"{result.location} ({stats.state_size} bytes, {stats.duration_ms} ms)."
            )
            if pending.command.get("type") == "trigger_savepoint":
                self._respond(
                    pending.command, ok=True, location=result.location, checkpoint_id=stats.checkpoint_id
                )
        else:
            assert result.reason is not None
            stats.status = CheckpointStatus.FAILED
            stats.failure_reason = f"{result.reason.label}: {result.message}"
            self.options.log(f"Savepoint {stats.checkpoint_id} failed: {stats.failure_reason}.")
            for instance in self.topology.all_instances():
                instance.notify_aborted(result.checkpoint_id)
            self._respond(pending.command, ok=False, error=f"Savepoint failed: {stats.failure_reason}")
        self._report(stats)

    def _stop_with_savepoint(self, command: Message) -> str | None:
        """A synchronous savepoint whose completion commits side effects; returns its location, or ``None``
        when it failed without drain (the job then keeps running). A failure after a drain fails the job."""
        drain = bool(command.get("drain"))
        if drain:
            self.topology.drain()
        pending = self._trigger_savepoint(command)
        if pending is None:
            if drain:
                raise RuntimeError("stop-with-savepoint with drain failed: invalid savepoint target")
            return None
        stats = pending.stats
        self._await_writer(lambda: stats.status is not CheckpointStatus.IN_PROGRESS)
        if stats.status is not CheckpointStatus.COMPLETED:
            if stats.status is CheckpointStatus.IN_PROGRESS:  # the writer never answered
                assert self.writer is not None
                self.writer.abort(stats.checkpoint_id)  # it must never publish this savepoint now
                self.savepoints.pop(stats.checkpoint_id, None)
                self._respond(command, ok=False, error="Savepoint did not complete in time")
            if drain:
                raise RuntimeError(f"stop-with-savepoint with drain failed: {stats.failure_reason}")
            return None
        for instance in self.topology.all_instances():
            instance.notify_complete(stats.checkpoint_id)
        self._respond(command, ok=True, location=pending.location, checkpoint_id=stats.checkpoint_id)
        self.options.log(f"Job {self.options.job_id} stopped with savepoint {pending.location}.")
        return pending.location

    def _await_writer(self, done: Callable[[], bool]) -> None:
        """Handle writer results until ``done()`` (bounded by the checkpoint timeout plus expiry handling)."""
        assert self.writer is not None
        deadline = time.monotonic() + self.config.checkpoint_timeout_ms / 1000 + 1.0
        while not done() and time.monotonic() < deadline:
            try:
                result = self.writer.results.get(timeout=0.05)
            except queue.Empty:
                self._checkpoint_tick(self.options.clock(), trigger=False)
                continue
            self._on_result(result, self.options.clock())

    def _report(self, stats: CheckpointStats) -> None:
        assert self.coordinator is not None and self.writer is not None
        self._send("checkpoint", stats=stats.to_dict())
        self.writer.save_stats(self.checkpoint_stats())

    def _finish(self) -> None:
        for instance in self.topology.all_instances():
            instance.finish()
        if self.coordinator is None or not self.config.is_checkpointing_enabled():
            return
        now = self.options.clock()
        self._checkpoint_tick(now)
        final_id = self._trigger(now)
        coordinator = self.coordinator
        self._await_writer(lambda: not coordinator.pending)
        if coordinator.latest_completed_id < final_id:
            raise RuntimeError(f"final checkpoint {final_id} did not complete")

    def _shutdown(self, failed: bool) -> None:
        errors: list[BaseException] = []
        for instance in self.topology.all_instances():
            try:
                instance.close()
            except Exception as exc:
                errors.append(exc)
        if self.writer is not None:
            self.writer.close(timeout=self.config.checkpoint_timeout_ms / 1000 if not failed else 1.0)
        for instance in self.topology.all_instances():
            if instance.keyed_backend is not None:
                instance.keyed_backend.dispose()
        if (
            self.options.cancel_requested.is_set()
            and self.config.externalized_checkpoint_cleanup.deletes_on_cancellation()
        ):
            for checkpoint_id in self.layout.checkpoint_ids():
                self.layout.storage.delete_tree(self.layout.checkpoint_dir(checkpoint_id))
            self.layout.storage.delete_tree(f"{self.options.job_id}/{SHARED_DIR}")
        if errors and not failed:
            raise errors[0]


def execute_job(graph: JobGraph, job_name: str, options: LaunchOptions) -> JobExecutionResult:
    """Run ``graph`` with ``options`` (the body of ``StreamExecutionEnvironment.execute``)."""
    return JobRunner(graph, job_name, options).run()
