"""Who is calling: ``Scope(account_id, region)`` from the SigV4 Authorization header.

The region is the credential scope's region. The account is, in strict mode, the credentials file's
``account_id`` for the key when it names one; otherwise a 12-digit access key id is its own account and
any other key acts in ``settings.default_account_id``. Accept mode takes any signature (and unsigned
requests, which act in the default account and region); strict mode verifies it first (see auth.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.requests import Request

from app.credentials import account_for_key
from app.db.scope import Scope
from app.protocol.auth import verify_signature
from app.settings import AuthMode, Settings

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]{1,64})/([^/,\s]+)/aws4_request")


def resolve_scope(request: Request, body: bytes) -> Scope:
    """The caller's scope; in strict mode only once the signature over ``body`` has been verified."""
    settings: Settings = request.app.state.settings
    if settings.auth is AuthMode.STRICT:
        authorization, key = verify_signature(request, body, settings.access_keys, datetime.now(UTC))
        account = key.account_id or account_for_key(authorization.access_key, settings)
        return Scope(account, authorization.region)
    match = _CREDENTIAL.search(request.headers.get("authorization", ""))
    if match is None:
        return Scope(settings.default_account_id, settings.default_region)
    access_key, _date, region, _service = match.groups()
    return Scope(account_for_key(access_key, settings), region)
