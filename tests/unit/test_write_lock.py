"""``lock_for_write`` on SQLite: the first statement of a change takes the database write lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db.migrate import upgrade
from app.db.repositories import lock_for_write


def test_a_second_writer_cannot_lock_while_the_first_holds_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    upgrade(url)
    engine = create_engine(url, connect_args={"timeout": 0.05})
    try:
        with Session(engine) as first:
            lock_for_write(first)
            with Session(engine) as second, pytest.raises(OperationalError, match="database is locked"):
                lock_for_write(second)
            first.commit()
        with Session(engine) as third:
            lock_for_write(third)
            third.commit()
    finally:
        engine.dispose()
