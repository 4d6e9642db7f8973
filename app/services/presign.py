"""Signed dashboard links (CreateApplicationPresignedUrl) and the browser sessions they open.

An ``AuthorizedUrl`` carries a token: the application it is for (ARN and creation time, so a deleted
and re-created application of the same name is another application), when it was issued and when the
session ends, with an HMAC-SHA256 over all of it keyed by a secret kept in the data directory. As on
AWS the link must first be opened within three minutes; opening it starts a session (a cookie carrying
the same grant, signed separately) that lasts until the session expiry the caller asked for. A token
whose signature does not match, that names another application, or that is used out of its time is
refused — the web layer answers 403 without saying which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIRST_USE_WINDOW_S = 180
MIN_SESSION_S = 1800
MAX_SESSION_S = 43200
DEFAULT_SESSION_S = 43200
SECRET_FILE = "dashboard-signing.key"
DASHBOARD_PATH = "/dashboard"

_LINK = "link"
_SESSION = "session"
_CONSOLE = "console"


@dataclass(frozen=True)
class DashboardGrant:
    """Access to one application's dashboard, from ``issued_at`` until ``expires_at`` (epoch seconds)."""

    application_arn: str
    application_created: int
    issued_at: int
    expires_at: int

    @property
    def account_id(self) -> str:
        """The account of the application (from its ARN)."""
        return self.application_arn.split(":")[4]

    @property
    def region(self) -> str:
        """The Region of the application (from its ARN)."""
        return self.application_arn.split(":")[3]

    @property
    def application_name(self) -> str:
        """The application's name (from its ARN)."""
        return self.application_arn.split("/", 1)[1]


def load_secret(data_dir: Path) -> bytes:
    """The signing secret of this installation, created (mode 0600) on first use."""
    path = data_dir / SECRET_FILE
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and checks the signed tokens of dashboard links, dashboard sessions and console sessions."""

    def __init__(self, secret: bytes | Callable[[], bytes]) -> None:
        """``secret`` or a function that gives it, called on first use (so a process that never signs or
        checks a token, such as an API worker, never creates the installation's secret)."""
        self._source = secret
        self._loaded: bytes | None = None

    @property
    def _secret(self) -> bytes:
        if self._loaded is None:
            self._loaded = self._source() if callable(self._source) else self._source
        return self._loaded

    def sign(self, kind: str, values: list[str | int]) -> str:
        """``payload.signature`` over ``[kind, *values]``."""
        payload = _b64(json.dumps([kind, *values], separators=(",", ":")).encode())
        mac = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return f"{payload}.{_b64(mac)}"

    def open(self, kind: str, token: str) -> list[Any] | None:
        """The values of a genuine token of ``kind``; None for anything else."""
        payload, _, signature = token.partition(".")
        expected = hmac.new(self._secret, payload.encode("ascii", "replace"), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(signature), expected):
                return None
            values = json.loads(_unb64(payload))
        except (ValueError, TypeError, binascii.Error):
            return None
        if not isinstance(values, list) or not values or values[0] != kind:
            return None
        return values[1:]

    def _grant(self, kind: str, token: str, application_arn: str) -> DashboardGrant | None:
        values = self.open(kind, token) or []
        try:
            arn, created, issued, expires = values
            grant = DashboardGrant(str(arn), int(created), int(issued), int(expires))
        except (TypeError, ValueError):
            return None
        return grant if grant.application_arn == application_arn else None

    @staticmethod
    def _values(grant: DashboardGrant) -> list[str | int]:
        return [grant.application_arn, grant.application_created, grant.issued_at, grant.expires_at]

    def link_token(self, grant: DashboardGrant) -> str:
        """The token of an ``AuthorizedUrl``."""
        return self.sign(_LINK, self._values(grant))

    def session_token(self, grant: DashboardGrant) -> str:
        """The cookie value of a dashboard session opened from a link."""
        return self.sign(_SESSION, self._values(grant))

    def open_link(self, token: str, application_arn: str, now: float) -> DashboardGrant | None:
        """The grant of a link token for ``application_arn`` opened at ``now``; None if refused."""
        grant = self._grant(_LINK, token, application_arn)
        if grant is None or now >= grant.expires_at:
            return None
        return grant if grant.issued_at <= now <= grant.issued_at + FIRST_USE_WINDOW_S else None

    def open_session(self, token: str, application_arn: str, now: float) -> DashboardGrant | None:
        """The grant of a dashboard session cookie for ``application_arn`` at ``now``; None if refused."""
        grant = self._grant(_SESSION, token, application_arn)
        return grant if grant is not None and grant.issued_at <= now < grant.expires_at else None

    def console_token(self, account_id: str, issued_at: int, expires_at: int) -> str:
        """The cookie value of a console session of ``account_id``."""
        return self.sign(_CONSOLE, [account_id, issued_at, expires_at])

    def open_console(self, token: str, now: float) -> str | None:
        """The account of a console session cookie valid at ``now``; None if refused."""
        values = self.open(_CONSOLE, token) or []
        try:
            account_id, issued, expires = values
            valid = int(issued) <= now < int(expires)
        except (TypeError, ValueError):
            return None
        return str(account_id) if valid else None


def session_cookie_name(application_arn: str) -> str:
    """One cookie per application, so sessions of several dashboards coexist in a browser."""
    return "msf_dashboard_" + hashlib.sha256(application_arn.encode()).hexdigest()[:16]


def dashboard_url(base_url: str, application_arn: str, token: str | None = None) -> str:
    """Where an application's dashboard is served (with a link token: the ``AuthorizedUrl``)."""
    query = {"application": application_arn} | ({"authToken": token} if token else {})
    return f"{base_url}{DASHBOARD_PATH}?{urlencode(query)}"


def public_base_url(host: str, port: int) -> str:
    """The base URL of this server as a browser on this machine reaches it."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{reachable}:{port}"
