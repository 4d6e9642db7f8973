"""CreateApplicationPresignedUrl through boto3, and the link it returns, with the server's clock injected."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.api.app_helpers import aws_error
from tests.conftest import LiveServer
from tests.observability.helpers import LOGGING_JOB, create_application, start_and_wait_running

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"


class Clock:
    """The dashboard's clock: real time until the test sets ``now``."""

    def __init__(self) -> None:
        self.now: float | None = None

    def __call__(self) -> float:
        return time.time() if self.now is None else self.now


@pytest.fixture
def running(make_server: Any) -> tuple[LiveServer, Clock]:
    """A live server with one RUNNING application per account, and the dashboard clock."""
    live: LiveServer = make_server(control_interval=0.1)
    clock = Clock()
    live.server.config.app.state.web.clock = clock
    for account in (ACCOUNT, OTHER_ACCOUNT):
        kav2 = live.client(access_key=account)
        create_application(kav2, "shop", LOGGING_JOB)
        start_and_wait_running(kav2, "shop")
    return live, clock


def presign(live: LiveServer, account: str = ACCOUNT, **extra: Any) -> str:
    url: str = live.client(access_key=account).create_application_presigned_url(
        ApplicationName="shop", UrlType="FLINK_DASHBOARD_URL", **extra
    )["AuthorizedUrl"]
    return url


def test_a_valid_link_opens_the_dashboard_and_its_session_lasts_as_asked(
    running: tuple[LiveServer, Clock],
) -> None:
    live, clock = running
    issued = time.time()
    url = presign(live, SessionExpirationDurationInSeconds=1800)
    assert url.startswith(live.url + "/dashboard?")
    with httpx.Client(follow_redirects=True) as browser:
        opened = browser.get(url)
        assert opened.status_code == 200, opened.text
        assert "shop" in opened.text and "Checkpoint history" in opened.text
        assert "authToken" not in str(opened.url)  # the token is exchanged for a session cookie
        clock.now = issued + 1790
        assert browser.get(str(opened.url)).status_code == 200
        clock.now = issued + 1805
        assert browser.get(str(opened.url)).status_code == 403


def test_a_link_must_be_opened_within_three_minutes(running: tuple[LiveServer, Clock]) -> None:
    live, clock = running
    issued = time.time()
    url = presign(live)
    clock.now = issued + 186
    assert httpx.get(url).status_code == 403
    clock.now = issued + 175
    assert httpx.get(url).status_code == 303


def test_tampered_and_other_account_links_are_refused(running: tuple[LiveServer, Clock]) -> None:
    live, _ = running
    url = presign(live)
    query = parse_qs(urlsplit(url).query)
    token = query["authToken"][0]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    arn = query["application"][0]
    other_arn = arn.replace(ACCOUNT, OTHER_ACCOUNT)
    base = live.url + "/dashboard?"
    assert httpx.get(base + urlencode({"application": arn, "authToken": forged})).status_code == 403
    assert httpx.get(base + urlencode({"application": other_arn, "authToken": token})).status_code == 403
    assert httpx.get(base + urlencode({"application": arn})).status_code == 403  # no session
    with httpx.Client(follow_redirects=True) as browser:  # a session for one application opens no other
        assert browser.get(url).status_code == 200
        assert browser.get(base + urlencode({"application": other_arn})).status_code == 403


def test_sessions_are_refused_for_a_deleted_and_recreated_application(
    running: tuple[LiveServer, Clock],
) -> None:
    live, _ = running
    kav2 = live.client(access_key=ACCOUNT)
    url = presign(live)
    created = kav2.describe_application(ApplicationName="shop")["ApplicationDetail"]["CreateTimestamp"]
    kav2.delete_application(ApplicationName="shop", CreateTimestamp=created)
    assert httpx.get(url).status_code == 403


def test_only_running_flink_applications_get_a_link(make_server: Any) -> None:
    live: LiveServer = make_server(control_interval=0.1)
    kav2 = live.client(access_key=ACCOUNT)
    create_application(kav2, "shop", LOGGING_JOB)
    with aws_error("ResourceInUseException", "is not running"):
        presign(live)
    with aws_error("ResourceNotFoundException"):
        kav2.create_application_presigned_url(ApplicationName="nope", UrlType="FLINK_DASHBOARD_URL")
    with aws_error("InvalidArgumentException", "ZEPPELIN_UI_URL"):
        kav2.create_application_presigned_url(ApplicationName="shop", UrlType="ZEPPELIN_UI_URL")
    unvalidated = boto3.client(
        "kinesisanalyticsv2",
        endpoint_url=live.url,
        region_name="us-east-1",
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="secret",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    for seconds in (1799, 43201):
        with aws_error("ValidationException", "sessionExpirationDurationInSeconds"):
            unvalidated.create_application_presigned_url(
                ApplicationName="shop",
                UrlType="FLINK_DASHBOARD_URL",
                SessionExpirationDurationInSeconds=seconds,
            )
