"""The presigned dashboard link of an application on Flink opens Flink's own web UI, proxied by msf-local:
only behind the link's session, only GETs, only that application's job and Flink application (fake Flink
REST server; Flink 2.3's application views filtered as recorded from a real cluster)."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import httpx

from app.web.flink_proxy import allowed, filter_answer, flink_ui_url
from tests.conftest import LiveServer, eventually
from tests.control.test_live_server import create, status
from tests.flink.fake_flink import FakeFlink, FakeJob
from tests.flink.test_api_routing import jar_bytes

OTHER_ACCOUNT = "444455556666"

# Recorded from a real Flink 2.3 session cluster (three jobs submitted through /jars/:id/run, as msf-local
# submits them; each is a Flink application of its own with the job's id), trimmed.
SHOP = "a003fd92a2534a3c9d89938e18df663d"
RIVAL = "7010645a1101ff30184ff43e2bad7c87"
BROKEN = "b89b0c67e6484387aae08f73d6d5b3ad"
TASKS = {"running": 2, "canceling": 0, "canceled": 0, "total": 2, "created": 0, "scheduled": 0}
TASKS |= {"deploying": 0, "reconciling": 0, "finished": 0, "initializing": 0, "failed": 0}
APPLICATIONS_OVERVIEW = {
    "applications": [
        {"id": RIVAL, "name": "SingleJobApplication(counting-job)", "start-time": 1796426842810}
        | {"end-time": -1, "duration": 10457, "status": "RUNNING", "jobs": {"RUNNING": 1}},
        {"id": SHOP, "name": "SingleJobApplication(counting-job)", "start-time": 1796426841048}
        | {"end-time": -1, "duration": 12223, "status": "RUNNING", "jobs": {"RUNNING": 1}},
        {"id": BROKEN, "name": "SingleJobApplication(counting-job)", "start-time": 1796426842257}
        | {"end-time": 1796426843428, "duration": 1171, "status": "FAILED", "jobs": {"FAILED": 1}},
    ]
}
JOB = {
    "name": "counting-job",
    "jobType": "STREAMING",
    "schedulerType": "Default",
    "start-time": 1796426841060,
}
JOB |= {"end-time": -1, "duration": 12213, "state": "RUNNING", "last-modification": 1796426843077}
APPLICATION = {"id": SHOP, "name": "SingleJobApplication(counting-job)", "status": "RUNNING"}
APPLICATION |= {"start-time": 1796426841050, "end-time": -1, "duration": 12221}
APPLICATION |= {"timestamps": {"CREATED": 1796426841048, "FAILING": 0, "FAILED": 0, "RUNNING": 1796426841050}}
APPLICATION |= {"jobs": [JOB | {"jid": SHOP, "tasks": TASKS, "pending-operators": 0}]}
FAILURE = {
    "exceptionName": "org.apache.flink.runtime.JobException",
    "stacktrace": "org.apache.flink.runtime.JobException: Recovery is suppressed by "
    "NoRestartBackoffTimeStrategy\n\tat org.apache.flink.runtime.executiongraph.failover."
    "ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:213)",
    "timestamp": 1796426843468,
    "jobId": BROKEN,
}


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
        # Flink 2.3's application views: the Flink application holding the job (here one more job of its
        # program runs in it, and failed), reduced to the job
        extra = FakeJob(
            "e" * 32, {"flinkConfiguration": {"pipeline.name": "extra"}}, in_application=own.job_id
        )
        fake.jobs[extra.job_id] = extra
        fake.fail_job(extra.job_id, "java.lang.IllegalStateException: the extra job's failure")
        (listed,) = browser.get(base + "applications/overview").json()["applications"]
        assert listed["id"] == own.job_id and listed["jobs"] == {"RUNNING": 1}
        application = browser.get(base + f"applications/{own.job_id}").json()
        assert [job["jid"] for job in application["jobs"]] == [own.job_id]
        exceptions = browser.get(base + f"applications/{own.job_id}/exceptions").json()
        assert exceptions == {"exceptionHistory": {"entries": []}}
        for refused in (
            f"jobs/{other.job_id}",
            f"jobs/{own.job_id}/yarn-cancel",
            "jars",
            "taskmanagers/tm-1/log",
            "jobmanager/logs",
            f"applications/{other.job_id}",  # the Flink application of another account's job
            f"applications/{other.job_id}/exceptions",
            f"applications/{own.job_id}/cancel",
        ):
            assert browser.get(base + refused).status_code == 403, refused
        assert browser.post(base + f"jobs/{own.job_id}/stop", json={}).status_code == 405
        assert browser.post(base + f"applications/{own.job_id}/cancel", json={}).status_code == 405
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


def test_flinks_application_views_show_the_flink_application_of_the_job_only() -> None:
    overview = copy.deepcopy(APPLICATIONS_OVERVIEW)
    filter_answer("applications/overview", overview, SHOP, SHOP)
    assert overview == {"applications": [APPLICATIONS_OVERVIEW["applications"][1]]}
    unknown = copy.deepcopy(APPLICATIONS_OVERVIEW)  # Flink has not said which application holds it
    filter_answer("applications/overview", unknown, SHOP, None)
    assert unknown == {"applications": []}

    single = copy.deepcopy(APPLICATION)
    filter_answer(f"applications/{SHOP}", single, SHOP, SHOP)
    assert single == APPLICATION
    shared = copy.deepcopy(APPLICATION)  # an application whose program ran another job as well
    shared["jobs"].append(JOB | {"jid": RIVAL, "tasks": TASKS})
    filter_answer(f"applications/{SHOP}", shared, SHOP, SHOP)
    assert [job["jid"] for job in shared["jobs"]] == [SHOP]

    own = FAILURE | {"jobId": SHOP}
    main_failed = {key: FAILURE[key] for key in ("exceptionName", "stacktrace", "timestamp")}  # names no job
    exceptions = {"exceptionHistory": {"entries": [FAILURE, own, main_failed]}}
    filter_answer(f"applications/{SHOP}/exceptions", exceptions, SHOP, SHOP)
    assert exceptions == {"exceptionHistory": {"entries": [own, main_failed]}}

    assert allowed("applications/overview", SHOP, None) and allowed("applications/overview", SHOP, SHOP)
    assert allowed(f"applications/{SHOP}", SHOP, SHOP) and allowed(
        f"applications/{SHOP}/exceptions", SHOP, SHOP
    )
    for path in (
        f"applications/{RIVAL}",
        f"applications/{RIVAL}/exceptions",
        f"applications/{SHOP}/cancel",
        f"applications/{SHOP}/jobmanager/config",
        "applications/overview/x",
        "applications",
    ):
        assert not allowed(path, SHOP, SHOP), path
    assert not allowed(f"applications/{SHOP}", SHOP, None)
