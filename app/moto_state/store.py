"""Keeping the embedded S3, Kinesis, CloudWatch Logs and CloudWatch across restarts.

:class:`EmbeddedState` wraps the embedded moto (a WSGI application): every request to one of those
services that changes something and that moto answers with a 2xx is appended to the journal
(:mod:`app.moto_state.journal`) before its answer goes out; on start the state comes back from the
last snapshot plus the journal, replayed into moto in order before the server listens.

A replay gives back the same identifiers and times, not just the same names: moto draws every id (S3
version ids, upload ids, request ids) from one seedable random generator and reads every time from
``moto.core.utils.utcnow``. So each journaled request runs with that generator seeded from a fresh
seed and with moto's clock pinned to the moment it arrived, both recorded with it, and the replay
repeats them. Requests to these services run one at a time (one lock per process, as moto's state is
per process) so that nothing else draws from the generator in between. Kinesis sequence numbers are
counters per shard and come back as they were; S3 ETags are digests of the content; an S3 multipart
upload id (which moto draws from ``os.urandom``) is recorded with its CreateMultipartUpload and put back.

The journal only grows until it is larger than the snapshot (and at least ``compact_bytes``); then a
new snapshot (the pickled backends of the four services) is taken and the journal starts afresh.
"""

from __future__ import annotations

import io
import logging
import pickle
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from app.moto_state.journal import (
    JournalWriter,
    encode,
    journal_generations,
    journal_path,
    read_records,
    read_snapshot,
    write_snapshot,
)

logger = logging.getLogger("msf_local.moto_state")

PERSISTED = ("s3", "kinesis", "logs", "cloudwatch")
"""moto's backends whose state is kept (S3, Kinesis, CloudWatch Logs, CloudWatch metrics and alarms)."""

READ_PREFIXES = ("Describe", "Filter", "Get", "Head", "List", "Select", "Subscribe", "Test")
"""Operations with these prefixes only read, so they are not journaled."""

COMPACT_BYTES = 64 * 1024 * 1024
"""A journal smaller than this is never compacted (nor one smaller than the snapshot)."""

CLOSE_COMPACT_BYTES = 1024 * 1024
"""A graceful stop takes a snapshot when the journal holds more than this (so a start replays less)."""

SYNC_INTERVAL = 1.0
"""Seconds between two fsyncs of the journal: a power loss loses at most this much."""

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_LOCK = threading.Lock()
"""Serializes the requests to the persisted services (moto's state, random and clock are per process)."""

_PINNED: list[datetime | None] = [None]
"""moto's current time while a journaled request runs or is replayed; else None (the real time)."""


def _msf_local_now() -> datetime:
    pinned = _PINNED[0]
    return pinned if pinned is not None else datetime.now(UTC).replace(tzinfo=None)


def _moto_utcnow() -> datetime:
    """The code that ``moto.core.utils.utcnow`` runs once :func:`_install_clock` swapped it in."""
    return _msf_local_now()


def _install_clock() -> None:
    """Make moto's ``utcnow`` (imported by name all over moto) ask :func:`_msf_local_now`.

    Swapping the function's code rather than the module attribute reaches every module that
    already imported it; the new code finds ``_msf_local_now`` among moto.core.utils' globals.
    """
    from moto.core import utils

    if utils.utcnow.__code__ is not _moto_utcnow.__code__:
        vars(utils)["_msf_local_now"] = _msf_local_now
        utils.utcnow.__code__ = _moto_utcnow.__code__


@contextmanager
def _pinned(at: float, seed: int) -> Iterator[None]:
    """moto's random generator seeded with ``seed`` and its clock at ``at`` (epoch seconds)."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)
    _PINNED[0] = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)
    try:
        yield
    finally:
        _PINNED[0] = None


def _operation(environ: dict[str, Any], body: bytes) -> str | None:
    """The AWS operation of a JSON, CBOR or query request (None for REST requests such as S3's)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    path = str(environ.get("PATH_INFO", ""))
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    form = parse_qs(str(environ.get("QUERY_STRING", "")))
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        form = {**form, **parse_qs(body.decode("latin-1"))}
    actions = form.get("Action")
    return actions[0] if actions else None


def mutates(environ: dict[str, Any], body: bytes) -> bool:
    """Whether a request may change state (only those are journaled)."""
    if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
        return False
    operation = _operation(environ, body)
    return operation is None or not operation.startswith(READ_PREFIXES)


def _run(
    app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]
) -> tuple[str, list[bytes]]:
    """Call a WSGI app to the end: (status line, body chunks)."""
    statuses: list[str] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return start_response(status, headers, exc_info)

    result = app(environ, capture)
    try:
        chunks = list(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return (statuses[-1] if statuses else "500 Internal Server Error"), chunks


_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")


def _created_upload(service: str, environ: dict[str, Any], chunks: list[bytes]) -> str | None:
    """The UploadId a CreateMultipartUpload answered (moto draws it from os.urandom, not its seeded
    generator, so the replay puts the recorded one back: see :func:`_keep_upload_id`)."""
    if service != "s3" or environ.get("REQUEST_METHOD") != "POST":
        return None
    if "uploads" not in parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True):
        return None
    found = _UPLOAD_ID.search(b"".join(chunks))
    return found.group(1).decode() if found else None


def _keep_upload_id(replayed: str, recorded: str) -> None:
    """Give the multipart upload a replay created the id its client was told (and later requests use)."""
    from moto.s3.models import s3_backends

    for regions in dict.values(s3_backends):
        for backend in dict.values(regions):
            for bucket in backend.buckets.values():
                if replayed in bucket.multiparts:
                    upload = bucket.multiparts.pop(replayed)
                    upload.id = recorded
                    bucket.multiparts[recorded] = upload
                    return


def _recordable(environ: dict[str, Any]) -> dict[str, str]:
    """The parts of a WSGI environ that describe the request (method, path, query, headers, ...)."""
    kept = {
        key: value for key, value in environ.items() if isinstance(value, str) and not key.startswith("wsgi.")
    }
    kept["wsgi.url_scheme"] = str(environ.get("wsgi.url_scheme", "http"))
    return kept


def _backends() -> dict[str, Any]:
    from moto.backends import get_backend

    return {name: get_backend(name) for name in PERSISTED}  # type: ignore[call-overload]


_BACKEND_DICT_FIELDS = frozenset(
    {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
)
"""What every moto ``BackendDict`` has; anything else on one (S3's ``bucket_accounts``) is state."""


def _capture() -> bytes:
    """The pickled backends of the persisted services (call with the lock held)."""
    state = {
        name: {
            "shared": {
                key: value for key, value in vars(backend_dict).items() if key not in _BACKEND_DICT_FIELDS
            },
            "accounts": {account: dict(dict.items(regions)) for account, regions in dict.items(backend_dict)},
        }
        for name, backend_dict in _backends().items()
    }
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(state)
    return buffer.getvalue()


def rebuild_dict(cls: type[dict[Any, Any]], items: list[tuple[Any, Any]], fields: dict[str, Any]) -> Any:
    """Unpickle a moto dict subclass as it was stored (see :class:`_Pickler`)."""
    rebuilt = cls.__new__(cls)
    dict.update(rebuilt, items)
    vars(rebuilt).update(fields)
    return rebuilt


class _Pickler(pickle.Pickler):
    """Pickles moto's dict subclasses by their stored items, not through their own ``items()``.

    S3 keeps the versions of a key in a dict whose ``items()`` shows the latest only and whose
    ``__setitem__`` appends: pickled the usual way, every older version would be lost.
    """

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        if isinstance(obj, dict) and cls is not dict and cls.__module__.startswith("moto."):
            return rebuild_dict, (cls, list(dict.items(obj)), dict(getattr(obj, "__dict__", {})))
        return NotImplemented


def _reset() -> None:
    """Empty the persisted services (before a snapshot is unpickled: a reset disposes of every S3 object
    moto ever created, the unpickled ones included)."""
    for backend_dict in _backends().values():
        for regions in dict.values(backend_dict):
            regions.reset()
        backend_dict.clear()


def _install(state: dict[str, Any]) -> None:
    """Put the unpickled ``state`` of the persisted services in place (after :func:`_reset`)."""
    for name, backend_dict in _backends().items():
        saved = state.get(name, {})
        vars(backend_dict).update(saved.get("shared", {}))
        for account, regions_saved in saved.get("accounts", {}).items():
            regions = backend_dict[account]
            for region, backend in regions_saved.items():
                dict.__setitem__(regions, region, backend)


class JournaledMoto:
    """The WSGI wrapper: requests to the persisted services one at a time, the changing ones journaled."""

    def __init__(self, state: EmbeddedState, dispatcher: Any, app: WSGIApp) -> None:
        self.state = state
        self.dispatcher = dispatcher
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.state.wait_restored()  # nothing is served from services whose saved state is not back yet
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        service = getattr(self.dispatcher.get_application(environ), "service", None)
        environ["wsgi.input"] = io.BytesIO(body)
        if service not in PERSISTED:
            return self.app(environ, start_response)
        if not mutates(environ, body):
            with _LOCK:
                return _run(self.app, environ, start_response)[1]
        meta: dict[str, Any] = {
            "at": time.time(),
            "seed": secrets.randbits(63),
            "environ": _recordable(environ),
        }
        with _LOCK:
            with _pinned(meta["at"], meta["seed"]):
                status, chunks = _run(self.app, environ, start_response)
            if status.startswith("2"):
                upload = _created_upload(service, environ, chunks)
                if upload is not None:
                    meta["upload_id"] = upload
                self.state.record(meta, body)
        return chunks


class EmbeddedState:
    """The embedded services' state under ``directory``: restored by :meth:`open`, kept by :meth:`wrap`."""

    def __init__(
        self, directory: Path, compact_bytes: int = COMPACT_BYTES, sync_interval: float = SYNC_INTERVAL
    ) -> None:
        self.directory = directory
        self.compact_bytes = compact_bytes
        self.sync_interval = sync_interval
        self._generation = 0
        self._snapshot_size = 0
        self._writer: JournalWriter | None = None
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._restored = threading.Event()
        self._restored.set()  # nothing to wait for until open() is called
        self._failure: BaseException | None = None
        self._restorer: threading.Thread | None = None

    def wrap(self, dispatcher: Any, app: WSGIApp) -> WSGIApp:
        """``app`` (moto, as the gateway serves it) journaled; ``dispatcher`` tells the service."""
        _install_clock()
        return JournaledMoto(self, dispatcher, app)

    def open(self, on_failure: Callable[[BaseException], None] | None = None) -> None:
        """Bring back the saved state (if any) into moto, then journal from here on.

        With ``on_failure`` the restore runs on a thread of its own, so the server can answer its own API
        meanwhile: every request to the embedded services waits for it (:meth:`wait_restored`), and a
        restore that fails is handed to ``on_failure`` (which should stop the server). Without it, the
        restore is done (or has raised) when ``open`` returns."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._restored.clear()
        self._failure = None
        if on_failure is None:
            self._open()
            return
        self._restorer = threading.Thread(
            target=self._open, args=(on_failure,), name="moto-state-restore", daemon=True
        )
        self._restorer.start()

    @property
    def failure(self) -> BaseException | None:
        """Why the saved state could not be restored (None: restored, or not yet known)."""
        return self._failure

    def wait_restored(self) -> None:
        """Return once the saved state is back (at once if it is); raise if it could not be restored."""
        self._restored.wait()
        if self._failure is not None:
            raise RuntimeError(str(self._failure))

    def _open(self, on_failure: Callable[[BaseException], None] | None = None) -> None:
        try:
            self._bring_back()
        except Exception as error:
            self._failure = error
            if on_failure is None:
                raise
            on_failure(error)
        finally:
            self._restored.set()

    def _bring_back(self) -> None:
        started = time.monotonic()
        snapshot_path = self.directory / "snapshot"
        self._snapshot_size = snapshot_path.stat().st_size if snapshot_path.exists() else 0
        generations = journal_generations(self.directory)
        saved = self._snapshot_size > 0 or any(
            journal_path(self.directory, g).stat().st_size for g in generations
        )
        if saved:
            try:
                replayed, refused = self._restore()
            except Exception as error:
                raise RuntimeError(
                    f"the embedded S3/Kinesis/Logs/CloudWatch state in {self.directory} cannot be restored "
                    f"({type(error).__name__}: {error}); move that folder away to start with empty services"
                ) from error
            logger.info(
                "embedded S3/Kinesis/Logs/CloudWatch restored from %s: snapshot %d and %d journaled requests "
                "(%d refused) in %.2f s",
                self.directory,
                self._generation,
                replayed,
                refused,
                time.monotonic() - started,
            )
        generations = journal_generations(self.directory)
        self._generation = max([self._generation, *generations])
        self._writer = JournalWriter(journal_path(self.directory, self._generation))
        self._stop.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="moto-state-flusher", daemon=True)
        self._flusher.start()

    def _restore(self) -> tuple[int, int]:
        from moto.server import DomainDispatcherApplication, create_backend_app

        _install_clock()
        dispatcher = DomainDispatcherApplication(create_backend_app)
        replayed = refused = 0
        with _LOCK:
            _reset()
            generation, state = read_snapshot(self.directory)
            self._generation = generation
            if state is not None:
                _install(state)
            for older in journal_generations(self.directory):
                path = journal_path(self.directory, older)
                if older < generation:
                    path.unlink()
                    continue
                for meta, body in read_records(path):
                    replayed += 1
                    refused += not self._replay(dispatcher, meta, body)
        return replayed, refused

    @staticmethod
    def _replay(dispatcher: Any, meta: dict[str, Any], body: bytes) -> bool:
        environ: dict[str, Any] = dict(meta["environ"])
        environ.update({"wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0)})
        environ.update({"wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False})
        with _pinned(meta["at"], meta["seed"]):
            status, chunks = _run(dispatcher, environ, lambda *_: None)
        if "upload_id" in meta:
            replayed = _created_upload("s3", environ, chunks)
            if replayed is not None:
                _keep_upload_id(replayed, meta["upload_id"])
        if not status.startswith("2"):
            logger.warning(
                "replaying %s %s answered %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), status
            )
        return status.startswith("2")

    def record(self, meta: dict[str, Any], body: bytes) -> None:
        """Append one accepted request (called with the lock held, before its answer goes out)."""
        if self._writer is not None:
            self._writer.append(encode(meta, body))

    def compact(self) -> None:
        """Take a new snapshot and start a new journal (the older ones go once the snapshot is in place)."""
        if self._writer is None:
            return
        with _LOCK:
            state = _capture()
            previous = self._writer
            self._generation += 1
            self._writer = JournalWriter(journal_path(self.directory, self._generation))
        previous.close()
        write_snapshot(self.directory, self._generation, state)
        self._snapshot_size = len(state)
        for older in journal_generations(self.directory):
            if older < self._generation:
                journal_path(self.directory, older).unlink()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.sync_interval):
            writer = self._writer
            if writer is None:
                return
            writer.sync()
            if writer.size > max(self.compact_bytes, self._snapshot_size):
                try:
                    self.compact()
                except Exception:  # the journal keeps everything; the next attempt comes a second later
                    logger.exception("compacting the embedded services' journal failed")

    def close(self) -> None:
        """Stop the flusher; take a new snapshot if the journal is larger than ``CLOSE_COMPACT_BYTES``;
        close the journal."""
        if self._restorer is not None:
            self._restorer.join()
            self._restorer = None
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=30)
            self._flusher = None
        writer = self._writer
        if writer is None:
            return
        if writer.size > CLOSE_COMPACT_BYTES:
            try:
                self.compact()
            except Exception:
                logger.exception("compacting the embedded services' journal at shutdown failed")
        if self._writer is not None:
            self._writer.close()
            self._writer = None
