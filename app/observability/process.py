"""CPU and memory of a job process, read from Linux's ``/proc`` (None elsewhere or once it has ended)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessSample:
    """Cumulative CPU seconds and resident memory of one process at one moment."""

    cpu_seconds: float
    resident_bytes: int
    anonymous_bytes: int


def _status_kib(status: str, field: str) -> int:
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def sample_process(pid: int, proc: Path = PROC) -> ProcessSample | None:
    """The process's user+system CPU time and its resident (and anonymous resident) memory."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may contain spaces
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
    return ProcessSample(
        cpu_seconds=cpu,
        resident_bytes=_status_kib(status, "VmRSS") * 1024,
        anonymous_bytes=_status_kib(status, "RssAnon") * 1024,
    )
