"""Control channel between the supervisor and a job process: JSON lines over a local socket pair.

Job → supervisor events: ``job_started``, ``running``, ``checkpoint``, ``finished``, ``canceled``, ``failed``,
``response``. Supervisor → job commands carry ``type`` and an optional ``request_id``; the job answers each
command that has a ``request_id`` with a ``response``. Commands: ``cancel``, ``ping``,
``trigger_savepoint`` (``target``: location or null; answered when the savepoint completed or failed,
with ``location`` or ``error``) and ``stop_with_savepoint`` (``target``, ``drain``; answered the same way,
after which the job ends FINISHED, or keeps running if the savepoint failed without drain).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

Message = dict[str, Any]
OWNER_GONE_EXIT = 137  # as if killed by SIGKILL: the supervisor that would read it is gone


class LineChannel:
    """Thread-safe JSON-lines messaging over a connected socket; a reader thread delivers incoming lines."""

    def __init__(
        self,
        sock: socket.socket,
        on_message: Callable[[Message], None],
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()
        self._on_message = on_message
        self._on_closed = on_closed
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name="control-reader", daemon=True)
        self._reader.start()

    def send(self, message: Message) -> bool:
        """Send one message; returns False if the peer is gone."""
        data = (json.dumps(message) + "\n").encode()
        with self._send_lock:
            try:
                self._sock.sendall(data)
            except OSError:
                return False
        return True

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._on_message(json.loads(line))
        except OSError:
            pass
        finally:
            closed_here = self._closed.is_set()
            self._closed.set()
            if self._on_closed is not None and not closed_here:
                self._on_closed()

    def wait_closed(self, timeout: float) -> bool:
        """Wait until the peer closed its end (or the timeout elapsed)."""
        return self._closed.wait(timeout)

    def close(self) -> None:
        """Close the socket (``on_closed`` is for the peer's closing, so it is not called)."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


class ControlEndpoint(Protocol):
    """The job's side of a control channel, as the executor uses it."""

    def send(self, event: str, **fields: Any) -> None:
        """Send an event to the supervisor."""

    def respond(self, command: Message, **fields: Any) -> None:
        """Answer a command that carried a ``request_id``."""

    def poll_commands(self) -> list[Message]:
        """Commands received since the last call."""


class _QueuedCommandsEnd:
    """The job's end of a channel whose commands arrive on a queue; subclasses say how a message leaves."""

    commands: queue.Queue[Message]

    def _emit(self, message: Message) -> None:
        raise NotImplementedError

    def send(self, event: str, **fields: Any) -> None:
        """Send an event to the supervisor."""
        self._emit({"type": event, **fields})

    def respond(self, command: Message, **fields: Any) -> None:
        """Answer a command that carried a ``request_id``."""
        if "request_id" in command:
            self._emit({"type": "response", "request_id": command["request_id"], **fields})

    def poll_commands(self) -> list[Message]:
        """Commands received since the last call."""
        out = []
        while True:
            try:
                out.append(self.commands.get_nowait())
            except queue.Empty:
                return out


class InProcessControlChannel(_QueuedCommandsEnd):
    """A control channel for a job run inside this process (tests, benchmarks): plain queues, no socket."""

    def __init__(self) -> None:
        self.commands: queue.Queue[Message] = queue.Queue()
        self.events: queue.Queue[Message] = queue.Queue()

    def submit(self, command: str, **fields: Any) -> str:
        """Queue a command for the job; returns its request id."""
        import uuid  # only jobs run in the test or benchmark process need it

        request_id = uuid.uuid4().hex
        self.commands.put({"type": command, "request_id": request_id, **fields})
        return request_id

    def wait_response(self, request_id: str, timeout: float) -> Message:
        """The job's response to ``request_id`` (events seen meanwhile are kept); raises on timeout."""
        deadline = time.monotonic() + timeout
        kept: list[Message] = []
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no response to {request_id} within {timeout} s")
                try:
                    event = self.events.get(timeout=remaining)
                except queue.Empty:
                    continue
                if event.get("type") == "response" and event.get("request_id") == request_id:
                    return event
                kept.append(event)
        finally:
            for event in kept:
                self.events.put(event)

    def _emit(self, message: Message) -> None:
        self.events.put(message)


class JobControlChannel(_QueuedCommandsEnd):
    """The job process's end: sends events, queues commands for the main loop to handle between batches.

    When the supervisor's end closes (its process ended), the job process ends at once, as the kill its
    parent-death signal delivers on Linux: it never outlives its owner. It is not a cancel, which would
    delete the job's checkpoints: the owner's successor restores the job from them."""

    def __init__(self, sock: socket.socket) -> None:
        self.commands: queue.Queue[Message] = queue.Queue()
        self._line = LineChannel(sock, self.commands.put, on_closed=_owner_gone)

    @classmethod
    def from_fd(cls, fd: int) -> JobControlChannel:
        """Attach to an inherited socket file descriptor."""
        return cls(socket.socket(fileno=fd))

    def _emit(self, message: Message) -> None:
        """Send to the supervisor (ignored if it is gone)."""
        self._line.send(message)

    def close(self) -> None:
        """Close the channel."""
        self._line.close()


def _owner_gone() -> None:
    os._exit(OWNER_GONE_EXIT)
