"""Application code as AWS packages it for Flink: a JAR, or a zip whose Python entry has jars and files.

- A JAR (a zip with ``META-INF/MANIFEST.MF`` and classes) is kept whole as ``application.jar``; its entry
  class comes from the manifest (``Main-Class``).
- A zip for Python names in property group ``kinesis.analytics.flink.run.options``: ``python`` (the entry
  file), ``jarfile`` (a jar with the connectors, e.g. ``lib/pyflink-dependencies.jar``) and ``pyFiles``
  (comma-separated extra Python files or directories).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.code.properties import RUN_OPTIONS_GROUP
from runtime_adapter.base import CodeLanguage, JobCode, PropertyGroup

JAR_NAME = "application.jar"


def is_jar(data: bytes) -> bool:
    """Whether ``data`` is a Java archive (manifest and classes) rather than a code zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return False
    return "META-INF/MANIFEST.MF" in names and any(name.endswith(".class") for name in names)


def prepare_jar(root: Path, data: bytes) -> JobCode:
    """Keep a JAR once per content under ``root`` and describe it."""
    directory = root / f"{hashlib.sha256(data).hexdigest()}-jar"
    if not (directory / JAR_NAME).is_file():
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f".{JAR_NAME}.partial"
        partial.write_bytes(data)
        os.replace(partial, directory / JAR_NAME)
    return JobCode(root=directory, entry=JAR_NAME, language=CodeLanguage.JAR)


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
