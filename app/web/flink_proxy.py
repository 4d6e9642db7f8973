"""Flink's own web UI for an application on a real Flink cluster, behind the dashboard's session.

``GET /dashboard/flink/<application key>/<path>`` forwards to the cluster's REST/web address when the
request carries a valid dashboard session for that application (the cookie the signed link set, with
the same expiry rules) and the application's job runs on Flink. The key is the application's ARN,
base64url-encoded; Flink's UI is a single-page app with relative URLs and hash routes, so it works
under that prefix.

Only GET is forwarded, and only what shows this application's job:

- static files of the UI; ``overview`` (cluster slot and job counts), ``config`` (with the web UI's
  submit/cancel features switched off);
- ``jobs`` and ``jobs/overview``, filtered to this application's job; ``jobs/<its id>/...``, except
  the GET endpoints that cancel or stop a job (``yarn-cancel``, ``yarn-stop``);
- Flink 2.3's application views (its Overview page and Applications pages read them):
  ``applications/overview`` filtered to the Flink application that holds this job, and that Flink
  application's ``applications/<id>`` and ``applications/<id>/exceptions``, their job lists and
  exceptions reduced to this job (and the application's own, which name no job). A job submitted through
  ``/jars/:id/run`` is a Flink application of its own; which one Flink says in the job's details
  (``application-id``);
- the TaskManager list and metrics, and the JobManager's configuration, environment and metrics.

Everything else is 403: other jobs and Flink applications, cancelling an application, uploaded jars, and
every log, stdout, thread-dump and profiler endpoint (those are the cluster's, shared by every job on it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from app.db.deployments import DeploymentRow
from app.services.presign import DASHBOARD_PATH, session_cookie_name
from app.web.access import forbidden, from_controller
from app.web.data import find_by_arn
from app.web.state import web_state
from runtime_adapter.insight import WebUiSource

router = APIRouter(include_in_schema=False)

FLINK_UI_PATH = DASHBOARD_PATH + "/flink"
PASSED_HEADERS = ("content-type", "cache-control", "etag", "last-modified")
_REST_ROOTS = {
    "applications",
    "cluster",
    "config",
    "datasets",
    "jars",
    "jobmanager",
    "jobs",
    "overview",
    "savepoint-disposal",
    "taskmanagers",
}
_ALLOWED = re.compile(
    r"overview|config|jobs|jobs/overview|taskmanagers|taskmanagers/metrics|taskmanagers/[\w.-]+"
    r"|taskmanagers/[\w.-]+/metrics|jobmanager/(config|environment|metrics)"
)
_JOB_PATH = re.compile(r"jobs/(\w+)(/.*)?")
_APPLICATION_PATH = re.compile(r"applications/(\w+)(/exceptions)?")
_FILTERED = ("jobs", "jobs/overview", "config", "applications/overview")
_JOB_COMMANDS = re.compile(r"/yarn-(cancel|stop)\b")


def application_key(application_arn: str) -> str:
    """The path segment naming an application in the proxy's URLs."""
    return base64.urlsafe_b64encode(application_arn.encode()).decode().rstrip("=")


def flink_ui_url(application_arn: str) -> str:
    """Where Flink's web UI of the application is served."""
    return f"{FLINK_UI_PATH}/{application_key(application_arn)}/"


def _arn(key: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def allowed(path: str, job_id: str, flink_application: str | None = None) -> bool:
    """Whether ``path`` (relative to the UI root) may be forwarded for the application's ``job_id``,
    which runs in the Flink application ``flink_application`` (None: not known)."""
    root = path.split("/", 1)[0]
    if root not in _REST_ROOTS:
        return ".." not in path.split("/")
    if match := _APPLICATION_PATH.fullmatch(path):
        return (match[1] == "overview" and not match[2]) or match[1] == flink_application
    if match := _JOB_PATH.fullmatch(path):
        if match[1] == "overview":
            return not match[2]
        return match[1] == job_id and not _JOB_COMMANDS.search(match[2] or "")
    return _ALLOWED.fullmatch(path) is not None


def _details(base_url: str, path: str) -> dict[str, Any] | None:
    """Flink's JSON object at ``path``; None when Flink does not answer with one."""
    import httpx  # only a proxied Flink page needs it: not imported at start-up

    try:
        details = httpx.get(f"{base_url.rstrip('/')}/{path}", timeout=30).json()
    except (httpx.TransportError, ValueError):
        return None
    return details if isinstance(details, dict) else None


@lru_cache(maxsize=256)
def flink_application_of(base_url: str, job_id: str) -> str:
    """The Flink application (Flink 2.3's ``application-id``) that holds the job; a job never moves to
    another, so the answer is kept. LookupError (not kept) while Flink does not tell."""
    details = _details(base_url, f"jobs/{job_id}")
    application = details.get("application-id") if details is not None else None
    if not isinstance(application, str):
        raise LookupError(f"Flink names no application for job {job_id}")
    return application


def _flink_application(base_url: str, job_id: str) -> str | None:
    """The job's Flink application; None while Flink does not tell (then no application is shown)."""
    try:
        return flink_application_of(base_url, job_id)
    except LookupError:
        return None


def _own_jobs(jobs: list[Any], job_id: str) -> list[Any]:
    return [job for job in jobs if isinstance(job, dict) and job_id in (job.get("jid"), job.get("id"))]


def filter_answer(path: str, body: dict[str, Any], job_id: str, flink_application: str | None) -> None:
    """Jobs lists and application views reduced to the application's job; the UI's submit and cancel
    features off (in place)."""
    if path in ("jobs", "jobs/overview") and isinstance(body.get("jobs"), list):
        body["jobs"] = _own_jobs(body["jobs"], job_id)
    elif path == "config" and isinstance(body.get("features"), dict):
        body["features"] = {name: False for name in body["features"]}
    elif path == "applications/overview":
        listed = body.get("applications")
        own = [
            entry
            for entry in listed or []
            if isinstance(entry, dict) and entry.get("id") == flink_application
        ]
        body["applications"] = own
    elif path.endswith("/exceptions") and isinstance(history := body.get("exceptionHistory"), dict):
        entries = history.get("entries") or []  # the job's, and the application's own (naming no job)
        history["entries"] = [e for e in entries if isinstance(e, dict) and e.get("jobId") in (None, job_id)]
    elif path.startswith("applications/"):
        body["jobs"] = _own_jobs(body.get("jobs") or [], job_id)


def _count_own_jobs(base_url: str, body: dict[str, Any], job_id: str) -> None:
    """The listed application's job counts (by state) reduced to the job, when it holds others too."""
    for entry in body["applications"]:
        counts = entry.get("jobs")
        if not isinstance(counts, dict) or sum(n for n in counts.values() if isinstance(n, int)) <= 1:
            continue
        details = _details(base_url, f"applications/{entry['id']}")
        jobs = details.get("jobs") if details is not None else None
        states = [str(job.get("state")) for job in _own_jobs(jobs or [], job_id)]
        entry["jobs"] = {state: states.count(state) for state in set(states)}


def forward(
    base_url: str, path: str, query: str, job_id: str, flink_application: str | None = None
) -> Response:
    """Flink's answer to ``GET path?query``, filtered for the application's job (which runs in the Flink
    application ``flink_application``)."""
    import httpx  # only a proxied Flink page needs it: not imported at start-up

    target = f"{base_url.rstrip('/')}/{path}" + (f"?{query}" if query else "")
    try:
        answer = httpx.get(target, timeout=30)
    except httpx.TransportError as error:
        text = f"Flink's web UI at {base_url} is unreachable ({type(error).__name__})."
        return Response(text, status_code=502, media_type="text/plain")
    content = answer.content
    if answer.status_code == 200 and path in ("", "index.html"):
        # browsers fetch the web app manifest without cookies unless the page asks for them: with them
        # it passes the session check like every other file of the UI
        content = content.replace(b'rel="manifest"', b'rel="manifest" crossorigin="use-credentials"', 1)
    elif answer.status_code == 200 and (path in _FILTERED or path.startswith("applications/")):
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            filter_answer(path, body, job_id, flink_application)
            if path == "applications/overview":
                _count_own_jobs(base_url, body, job_id)
            content = json.dumps(body).encode()
    response = Response(content, status_code=answer.status_code)
    for name in PASSED_HEADERS:
        if name in answer.headers:
            response.headers[name] = answer.headers[name]
    return response


def _job_of(request: Request, application_arn: str) -> tuple[str | None, str | None]:
    """(application's job id, web UI address) when the request's session for it is valid."""
    web = web_state(request)
    cookie = request.cookies.get(session_cookie_name(application_arn))
    grant = web.signer.open_session(cookie, application_arn, web.clock()) if cookie else None
    if grant is None:
        return None, None
    with request.app.state.database.session() as session:
        row = find_by_arn(session, application_arn)
        if row is None or int(row.create_timestamp.timestamp()) != grant.application_created:
            return None, None
        job_id = session.scalars(
            select(DeploymentRow.job_id).where(DeploymentRow.application_id == row.id)
        ).one_or_none()
    runtime = getattr(request.app.state, "runtime_adapter", None)
    if job_id is None or not isinstance(runtime, WebUiSource):
        return None, None
    return job_id, runtime.web_ui(job_id)


@router.get(FLINK_UI_PATH + "/{key}/{path:path}")
def flink_ui(request: Request, key: str, path: str = "") -> Response:
    """Flink's web UI of the application ``key`` names, for the holder of its dashboard session."""
    controller = request.app.state.settings.controller_url
    if controller:
        return from_controller(request, controller)
    arn = _arn(key)
    job_id, base_url = _job_of(request, arn) if arn else (None, None)
    if job_id is None or base_url is None:
        return forbidden()
    flink_application = _flink_application(base_url, job_id) if path.startswith("applications/") else None
    if not allowed(path, job_id, flink_application):
        return forbidden()
    return forward(base_url, path, request.url.query, job_id, flink_application)


@router.api_route(FLINK_UI_PATH + "/{key}/{path:path}", methods=["POST", "PUT", "PATCH", "DELETE"])
def read_only(key: str, path: str = "") -> Response:
    """The proxied web UI is read-only: no submission, cancellation or upload."""
    return Response("Flink's web UI is read-only here.", status_code=405, headers={"Allow": "GET"})
