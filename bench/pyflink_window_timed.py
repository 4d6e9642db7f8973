"""Times ``pyflink_window_job.py`` on real PyFlink in a warm interpreter, as the embedded runtime and Bytewax
are timed: a small warm-up run first starts the JVM (its wall time is reported as ``cold_start_s``), then the
measured run's ``execute()`` (its local mini cluster and Python worker included) is timed.

Usage: python pyflink_window_timed.py RECORDS [WARMUP_RECORDS] → one JSON line. Run with the interpreter that
has apache-flink; not imported by the project."""

import json
import os
import runpy
import sys
import time

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyflink_window_job.py")


def timed_run(records: int) -> float:
    """Seconds to run the window job over ``records`` records in this interpreter."""
    os.environ["BENCH_RECORDS"] = str(records)
    started = time.perf_counter()
    runpy.run_path(JOB, run_name="__main__")
    return time.perf_counter() - started


def main() -> None:
    records = int(sys.argv[1])
    warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    cold = timed_run(warmup)
    seconds = timed_run(records)
    figures = {
        "records": records,
        "seconds": seconds,
        "records_per_s": records / seconds,
        "cold_start_s": cold,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
