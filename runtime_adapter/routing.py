"""Which runtime runs an application: the embedded engine or a real Flink cluster, decided per job.

- a JAR, or a Python entry file that imports ``pyflink``, runs on Flink when Flink is configured;
- Python code written for ``stream_runtime`` runs embedded, and so do PyFlink DataStream programs when
  no Flink is configured (the embedded runtime runs them unmodified);
- the property group ``msf-local`` key ``runtime`` (``flink`` or ``embedded``) overrides both.

A JAR, a program using the Table/SQL API (``pyflink.table``, which the embedded runtime does not have)
or ``runtime=flink`` *needs* Flink: without it ``start`` is REJECTED with an error that says exactly
what to run; the control loop ends StartApplication's operation FAILED and the application stays READY.
Which adapter holds which job is remembered in ``<state dir>/routes.json``, so a restarted control
plane asks the right runtime about the jobs it resumes.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Collection
from pathlib import Path

from runtime_adapter.base import (
    CheckpointStats,
    CodeLanguage,
    DisposeOutcome,
    DisposeResult,
    JobDisposer,
    JobSpec,
    JobState,
    JobStatus,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    SavepointStatus,
    StartOutcome,
    StartResult,
    StopMode,
    StopOutcome,
    StopResult,
    TriggerOutcome,
)
from runtime_adapter.insight import InsightSource, JobInsight, JobLogSource, WebUiSource
from runtime_adapter.savepoint_files import EMBEDDED as EMBEDDED_FORMAT
from runtime_adapter.savepoint_files import FLINK as FLINK_FORMAT
from runtime_adapter.savepoint_files import savepoint_format

ROUTING_GROUP = "msf-local"
ROUTING_KEY = "runtime"
FLINK = "flink"
EMBEDDED = "embedded"
NO_FLINK = (
    "This application needs a real Apache Flink runtime ({reason}), and this msf-local runs the embedded "
    "runtime only. Install it with: pip install 'msf-local[flink]', then start msf-local with "
    "`msf-local serve --flink local` (or --flink-rest-url URL for an existing Flink 2.3 cluster)."
)
_IMPORTS_PYFLINK = re.compile(r"^\s*(from|import)\s+pyflink\b", re.MULTILINE)
_IMPORTS_TABLE_API = re.compile(r"^\s*(from|import)\s+pyflink\.table\b", re.MULTILINE)


def needed_runtime(spec: JobSpec) -> tuple[str, bool, str]:
    """(runtime, required, reason): ``flink`` or ``embedded`` for this job, whether only that runtime
    can run it, and why."""
    for group in spec.property_groups:
        if group.group_id == ROUTING_GROUP and group.properties.get(ROUTING_KEY) in (FLINK, EMBEDDED):
            return group.properties[ROUTING_KEY], True, f"property group {ROUTING_GROUP}, key {ROUTING_KEY}"
    if spec.code.language is CodeLanguage.JAR:
        return FLINK, True, "its code is a JAR"
    try:
        source = spec.code.entry_path.read_text(errors="replace")
    except OSError:
        return EMBEDDED, False, "its entry file could not be read"
    if _IMPORTS_TABLE_API.search(source):
        return FLINK, True, f"{spec.code.entry} uses the PyFlink Table API"
    if _IMPORTS_PYFLINK.search(source):
        return FLINK, False, f"{spec.code.entry} imports pyflink"
    return EMBEDDED, False, f"{spec.code.entry} does not import pyflink"


def restore_problem(spec: JobSpec, runtime: str) -> str | None:
    """Why ``runtime`` cannot restore the job's restore point (a savepoint the other runtime wrote)."""
    if spec.restore is None:
        return None
    written_by = savepoint_format(spec.restore.location)
    if written_by == FLINK_FORMAT and runtime == EMBEDDED:
        return (
            f"The restore point {spec.restore.location} is an Apache Flink savepoint: its state is in "
            "Flink's binary state-backend format, which the embedded runtime cannot read. Run the "
            f"application on Flink (property group {ROUTING_GROUP}, key {ROUTING_KEY} = {FLINK}, with "
            "`msf-local serve --flink local` or --flink-rest-url URL), or restore another snapshot."
        )
    if written_by == EMBEDDED_FORMAT and runtime == FLINK:
        return (
            f"The restore point {spec.restore.location} was written by msf-local's embedded runtime, "
            "which Apache Flink cannot read. Run the application on the embedded runtime (property group "
            f"{ROUTING_GROUP}, key {ROUTING_KEY} = {EMBEDDED}), or restore another snapshot."
        )
    return None


class RoutingRuntimeAdapter:
    """A ``RuntimeAdapter`` that hands each job to the embedded runtime or to Flink (if configured)."""

    def __init__(self, embedded: RuntimeAdapter, flink: RuntimeAdapter | None, state_dir: Path) -> None:
        self.embedded = embedded
        self.flink = flink
        self._routes_file = state_dir / "routes.json"
        self._routes: dict[str, str] = {}
        if self._routes_file.is_file():
            self._routes = json.loads(self._routes_file.read_text())
        self._lock = threading.Lock()

    def start(self, spec: JobSpec) -> StartOutcome:
        runtime, required, reason = needed_runtime(spec)
        if runtime == FLINK and self.flink is None:
            if required:
                return StartOutcome(StartResult.REJECTED, spec.job_id, NO_FLINK.format(reason=reason))
            runtime = EMBEDDED
        unreadable = restore_problem(spec, runtime)
        if unreadable is not None:
            return StartOutcome(StartResult.REJECTED, spec.job_id, unreadable)
        self._remember(spec.job_id, runtime)
        return self._adapter(spec.job_id).start(spec)

    def stop(self, job_id: str, mode: StopMode, savepoint: SavepointRequest | None = None) -> StopOutcome:
        adapter = self._known(job_id)
        if adapter is None:
            return StopOutcome(StopResult.NOT_FOUND, job_id)
        return adapter.stop(job_id, mode, savepoint)

    def trigger_savepoint(self, job_id: str, request: SavepointRequest) -> TriggerOutcome:
        return self._adapter(job_id).trigger_savepoint(job_id, request)

    def savepoint_status(self, job_id: str, trigger_id: str) -> SavepointStatus:
        adapter = self._known(job_id)
        if adapter is None:
            return SavepointStatus(trigger_id, SavepointState.UNKNOWN)
        return adapter.savepoint_status(job_id, trigger_id)

    def status(self, job_id: str) -> JobStatus:
        adapter = self._known(job_id)
        if adapter is None:
            return JobStatus(job_id, JobState.NOT_FOUND)
        return adapter.status(job_id)

    def checkpoint_stats(self, job_id: str) -> CheckpointStats:
        adapter = self._known(job_id)
        if adapter is None:
            return CheckpointStats(job_id, found=False)
        return adapter.checkpoint_stats(job_id)

    def insight(self, job_id: str) -> JobInsight | None:
        """The figures of the job from the runtime that runs it, if that runtime reports them."""
        adapter = self._known(job_id)
        return adapter.insight(job_id) if isinstance(adapter, InsightSource) else None

    def web_ui(self, job_id: str) -> str | None:
        """The web UI of the runtime that runs the job, if that runtime serves one."""
        adapter = self._known(job_id)
        return adapter.web_ui(job_id) if isinstance(adapter, WebUiSource) else None

    def job_log_files(self, job_id: str) -> tuple[Path, ...]:
        """The shared JSON log files of the runtime that runs the job, if it keeps such files."""
        adapter = self._known(job_id)
        return adapter.job_log_files(job_id) if isinstance(adapter, JobLogSource) else ()

    def dispose_savepoint(self, location: str) -> DisposeOutcome:
        outcome = self.embedded.dispose_savepoint(location)
        if outcome.result is DisposeResult.NOT_FOUND and self.flink is not None:
            return self.flink.dispose_savepoint(location)
        return outcome

    def dispose_job(self, job_id: str, keep: Collection[str] = ()) -> DisposeOutcome:
        """Dispose of an ended job through the runtime that ran it (NOT_FOUND where that runtime keeps
        nothing it can dispose of), then forget which runtime that was."""
        adapter = self._known(job_id)
        if not isinstance(adapter, JobDisposer):
            outcome = DisposeOutcome(DisposeResult.NOT_FOUND, job_id)
        else:
            outcome = adapter.dispose_job(job_id, keep)
        if outcome.result is not DisposeResult.FAILED:
            self._forget(job_id)
        return outcome

    def close(self) -> None:
        self.embedded.close()
        if self.flink is not None:
            self.flink.close()

    def _known(self, job_id: str) -> RuntimeAdapter | None:
        with self._lock:
            runtime = self._routes.get(job_id)
        if runtime == FLINK:
            return self.flink
        return self.embedded if runtime == EMBEDDED else None

    def _adapter(self, job_id: str) -> RuntimeAdapter:
        return self._known(job_id) or self.embedded

    def _remember(self, job_id: str, runtime: str) -> None:
        with self._lock:
            self._routes[job_id] = runtime
            self._save_routes()

    def _forget(self, job_id: str) -> None:
        with self._lock:
            if self._routes.pop(job_id, None) is not None:
                self._save_routes()

    def _save_routes(self) -> None:
        self._routes_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self._routes_file.with_suffix(".tmp")
        partial.write_text(json.dumps(self._routes))
        os.replace(partial, self._routes_file)
