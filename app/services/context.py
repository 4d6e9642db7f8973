"""What every service call receives: who is asking (Scope), the database session and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.settings import Settings


@dataclass(frozen=True)
class Scope:
    """The account and region a request acts in; part of every key."""

    account_id: str
    region: str

    def application_arn(self, name: str) -> str:
        return f"arn:aws:kinesisanalytics:{self.region}:{self.account_id}:application/{name}"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RequestContext:
    """One API call as the services see it: scope, an open session (committed by the caller), a clock."""

    scope: Scope
    session: Session
    settings: Settings
    request_id: str
    clock: Callable[[], datetime] = field(default=utc_now)
