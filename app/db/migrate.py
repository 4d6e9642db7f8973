"""Apply Alembic migrations programmatically (at start-up and from ``msf-local migrate``).

A start-up finds the schema at its newest revision almost always, so :func:`upgrade` first compares the
database's ``alembic_version`` with the heads of the migration scripts (read from their ``revision`` and
``down_revision`` lines, without loading Alembic) and only runs Alembic when they differ.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"
VERSION_TABLE = "alembic_version"

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def script_heads(versions: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The head revisions of the migration scripts in ``versions``; empty if a script cannot be read this
    way (then :func:`upgrade` leaves the decision to Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        assigned = {name: value for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))}
        try:
            revision = ast.literal_eval(assigned["revision"])
            down = ast.literal_eval(assigned.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return frozenset()
        if not isinstance(revision, str):
            return frozenset()
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def database_revisions(url: str) -> frozenset[str]:
    """The revisions recorded in the database's ``alembic_version`` (empty for a new database)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return frozenset()
            return frozenset(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    finally:
        engine.dispose()


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest revision (nothing to do if it is there already)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    heads = script_heads()
    if heads and database_revisions(url) == heads:
        return
    from alembic import command

    command.upgrade(alembic_config(url), "head")
