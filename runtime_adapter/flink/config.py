"""The configuration of msf-local's local Flink cluster, written to ``<data dir>/conf/config.yaml``.

Everything binds to 127.0.0.1; only the REST and JobManager RPC ports are pinned (the other ports
are random). The "fast" profile (1 s heartbeats, 5 s timeout, no REST caches) makes a dead
TaskManager noticed in about 1.4 s instead of about 15 s, and job states visible at once.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from runtime_adapter.flink.distribution import java_options

FAST_PROFILE = {
    "heartbeat.interval": "1000",
    "heartbeat.timeout": "5000",
    "rest.cache.execution-graph.timeout": "0 ms",
    "rest.cache.checkpoint-statistics.timeout": "100 ms",
    "metrics.fetcher.update-interval": "1000",
}


@dataclass(frozen=True)
class ClusterConfig:
    """Where the cluster keeps its files and how big it is."""

    data_dir: Path
    rest_port: int = 8081
    rpc_port: int = 6123
    slots_per_task_manager: int = 2
    task_managers: int = 1
    max_task_managers: int = 4
    fast: bool = True
    jobmanager_memory: str = "1g"
    taskmanager_memory: str = "1536m"
    python: str = sys.executable
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def rest_url(self) -> str:
        """The REST endpoint."""
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def conf_dir(self) -> Path:
        """``FLINK_CONF_DIR``."""
        return self.data_dir / "conf"

    @property
    def log_dir(self) -> Path:
        """``FLINK_LOG_DIR``: the JobManager and TaskManager logs and ``.out`` files."""
        return self.data_dir / "log"

    @property
    def pid_dir(self) -> Path:
        """``FLINK_PID_DIR``."""
        return self.data_dir / "pid"

    @property
    def application_properties(self) -> Path:
        """The properties of the job being submitted (the processes' ``MSF_APPLICATION_PROPERTIES``)."""
        return self.data_dir / "application_properties.json"

    @property
    def checkpoint_dir(self) -> str:
        """The cluster's default checkpoint directory (jobs normally get their own)."""
        return f"file://{(self.data_dir / 'checkpoints').resolve()}"

    @property
    def savepoint_dir(self) -> str:
        """The cluster's default savepoint directory."""
        return f"file://{(self.data_dir / 'savepoints').resolve()}"

    def settings(self, java_opts: str) -> dict[str, str]:
        """Every key written to ``config.yaml``."""
        data = self.data_dir.resolve()
        values = {
            "env.java.opts.all": java_opts,
            "env.pid.dir": str(data / "pid"),
            "env.log.dir": str(data / "log"),
            "env.stdout-err.redirect-to-file": "true",
            "io.tmp.dirs": str(data / "tmp"),
            "jobmanager.bind-host": "127.0.0.1",
            "jobmanager.rpc.address": "127.0.0.1",
            "jobmanager.rpc.port": str(self.rpc_port),
            "jobmanager.memory.process.size": self.jobmanager_memory,
            "jobmanager.execution.failover-strategy": "region",
            "taskmanager.bind-host": "127.0.0.1",
            "taskmanager.host": "127.0.0.1",
            "taskmanager.numberOfTaskSlots": str(self.slots_per_task_manager),
            "taskmanager.memory.process.size": self.taskmanager_memory,
            "rest.address": "127.0.0.1",
            "rest.bind-address": "127.0.0.1",
            "rest.port": str(self.rest_port),
            "parallelism.default": "1",
            "state.backend.type": "hashmap",
            "execution.checkpointing.dir": self.checkpoint_dir,
            "execution.checkpointing.savepoint-dir": self.savepoint_dir,
            "execution.checkpointing.num-retained": "3",
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
            "restart-strategy.type": "fixed-delay",
            "restart-strategy.fixed-delay.attempts": "1000",
            "restart-strategy.fixed-delay.delay": "1 s",
            "python.executable": self.python,
            "python.client.executable": self.python,
            "web.upload.dir": str(data / "uploads"),
        }
        if self.fast:
            values.update(FAST_PROFILE)
        values.update(self.extra)
        return values


JSON_LOG_SUFFIX = ".json"
JSON_LOG_APPENDER = """
# msf-local: every line also as JSON (log4j's JsonLayout template, with the MDC and the source location),
# so the control plane can ship a job's lines (MDC key flink-job-id) to its CloudWatch log streams.
appender.msfjson.name = MsfJsonAppender
appender.msfjson.type = RollingFile
appender.msfjson.append = true
appender.msfjson.fileName = ${sys:log.file}.json
appender.msfjson.filePattern = ${sys:log.file}.json.%i
appender.msfjson.layout.type = JsonTemplateLayout
appender.msfjson.layout.eventTemplateUri = classpath:JsonLayout.json
appender.msfjson.layout.locationInfoEnabled = true
appender.msfjson.policies.type = Policies
appender.msfjson.policies.size.type = SizeBasedTriggeringPolicy
appender.msfjson.policies.size.size = 100MB
appender.msfjson.strategy.type = DefaultRolloverStrategy
appender.msfjson.strategy.max = 2
rootLogger.appenderRef.msfjson.ref = MsfJsonAppender
"""


def write_config(config: ClusterConfig, home: Path) -> Path:
    """Write ``config.yaml`` and the log4j files into ``config.conf_dir``; the file written."""
    for directory in (config.conf_dir, config.log_dir, config.pid_dir, config.data_dir / "tmp"):
        directory.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "uploads").mkdir(parents=True, exist_ok=True)
    for log4j in (home / "conf").glob("log4j*.properties"):
        shutil.copyfile(log4j, config.conf_dir / log4j.name)
        if log4j.name in ("log4j.properties", "log4j-console.properties"):  # daemons', foreground processes'
            with (config.conf_dir / log4j.name).open("a") as properties:
                properties.write(JSON_LOG_APPENDER)
    path = config.conf_dir / "config.yaml"
    path.write_text(config_text(config, home))
    return path


def config_text(config: ClusterConfig, home: Path) -> str:
    """The ``config.yaml`` that ``write_config`` writes for ``config``."""
    lines = [f"{key}: {json.dumps(value)}" for key, value in config.settings(java_options(home)).items()]
    return "\n".join(lines) + "\n"
