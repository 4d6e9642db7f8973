"""The walk's vocabulary: steps, their checks, folders, and the helpers that build them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Var:
    """A Postman variable holding a number; rendered unquoted in the raw JSON body."""

    name: str


@dataclass(frozen=True)
class Check:
    """One Postman test: a title and a chai assertion over ``body`` (the parsed response)."""

    title: str
    assertion: str


@dataclass(frozen=True)
class Step:
    """One request of the walk: which operation, with what body, and what the answer must be.

    ``error`` names the AWS error the request must fail with (HTTP 400); otherwise it must succeed
    and pass ``checks``. ``captures`` store response values (JS expressions over ``body``) in
    collection variables for later requests. ``pending`` marks operations that are outside the
    control-plane foundation: until they are implemented, a 501 ``NotImplementedException`` is
    accepted in place of the expected answer.
    """

    name: str
    operation: str
    body: dict[str, Any]
    checks: tuple[Check, ...] = ()
    error: str | None = None
    captures: dict[str, str] = field(default_factory=dict)
    prerequest: tuple[str, ...] = ()
    pending: bool = False
    description: str = ""


@dataclass(frozen=True)
class Folder:
    """A Postman folder: one resource family's requests, in the order the walk runs them."""

    name: str
    description: str
    steps: tuple[Step, ...]


def js(value: Any) -> str:
    """A Python value as a JavaScript literal; ``Var`` reads the (numeric) collection variable."""
    if isinstance(value, Var):
        return f'Number(pm.collectionVariables.get("{value.name}"))'
    return json.dumps(value)


def var(name: str) -> str:
    """JavaScript reading a string variable (collection variable, environment or default)."""
    return f'pm.variables.get("{name}")'


def equals(expression: str, expected: Any, title: str | None = None) -> Check:
    """``body.<expression>`` deep-equals ``expected``."""
    return Check(
        title or f"{expression} is {js(expected)}", f"pm.expect(body.{expression}).to.eql({js(expected)})"
    )


def equals_var(expression: str, name: str) -> Check:
    """``body.<expression>`` equals the string variable ``name``."""
    return Check(f"{expression} is {{{{{name}}}}}", f"pm.expect(body.{expression}).to.eql({var(name)})")


def next_version(expression: str, counter: str) -> Check:
    """``body.<expression>`` is one more than the version stored in ``counter`` (which is then updated)."""
    return Check(
        f"{expression} is the previous version + 1",
        f"pm.expect(body.{expression}).to.eql({js(Var(counter))} + 1)",
    )


def is_number(expression: str) -> Check:
    """``body.<expression>`` is a JSON number (timestamps are epoch seconds)."""
    return Check(f"{expression} is a number", f"pm.expect(body.{expression}).to.be.a('number')")


def is_empty(expression: str) -> Check:
    """``body.<expression>`` is absent or an empty list."""
    return Check(f"{expression} is empty", f"pm.expect(body.{expression} || []).to.be.empty")


def names(list_expression: str, member: str) -> str:
    """JavaScript mapping a response list to one member of each item."""
    return f"(body.{list_expression} || []).map(function (item) {{ return item.{member}; }})"


def change(
    operation: str,
    application: str,
    counter: str,
    body: dict[str, Any],
    checks: tuple[Check, ...] = (),
    captures: dict[str, str] | None = None,
) -> Step:
    """A configuration change: it names the version in ``counter`` and must make the next one."""
    return Step(
        name=operation,
        operation=operation,
        body={"ApplicationName": application, "CurrentApplicationVersionId": Var(counter), **body},
        checks=(next_version("ApplicationVersionId", counter), *checks),
        captures={counter: "body.ApplicationVersionId", **(captures or {})},
    )
