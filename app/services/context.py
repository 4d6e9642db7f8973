"""What every service call receives: who is asking (Scope), the database session and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.db.scope import Scope
from app.services.details import DetailCache

if TYPE_CHECKING:
    from app.settings import Settings


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
    details: DetailCache = field(default_factory=DetailCache)
