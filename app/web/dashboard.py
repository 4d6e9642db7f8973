"""``GET /dashboard``: the job dashboard an ``AuthorizedUrl`` opens (CreateApplicationPresignedUrl).

With ``authToken`` (the link) the token is checked — genuine, for this application, opened within three
minutes of issue, session not expired — and a session cookie for this one application is set before
redirecting to the same page without the token. Without it, the session cookie must be valid. Any
refusal is a bare 403 that does not say which check failed. In an HTTP worker of ``serve --workers N``
the request is answered by the controlling process, where the jobs (and so their figures) are.
An application whose job runs on a real Flink cluster is redirected to Flink's own web UI, proxied
behind the same session (``flink_proxy``).
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.db.models import ApplicationRow
from app.services.presign import DASHBOARD_PATH, DashboardGrant, dashboard_url, session_cookie_name
from app.web.access import forbidden, from_controller
from app.web.dashboard_page import render_dashboard
from app.web.data import application_view, find_by_arn
from app.web.flink_proxy import flink_ui_url
from app.web.state import web_state
from runtime_adapter.insight import InsightSource, WebUiSource

router = APIRouter(include_in_schema=False)


def _same_application(row: ApplicationRow | None, grant: DashboardGrant) -> bool:
    return row is not None and int(row.create_timestamp.timestamp()) == grant.application_created


@router.get(DASHBOARD_PATH, response_class=HTMLResponse)
def dashboard(
    request: Request, application: str = "", auth_token: str | None = Query(default=None, alias="authToken")
) -> Response:
    """The dashboard of ``application`` (an ARN), for the holder of its link or session."""
    controller = request.app.state.settings.controller_url
    if controller:
        return from_controller(request, controller)
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
    if view.job_id is not None and isinstance(runtime, WebUiSource) and runtime.web_ui(view.job_id):
        return RedirectResponse(flink_ui_url(application), status_code=303)
    insight = None
    if view.job_id is not None and isinstance(runtime, InsightSource):
        insight = runtime.insight(view.job_id)
    title = f"{row.application_name} — Flink dashboard"
    return HTMLResponse(render_dashboard(title, view, insight, now))
