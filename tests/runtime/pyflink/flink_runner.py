"""Runs PyFlink program files one after another with the *real* apache-flink (local mini cluster), in one
interpreter so the JVM starts once. Usage: ``python flink_runner.py PROGRAM_DIR NAME...``. Each program's
output is framed by ``=== begin NAME`` / ``=== end NAME`` lines; a failure prints ``=== failed NAME: ...``.

Every program starts from an environment with periodic watermarks off (``pipeline.auto-watermark-interval:
0``) and a default parallelism of 1 (a program that sets its own keeps it), so neither event time nor the
order in which records reach an operator depends on thread timing. At the mini cluster's default
parallelism (the number of cores) real PyFlink's output of p05 (session windows merged by a Python reduce)
varied between runs: some runs lost the first two records of a merged session. The programs compared here
have no late records by design, so with event time advancing only at the end of the bounded input their
expected output is the same.

Not imported by the tests: it runs in the interpreter that has apache-flink installed."""

import os
import runpy
import sys

from pyflink.datastream import StreamExecutionEnvironment

_environment = StreamExecutionEnvironment.get_execution_environment


def _deterministic_environment(*args, **kwargs):
    env = _environment(*args, **kwargs)
    env.get_config().set_auto_watermark_interval(0)
    env.set_parallelism(1)
    return env


StreamExecutionEnvironment.get_execution_environment = staticmethod(_deterministic_environment)


def main() -> None:
    folder, names = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, folder)
    for name in names:
        print(f"=== begin {name}", flush=True)
        try:
            runpy.run_path(os.path.join(folder, f"{name}.py"), run_name="__main__")
        except BaseException as exc:
            print(f"=== failed {name}: {type(exc).__name__}: {str(exc)[-500:]}", flush=True)
        sys.modules.pop("common_input", None)
        print(f"=== end {name}", flush=True)


if __name__ == "__main__":
    main()
