"""How ``env.execute()`` is run: job id, storage, restore location, overrides, control channel, clock."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.control import ControlEndpoint
from stream_runtime.storage.base import CheckpointStorage


def _log_to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass
class LaunchOptions:
    """Everything outside the job code that shapes a run; the CLI builds one per job process."""

    job_id: str = "local-job"
    storage: CheckpointStorage | None = None
    restore_storage: CheckpointStorage | None = None
    allow_non_restored_state: bool = False
    overrides: RuntimeOverrides = field(default_factory=RuntimeOverrides)
    channel: ControlEndpoint | None = None
    attempt: int = 0
    source_batch_size: int = 1024
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    log: Callable[[str], None] = _log_to_stderr
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    final_savepoint: str | None = None  # set by a completed stop-with-savepoint
    started: bool = False  # set once the job started (its graph was built); failures before are terminal


_current: list[LaunchOptions] = []


def current_launch_options() -> LaunchOptions:
    """Options installed by the launcher, or defaults for a plain ``python job.py`` run."""
    return _current[-1] if _current else LaunchOptions()


@contextlib.contextmanager
def launch_options(options: LaunchOptions) -> Iterator[LaunchOptions]:
    """Install ``options`` for every ``execute()`` inside the block."""
    _current.append(options)
    try:
        yield options
    finally:
        _current.remove(options)
