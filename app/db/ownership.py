"""One owner per data directory and per database: the locks a controlling msf-local holds while it runs.

A controlling server (not an HTTP worker of ``serve --workers N``) takes, before it migrates, starts
the control loop or touches any job:

- an exclusive ``flock`` on ``<data dir>/msf-local.lock`` (and on ``<file>.lock`` beside a SQLite
  database kept elsewhere), whose content names the holder;
- on PostgreSQL, a session advisory lock held on a connection of its own, whose
  ``application_name`` names the holder.

A second server finds a lock taken and stops at once with ``OwnershipError`` naming the holder, having
touched nothing. The operating system drops both locks when the holder's process ends, however it
ends (kill -9 included), so a restart never waits for a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

LOCK_FILE = "msf-local.lock"
ADVISORY_LOCK_KEY = 0x6D73_662D_6C6F  # "msf-lo": one key for every msf-local on a database
_APPLICATION_NAME_LIMIT = 63  # PostgreSQL truncates application_name to NAMEDATALEN - 1 bytes


class OwnershipError(RuntimeError):
    """Another msf-local owns the data directory or the database; the message names it."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: enough for a user to find the other server."""

    pid: int
    host: str
    port: int
    data_dir: str
    since: str

    @classmethod
    def this_process(cls, port: int, data_dir: Path) -> Holder:
        """The holder this process would be."""
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            port=port,
            data_dir=str(data_dir),
            since=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )

    def describe(self) -> str:
        """``msf-local pid N on host H, port P, data directory D, since T``."""
        return (
            f"msf-local pid {self.pid} on host {self.host}, port {self.port}, "
            f"data directory {self.data_dir}, since {self.since}"
        )


class FileLock:
    """An exclusive ``flock`` on one file that records its holder; released when the process ends."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self, holder: Holder) -> None:
        """Take the lock or raise ``OwnershipError`` naming the process that has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            recorded = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            raise OwnershipError(f"{self.what} is in use by {_describe_recorded(recorded)}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays; its content is only read while the lock is held)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _describe_recorded(recorded: str) -> str:
    try:
        return Holder(**json.loads(recorded)).describe()
    except (ValueError, TypeError):
        return "another msf-local (its lock file names no holder yet)"


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection kept open while msf-local runs."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine: Engine | None = None
        self._connection: Connection | None = None

    def acquire(self, holder: Holder) -> None:
        """Take the lock or raise ``OwnershipError`` naming the server that has it."""
        name = f"msf-local pid {holder.pid} {holder.host}:{holder.port}"[:_APPLICATION_NAME_LIMIT]
        engine = create_engine(self.database_url, poolclass=NullPool, connect_args={"application_name": name})
        connection = engine.connect()
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        connection.commit()
        if not taken:
            other = connection.execute(
                text(
                    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
                ),
                {"key": ADVISORY_LOCK_KEY},
            ).first()
            connection.close()
            engine.dispose()
            raise OwnershipError(
                f"database {_safe_url(self.database_url)} is in use by {_describe_session(other)}"
            )
        self._engine, self._connection = engine, connection

    def release(self) -> None:
        """Give the lock up by closing its connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _describe_session(row: Any) -> str:
    if row is None:
        return "another msf-local"
    application_name, client_addr, backend_start = row
    where = client_addr or "a local socket"
    return f"{application_name or 'another msf-local'} (connected from {where} since {backend_start})"


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class Ownership:
    """The locks a controlling msf-local holds: data directory, SQLite file elsewhere, PostgreSQL database."""

    def __init__(self, data_dir: Path, database_url: str, port: int) -> None:
        self.holder = Holder.this_process(port, data_dir)
        self.locks: list[FileLock | AdvisoryLock] = [
            FileLock(data_dir / LOCK_FILE, f"data directory {data_dir}")
        ]
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            database = Path(url.database).resolve()
            if database.parent != data_dir.resolve():
                self.locks.append(
                    FileLock(database.with_name(database.name + ".lock"), f"database {database}")
                )
        elif url.get_backend_name() == "postgresql":
            self.locks.append(AdvisoryLock(database_url))
        self._held: list[FileLock | AdvisoryLock] = []

    def acquire(self) -> None:
        """Take every lock, or none: ``OwnershipError`` naming the holder of the first one taken."""
        try:
            for lock in self.locks:
                lock.acquire(self.holder)
                self._held.append(lock)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give every lock up (at shutdown)."""
        while self._held:
            self._held.pop().release()
