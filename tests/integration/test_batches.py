"""Set-based look-ups: many values in as few statements as the database allows."""

from __future__ import annotations

import uuid

from flask import Flask
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import User
from issuer.models.types import utcnow
from issuer.services.awards import ensure_learners, find_user_ids
from issuer.services.batches import CHUNK, insert_rows
from tests.support import recorded_statements


def test_many_addresses_are_found_in_one_statement_on_postgresql(app: Flask) -> None:
    addresses = [f"learner{n}@batch.example" for n in range(CHUNK * 2 + 1)]
    with app.app_context():
        created = ensure_learners(dict.fromkeys(addresses), utcnow())
        with recorded_statements(db.engine) as seen:
            found = find_user_ids([*addresses, "nobody@batch.example"])
        postgresql = db.engine.dialect.name == "postgresql"
    assert found == created
    assert len(found) == len(addresses)
    # PostgreSQL: one array parameter; SQLite: IN lists of CHUNK values.
    assert len(seen) == (1 if postgresql else 3)
    if postgresql:
        assert "ANY" in seen[0][0]


def test_insert_rows_skips_clashes_and_returns_what_it_inserted(app: Flask) -> None:
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "email": f"row{n}@batch.example",
            "name": f"Row {n}",
            "created_at": now,
        }
        for n in range(CHUNK + 3)
    ]
    with app.app_context():
        first = insert_rows(User, rows[:2], unique=("email",), returning=User.email)
        again = insert_rows(User, rows, unique=("email",), returning=User)
        db.session.commit()
        stored = db.session.scalar(select(func.count()).select_from(User))
    assert first == ["row0@batch.example", "row1@batch.example"]
    assert sorted(user.email for user in again) == sorted(str(row["email"]) for row in rows[2:])
    assert all(user.role == "learner" for user in again)  # the model's default
    assert stored == len(rows)
