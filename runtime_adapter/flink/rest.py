"""A thin httpx client for Flink's REST API: JSON in, ``Reply`` out, ``Unreachable`` when nobody answers.

Flink answers errors as ``{"errors": ["<exception with stack trace>", ...]}``; ``error_text`` keeps what
a user needs from that — the exception types and messages, root cause last — never the stack frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

MAX_ERROR_CHARS = 2000
_FRAME = re.compile(r"^\s*(at |\.\.\. \d+ more)")
_NOISE = ("Internal server error.", "<Exception on server side:", "End of exception on server side>")
_WRAPPERS = (
    "java.util.concurrent.CompletionException",
    "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application",
    "org.apache.flink.util.FlinkRuntimeException: Could not execute application",
)


class Unreachable(Exception):
    """Nothing answered at the REST address (connection refused, timeout, reset)."""


@dataclass(frozen=True)
class Reply:
    """A REST answer: HTTP status and parsed JSON body (``{}`` when empty or not JSON)."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        """The error text of a failed answer."""
        return error_text(self.body.get("errors")) or f"HTTP {self.status}"


def error_text(errors: Any) -> str:
    """The exception lines (``Type: message`` and ``Caused by: ...``) of Flink error strings, without
    stack frames or the generic wrappers; the tail is kept if the text is long."""
    if not errors:
        return ""
    chunks = errors if isinstance(errors, list) else [errors]
    lines: list[str] = []
    for chunk in chunks:
        for line in str(chunk).splitlines():
            stripped = line.strip().removeprefix("Caused by: ")
            if not stripped or _FRAME.match(line) or stripped.startswith(_WRAPPERS) or stripped in _NOISE:
                continue
            if not lines or lines[-1] != stripped:
                lines.append(stripped)
    text = "\n".join(lines) or "\n".join(str(chunk) for chunk in chunks)
    return text if len(text) <= MAX_ERROR_CHARS else "…" + text[-MAX_ERROR_CHARS:]


class FlinkRest:
    """Calls one Flink REST endpoint; every call is bounded by ``timeout_s``."""

    def __init__(self, url: str, *, timeout_s: float = 10.0, run_timeout_s: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.run_timeout_s = run_timeout_s
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s)

    def get(self, path: str, **params: str) -> Reply:
        """``GET path``."""
        return self._call("GET", path, params=params or None)

    def post(self, path: str, body: dict[str, Any] | None = None, *, timeout_s: float | None = None) -> Reply:
        """``POST path`` with a JSON body."""
        return self._call("POST", path, json=body or {}, timeout=timeout_s)

    def patch(self, path: str, **params: str) -> Reply:
        """``PATCH path``."""
        return self._call("PATCH", path, params=params or None)

    def upload_jar(self, jar: Path) -> Reply:
        """``POST /jars/upload`` (multipart field ``jarfile``)."""
        with jar.open("rb") as stream:
            files = {"jarfile": (jar.name, stream, "application/x-java-archive")}
            return self._call("POST", "/jars/upload", files=files, timeout=self.run_timeout_s)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _call(self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any) -> Reply:
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            reason = type(error).__name__
            raise Unreachable(f"Flink REST API at {self.url} is unreachable ({reason})") from error
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {"errors": [response.text]}
        return Reply(response.status_code, body if isinstance(body, dict) else {"value": body})
