"""Application code as AWS packages it for Flink: a JAR, or a zip whose Python entry has jars and files.

- A JAR (a zip with ``META-INF/MANIFEST.MF`` and classes) is kept whole as ``application.jar``; its entry
  class comes from the manifest (``Main-Class``).
- A zip for Python names in property group ``kinesis.analytics.flink.run.options``: ``python`` (the entry
  file), ``jarfile`` (a jar with the connectors, e.g. ``lib/pyflink-dependencies.jar``) and ``pyFiles``
  (comma-separated extra Python files or directories).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from app.code.archive import ArchiveLimits, CodeData, check_archive, open_zip, zip_file
from app.code.properties import RUN_OPTIONS_GROUP
from runtime_adapter.base import JobCode, PropertyGroup


def is_jar(data: CodeData) -> bool:
    """Whether ``data`` is a Java archive (manifest and classes) rather than a code zip."""
    try:
        with zip_file(data) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return False
    return "META-INF/MANIFEST.MF" in names and any(name.endswith(".class") for name in names)


def check_code(data: CodeData, limits: ArchiveLimits | None = None) -> None:
    """Refuse code that Create/UpdateApplication must not accept (``CodeValidationException``).

    A JAR is kept whole, never unpacked: only its own size counts (a fat JAR has tens of thousands of
    entries and unpacks to far more than it weighs). Any other zip is unpacked, so every entry and the
    unpacked size and ratio are checked (``archive.check_archive``).
    """
    limits = limits or ArchiveLimits()
    open_zip(data, limits).close()
    if not is_jar(data):
        check_archive(data, limits)


def with_run_options(code: JobCode, groups: Iterable[dict[str, Any]]) -> JobCode:
    """``code`` with the ``jarfile`` and ``pyFiles`` of the run options group."""
    for group in groups:
        if group.get("PropertyGroupId") == RUN_OPTIONS_GROUP:
            options = group.get("PropertyMap", {})
            jars = tuple(name.strip() for name in options.get("jarfile", "").split(",") if name.strip())
            files = tuple(name.strip() for name in options.get("pyFiles", "").split(",") if name.strip())
            return replace(code, jars=jars, python_files=files)
    return code


def property_groups(groups: Iterable[dict[str, Any]]) -> tuple[PropertyGroup, ...]:
    """AWS-shaped property groups as ``PropertyGroup`` values."""
    return tuple(PropertyGroup(g["PropertyGroupId"], dict(g.get("PropertyMap", {}))) for g in groups)
