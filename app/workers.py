"""``msf-local serve --workers N``: N uvicorn worker processes in front of one controlling process.

The ``serve`` process itself is the controller. It runs ``create_app(settings)`` on a private loopback
port in a thread of its own, so it alone migrates the database (before any worker starts), runs the
control loop (the embedded runtime's job supervisors live here) and hosts the embedded moto, whose
S3/Kinesis/Logs state is in memory and so must live in exactly one process. Then it starts the N
workers on the public port and supervises them (a worker that dies is replaced; SIGINT/SIGTERM stop
them all, then the controller). Each builds ``create_app`` from the same settings plus
``controller_url``, which keeps the loop and the migrations out of it and makes its gateway forward
the other AWS services' requests to the controller. Workers share nothing but the database: desired
and observed state meet there (ARCHITECTURE rule 5), and every per-process cache is keyed so that it
cannot serve what another process has changed.

Each worker listens on a socket of its own, all bound to the port with ``SO_REUSEPORT``, so the
kernel spreads new connections over the workers. (With one shared listening socket, as uvicorn's own
``--workers`` has it, the first worker to wake accepts a whole burst of connections and the others
may get none.)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings

WORKER_SETTINGS_ENV = "MSF_WORKER_SETTINGS"
"""Environment variable carrying the workers' settings (JSON) from ``serve`` to its worker processes."""

CONTROLLER_START_TIMEOUT = 120.0
"""Seconds the controller may take to migrate and start before ``serve`` gives up."""

STARTUP_FAILURE = 3
"""Exit code of a worker whose application did not start (then restarting it would not help)."""

logger = logging.getLogger("msf_local.workers")


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
        supervise(settings)
    finally:
        controller.should_exit = True
        thread.join(timeout=60)
        private.close()


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on ``host:port`` with SO_REUSEPORT (port 0: one free port for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listeners: list[socket.socket] = []
    for _ in range(count):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        listener.listen(2048)
        listener.set_inheritable(True)
        port = listener.getsockname()[1]
        listeners.append(listener)
    return listeners


def run_worker(config: uvicorn.Config, listener: socket.socket) -> None:
    """The body of one worker process: uvicorn on its own listening socket until SIGTERM."""
    config.configure_logging()
    server = uvicorn.Server(config)
    server.run(sockets=[listener])
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def supervise(settings: Settings) -> None:
    """Keep ``settings.workers`` worker processes serving until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        "app.workers:worker_app",
        factory=True,
        log_level="info",
        access_log=False,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
    )
    listeners = listening_sockets(settings.host, settings.port, settings.workers)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start(listener: socket.socket) -> multiprocessing.process.BaseProcess:
        process = context.Process(target=run_worker, args=(config, listener), name="msf-local worker")
        process.start()
        return process

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    workers = [start(listener) for listener in listeners]
    logger.info("%d HTTP workers on %s:%d", len(workers), settings.host, listeners[0].getsockname()[1])
    try:
        while not stop.wait(0.5):
            for index, worker in enumerate(workers):
                if worker.is_alive():
                    continue
                if worker.exitcode == STARTUP_FAILURE:
                    raise SystemExit("msf-local: an HTTP worker failed to start (see the log above)")
                logger.warning("HTTP worker %s exited with %s; starting another", worker.pid, worker.exitcode)
                workers[index] = start(listeners[index])
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
                worker.join()
        for listener in listeners:
            listener.close()
