"""``RuntimeAdapter`` over a real Apache Flink cluster's REST API (Flink 2.3).

Submission is ``/jars/upload`` once per jar (cached by content), then ``/jars/:id/run`` with the job id
the control loop persisted (``jobId``), ``parallelism``, ``savepointPath`` / ``allowNonRestoredState`` /
``claimMode`` and a per-job ``flinkConfiguration`` carrying the effective checkpoint configuration and
the job's checkpoint directory. Python jobs run through Flink's ``PythonDriver`` (``opt/flink-python``).
Savepoint trigger ids are made valid Flink TriggerIds (32 hex) with ``flink_id``; job ids must be 32 hex
already. States come from the live endpoints (``/jobs/:id/status``, ``/jobs/overview``), never from the
cached execution graph; failure text from ``/jobs/:id/exceptions``.

Expected problems are outcomes: an unreachable REST API is ``JobState.UNREACHABLE`` /
``SavepointState.UNREACHABLE`` / a REJECTED command whose error says so, logged once when it starts and
once when it ends — never a stack trace per tick.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime_adapter.base import (
    FLINK_ID,
    CheckpointSettings,
    CheckpointStats,
    CodeLanguage,
    DisposeOutcome,
    DisposeResult,
    JobSpec,
    JobState,
    JobStatus,
    SavepointRequest,
    SavepointState,
    SavepointStatus,
    StartOutcome,
    StartResult,
    StopMode,
    StopOutcome,
    StopResult,
    TriggerOutcome,
    TriggerResult,
    flink_id,
)
from runtime_adapter.flink import bootstrap
from runtime_adapter.flink.distribution import PYTHON_DRIVER
from runtime_adapter.flink.insight import FlinkInsight
from runtime_adapter.flink.launcher import LAUNCHER_CLASS, PINNED_KEYS, Launcher, manifest_entry_class
from runtime_adapter.flink.properties import PropertiesPublisher
from runtime_adapter.flink.reads import Kept, Reads, beside
from runtime_adapter.flink.replies import JOB_STATES, completed_checkpoint, savepoint_result
from runtime_adapter.flink.replies import all_running as _all_running
from runtime_adapter.flink.replies import restored_from as _restored_from
from runtime_adapter.flink.replies import slot_shortage as _slot_shortage
from runtime_adapter.flink.rest import FlinkRest, Reply, Unreachable, error_text
from runtime_adapter.flink.store import AdapterStore, as_uri, local_path
from runtime_adapter.insight import JobInsight

logger = logging.getLogger(__name__)

SlotCheck = Callable[[int], "str | None"]


BOOTSTRAP = bootstrap.__file__
PINNED = ("execution.checkpointing.interval", "execution.checkpointing.min-pause")
SLOT_SETTLE_S, SLOT_POLL_S = 3.0, 0.1  # how long after a job ended a slot shortage is read again, how often
FORGET_ENDED_S = 3600.0  # when the adapter forgets that it saw a job end
STOP_ATTEMPTS = 3  # how often a stop-with-savepoint is asked for when Flink fails it for a passing reason
PASSING_SAVEPOINT_FAILURES = (
    "checkpoint request for unknown task",  # a task deployed a moment ago, not yet known to its TaskManager
    "Not all required tasks are currently running",
    "is not being executed at the moment",
)


@dataclass(frozen=True)
class _Program:
    """What to submit: the jar to upload, its entry class, arguments and extra classpath."""

    jar: Path
    entry: str | None
    args: list[str]
    classpath: str | None = None


@dataclass
class _Stop:
    """A stop-with-savepoint in progress: its first Flink trigger id (the one the caller knows), the latest
    attempt's, the request body and how many attempts were made."""

    first: str
    trigger: str
    body: dict[str, Any]
    attempts: int = 1


def checkpoint_configuration(settings: CheckpointSettings | None) -> dict[str, str]:
    """The Flink keys of an effective CheckpointConfiguration (unset interval = checkpointing off);
    nothing for None (the job's own checkpointing)."""
    if settings is None or not settings.enabled:
        return {}
    return {
        "execution.checkpointing.interval": f"{settings.interval_ms} ms",
        "execution.checkpointing.min-pause": f"{settings.min_pause_ms} ms",
    }


class FlinkRuntimeAdapter:
    """Runs jobs on a Flink cluster reached at ``rest_url``; keeps what Flink forgets under ``state_dir``.

    ``python_jar`` is the ``flink-python`` jar uploaded for Python jobs; ``launcher`` wraps each program
    so the submitted checkpoint configuration wins over the code's (see ``launcher``); ``slots`` (a local
    cluster's ``ensure_slots``) is asked for capacity when ``/overview`` shows too few free slots;
    ``properties`` holds each job's properties where its ``main()`` reads them while it is submitted.
    """

    def __init__(
        self,
        rest_url: str,
        state_dir: Path,
        *,
        python_jar: Path | None = None,
        launcher: Launcher | None = None,
        slots: SlotCheck | None = None,
        rest: FlinkRest | None = None,
        properties: PropertiesPublisher | None = None,
    ) -> None:
        self.rest = rest or FlinkRest(rest_url)
        self.store = AdapterStore(state_dir)
        self.python_jar = python_jar
        self.launcher = launcher
        self._slots = slots
        self.properties = properties
        self._jar_ids: dict[str, str] = {}
        self._stops: dict[str, _Stop] = {}  # job id → its stop-with-savepoint
        self._disposals: dict[str, str] = {}  # savepoint location → disposal trigger id
        self._observed_checkpoints = Kept()  # what a status observation read, for its checkpoint_stats
        self._reachable = True
        self._lock = threading.RLock()
        self._insight = FlinkInsight(self.rest, self._restarts)
        self._reads = Reads()
        self._ended: dict[str, float] = {}  # job id → when it was first seen ended (monotonic)
        self.slot_settle_s = SLOT_SETTLE_S

    # ---- RuntimeAdapter --------------------------------------------------------------------

    def start(self, spec: JobSpec) -> StartOutcome:
        if not FLINK_ID.match(spec.job_id):
            return StartOutcome(
                StartResult.REJECTED, spec.job_id, f"{spec.job_id} is not a Flink JobID (32 hex digits)"
            )
        try:
            return self._start(spec)
        except Unreachable as error:
            return StartOutcome(StartResult.REJECTED, spec.job_id, self._unreachable(error))

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        if mode is StopMode.SAVEPOINT and savepoint is None:
            raise ValueError("stop with StopMode.SAVEPOINT needs a SavepointRequest")
        try:
            state = self._raw_state(job_id)
            if state is None:
                return StopOutcome(StopResult.NOT_FOUND, job_id)
            if state.is_terminal:
                return StopOutcome(StopResult.NOT_RUNNING, job_id)
            if savepoint is None or mode is not StopMode.SAVEPOINT:
                reply = self.rest.patch(f"/jobs/{job_id}", mode="cancel")
                if not reply.ok:
                    return StopOutcome(StopResult.REJECTED, job_id, error=reply.error)
                return StopOutcome(StopResult.ACCEPTED, job_id)
            trigger = flink_id(savepoint.trigger_id)
            body = {
                "targetDirectory": as_uri(savepoint.target_dir),
                "drain": False,
                "formatType": "CANONICAL",
            }
            reply = self.rest.post(f"/jobs/{job_id}/stop", {**body, "triggerId": trigger})
        except Unreachable as error:
            return StopOutcome(StopResult.REJECTED, job_id, error=self._unreachable(error))
        if not reply.ok:
            return StopOutcome(StopResult.REJECTED, job_id, error=reply.error)
        with self._lock:
            self._stops[job_id] = _Stop(trigger, trigger, body)
        return StopOutcome(StopResult.ACCEPTED, job_id, trigger_id=savepoint.trigger_id)

    def trigger_savepoint(self, job_id: str, request: SavepointRequest) -> TriggerOutcome:
        trigger = flink_id(request.trigger_id)
        if self.store.result(trigger, request.trigger_id) is not None:
            return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)
        body = {
            "target-directory": as_uri(request.target_dir),
            "cancel-job": False,
            "formatType": "CANONICAL",
            "triggerId": trigger,
        }
        try:
            if self._raw_state(job_id) is not JobState.RUNNING:
                known = self.rest.get(f"/jobs/{job_id}/savepoints/{trigger}")
                result = TriggerResult.ACCEPTED if known.ok else TriggerResult.NOT_RUNNING
                return TriggerOutcome(result, request.trigger_id)
            reply = self.rest.post(f"/jobs/{job_id}/savepoints", body)
        except Unreachable as error:
            return TriggerOutcome(TriggerResult.REJECTED, request.trigger_id, self._unreachable(error))
        if reply.ok:
            return TriggerOutcome(TriggerResult.ACCEPTED, request.trigger_id)
        return TriggerOutcome(TriggerResult.REJECTED, request.trigger_id, reply.error)

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        trigger = flink_id(trigger_id)
        saved = self.store.result(trigger, trigger_id)
        if saved is not None:
            return saved
        with self._lock:
            stop = self._stops.get(job_id)
        stop = stop if stop is not None and stop.first == trigger else None
        try:
            reply = self.rest.get(f"/jobs/{job_id}/savepoints/{stop.trigger if stop else trigger}")
            self._reached()
            if not reply.ok:
                return SavepointStatus(trigger_id, SavepointState.UNKNOWN)
            status = savepoint_result(trigger_id, reply.body)
            if (
                status.state is SavepointState.FAILED
                and stop is not None
                and self._stop_again(job_id, stop, status)
            ):
                return SavepointStatus(trigger_id, SavepointState.IN_PROGRESS)
        except Unreachable as error:
            return SavepointStatus(trigger_id, SavepointState.UNREACHABLE, error=self._unreachable(error))
        if status.state in (SavepointState.COMPLETED, SavepointState.FAILED):
            self.store.save_result(trigger, status)
        return status

    def status(self, job_id: str) -> JobStatus:
        # the observation that ends a start (or an update) is part of StartApplication → RUNNING, so its
        # reads go out together: the job list beside the job's state, then a running job's three reads
        try:
            if not FLINK_ID.match(job_id):
                return JobStatus(job_id, JobState.NOT_FOUND)
            overview = self._reads.submit(self.rest.get, "/jobs/overview")
            with beside(overview):
                state = self._raw_state(job_id)
            if state is None:
                return JobStatus(job_id, JobState.NOT_FOUND)
            if state is JobState.RUNNING and not _all_running(overview.result(), job_id):
                state = JobState.STARTING
            if state.is_terminal:
                self._seen_ending(job_id)
            elif self._stopping(job_id):
                state = JobState.STOPPING
            failure = self._failure(job_id) if state is JobState.FAILED else None
            checkpoints = self._reads.submit(self._checkpoints, job_id) if state is JobState.RUNNING else None
            with beside(checkpoints):
                restarts = self._restarts(job_id) if state in (JobState.RUNNING, JobState.RESTARTING) else 0
            restored_from = _restored_from(checkpoints.result()) if checkpoints is not None else None
        except Unreachable as error:
            return JobStatus(job_id, JobState.UNREACHABLE, self._unreachable(error))
        return JobStatus(job_id, state, failure, restarts, restored_from)

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        reply = self._observed_checkpoints.take(job_id)
        try:
            if reply is None and FLINK_ID.match(job_id):
                reply = self.rest.get(f"/jobs/{job_id}/checkpoints")
        except Unreachable as error:
            self._unreachable(error)
            reply = None
        if reply is None or not reply.ok:
            retained = self.store.latest_retained_checkpoint(job_id)
            if retained is None:
                return CheckpointStats(job_id, found=False)
            return CheckpointStats(job_id, completed=1, latest_completed=retained)
        counts = reply.body.get("counts", {})
        latest = reply.body.get("latest") or {}
        return CheckpointStats(
            job_id,
            completed=int(counts.get("completed", 0)),
            failed=int(counts.get("failed", 0)),
            in_progress=int(counts.get("in_progress", 0)),
            restored=int(counts.get("restored", 0)),
            latest_completed=completed_checkpoint(latest.get("completed")),
            latest_savepoint=completed_checkpoint(latest.get("savepoint"), is_savepoint=True),
        )

    def insight(self, job_id: str) -> JobInsight | None:
        """The job's figures from the REST API (``flink.insight``); None if unknown or unreachable."""
        try:
            return self._insight.insight(job_id) if FLINK_ID.match(job_id) else None
        except Unreachable as error:
            self._unreachable(error)
            return None

    def web_ui(self, job_id: str) -> str | None:
        """Flink's web UI (served at the REST address) shows every job of this cluster."""
        return self.rest.url if FLINK_ID.match(job_id) else None

    def dispose_savepoint(self, location: str) -> DisposeOutcome:
        path = local_path(location)
        with self._lock:
            trigger = self._disposals.get(location)
        try:
            if trigger is None:
                if path is not None and not path.exists():
                    return DisposeOutcome(DisposeResult.NOT_FOUND, location)
                reply = self.rest.post("/savepoint-disposal", {"savepoint-path": location})
                if not reply.ok:
                    return DisposeOutcome(DisposeResult.FAILED, location, reply.error)
                trigger = str(reply.body["request-id"])
                with self._lock:
                    self._disposals[location] = trigger
            reply = self.rest.get(f"/savepoint-disposal/{trigger}")
        except Unreachable as error:
            return DisposeOutcome(DisposeResult.FAILED, location, self._unreachable(error))
        progress = reply.body.get("status", {}).get("id")
        if reply.ok and progress == "IN_PROGRESS":
            return DisposeOutcome(DisposeResult.IN_PROGRESS, location)
        with self._lock:
            self._disposals.pop(location, None)
        cause = (reply.body.get("operation") or {}).get("failure-cause")
        if reply.ok and cause is None:
            return DisposeOutcome(DisposeResult.DISPOSED, location)
        text = error_text((cause or {}).get("stack-trace")) or reply.error
        if path is not None and not path.exists():
            return DisposeOutcome(DisposeResult.NOT_FOUND, location)
        return DisposeOutcome(DisposeResult.FAILED, location, text)

    def close(self) -> None:
        self._reads.close()
        self.rest.close()
        if self.properties is not None:
            self.properties.close()

    # ---- submission ------------------------------------------------------------------------

    def _start(self, spec: JobSpec, *, uploaded_again: bool = False) -> StartOutcome:
        # whether the id is known (a repeated start) and the free slots are read while the program is
        # prepared; a local cluster's slots are ensured (TaskManagers started) only for a job that is new,
        # and only for a shortage that lasts beyond the slots a job that just ended gives back
        known = self._reads.submit(self._raw_state, spec.job_id)
        overview = self._reads.submit(self.rest.get, "/overview")
        with beside(known, overview):
            program = self._program(spec)
        if known.result() is not None:
            return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
        settled = self._settled_overview(overview.result(), spec.parallelism)
        shortage = _slot_shortage(settled, spec.parallelism)
        if self._slots is not None and (shortage or not settled.ok):
            shortage = self._slots(spec.parallelism)
        if shortage:
            return StartOutcome(StartResult.REJECTED, spec.job_id, shortage)
        if isinstance(program, str):
            return StartOutcome(StartResult.REJECTED, spec.job_id, program)
        jar_id = self._upload(program.jar)
        if jar_id.startswith("Uploading "):
            return StartOutcome(StartResult.REJECTED, spec.job_id, jar_id)
        body = self._run_body(spec, program)
        with self.properties.publishing(spec) if self.properties else contextlib.nullcontext():
            reply = self.rest.post(f"/jars/{jar_id}/run", body, timeout_s=self.rest.run_timeout_s)
        missing_jar = "jar" in reply.error.lower() and "exist" in reply.error.lower()
        if reply.status in (400, 404) and missing_jar and not uploaded_again:
            with self._lock:
                self._jar_ids.clear()  # the cluster restarted and lost its uploads
            return self._start(spec, uploaded_again=True)
        self._reached()
        if reply.ok:
            self.store.remember_job(spec.job_id, spec.checkpoint_dir)
            return StartOutcome(StartResult.STARTED, spec.job_id)
        if "DuplicateJobSubmissionException" in reply.error:
            return StartOutcome(StartResult.ALREADY_EXISTS, spec.job_id)
        return StartOutcome(StartResult.REJECTED, spec.job_id, reply.error)

    def _program(self, spec: JobSpec) -> _Program | str:
        """The jar to upload, its entry class and arguments; an error text if the code cannot run."""
        root = spec.code.root.resolve()
        wrapped = self.launcher is not None and self.launcher.available()
        if spec.code.language is CodeLanguage.JAR:
            jar = spec.code.entry_path
            if not jar.is_file():
                return f"The jar {spec.code.entry} is not in the application code"
            entry = spec.code.entry_class or manifest_entry_class(jar)
            if not wrapped:
                return _Program(jar, entry, list(spec.program_args))
            if entry is None:
                return f"The jar {spec.code.entry} names no entry class: set Main-Class in its manifest"
            assert self.launcher is not None
            return _Program(self.launcher.wrap(jar), LAUNCHER_CLASS, [entry, *spec.program_args])
        if self.python_jar is None or not self.python_jar.is_file():
            return "Python jobs need the flink-python jar of a Flink distribution (msf-local[flink])"
        if not (root / spec.code.entry).is_file():
            return f"The entry file {spec.code.entry} is not in the application code"
        python_files = ",".join([str(root), *(str(root / name) for name in spec.code.python_files)])
        job_file = self.store.python_job_file(spec)
        args = ["-py", BOOTSTRAP, "-pyfs", python_files, str(job_file), *spec.program_args]
        if not wrapped:
            return _Program(self.python_jar, PYTHON_DRIVER, args)
        assert self.launcher is not None
        classpath = f"file://{self.python_jar.resolve()}"
        return _Program(self.launcher.jar(), LAUNCHER_CLASS, [PYTHON_DRIVER, *args], classpath)

    def _upload(self, path: Path) -> str:
        """The cluster's id of the uploaded jar (uploaded once per content), or an error text."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with self._lock:
            if digest in self._jar_ids:
                return self._jar_ids[digest]
        reply = self.rest.upload_jar(path)
        if not reply.ok or "filename" not in reply.body:
            return f"Uploading {path.name} failed: {reply.error}"
        jar_id = Path(str(reply.body["filename"])).name
        with self._lock:
            self._jar_ids[digest] = jar_id
        return jar_id

    def _run_body(self, spec: JobSpec, program: _Program) -> dict[str, Any]:
        checkpoints = checkpoint_configuration(spec.checkpoints)
        configuration = {"pipeline.name": spec.name, **checkpoints}
        if spec.checkpoints is not None:
            configuration[PINNED_KEYS] = ";".join(PINNED)
        if spec.checkpoint_dir:
            configuration["execution.checkpointing.dir"] = as_uri(spec.checkpoint_dir)
        if spec.code.jars:
            root = spec.code.root.resolve()
            configuration["pipeline.jars"] = ";".join(f"file://{root / jar}" for jar in spec.code.jars)
        if program.classpath:
            configuration["pipeline.classpaths"] = program.classpath
        configuration.update(spec.job_configuration)
        body: dict[str, Any] = {
            "jobId": spec.job_id,
            "parallelism": spec.parallelism,
            "programArgsList": program.args,
            "flinkConfiguration": configuration,
        }
        if program.entry is not None:
            body["entryClass"] = program.entry
        if spec.restore is not None:
            body["savepointPath"] = spec.restore.location
            body["allowNonRestoredState"] = spec.restore.allow_non_restored_state
            body["claimMode"] = spec.restore.claim_mode.value
        return body

    def _settled_overview(self, overview: Reply, needed: int) -> Reply:
        """``/overview`` once the slots of this adapter's jobs that ended lately are back, or as it is.

        Flink frees a job's slots a moment after the job ends, so a start right after a stop (an update, a
        rescale) would find them taken: start a TaskManager it does not need, or be refused. While a job
        seen ending less than ``slot_settle_s`` ago may still hold slots, a shortage is read again; any other
        shortage is answered at once."""
        with self._lock:
            ended = max(self._ended.values(), default=None)
        if ended is None:
            return overview
        deadline = ended + self.slot_settle_s
        while _slot_shortage(overview, needed) and time.monotonic() < deadline:
            time.sleep(SLOT_POLL_S)
            overview = self.rest.get("/overview")
        return overview

    def _seen_ending(self, job_id: str) -> None:
        """Note when a job was first seen in a terminal state (its slots come back shortly after)."""
        now = time.monotonic()
        with self._lock:
            self._ended = {job: at for job, at in self._ended.items() if now - at < FORGET_ENDED_S}
            self._ended.setdefault(job_id, now)

    # ---- observation -----------------------------------------------------------------------

    def _raw_state(self, job_id: str) -> JobState | None:
        if not FLINK_ID.match(job_id):
            return None
        reply = self.rest.get(f"/jobs/{job_id}/status")
        if reply.status == 404 or "JobNotFoundException" in reply.error:
            self._reached()
            return None
        if reply.status >= 500:
            raise Unreachable(f"Flink REST API at {self.rest.url} failed: HTTP {reply.status}: {reply.error}")
        self._reached()
        if not reply.ok:
            return None
        return JOB_STATES.get(str(reply.body.get("status")), JobState.STARTING)

    def _stopping(self, job_id: str) -> bool:
        with self._lock:
            stop = self._stops.get(job_id)
        if stop is None:
            return False
        if self.savepoint_status(job_id, stop.first).state is SavepointState.FAILED:
            with self._lock:
                self._stops.pop(job_id, None)
            return False
        return True

    def _stop_again(self, job_id: str, stop: _Stop, failed: SavepointStatus) -> bool:
        """Ask for the stop-with-savepoint again when Flink failed it for a reason that passes (a stop right
        after a start or an update can reach a task its TaskManager does not know yet); whether it was."""
        error = failed.error or ""
        if stop.attempts >= STOP_ATTEMPTS or not any(
            reason in error for reason in PASSING_SAVEPOINT_FAILURES
        ):
            return False
        trigger = flink_id(f"{stop.first}-attempt-{stop.attempts + 1}")
        reply = self.rest.post(f"/jobs/{job_id}/stop", {**stop.body, "triggerId": trigger})
        if not reply.ok:
            return False
        logger.info(
            "stop-with-savepoint of job %s failed (%s); asked again (attempt %d of %d)",
            job_id,
            error,
            stop.attempts + 1,
            STOP_ATTEMPTS,
        )
        with self._lock:
            stop.trigger, stop.attempts = trigger, stop.attempts + 1
        return True

    def _failure(self, job_id: str) -> str:
        body = self.rest.get(f"/jobs/{job_id}/exceptions").body
        entries = (body.get("exceptionHistory") or {}).get("entries") or []
        if entries:
            return error_text(entries[0].get("stacktrace")) or str(entries[0].get("exceptionName"))
        return error_text(body.get("root-exception")) or "The job failed"

    def _restarts(self, job_id: str, history: list[dict[str, Any]] | None = None) -> int:
        """Restarts so far: the ``numRestarts`` metric, or the failures in the exception history if more
        (``history``: the entries the caller read already).

        The metric reaches the REST API through the JobManager's metric fetcher, seconds late; the exception
        history is written when the failure is handled, so a restart shows as soon as the job is back."""
        metrics_read = self._reads.submit(self.rest.get, f"/jobs/{job_id}/metrics", get="numRestarts")
        with beside(metrics_read):
            if history is None:
                exceptions = self.rest.get(f"/jobs/{job_id}/exceptions").body
                history = (exceptions.get("exceptionHistory") or {}).get("entries") or []
        reply = metrics_read.result()
        values = reply.body.get("value") if isinstance(reply.body.get("value"), list) else []
        metrics = [int(float(m.get("value", 0))) for m in values or [] if m.get("id") == "numRestarts"]
        return max([*metrics, len(history)])

    def _checkpoints(self, job_id: str) -> Reply:
        """``/jobs/:id/checkpoints``, kept for the ``checkpoint_stats`` that follows in the observation."""
        reply = self.rest.get(f"/jobs/{job_id}/checkpoints")
        self._observed_checkpoints.keep(job_id, reply)
        return reply

    def _unreachable(self, error: Unreachable) -> str:
        with self._lock:
            if self._reachable:
                logger.warning("%s; retrying quietly until it answers", error)
            self._reachable = False
        return str(error)

    def _reached(self) -> None:
        with self._lock:
            if not self._reachable:
                logger.warning("Flink REST API at %s answers again", self.rest.url)
            self._reachable = True
