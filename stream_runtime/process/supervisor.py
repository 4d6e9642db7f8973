"""Supervisor: runs a job in its own process and restarts it from the latest checkpoint per its strategy."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from stream_runtime.engine.control import LineChannel, Message
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointOutcome, SavepointProgress
from stream_runtime.restart import NoRestartStrategy, RestartStrategy, restart_strategy_from_dict
from stream_runtime.storage.layout import CheckpointLayout
from stream_runtime.storage.locations import open_storage

CHANNEL_DRAIN_TIMEOUT_S = 5.0


@dataclass
class _Attempt:
    process: subprocess.Popen[bytes]
    channel: LineChannel
    log: IO[bytes] | None
    error: str | None = None
    finished: bool = False
    canceled: bool = False
    savepoint: str | None = None


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
    strategy is the explicit one, else the one the job reports at start (its own or Flink's default), else
    no restart.
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
    ) -> None:
        self.spec = spec
        self._explicit_strategy = restart_strategy
        self._strategy: RestartStrategy | None = restart_strategy
        self._reported_strategy: dict[str, Any] | None = None
        self._clock = clock
        self._cancel = threading.Event()
        self._sleeper = sleeper or (lambda delay: self._cancel.wait(delay) and None)
        self._python = python
        self._log_dir = log_dir
        self._on_status = on_status
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._attempt: _Attempt | None = None
        self._responses: dict[str, Message] = {}
        self._response_ready = threading.Condition(self._lock)
        self._stats: dict[int, dict[str, Any]] = {}
        self._savepoints: dict[str, SavepointOutcome] = {}
        self._savepoint_attempts: dict[str, _Attempt] = {}
        self._savepoint_changed = threading.Condition(self._lock)
        self.final_savepoint: str | None = None
        self.status = JobProcessStatus.CREATED
        self.failure_cause: str | None = None
        self.restart_count = 0
        self.restart_delays: list[float] = []
        self.attempt_number = 0
        self.running_since: float | None = None
        self.processing = threading.Event()
        self.layout = CheckpointLayout(
            open_storage(spec.checkpoint_dir, {**os.environ, **spec.env}), spec.job_id
        )

    # -- public API -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the first attempt and supervise in a background thread."""
        if self._thread is not None:
            raise RuntimeError("supervisor already started")
        self._thread = threading.Thread(
            target=self._supervise, name=f"supervisor-{self.spec.job_id}", daemon=True
        )
        self._set_status(JobProcessStatus.RUNNING)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> JobProcessStatus:
        """Block until the job reaches a terminal status (or ``timeout``); returns the status."""
        self._done.wait(timeout)
        return self.status

    def cancel(self, timeout: float = 30.0) -> JobProcessStatus:
        """Cancel: ask the job to stop, kill it if it does not within ``timeout``; status becomes CANCELED."""
        self._cancel.set()
        attempt = self._attempt
        if attempt is not None and attempt.process.poll() is None:
            attempt.channel.send({"type": "cancel"})
            try:
                attempt.process.wait(timeout)
            except subprocess.TimeoutExpired:
                attempt.process.kill()
        self._done.wait(timeout)
        return self.status

    @property
    def pid(self) -> int | None:
        """Process id of the current attempt (if one is alive)."""
        attempt = self._attempt
        return None if attempt is None or attempt.process.poll() is not None else attempt.process.pid

    def send_command(self, command: str, timeout: float = 30.0, **fields: Any) -> Message:
        """Send a command to the running job and wait for its response (the hook for savepoint commands)."""
        attempt = self._attempt
        if attempt is None or attempt.process.poll() is not None:
            raise RuntimeError("job process is not running")
        request_id = uuid.uuid4().hex
        if not attempt.channel.send({"type": command, "request_id": request_id, **fields}):
            raise RuntimeError("control channel is closed")
        deadline = time.monotonic() + timeout
        with self._response_ready:
            while request_id not in self._responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no response to {command!r} within {timeout} s")
                self._response_ready.wait(remaining)
            return self._responses.pop(request_id)

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
        (with drain). Returns at once, like :meth:`trigger_savepoint`."""
        return self._request_savepoint("stop_with_savepoint", target, request_id, stop=True, drain=drain)

    @property
    def stopping(self) -> bool:
        """Whether a stop-with-savepoint is in progress (the job may still end FINISHED or keep running)."""
        with self._lock:
            return any(o.stop and not o.done for o in self._savepoints.values())

    def savepoint(self, request_id: str) -> SavepointOutcome | None:
        """The current outcome of a savepoint request (``None`` for an unknown id)."""
        with self._lock:
            return self._savepoints.get(request_id)

    def wait_savepoint(self, request_id: str, timeout: float) -> SavepointOutcome:
        """Block until the request is done or ``timeout`` elapsed; returns the outcome then."""
        deadline = time.monotonic() + timeout
        with self._savepoint_changed:
            while True:
                outcome = self._savepoints.get(request_id)
                if outcome is None:
                    raise KeyError(request_id)
                remaining = deadline - time.monotonic()
                if outcome.done or remaining <= 0:
                    return outcome
                self._savepoint_changed.wait(remaining)

    def _request_savepoint(
        self, command: str, target: str | None, request_id: str | None, *, stop: bool, drain: bool
    ) -> SavepointOutcome:
        request_id = request_id or uuid.uuid4().hex
        with self._lock:
            known = self._savepoints.get(request_id)
            if known is not None:
                return known
            attempt = self._attempt
            alive = (
                attempt is not None
                and attempt.process.poll() is None
                and self.status is JobProcessStatus.RUNNING
            )
            if not alive:
                outcome = SavepointOutcome(
                    request_id,
                    SavepointProgress.FAILED,
                    error=f"The job is not running (status {self.status.value}).",
                    stop=stop,
                    drain=drain,
                )
                self._savepoints[request_id] = outcome
                return outcome
            assert attempt is not None
            outcome = SavepointOutcome(request_id, SavepointProgress.IN_PROGRESS, stop=stop, drain=drain)
            self._savepoints[request_id] = outcome
            self._savepoint_attempts[request_id] = attempt
        message: dict[str, Any] = {
            "type": command,
            "request_id": request_id,
            "target": target or self.spec.savepoint_dir,
        }
        if stop:
            message["drain"] = drain
        if not attempt.channel.send(message):
            self._settle_savepoint(request_id, ok=False, error="The job's control channel is closed.")
        return self.savepoint(request_id) or outcome

    def _settle_savepoint(
        self, request_id: str, *, ok: bool, location: str | None = None, error: str | None = None
    ) -> None:
        with self._savepoint_changed:
            current = self._savepoints.get(request_id)
            if current is None or current.done:
                return
            state = SavepointProgress.COMPLETED if ok else SavepointProgress.FAILED
            self._savepoints[request_id] = SavepointOutcome(
                request_id,
                state,
                location if ok else None,
                None if ok else error,
                current.stop,
                current.drain,
            )
            self._savepoint_attempts.pop(request_id, None)
            self._savepoint_changed.notify_all()

    def _fail_open_savepoints(self, attempt: _Attempt, reason: str) -> None:
        with self._lock:
            open_ids = [rid for rid, owner in self._savepoint_attempts.items() if owner is attempt]
        for request_id in open_ids:
            self._settle_savepoint(request_id, ok=False, error=reason)

    def checkpoint_stats(self) -> list[dict[str, Any]]:
        """Statistics of every checkpoint seen across attempts (from the channel, else from storage)."""
        with self._lock:
            live = [self._stats[k] for k in sorted(self._stats)]
        return live or self.layout.read_stats()

    def latest_checkpoint_path(self) -> str | None:
        """Location of the newest completed checkpoint, usable as ``--restore``."""
        ref = self.layout.latest_completed()
        return None if ref is None else self.layout.storage.describe(ref.directory)

    # -- supervision loop -------------------------------------------------------------------------------

    def _set_status(self, status: JobProcessStatus) -> None:
        self.status = status
        if self._on_status is not None:
            self._on_status(status)

    def _supervise(self) -> None:
        try:
            restore = self.spec.restore_path
            while True:
                attempt = self._spawn(restore)
                returncode = attempt.process.wait()
                self.processing.clear()
                attempt.channel.wait_closed(CHANNEL_DRAIN_TIMEOUT_S)
                attempt.channel.close()
                if attempt.log is not None:
                    attempt.log.close()
                self._fail_open_savepoints(
                    attempt,
                    f"The job process ended before the savepoint completed ({_describe_exit(returncode)})",
                )
                if self._cancel.is_set() or attempt.canceled:
                    self._set_status(JobProcessStatus.CANCELED)
                    return
                if attempt.finished and returncode == 0:
                    self.final_savepoint = attempt.savepoint
                    self._set_status(JobProcessStatus.FINISHED)
                    return
                self.failure_cause = attempt.error or _describe_exit(returncode)
                delay = self._restart_strategy().next_delay(
                    self._clock(), self.running_since or self._clock()
                )
                if delay is None:
                    self._set_status(JobProcessStatus.FAILED)
                    return
                self._set_status(JobProcessStatus.RESTARTING)
                self.restart_delays.append(delay)
                self._sleeper(delay)
                if self._cancel.is_set():
                    self._set_status(JobProcessStatus.CANCELED)
                    return
                self.restart_count += 1
                self.attempt_number += 1
                restore = self.latest_checkpoint_path() or self.spec.restore_path
                self._set_status(JobProcessStatus.RUNNING)
        except Exception as exc:
            self.failure_cause = f"Supervisor error: {type(exc).__name__}: {exc}"
            self._set_status(JobProcessStatus.FAILED)
        finally:
            self._done.set()

    def _restart_strategy(self) -> RestartStrategy:
        if self._strategy is None:
            doc = self._reported_strategy
            self._strategy = restart_strategy_from_dict(doc) if doc else NoRestartStrategy()
        return self._strategy

    def _command_line(self, restore: str | None, control_fd: int) -> list[str]:
        spec = self.spec
        argv = [
            self._python,
            "-m",
            "stream_runtime",
            "run",
            spec.job_file,
            "--job-id",
            spec.job_id,
            "--checkpoint-dir",
            spec.checkpoint_dir,
            "--control-fd",
            str(control_fd),
            "--attempt",
            str(self.attempt_number),
            *spec.overrides.to_cli_args(),
        ]
        if restore:
            argv += ["--restore", restore]
        if spec.allow_non_restored_state:
            argv.append("--allow-non-restored-state")
        if spec.properties_file:
            argv += ["--properties", spec.properties_file]
        return [*argv, "--", *spec.args]

    def _spawn(self, restore: str | None) -> _Attempt:
        parent, child = socket.socketpair()
        log = None
        if self._log_dir is not None:
            os.makedirs(self._log_dir, exist_ok=True)
            log = open(  # noqa: SIM115 - closed when the attempt ends
                os.path.join(self._log_dir, f"{self.spec.job_id}-attempt-{self.attempt_number}.log"), "wb"
            )
        env = {**os.environ, **self.spec.env}
        try:
            process = subprocess.Popen(
                self._command_line(restore, child.fileno()),
                pass_fds=[child.fileno()],
                stdout=log,
                stderr=subprocess.STDOUT if log is not None else None,
                env=env,
                cwd=self.spec.cwd,
            )
        finally:
            child.close()
        holder: list[_Attempt] = []
        channel = LineChannel(parent, lambda message: self._on_message(holder[0], message))
        attempt = _Attempt(process, channel, log)
        holder.append(attempt)
        self._attempt = attempt
        self.running_since = self._clock()
        return attempt

    def _on_message(self, attempt: _Attempt, message: Message) -> None:
        kind = message.get("type")
        if kind == "job_started":
            if self._explicit_strategy is None and self._reported_strategy is None:
                self._reported_strategy = message.get("restart_strategy")
        elif kind == "running":
            self.running_since = self._clock()
            self.processing.set()
        elif kind == "checkpoint":
            stats = message["stats"]
            with self._lock:
                self._stats[int(stats["id"])] = stats
        elif kind == "failed":
            attempt.error = message.get("error")
        elif kind == "finished":
            attempt.finished = True
            attempt.savepoint = message.get("savepoint")
        elif kind == "canceled":
            attempt.canceled = True
        elif kind == "response" and self.savepoint(message["request_id"]) is not None:
            self._settle_savepoint(
                message["request_id"],
                ok=bool(message.get("ok")),
                location=message.get("location"),
                error=message.get("error") or "savepoint failed",
            )
        elif kind == "response":
            with self._response_ready:
                self._responses[message["request_id"]] = message
                self._response_ready.notify_all()
