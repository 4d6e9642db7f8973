"""One endpoint for everything a local application needs: S3, Kinesis and CloudWatch Logs by moto.

``msf-local serve`` answers kinesisanalyticsv2 itself; every other AWS request reaching the same
port is handed to moto's server application (its WSGI ``DomainDispatcherApplication``, which picks
the backend from the SigV4 credential scope's service name) mounted as ASGI with a2wsgi. When
``settings.aws_endpoint`` points elsewhere (real AWS, another emulator) nothing is embedded.

A request is ours when its ``X-Amz-Target`` is ``KinesisAnalytics_20180523.*``, when it is signed
for the ``kinesisanalytics`` service, or when it is unsigned and aims at one of our own routes
(``POST /``, the documentation pages) or carries a near miss of our target (another date, case, a
typo: answered with UnknownOperationException as AWS does, not with moto's S3 XML). Everything else
goes to moto, with the caller's account in moto's ``x-moto-account-id`` header, chosen by the same
rule as our own ``Scope`` — so moto keeps S3 buckets, streams and log groups per account, as AWS does.
Under ``--auth strict`` the request is verified first and refused in its own service's format
(app/auth/services.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from api_models.service_model import TARGET_PREFIX
from app.auth.isolation import isolating
from app.auth.services import admit, unsigned_query_call
from app.credentials import account_for_key
from app.moto_state import EmbeddedState
from app.settings import AuthMode, Settings

SIGNING_NAME = "kinesisanalytics"
MOTO_ACCOUNT_HEADER = b"x-moto-account-id"

_CREDENTIAL = re.compile(r"^([^/\s]+)/\d{8}/[^/\s]+/([^/\s]+)/aws4_request$")
_AUTHORIZATION_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_FOREIGN_TARGET = re.compile(r"^[A-Za-z][A-Za-z0-9]*_\d{8}\.[A-Za-z]+$")  # e.g. Logs_20140328.CreateLogGroup
NEAR_MISS_RATIO = 0.8  # KinesisAnalytics_20180524, kinesisanalytics_20180523, KinesisAnalyticsV2_…: ours


def _near_miss(target: str) -> bool:
    """Whether a target's service part looks like ours (a typo, wrong case or date) rather than moto's."""
    service = target.split(".", 1)[0].lower()
    return SequenceMatcher(None, service, TARGET_PREFIX.lower()).ratio() >= NEAR_MISS_RATIO


def _credential(scope: Scope) -> tuple[str, str] | None:
    """(access key id, signing service) from the Authorization header or a presigned URL's query."""
    headers = dict(scope.get("headers", ()))
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    found = _AUTHORIZATION_CREDENTIAL.search(authorization)
    if found is not None:
        credential = found.group(1)
    else:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = query.get("X-Amz-Credential")
        if not values:
            return None
        credential = values[0]
    match = _CREDENTIAL.match(credential)
    return (match.group(1), match.group(2)) if match else None


HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
"""Headers that describe one HTTP connection and are not forwarded to the next."""


class ForwardingApp:
    """ASGI app that forwards each HTTP request to ``upstream`` and relays the answer unchanged.

    The Host header travels as the client sent it (S3 virtual-host addressing depends on it); the
    body is read whole (bounded by what moto itself accepts) and the answer streamed back raw.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._client: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(300.0), follow_redirects=False)
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        path = scope.get("raw_path") or str(scope["path"]).encode()
        query = scope.get("query_string", b"")
        url = self.upstream + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() not in HOP_BY_HOP]
        request = self._client.build_request(scope["method"], url, headers=headers, content=bytes(body))
        response = await self._client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


class AwsGatewayMiddleware:
    """ASGI middleware: kinesisanalyticsv2 and our own pages to the app, other AWS requests to moto."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        own_paths: Iterable[str] = ("/",),
        embedded_state: EmbeddedState | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.own_paths = frozenset(path for path in own_paths if "{" not in path)
        self.own_prefixes = tuple(sorted({path.split("{", 1)[0] for path in own_paths if "{" in path}))
        self.embedded_state = embedded_state
        self._moto: Any = None

    def is_ours(self, scope: Scope) -> bool:
        """Whether an HTTP request is for msf-local itself rather than the embedded moto."""
        headers = dict(scope.get("headers", ()))
        target = headers.get(b"x-amz-target", b"").decode("latin-1")
        if target.startswith(TARGET_PREFIX + "."):
            return True
        credential = _credential(scope)
        if credential is not None:
            return credential[1] == SIGNING_NAME
        if target:  # unsigned: another service's goes to moto; a malformed or near-miss one is ours to refuse
            return _FOREIGN_TARGET.match(target) is None or _near_miss(target)
        path = str(scope.get("path", ""))
        return path in self.own_paths or bool(self.own_prefixes and path.startswith(self.own_prefixes))

    def moto_account(self, scope: Scope) -> str:
        """The account moto acts in: as for our own Scope (credentials file, 12-digit key, default)."""
        credential = _credential(scope)
        if credential is None:
            return self.settings.default_account_id
        access_key = credential[0]
        known = self.settings.access_keys.get(access_key)
        if known is not None and known.account_id:
            return known.account_id
        return account_for_key(access_key, self.settings)

    def moto(self) -> Any:
        """moto's server application as ASGI, built on first use (importing moto takes a moment);
        in an HTTP worker of ``serve --workers N``, a forwarder to the one moto the controller hosts.
        With ``embedded_state`` what moto accepts is journaled under the data directory."""
        if self._moto is None and self.settings.controller_url:
            self._moto = ForwardingApp(self.settings.controller_url)
        if self._moto is None:
            from a2wsgi import WSGIMiddleware
            from moto.server import DomainDispatcherApplication, create_backend_app

            from app.cloudformation import serving
            from app.moto_state import kinesis

            kinesis.install()
            dispatcher = DomainDispatcherApplication(create_backend_app)
            moto = serving(dispatcher, self.settings)
            if self.embedded_state is not None:
                moto = self.embedded_state.wrap(dispatcher, moto)
            if self.settings.auth is AuthMode.STRICT:
                moto = isolating(moto)
            self._moto = WSGIMiddleware(moto)  # type: ignore[arg-type]
        return self._moto

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        strict = self.settings.auth is AuthMode.STRICT
        ours = self.is_ours(scope) and not (strict and unsigned_query_call(scope))
        if scope["type"] != "http" or self.settings.aws_endpoint or ours:
            await self.app(scope, receive, send)
            return
        if strict:  # verified first; see app/auth/services.py
            admitted = await admit(scope, receive, send, self.settings)
            if admitted is None:
                return
            caller, receive = admitted
        else:
            caller = self.moto_account(scope)
        account = caller.encode("ascii")
        headers: list[Any] = [(k, v) for k, v in scope.get("headers", ()) if k != MOTO_ACCOUNT_HEADER]
        headers.append((MOTO_ACCOUNT_HEADER, account))
        await self.moto()({**scope, "headers": headers}, receive, send)


def route_paths(routes: Iterable[Any], prefix: str = "") -> Iterator[str]:
    """Every route path, including those of included routers (FastAPI keeps those behind a wrapper)."""
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield prefix + path
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from route_paths(included.routes, prefix + route.include_context.prefix)


def install_gateway(app: Any, settings: Settings, embedded_state: EmbeddedState | None = None) -> None:
    """Put the gateway in front of ``app`` (a FastAPI application); its own route paths stay its own."""
    own_paths = set(route_paths(app.routes))
    app.add_middleware(
        AwsGatewayMiddleware, settings=settings, own_paths=own_paths | {"/"}, embedded_state=embedded_state
    )
