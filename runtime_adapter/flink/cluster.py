"""A 127.0.0.1-only standalone Flink session cluster, started and supervised by msf-local.

One JobManager and one or more TaskManagers run as child processes (``bin/jobmanager.sh
start-foreground`` / ``bin/taskmanager.sh start-foreground``; the scripts ``exec`` java, so the child pid
is the JVM). The distribution's own ``conf/`` is never touched: the configuration is written to
``<data dir>/conf`` and handed over with ``FLINK_CONF_DIR``; ``MSF_APPLICATION_PROPERTIES`` names the file
where the job being submitted finds its properties (``properties``). Each process gets its own
``FLINK_IDENT_STRING`` so a replacement TaskManager never truncates a dead one's ``.out`` file.
The processes are recorded in ``<data dir>/cluster.json``, so ``msf-local flink-cluster stop|status``
finds a cluster that another command started, and a start takes over the cluster recorded there while it
still runs, answers and has the configuration this start would write (one left by an msf-local that was
killed: its jobs run on), and stops it otherwise; a recorded pid is only trusted while its command line
names the cluster's configuration directory. A watchdog thread replaces TaskManagers that die (as a
cluster manager would); stopping is SIGTERM to every process group (about 0.35 s), SIGKILL after a timeout.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from runtime_adapter.flink.bootstrap import PROPERTIES_VARIABLE
from runtime_adapter.flink.config import ClusterConfig, config_text, write_config
from runtime_adapter.flink.distribution import flink_home

if TYPE_CHECKING:
    from runtime_adapter.flink.cluster_sandbox import ClusterSandbox

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
POLL_S = 0.1


class ClusterError(RuntimeError):
    """The local cluster could not be started (the message says why and where the logs are)."""


@dataclass
class _Process:
    role: str
    ident: str
    pid: int
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class ClusterStatus:
    """What ``flink-cluster status`` reports."""

    rest_url: str
    processes: list[dict[str, Any]]
    overview: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        """Whether the REST API answered."""
        return self.overview is not None


@dataclass
class LocalFlinkCluster:
    """Starts, watches and stops one local standalone cluster from the installed distribution; with a
    ``sandbox``, its processes run confined (:mod:`.cluster_sandbox`)."""

    config: ClusterConfig
    home: Path = field(default_factory=flink_home)
    sandbox: ClusterSandbox | None = None
    standalone: bool = False  # ``flink-cluster start``: no adapter hands the jobs' folders over
    _processes: list[_Process] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _watchdog: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _started: int = 0

    @property
    def rest_url(self) -> str:
        """The REST endpoint (``http://127.0.0.1:<rest port>``)."""
        return self.config.rest_url

    @property
    def state_file(self) -> Path:
        """Where the processes of a running cluster are recorded."""
        return self.config.data_dir / "cluster.json"

    def start(self, *, timeout_s: float = 180.0, watch: bool = True) -> None:
        """Start the JobManager and the configured TaskManagers at once; wait until all are registered."""
        with self._lock:
            if self._processes:
                return
            if self._adopt():  # left running by an msf-local that was killed: its jobs run on
                self._watch_task_managers(watch)
                return
            busy = [
                f"{name} port {port}"
                for name, port in (("REST", self.config.rest_port), ("RPC", self.config.rpc_port))
                if _in_use(port)
            ]
            if busy:  # the REST port of another cluster would answer for this one
                raise ClusterError(
                    f"The local Flink cluster cannot start: {' and '.join(busy)} on 127.0.0.1 "
                    "already in use (another Flink cluster?); choose free ports (serve: --flink-rest-port "
                    "and --flink-rpc-port; flink-cluster start: --rest-port and --rpc-port)"
                )
            write_config(self.config, self.home)
            if self.sandbox is not None:
                self.sandbox.prepare(self.config.data_dir, shared_roots=self.standalone)
            self._spawn("jobmanager")
            for _ in range(self.config.task_managers):
                self._spawn("taskmanager")
            self._record()
        try:
            self.wait_for_task_managers(self.config.task_managers, timeout_s)
        except ClusterError:
            self.stop()
            raise
        self._watch_task_managers(watch)

    def _watch_task_managers(self, watch: bool) -> None:
        if watch:
            self._stopping.clear()
            self._watchdog = threading.Thread(target=self._watch, name="flink-watchdog", daemon=True)
            self._watchdog.start()

    def _adopt(self) -> bool:
        """Take over the cluster recorded for this data directory if it still runs and answers (its jobs
        go on); stop what is left of it otherwise. Whether it was taken over."""
        recorded = [p for p in _recorded(self.state_file) if p.alive() and self._runs_here(p.pid)]
        if not recorded:
            return False
        pids, alike = ", ".join(str(p.pid) for p in recorded), self._configured_alike()
        if alike and any(p.role == "jobmanager" for p in recorded) and self.overview() is not None:
            logger.warning(
                "taking over the local Flink cluster left running at %s (pids %s)", self.rest_url, pids
            )
            self._processes = recorded
            return True
        reason = "does not answer" if alike else "runs with another configuration"
        logger.warning(
            "stopping the local Flink cluster left running at %s (pids %s): it %s",
            self.rest_url,
            pids,
            reason,
        )
        _terminate(recorded)
        return False

    def _configured_alike(self) -> bool:
        """Whether the configuration the recorded cluster runs with is the one this start would write."""
        try:
            return (self.config.conf_dir / "config.yaml").read_text() == config_text(self.config, self.home)
        except OSError:
            return False

    def _runs_here(self, pid: int) -> bool:
        """Whether ``pid`` is a process of this cluster (its command line names the configuration
        directory), not another that got the recorded pid."""
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return str(self.config.conf_dir).encode() in command

    def wait_for_task_managers(self, count: int, timeout_s: float) -> dict[str, Any]:
        """Bounded wait until ``/overview`` shows ``count`` TaskManagers; the overview."""
        deadline = time.monotonic() + timeout_s
        while True:
            overview = self.overview()
            if overview is not None and int(overview.get("taskmanagers", 0)) >= count:
                return overview
            dead = [p for p in self._processes if p.role == "jobmanager" and not p.alive()]
            if dead or time.monotonic() > deadline:
                raise ClusterError(
                    f"The local Flink cluster did not get {count} TaskManager(s) ready in {timeout_s:.0f} s"
                    f"{' (the JobManager exited)' if dead else ''}; logs: {self.config.log_dir}"
                )
            time.sleep(POLL_S)

    def overview(self) -> dict[str, Any] | None:
        """``GET /overview``, or None while the REST API does not answer."""
        try:
            response = httpx.get(f"{self.rest_url}/overview", timeout=2.0)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        answer: dict[str, Any] = response.json()
        return answer

    def ensure_slots(self, needed: int, *, timeout_s: float = 180.0) -> str | None:
        """Start TaskManagers until ``needed`` slots are free (up to ``max_task_managers``); an error
        naming the shortage if that is not possible."""
        with self._lock:
            overview = self.overview()
            if overview is None:
                return f"The local Flink cluster at {self.rest_url} does not answer"
            available = int(overview.get("slots-available", 0))
            if available >= needed:
                return None
            per_tm = self.config.slots_per_task_manager
            missing = math.ceil((needed - available) / per_tm)
            running = self.task_manager_count()
            if running + missing > self.config.max_task_managers:
                return (
                    f"Not enough task slots: the job needs {needed}, {available} are free, and the local "
                    f"cluster may run at most {self.config.max_task_managers} TaskManager(s) with {per_tm} "
                    "slot(s) each (raise --flink-task-managers or --flink-slots)"
                )
            for _ in range(missing):
                self._spawn("taskmanager")
            self._record()
            target = running + missing
        try:
            self.wait_for_task_managers(target, timeout_s)
        except ClusterError as error:
            return str(error)
        return None

    def task_manager_count(self) -> int:
        """TaskManager processes that are alive."""
        with self._lock:
            return sum(1 for p in self._processes if p.role == "taskmanager" and p.alive())

    def task_manager_pids(self) -> list[int]:
        """Pids of the live TaskManagers (tests kill them)."""
        with self._lock:
            return [p.pid for p in self._processes if p.role == "taskmanager" and p.alive()]

    def stop(self) -> None:
        """SIGTERM every process, SIGKILL what is left after ``STOP_TIMEOUT_S``; forget the cluster."""
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(STOP_TIMEOUT_S)
            self._watchdog = None
        with self._lock:
            processes = self._processes or [p for p in _recorded(self.state_file) if self._runs_here(p.pid)]
            _terminate(processes)
            self._processes = []
            self.state_file.unlink(missing_ok=True)

    def status(self) -> ClusterStatus:
        """The recorded processes (alive or not) and the REST overview if it answers."""
        processes = self._processes or _recorded(self.state_file)
        listed = [{"role": p.role, "pid": p.pid, "alive": p.alive()} for p in processes]
        return ClusterStatus(self.rest_url, listed, self.overview())

    # ---- internals -------------------------------------------------------------------------

    def _spawn(self, role: str) -> _Process:
        self._started += 1
        ident = f"msf-{role}-{self._started}-{os.getpid()}"
        flink = {
            "FLINK_CONF_DIR": str(self.config.conf_dir),
            "FLINK_LOG_DIR": str(self.config.log_dir),
            "FLINK_PID_DIR": str(self.config.pid_dir),
            "FLINK_IDENT_STRING": ident,
            PROPERTIES_VARIABLE: str(self.config.application_properties.resolve()),
        }
        env = {**os.environ, **flink}
        env.pop("FLINK_HOME", None)
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        script = self.home / "bin" / ("jobmanager.sh" if role == "jobmanager" else "taskmanager.sh")
        argv = ["bash", str(script), "start-foreground"]
        if self.sandbox is not None:
            env = self.sandbox.environment(flink, self.config.data_dir)
            argv = self.sandbox.command(argv, self.config.data_dir, sys.executable)
        with open(self.config.log_dir / f"{ident}.console", "wb") as console:
            popen = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = _Process(role, ident, popen.pid, popen)
        self._processes.append(process)
        return process

    def _record(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "rest_url": self.rest_url,
            "processes": [{"role": p.role, "ident": p.ident, "pid": p.pid} for p in self._processes],
        }
        self.state_file.write_text(json.dumps(record, indent=2))

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                if self._stopping.is_set():
                    return
                dead = [p for p in self._processes if p.role == "taskmanager" and not p.alive()]
                for process in dead:
                    logger.warning("TaskManager %s (pid %d) died; starting one", process.ident, process.pid)
                    self._processes.remove(process)
                    self._spawn("taskmanager")
                if dead:
                    self._record()


def _in_use(port: int) -> bool:
    """Whether something listens on (or holds) ``port`` of 127.0.0.1."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _recorded(state_file: Path) -> list[_Process]:
    if not state_file.is_file():
        return []
    record = json.loads(state_file.read_text())
    return [_Process(p["role"], p["ident"], int(p["pid"])) for p in record.get("processes", [])]


def _terminate(processes: list[_Process]) -> None:
    """SIGTERM to each live process's group, SIGKILL to the groups after ``STOP_TIMEOUT_S``.

    Every process was started in a session of its own, so its group also holds what the launch script
    started besides the JVM (the helper JVM that computes the memory settings, while a TaskManager is
    still starting) and the JVM's own children (PyFlink's Python workers): none of them outlives the stop.
    """
    signalled = [process for process in processes if process.alive()]
    for process in signalled:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(p.alive() for p in signalled) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    for process in signalled:
        _signal_group(process.pid, signal.SIGKILL)  # what is left of the group, if anything
    for process in processes:
        if process.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(STOP_TIMEOUT_S)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
