"""Fault injection for tests: ``STREAM_RUNTIME_FAULT=<point>@<checkpoint id>`` makes the job ``os._exit``."""

from __future__ import annotations

import os

FAULT_ENV = "STREAM_RUNTIME_FAULT"
FAULT_EXIT_CODE = 137
BEFORE_METADATA = "before_metadata"
AFTER_METADATA = "after_metadata"


def maybe_crash(point: str, checkpoint_id: int) -> None:
    """Exit the process immediately (no cleanup, like ``kill -9``) if the environment names this point."""
    spec = os.environ.get(FAULT_ENV, "")
    for item in spec.split(","):
        name, _, target = item.partition("@")
        if name == point and target.isdigit() and int(target) == checkpoint_id:
            os._exit(FAULT_EXIT_CODE)
