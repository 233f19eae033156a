"""Set-based look-ups: many values in as few statements as the database allows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from issuer.extensions import db
from issuer.models.types import utcnow
from issuer.services.awards import ensure_learners, find_user_ids
from issuer.services.batches import CHUNK


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run on the session's connection meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_many_addresses_are_found_in_one_statement_on_postgresql(app: Flask) -> None:
    addresses = [f"learner{n}@batch.example" for n in range(CHUNK * 2 + 1)]
    with app.app_context():
        created = ensure_learners(dict.fromkeys(addresses), utcnow())
        with statements() as seen:
            found = find_user_ids([*addresses, "nobody@batch.example"])
        postgresql = db.engine.dialect.name == "postgresql"
    assert found == created
    assert len(found) == len(addresses)
    # PostgreSQL: one array parameter; SQLite: IN lists of CHUNK values.
    assert len(seen) == (1 if postgresql else 3)
    if postgresql:
        assert "ANY" in seen[0]
