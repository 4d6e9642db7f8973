"""Fixtures for the client tests: a real ``msf-local serve`` process, as a user would start it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class ServeProcess:
    """A running ``msf-local serve``: its URL, its process and the file its output goes to."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What the server has printed so far (tracebacks of 500s land here)."""
        return self.log.read_text(errors="replace")


def start_serve(data_dir: Path, **env: str) -> ServeProcess:
    """Start ``msf-local serve`` on a free port; bounded wait until it accepts connections."""
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "msf-local"), "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=data_dir,
        )
    served = ServeProcess(url=f"http://127.0.0.1:{port}", port=port, process=process, log=log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"msf-local serve exited early:\n{served.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return served
        except OSError:
            if time.monotonic() > deadline:
                stop_serve(served)
                raise RuntimeError(
                    f"msf-local serve did not listen within 60 s:\n{served.output()}"
                ) from None
            time.sleep(0.05)


def stop_serve(served: ServeProcess) -> None:
    """Stop the server: SIGTERM, then SIGKILL if it has not exited within 15 s."""
    served.process.terminate()
    try:
        served.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(timeout=15)


@contextmanager
def serving(data_dir: Path, **env: str) -> Iterator[ServeProcess]:
    """A server for the ``with`` block; afterwards its output must show no traceback (no 500 was hidden)."""
    served = start_serve(data_dir, **env)
    try:
        yield served
    finally:
        stop_serve(served)
    assert "Traceback" not in served.output(), served.output()


@pytest.fixture(scope="session")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One ``msf-local serve`` with the default settings, shared by the client tests."""
    with serving(tmp_path_factory.mktemp("serve") / "data") as served:
        yield served
