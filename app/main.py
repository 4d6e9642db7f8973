"""``create_app(settings)``: the FastAPI application and its lifespan (migrate, database, control loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from app.clients.routes import router as clients_router
from app.control.loop import run_control_loop
from app.db.migrate import upgrade
from app.db.session import Database
from app.gateway import install_gateway
from app.protocol.router import aws_json_asgi, is_aws_json_request, router
from app.services.details import DetailCache
from app.settings import Settings


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


def create_app(settings: Settings) -> FastAPI:
    """Build the service for ``settings``; nothing is created at import time.

    A process that is not an HTTP worker of ``serve --workers N`` (no ``settings.controller_url``)
    owns the schema and the control loop: it migrates at start and runs the loop until it stops.
    A worker does neither; its process only answers requests from the shared database.
    """
    controls = settings.controller_url is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if controls:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            upgrade(settings.effective_database_url)
        app.state.database = Database(settings.effective_database_url)
        try:
            async with AsyncExitStack() as stack:
                if controls:
                    await stack.enter_async_context(run_control_loop(app))
                yield
        finally:
            app.state.database.dispose()

    app = MsfLocalApp(
        title="msf-local", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.details = DetailCache()
    app.include_router(router)
    app.include_router(clients_router)
    install_gateway(app, settings)
    return app
