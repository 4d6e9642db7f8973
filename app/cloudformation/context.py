"""Which msf-local is serving the request moto is handling (set by :func:`app.cloudformation.serving`)."""

from __future__ import annotations

from contextvars import ContextVar

from app.settings import Settings

CURRENT: ContextVar[Settings | None] = ContextVar("msf_local_cloudformation_settings", default=None)
"""The settings of the msf-local whose gateway is handing the current request to moto."""
