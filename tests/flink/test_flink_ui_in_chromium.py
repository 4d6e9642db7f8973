"""The presigned link of an application on Flink, opened in headless Chromium: Flink's own web UI (the
Angular app shipped in the installed Flink distribution) renders that application's job through
msf-local's proxy — its Overview page, the application's Applications page, its job's pages — and cannot
show another application's job. No JVM: the UI's files are served from
the distribution's ``flink-dist`` jar in front of the scriptable fake REST server."""

from __future__ import annotations

import json
import mimetypes
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.web.flink_proxy import flink_ui_url
from runtime_adapter.flink.distribution import flink_home, flink_installed
from tests.conftest import LiveServer, eventually
from tests.flink.fake_flink import FakeFlink, FakeJob
from tests.flink.test_flink_ui_proxy import OTHER_ACCOUNT, running_on_flink
from tests.observability.browser import Browser


def _job_details(job: FakeJob, details: dict[str, Any]) -> dict[str, Any]:
    """The fake's job details with the fields Flink's UI shows (name, times, task counts)."""
    now = int(time.time() * 1000)
    counts = {"RUNNING": len(details["vertices"])}
    vertices = [
        vertex
        | {"start-time": now - 60_000, "end-time": -1, "duration": 60_000, "tasks": counts, "metrics": {}}
        for vertex in details["vertices"]
    ]
    return details | {
        "name": job.body["flinkConfiguration"]["pipeline.name"],
        "isStoppable": False,
        "start-time": now - 60_000,
        "end-time": -1,
        "duration": 60_000,
        "now": now,
        "vertices": vertices,
        "status-counts": counts,
    }


class FlinkWebFront:
    """Serves Flink's web UI files from the distribution and answers like a cluster with the fake's jobs."""

    def __init__(self, fake: FakeFlink, jar: Path) -> None:
        self.fake = fake
        with zipfile.ZipFile(jar) as archive:
            self.files = {
                name.removeprefix("web/"): archive.read(name)
                for name in archive.namelist()
                if name.startswith("web/") and not name.endswith("/")
            }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, query: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for ``GET path?query``."""
        name = path.lstrip("/") or "index.html"
        if name in self.files:
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return 200, kind, self.files[name]
        jobs = self.fake.jobs
        if path == "/jobs/overview":
            overview = [_job_details(job, job.details()) for job in jobs.values()]
            keys = ("jid", "name", "state", "start-time", "end-time", "duration")
            listed = [
                {key: job[key] for key in keys} | {"tasks": {"running": 2, "total": 2}} for job in overview
            ]
            return 200, "application/json", json.dumps({"jobs": listed}).encode()
        try:
            answer = httpx.get(self.fake.url + path + (f"?{query}" if query else ""), timeout=10)
        except httpx.TransportError:  # the fake stopped before msf-local's last poll
            return 502, "text/plain", b"fake stopped"
        body = answer.content
        job_id = path.removeprefix("/jobs/")
        if answer.status_code == 200 and job_id in jobs:
            body = json.dumps(_job_details(jobs[job_id], answer.json())).encode()
        elif path == "/config":  # what Flink's UI needs besides the fake's answer (it polls every 3 s)
            config = {"refresh-interval": 3000, "timezone-name": "UTC", "timezone-offset": 0}
            body = json.dumps(config | answer.json()).encode()
        return answer.status_code, answer.headers.get("content-type", "application/json"), body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                status, kind, body = front.answer(path, query)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # job submission and commands go to the fake as they are
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = self.headers.get("Content-Type", "application/json")
                answer = httpx.request(
                    self.command,
                    front.fake.url + self.path,
                    content=raw,
                    headers={"Content-Type": kind},
                    timeout=30,
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_PATCH = do_POST

        return Handler

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def front(fake: FakeFlink) -> Iterator[FlinkWebFront]:
    if not flink_installed():
        pytest.skip("no Flink distribution installed (the flink extra) to take the web UI from")
    (jar,) = (flink_home() / "lib").glob("flink-dist*.jar")
    server = FlinkWebFront(fake, jar)
    yield server
    server.stop()


@pytest.mark.parametrize("backend", ["sqlite"])  # the database plays no part here
def test_flinks_own_ui_renders_the_applications_job_and_no_other(
    make_server: Any, fake: FakeFlink, front: FlinkWebFront, tmp_path: Path
) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=front.url)
    suffix = uuid.uuid4().hex[:6]
    kav2, arn = running_on_flink(live, f"shop-{suffix}")
    running_on_flink(live, f"rival-{suffix}", access_key=OTHER_ACCOUNT)
    names = {job.body["flinkConfiguration"]["pipeline.name"]: job.job_id for job in fake.jobs.values()}
    link = kav2.create_application_presigned_url(
        ApplicationName=f"shop-{suffix}", UrlType="FLINK_DASHBOARD_URL"
    )
    base = live.url + flink_ui_url(arn)

    browser = Browser(tmp_path)
    try:
        browser.goto(link["AuthorizedUrl"])
        assert browser.evaluate("location.href").startswith(base)
        # Flink 2.3's first page, Overview: the cluster's slots and its running applications (hash routes)
        assert eventually(lambda: f"SingleJobApplication(shop-{suffix})" in browser.text(), True, timeout=20)
        assert f"rival-{suffix}" not in browser.text()  # another account's application on the same cluster
        browser.screenshot("overview")

        own = names[
            f"shop-{suffix}"
        ]  # a job submitted through /jars/:id/run is a Flink application of its own
        browser.evaluate(f"location.hash = '#/application/running/{own}/overview'")  # its Applications page
        assert eventually(lambda: "Application ID" in browser.text(), True, timeout=20)
        assert eventually(lambda: own in browser.text(), True, timeout=20)
        assert f"shop-{suffix}" in browser.text() and "Cancel Application" not in browser.text()
        browser.screenshot("application")

        browser.evaluate("location.hash = '#/job/running'")  # Flink's list of running jobs
        assert eventually(lambda: f"shop-{suffix}" in browser.text(), True, timeout=20)
        assert f"rival-{suffix}" not in browser.text()  # another account's job on the same cluster
        browser.screenshot("running-jobs")

        browser.evaluate(f"location.hash = '#/job/running/{names[f'shop-{suffix}']}/overview'")
        assert eventually(lambda: "Source: numbers" in browser.text(), True, timeout=20)  # the job's graph
        browser.screenshot("job")
        assert browser.errors() == []  # the web app manifest too: fetched with the session cookie

        browser.evaluate(f"location.hash = '#/job/running/{names[f'rival-{suffix}']}/overview'")
        for view in ("jobs", "applications"):  # the rival's job, and its Flink application
            asked = f"fetch('{view}/{names[f'rival-{suffix}']}').then(answer => answer.status)"
            answer = browser.call("Runtime.evaluate", expression=asked, awaitPromise=True, returnByValue=True)
            assert answer["result"]["value"] == 403, view
        assert f"rival-{suffix}" not in browser.text()
        browser.screenshot("other-job")
    finally:
        browser.close()
