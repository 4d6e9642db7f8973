"""docs/state-machine.md shows the status table of app/services/state_machine.py exactly (no drift)."""

from __future__ import annotations

from pathlib import Path

from app.services.state_machine import ALLOWED, MEANING, TRANSITIONS, Action, S

DOC = Path(__file__).resolve().parents[2] / "docs" / "state-machine.md"
ORDER = [S.READY, S.STARTING, S.RUNNING, S.UPDATING, S.AUTOSCALING, S.STOPPING, S.FORCE_STOPPING]
ORDER += [S.ROLLING_BACK, S.MAINTENANCE, S.DELETING, S.ROLLED_BACK]


def status_table() -> str:
    rows = ["| Status | Meaning | May move to |", "|---|---|---|"]
    for status in ORDER:
        targets = ", ".join(target.value for target in ORDER if target in TRANSITIONS[status]) or "—"
        rows.append(f"| {status.value} | {MEANING[status]} | {targets} |")
    return "\n".join(rows)


def action_matrix() -> str:
    live = ORDER[:-1]
    rows = ["| Action | " + " | ".join(status.value for status in live) + " |"]
    rows.append("|---" * (len(live) + 1) + "|")
    for action in Action:
        cells = ["✓" if status in ALLOWED[action] else "RIU" for status in live]
        rows.append(f"| {action.value} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def test_the_document_shows_the_code_tables() -> None:
    text = DOC.read_text()
    assert status_table() in text, "regenerate: python -m tests.unit.test_state_machine_doc"
    assert action_matrix() in text, "regenerate: python -m tests.unit.test_state_machine_doc"


if __name__ == "__main__":
    print(status_table(), action_matrix(), sep="\n\n")
