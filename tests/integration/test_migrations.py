"""Migrations that change data: run from the revision before, on a database of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from issuer.extensions import db
from issuer.services.keystore import MemoryKeyStore
from tests.support import build_app


@pytest.fixture
def scratch_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def test_current_awards_migration_keeps_the_oldest_of_raced_duplicates(
    scratch_database: str, keystore: MemoryKeyStore, tmp_path: Path
) -> None:
    app = build_app(scratch_database, keystore, tmp_path)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0005_credentials")
        tables = MetaData()
        tables.reflect(db.engine)
        sqlite = db.engine.dialect.name == "sqlite"

        def key(value: uuid.UUID) -> Any:
            return value.hex if sqlite else value  # the two databases' UUID columns

        now = datetime(2026, 1, 1, tzinfo=UTC)
        badge, ada, bob = (uuid.uuid4() for _ in range(3))
        with db.engine.begin() as connection:
            _insert_badges(connection, tables, key, {badge: True}, now)
            _insert_users(
                connection, tables, key, {ada: "ada@example.org", bob: "bob@example.org"}, now
            )
            # Ada: three current awards (a race) and a revoked one; Bob: one award.
            awards = [
                (uuid.uuid4(), ada, 2, False),
                (uuid.uuid4(), ada, 0, False),
                (uuid.uuid4(), ada, 1, False),
                (uuid.uuid4(), ada, -1, True),
                (uuid.uuid4(), bob, 3, False),
            ]
            for award_id, user, minutes, revoked in awards:
                connection.execute(
                    tables.tables["assertions"].insert(),
                    {
                        "id": key(award_id),
                        "badge_id": key(badge),
                        "recipient_id": key(user),
                        "recipient_email": "x@example.org",
                        "salt": "s",
                        "issued_on": now,
                        "evidence": [],
                        "revoked": revoked,
                        "hidden": False,
                        "created_at": now + timedelta(minutes=minutes),
                    },
                )
        upgrade(directory=directory)
        tables = MetaData()
        tables.reflect(db.engine)
        assertions = tables.tables["assertions"]
        with db.engine.connect() as connection:
            flags = dict(connection.execute(select(assertions.c.id, assertions.c.duplicate)).all())
        db.engine.dispose()
    marked = {award_id: bool(flags[key(award_id)]) for award_id, *_ in awards}
    assert list(marked.values()) == [True, False, True, False, False]


@pytest.mark.parametrize("feed_setting", [None, True, False])
def test_feed_posts_migration_keeps_what_the_feed_showed(
    scratch_database: str, keystore: MemoryKeyStore, tmp_path: Path, feed_setting: bool | None
) -> None:
    app = build_app(scratch_database, keystore, tmp_path)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0010_people")
        tables = MetaData()
        tables.reflect(db.engine)
        sqlite = db.engine.dialect.name == "sqlite"

        def key(value: uuid.UUID) -> Any:
            return value.hex if sqlite else value

        now = datetime(2026, 1, 1, tzinfo=UTC)
        loud, quiet, ada = (uuid.uuid4() for _ in range(3))
        loud_award, quiet_award = uuid.uuid4(), uuid.uuid4()
        with db.engine.begin() as connection:
            _insert_badges(connection, tables, key, {loud: True, quiet: False}, now)
            _insert_users(connection, tables, key, {ada: "ada@example.org"}, now)
            for award_id, badge in ((loud_award, loud), (quiet_award, quiet)):
                connection.execute(
                    tables.tables["assertions"].insert(),
                    {"id": key(award_id), "badge_id": key(badge), "recipient_id": key(ada)}
                    | {"recipient_email": "ada@example.org", "salt": "s", "issued_on": now}
                    | {"evidence": [], "revoked": False, "hidden": False, "created_at": now},
                )
            if feed_setting is not None:
                connection.execute(
                    tables.tables["settings"].insert(),
                    {"key": "feed_enabled", "value": feed_setting},
                )
        upgrade(directory=directory)
        tables = MetaData()
        tables.reflect(db.engine)
        assertions = tables.tables["assertions"]
        with db.engine.connect() as connection:
            posted = dict(connection.execute(select(assertions.c.id, assertions.c.in_feed)).all())
        db.engine.dispose()
    shown = feed_setting is not False
    assert bool(posted[key(loud_award)]) is shown
    assert bool(posted[key(quiet_award)]) is False


def _insert_badges(
    connection: Any, tables: MetaData, key: Any, badges: dict[uuid.UUID, bool], now: datetime
) -> None:
    """One issuer with these badges (id: whether it posts awards to the feed), as stored then."""
    image, issuer = uuid.uuid4(), uuid.uuid4()
    connection.execute(
        tables.tables["images"].insert(),
        {"id": key(image), "media_type": "image/png", "sha256": "0" * 64, "data": b"x"}
        | {"created_at": now},
    )
    connection.execute(
        tables.tables["issuers"].insert(),
        {"id": key(issuer), "name": "I", "url": "https://i.example", "email": "i@i.example"}
        | {"created_at": now},
    )
    for badge, post_to_feed in badges.items():
        connection.execute(
            tables.tables["badge_classes"].insert(),
            {"id": key(badge), "issuer_id": key(issuer), "name": "B", "description": "D"}
            | {"image_id": key(image), "tags": [], "alignment": [], "private": False}
            | {"post_to_feed": post_to_feed, "archived": False}
            | {"created_at": now, "updated_at": now},
        )


def _insert_users(
    connection: Any, tables: MetaData, key: Any, users: dict[uuid.UUID, str], now: datetime
) -> None:
    """Learners by id and e-mail address, as stored then."""
    for user, email in users.items():
        connection.execute(
            tables.tables["users"].insert(),
            {"id": key(user), "email": email, "name": email, "role": "learner"}
            | {"created_at": now},
        )
