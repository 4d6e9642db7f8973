"""The presigned dashboard link of an application on Flink opens Flink's own web UI, proxied by msf-local:
only behind the link's session, only GETs, only that application's job (fake Flink REST server)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from app.web.flink_proxy import allowed, flink_ui_url
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import create, status
from tests.flink.fake_flink import FakeFlink
from tests.flink.test_api_routing import jar_bytes

OTHER_ACCOUNT = "444455556666"


def running_on_flink(live: LiveServer, name: str, access_key: str = "AKIDEXAMPLE") -> tuple[Any, str]:
    kav2 = live.client(access_key=access_key)
    create(kav2, name, {"ZipFileContent": jar_bytes()})
    kav2.start_application(ApplicationName=name)
    assert eventually(lambda: status(kav2, name), "RUNNING") == "RUNNING"
    arn: str = kav2.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationARN"]
    return kav2, arn


def test_the_link_opens_flinks_web_ui_showing_only_that_applications_job(
    make_server: Any, fake: FakeFlink
) -> None:
    live: LiveServer = make_server(control_interval=0.05, flink_rest_url=fake.url)
    kav2, arn = running_on_flink(live, "shop")
    _, other_arn = running_on_flink(live, "other", access_key=OTHER_ACCOUNT)
    (own,) = [job for job in fake.jobs.values() if job.body["flinkConfiguration"]["pipeline.name"] == "shop"]
    (other,) = [job for job in fake.jobs.values() if job is not own]
    url = kav2.create_application_presigned_url(ApplicationName="shop", UrlType="FLINK_DASHBOARD_URL")[
        "AuthorizedUrl"
    ]

    with httpx.Client(follow_redirects=True) as browser:
        opened = browser.get(url)
        assert opened.status_code == 200 and "Apache Flink Web Dashboard" in opened.text
        base = live.url + flink_ui_url(arn)
        assert str(opened.url) == base

        assert [job["jid"] for job in browser.get(base + "jobs/overview").json()["jobs"]] == [own.job_id]
        assert [job["id"] for job in browser.get(base + "jobs").json()["jobs"]] == [own.job_id]
        assert browser.get(base + f"jobs/{own.job_id}").json()["jid"] == own.job_id
        assert browser.get(base + "config").json()["features"] == {"web-submit": False, "web-cancel": False}
        for refused in (
            f"jobs/{other.job_id}",
            f"jobs/{own.job_id}/yarn-cancel",
            "jars",
            "taskmanagers/tm-1/log",
            "jobmanager/logs",
            "applications/overview",
        ):
            assert browser.get(base + refused).status_code == 403, refused
        assert browser.post(base + f"jobs/{own.job_id}/stop", json={}).status_code == 405
        assert own.state == "RUNNING"
        assert browser.get(live.url + flink_ui_url(other_arn)).status_code == 403  # not this session's

    assert httpx.get(base).status_code == 403  # no session
    live.server.config.app.state.web.clock = lambda: time.time() + 43_300  # the session has expired
    with httpx.Client(cookies=browser.cookies) as late:
        assert late.get(base).status_code == 403


def test_only_read_paths_of_the_applications_job_are_forwarded() -> None:
    job = uuid.uuid4().hex
    for path in ("", "main.a877f62051d76ab2.js", "assets/favicon/favicon-16x16.png", "overview"):
        assert allowed(path, job), path
    for path in (f"jobs/{job}/vertices/v1/metrics", "taskmanagers/tm-1/metrics", "jobmanager/config"):
        assert allowed(path, job), path
    for path in (
        "../secrets",
        f"jobs/{uuid.uuid4().hex}/checkpoints",
        f"jobs/{job}/yarn-stop",
        "jobs/metrics",
        "jobs/overview/x",
        "jars/upload",
        "taskmanagers/tm-1/stdout",
        "taskmanagers/tm-1/thread-dump",
        "jobmanager/profiler",
        "datasets",
    ):
        assert not allowed(path, job), path
