"""Server-rendered HTML for the console and the dashboard: one layout, tables, and an SVG chart.

Pages are plain HTML with inline CSS and inline SVG: nothing is fetched from elsewhere, nothing has to
be built, and no script runs. Every value reaches the page through ``escape``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#16191f;background:#f2f3f3}
header{background:#232f3e;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
main{padding:1rem 1.2rem;max-width:80rem}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;background:#fff;width:100%;margin:.4rem 0}
th,td{border:1px solid #d5dbdb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#fafafa}.status{font-weight:600}.RUNNING,.SUCCESSFUL,.READY,.COMPLETED{color:#1d8102}
.FAILED{color:#d13212}.muted{color:#687078}pre{background:#0f1b2a;color:#d5dbdb;padding:.6rem;
overflow-x:auto;font-size:.8rem;max-height:24rem}dl{display:grid;grid-template-columns:max-content auto;
gap:.2rem 1rem}dt{font-weight:600}svg{background:#fff;border:1px solid #d5dbdb}
td pre{white-space:pre-wrap;word-break:break-word;margin:0;max-height:12rem}
"""


def escape(value: object) -> str:
    """Any value as HTML text."""
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, *, nav: str = "", refresh_s: int | None = None) -> str:
    """A whole document: header with ``nav`` (already HTML), a title and ``body`` (already HTML)."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
        f"<title>{escape(title)} · msf-local</title><style>{STYLE}</style>"
        '<link rel="icon" href="data:,"></head>'
        f"<body><header><span>msf-local</span>{nav}</header><main><h1>{escape(title)}</h1>{body}</main>"
        "</body></html>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, table_id: str = "") -> str:
    """A table; cells are HTML already (use ``escape`` for text)."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}" class="muted">None</td></tr>'
    identity = f' id="{escape(table_id)}"' if table_id else ""
    return f"<table{identity}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def status(value: str | None) -> str:
    """A status word, coloured by its meaning."""
    return f'<span class="status {escape(value)}">{escape(value)}</span>'


def timestamp(value: datetime | float | None) -> str:
    """A time as UTC ISO text (epoch seconds or an aware datetime)."""
    if value is None:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return escape(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def duration(milliseconds: float | None) -> str:
    """A duration as ``1h 2m 3s`` (or ``850 ms``)."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{int(milliseconds)} ms"
    seconds = int(milliseconds // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{seconds}s")
    return " ".join(parts)


def bar_chart(points: Sequence[tuple[str, float, bool]], *, unit: str, chart_id: str) -> str:
    """An SVG bar chart of ``(label, value, ok)`` points (failed points in red), with a value axis."""
    width, height, left, bottom, top = 640, 220, 56, 28, 12
    if not points:
        return (
            f'<svg id="{escape(chart_id)}" width="{width}" height="60" role="img" aria-label="no data">'
            '<text x="12" y="34" fill="#687078">No checkpoints yet</text></svg>'
        )
    peak = max(value for _, value, _ in points) or 1.0
    slot = (width - left - 8) / len(points)
    bar = max(2.0, slot * 0.7)
    plot = height - bottom - top
    axis = height - bottom
    axis = height - bottom
    parts = [
        f'<svg id="{escape(chart_id)}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(unit)} per checkpoint" viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{axis}" stroke="#687078"/>',
        f'<line x1="{left}" y1="{axis}" x2="{width - 4}" y2="{axis}" stroke="#687078"/>',
        f'<text x="4" y="{top + 10}" font-size="11">{escape(_short(peak))}</text>',
        f'<text x="4" y="{height - bottom}" font-size="11">0 {escape(unit)}</text>',
    ]
    step = max(1, len(points) // 10)
    for index, (label, value, ok) in enumerate(points):
        x = left + 4 + index * slot
        bar_height = max(1.0, plot * value / peak)
        colour = "#0073bb" if ok else "#d13212"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{height - bottom - bar_height:.1f}" width="{bar:.1f}" '
            f'height="{bar_height:.1f}" fill="{colour}"><title>{escape(label)}: {escape(_short(value))} '
            f"{escape(unit)}</title></rect>"
        )
        if index % step == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"
