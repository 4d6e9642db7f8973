"""What the dashboard and Flink's proxied web UI answer alike: the refusal, and the controller's answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app.web.html import page


def forbidden() -> HTMLResponse:
    """The one answer to every refused link or session."""
    body = "<p>This dashboard link is not valid: expired, not opened in time, or for another application.</p>"
    return HTMLResponse(page("Access denied", body), status_code=403)


def from_controller(request: Request, controller_url: str) -> Response:
    """The controlling process's answer to this GET request, as it gave it (``serve --workers N``)."""
    import httpx

    target = controller_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    answer = httpx.get(target, headers={"cookie": request.headers.get("cookie", "")}, timeout=30)
    response = Response(answer.content, status_code=answer.status_code)
    for name in ("content-type", "location", "set-cookie", "cache-control"):
        for value in answer.headers.get_list(name):
            response.raw_headers.append((name.encode(), value.encode("latin-1")))
    return response
