"""The Alembic migrations: they build exactly the models' schema, and they downgrade cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import app.db.deployments  # noqa: F401  (the control loop's table is part of the schema)
from app.db.migrate import alembic_config, database_revisions, script_heads, upgrade
from app.db.models import Base


def test_migrations_match_the_models_and_are_reversible(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        command.downgrade(alembic_config(database_url), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(database_url)
        with engine.connect() as connection:
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    assert script_heads() == frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    assert len(script_heads()) == 1


def test_alembic_runs_only_when_the_schema_is_behind(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    real_upgrade = command.upgrade
    monkeypatch.setattr(command, "upgrade", lambda config, revision: runs.append(revision))
    upgrade(database_url)  # a new database: Alembic creates the schema
    assert runs == ["head"]
    real_upgrade(alembic_config(database_url), "head")
    assert database_revisions(database_url) == script_heads()
    upgrade(database_url)  # at head: nothing to do
    assert runs == ["head"]
    command.downgrade(alembic_config(database_url), "-1")
    upgrade(database_url)  # one revision behind: Alembic again
    assert runs == ["head", "head"]
