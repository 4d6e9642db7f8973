"""Shared fixtures: a live msf-local server on a free port and boto3 clients for it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from app.main import create_app
from app.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A running msf-local: its URL and settings."""

    url: str
    settings: Settings
    server: uvicorn.Server

    def client(
        self,
        service: str = "kinesisanalyticsv2",
        *,
        access_key: str = "AKIDEXAMPLE",
        region: str = "us-east-1",
        secret_key: str = "secret",
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(retries={"max_attempts": 1}),
        )


def start_server(settings: Settings) -> LiveServer:
    """Start ``create_app(settings)`` under uvicorn in a thread; bounded wait for readiness."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("msf-local did not start")
        time.sleep(0.02)
    return LiveServer(url=f"http://127.0.0.1:{settings.port}", settings=settings, server=server)


def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    """Factory for live servers with extra settings; all are stopped at teardown."""
    started: list[LiveServer] = []

    def make(**overrides: Any) -> LiveServer:
        values: dict[str, Any] = {"data_dir": tmp_path / f"data{len(started)}", "port": free_port()}
        values.update(overrides)
        live = start_server(Settings(**values))
        started.append(live)
        return live

    yield make
    for live in started:
        stop_server(live)


@pytest.fixture
def live_server(make_server: Any) -> LiveServer:
    server: LiveServer = make_server()
    return server


@pytest.fixture
def kav2(live_server: LiveServer) -> Any:
    """A boto3 kinesisanalyticsv2 client for the live server."""
    return live_server.client()
