"""``create_app(settings)``: the FastAPI application and its lifespan (migrate, database, control loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.clients.routes import router as clients_router
from app.control.loop import run_control_loop
from app.db.migrate import upgrade
from app.db.session import Database
from app.gateway import install_gateway
from app.protocol.router import router
from app.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the service for ``settings``; nothing is created at import time."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.effective_database_url)
        app.state.database = Database(settings.effective_database_url)
        try:
            async with run_control_loop(app):
                yield
        finally:
            app.state.database.dispose()

    app = FastAPI(
        title="msf-local", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.include_router(router)
    app.include_router(clients_router)
    install_gateway(app, settings)
    return app
