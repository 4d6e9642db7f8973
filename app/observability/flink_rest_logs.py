"""Log lines of a Flink cluster msf-local did not start (``--flink-rest-url``), read through Flink's REST API.

Its log files are not on this machine, but Flink's REST API lists and serves them:
``/jobmanager/logs`` and ``/taskmanagers/:id/logs`` (``{"logs": [{"name", "size"}]}``), then
``/jobmanager/logs/:name`` and ``/taskmanagers/:id/logs/:name`` (the whole file as text; Flink serves no
byte ranges). ``RestLogReader.new_entries`` fetches a file only when its listed size grew and returns the
complete entries appended since the last read (from the start again after a rollover).

Two formats are read. Files ending ``.log`` use Flink's default log4j pattern
(``%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n``): time (this machine's time zone is assumed),
level, logger and message, continuation lines (stack traces) joined to their entry. That pattern has no
thread and no job id, so such a line belongs to a job when its message names the job's id or one of its
tasks as Flink writes them (``<vertex name> (<subtask>/<parallelism>)``). Where a process also writes
log4j ``JsonLayout`` lines (``.log.json``, as the clusters msf-local starts do), those are read instead:
they carry the job id Flink puts in the MDC (``flink-job-id``), the thread and the source location.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

JSON_SUFFIX = ".log.json"
TEXT_SUFFIX = ".log"
_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(?P<millis>\d{3}) +(?P<level>[A-Z]+) +"
    r"(?P<logger>\S+) +(?:.*? )?- (?P<message>.*)$"
)
_LEVELS = {"TRACE": "DEBUG", "WARNING": "WARN", "FATAL": "ERROR"}


def json_entries(data: bytes) -> Iterator[dict[str, Any]]:
    """The JSON objects of complete lines (log4j ``JsonLayout``); other lines are skipped."""
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def text_entries(text: str) -> Iterator[dict[str, Any]]:
    """Entries of a log in Flink's default pattern, in the shape of log4j's ``JsonLayout`` (``instant``,
    ``level``, ``loggerName``, ``message``, ``source``); lines before the first entry are skipped."""
    entry: dict[str, Any] | None = None
    for line in text.splitlines():
        found = _LINE.match(line)
        if found is None:
            if entry is not None:
                entry["message"] += "\n" + line
            continue
        if entry is not None:
            yield entry
        seconds = time.mktime(time.strptime(found["time"], "%Y-%m-%d %H:%M:%S"))
        logger = found["logger"]
        entry = {
            "instant": {"epochSecond": int(seconds), "nanoOfSecond": int(found["millis"]) * 1_000_000},
            "level": _LEVELS.get(found["level"], found["level"]),
            "loggerName": logger,
            "message": found["message"],
            "source": {"class": logger, "method": "?", "file": logger.rsplit(".", 1)[-1] + ".java"},
        }
    if entry is not None:
        yield entry


def task_of(message: str, job_id: str, task_names: tuple[str, ...]) -> str | None:
    """The task a text line's message names (``""`` when it names the job id), None when neither."""
    for name in task_names:
        found = re.search(re.escape(name) + r" \(\d+/\d+\)(#\d+)?", message)
        if found:
            return found.group(0)
    return "" if job_id in message else None


class RestLogReader:
    """Reads the log files of one Flink cluster's JobManager and TaskManagers through its REST API."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        import httpx  # loaded with the first reader: a server without a Flink cluster never needs it

        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s)
        self._http_error: type[Exception] = httpx.HTTPError
        self._offsets: dict[str, int] = {}  # bytes read up to the last complete line
        self._sizes: dict[str, int] = {}  # listed size when last fetched
        self._tasks: dict[str, tuple[str, ...]] = {}

    def task_names(self, job_id: str) -> tuple[str, ...]:
        """The names of the job's vertices (asked once per job)."""
        if job_id not in self._tasks:
            details = self._json(f"/jobs/{job_id}")
            names = tuple(str(v.get("name")) for v in details.get("vertices") or [] if v.get("name"))
            if not names:
                return ()
            self._tasks[job_id] = names
        return self._tasks[job_id]

    def new_entries(self) -> Iterator[tuple[bool, dict[str, Any]]]:
        """(tagged, entry) for each complete entry appended to a log file since the last call: tagged
        entries come from JSON files and carry the job id in ``contextMap``."""
        for path, size in self._files():
            offset = self._offsets.get(path, 0)
            if size == self._sizes.get(path, 0):
                continue
            try:
                response = self._client.get(path)
            except self._http_error:
                continue
            if response.status_code != 200:
                continue
            data = response.content
            self._sizes[path] = size
            if len(data) < offset:
                offset = 0
            complete = data[offset : data.rfind(b"\n") + 1] if data.rfind(b"\n") >= offset else b""
            self._offsets[path] = offset + len(complete)
            if path.endswith(JSON_SUFFIX):
                yield from ((True, entry) for entry in json_entries(complete))
            else:
                yield from ((False, entry) for entry in text_entries(complete.decode("utf-8", "replace")))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _files(self) -> list[tuple[str, int]]:
        """(REST path, listed size) of every process's log: its JSON log if it has one, else its text log."""
        bases = ["/jobmanager"] + [
            f"/taskmanagers/{quote(str(manager.get('id')), safe=':')}"
            for manager in self._json("/taskmanagers").get("taskmanagers") or []
        ]
        files: list[tuple[str, int]] = []
        for base in bases:
            listed = {
                str(entry.get("name")): int(entry.get("size") or 0)
                for entry in self._json(f"{base}/logs").get("logs") or []
            }
            wanted = [name for name in listed if name.endswith(JSON_SUFFIX)] or [
                name for name in listed if name.endswith(TEXT_SUFFIX)
            ]
            files.extend((f"{base}/logs/{quote(name, safe='')}", listed[name]) for name in sorted(wanted))
        return files

    def _json(self, path: str) -> dict[str, Any]:
        try:
            response = self._client.get(path)
            body = response.json() if response.status_code == 200 else {}
        except (self._http_error, ValueError):
            return {}
        return body if isinstance(body, dict) else {}
