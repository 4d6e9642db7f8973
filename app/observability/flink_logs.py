"""Log lines of jobs on a Flink cluster, shipped to their applications' CloudWatch log streams.

An embedded job ships its own lines (``stream_runtime.cloudwatch_logs``). A job on Flink logs inside
the JobManager and TaskManagers, among every other job's lines; the local cluster msf-local starts
writes each line also as JSON (``runtime_adapter.flink.config``), tagged by Flink with the job's id
(MDC key ``flink-job-id``) when the line comes from that job's tasks or JobMaster. Every ``interval``
``FlinkLogShipper.tick`` reads what was appended to those files since the last tick, keeps the lines
of watched jobs at or above their application's LogLevel, and sends them through the same handler as
embedded jobs (AWS's JSON message shape, batched PutLogEvents, unwritable streams reported in
``<error dir>/<job id>-cloudwatch-errors.log``). Lines logged before the shipper started are not
sent again (a restarted server would otherwise repeat them). A cluster msf-local did not start has no
files here: its logs are read through its REST API (``app.observability.flink_rest_logs``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.observability.flink_rest_logs import RestLogReader, json_entries, task_of
from app.observability.metrics import WatchedJob
from runtime_adapter.insight import JobLogSource, WebUiSource
from stream_runtime.cloudwatch_logs import LEVELS, CloudWatchLogHandler, LogStream

logger = logging.getLogger("msf_local.logs")

JOB_ID_KEY = "flink-job-id"
MAX_READ_BYTES = 8 * 1024 * 1024
_JAVA_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}

LogsFactory = Callable[[str, str], Any]
"""(account id, region) → a boto3 CloudWatch Logs client acting in that account."""


def java_record(entry: dict[str, Any]) -> logging.LogRecord:
    """A log4j ``JsonLayout`` line as a ``LogRecord`` (location = Java class, method, file, line)."""
    instant = entry.get("instant") or {}
    source = entry.get("source") or {}
    thrown = entry.get("thrown") or {}
    message = str(entry.get("message", ""))
    if thrown.get("name"):
        message += f"\n{thrown['name']}: {thrown.get('message') or ''}".rstrip()
    return logging.makeLogRecord(
        {
            "name": str(entry.get("loggerName", "")),
            "levelno": _JAVA_LEVELS.get(str(entry.get("level")), logging.INFO),
            "levelname": str(entry.get("level", "INFO")),
            "msg": message,
            "args": None,
            "created": float(instant.get("epochSecond", 0)) + float(instant.get("nanoOfSecond", 0)) / 1e9,
            "threadName": str(entry.get("thread", "")),
            "module": str(source.get("class", "")),
            "funcName": str(source.get("method", "")),
            "filename": str(source.get("file", "")),
            "lineno": int(source.get("line") or 0),
        }
    )


class FlinkLogShipper:
    """Ships the lines of watched jobs on Flink from the cluster's shared JSON log files."""

    def __init__(
        self,
        watched: Callable[[], list[WatchedJob]],
        runtime: object,
        logs: LogsFactory,
        error_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.watched = watched
        self.runtime = runtime if isinstance(runtime, JobLogSource) else None
        self.web = runtime if isinstance(runtime, WebUiSource) else None
        self.logs = logs
        self.error_dir = error_dir
        self.since = clock()
        self._offsets: dict[Path, int] = {}
        self._handlers: dict[str, CloudWatchLogHandler] = {}
        self._readers: dict[str, RestLogReader] = {}
        self._lock = threading.Lock()

    def tick(self) -> int:
        """Ship the lines appended since the last tick; returns how many were handed to handlers."""
        if self.runtime is None:
            return 0
        with self._lock:
            return self._ship(self.runtime)

    def _ship(self, runtime: JobLogSource) -> int:
        jobs = {job.job_id: job for job in self.watched() if job.settings.log_stream_arns}
        files: set[Path] = set()
        remote: dict[str, list[WatchedJob]] = {}
        for job in jobs.values():
            found = runtime.job_log_files(job.job_id)
            files.update(found)
            url = self.web.web_ui(job.job_id) if self.web is not None and not found else None
            if url:
                remote.setdefault(url, []).append(job)
        shipped = 0
        for path in sorted(files):
            for entry in self._new_entries(path):
                shipped += self._emit(jobs.get(str((entry.get("contextMap") or {}).get(JOB_ID_KEY))), entry)
        for url, remote_jobs in remote.items():
            shipped += self._ship_remote(url, remote_jobs, jobs)
        for job_id in [job_id for job_id in self._handlers if job_id not in jobs]:
            self._handlers.pop(job_id).close()
        for handler in self._handlers.values():
            handler.flush()
        return shipped

    def _ship_remote(self, url: str, remote: list[WatchedJob], jobs: dict[str, WatchedJob]) -> int:
        """Ship the new lines of a cluster read through its REST API: JSON lines by their job id tag,
        text lines by the job id or task name their message holds."""
        reader = self._readers.get(url)
        if reader is None:
            reader = self._readers[url] = RestLogReader(url)
        shipped = 0
        for tagged, entry in reader.new_entries():
            if tagged:
                shipped += self._emit(jobs.get(str((entry.get("contextMap") or {}).get(JOB_ID_KEY))), entry)
                continue
            for job in remote:
                task = task_of(str(entry.get("message", "")), job.job_id, reader.task_names(job.job_id))
                if task is not None:
                    shipped += self._emit(job, entry | {"thread": task})
                    break
        return shipped

    def _emit(self, job: WatchedJob | None, entry: dict[str, Any]) -> int:
        """Hand one entry of ``job`` to its handler if it is new enough and at its LogLevel."""
        if job is None:
            return 0
        record = java_record(entry)
        if record.created < self.since or record.levelno < LEVELS.get(job.settings.log_level, 20):
            return 0
        self._handler(job).emit(record)
        return 1

    def close(self) -> None:
        """Send what is buffered and stop every handler."""
        with self._lock:
            for handler in self._handlers.values():
                handler.close()
            self._handlers.clear()
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()

    def _handler(self, job: WatchedJob) -> CloudWatchLogHandler:
        handler = self._handlers.get(job.job_id)
        if handler is None:
            streams = [LogStream.parse(arn) for arn in job.settings.log_stream_arns]
            handler = CloudWatchLogHandler(
                streams,
                job.application_arn,
                str(job.version_id),
                lambda text: self._report(job.job_id, text),
                lambda region: self.logs(job.account_id, region),
            )
            self._handlers[job.job_id] = handler
        return handler

    def _report(self, job_id: str, text: str) -> None:
        logger.warning("job %s: %s", job_id, text)
        self.error_dir.mkdir(parents=True, exist_ok=True)
        with (self.error_dir / f"{job_id}-cloudwatch-errors.log").open("a", encoding="utf-8") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} CloudWatch Logs: {text}\n")

    def _new_entries(self, path: Path) -> Iterator[dict[str, Any]]:
        """The complete JSON lines appended to ``path`` since the last read (from the start after a
        rollover)."""
        try:
            size = path.stat().st_size
            offset = self._offsets.get(path, 0)
            if size < offset:
                offset = 0
            with path.open("rb") as stream:
                stream.seek(offset)
                data = stream.read(min(size - offset, MAX_READ_BYTES))
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._offsets[path] = offset + len(complete)
        yield from json_entries(complete)
