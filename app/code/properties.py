"""Environment properties as the job sees them, and the entry file they name.

AWS hands a Flink application its ``EnvironmentProperties`` as ``application_properties.json``: a
JSON list of ``{"PropertyGroupId": ..., "PropertyMap": {...}}``. Python applications name their
entry file in the group ``kinesis.analytics.flink.run.options`` under the key ``python``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from api_models.errors import CodeValidationException
from app.code.archive import safe_member_path

RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"
PYTHON_ENTRY_KEY = "python"
DEFAULT_ENTRY = "main.py"
PROPERTIES_FILE_NAME = "application_properties.json"

PropertyGroups = Sequence[Mapping[str, Any]]
"""Property groups in AWS's shape: ``[{"PropertyGroupId": str, "PropertyMap": {str: str}}]``."""


def entry_file(groups: PropertyGroups) -> str:
    """The entry file named by ``kinesis.analytics.flink.run.options`` → ``python`` (default main.py)."""
    for group in groups:
        if group.get("PropertyGroupId") == RUN_OPTIONS_GROUP:
            entry = group.get("PropertyMap", {}).get(PYTHON_ENTRY_KEY)
            if entry:
                try:
                    return str(safe_member_path(entry))
                except CodeValidationException:
                    raise CodeValidationException(
                        f"The entry file '{entry}' in property group {RUN_OPTIONS_GROUP} must be a "
                        "relative path inside the application code"
                    ) from None
    return DEFAULT_ENTRY


def properties_document(groups: PropertyGroups) -> list[dict[str, Any]]:
    """The content of ``application_properties.json`` for these groups."""
    return [
        {"PropertyGroupId": str(group["PropertyGroupId"]), "PropertyMap": dict(group.get("PropertyMap", {}))}
        for group in groups
    ]


def write_application_properties(groups: PropertyGroups, directory: Path) -> Path:
    """Write ``application_properties.json`` into ``directory`` atomically; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PROPERTIES_FILE_NAME
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".properties-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(properties_document(groups), stream, indent=2, sort_keys=True)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
