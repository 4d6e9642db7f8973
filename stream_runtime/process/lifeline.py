"""What ties a job process to its owner: it dies with the owner and stamps its log lines with the time."""

from __future__ import annotations

import ctypes
import io
import os
import signal
import sys
import time
from typing import TextIO

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_owner(owner_pid: int) -> bool:
    """Ask the kernel to SIGKILL this process when the thread that spawned it ends (Linux), however its
    process ends (SIGTERM, ``kill -9``, a crash). Returns ``False`` if the owner is already gone (this process
    was re-parented before the signal was armed): the caller must then exit.

    Elsewhere the control channel is the lifeline: a job process cancels itself when it closes."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return os.getppid() == owner_pid


class TimestampedLines(io.TextIOBase):
    """A text stream that starts every line it writes with the wall-clock time, as Flink's log lines do
    (``2026-12-04 14:30:01,123``)."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._at_line_start = True

    def write(self, text: str) -> int:
        """Write ``text``, stamping each line that starts in it."""
        pieces = []
        for line in text.splitlines(keepends=True):
            if self._at_line_start:
                now = time.time()
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
                pieces.append(f"{stamp},{int(now * 1000) % 1000:03d} ")
            pieces.append(line)
            self._at_line_start = line.endswith("\n")
        self._target.write("".join(pieces))
        return len(text)

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._target.flush()

    def fileno(self) -> int:
        """The underlying stream's descriptor."""
        return self._target.fileno()

    def writable(self) -> bool:
        """Always writable."""
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The underlying stream's encoding."""
        return self._target.encoding


def stamp_output() -> None:
    """Stamp every line this process prints on stdout and stderr (both go to the job's log file)."""
    sys.stdout = TimestampedLines(sys.stdout)
    sys.stderr = TimestampedLines(sys.stderr)
