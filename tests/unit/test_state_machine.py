"""The application status table: meanings, allowed actions, legal transitions, and their errors."""

from __future__ import annotations

import pytest

from api_models import errors
from api_models.models import ApplicationStatus
from app.db.models import ApplicationRow
from app.services import state_machine
from app.services.state_machine import ALLOWED, MEANING, TRANSITIONS, Action, IllegalTransition

S = ApplicationStatus


def application(status: ApplicationStatus) -> ApplicationRow:
    return ApplicationRow(application_name="app", status=status.value)


def test_every_status_has_a_meaning_and_a_transition_row() -> None:
    assert set(MEANING) == set(S)
    assert set(TRANSITIONS) == set(S)
    assert all(MEANING[status] for status in S)


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        (Action.START, {S.READY}),
        (Action.STOP, {S.RUNNING}),
        (Action.CONFIGURE, {S.READY, S.RUNNING}),
        (Action.MAINTENANCE_CONFIGURATION, {S.READY, S.RUNNING}),
        (Action.ROLLBACK, {S.RUNNING, S.UPDATING, S.AUTOSCALING}),
        (Action.FORCE_STOP, {S.STARTING, S.UPDATING, S.STOPPING, S.AUTOSCALING, S.RUNNING}),
        (Action.CREATE_SNAPSHOT, {S.RUNNING}),
    ],
)
def test_allowed_statuses_follow_the_spec_matrix(action: Action, allowed: set[ApplicationStatus]) -> None:
    assert ALLOWED[action] == allowed
    for status in S:
        if status in allowed:
            state_machine.require(application(status), action)
        else:
            with pytest.raises(errors.ResourceInUseException) as caught:
                state_machine.require(application(status), action)
            assert caught.value.message.startswith(
                f"Application app is in {status.value} status; {action.value}"
            )


def test_delete_is_refused_only_while_deleting() -> None:
    with pytest.raises(errors.ResourceInUseException, match="is in DELETING status"):
        state_machine.require(application(S.DELETING), Action.DELETE)
    for status in set(S) - {S.DELETING, S.ROLLED_BACK}:
        state_machine.require(application(status), Action.DELETE)


def test_transition_sets_legal_targets_only() -> None:
    row = application(S.READY)
    for target in (S.STARTING, S.RUNNING, S.UPDATING, S.RUNNING, S.STOPPING, S.READY, S.DELETING):
        state_machine.transition(row, target)
        assert row.status == target.value
    with pytest.raises(IllegalTransition, match="DELETING -> READY"):
        state_machine.transition(row, S.READY)
    with pytest.raises(IllegalTransition, match="READY -> RUNNING"):
        state_machine.transition(application(S.READY), S.RUNNING)


def test_every_transient_status_can_reach_a_steady_status() -> None:
    steady = {S.READY, S.RUNNING}
    for status in set(S) - steady - {S.DELETING, S.ROLLED_BACK}:
        reachable, frontier = set(), {status}
        while frontier:
            current = frontier.pop()
            reachable.add(current)
            frontier |= TRANSITIONS[current] - reachable
        assert reachable & steady, status


def test_new_applications_start_ready() -> None:
    assert state_machine.INITIAL_STATUS == S.READY
