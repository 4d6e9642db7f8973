"""Maps each operation's snake_case method name to the service function that implements it."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

from api_models.operations import OPERATIONS

ServiceFunction = Callable[..., Any]


def service_modules() -> tuple[ModuleType, ...]:
    """The modules holding service functions, one per resource family."""
    from app.services import (
        applications,
        config_options,
        discovery,
        enhanced_snapshots,
        lifecycle,
        operations,
        presigned_urls,
        rollback,
        snapshot_operations,
        snapshot_transfers,
        snapshots,
        tags,
        versions,
    )

    return (
        applications,
        versions,
        operations,
        config_options,
        tags,
        lifecycle,
        snapshots,
        discovery,
        rollback,
        enhanced_snapshots,
        snapshot_transfers,
        snapshot_operations,
        presigned_urls,
    )


@lru_cache(maxsize=1)
def service_table() -> dict[str, ServiceFunction]:
    """method name → function, for every operation some service module implements."""
    methods = {spec.method for spec in OPERATIONS.values()}
    table: dict[str, ServiceFunction] = {}
    for module in service_modules():
        for name in methods:
            function = getattr(module, name, None)
            if callable(function):
                if name in table:
                    raise RuntimeError(f"operation method {name} is implemented twice")
                table[name] = function
    return table
