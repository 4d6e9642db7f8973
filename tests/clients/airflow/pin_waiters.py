"""Pin the kinesisanalyticsv2 waiters of Apache Airflow's Amazon provider, verbatim, for the tests.

The provider package depends on Apache Airflow itself, far too heavy for a test-only dependency, so
the tests load a pinned copy of its waiter JSON. This script makes that copy: it downloads the
provider's wheel with pip (no dependencies), copies ``airflow/providers/amazon/aws/waiters/
kinesisanalyticsv2.json`` byte for byte next to this file and records where it came from (package,
version, wheel, SHA-256 of wheel and file) in ``SOURCE.json``. Run it again to move to a new release:

    .venv/bin/python -m tests.clients.airflow.pin_waiters [VERSION]
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "apache-airflow-providers-amazon"
VERSION = "9.39.0"
MEMBER = "airflow/providers/amazon/aws/waiters/kinesisanalyticsv2.json"
HERE = Path(__file__).resolve().parent
PINNED = HERE / "kinesisanalyticsv2.json"
SOURCE = HERE / "SOURCE.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pin(version: str) -> dict[str, str]:
    """Download the provider wheel, copy the waiter file and write SOURCE.json; the record written."""
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                directory,
                f"{PACKAGE}=={version}",
            ],
            check=True,
        )
        (wheel,) = Path(directory).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            waiters = archive.read(MEMBER)
        record = {
            "package": PACKAGE,
            "version": version,
            "wheel": wheel.name,
            "wheel_sha256": sha256(wheel.read_bytes()),
            "path_in_wheel": MEMBER,
            "file_sha256": sha256(waiters),
            "license": "Apache-2.0 (the Apache Airflow project)",
            "generated_by": "tests/clients/airflow/pin_waiters.py",
        }
    PINNED.write_bytes(waiters)
    SOURCE.write_text(json.dumps(record, indent=2) + "\n")
    return record


if __name__ == "__main__":
    print(json.dumps(pin(sys.argv[1] if len(sys.argv) > 1 else VERSION), indent=2))
