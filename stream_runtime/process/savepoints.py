"""The savepoint requests of one supervised job: outcome per request id, which attempt owes each answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace

from stream_runtime.process.model import SavepointOutcome, SavepointProgress
from stream_runtime.process.registry import SavepointTrigger
from stream_runtime.storage.layout import METADATA_FILE
from stream_runtime.storage.locations import open_storage


class SavepointBook:
    """Savepoint outcomes by request id (requests are idempotent per id), thread-safe.

    Each open request is owed by the job attempt it was sent to (or by the next attempt, for a stop queued
    while the job restarts); when that attempt ends first, the request fails. ``expected_location`` is where
    the savepoint will be written, so a supervisor that takes the job over after a crash learns the result
    from storage (:meth:`learn`).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._triggers: dict[str, SavepointTrigger] = {}
        self._owed_by: dict[str, object | None] = {}

    def get(self, request_id: str) -> SavepointOutcome | None:
        """The current outcome of a request (``None`` for an unknown id)."""
        with self._changed:
            trigger = self._triggers.get(request_id)
            return None if trigger is None else trigger.outcome

    def triggers(self) -> dict[str, SavepointTrigger]:
        """Every request with its expected location (what the registry stores)."""
        with self._changed:
            return dict(self._triggers)

    def completed(self) -> list[str]:
        """Locations of the completed savepoints, oldest first."""
        with self._changed:
            outcomes = [t.outcome for t in self._triggers.values()]
        return [o.location for o in outcomes if o.state is SavepointProgress.COMPLETED and o.location]

    def learn(self, triggers: dict[str, SavepointTrigger], env: Mapping[str, str]) -> str | None:
        """Know the requests a previous supervisor of the job recorded; the location of a completed
        stop-with-savepoint (after which the job ended), if any. A request it left open is COMPLETED where
        its savepoint's ``_metadata`` is in storage (its answer was lost), else forgotten, as a JobManager
        failover forgets the triggers in flight: the job was cut short by its owner's end, not by a failure
        of its own, so the control plane may ask again under the same id."""
        known: dict[str, SavepointTrigger] = {}
        stopped = None
        for request_id, trigger in triggers.items():
            outcome, location = trigger.outcome, trigger.expected_location
            if not outcome.done and _written(location, env):
                outcome = replace(outcome, state=SavepointProgress.COMPLETED, location=location)
            if outcome.done:
                known[request_id] = SavepointTrigger(outcome, location)
            if outcome.state is SavepointProgress.COMPLETED and outcome.stop:
                stopped = outcome.location  # the job ended there, even if its end was not recorded
        with self._changed:
            self._triggers.update(known)
        return stopped

    def resolve(
        self, owner: object | None, env: Mapping[str, str], reason: str, *, queued_too: bool = False
    ) -> str | None:
        """Settle what ``owner`` (an attempt that ended) owes: COMPLETED where the savepoint's ``_metadata``
        exists at its expected location (it completed, its answer was lost), else FAILED with ``reason``.
        Returns the location of a completed stop-with-savepoint, if any."""
        with self._changed:
            owed = [
                (request_id, self._triggers[request_id])
                for request_id, current in self._owed_by.items()
                if current is owner or (queued_too and current is None)
            ]
        stopped = None
        for request_id, trigger in owed:
            location = trigger.expected_location
            found = _written(location, env)
            self.settle(request_id, ok=found, location=location, error=reason)
            if found and trigger.outcome.stop:
                stopped = location
        return stopped

    @property
    def stopping(self) -> bool:
        """Whether a stop-with-savepoint is open."""
        with self._changed:
            return any(t.outcome.stop and not t.outcome.done for t in self._triggers.values())

    def open(
        self,
        request_id: str,
        owner: object | None,
        *,
        stop: bool,
        drain: bool,
        expected_location: str | None,
        refusal: str | None = None,
    ) -> SavepointOutcome:
        """Record a new request, IN_PROGRESS and owed by ``owner`` — or FAILED at once with ``refusal``."""
        state = SavepointProgress.FAILED if refusal else SavepointProgress.IN_PROGRESS
        outcome = SavepointOutcome(request_id, state, error=refusal, stop=stop, drain=drain)
        with self._changed:
            self._triggers[request_id] = SavepointTrigger(outcome, expected_location)
            if refusal is None:
                self._owed_by[request_id] = owner
            self._changed.notify_all()
        return outcome

    def assign(self, owner: object) -> None:
        """Hand the requests queued for the next attempt (owed by nobody yet) to ``owner``."""
        with self._changed:
            for request_id, current in self._owed_by.items():
                if current is None:
                    self._owed_by[request_id] = owner

    def settle(
        self, request_id: str, *, ok: bool, location: str | None = None, error: str | None = None
    ) -> bool:
        """Complete or fail an open request; whether it was open."""
        with self._changed:
            trigger = self._triggers.get(request_id)
            if trigger is None or trigger.outcome.done:
                return False
            current = trigger.outcome
            self._triggers[request_id] = SavepointTrigger(
                SavepointOutcome(
                    request_id,
                    SavepointProgress.COMPLETED if ok else SavepointProgress.FAILED,
                    location if ok else None,
                    None if ok else error,
                    current.stop,
                    current.drain,
                ),
                trigger.expected_location,
            )
            self._owed_by.pop(request_id, None)
            self._changed.notify_all()
            return True

    def wait(self, request_id: str, timeout: float) -> SavepointOutcome:
        """Block until the request is done or ``timeout`` elapsed; returns the outcome then."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                trigger = self._triggers.get(request_id)
                if trigger is None:
                    raise KeyError(request_id)
                remaining = deadline - time.monotonic()
                if trigger.outcome.done or remaining <= 0:
                    return trigger.outcome
                self._changed.wait(remaining)


def _written(location: str | None, env: Mapping[str, str]) -> bool:
    """Whether a savepoint's ``_metadata`` exists at ``location`` (it completed)."""
    try:
        return location is not None and open_storage(location, env).exists(METADATA_FILE)
    except (OSError, ValueError):
        return False
