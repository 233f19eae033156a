"""Fast row reads give exactly what the ORM gives, on every database."""

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import update

from issuer.extensions import db
from issuer.models import Assertion
from issuer.services.rows import reader_for

COLUMNS = ("badge_id", "recipient_email", "issued_on", "expires", "evidence", "revoked")


def test_reader_matches_the_orm(app: Flask, make_badge: Any, award: Any) -> None:
    badge = make_badge(expires_after_days=3)
    created = award(badge["id"], "ada@example.org", evidence=[{"name": "E"}])["awards"][0]
    with app.app_context():
        table = db.metadata.tables["assertions"]
        reader = reader_for(db.engine, table, COLUMNS)
        assertion = db.session.get(Assertion, uuid.UUID(created["id"]))
        assert assertion is not None
        assert reader.read(assertion.id) == tuple(getattr(assertion, c) for c in COLUMNS)
        assert reader.read(uuid.uuid4()) is None
        assert reader_for(db.engine, table, COLUMNS) is reader


def test_raw_rows_tell_whether_a_row_changed(app: Flask, make_badge: Any, award: Any) -> None:
    created = award(make_badge()["id"], "ada@example.org", evidence=[{"name": "E"}])["awards"][0]
    assertion_id = uuid.UUID(created["id"])
    with app.app_context():
        reader = reader_for(db.engine, db.metadata.tables["assertions"], COLUMNS)
        before = reader.read_raw(assertion_id)
        assert before is not None and reader.read_raw(assertion_id) == before
        db.session.execute(
            update(Assertion).where(Assertion.id == assertion_id).values(evidence=[{"name": "F"}])
        )
        db.session.commit()
        after = reader.read_raw(assertion_id)
        assert after is not None and after != before
        assert reader.convert(after)[4] == [{"name": "F"}]


def test_revocation_is_seen_through_the_document_cache(
    client: Any, api: Any, make_badge: Any, award: Any
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    url = assertion["openBadgeId"].removeprefix("http://issuer.test")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Withdrawn"})
    gone = client.get(url)
    assert gone.status_code == 410
    assert (gone.json or {})["revocationReason"] == "Withdrawn"


def test_reader_recovers_from_a_broken_connection(app: Flask, make_badge: Any, award: Any) -> None:
    created = award(make_badge()["id"], "ada@example.org")["awards"][0]
    assertion_id = uuid.UUID(created["id"])
    with app.app_context():
        reader = reader_for(db.engine, db.metadata.tables["assertions"], COLUMNS)
        assert reader.read(assertion_id) is not None
        reader._connection().close()  # as if the database had dropped it
        row = reader.read(assertion_id)
        assert row is not None
        assert row[1] == "ada@example.org"
