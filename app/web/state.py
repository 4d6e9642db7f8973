"""What the web pages share: the token signer and the clock (injectable for tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.requests import Request

from app.observability.presign import TokenSigner, load_secret
from app.settings import Settings


@dataclass
class WebState:
    """The signer of links and sessions, and the clock that decides whether they are still valid."""

    signer: TokenSigner
    clock: Callable[[], float] = field(default=time.time)


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the console and dashboard routes to ``app`` (before the gateway, so their paths stay ours)."""
    from app.web.console import router as console_router
    from app.web.dashboard import router as dashboard_router

    app.state.web = WebState(TokenSigner(load_secret(settings.data_dir)))
    app.include_router(console_router)
    app.include_router(dashboard_router)


def web_state(request: Request) -> WebState:
    """The application's ``WebState``."""
    state: WebState = request.app.state.web
    return state
