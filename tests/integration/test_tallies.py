"""Award and user counts kept by the database: exact whatever writes the rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import Integer, cast, delete, func, insert, select, update

from issuer.extensions import db
from issuer.models import Assertion, BadgeTally, Notification, Tally, User
from issuer.models.types import utcnow
from tests.support import ApiClient


def counted(app: Flask) -> tuple[dict[uuid.UUID, tuple[int, int]], int]:
    """What the tallies say and what counting the rows says, side by side, must agree."""
    with app.app_context():
        kept = {
            badge_id: (awarded, revoked)
            for badge_id, awarded, revoked in db.session.execute(
                select(BadgeTally.badge_id, BadgeTally.awarded, BadgeTally.revoked).where(
                    BadgeTally.awarded != 0
                )
            )
        }
        real = {
            badge_id: (int(awarded), int(revoked or 0))
            for badge_id, awarded, revoked in db.session.execute(
                select(
                    Assertion.badge_id,
                    func.count(),
                    func.sum(cast(Assertion.revoked, Integer)),
                ).group_by(Assertion.badge_id)
            )
        }
        users = db.session.scalar(select(Tally.value).where(Tally.name == "users")) or 0
        assert users == db.session.scalar(select(func.count()).select_from(User))
    assert kept == real
    return kept, users


def test_tallies_follow_awards_revocations_and_deletes_from_any_path(
    app: Flask,
    api: ApiClient,
    make_badge: Callable[..., dict[str, Any]],
    award: Callable[..., dict[str, Any]],
) -> None:
    first, second = make_badge(), make_badge(name="Second")
    recipients = [f"t{n}@tally.example" for n in range(30)]
    made = api.post(f"/badges/{first['id']}/awards", {"recipients": recipients, "notify": False})
    assert made.status_code == 201
    # Again: nothing new; with duplicates: thirty more; one more by hand to the second badge.
    api.post(f"/badges/{first['id']}/awards", {"recipients": recipients, "notify": False})
    api.post(
        f"/badges/{first['id']}/awards",
        {"recipients": recipients[:5], "allow_duplicate": True, "notify": False},
    )
    (held,) = award(second["id"], "t0@tally.example")["awards"]
    revoked = api.post(f"/assertions/{held['id']}/revoke", {"reason": "Given in error."})
    assert revoked.status_code == 200
    api.post(f"/assertions/{held['id']}/revoke", {"reason": "Twice."})  # counts once

    kept, users = counted(app)
    badge_one, badge_two = uuid.UUID(first["id"]), uuid.UUID(second["id"])
    assert kept == {badge_one: (35, 0), badge_two: (1, 1)}
    assert users == 31  # thirty learners and the admin who owns the API token

    # Rows written without the services (a bulk load, a script) are counted the same.
    with app.app_context():
        learner = db.session.scalar(select(User.id).where(User.email == "t1@tally.example"))
        db.session.execute(
            insert(Assertion),
            [
                {
                    "id": uuid.uuid4(),
                    "badge_id": badge_two,
                    "recipient_id": learner,
                    "recipient_email": "t1@tally.example",
                    "salt": "s",
                    "issued_on": utcnow(),
                    "revoked": n == 0,
                    "duplicate": True,
                }
                for n in range(3)
            ],
        )
        db.session.execute(
            update(Assertion)
            .where(Assertion.badge_id == badge_one, Assertion.duplicate.is_(True))
            .values(badge_id=badge_two)
        )
        db.session.execute(update(Assertion).values(hidden=True))  # changes no count
        db.session.commit()
    kept, _ = counted(app)
    assert kept == {badge_one: (30, 0), badge_two: (9, 2)}

    with app.app_context():
        gone = select(Assertion.id).where(Assertion.badge_id == badge_two)
        db.session.execute(delete(Notification).where(Notification.assertion_id.in_(gone)))
        db.session.execute(delete(Assertion).where(Assertion.badge_id == badge_two))
        db.session.commit()
    kept, _ = counted(app)
    assert kept == {badge_one: (30, 0)}


def test_api_counts_come_from_the_tallies(
    api: ApiClient, make_badge: Callable[..., dict[str, Any]], award: Callable[..., dict[str, Any]]
) -> None:
    badge = make_badge()
    given = [award(badge["id"], f"c{n}@tally.example")["awards"][0] for n in range(3)]
    api.post(f"/assertions/{given[0]['id']}/revoke", {"reason": "Mistake."})
    listed = api.get("/badges").json
    assert listed is not None
    (shown,) = [b for b in listed["badges"] if b["id"] == badge["id"]]
    assert shown["award_count"] == 2
    page = api.get(f"/badges/{badge['id']}/awards?per_page=2").json
    assert page is not None
    assert page["total"] == 3 and page["next"] is not None
    users = api.get("/users").json
    assert users is not None and users["total"] == 4
