"""With ``serve --workers 2`` a dashboard link works through any worker, with the job's figures from the
controlling process (where the jobs run)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.test_workers import serve_with_workers
from tests.conftest import eventually
from tests.observability.helpers import LOGGING_JOB, create_application, status


def test_a_dashboard_link_opens_through_any_worker_with_the_jobs_figures(tmp_path: Path) -> None:
    with serve_with_workers(tmp_path / "data", runtime="embedded") as served:
        kav2 = served.client()
        create_application(kav2, "dashboard", LOGGING_JOB)
        kav2.start_application(ApplicationName="dashboard", RunConfiguration={})
        assert eventually(lambda: status(kav2, "dashboard"), "RUNNING", interval=0.1) == "RUNNING"
        url = kav2.create_application_presigned_url(
            ApplicationName="dashboard", UrlType="FLINK_DASHBOARD_URL"
        )["AuthorizedUrl"]
        assert url.startswith(f"http://127.0.0.1:{served.port}/dashboard?")
        with httpx.Client(follow_redirects=True) as browser:
            opened = browser.get(url)
            assert opened.status_code == 200, opened.text
            for _ in range(6):  # a new connection each time, so both workers answer some
                again = httpx.get(str(opened.url), cookies=browser.cookies)
                assert again.status_code == 200 and "Checkpoint history" in again.text  # the job's figures
        kav2.stop_application(ApplicationName="dashboard")
        assert eventually(lambda: status(kav2, "dashboard"), "READY", interval=0.1) == "READY"
