"""``/console``: a read-only view of one account's applications, in every Region.

Signing in takes an access key, as the API does: in ``--auth strict`` the key and its secret must be in
the credentials file; in accept mode the key decides the account exactly as for API calls (a 12-digit
key id is its own account, any other key the default account). The session cookie names the account,
signed by the server; every page reads only that account's data.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.protocol.identity import account_for_key
from app.services.presign import DEFAULT_SESSION_S, DashboardGrant, dashboard_url
from app.settings import AuthMode, Settings
from app.web.console_pages import application_page, applications_page, sign_in_page
from app.web.data import application_view, applications, find_application
from app.web.html import escape, page
from app.web.state import web_state

router = APIRouter(include_in_schema=False)

COOKIE = "msf_console"
CONSOLE = "/console"
MAX_FORM_BYTES = 16 * 1024


def _account(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    web = web_state(request)
    return web.signer.open_console(token, web.clock()) if token else None


def _sign_in_account(settings: Settings, access_key: str, secret: str) -> str | None:
    """The account an access key signs in to; None if strict mode refuses the key or secret."""
    if not access_key:
        return None
    if settings.auth is AuthMode.STRICT:
        known = settings.access_keys.get(access_key)
        if known is None or not hmac.compare_digest(known.secret_access_key.encode(), secret.encode()):
            return None
        return known.account_id or account_for_key(access_key, settings)
    return account_for_key(access_key, settings)


def _to_sign_in() -> Response:
    return RedirectResponse(CONSOLE, status_code=303)


@router.get(CONSOLE, response_class=HTMLResponse)
def console(request: Request) -> Response:
    """The account's applications by Region, or the sign-in form."""
    account = _account(request)
    if account is None:
        return HTMLResponse(sign_in_page())
    with request.app.state.database.session() as session:
        return HTMLResponse(applications_page(account, applications(session, account)))


@router.post(CONSOLE + "/sign-in")
async def sign_in(request: Request) -> Response:
    """Start a console session for the account of the access key in the form."""
    body = (await request.body())[:MAX_FORM_BYTES]
    form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
    account = _sign_in_account(
        request.app.state.settings, form.get("access_key_id", "").strip(), form.get("secret_access_key", "")
    )
    if account is None:
        return HTMLResponse(sign_in_page("That access key and secret are not accepted."), status_code=403)
    web = web_state(request)
    issued = int(web.clock())
    response = RedirectResponse(CONSOLE, status_code=303)
    response.set_cookie(
        COOKIE,
        web.signer.console_token(account, issued, issued + DEFAULT_SESSION_S),
        max_age=DEFAULT_SESSION_S,
        path=CONSOLE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post(CONSOLE + "/sign-out")
def sign_out() -> Response:
    """End the console session."""
    response = _to_sign_in()
    response.delete_cookie(COOKIE, path=CONSOLE)
    return response


@router.get(CONSOLE + "/application", response_class=HTMLResponse)
def application(request: Request, region: str = "", name: str = "") -> Response:
    """One application of the signed-in account: versions, operations, snapshots, dashboard link."""
    account = _account(request)
    if account is None:
        return _to_sign_in()
    with request.app.state.database.session() as session:
        row = find_application(session, account, region, name)
        if row is None:
            body = f"<p>No application {escape(name)} in {escape(region)} in this account.</p>"
            return HTMLResponse(page("Not found", body), status_code=404)
        dashboard = CONSOLE + "/dashboard?" + urlencode({"region": region, "name": name})
        return HTMLResponse(application_page(account, application_view(session, row), dashboard))


@router.get(CONSOLE + "/dashboard")
def open_dashboard(request: Request, region: str = "", name: str = "") -> Response:
    """Open the dashboard of a running application of the signed-in account (a fresh signed link)."""
    account = _account(request)
    if account is None:
        return _to_sign_in()
    with request.app.state.database.session() as session:
        row = find_application(session, account, region, name)
        if row is None or row.status != "RUNNING":
            body = "<p>The dashboard exists only while the application is running.</p>"
            return HTMLResponse(page("Dashboard not available", body), status_code=409)
        issued = int(web_state(request).clock())
        grant = DashboardGrant(
            row.application_arn, int(row.create_timestamp.timestamp()), issued, issued + DEFAULT_SESSION_S
        )
    token = web_state(request).signer.link_token(grant)
    return RedirectResponse(dashboard_url("", grant.application_arn, token), status_code=303)
