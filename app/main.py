"""``create_app(settings)``: the FastAPI application and its lifespan (migrate, database, control loop)."""

from __future__ import annotations

import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from app.clients.routes import router as clients_router
from app.control.plane import ControlPlane, run_control_loop
from app.db.ownership import Ownership, OwnershipError
from app.db.session import Database
from app.gateway import install_gateway
from app.moto_state import EmbeddedState
from app.observability.reporting import run_observability
from app.protocol.router import aws_json_asgi, is_aws_json_request, router
from app.services.details import DetailCache
from app.settings import Settings
from app.web.routes import install_web

logger = logging.getLogger("msf_local")


class MsfLocalApp(FastAPI):
    """FastAPI, with the kinesisanalyticsv2 requests taken straight to their endpoint.

    ``POST /`` with a ``KinesisAnalytics_20180523.*`` target is always ours (the gateway would pass it
    on, the router would pick ``aws_json_endpoint``) and its endpoint answers every error itself, so
    the middleware and routing layers in between only cost time on the hot path. Everything else,
    lifespan included, goes through FastAPI as usual.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_aws_json_request(scope):
            scope["app"] = self
            await aws_json_asgi(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _stop_serving(error: BaseException) -> None:
    """A saved state of the embedded services that cannot be restored stops the server (gracefully, as
    SIGTERM does; ``msf-local serve`` then exits with its start-up failure code): nothing is served
    without it."""
    logger.error("msf-local cannot start: %s", error)
    signal.raise_signal(signal.SIGTERM)


def create_app(
    settings: Settings, ownership: Ownership | None = None, plane: ControlPlane | None = None
) -> FastAPI:
    """Build the service for ``settings``; nothing is created at import time.

    A process that is not an HTTP worker of ``serve --workers N`` (no ``settings.controller_url``)
    owns the data directory, the schema and the control loop: it locks the data directory and the
    database first (``app.db.ownership``; a second server stops there, naming the first), then
    migrates and runs the loop until it stops. ``msf-local serve`` takes the locks and starts the control
    plane (``plane``: migrated database, runtime adapter, control loop) before it builds the application;
    both are released and stopped when the application stops.
    A worker does neither; its process only answers requests from the shared database.
    The owner also keeps the embedded S3/Kinesis/Logs/CloudWatch under ``<data dir>/aws`` and brings
    them back (``app.moto_state``): before it serves, or, under ``msf-local serve``, while it already
    answers its own API — every request to those services waits until they are back.
    """
    controls = settings.controller_url is None
    embedded = EmbeddedState(settings.data_dir / "aws") if controls and not settings.aws_endpoint else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owner = ownership or Ownership(settings.data_dir, settings.effective_database_url, settings.port)
        if controls and ownership is None:
            try:
                owner.acquire()  # before anything is migrated, started or touched
            except OwnershipError as error:
                logger.error("msf-local cannot start: %s", error)
                raise
        try:
            async with AsyncExitStack() as stack:
                if embedded is not None:
                    stack.callback(embedded.close)  # after the control plane stopped
                if plane is not None:  # running already: stopped with the application, whatever happens
                    await stack.enter_async_context(run_control_loop(app, plane))
                if embedded is not None:  # before the server answers; with ``serve``, while it answers
                    embedded.open(on_failure=_stop_serving if plane is not None else None)
                if controls:
                    if plane is None:
                        await stack.enter_async_context(run_control_loop(app))
                    await stack.enter_async_context(run_observability(app))
                else:
                    app.state.database = Database(settings.effective_database_url)
                    stack.callback(app.state.database.dispose)
                yield
        finally:
            owner.release()

    app = MsfLocalApp(
        title="msf-local", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.embedded_state = embedded
    app.state.details = DetailCache()
    app.include_router(router)
    app.include_router(clients_router)
    install_web(app, settings)
    install_gateway(app, settings, embedded)
    return app
