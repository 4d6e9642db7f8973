"""``msf-local serve --workers N``: N uvicorn worker processes in front of one controlling process.

The ``serve`` process itself is the controller. It runs ``create_app(settings)`` on a private loopback
port in a thread of its own, so it alone migrates the database (before any worker starts), runs the
control loop (the embedded runtime's job supervisors live here) and hosts the embedded moto, whose
S3/Kinesis/Logs state is in memory and so must live in exactly one process. Then uvicorn's process
supervisor starts the N workers on the public port; each builds ``create_app`` from the same settings
plus ``controller_url``, which keeps the loop and the migrations out of it and makes its gateway
forward the other AWS services' requests to the controller. Workers share nothing but the database:
desired and observed state meet there (ARCHITECTURE rule 5), and every per-process cache is keyed so
that it cannot serve what another process has changed.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings

WORKER_SETTINGS_ENV = "MSF_WORKER_SETTINGS"
"""Environment variable carrying the workers' settings (JSON) from ``serve`` to its worker processes."""

CONTROLLER_START_TIMEOUT = 120.0
"""Seconds the controller may take to migrate and start before ``serve`` gives up."""


def worker_app() -> FastAPI:
    """The application of one HTTP worker (uvicorn's factory, called in each worker process)."""
    return create_app(Settings.model_validate_json(os.environ[WORKER_SETTINGS_ENV]))


def serve_workers(settings: Settings) -> None:
    """Run the controller in this process and ``settings.workers`` HTTP workers until a signal stops us."""
    private = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    private.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    private.bind(("127.0.0.1", 0))
    controller_url = f"http://127.0.0.1:{private.getsockname()[1]}"
    controller = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="info", access_log=False, lifespan="on")
    )
    thread = threading.Thread(
        target=controller.run, kwargs={"sockets": [private]}, name="msf-local controller", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + CONTROLLER_START_TIMEOUT
    while not controller.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            controller.should_exit = True
            raise SystemExit("msf-local: the controlling process did not start (see the log above)")
        time.sleep(0.05)
    worker_settings = settings.model_copy(update={"controller_url": controller_url})
    os.environ[WORKER_SETTINGS_ENV] = worker_settings.model_dump_json()
    try:
        uvicorn.run(
            "app.workers:worker_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="info",
            access_log=False,
        )
    finally:
        controller.should_exit = True
        thread.join(timeout=60)
        private.close()
