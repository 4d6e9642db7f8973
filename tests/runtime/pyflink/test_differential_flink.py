"""The differential proof's Flink side: the same PyFlink programs on real Apache Flink (the apache-flink
wheel's local mini cluster, Java 17) print the same lines as on the embedded runtime.

Runs when an interpreter with apache-flink is available: ``MSF_PYFLINK_PYTHON`` names it, else this
interpreter is used if it has the package. Programs in ``EMBEDDED_ONLY`` use a Python watermark generator
PyFlink does not have and are skipped. All programs run in one interpreter (one JVM)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.runtime.pyflink.harness import PROGRAMS
from tests.runtime.pyflink.test_programs import EMBEDDED_ONLY, EXPECTED

pytestmark = pytest.mark.flink_jvm  # every program runs on a real PyFlink mini cluster

RUNNER = Path(__file__).parent / "flink_runner.py"
BUDGET_S = 1200
_PREFIX = re.compile(r"^\d+> ")


def _flink_python() -> str | None:
    candidate = os.environ.get("MSF_PYFLINK_PYTHON") or sys.executable
    probe = "import importlib.util as u; s = u.find_spec('pyflink'); print(bool(s and s.origin))"
    try:
        found = subprocess.run(
            [candidate, "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    return candidate if found.stdout.strip() == "True" and shutil.which("java") else None


def _sections(output: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("=== begin "):
            current = sections.setdefault(line.removeprefix("=== begin "), [])
        elif line.startswith("=== end "):
            current = None
        elif current is not None:
            current.append(_PREFIX.sub("", line))
    return sections


@pytest.mark.timeout(BUDGET_S + 60)  # one JVM runs every program: minutes on a loaded 2-core machine
def test_programs_print_the_same_lines_on_real_flink(tmp_path: Path) -> None:
    python = _flink_python()
    if python is None:
        pytest.skip("no interpreter with apache-flink and Java (set MSF_PYFLINK_PYTHON)")
    names = sorted(set(EXPECTED) - EMBEDDED_ONLY)
    folder = Path(python).parent  # the venv's bin, not resolved: Flink starts `python` workers from PATH
    env = {
        **os.environ,
        "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}",
    }  # Flink's Python workers
    result = subprocess.run(
        [python, str(RUNNER), str(PROGRAMS), *names],
        capture_output=True,
        text=True,
        timeout=BUDGET_S,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    failed = [line for line in result.stdout.splitlines() if line.startswith("=== failed")]
    assert not failed, failed
    outputs = _sections(result.stdout)
    mismatches = {
        name: sorted(outputs.get(name, []))
        for name in names
        if Counter(outputs.get(name, [])) != Counter(EXPECTED[name])
    }
    assert not mismatches, mismatches
