"""Who is calling: ``Scope(account_id, region)`` from the SigV4 Authorization header."""

from __future__ import annotations

import re

from fastapi import Request

from app.services.context import Scope

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


def resolve_scope(request: Request, body: bytes) -> Scope:
    """The caller's scope: region from the credential scope, account from a 12-digit access key id."""
    settings = request.app.state.settings
    match = _CREDENTIAL.search(request.headers.get("authorization", ""))
    if match is None:
        return Scope(settings.default_account_id, settings.default_region)
    access_key, _date, region, _service = match.groups()
    account = access_key if _ACCOUNT_KEY.match(access_key) else settings.default_account_id
    return Scope(account, region)
