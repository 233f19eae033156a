"""Courses through the API: stages, completions, the badges they award, exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, Enrolment, Notification, StageCompletion, User
from issuer.services import profiles
from tests.conftest import LiveServer
from tests.support import ApiClient, make_token, post_json, race

MakeBadge = Callable[..., dict[str, Any]]
WHEN = "2026-03-01T09:30:00Z"


def complete(api: ApiClient, course: dict[str, Any], stage: int, **body: Any) -> Any:
    """Report a completion of the course's stage number ``stage`` (from 0)."""
    stage_id = course["stages"][stage]["id"]
    return api.post(f"/courses/{course['id']}/stages/{stage_id}/completions", body)


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_create_show_and_list_courses(
    api: ApiClient, course: dict[str, Any], course_badges: dict[str, dict[str, Any]]
) -> None:
    assert course["name"] == "Python 101"
    assert [(s["position"], s["name"]) for s in course["stages"]] == [
        (1, "Basics"),
        (2, "Reading"),
        (3, "Advanced"),
    ]
    assert course["stages"][1]["badge"] is None
    assert course["completion_badge"] == course_badges["graduate"]["id"]
    assert api.get(f"/courses/{course['id']}").json == course
    listed = api.get("/courses").json or {}
    assert [c["id"] for c in listed["courses"]] == [course["id"]]


def test_update_keeps_stages_by_id_reorders_and_adds(
    api: ApiClient, course: dict[str, Any]
) -> None:
    basics, reading, advanced = course["stages"]
    response = api.patch(
        f"/courses/{course['id']}",
        {
            "name": "Python 102",
            "stages": [
                {"id": reading["id"], "name": "Reading, revised"},
                {"id": basics["id"], "name": "Basics", "badge": basics["badge"]},
                {"name": "Project"},
            ],
            "completion_badge": None,
        },
    )
    assert response.status_code == 200, response.json
    body = response.json or {}
    assert body["name"] == "Python 102"
    assert [(s["id"], s["name"]) for s in body["stages"][:2]] == [
        (reading["id"], "Reading, revised"),
        (basics["id"], "Basics"),
    ]
    assert body["stages"][2]["id"] not in {basics["id"], reading["id"], advanced["id"]}
    assert body["completion_badge"] is None


def test_a_stage_with_completions_cannot_be_removed(api: ApiClient, course: dict[str, Any]) -> None:
    assert complete(api, course, 1, user="ada@example.org").status_code == 201
    kept = [{"id": s["id"], "name": s["name"]} for s in course["stages"] if s["name"] != "Reading"]
    response = api.patch(f"/courses/{course['id']}", {"stages": kept})
    assert response.status_code == 409
    assert "'Reading' has completions" in (response.json or {})["message"]
    assert [s["name"] for s in (api.get(f"/courses/{course['id']}").json or {})["stages"]] == [
        "Basics",
        "Reading",
        "Advanced",
    ]


def test_private_badges_cannot_be_earned_through_a_course(
    api: ApiClient, make_badge: MakeBadge
) -> None:
    secret = make_badge(name="Secret", private=True)
    for body, field in [
        ({"name": "C", "stages": [{"name": "S", "badge": secret["id"]}]}, "stages[0].badge"),
        ({"name": "C", "stages": [{"name": "S"}], "completion_badge": secret["id"]}, None),
    ]:
        response = api.post("/courses", body)
        assert response.status_code == 400
        error = response.json or {}
        assert "private" in error["message"] and "awarded by hand only" in error["message"]
        assert error["field"] == (field or "completion_badge")
    assert (api.get("/courses").json or {})["courses"] == []


def test_badges_a_course_awards_stay_public_and_open(
    api: ApiClient, course: dict[str, Any], course_badges: dict[str, dict[str, Any]]
) -> None:
    for flag in ("private", "archived"):
        for name in ("basics", "graduate"):
            badge_id = course_badges[name]["id"]
            response = api.patch(f"/badges/{badge_id}", {flag: True})
            assert response.status_code == 409
            assert "Python 101" in (response.json or {})["message"]
            assert (api.get(f"/badges/{badge_id}").json or {})[flag] is False


def test_unknown_and_bad_references_are_refused(
    api: ApiClient, course: dict[str, Any], make_badge: MakeBadge
) -> None:
    archived = make_badge(name="Old")
    api.patch(f"/badges/{archived['id']}", {"archived": True})
    missing = "00000000-0000-4000-8000-000000000000"
    for body in [
        {"name": "C", "stages": [{"name": "S", "badge": archived["id"]}]},
        {"name": "C", "stages": [{"name": "S", "badge": missing}]},
        {"name": "C", "stages": []},
        {"name": " ", "stages": [{"name": "S"}]},
        {"name": "C", "stages": [{"name": "S", "colour": "red"}]},
    ]:
        assert api.post("/courses", body).status_code == 400, body
    assert api.patch(f"/courses/{missing}", {"name": "X"}).status_code == 404
    response = api.patch(f"/courses/{course['id']}", {"stages": [{"id": missing, "name": "S"}]})
    assert response.status_code == 400
    assert response.json and response.json["field"] == "stages[0].id"
    assert api.get(f"/courses/{missing}").status_code == 404


def test_completing_a_stage_awards_its_badge_at_once(
    app: Flask, api: ApiClient, client: Any, course: dict[str, Any]
) -> None:
    response = complete(api, course, 0, user="Ada@Example.org")
    assert response.status_code == 201, response.json
    result = response.json or {}
    assert result["status"] == "completed"
    assert result["user"] == "ada@example.org"
    assert result["course_completed"] is False and result["course_award"] is None
    award = result["award"]
    assert award["badge"] == course["stages"][0]["badge"]
    assert award["evidence"] == [
        {
            "name": "Python 101: Basics",
            "narrative": "Stage 1 of 3 of the course “Python 101”, completed on "
            f"{datetime.now(UTC):%Y-%m-%d}.",
        }
    ]
    assert "“Basics” (1 of 3)" in award["narrative"]
    hosted = client.get(f"/public/assertions/{award['id']}")
    assert hosted.status_code == 200
    assert hosted.json["evidence"][0]["name"] == "Python 101: Basics"
    with app.app_context():
        learner = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert learner is not None and learner.role == "learner"
        assert learner.password_hash is None
        notices = db.session.scalars(select(Notification).where(Notification.user_id == learner.id))
        assert [n.assertion_id for n in notices] == [uuid.UUID(award["id"])]
        completion = db.session.scalar(select(StageCompletion))
        assert completion is not None
        assert completion.source == "api" and completion.remote_addr == "127.0.0.1"
        assert completion.reported_by is not None
        assert completion.reported_by.email == "admin@example.org"
        assert str(completion.assertion_id) == award["id"]
    profile = client.get(f"/users/{award['recipient_id']}")
    assert "Basics" in profile.text
    with app.app_context():
        assert [str(a.id) for a in profiles.feed()] == [award["id"]]


def test_completing_again_awards_nothing_more(
    app: Flask, api: ApiClient, course: dict[str, Any]
) -> None:
    first = complete(api, course, 0, user="ada@example.org").json or {}
    again = complete(api, course, 0, user="ADA@example.org")
    assert again.status_code == 200
    body = again.json or {}
    assert body["status"] == "already_completed"
    assert body["id"] == first["id"]
    assert body["award"]["id"] == first["award"]["id"]
    assert count(app, Assertion) == 1
    assert count(app, StageCompletion) == 1
    assert count(app, Notification) == 1


def test_a_stage_without_a_badge_records_the_completion(
    app: Flask, api: ApiClient, course: dict[str, Any]
) -> None:
    response = complete(api, course, 1, user="ada@example.org")
    assert response.status_code == 201
    assert (response.json or {})["award"] is None
    assert count(app, StageCompletion) == 1
    assert count(app, Assertion) == 0


def test_completing_the_last_stage_awards_the_course_badge(
    app: Flask, api: ApiClient, course: dict[str, Any], course_badges: dict[str, dict[str, Any]]
) -> None:
    for stage in (2, 0):  # out of order: what counts is that every stage is done
        body = complete(api, course, stage, user="ada@example.org").json or {}
        assert body["course_completed"] is False
    last = complete(api, course, 1, user="ada@example.org").json or {}
    assert last["course_completed"] is True
    course_award = last["course_award"]
    assert course_award["badge"] == course_badges["graduate"]["id"]
    assert course_award["evidence"][0]["name"] == "Python 101"
    assert "1. Basics; 2. Reading; 3. Advanced" in course_award["evidence"][0]["narrative"]
    again = complete(api, course, 1, user="ada@example.org").json or {}
    assert again["course_completed"] is True and again["course_award"] is None
    assert count(app, Assertion) == 3
    shown = api.get(f"/courses/{course['id']}").json or {}
    assert (shown["learners_started"], shown["learners_finished"]) == (1, 1)


def test_batch_completion_reports_each_learner(
    app: Flask, api: ApiClient, course: dict[str, Any]
) -> None:
    complete(api, course, 0, user="bob@example.org")
    response = complete(
        api, course, 0, users=["ada@example.org", "bob@example.org", "cy@example.org"]
    )
    assert response.status_code == 201
    body = response.json or {}
    assert (body["created"], body["existing"]) == (2, 1)
    assert [(c["user"], c["status"]) for c in body["completions"]] == [
        ("ada@example.org", "completed"),
        ("bob@example.org", "already_completed"),
        ("cy@example.org", "completed"),
    ]
    assert count(app, Assertion) == 3


def test_a_badge_already_held_is_not_awarded_again(
    app: Flask, api: ApiClient, course: dict[str, Any], award: Any
) -> None:
    by_hand = award(course["stages"][0]["badge"], "ada@example.org")["awards"][0]
    body = complete(api, course, 0, user="ada@example.org").json or {}
    assert body["status"] == "completed"
    assert body["award"]["id"] == by_hand["id"]
    assert count(app, Assertion) == 1


def test_completed_at_sets_the_issue_date_and_may_not_be_in_the_future(
    api: ApiClient, course: dict[str, Any]
) -> None:
    body = complete(api, course, 0, user="a@example.org", completed_at="2026-03-01T09:30:00+02:00")
    award = (body.json or {})["award"]
    assert award["issued_on"] == "2026-03-01T07:30:00Z"
    assert "completed on 2026-03-01" in award["evidence"][0]["narrative"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = complete(api, course, 0, user="b@example.org", completed_at=future)
    assert response.status_code == 400
    assert (response.json or {})["field"] == "completed_at"


def test_bad_completion_requests_store_nothing(
    app: Flask, api: ApiClient, course: dict[str, Any], make_badge: MakeBadge
) -> None:
    other = api.post("/courses", {"name": "Other", "stages": [{"name": "Only"}]}).json or {}
    missing = "00000000-0000-4000-8000-000000000000"
    stage = course["stages"][0]["id"]
    cases = [
        (f"/courses/{course['id']}/stages/{stage}/completions", {"user": "not-an-email"}, 400),
        (f"/courses/{course['id']}/stages/{stage}/completions", {}, 400),
        (
            f"/courses/{course['id']}/stages/{stage}/completions",
            {"user": "a@example.org", "users": ["b@example.org"]},
            400,
        ),
        (f"/courses/{course['id']}/stages/{stage}/completions", {"users": []}, 400),
        (
            f"/courses/{course['id']}/stages/{stage}/completions",
            {"users": ["a@example.org", "oops"]},
            400,
        ),
        (f"/courses/{course['id']}/stages/{missing}/completions", {"user": "a@example.org"}, 404),
        (f"/courses/{missing}/stages/{stage}/completions", {"user": "a@example.org"}, 404),
        (
            f"/courses/{course['id']}/stages/{other['stages'][0]['id']}/completions",
            {"user": "a@example.org"},
            404,
        ),
    ]
    for path, body, status in cases:
        response = api.post(path, body)
        assert response.status_code == status, (path, body, response.json)
        assert (response.json or {})["message"]
    assert count(app, StageCompletion) == 0
    assert count(app, User, User.email == "a@example.org") == 0


def test_completions_need_an_admin_token(app: Flask, client: Any, course: dict[str, Any]) -> None:
    path = f"/api/v1/courses/{course['id']}/stages/{course['stages'][0]['id']}/completions"
    assert client.post(path, json={"user": "a@example.org"}).status_code == 401
    learner = make_token(app, "learner@example.org", admin=False)
    response = client.post(
        path, json={"user": "a@example.org"}, headers={"Authorization": f"Bearer {learner}"}
    )
    assert response.status_code == 403


@pytest.fixture
def live_course(live: LiveServer, course_badges: Any) -> tuple[str, str, dict[str, Any]]:
    """A course on the live server: its completions URL prefix, an admin token, the course."""
    token = make_token(live.app, "racer@example.org", admin=True)
    status, created = post_json(
        f"{live.url}/api/v1/courses",
        token,
        {
            "name": "Race",
            "stages": [
                {"name": "One", "badge": course_badges["basics"]["id"]},
                {"name": "Two", "badge": course_badges["advanced"]["id"]},
                {"name": "Three"},
                {"name": "Four", "badge": course_badges["graduate"]["id"]},
            ],
            "completion_badge": course_badges["certified"]["id"],
        },
    )
    assert status == 201, created
    return f"{live.url}/api/v1/courses/{created['id']}/stages", token, created


def test_concurrent_completions_of_one_stage_award_once(
    live: LiveServer, live_course: tuple[str, str, dict[str, Any]]
) -> None:
    prefix, token, course = live_course
    url = f"{prefix}/{course['stages'][0]['id']}/completions"
    answers = race([lambda: post_json(url, token, {"user": "ada@example.org"})] * 8)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 7 + [201], answers
    assert len({body["award"]["id"] for _, body in answers}) == 1
    assert count(live.app, Assertion) == 1
    assert count(live.app, StageCompletion) == 1
    assert count(live.app, User, User.email == "ada@example.org") == 1


def test_concurrent_last_stages_award_the_course_badge_once(
    live: LiveServer, live_course: tuple[str, str, dict[str, Any]]
) -> None:
    prefix, token, course = live_course
    first, *others = [f"{prefix}/{stage['id']}/completions" for stage in course["stages"]]
    for round in range(5):  # a lost update shows up in some rounds, not in every one
        learners = {"users": [f"learner{round}.{i}@example.org" for i in range(5)]}
        assert post_json(first, token, learners)[0] == 201  # enrolled: the race is on the rest
        # One request per stage: a duplicate request would redo the check and hide a lost update.
        answers = race([partial(post_json, url, token, learners) for url in others])
        assert all(status == 201 for status, _ in answers), answers
        finished = {
            c["user"]: c["course_award"]["id"]
            for _, body in answers
            for c in body["completions"]
            if c["course_award"]
        }
        assert sorted(finished) == learners["users"], f"round {round}"
    assert count(live.app, Enrolment, Enrolment.completed_at.is_not(None)) == 25
    assert count(live.app, Assertion) == 100  # three stage badges and the course badge, once each
    assert count(live.app, StageCompletion) == 100


def test_behind_a_trusted_proxy_the_client_address_is_recorded(
    make_app: Any, keystore: Any, course_badges: Any
) -> None:
    app = make_app(keystore, PROXY_HOPS=1)
    client = app.test_client()
    api = ApiClient(client, make_token(app, "proxy@example.org", admin=True))
    course = api.post("/courses", {"name": "C", "stages": [{"name": "S"}]}).json or {}
    response = client.post(
        f"/api/v1/courses/{course['id']}/stages/{course['stages'][0]['id']}/completions",
        json={"user": "ada@example.org"},
        headers={**api.headers, "X-Forwarded-For": "203.0.113.7"},
    )
    assert response.status_code == 201
    with app.app_context():
        completion = db.session.scalar(select(StageCompletion))
        assert completion is not None and completion.remote_addr == "203.0.113.7"


# Passes the schema's pattern (hex digits and dashes) but is no UUID: one digit too many.
NOT_AN_ID = "0" * 33


def test_malformed_ids_are_400_naming_their_place_in_the_body(
    api: ApiClient, course: dict[str, Any], course_badges: dict[str, dict[str, Any]]
) -> None:
    basics = course_badges["basics"]["id"]
    created: list[tuple[dict[str, Any], str]] = [
        (
            {"stages": [{"name": "A", "badge": basics}, {"name": "B", "badge": NOT_AN_ID}]},
            "stages[1].badge",
        ),
        ({"stages": [{"name": "A"}], "completion_badge": NOT_AN_ID}, "completion_badge"),
    ]
    for body, field in created:
        response = api.post("/courses", {"name": "C", **body})
        assert response.status_code == 400, body
        error = response.json or {}
        assert (error["field"], error["message"]) == (
            field,
            f"{field}: {NOT_AN_ID!r} is not a valid id",
        )
    first = {"id": course["stages"][0]["id"], "name": "Basics"}
    changed: list[tuple[dict[str, Any], str]] = [
        ({"stages": [first, {"id": NOT_AN_ID, "name": "B"}]}, "stages[1].id"),
        ({"stages": [{"name": "A", "badge": NOT_AN_ID}]}, "stages[0].badge"),
        ({"completion_badge": NOT_AN_ID}, "completion_badge"),
    ]
    for body, field in changed:
        response = api.patch(f"/courses/{course['id']}", body)
        assert response.status_code == 400, body
        assert (response.json or {})["field"] == field
    assert [c["id"] for c in (api.get("/courses").json or {})["courses"]] == [course["id"]]
    assert api.get(f"/courses/{course['id']}").json == course


def test_patch_changes_only_the_fields_given(
    api: ApiClient, course: dict[str, Any], course_badges: dict[str, dict[str, Any]]
) -> None:
    response = api.patch(f"/courses/{course['id']}", {"description": "New words."})
    assert response.status_code == 200, response.json
    changed = response.json or {}
    assert changed["description"] == "New words."
    assert {k: v for k, v in changed.items() if k not in ("description", "updated_at")} == {
        k: v for k, v in course.items() if k not in ("description", "updated_at")
    }
    cleared = api.patch(f"/courses/{course['id']}", {"description": None}).json or {}
    assert cleared["description"] is None
    assert cleared["completion_badge"] == course_badges["graduate"]["id"]
