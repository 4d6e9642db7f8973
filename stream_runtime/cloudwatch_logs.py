"""A job process's log lines, at the application's LogLevel, shipped to CloudWatch Logs as AWS writes them.

The control plane tells a job process where its logs go through the environment (see
``logging_environment``): the log stream ARNs of the application's CloudWatchLoggingOptions, the
MonitoringConfiguration LogLevel, the application ARN and version, and the job's log directory.
``install_from_environment`` then sets the root logger to that level, keeps writing every record to
stderr (the attempt's log file) and adds a ``CloudWatchLogHandler`` that turns each record into the
JSON message Managed Service for Apache Flink writes (``locationInformation``, ``logger``, ``message``,
``threadName``, ``applicationARN``, ``applicationVersionId``, ``messageSchemaVersion``,
``messageType``) and sends them in batches with PutLogEvents, from a background thread.

A stream that cannot be written (it does not exist, the endpoint refuses) never fails the job: the
batch is dropped and the reason is written to ``<log dir>/<job id>-cloudwatch-errors.log`` and stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

STREAMS_ENV = "MSF_CLOUDWATCH_LOG_STREAMS"
LEVEL_ENV = "MSF_LOG_LEVEL"
APPLICATION_ARN_ENV = "MSF_APPLICATION_ARN"
VERSION_ENV = "MSF_APPLICATION_VERSION_ID"
LOG_DIR_ENV = "MSF_JOB_LOG_DIR"
JOB_ID_ENV = "MSF_JOB_ID"

LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}
MESSAGE_TYPES = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN"}
MAX_BATCH_EVENTS = 10_000  # PutLogEvents limits
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BUFFERED_EVENTS = 100_000
FLUSH_INTERVAL_S = 1.0
STDERR_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def logging_environment(
    log_stream_arns: list[str], log_level: str, application_arn: str, version_id: int
) -> dict[str, str]:
    """The environment that makes a job process ship its logs (see ``install_from_environment``); the
    supervisor adds the job id and its log directory."""
    return {
        STREAMS_ENV: json.dumps(log_stream_arns),
        LEVEL_ENV: log_level,
        APPLICATION_ARN_ENV: application_arn,
        VERSION_ENV: str(version_id),
    }


@dataclass(frozen=True)
class LogStream:
    """A CloudWatch Logs stream, from ``arn:aws:logs:<region>:<account>:log-group:<g>:log-stream:<s>``."""

    arn: str
    region: str
    group: str
    stream: str

    @classmethod
    def parse(cls, arn: str) -> LogStream:
        """Split an ARN; ``ValueError`` if it does not name a log stream."""
        parts = arn.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        group, marker, stream = resource.removeprefix("log-group:").partition(":log-stream:")
        if (
            parts[2:3] != ["logs"]
            or not resource.startswith("log-group:")
            or not marker
            or not group
            or not stream
        ):
            raise ValueError(f"{arn} is not a CloudWatch Logs log stream ARN")
        return cls(arn, parts[3], group, stream)


def aws_message(record: logging.LogRecord, application_arn: str, version_id: str) -> str:
    """One record as the JSON message Managed Service for Apache Flink writes to CloudWatch Logs."""
    message = record.getMessage()
    if record.exc_info:
        message += "\n" + logging.Formatter().formatException(record.exc_info)
    return json.dumps(
        {
            "locationInformation": f"{record.module}.{record.funcName}({record.filename}:{record.lineno})",
            "logger": record.name,
            "message": message,
            "threadName": record.threadName,
            "applicationARN": application_arn,
            "applicationVersionId": version_id,
            "messageSchemaVersion": "1",
            "messageType": MESSAGE_TYPES.get(record.levelno, "ERROR"),
        }
    )


class CloudWatchLogHandler(logging.Handler):
    """Buffers formatted records and sends them to each stream with PutLogEvents in batches."""

    def __init__(
        self,
        streams: list[LogStream],
        application_arn: str,
        version_id: str,
        report_error: Callable[[str], None],
        client_for: Callable[[str], Any],
        flush_interval: float = FLUSH_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.streams = streams
        self.application_arn = application_arn
        self.version_id = version_id
        self.report_error = report_error
        self.client_for = client_for
        self.flush_interval = flush_interval
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._failing: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="cloudwatch-logs", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("botocore", "boto3", "urllib3")):
            return  # the shipper's own client must not feed itself
        try:
            event = {
                "timestamp": int(record.created * 1000),
                "message": aws_message(record, self.application_arn, self.version_id),
            }
        except Exception:
            self.handleError(record)
            return
        with self._lock:
            if len(self._buffer) < MAX_BUFFERED_EVENTS:
                self._buffer.append(event)
            if len(self._buffer) >= MAX_BATCH_EVENTS:
                self._wake.set()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Send everything buffered so far (blocks until sent or refused)."""
        with self._sending:
            with self._lock:
                events, self._buffer = self._buffer, []
            for batch in _batches(sorted(events, key=lambda event: event["timestamp"])):
                for stream in self.streams:
                    self._send(stream, batch)

    def _send(self, stream: LogStream, batch: list[dict[str, Any]]) -> None:
        try:
            self.client_for(stream.region).put_log_events(
                logGroupName=stream.group, logStreamName=stream.stream, logEvents=batch
            )
        except Exception as error:
            if stream.arn not in self._failing:
                self._failing.add(stream.arn)
                failure = f"{type(error).__name__}: {error}"
                self.report_error(f"Could not write {len(batch)} log events to {stream.arn}: {failure}")
            return
        if stream.arn in self._failing:
            self._failing.discard(stream.arn)
            self.report_error(f"Writing to {stream.arn} works again.")

    def close(self) -> None:
        """Stop the background thread after a last flush."""
        self._closed.set()
        self._wake.set()
        self._thread.join(10)
        self.flush()
        super().close()


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for event in events:
        event_size = len(event["message"].encode()) + EVENT_OVERHEAD_BYTES
        if current and (len(current) >= MAX_BATCH_EVENTS or size + event_size > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += event_size
    if current:
        batches.append(current)
    return batches


def _error_reporter(log_dir: str | None, job_id: str) -> Callable[[str], None]:
    def report(text: str) -> None:
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} CloudWatch Logs: {text}\n"
        sys.stderr.write(line)
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
            with open(os.path.join(log_dir, f"{job_id}-cloudwatch-errors.log"), "a", encoding="utf-8") as out:
                out.write(line)

    return report


def _boto3_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "logs",
        region_name=region,
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
    )


def install_from_environment(environ: Mapping[str, str] = os.environ) -> CloudWatchLogHandler | None:
    """Configure the job process's logging from ``environ``; the CloudWatch handler, if streams are set."""
    level = LEVELS.get(environ.get(LEVEL_ENV, "INFO"), logging.INFO)
    root = logging.getLogger()
    root.setLevel(level)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter(STDERR_FORMAT))
    root.addHandler(console)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    report = _error_reporter(environ.get(LOG_DIR_ENV), environ.get(JOB_ID_ENV, "job"))
    streams: list[LogStream] = []
    for arn in json.loads(environ.get(STREAMS_ENV) or "[]"):
        try:
            streams.append(LogStream.parse(arn))
        except ValueError as error:
            report(str(error))
    if not streams:
        return None
    clients: dict[str, Any] = {}

    def client_for(region: str) -> Any:
        if region not in clients:
            clients[region] = _boto3_client(region)
        return clients[region]

    handler = CloudWatchLogHandler(
        streams, environ.get(APPLICATION_ARN_ENV, ""), environ.get(VERSION_ENV, ""), report, client_for
    )
    root.addHandler(handler)
    return handler
