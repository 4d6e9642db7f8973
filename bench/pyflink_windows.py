"""Benchmark (not a test): a tumbling event-time window count over 10 000 keys with 1 s checkpoints
(``pyflink_window_job.py``, a PyFlink program) on the embedded runtime, on real PyFlink (local mini cluster,
process mode) in the same run when an interpreter with apache-flink is given, and the same windowed count in
Bytewax 0.21 with recovery on; plus job start to first output (``pyflink_first_output_job.py``).

Usage: .venv/bin/python bench/pyflink_windows.py [--records N] [--rounds R] [--pyflink-python PATH]
       [--skip-bytewax]  (PATH defaults to $MSF_PYFLINK_PYTHON; real PyFlink is skipped without one)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from runtime_throughput import ensure_bytewax

from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.pyflink_imports import pyflink_imports
from stream_runtime.storage import LocalCheckpointStorage

HERE = Path(__file__).resolve().parent
WINDOW_JOB = HERE / "pyflink_window_job.py"
FIRST_OUTPUT_JOB = HERE / "pyflink_first_output_job.py"
BUDGET_S = 1800


def embedded_window_count(records: int) -> float:
    """Records/s of the window job run in this process (the job code is the same file real PyFlink runs)."""
    import runpy

    os.environ["BENCH_RECORDS"] = str(records)
    storage = LocalCheckpointStorage(tempfile.mkdtemp(prefix="pyflink-bench-"))
    with (
        pyflink_imports(),
        launch_options(LaunchOptions(job_id="bench", storage=storage, log=lambda _: None)),
    ):
        started = time.perf_counter()
        runpy.run_path(str(WINDOW_JOB), run_name="__main__")
        return records / (time.perf_counter() - started)


def first_output_s(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``command`` to its first line on stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.communicate(timeout=BUDGET_S)
    if not line:
        raise RuntimeError(f"{command} printed nothing")
    return elapsed


def embedded_command(job: Path) -> list[str]:
    """How the control plane starts an embedded job."""
    checkpoints = tempfile.mkdtemp(prefix="pyflink-bench-")
    return [
        sys.executable,
        "-m",
        "stream_runtime",
        "run",
        str(job),
        "--job-id",
        "b",
        "--checkpoint-dir",
        checkpoints,
    ]


def real_pyflink_window_count(python: str, records: int, env: dict[str, str]) -> dict[str, float]:
    """Wall time of the window job on real PyFlink (JVM and mini cluster start included) and records/s."""
    started = time.perf_counter()
    subprocess.run(
        [python, str(WINDOW_JOB)],
        env={**env, "BENCH_RECORDS": str(records)},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=BUDGET_S,
    )
    wall = time.perf_counter() - started
    return {"wall_s": wall, "records_per_s": records / wall}


def bytewax_window_count(records: int) -> dict[str, Any]:
    """The Bytewax flow's own figures (it times its run itself)."""
    python = ensure_bytewax()
    with tempfile.TemporaryDirectory(prefix="bytewax-recovery-") as recovery:
        result = subprocess.run(
            [str(python), str(HERE / "pyflink_window_bytewax.py"), str(records), recovery],
            capture_output=True,
            text=True,
            check=True,
            timeout=BUDGET_S,
        )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pyflink-python", default=os.environ.get("MSF_PYFLINK_PYTHON"))
    parser.add_argument("--skip-bytewax", action="store_true")
    args = parser.parse_args()
    figures: dict[str, Any] = {"records": args.records, "keys": 10_000, "checkpoint_interval_ms": 1000}
    embedded = [embedded_window_count(args.records) for _ in range(args.rounds)]
    figures["embedded_records_per_s"] = {"median": statistics.median(embedded), "all": embedded}
    plain_env = dict(os.environ)
    starts = [first_output_s(embedded_command(FIRST_OUTPUT_JOB), plain_env) for _ in range(args.rounds)]
    figures["embedded_first_output_s"] = {"median": statistics.median(starts), "all": starts}
    if args.pyflink_python:
        folder = str(Path(args.pyflink_python).parent)  # its venv's bin, for Flink's python workers
        env = {**plain_env, "PATH": f"{folder}{os.pathsep}{plain_env.get('PATH', '')}"}
        figures["pyflink_first_output_s"] = first_output_s([args.pyflink_python, str(FIRST_OUTPUT_JOB)], env)
        figures["pyflink_window_count"] = real_pyflink_window_count(args.pyflink_python, args.records, env)
        figures["ratio_embedded_vs_pyflink"] = (
            figures["embedded_records_per_s"]["median"] / figures["pyflink_window_count"]["records_per_s"]
        )
    if not args.skip_bytewax:
        figures["bytewax"] = bytewax_window_count(args.records)
        figures["ratio_embedded_vs_bytewax"] = (
            figures["embedded_records_per_s"]["median"] / figures["bytewax"]["records_per_s"]
        )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
