"""Restoring the embedded services while the server already answers its own API (``msf-local serve``):
every request to them waits until their saved state is back, and a state that cannot be restored is
reported (the server then stops) and never served from."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from app.moto_state.journal import SNAPSHOT
from app.moto_state.store import EmbeddedState, JournaledMoto

BOUND_S = 10.0


class _Dispatcher:
    """Stands in for moto's DomainDispatcherApplication: every request is for S3."""

    class _S3:
        service = "s3"

    def get_application(self, environ: dict[str, Any]) -> Any:
        return self._S3()


def _request() -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket", "QUERY_STRING": "", "wsgi.input": io.BytesIO()}


def test_a_request_waits_until_the_state_restored_in_the_background_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = EmbeddedState(tmp_path / "aws")
    restoring, release = threading.Event(), threading.Event()

    def slow_restore() -> None:
        restoring.set()
        assert release.wait(BOUND_S)

    monkeypatch.setattr(state, "_bring_back", slow_restore)
    failures: list[BaseException] = []
    state.open(on_failure=failures.append)  # returns while the restore is still running
    assert restoring.wait(BOUND_S)

    served: list[str] = []
    moto = JournaledMoto(state, _Dispatcher(), lambda environ, start: served.append("served") or [b"<ok/>"])
    answers: list[Any] = []
    request = threading.Thread(target=lambda: answers.append(moto(_request(), lambda *_: None)))
    request.start()
    request.join(0.2)
    assert request.is_alive() and served == []  # held while the state is not back
    release.set()
    request.join(BOUND_S)
    assert served == ["served"] and answers == [[b"<ok/>"]] and failures == []
    state.close()


def test_a_state_that_cannot_be_restored_is_reported_and_never_served_from(tmp_path: Path) -> None:
    directory = tmp_path / "aws"
    directory.mkdir()
    (directory / SNAPSHOT).write_bytes(b"\x01\0\0\0\0\0\0\0 not a pickle")
    state = EmbeddedState(directory)
    reported = threading.Event()
    failures: list[BaseException] = []

    def on_failure(error: BaseException) -> None:
        failures.append(error)
        reported.set()

    state.open(on_failure=on_failure)
    assert reported.wait(60)  # the restore imports moto first
    (failure,) = failures
    assert f"state in {directory} cannot be restored" in str(failure) and "move that folder away" in str(
        failure
    )
    moto = JournaledMoto(state, _Dispatcher(), lambda environ, start: [b"never"])
    with pytest.raises(RuntimeError, match="cannot be restored"):
        moto(_request(), lambda *_: None)
    state.close()
