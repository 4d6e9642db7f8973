"""In strict mode an S3 bucket belongs to the account that created it: other accounts get AccessDenied.

moto keeps buckets per account but, by default, lets any account reach a bucket it does not own (bucket
names are global). Its switch for this (``MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS``) is process-wide, while
one process may serve strict and accepting servers (tests, embedding); so moto's check is routed
through a context variable that :func:`isolating` sets for each request of a strict server. Creating
a bucket whose name another account holds is refused with 403 AccessDenied too (AWS answers 409
BucketAlreadyExists; moto looks the existing bucket up before answering).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

CROSS_ACCOUNT_S3: ContextVar[bool | None] = ContextVar("msf_local_cross_account_s3", default=None)
"""Whether this request may reach another account's bucket; None: moto's own setting decides."""

_installed = threading.Lock()


def _install() -> None:
    """Route moto's cross-account check through :data:`CROSS_ACCOUNT_S3` (once per process)."""
    from moto.s3 import models

    with _installed:
        original = models.s3_allow_crossdomain_access
        if getattr(original, "msf_local", False):
            return

        def allowed() -> bool:
            decided = CROSS_ACCOUNT_S3.get()
            return original() if decided is None else decided

        allowed.msf_local = True  # type: ignore[attr-defined]
        models.s3_allow_crossdomain_access = allowed


def isolating(app: WsgiApp) -> WsgiApp:
    """``app`` (moto's WSGI application) with every request confined to its own account's buckets."""
    _install()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = CROSS_ACCOUNT_S3.set(False)
        try:
            return app(environ, start_response)
        finally:
            CROSS_ACCOUNT_S3.reset(token)

    return wsgi
