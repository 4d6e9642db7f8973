"""The job dashboard page: status, operators, uptime, restarts and causes, checkpoints, logs, records."""

from __future__ import annotations

from pathlib import Path

from app.web.data import ApplicationView
from app.web.html import bar_chart, duration, escape, page, status, table, timestamp
from runtime_adapter.insight import JobInsight

LOG_LINES = 100
HISTORY_ROWS = 50
LOG_TAIL_BYTES = 64 * 1024
REFRESH_S = 10


def recent_log_lines(files: tuple[Path, ...], limit: int = LOG_LINES) -> list[str]:
    """The last ``limit`` lines of the job's log files (oldest attempt first)."""
    lines: list[str] = []
    for path in files:
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - LOG_TAIL_BYTES))
                lines.extend(handle.read().decode("utf-8", "replace").splitlines())
        except OSError:
            continue
    return lines[-limit:]


def _overview(view: ApplicationView, insight: JobInsight | None, now_s: float) -> str:
    application = view.application
    monitoring = view.monitoring
    items = [
        ("Application", escape(application.application_name)),
        ("ARN", escape(application.application_arn)),
        ("Status", status(application.status)),
        ("Version", escape(application.current_version_id)),
        ("Runtime", escape(application.runtime_environment)),
        ("Parallelism", escape(monitoring.parallelism)),
        ("KPUs", escape(monitoring.kpus)),
    ]
    if insight is not None:
        now_ms = int(now_s * 1000)
        up = now_ms - insight.running_since_ms if insight.running_since_ms is not None else None
        down = now_ms - insight.down_since_ms if insight.down_since_ms is not None else None
        items += [
            ("Job", escape(insight.job_id)),
            ("Uptime", duration(max(0, up)) if up is not None else '<span class="muted">not running</span>'),
            ("Downtime", duration(max(0, down)) if down is not None else "0 s"),
            ("Full restarts", escape(insight.full_restarts)),
            ("Records in", f'<span id="records-in">{insight.records_in}</span>'),
            ("Records out", f'<span id="records-out">{insight.records_out}</span>'),
        ]
        if insight.millis_behind_latest is not None:
            items.append(("Behind latest", duration(insight.millis_behind_latest)))
    return "<dl>" + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in items) + "</dl>"


def _checkpoints(insight: JobInsight) -> str:
    history = insight.checkpoints
    points = [
        (str(entry.get("id")), float(entry.get("duration_ms") or 0), entry.get("status") == "COMPLETED")
        for entry in history
        if entry.get("status") in ("COMPLETED", "FAILED")
    ]
    rows = [
        (
            escape(entry.get("id")),
            status(entry.get("status")),
            timestamp(int(entry.get("trigger_timestamp_ms") or 0) / 1000),
            duration(entry.get("duration_ms")),
            escape(f"{int(entry.get('state_size') or 0):,} B"),
            "savepoint" if entry.get("is_savepoint") else "checkpoint",
            escape(entry.get("failure_reason") or ""),
        )
        for entry in reversed(history[-HISTORY_ROWS:])
    ]
    return (
        "<h2>Checkpoint duration</h2>"
        + bar_chart(points[-60:], unit="ms", chart_id="checkpoint-chart")
        + "<h2>Checkpoint history</h2>"
        + table(
            ("ID", "Status", "Triggered", "Duration", "Size", "Kind", "Failure"),
            rows,
            table_id="checkpoints",
        )
    )


def render_dashboard(title: str, view: ApplicationView, insight: JobInsight | None, now_s: float) -> str:
    """The whole dashboard page (refreshes itself every few seconds)."""
    body = [_overview(view, insight, now_s)]
    if insight is None:
        body.append('<p class="muted">No job figures: the application has no job running in this server.</p>')
        return page(title, "".join(body), refresh_s=REFRESH_S)
    body.append("<h2>Operators</h2>")
    body.append(
        table(
            ("Operator", "Parallelism", "Records in", "Records out"),
            [
                (escape(op.name), escape(op.parallelism), escape(op.records_in), escape(op.records_out))
                for op in insight.operators
            ],
            table_id="operators",
        )
    )
    body.append("<h2>Restarts</h2>")
    body.append(
        table(
            ("#", "Failed at", "Cause"),
            [
                (escape(index), timestamp(entry.failed_at_ms / 1000), f"<pre>{escape(entry.cause)}</pre>")
                for index, entry in enumerate(insight.failures, start=1)
            ],
            table_id="restarts",
        )
    )
    body.append(_checkpoints(insight))
    lines = recent_log_lines(insight.log_files)
    body.append("<h2>Recent log lines</h2>")
    body.append(f'<pre id="log">{escape(chr(10).join(lines)) or "(no log lines yet)"}</pre>')
    return page(title, "".join(body), refresh_s=REFRESH_S)
