"""``GET /dashboard``: the job dashboard an ``AuthorizedUrl`` opens (CreateApplicationPresignedUrl).

With ``authToken`` (the link) the token is checked — genuine, for this application, opened within three
minutes of issue, session not expired — and a session cookie for this one application is set before
redirecting to the same page without the token. Without it, the session cookie must be valid. Any
refusal is a bare 403 that does not say which check failed. In an HTTP worker of ``serve --workers N``
the request is answered by the controlling process, where the jobs (and so their figures) are.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.db.models import ApplicationRow
from app.services.presign import DASHBOARD_PATH, DashboardGrant, dashboard_url, session_cookie_name
from app.web.dashboard_page import render_dashboard
from app.web.data import application_view, find_by_arn
from app.web.html import page
from app.web.state import web_state
from runtime_adapter.insight import InsightSource

router = APIRouter(include_in_schema=False)


def forbidden() -> HTMLResponse:
    """The one answer to every refused link or session."""
    body = "<p>This dashboard link is not valid: expired, not opened in time, or for another application.</p>"
    return HTMLResponse(page("Access denied", body), status_code=403)


def _from_controller(request: Request, controller_url: str) -> Response:
    """The controlling process's answer to this request, as it gave it."""
    import httpx

    target = controller_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    answer = httpx.get(target, headers={"cookie": request.headers.get("cookie", "")}, timeout=30)
    response = Response(answer.content, status_code=answer.status_code)
    for name in ("content-type", "location", "set-cookie", "cache-control"):
        for value in answer.headers.get_list(name):
            response.raw_headers.append((name.encode(), value.encode("latin-1")))
    return response


def _same_application(row: ApplicationRow | None, grant: DashboardGrant) -> bool:
    return row is not None and int(row.create_timestamp.timestamp()) == grant.application_created


@router.get(DASHBOARD_PATH, response_class=HTMLResponse)
def dashboard(
    request: Request, application: str = "", auth_token: str | None = Query(default=None, alias="authToken")
) -> Response:
    """The dashboard of ``application`` (an ARN), for the holder of its link or session."""
    controller = request.app.state.settings.controller_url
    if controller:
        return _from_controller(request, controller)
    web = web_state(request)
    now = web.clock()
    database = request.app.state.database
    if auth_token is not None:
        grant = web.signer.open_link(auth_token, application, now)
        with database.session() as session:
            if grant is None or not _same_application(find_by_arn(session, application), grant):
                return forbidden()
        response = RedirectResponse(dashboard_url("", application), status_code=303)
        response.set_cookie(
            session_cookie_name(application),
            web.signer.session_token(grant),
            max_age=int(grant.expires_at - now),
            path=DASHBOARD_PATH,
            httponly=True,
            samesite="lax",
        )
        return response
    cookie = request.cookies.get(session_cookie_name(application))
    grant = web.signer.open_session(cookie, application, now) if cookie else None
    with database.session() as session:
        row = find_by_arn(session, application)
        if grant is None or row is None or not _same_application(row, grant):
            return forbidden()
        view = application_view(session, row)
    runtime = getattr(request.app.state, "runtime_adapter", None)
    insight = None
    if view.job_id is not None and isinstance(runtime, InsightSource):
        insight = runtime.insight(view.job_id)
    title = f"{row.application_name} — Flink dashboard"
    return HTMLResponse(render_dashboard(title, view, insight, now))
