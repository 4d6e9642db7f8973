"""``install_web``: the console and dashboard routes and their shared state, added to the application."""

from __future__ import annotations

from fastapi import FastAPI

from app.services.presign import TokenSigner, load_secret
from app.settings import Settings
from app.web.console import router as console_router
from app.web.dashboard import router as dashboard_router
from app.web.flink_proxy import router as flink_ui_router
from app.web.state import WebState


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the console and dashboard routes to ``app`` (before the gateway, so their paths stay ours)."""
    app.state.web = WebState(TokenSigner(lambda: load_secret(settings.data_dir)))
    app.include_router(console_router)
    app.include_router(dashboard_router)
    app.include_router(flink_ui_router)
