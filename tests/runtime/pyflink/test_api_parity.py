"""Every public method of real PyFlink 2.3's DataStream classes exists on the embedded runtime and accepts
the same parameter names, except the environment methods listed in ``NOT_ON_EMBEDDED`` (with why).

The comparison runs in an interpreter that has apache-flink (``MSF_PYFLINK_PYTHON`` or this one): CI installs
the ``flink`` extra, so it runs there; without apache-flink it is skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).parent / "parity_probe.py"
PROJECT = Path(__file__).parents[3]

# StreamExecutionEnvironment methods the embedded runtime does not offer, and why.
NOT_ON_EMBEDDED = {
    "add_python_archive": "archives are unpacked for a Python worker; embedded jobs use installed packages",
    "create_input": "takes a Java InputFormat",
    "enable_changelog_state_backend": "the changelog state backend is Java-only",
    "is_changelog_state_backend_enabled": "the changelog state backend is Java-only",
    "execute_async": "jobs run in their own process, started by the control plane, and are awaited",
    "get_execution_plan": "no Flink JobGraph/JSON plan is built",
    "register_cached_file": "the distributed cache ships files to TaskManagers; there are none",
    "register_slot_sharing_group": "one process runs every subtask: no slots",
    "get_default_local_parallelism": "local environments are a Java client feature",
    "set_default_local_parallelism": "local environments are a Java client feature",
    "get_default_savepoint_directory": "savepoint locations are chosen by the control plane",
    "set_default_savepoint_directory": "savepoint locations are chosen by the control plane",
    "get_checkpointing_consistency_mode": "Flink 2.x's new name; get_checkpointing_mode is offered",
    "is_force_unaligned_checkpoints": "checkpoints are always aligned",
    "is_unaligned_checkpoints_enabled": "checkpoints are always aligned",
    "is_chaining_of_operators_with_different_max_parallelism_enabled": "chaining is not configurable",
}


def _report() -> dict[str, dict[str, list[str]]]:
    python = os.environ.get("MSF_PYFLINK_PYTHON") or sys.executable
    probe = "import importlib.util as u; s = u.find_spec('pyflink'); print(bool(s and s.origin))"
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    if found.stdout.strip() != "True":
        pytest.skip("no interpreter with apache-flink (set MSF_PYFLINK_PYTHON)")
    result = subprocess.run(
        [python, str(PROBE), str(PROJECT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report: dict[str, dict[str, list[str]]] = json.loads(result.stdout)
    return report


def test_datastream_classes_match_real_pyflink() -> None:
    report = _report()
    missing = {name: entry["missing"] for name, entry in report.items() if entry["missing"]}
    parameters = {name: entry["parameters"] for name, entry in report.items() if entry["parameters"]}
    assert missing == {"StreamExecutionEnvironment": sorted(NOT_ON_EMBEDDED)}
    assert parameters == {}
    assert {"DataStream", "KeyedStream", "CachedDataStream", "DataStreamSink"} <= set(report)
