"""The console's pages: sign-in, an account's applications by Region, one application in detail."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from urllib.parse import urlencode

from app.db.models import ApplicationRow
from app.observability.monitoring import MonitoringSettings
from app.web.data import ApplicationView
from app.web.html import escape, page, status, table, timestamp

SIGN_OUT = '<form method="post" action="/console/sign-out"><button type="submit">Sign out</button></form>'


def _nav(account: str) -> str:
    return f'<a href="/console">Applications</a><span>Account {escape(account)}</span>{SIGN_OUT}'


def sign_in_page(error: str = "") -> str:
    """The sign-in form (access key id, and the secret when the server verifies signatures)."""
    message = f'<p class="FAILED" id="sign-in-error">{escape(error)}</p>' if error else ""
    form = (
        f"{message}<p>Sign in with the access key you use for the API; the console shows that "
        "key's account.</p>"
        '<form method="post" action="/console/sign-in" id="sign-in">'
        '<p><label>Access key ID <input name="access_key_id" id="access_key_id" required></label></p>'
        '<p><label>Secret access key <input name="secret_access_key" id="secret_access_key" '
        'type="password"></label></p><p><button type="submit">Sign in</button></p></form>'
    )
    return page("Sign in", form)


def application_link(row: ApplicationRow) -> str:
    """A link to an application's console page."""
    query = urlencode({"region": row.region, "name": row.application_name})
    return f'<a class="application" href="/console/application?{query}">{escape(row.application_name)}</a>'


def applications_page(account: str, rows: Sequence[tuple[ApplicationRow, MonitoringSettings]]) -> str:
    """Every application of the account, one table per Region."""
    sections = []
    for region, group in groupby(rows, key=lambda pair: pair[0].region):
        body = [
            (
                application_link(row),
                status(row.status),
                escape(row.current_version_id),
                escape(row.runtime_environment),
                escape(settings.parallelism),
                timestamp(row.create_timestamp),
            )
            for row, settings in group
        ]
        sections.append(
            f"<h2>{escape(region)}</h2>"
            + table(("Application", "Status", "Version", "Runtime", "Parallelism", "Created"), body)
        )
    if not sections:
        sections.append('<p class="muted">This account has no applications.</p>')
    return page(f"Applications of account {account}", "".join(sections), nav=_nav(account))


def application_page(account: str, view: ApplicationView, dashboard_href: str) -> str:
    """One application: summary, dashboard link, versions, operations (with failures), snapshots."""
    row = view.application
    monitoring = view.monitoring
    link = (
        f'<p><a id="dashboard-link" href="{escape(dashboard_href)}">Open the Flink dashboard</a></p>'
        if row.status == "RUNNING"
        else '<p class="muted">The Flink dashboard is available while the application is running.</p>'
    )
    summary = (
        "<dl>"
        f"<dt>ARN</dt><dd>{escape(row.application_arn)}</dd>"
        f"<dt>Region</dt><dd>{escape(row.region)}</dd>"
        f"<dt>Status</dt><dd>{status(row.status)}</dd>"
        f"<dt>Version</dt><dd>{escape(row.current_version_id)}</dd>"
        f"<dt>Runtime</dt><dd>{escape(row.runtime_environment)}</dd>"
        f"<dt>Parallelism</dt><dd>{escape(monitoring.parallelism)} ({escape(monitoring.kpus)} KPU)</dd>"
        f"<dt>Logging</dt><dd>{escape(monitoring.log_level)}; metrics {escape(monitoring.metrics_level)}</dd>"
        "</dl>"
    )
    versions = table(
        ("Version", "Status", "Created", "Updated from", "Rolled back from"),
        [
            (
                escape(version.version_id),
                status(version.status),
                timestamp(version.create_timestamp),
                escape(version.updated_from or ""),
                escape(version.rolled_back_from or ""),
            )
            for version in view.versions
        ],
        table_id="versions",
    )
    operations = table(
        ("Operation", "ID", "Status", "Started", "Ended", "Failure"),
        [
            (
                escape(operation.operation),
                escape(operation.operation_id),
                status(operation.status),
                timestamp(operation.start_time),
                timestamp(operation.end_time),
                f"<pre>{escape(operation.error_string)}</pre>" if operation.error_string else "",
            )
            for operation in view.operations
        ],
        table_id="operations",
    )
    snapshots = table(
        ("Snapshot", "Status", "Version", "Created"),
        [
            (
                escape(snapshot.snapshot_name),
                status(snapshot.status),
                escape(snapshot.application_version_id),
                timestamp(snapshot.creation_timestamp),
            )
            for snapshot in view.snapshots
        ],
        table_id="snapshots",
    )
    body = (
        summary
        + link
        + "<h2>Versions</h2>"
        + versions
        + "<h2>Operations</h2>"
        + operations
        + "<h2>Snapshots</h2>"
        + snapshots
    )
    return page(row.application_name, body, nav=_nav(account))
