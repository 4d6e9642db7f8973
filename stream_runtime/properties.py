"""Runtime properties as on AWS: ``application_properties.json`` (a list of property groups)."""

from __future__ import annotations

import json
import os

PROPERTIES_ENV = "STREAM_RUNTIME_PROPERTIES_FILE"


def get_application_properties(path: str | None = None) -> dict[str, dict[str, str]]:
    """``{PropertyGroupId: PropertyMap}`` from ``path`` or the launcher's file (empty if none)."""
    path = path or os.environ.get(PROPERTIES_ENV)
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        groups = json.load(handle)
    return {group["PropertyGroupId"]: dict(group.get("PropertyMap", {})) for group in groups}
