"""CloudFormation through the same endpoint: the embedded moto's CloudFormation provisions
``AWS::KinesisAnalyticsV2::*`` resources by calling msf-local's own kinesisanalyticsv2 API.

:func:`serving` wraps moto's WSGI application: it tells the resource types which msf-local is serving
the request (:data:`CURRENT`) and registers them with moto on the first request signed for CloudFormation
(importing moto's CloudFormation takes seconds, so a server that never sees one never pays for it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from app.cloudformation.context import CURRENT
from app.settings import Settings

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_SIGNED_FOR_CLOUDFORMATION = "/cloudformation/aws4_request"
_registered = threading.Event()
_registering = threading.Lock()


def serving(app: WsgiApp, settings: Settings) -> WsgiApp:
    """``app`` (moto's WSGI application) with :data:`CURRENT` set to ``settings`` for each request."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _registered.is_set() and _is_cloudformation(environ):
            register()
        token = CURRENT.set(settings)
        try:
            return app(environ, start_response)
        finally:
            CURRENT.reset(token)

    return wsgi


def _is_cloudformation(environ: dict[str, Any]) -> bool:
    signed = str(environ.get("HTTP_AUTHORIZATION", "")) + str(environ.get("QUERY_STRING", ""))
    return _SIGNED_FOR_CLOUDFORMATION in signed.replace("%2F", "/")


def register() -> None:
    """Define the resource types and make moto's CloudFormation see them (its type map is cached)."""
    with _registering:
        if _registered.is_set():
            return
        from moto.cloudformation import parsing

        from app.cloudformation import resources  # noqa: F401  (defining the classes registers them)

        for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
            cached.cache_clear()
        _registered.set()
