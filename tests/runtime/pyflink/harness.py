"""Runs a PyFlink program file on the embedded runtime in this process and returns its printed lines."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import sys
from pathlib import Path

from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.pyflink_imports import pyflink_imports
from stream_runtime.storage.local import LocalCheckpointStorage

PROGRAMS = Path(__file__).parent / "programs"
_SUBTASK_PREFIX = re.compile(r"^\d+> ")


def run_program(name: str, checkpoint_dir: Path, **options: object) -> list[str]:
    """Printed lines of ``programs/<name>.py`` (the ``N> `` subtask prefix of parallel prints removed)."""
    out = io.StringIO()
    launch = LaunchOptions(
        job_id=name, storage=LocalCheckpointStorage(str(checkpoint_dir)), log=lambda _: None, **options
    )  # type: ignore[arg-type]
    sys.path.insert(0, str(PROGRAMS))
    try:
        with pyflink_imports(), launch_options(launch), contextlib.redirect_stdout(out):
            runpy.run_path(str(PROGRAMS / f"{name}.py"), run_name="__main__")
    finally:
        sys.path.remove(str(PROGRAMS))
        sys.modules.pop("common_input", None)
    return [_SUBTASK_PREFIX.sub("", line) for line in out.getvalue().splitlines()]
