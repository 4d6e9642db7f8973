"""The demo application the walk creates: its names, role and code (shared by every folder)."""

from __future__ import annotations

import base64
import io
import zipfile

APP = "{{applicationName}}"
SQL_APP = "{{applicationName}}-sql"
ROLE = "arn:aws:iam::{{accountId}}:role/msf-demo-role"
DETAIL = "ApplicationDetail"


def _demo_code() -> str:
    """The demo application's code: a one-file zip (fixed timestamp), base64 as ZipFileContent travels."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("main.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, "print('the demo application is never started')\n")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


DEMO_CODE = _demo_code()
FLINK_DESCRIPTION = f"{DETAIL}.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription"
