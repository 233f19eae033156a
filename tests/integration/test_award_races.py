"""Exactly one current award per badge and recipient, whatever races the requests run."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from issuer.extensions import db
from issuer.models import Assertion, Notification
from issuer.services import awards
from tests.conftest import LiveServer
from tests.support import ApiClient, csrf_token, make_token, post_json, race

MakeBadge = Callable[..., dict[str, Any]]


def _current(app: Flask, badge_id: str) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Assertion)
                .where(Assertion.badge_id == uuid.UUID(badge_id), Assertion.revoked.is_(False))
            )
            or 0
        )


def test_parallel_awards_to_a_known_person_make_one_award(
    live: LiveServer, make_badge: MakeBadge
) -> None:
    badge = make_badge()
    token = make_token(live.app, "racer@example.org", admin=True)
    make_token(live.app, "ada@example.org", admin=False)  # an account, without the badge
    url = f"{live.url}/api/v1/badges/{badge['id']}/awards"
    for round in range(2):  # the second round races against an award that exists already
        answers = race([partial(post_json, url, token, {"recipients": ["ada@example.org"]})] * 32)
        statuses = sorted(status for status, _ in answers)
        assert statuses == ([200] * 31 + [201] if round == 0 else [200] * 32), answers
        assert len({body["awards"][0]["id"] for _, body in answers}) == 1
        assert sum(body["created"] for _, body in answers) == (1 if round == 0 else 0)
    assert _current(live.app, badge["id"]) == 1
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


class LateLook:
    """Once armed, the awards service's next look for held awards misses, as if a race ran.

    The other request's award is then already committed, so only the database can tell.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.missed = False

    def arm(self) -> None:
        """Make the next look miss."""
        look = awards.current_awards

        def forgetful(badge_id: uuid.UUID, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Assertion]:
            if not self.missed:
                self.missed = True
                return {}
            return look(badge_id, user_ids)

        self.monkeypatch.setattr(awards, "current_awards", forgetful)


@pytest.fixture
def late_look(monkeypatch: pytest.MonkeyPatch) -> Iterator[LateLook]:
    """A LateLook; the test fails if it was armed but the look never came."""
    late = LateLook(monkeypatch)
    yield late
    assert late.missed, "the look for held awards was never made"


def test_the_database_refuses_a_second_current_award(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Any
) -> None:
    badge = make_badge()
    held = award(badge["id"], "ada@example.org")["awards"][0]
    with app.app_context():
        first = db.session.get(Assertion, uuid.UUID(held["id"]))
        assert first is not None
        copy = {
            column.key: getattr(first, column.key)
            for column in Assertion.__mapper__.column_attrs
            if column.key != "id"
        }
        db.session.add(Assertion(**{**copy, "status_list": None, "status_index": None}))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        # Duplicates on request, and revoked awards, stay outside the rule.
        db.session.add(Assertion(**{**copy, "status_index": None, "duplicate": True}))
        db.session.add(Assertion(**{**copy, "status_index": None, "revoked": True}))
        db.session.commit()


def test_an_api_award_that_loses_a_race_answers_with_the_winner(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Any, late_look: LateLook
) -> None:
    badge = make_badge()
    held = award(badge["id"], "ada@example.org")["awards"][0]
    late_look.arm()
    # The late look happens in this call: it must not create a second award, nor fail.
    response = api.post(
        f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org", "bob@example.org"]}
    )
    assert response.status_code == 201, response.json
    body = response.json or {}
    assert (body["created"], body["existing"]) == (1, 1)
    assert body["awards"][0] == held
    assert body["awards"][1]["recipient"] == "bob@example.org"
    assert _current(app, badge["id"]) == 2


def test_an_api_award_of_one_that_loses_a_race_answers_200(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    badge = make_badge()
    held = award(badge["id"], "ada@example.org")["awards"][0]
    monkeypatch.setattr(awards, "current_awards", lambda badge_id, user_ids: {})
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    # Every look misses, so the answer comes from the database's refusal alone.
    assert response.status_code == 409, response.json
    monkeypatch.undo()
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    assert response.status_code == 200
    assert (response.json or {})["awards"] == [held]
    assert _current(app, badge["id"]) == 1


def test_a_csv_award_that_loses_a_race_reports_the_held_award(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Any, late_look: LateLook
) -> None:
    badge = make_badge()
    held = award(badge["id"], "ada@example.org")["awards"][0]
    late_look.arm()
    response = api.client.post(
        f"/api/v1/badges/{badge['id']}/awards",
        data=b"email\nbob@example.org\nada@example.org\n",
        headers={**api.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.json
    body = response.json or {}
    assert (body["created"], body["existing"]) == (1, 1)
    assert [row["status"] for row in body["rows"]] == ["new", "already_held"]
    assert body["rows"][1]["award"] == held["id"]
    assert _current(app, badge["id"]) == 2


def test_a_hand_award_that_loses_a_race_says_the_badge_was_held(
    app: Flask,
    as_admin: FlaskClient,
    people: dict[str, str],
    make_badge: MakeBadge,
    award: Any,
    late_look: LateLook,
) -> None:
    badge = make_badge()
    award(badge["id"], people["learner"])
    with app.app_context():
        learner = db.session.scalar(
            select(Assertion.recipient_id).where(Assertion.badge_id == uuid.UUID(badge["id"]))
        )
    path = f"/studio/users/{learner}/award"
    token = csrf_token(as_admin, path)
    late_look.arm()
    response = as_admin.post(path, data={"csrf_token": token, "badges": [badge["id"]]})
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Awarded 0 badges" in page
    assert "1 of the chosen badges" in page
    assert _current(app, badge["id"]) == 1


def test_a_stage_completion_that_loses_a_race_keeps_the_hand_award(
    app: Flask, api: ApiClient, course: dict[str, Any], award: Any, late_look: LateLook
) -> None:
    stage = course["stages"][0]
    held = award(stage["badge"], "ada@example.org")["awards"][0]
    late_look.arm()
    response = api.post(
        f"/courses/{course['id']}/stages/{stage['id']}/completions", {"user": "ada@example.org"}
    )
    assert response.status_code == 201, response.json
    body = response.json or {}
    assert body["award"]["id"] == held["id"]
    assert _current(app, stage["badge"]) == 1
    with app.app_context():  # the learner was told once, of the hand award
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_duplicates_on_request_are_still_made(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Any
) -> None:
    badge = make_badge()
    award(badge["id"], "ada@example.org")
    second = award(badge["id"], "ada@example.org", allow_duplicate=True)
    third = award(badge["id"], "ada@example.org", allow_duplicate=True)
    assert (second["created"], third["created"]) == (1, 1)
    assert _current(app, badge["id"]) == 3
