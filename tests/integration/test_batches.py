"""Set-based look-ups: many values in as few statements as the database allows."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text

from issuer.extensions import db
from issuer.models import Setting, User
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


def test_one_row_and_many_rows_are_stored_alike(app: Flask) -> None:
    """A single row goes in as plain VALUES, several through json_each or unnest: the same."""
    now = utcnow()
    values: list[Any] = [{"a": [1, "é"]}, ["x", 2.5], "text", 7, True, None]

    def settings(prefix: str) -> list[dict[str, Any]]:
        return [{"key": f"{prefix}{n}", "value": value} for n, value in enumerate(values)]

    def users(prefix: str) -> list[dict[str, Any]]:
        return [
            {
                "id": uuid.uuid4(),
                "email": f"{prefix}{n}@batch.example",
                "name": f"Row {n}",
                "password_hash": None,
                "role": "learner",
                "created_at": now,
                "active": n % 2 == 0,
            }
            for n in range(2)
        ]

    with app.app_context():
        for row in settings("one"):
            insert_rows(Setting, [row])
        insert_rows(Setting, settings("many"))
        single_users, many_users = users("one"), users("many")
        for row in single_users:
            insert_rows(User, [row])
        insert_rows(User, many_users)
        db.session.commit()
        # As stored, in the database's own text, so a difference in encoding shows too.
        stored: dict[str, str] = dict(
            db.session.execute(
                text(
                    "SELECT key, CAST(value AS TEXT) FROM settings WHERE key LIKE 'one%' "
                    "OR key LIKE 'many%'"
                )
            ).all()
        )
        people = {
            row[0]: row[1:]
            for row in db.session.execute(
                text(
                    "SELECT email, CAST(id AS TEXT), CAST(created_at AS TEXT), active, "
                    "password_hash "
                    "FROM users WHERE email LIKE '%@batch.example'"
                )
            )
        }
    for n in range(len(values)):
        assert stored[f"one{n}"] == stored[f"many{n}"], values[n]
    for n, (one, many) in enumerate(zip(single_users, many_users, strict=True)):
        alone, together = people[one["email"]], people[many["email"]]
        assert (alone[1:], len(alone[0])) == (together[1:], len(together[0])), n
