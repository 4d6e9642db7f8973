"""The files under ``<data dir>/aws``: a snapshot of the embedded services and the journal after it.

``snapshot`` is its generation ``g`` (u64) followed by the pickled state (written by this program into its
own data directory), written to a temporary file, fsynced and renamed into place, so it is either the
old snapshot or the new one, never half of one.
``journal-<g>.log`` holds the requests accepted after snapshot ``g``, one record each::

    <meta length: u32> <body length: u64> <crc32 of meta + body: u32> <meta: JSON> <body: bytes>

A record is written with one ``os.write`` before moto's answer goes out, so a process killed at any
moment keeps every request it acknowledged (the operating system has it); ``sync`` makes it durable
on the disk too and is called at most a second apart (:mod:`app.moto_state.store`). A torn last record
(the machine lost power mid-write) fails its length or checksum test and is cut off when read.

Compaction writes snapshot ``g + 1`` and starts ``journal-<g + 1>.log``; until the rename the older
snapshot and journal stay, so after a crash at any point the newest snapshot plus the journals of its
generation and later ones are exactly the accepted requests.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger("msf_local.moto_state")

_HEADER = struct.Struct("<IQI")
_GENERATION = struct.Struct("<Q")
_JOURNAL = re.compile(r"^journal-(\d+)\.log$")
SNAPSHOT = "snapshot"


def journal_path(directory: Path, generation: int) -> Path:
    """The journal of requests accepted after snapshot ``generation``."""
    return directory / f"journal-{generation}.log"


def journal_generations(directory: Path) -> list[int]:
    """The generations of the journals in ``directory``, oldest first."""
    found = (_JOURNAL.match(path.name) for path in directory.iterdir()) if directory.is_dir() else iter(())
    return sorted(int(match.group(1)) for match in found if match)


def encode(meta: dict[str, Any], body: bytes) -> bytes:
    """One journal record."""
    meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
    checksum = zlib.crc32(body, zlib.crc32(meta_bytes))
    return _HEADER.pack(len(meta_bytes), len(body), checksum) + meta_bytes + body


def read_records(path: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    """The records of one journal, in order; a torn or corrupt tail is cut off the file (and logged)."""
    with path.open("rb") as file:
        offset = 0
        while True:
            header = file.read(_HEADER.size)
            if not header:
                return
            record = _record(file, header)
            if record is None:
                break
            offset = file.tell()
            yield record
    logger.warning("%s: the record at byte %d is incomplete or corrupt; cut off there", path, offset)
    with path.open("r+b") as file:
        file.truncate(offset)
        os.fsync(file.fileno())


def _record(file: Any, header: bytes) -> tuple[dict[str, Any], bytes] | None:
    if len(header) < _HEADER.size:
        return None
    meta_length, body_length, checksum = _HEADER.unpack(header)
    meta_bytes = file.read(meta_length)
    body = file.read(body_length)
    if len(meta_bytes) < meta_length or len(body) < body_length:
        return None
    if zlib.crc32(body, zlib.crc32(meta_bytes)) != checksum:
        return None
    meta: dict[str, Any] = json.loads(meta_bytes)
    return meta, body


class JournalWriter:
    """Appends records to one journal file; ``sync`` makes what was appended durable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.size = os.fstat(self._fd).st_size
        self._unsynced = False

    def append(self, record: bytes) -> None:
        """Write one record (whole, with one system call as far as the kernel allows)."""
        view = memoryview(record)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(record)
        self._unsynced = True

    def sync(self) -> None:
        """fsync if anything was appended since the last sync."""
        if self._unsynced:
            self._unsynced = False
            os.fsync(self._fd)

    def close(self) -> None:
        """Sync and close the file."""
        self.sync()
        os.close(self._fd)


def read_snapshot(directory: Path) -> tuple[int, Any]:
    """(generation, state) of the snapshot in ``directory``; (0, None) when there is none."""
    path = directory / SNAPSHOT
    if not path.exists():
        return 0, None
    with path.open("rb") as file:
        (generation,) = _GENERATION.unpack(file.read(_GENERATION.size))
        state = pickle.load(file)
    return int(generation), state


def write_snapshot(directory: Path, generation: int, state: bytes) -> None:
    """Put snapshot ``generation`` (the pickled state) in place atomically and durably."""
    temporary = directory / (SNAPSHOT + ".tmp")
    with temporary.open("wb") as file:
        file.write(_GENERATION.pack(generation))
        file.write(state)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, directory / SNAPSHOT)
    sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """fsync a directory, so that a rename or a new file in it survives a power loss."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
