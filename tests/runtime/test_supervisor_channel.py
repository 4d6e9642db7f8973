"""The supervisor's side of the control channel: a message is never lost, however early the job sends it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stream_runtime.engine.control import LineChannel, Message
from stream_runtime.process import supervisor as supervisor_module
from stream_runtime.process.model import JobProcessStatus
from stream_runtime.restart import FixedDelayRestartStrategy
from tests.runtime.conftest import SupervisorFactory


class FirstMessageFirst(LineChannel):
    """A channel whose first message is handled before its constructor returns: the interleaving of a job
    that speaks before its supervisor has finished setting up the attempt (bounded wait)."""

    def __init__(self, sock: socket.socket, on_message: Callable[[Message], None], **rest: Any) -> None:
        handled = threading.Event()

        def handle(message: Message) -> None:
            try:
                on_message(message)
            finally:
                handled.set()

        super().__init__(sock, handle, **rest)
        handled.wait(60)


def test_a_message_that_arrives_before_the_attempt_is_set_up_is_handled(
    supervised: SupervisorFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor_module, "LineChannel", FirstMessageFirst)
    job = tmp_path / "broken.py"
    job.write_text("raise RuntimeError('the job cannot initialise')\n")
    supervisor = supervised(str(job), restart_strategy=FixedDelayRestartStrategy(3, 1.0))

    supervisor.start()

    assert supervisor.wait(timeout=60) is JobProcessStatus.FAILED
    # the "failed" message (an initialisation failure: terminal) was the first one and was not lost
    assert supervisor.restart_count == 0
    assert "RuntimeError: the job cannot initialise" in (supervisor.failure_cause or "")
