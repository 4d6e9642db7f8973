"""The console and the job dashboard in headless Chromium: clean loads, working links, one account only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.app_helpers import python_zip
from tests.conftest import LiveServer, eventually
from tests.observability.browser import Browser
from tests.observability.helpers import ROLE, create_application, start_and_wait_running

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"
JOB = """
import logging
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

logging.getLogger("com.example.Shop").info("shop job starting")
env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=100).uid("orders").name("orders").add_sink(DiscardingSink())
env.execute("shop")
"""
CHECKPOINTS = {
    "ConfigurationType": "CUSTOM",
    "CheckpointingEnabled": True,
    "CheckpointInterval": 300,
    "MinPauseBetweenCheckpoints": 0,
}


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def accounts(make_server: Any) -> LiveServer:
    """Account 1: a running app, an app whose start failed; account 2: an app named only there."""
    live: LiveServer = make_server(control_interval=0.1)
    mine = live.client(access_key=ACCOUNT)
    create_application(mine, "shop", JOB, CheckpointConfiguration=CHECKPOINTS)
    start_and_wait_running(mine, "shop")
    mine.create_application(
        ApplicationName="broken",
        RuntimeEnvironment="FLINK-1_20",
        ServiceExecutionRole=ROLE,
        ApplicationConfiguration={
            "ApplicationCodeConfiguration": {
                "CodeContent": {"ZipFileContent": python_zip({"job.py": "print('not main.py')"})},
                "CodeContentType": "ZIPFILE",
            }
        },
    )
    mine.start_application(ApplicationName="broken", RunConfiguration={})
    theirs = live.client(access_key=OTHER_ACCOUNT, region="eu-west-1")
    create_application(theirs, "their-secret-app", JOB)
    return live


def sign_in(browser: Browser, live: LiveServer, access_key: str) -> None:
    browser.goto(live.url + "/console")
    assert browser.evaluate("document.getElementById('sign-in') !== null")
    browser.act(
        f"document.getElementById('access_key_id').value = {json.dumps(access_key)};"
        "document.getElementById('sign-in').submit()"
    )


def test_console_and_dashboard_load_cleanly_and_show_one_account(
    accounts: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    live = accounts
    sign_in(browser, live, ACCOUNT)
    listing = browser.text()
    assert "shop" in listing and "broken" in listing and "us-east-1" in listing
    assert "their-secret-app" not in listing and OTHER_ACCOUNT not in listing
    browser.screenshot("console-applications")

    # the failed start shows its failure details
    broken = live.url + "/console/application?" + urlencode({"region": "us-east-1", "name": "broken"})

    def failure_shown() -> bool:
        browser.goto(broken)
        return "The entry file 'main.py'" in browser.text()

    assert eventually(failure_shown, True, interval=0.5)
    browser.screenshot("console-failed-application")

    # follow the links: application page, then its dashboard
    browser.goto(live.url + "/console")
    browser.act("document.querySelector('a.application[href*=\"name=shop\"]').click()")
    page = browser.text()
    assert "Versions" in page and "StartApplication" in page and "SUCCESSFUL" in page
    browser.screenshot("console-application")
    browser.act("document.getElementById('dashboard-link').click()")
    assert browser.evaluate("location.pathname") == "/dashboard"
    assert "authToken" not in browser.evaluate("location.search")

    def reloaded(expression: str) -> int:
        """A number on the dashboard after a reload (checkpoints come every 0.3 s, the job's record counts
        every second)."""
        browser.goto(browser.evaluate("location.href"))
        return int(browser.evaluate(expression))

    bars = "document.querySelectorAll('#checkpoint-chart rect.bar').length"
    assert eventually(lambda: reloaded(bars) >= 2, True, interval=0.5)
    assert browser.evaluate("document.querySelectorAll('#checkpoints tbody tr').length") >= 2
    records_in = "Number(document.getElementById('records-in').textContent)"
    assert eventually(lambda: reloaded(records_in) > 0, True, interval=0.5)
    dashboard = browser.text()
    assert "orders" in dashboard and "RUNNING" in dashboard
    assert "shop job starting" in browser.evaluate("document.getElementById('log').textContent")
    browser.screenshot("dashboard")
    assert browser.errors() == []
    assert (tmp_path / "dashboard.png").stat().st_size > 0

    # another account's application is not found, whatever the URL says
    browser.goto(
        live.url + "/console/application?" + urlencode({"region": "eu-west-1", "name": "their-secret-app"})
    )
    assert browser.evaluate("document.querySelector('h1').innerText") == "Not found"
    assert OTHER_ACCOUNT not in browser.text() and "Versions" not in browser.text()


def test_the_other_account_sees_only_its_own_application(accounts: LiveServer, browser: Browser) -> None:
    live = accounts
    sign_in(browser, live, OTHER_ACCOUNT)
    listing = browser.text()
    assert "their-secret-app" in listing and "eu-west-1" in listing
    assert "shop" not in listing and "broken" not in listing and ACCOUNT not in listing
    browser.act("document.querySelector('a.application').click()")
    assert "their-secret-app" in browser.text() and "shop" not in browser.text()
    browser.screenshot("other-account-application")
    assert browser.errors() == []
