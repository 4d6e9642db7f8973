"""``Scope(account_id, region)``: the account and region a request acts in, part of every key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """The account and region a request acts in; part of every key."""

    account_id: str
    region: str

    def application_arn(self, name: str) -> str:
        """The ARN of application ``name`` in this scope."""
        return f"arn:aws:kinesisanalytics:{self.region}:{self.account_id}:application/{name}"
