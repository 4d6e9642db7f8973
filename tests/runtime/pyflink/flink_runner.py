"""Runs PyFlink program files one after another with the *real* apache-flink (local mini cluster), in one
interpreter so the JVM starts once. Usage: ``python flink_runner.py PROGRAM_DIR NAME...``. Each program's
output is framed by ``=== begin NAME`` / ``=== end NAME`` lines; a failure prints ``=== failed NAME: ...``.

Periodic watermarks are off (``pipeline.auto-watermark-interval: 0``), so event time advances only at the end
of the bounded input: with them on, PyFlink's Python operators can let a periodic watermark overtake records
still buffered in a bundle, and the window operator drops those records as late in some runs and not in
others. The programs compared here have no late records by design, so their output does not depend on it.

Not imported by the tests: it runs in the interpreter that has apache-flink installed."""

import os
import runpy
import sys

from pyflink.datastream import StreamExecutionEnvironment

_environment = StreamExecutionEnvironment.get_execution_environment


def _without_periodic_watermarks(*args, **kwargs):
    env = _environment(*args, **kwargs)
    env.get_config().set_auto_watermark_interval(0)
    return env


StreamExecutionEnvironment.get_execution_environment = staticmethod(_without_periodic_watermarks)


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
