"""Supervisor: runs a job in its own process and restarts it from the latest checkpoint per its strategy.

With a :class:`~stream_runtime.process.registry.JobRegistry` the supervisor owns the job (its lock) and
records there every process it spawns, every state and every savepoint request, so that a supervisor created
after a crash of this one takes the job over (:meth:`Supervisor.recover`) instead of starting it twice.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from stream_runtime.cloudwatch_logs import JOB_ID_ENV, LOG_DIR_ENV
from stream_runtime.engine.control import LineChannel, Message
from stream_runtime.process.bytecode import precompile_runtime
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointOutcome
from stream_runtime.process.registry import (
    JobRecord,
    JobRegistry,
    OwnerLock,
    end_process_group,
    process_start_time,
)
from stream_runtime.process.savepoints import SavepointBook
from stream_runtime.process.storage_guard import StorageGuard
from stream_runtime.restart import RestartStrategy, default_restart_strategy, restart_strategy_from_dict
from stream_runtime.storage.layout import CheckpointLayout, savepoint_name
from stream_runtime.storage.locations import open_storage
from stream_runtime.vitals import JobVitals

CHANNEL_DRAIN_TIMEOUT_S = 5.0
STOP_QUEUE_LIMIT_S = 30.0  # a stop-with-savepoint waits for a restarting job at most this long


class JobOwnedElsewhere(RuntimeError):
    """Another live supervisor owns this job (holds its registry lock)."""


@dataclass
class _Attempt:
    process: subprocess.Popen[bytes]
    log: IO[bytes] | None
    channel: LineChannel = field(init=False)  # its messages are this attempt's: it starts after the attempt
    error: str | None = None
    terminal: bool = False  # the job failed to initialise: no restart can help
    finished: bool = False
    canceled: bool = False
    savepoint: str | None = None
    guard: StorageGuard | None = None  # its running application storage, measured while it runs


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"Job process was killed by signal {name}."
    return f"Job process exited with code {returncode}."


class Supervisor:
    """Spawns ``python -m stream_runtime run`` for a job, watches it, and applies the restart strategy.

    ``processing`` is set while the current attempt has restored its state and is processing records.

    ``clock`` and ``sleeper`` are injectable so restart delays are tested without sleeping. The restart
    strategy is the explicit one, else the one the job reports at start (its own or Flink's default), else —
    for a process that died before reporting one — Flink's default for the checkpointing the control plane
    imposes. A job that fails to initialise (its state cannot be restored, its code fails before the job
    starts) fails at once: no restart can help it.

    Job processes run in their own process group, die with the thread that spawned them (Linux
    parent-death signal) and cancel themselves when the control channel closes: they never outlive their
    supervisor's process.
    """

    def __init__(
        self,
        spec: JobProcessSpec,
        *,
        restart_strategy: RestartStrategy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleeper: Callable[[float], None] | None = None,
        python: str = sys.executable,
        log_dir: str | None = None,
        on_status: Callable[[JobProcessStatus], None] | None = None,
        registry: JobRegistry | None = None,
    ) -> None:
        self.spec = spec
        self._explicit_strategy = restart_strategy
        self._strategy: RestartStrategy | None = restart_strategy
        self._clock = clock
        self._cancel = threading.Event()
        self._sleeper = sleeper or (lambda delay: self._cancel.wait(delay) and None)
        self._python = python
        self._log_dir = log_dir
        self._on_status = on_status
        self._registry = registry
        self._owner: OwnerLock | None = None
        self._persisting = threading.Lock()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._attempt: _Attempt | None = None
        self._stats: dict[int, dict[str, Any]] = {}
        self._savepoints = SavepointBook()
        self._queued_stops: dict[str, Message] = {}
        self._restart_at: float | None = None
        self._ended_by_owner = False
        self.final_savepoint: str | None = None
        self.status = JobProcessStatus.CREATED
        self.failure_cause: str | None = None
        self.restart_count = 0
        self.restart_delays: list[float] = []
        self.attempt_number = 0
        self.running_since: float | None = None
        self.processing = threading.Event()
        self.vitals = JobVitals()
        own = {**spec.env, JOB_ID_ENV: spec.job_id}
        if log_dir is not None:
            own[LOG_DIR_ENV] = log_dir
        self._env = {**os.environ, **own}  # what the supervisor reads storage with
        self._job_env = self._env if spec.sandbox is None else spec.sandbox.environment(own, dict(os.environ))
        self.layout = CheckpointLayout(open_storage(spec.checkpoint_dir, self._env), spec.job_id)

    # -- public API -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the first attempt and supervise in a background thread (owning the job in the registry)."""
        if self._thread is not None:
            raise RuntimeError("supervisor already started")
        self._own()
        # once per process, in the background: later attempts and jobs import the runtime from bytecode
        # (not in recover(): a restarted control plane takes its jobs over first, with the cache it made)
        precompile_runtime()
        self._set_status(JobProcessStatus.RUNNING)
        self._launch(self.spec.restore_path)

    def recover(self) -> None:
        """Take over a job whose supervisor ended without finishing it (a control-plane crash), as Flink's
        JobManager does after a failover: its process died with that supervisor (else it is ended now);
        savepoints completed meanwhile are learnt from storage (a completed stop makes the job FINISHED);
        an ended job stays ended; otherwise it restarts from its latest completed checkpoint.
        Raises :class:`JobOwnedElsewhere` while the job's owner is alive."""
        self._own()
        assert self._registry is not None
        record = self._registry.load(self.spec.job_id)
        if record is None:
            raise KeyError(self.spec.job_id)
        if record.pid is not None:
            end_process_group(record.pid, record.pid_started)
        self.restart_count, self.attempt_number = record.restarts, record.attempt
        self.failure_cause, self.final_savepoint = record.failure_cause, record.final_savepoint
        stopped = self._savepoints.learn(record.savepoints, self._env)
        if record.state.is_terminal or stopped is not None:
            self.final_savepoint = stopped or self.final_savepoint
            self._set_status(JobProcessStatus.FINISHED if stopped else record.state)
            self._release()
            self._done.set()
            return
        if record.pid is not None:
            self.restart_count += 1
            self.attempt_number += 1
        self._set_status(JobProcessStatus.RUNNING)
        self._launch(self.latest_checkpoint_path() or self.spec.restore_path)

    def wait(self, timeout: float | None = None) -> JobProcessStatus:
        """Block until the job reaches a terminal status (or ``timeout``); returns the status."""
        self._done.wait(timeout)
        return self.status

    def cancel(self, timeout: float = 30.0, *, by_owner: bool = False) -> JobProcessStatus:
        """Cancel: ask the job to stop, kill it if it does not within ``timeout``; status becomes CANCELED.

        ``by_owner``: the job ends because its owner shuts down — killed at once, so it keeps its checkpoints
        for the next start (a cancelled job deletes them), and recorded, so nobody takes it over."""
        self._ended_by_owner = self._ended_by_owner or by_owner
        self._cancel.set()
        attempt = self._attempt
        if attempt is not None and attempt.process.poll() is None:
            if not by_owner:
                attempt.channel.send({"type": "cancel"})
            try:
                attempt.process.wait(timeout)
            except subprocess.TimeoutExpired:
                end_process_group(attempt.process.pid, None)
        self._done.wait(timeout)
        return self.status

    @property
    def pid(self) -> int | None:
        """Process id of the current attempt (if one is alive)."""
        attempt = self._attempt
        return None if attempt is None or attempt.process.poll() is not None else attempt.process.pid

    def trigger_savepoint(
        self, target: str | None = None, *, request_id: str | None = None
    ) -> SavepointOutcome:
        """Ask the running job for a savepoint under ``target`` (default ``spec.savepoint_dir``).

        The job keeps running and no side effects are committed. Returns at once: IN_PROGRESS (poll
        :meth:`savepoint`), or FAILED when no job process is running. A known ``request_id`` returns that
        request's outcome (requests are idempotent per id)."""
        return self._request_savepoint("trigger_savepoint", target, request_id, stop=False, drain=False)

    def stop_with_savepoint(
        self, target: str | None = None, *, drain: bool = False, request_id: str | None = None
    ) -> SavepointOutcome:
        """Stop the job with a synchronous savepoint that commits pending transactions; the job then ends
        FINISHED with ``final_savepoint`` set. With ``drain`` the sources end and every timer fires first
        (for a permanent stop). If the savepoint fails the job keeps running (without drain) or fails over
        (with drain). A job that is restarting gets the request as soon as its next attempt starts, if that
        is within ``STOP_QUEUE_LIMIT_S``. Returns at once, like :meth:`trigger_savepoint`."""
        return self._request_savepoint("stop_with_savepoint", target, request_id, stop=True, drain=drain)

    @property
    def stopping(self) -> bool:
        """Whether a stop-with-savepoint is in progress (the job may still end FINISHED or keep running)."""
        return self._savepoints.stopping

    def savepoint(self, request_id: str) -> SavepointOutcome | None:
        """The current outcome of a savepoint request (``None`` for an unknown id)."""
        return self._savepoints.get(request_id)

    def wait_savepoint(self, request_id: str, timeout: float) -> SavepointOutcome:
        """Block until the request is done or ``timeout`` elapsed; returns the outcome then."""
        return self._savepoints.wait(request_id, timeout)

    def completed_savepoints(self) -> list[str]:
        """Locations of the savepoints this job completed (across supervisors), oldest first."""
        return self._savepoints.completed()

    def _request_savepoint(
        self, command: str, target: str | None, request_id: str | None, *, stop: bool, drain: bool
    ) -> SavepointOutcome:
        request_id = request_id or uuid.uuid4().hex
        known = self._savepoints.get(request_id)
        if known is not None:
            return known
        target = target or self.spec.savepoint_dir
        message: dict[str, Any] = {"type": command, "request_id": request_id, "target": target}
        if stop:
            message["drain"] = drain
        expected = self._expected_location(target, request_id)
        with self._lock:
            attempt = self._attempt
            alive = (
                attempt is not None
                and attempt.process.poll() is None
                and self.status is JobProcessStatus.RUNNING
            )
            restart_at = self._restart_at if self.status is JobProcessStatus.RESTARTING else None
            if stop and restart_at is not None and restart_at - self._clock() <= STOP_QUEUE_LIMIT_S:
                outcome = self._savepoints.open(
                    request_id, None, stop=True, drain=drain, expected_location=expected
                )
                self._queued_stops[request_id] = message
                self._persist()
                return outcome
            refusal = None if alive else f"The job is not running (status {self.status.value})."
            outcome = self._savepoints.open(
                request_id, attempt, stop=stop, drain=drain, expected_location=expected, refusal=refusal
            )
        self._persist()
        if refusal is None:
            assert attempt is not None
            if not attempt.channel.send(message):
                self._settle_savepoint(request_id, ok=False, error="The job's control channel is closed.")
        return self.savepoint(request_id) or outcome

    def _expected_location(self, target: str | None, request_id: str) -> str:
        name = savepoint_name(self.spec.job_id, request_id)
        return f"{target.rstrip('/')}/{name}" if target else self.layout.storage.describe(name)

    def _settle_savepoint(
        self, request_id: str, *, ok: bool, location: str | None = None, error: str | None = None
    ) -> None:
        if self._savepoints.settle(request_id, ok=ok, location=location, error=error):
            self._persist()

    def storage_use(self) -> tuple[int, int] | None:
        """(bytes used, bytes allowed) of the running attempt's application storage, once measured."""
        attempt = self._attempt
        guard = attempt.guard if attempt is not None else None
        return None if guard is None or guard.used is None else (guard.used, guard.limit)

    def checkpoint_stats(self) -> list[dict[str, Any]]:
        """Statistics of every checkpoint seen across attempts (from the channel, else from storage)."""
        with self._lock:
            live = [self._stats[k] for k in sorted(self._stats)]
        return live or self.layout.read_stats()

    def latest_checkpoint_path(self) -> str | None:
        """Location of the newest completed checkpoint, usable as ``--restore``."""
        ref = self.layout.latest_completed()
        return None if ref is None else self.layout.storage.describe(ref.directory)

    # -- ownership and the registry ---------------------------------------------------------------------

    def _own(self) -> None:
        if self._registry is None or self._owner is not None:
            return
        owner = self._registry.acquire(self.spec.job_id)
        if owner is None:
            raise JobOwnedElsewhere(f"job {self.spec.job_id} is owned by another live supervisor")
        self._owner = owner

    def _release(self) -> None:
        self._persist()
        if self._owner is not None:
            self._owner.release()
            self._owner = None

    def record(self) -> JobRecord:
        """What the registry keeps of this job now."""
        attempt = self._attempt
        pid = None if attempt is None or self.status.is_terminal else attempt.process.pid
        return JobRecord(
            spec=self.spec,
            state=self.status,
            pid=pid,
            pid_started=None if pid is None else process_start_time(pid),
            restarts=self.restart_count,
            attempt=self.attempt_number,
            failure_cause=self.failure_cause,
            final_savepoint=self.final_savepoint,
            ended_by_owner=self._ended_by_owner,
            savepoints=self._savepoints.triggers(),
        )

    def _persist(self) -> None:
        with self._persisting:  # one writer at a time, each writing the state as of its turn
            if self._registry is not None and self._owner is not None:
                self._registry.save(self.record())

    # -- supervision loop -------------------------------------------------------------------------------

    def _set_status(self, status: JobProcessStatus) -> None:
        if status.is_terminal:
            self.vitals.ended()
        self.status = status
        self._persist()
        if self._on_status is not None:
            self._on_status(status)

    def _launch(self, restore: str | None) -> None:
        self._thread = threading.Thread(
            target=self._supervise, args=(restore,), name=f"supervisor-{self.spec.job_id}", daemon=True
        )
        self._thread.start()

    def _supervise(self, restore: str | None) -> None:
        try:
            while True:
                attempt = self._spawn(restore)
                returncode = attempt.process.wait()
                self.processing.clear()
                attempt.channel.wait_closed(CHANNEL_DRAIN_TIMEOUT_S)
                attempt.channel.close()
                if attempt.guard is not None and attempt.guard.stop() is not None:
                    attempt.error, attempt.terminal = attempt.guard.cause, False
                if attempt.log is not None:
                    attempt.log.close()
                ended = f"The job process ended before the savepoint completed ({_describe_exit(returncode)})"
                stopped = self._savepoints.resolve(attempt, self._env, ended)
                if stopped is not None and not attempt.finished:  # the stop's savepoint exists: stopped
                    attempt.finished, attempt.savepoint, returncode = True, stopped, 0
                if self._cancel.is_set() or attempt.canceled:
                    self._end(JobProcessStatus.CANCELED)
                    return
                if attempt.finished and returncode == 0:
                    self.final_savepoint = attempt.savepoint
                    self._end(JobProcessStatus.FINISHED)
                    return
                self.failure_cause = attempt.error or _describe_exit(returncode)
                self.vitals.failed(self.failure_cause)
                now = self._clock()
                delay = (
                    None
                    if attempt.terminal
                    else self._restart_strategy().next_delay(now, self.running_since or now)
                )
                if delay is None:
                    self._end(JobProcessStatus.FAILED)
                    return
                self._restart_at = now + delay
                self._set_status(JobProcessStatus.RESTARTING)
                self.restart_delays.append(delay)
                self._sleeper(delay)
                if self._cancel.is_set():
                    self._end(JobProcessStatus.CANCELED)
                    return
                self.restart_count += 1
                self.attempt_number += 1
                restore = self.latest_checkpoint_path() or self.spec.restore_path
                self._set_status(JobProcessStatus.RUNNING)
        except Exception as exc:
            self.failure_cause = f"Supervisor error: {type(exc).__name__}: {exc}"
            self._end(JobProcessStatus.FAILED)
        finally:
            self._done.set()

    def _end(self, status: JobProcessStatus) -> None:
        reason = f"The job ended ({status.value}) before the savepoint could be taken."
        with self._lock:
            self._queued_stops.clear()
        self._savepoints.resolve(None, self._env, reason, queued_too=True)
        self._set_status(status)
        self._release()

    def _restart_strategy(self) -> RestartStrategy:
        if self._strategy is not None:
            return self._strategy
        # before the job reported its strategy, Flink's default for the imposed checkpointing applies
        return default_restart_strategy(self.spec.overrides.checkpointing_enabled is True)

    def _spawn(self, restore: str | None) -> _Attempt:
        parent, child = socket.socketpair()
        log = None
        if self._log_dir is not None:
            os.makedirs(self._log_dir, exist_ok=True)
            log = open(  # noqa: SIM115 - closed when the attempt ends
                os.path.join(self._log_dir, f"{self.spec.job_id}-attempt-{self.attempt_number}.log"), "wb"
            )
        argv = self.spec.command_line(self._python, restore, child.fileno(), self.attempt_number)
        if self.spec.sandbox is not None:
            argv = self.spec.sandbox.command_line(argv, self._python)
        try:
            process = subprocess.Popen(
                argv,
                pass_fds=[child.fileno()],
                stdout=log,
                stderr=subprocess.STDOUT if log is not None else None,
                env=self._job_env,
                cwd=self.spec.cwd,
                start_new_session=True,  # its own process group: ending the job ends what it spawned
            )
        finally:
            child.close()
        attempt = _Attempt(process, log)
        guard = StorageGuard.for_job(self.spec.sandbox, process.pid, log)
        attempt.guard = None if guard is None else guard.start()
        channel = attempt.channel = LineChannel(parent, functools.partial(self._on_message, attempt))
        with self._lock:
            self._attempt = attempt
            self._restart_at = None
            queued = list(self._queued_stops.values())
            self._queued_stops.clear()
        self._savepoints.assign(attempt)
        self.running_since = self._clock()
        self._persist()
        for message in queued:
            if not channel.send(message):
                self._settle_savepoint(
                    message["request_id"], ok=False, error="The job's control channel is closed."
                )
        return attempt

    def _on_message(self, attempt: _Attempt, message: Message) -> None:
        kind = message.get("type")
        if kind == "job_started":
            reported = message.get("restart_strategy")
            if self._strategy is None and reported:
                self._strategy = restart_strategy_from_dict(reported)
        elif kind == "running":
            self.running_since = self._clock()
            self.processing.set()
            self.vitals.running()
        elif kind == "metrics":
            self.vitals.measured(message)
        elif kind == "checkpoint":
            stats = message["stats"]
            with self._lock:
                self._stats[int(stats["id"])] = stats
        elif kind == "failed":
            attempt.error = message.get("error")
            attempt.terminal = bool(message.get("initialization"))
        elif kind == "finished":
            attempt.finished = True
            attempt.savepoint = message.get("savepoint")
        elif kind == "canceled":
            attempt.canceled = True
        elif kind == "response":
            self._settle_savepoint(
                message["request_id"],
                ok=bool(message.get("ok")),
                location=message.get("location"),
                error=message.get("error") or "savepoint failed",
            )
