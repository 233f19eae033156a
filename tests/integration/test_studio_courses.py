"""Studio > Courses: managing courses and their stages, marking stages complete, progress."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, Course, Stage, StageCompletion, User
from tests.support import ApiClient, csrf_token

MakeBadge = Callable[..., dict[str, Any]]


def page(client: FlaskClient, path: str) -> str:
    """GET a page that must answer 200, as text."""
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def options(html: str, select_name: str) -> list[tuple[str, str]]:
    """The (value, label) options of the select with this name."""
    match = re.search(
        rf'<select[^>]*name="{re.escape(select_name)}"[^>]*>(.*?)</select>', html, re.S
    )
    assert match is not None, f"no select {select_name}"
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1))


def course_form(
    token: str, name: str, stages: list[dict[str, str]], **fields: str
) -> dict[str, str]:
    """The fields of the course form: stage rows numbered in the order given."""
    data = {"csrf_token": token, "name": name, "description": "", "completion_badge": "", **fields}
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            data[f"stages-{index}-{key}"] = value
    return data


def stored_stages(app: Flask, course_id: str) -> list[tuple[str, str, str | None]]:
    """(id, name, badge id) of a course's stages, in order, from the database."""
    with app.app_context():
        stages = db.session.scalars(
            select(Stage).where(Stage.course_id == uuid.UUID(course_id)).order_by(Stage.position)
        )
        return [(str(s.id), s.name, str(s.badge_id) if s.badge_id else None) for s in stages]


def count(app: Flask, model: Any, *where: Any) -> int:
    """How many rows of a model match."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def mark_complete(
    client: FlaskClient, course_id: str, stage_id: str, email: str, **fields: str
) -> Any:
    """Submit the Mark a stage complete form of a course page."""
    path = f"/studio/courses/{course_id}"
    data = {"csrf_token": csrf_token(client, path), "email": email, "stage": stage_id, **fields}
    return client.post(f"{path}/completions", data=data)


def user_id(app: Flask, email: str) -> str:
    """The id of the user with this address."""
    with app.app_context():
        return str(db.session.scalars(select(User.id).where(User.email == email)).one())


@pytest.mark.parametrize(
    "path",
    [
        "/studio/courses",
        "/studio/courses/new",
        "/studio/courses/{id}",
        "/studio/courses/{id}/edit",
    ],
)
def test_course_pages_are_for_admins(
    client: FlaskClient,
    as_learner: FlaskClient,
    as_admin: FlaskClient,
    course: dict[str, Any],
    path: str,
) -> None:
    path = path.format(id=course["id"])
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    assert as_learner.get(path).status_code == 403
    assert as_admin.get(path).status_code == 200


def test_learners_cannot_mark_stages_complete(
    app: Flask, as_learner: FlaskClient, course: dict[str, Any]
) -> None:
    token = csrf_token(as_learner, "/feed")
    response = as_learner.post(
        f"/studio/courses/{course['id']}/completions",
        data={"csrf_token": token, "email": "lea@example.org", "stage": course["stages"][0]["id"]},
    )
    assert response.status_code == 403
    assert count(app, StageCompletion) == 0


def test_unknown_course_is_404(as_admin: FlaskClient) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/studio/courses/{missing}", f"/studio/courses/{missing}/edit"):
        assert as_admin.get(path, headers={"Accept": "text/html"}).status_code == 404


def test_course_list(as_admin: FlaskClient, course: dict[str, Any], api: ApiClient) -> None:
    empty = page(as_admin, "/studio/courses")
    assert "No courses yet" not in empty  # the course fixture made one
    assert ">New course</a>" in empty
    assert 'href="/studio/courses"' in page(as_admin, "/studio/badges")  # the Studio nav
    stage = course["stages"][0]["id"]
    api.post(f"/courses/{course['id']}/stages/{stage}/completions", {"user": "ada@example.org"})
    listing = page(as_admin, "/studio/courses")
    row = re.search(r"<tr>\s*<td><a[^>]*>Python 101</a></td>(.*?)</tr>", listing, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[0] == "3"  # stages
    assert ">Graduate</a>" in cells[1]
    assert cells[2:4] == ["1", "0"]  # learners started, finished
    assert f'href="/studio/courses/{course["id"]}"' in listing
    assert f'href="/studio/courses/{course["id"]}/edit"' in listing


def test_no_courses_yet(as_admin: FlaskClient) -> None:
    assert "No courses yet" in page(as_admin, "/studio/courses")


def test_create_course_in_the_studio(
    app: Flask, as_admin: FlaskClient, course_badges: dict[str, dict[str, Any]]
) -> None:
    form = page(as_admin, "/studio/courses/new")
    for label in ("Name", "Description", "Badge for completing the course"):
        assert f">{label}</label>" in form, label
    assert 'id="add-stage"' in form
    assert '<script src="/static/js/course-form.js" defer></script>' in form
    # Three blank rows for adding stages without JavaScript.
    assert [f"stages-{i}-name" in form for i in range(4)] == [True, True, True, False]
    # The row the "Add stage" button copies, numbered by the script.
    assert 'name="stages-__index__-name"' in form and 'name="stages-__index__-badge"' in form
    choices = options(form, "stages-0-badge")
    assert choices[0] == ("", "— none —")
    # Neither the private badge nor the archived one can be attached.
    assert {label for _, label in choices[1:]} == {"Basics", "Advanced", "Graduate", "Certified"}
    assert options(form, "completion_badge") == choices
    response = as_admin.post(
        "/studio/courses/new",
        data=course_form(
            csrf_token(as_admin, "/studio/courses/new"),
            "Python 101",
            [
                {"name": "Basics", "badge": course_badges["basics"]["id"]},
                {"name": "", "badge": ""},  # a blank row between: left out
                {"name": "  Advanced  ", "badge": course_badges["advanced"]["id"]},
                {"name": "Project", "badge": ""},
            ],
            description="From zero to scripts.",
            completion_badge=course_badges["graduate"]["id"],
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Course)).one()
        course_id = str(stored.id)
        assert (stored.name, stored.description) == ("Python 101", "From zero to scripts.")
        assert str(stored.completion_badge_id) == course_badges["graduate"]["id"]
    assert response.headers["Location"] == f"/studio/courses/{course_id}"
    assert [(name, badge) for _, name, badge in stored_stages(app, course_id)] == [
        ("Basics", course_badges["basics"]["id"]),
        ("Advanced", course_badges["advanced"]["id"]),
        ("Project", None),
    ]
    shown = page(as_admin, response.headers["Location"])
    assert "Course “Python 101” created." in shown
    stages = re.findall(r"<li>([^<·]+?)(?: ·| <span)", shown.split('class="course-stages"')[1])
    assert [s.strip() for s in stages] == ["Basics", "Advanced", "Project"]


def test_the_course_form_checks_its_input(
    app: Flask, as_admin: FlaskClient, course_badges: dict[str, dict[str, Any]]
) -> None:
    token = csrf_token(as_admin, "/studio/courses/new")
    no_stage = as_admin.post(
        "/studio/courses/new", data=course_form(token, "Empty", [{"name": " ", "badge": ""}])
    )
    assert no_stage.status_code == 400
    assert "a course needs at least one stage" in no_stage.get_data(as_text=True)
    unnamed = as_admin.post(
        "/studio/courses/new",
        data=course_form(token, "C", [{"name": "", "badge": course_badges["basics"]["id"]}]),
    )
    assert unnamed.status_code == 400
    assert "Name this stage, or choose no badge." in unnamed.get_data(as_text=True)
    nameless = as_admin.post("/studio/courses/new", data=course_form(token, " ", [{"name": "S"}]))
    assert nameless.status_code == 400
    assert 'value="S"' in nameless.get_data(as_text=True)  # what was typed is kept
    missing = as_admin.post(
        "/studio/courses/new",
        data=course_form(token, "C", [{"name": "S", "badge": str(uuid.uuid4())}]),
    )
    assert missing.status_code == 400
    assert "no badge with id" in missing.get_data(as_text=True)
    assert count(app, Course) == 0


def test_private_badge_is_not_offered_and_refused(
    app: Flask, as_admin: FlaskClient, course_badges: dict[str, dict[str, Any]]
) -> None:
    form = page(as_admin, "/studio/courses/new")
    assert "Night Owl" not in form
    assert course_badges["secret"]["id"] not in form
    token = csrf_token(as_admin, "/studio/courses/new")
    secret = course_badges["secret"]["id"]
    for data in [
        course_form(token, "C", [{"name": "Stage", "badge": secret}]),
        course_form(token, "C", [{"name": "Stage", "badge": ""}], completion_badge=secret),
    ]:
        response = as_admin.post("/studio/courses/new", data=data)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "the badge &#39;Night Owl&#39; is private" in html
        assert "awarded by hand only" in html
        # The message sits with the select it is about, in an error list.
        assert re.search(r'<ul class="errors"><li>the badge &#39;Night Owl&#39; is private', html)
    assert count(app, Course) == 0


def test_edit_reorders_renames_adds_and_keeps_stage_ids(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any], course_badges: Any
) -> None:
    path = f"/studio/courses/{course['id']}/edit"
    form = page(as_admin, path)
    basics, reading, advanced = (s["id"] for s in course["stages"])
    ids = re.findall(r'name="stages-\d+-id" type="hidden" value="([^"]*)"', form)
    assert ids == [basics, reading, advanced, "", "", ""]  # three stages and three blank rows
    assert 'value="Python 101"' in form and "From zero to scripts.</textarea>" in form
    assert re.search(
        rf'<option selected value="{course_badges["graduate"]["id"]}">Graduate</option>', form
    )
    response = as_admin.post(
        path,
        data=course_form(
            csrf_token(as_admin, path),
            "Python 102",
            [
                {"id": advanced, "name": "Advanced", "badge": course_badges["advanced"]["id"]},
                {"id": basics, "name": "Basics, revised", "badge": ""},
                {"id": "", "name": "Project", "badge": course_badges["basics"]["id"]},
                {"id": reading, "name": "Reading", "badge": ""},
            ],
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/studio/courses/{course['id']}"
    stages = stored_stages(app, course["id"])
    assert [stage_id for stage_id, _, _ in stages][:2] == [advanced, basics]
    assert stages[3][0] == reading
    assert stages[2][0] not in {basics, reading, advanced}
    assert [(name, badge) for _, name, badge in stages] == [
        ("Advanced", course_badges["advanced"]["id"]),
        ("Basics, revised", None),
        ("Project", course_badges["basics"]["id"]),
        ("Reading", None),
    ]
    with app.app_context():
        stored = db.session.get(Course, uuid.UUID(course["id"]))
        assert stored is not None
        assert (stored.name, stored.description, stored.completion_badge_id) == (
            "Python 102",
            None,
            None,
        )
    assert "Course “Python 102” saved." in page(as_admin, response.headers["Location"])


def test_clearing_a_stage_name_removes_the_stage(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any]
) -> None:
    path = f"/studio/courses/{course['id']}/edit"
    basics, reading, advanced = (s["id"] for s in course["stages"])
    response = as_admin.post(
        path,
        data=course_form(
            csrf_token(as_admin, path),
            "Python 101",
            [
                {"id": basics, "name": "Basics", "badge": ""},
                {"id": reading, "name": "", "badge": ""},
                {"id": advanced, "name": "Advanced", "badge": ""},
            ],
        ),
    )
    assert response.status_code == 302
    assert [stage_id for stage_id, _, _ in stored_stages(app, course["id"])] == [basics, advanced]


def test_removing_a_stage_with_completions_is_refused(
    app: Flask, as_admin: FlaskClient, api: ApiClient, course: dict[str, Any]
) -> None:
    basics, reading, advanced = (s["id"] for s in course["stages"])
    done = api.post(
        f"/courses/{course['id']}/stages/{reading}/completions", {"user": "ada@example.org"}
    )
    assert done.status_code == 201
    before = stored_stages(app, course["id"])
    path = f"/studio/courses/{course['id']}/edit"
    response = as_admin.post(
        path,
        data=course_form(
            csrf_token(as_admin, path),
            "Renamed",
            [
                {"id": basics, "name": "Basics renamed", "badge": ""},
                {"id": advanced, "name": "Advanced", "badge": ""},
            ],
        ),
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "the stage &#39;Reading&#39; has completions and cannot be removed" in html
    assert 'value="Basics renamed"' in html  # the form keeps what was typed
    assert stored_stages(app, course["id"]) == before
    with app.app_context():
        stored = db.session.get(Course, uuid.UUID(course["id"]))
        assert stored is not None and stored.name == "Python 101"


def test_course_forms_need_the_csrf_token(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any]
) -> None:
    created = as_admin.post("/studio/courses/new", data=course_form("", "C", [{"name": "S"}]))
    assert created.status_code == 400
    assert "CSRF" in created.get_data(as_text=True)
    edited = as_admin.post(
        f"/studio/courses/{course['id']}/edit",
        data=course_form("forged", "Changed", [{"name": "S"}]),
    )
    assert edited.status_code == 400
    completed = mark_complete(
        as_admin, course["id"], course["stages"][0]["id"], "ada@example.org", csrf_token="forged"
    )
    assert completed.status_code == 400
    assert "CSRF" in completed.get_data(as_text=True)
    assert count(app, Course) == 1
    assert stored_stages(app, course["id"])[0][1] == "Basics"
    assert count(app, StageCompletion) == 0


def test_marking_a_stage_complete_awards_its_badge_once(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any], people: dict[str, str]
) -> None:
    course_page = page(as_admin, f"/studio/courses/{course['id']}")
    assert "No stage completed yet." in course_page
    assert [label for _, label in options(course_page, "stage")] == [
        "1. Basics",
        "2. Reading",
        "3. Advanced",
    ]
    basics = course["stages"][0]["id"]
    first = mark_complete(as_admin, course["id"], basics, "Ada@Example.org")
    assert first.status_code == 302
    assert first.headers["Location"] == f"/studio/courses/{course['id']}"
    shown = page(as_admin, first.headers["Location"])
    assert "ada completed “Basics” and earned the badge “Basics”." in shown
    assert "1 learner started · 0 finished" in shown
    with app.app_context():
        ada = db.session.scalars(select(User).where(User.email == "ada@example.org")).one()
        assert ada.role == "learner"
        award = db.session.scalars(select(Assertion).where(Assertion.recipient_id == ada.id)).one()
        assert str(award.badge_id) == course["stages"][0]["badge"]
        completion = db.session.scalars(select(StageCompletion)).one()
        admin_id = db.session.scalar(select(User.id).where(User.email == people["admin"]))
        assert (completion.source, completion.reported_by_id, completion.remote_addr) == (
            "studio",
            admin_id,
            "127.0.0.1",
        )
        assert completion.assertion_id == award.id
    again = mark_complete(as_admin, course["id"], basics, "ada@example.org")
    assert again.status_code == 302
    assert "ada had already completed “Basics”; nothing new was awarded." in page(
        as_admin, again.headers["Location"]
    )
    assert count(app, Assertion) == 1
    assert count(app, StageCompletion) == 1


def test_the_last_stage_finishes_the_course(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any]
) -> None:
    basics, reading, advanced = (s["id"] for s in course["stages"])
    mark_complete(as_admin, course["id"], basics, "ada@example.org")
    no_badge = mark_complete(as_admin, course["id"], reading, "ada@example.org")
    assert "ada completed “Reading”." in page(as_admin, no_badge.headers["Location"])
    last = mark_complete(as_admin, course["id"], advanced, "ada@example.org")
    assert (
        "ada completed “Advanced” and earned the badge “Advanced”, finishing the course "
        "“Python 101” (earned the badge “Graduate”)."
    ) in page(as_admin, last.headers["Location"])
    assert count(app, Assertion) == 3
    assert "1 learner started · 1 finished" in page(as_admin, f"/studio/courses/{course['id']}")


def test_a_badge_held_from_before_is_not_said_to_be_earned(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any], award: Any
) -> None:
    award(course["stages"][0]["badge"], "ada@example.org")
    done = mark_complete(as_admin, course["id"], course["stages"][0]["id"], "ada@example.org")
    assert "ada completed “Basics” and already held the badge “Basics”." in page(
        as_admin, done.headers["Location"]
    )
    assert count(app, Assertion) == 1


def test_mark_complete_checks_its_input(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any]
) -> None:
    basics = course["stages"][0]["id"]
    bad_email = mark_complete(as_admin, course["id"], basics, "not an address")
    assert bad_email.status_code == 400
    html = bad_email.get_data(as_text=True)
    assert re.search(r'name="email"[^>]*>\s*(<p class="hint">.*?</p>\s*)?<ul class="errors">', html)
    future = mark_complete(
        as_admin, course["id"], basics, "ada@example.org", completed_on="2999-01-01"
    )
    assert future.status_code == 400
    assert "completed_at may not be in the future" in future.get_data(as_text=True)
    other_stage = mark_complete(as_admin, course["id"], str(uuid.uuid4()), "ada@example.org")
    assert other_stage.status_code == 400
    assert "Not a valid choice" in other_stage.get_data(as_text=True)
    no_email = mark_complete(as_admin, course["id"], basics, "")
    assert no_email.status_code == 400
    assert count(app, StageCompletion) == 0
    assert count(app, User, User.email == "ada@example.org") == 0


def test_completion_events_say_who_what_when_and_from_where(
    app: Flask,
    as_admin: FlaskClient,
    api: ApiClient,
    course: dict[str, Any],
    people: dict[str, str],
) -> None:
    basics, reading, _ = (s["id"] for s in course["stages"])
    mark_complete(as_admin, course["id"], basics, "ada@example.org", completed_on="2024-03-01")
    via_api = api.post(
        f"/courses/{course['id']}/stages/{reading}/completions", {"user": "bob@example.org"}
    )
    assert via_api.status_code == 201
    html = page(as_admin, f"/studio/courses/{course['id']}")
    table = html.split("<h2>Completion events</h2>", 1)[1]
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", table, re.S)
    assert len(rows) == 2
    newest, oldest = rows  # the most recent first
    assert f'href="/users/{user_id(app, "bob@example.org")}">bob</a>' in newest
    assert "<td>Reading</td>" in newest and "<td>API</td>" in newest
    assert "<td>admin@example.org</td>" in newest  # the owner of the API token
    assert "none" in newest  # the stage has no badge
    assert f'href="/users/{user_id(app, "ada@example.org")}">ada</a>' in oldest
    assert "<td>Basics</td>" in oldest and "<td>Studio</td>" in oldest
    assert f"<td>{people['admin']}</td>" in oldest
    assert "<td>127.0.0.1</td>" in oldest
    assert 'datetime="2024-03-01T00:00:00+00:00">2024-03-01 00:00</time>' in oldest
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert re.match(rf"<time[^>]*>{today} \d\d:\d\d</time></td>", oldest)  # recorded
    with app.app_context():
        award_id = db.session.scalars(select(Assertion.id)).one()
    assert f'href="http://issuer.test/public/assertions/{award_id}">Basics</a>' in oldest


def test_profile_shows_course_progress(
    app: Flask,
    client: FlaskClient,
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    course: dict[str, Any],
    people: dict[str, str],
) -> None:
    lea = user_id(app, people["learner"])
    assert "<h2>Courses</h2>" not in page(client, f"/users/{lea}")
    basics, reading, advanced = (s["id"] for s in course["stages"])
    mark_complete(as_admin, course["id"], basics, people["learner"])
    for viewer in (client, as_learner, as_admin):  # everyone who can see the profile
        html = page(viewer, f"/users/{lea}")
        section = html.split("<h2>Courses</h2>", 1)[1].split("Achievable badges", 1)[0]
        assert "<strong>Python 101</strong>" in section
        assert "1 of 3 stages" in section
        assert '<progress value="1" max="3"' in section
        assert re.search(r"Next badge to earn: <a[^>]*>Advanced</a> \(stage “Advanced”\)", section)
        assert "Basics" in html.split("<h2>Courses</h2>", 1)[0]  # the badges held still show
    mark_complete(as_admin, course["id"], advanced, people["learner"])
    section = page(client, f"/users/{lea}").split("<h2>Courses</h2>", 1)[1]
    assert "2 of 3 stages" in section
    assert re.search(
        r"Next badge to earn: <a[^>]*>Graduate</a> \(for completing the course\)", section
    )
    mark_complete(as_admin, course["id"], reading, people["learner"])
    section = (
        page(client, f"/users/{lea}").split("<h2>Courses</h2>", 1)[1].split("Achievable", 1)[0]
    )
    assert "3 of 3 stages" in section
    assert f"Completed on {datetime.now(UTC):%d %B %Y}" in section
    assert "Next badge to earn" not in section


def test_course_text_is_escaped(
    app: Flask, as_admin: FlaskClient, api: ApiClient, course: dict[str, Any]
) -> None:
    evil = '<script>alert("x")</script>'
    stage = {"id": course["stages"][0]["id"], "name": evil}
    response = api.patch(
        f"/courses/{course['id']}",
        {
            "name": evil,
            "description": evil,
            "stages": [stage, *({"id": s["id"], "name": s["name"]} for s in course["stages"][1:])],
        },
    )
    assert response.status_code == 200, response.json
    mark_complete(as_admin, course["id"], course["stages"][0]["id"], "lea@example.org")
    lea = user_id(app, "lea@example.org")
    for path in (
        "/studio/courses",
        f"/studio/courses/{course['id']}",
        f"/studio/courses/{course['id']}/edit",
        f"/users/{lea}",
    ):
        html = page(as_admin, path)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path


def test_a_forged_badge_or_stage_id_is_shown_by_its_row(
    app: Flask, as_admin: FlaskClient, course: dict[str, Any], course_badges: Any
) -> None:
    token = csrf_token(as_admin, "/studio/courses/new")
    forged_badge = course_form(
        token,
        "C",
        [
            {"name": "", "badge": ""},  # a blank row: left out, so the next row is stage 0
            {"name": "First", "badge": course_badges["basics"]["id"]},
            {"name": "Second", "badge": "not-an-id"},
        ],
    )
    response = as_admin.post("/studio/courses/new", data=forged_badge)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # With the row it is about (the second stage), without the field's name in front.
    assert re.search(
        r'name="stages-2-badge".*?<ul class="errors"><li>&#39;not-an-id&#39; is not a valid id',
        html,
        re.S,
    )
    assert "stages[1].badge" not in html
    path = f"/studio/courses/{course['id']}/edit"
    forged_stage = course_form(
        csrf_token(as_admin, path), "Python 101", [{"id": "not-an-id", "name": "Basics"}]
    )
    response = as_admin.post(path, data=forged_stage)
    assert response.status_code == 400
    assert "&#39;not-an-id&#39; is not a valid id" in response.get_data(as_text=True)
    assert count(app, Course) == 1
    assert [name for _, name, _ in stored_stages(app, course["id"])] == [
        "Basics",
        "Reading",
        "Advanced",
    ]
