"""What the web pages share: the token signer and the clock (injectable for tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from app.services.presign import TokenSigner


@dataclass
class WebState:
    """The signer of links and sessions, and the clock that decides whether they are still valid."""

    signer: TokenSigner
    clock: Callable[[], float] = field(default=time.time)


def web_state(request: Request) -> WebState:
    """The application's ``WebState``."""
    state: WebState = request.app.state.web
    return state
