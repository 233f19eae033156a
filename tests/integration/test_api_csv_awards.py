"""Bulk awards from a CSV file through the API: dry run, all or nothing, per-row details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, Notification, User
from tests.support import ApiClient

MakeBadge = Callable[..., dict[str, Any]]


def send_csv(api: ApiClient, badge_id: str, text: str | bytes, query: str = "") -> Any:
    """POST a CSV file to the badge's awards."""
    data = text.encode() if isinstance(text, str) else text
    return api.client.post(
        f"/api/v1/badges/{badge_id}/awards{query}",
        data=data,
        headers={**api.headers, "Content-Type": "text/csv; charset=utf-8"},
    )


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def badge(make_badge: MakeBadge) -> dict[str, Any]:
    """A public badge to award."""
    return make_badge(name="Contest winner")


def test_a_csv_file_awards_each_row_with_its_details(
    app: Flask, api: ApiClient, badge: dict[str, Any]
) -> None:
    text = (
        "email,name,narrative,evidence_url,issued_on,expires\r\n"
        'ada@example.org,"Lovelace, Ada","Won the ""Spring"" contest, first place",'
        "https://contest.example/ada,2026-03-01,2027-03-01\r\n"
        "Bob@Example.org,Bob,,,2026-03-02T10:00:00+01:00,\r\n"
    )
    response = send_csv(api, badge["id"], text)
    assert response.status_code == 201, response.json
    body = response.json or {}
    assert (body["created"], body["existing"]) == (2, 0)
    assert body["counts"] == {"new": 2, "already_held": 0, "duplicate": 0, "error": 0}
    ada, bob = body["awards"]
    assert ada["recipient"] == "ada@example.org"
    assert ada["narrative"] == 'Won the "Spring" contest, first place'
    assert ada["evidence"] == [{"url": "https://contest.example/ada"}]
    assert (ada["issued_on"], ada["expires"]) == ("2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z")
    assert bob["recipient"] == "bob@example.org"
    assert (bob["issued_on"], bob["expires"], bob["narrative"]) == (
        "2026-03-02T09:00:00Z",
        None,
        None,
    )
    assert [(r["row"], r["status"], r["award"]) for r in body["rows"]] == [
        (2, "new", ada["id"]),
        (3, "new", bob["id"]),
    ]
    with app.app_context():
        names = {email: name for email, name in db.session.execute(select(User.email, User.name))}
    assert names["ada@example.org"] == "Lovelace, Ada"
    assert names["bob@example.org"] == "Bob"
    assert count(app, Notification) == 2


def test_semicolons_bom_and_blank_lines(api: ApiClient, badge: dict[str, Any]) -> None:
    text = "\ufeffEmail;Name\n\nada@example.org;Ada, Countess\n\n\nbob@example.org;Bob\n\n"
    body = send_csv(api, badge["id"], text).json or {}
    assert [(r["row"], r["email"], r["status"]) for r in body["rows"]] == [
        (3, "ada@example.org", "new"),
        (6, "bob@example.org", "new"),
    ]


def test_a_dry_run_reports_every_row_and_changes_nothing(
    app: Flask, api: ApiClient, badge: dict[str, Any], award: Any
) -> None:
    award(badge["id"], "held@example.org")
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    text = (
        "email,issued_on,expires\n"
        "new@example.org,,\n"
        "held@example.org,,\n"
        "NEW@example.org,,\n"
        "not-an-email,,\n"
        "late@example.org,2026-02-30,\n"
        f"future@example.org,{future},\n"
        "early@example.org,2026-05-01,2026-04-01\n"
    )
    users_before = count(app, User)
    response = send_csv(api, badge["id"], text, "?dry_run=1")
    assert response.status_code == 200
    body = response.json or {}
    assert body["dry_run"] is True and body["valid"] is False
    assert body["counts"] == {"new": 1, "already_held": 1, "duplicate": 1, "error": 4}
    rows = {r["row"]: r for r in body["rows"]}
    assert [rows[n]["status"] for n in range(2, 9)] == [
        "new",
        "already_held",
        "duplicate",
        "error",
        "error",
        "error",
        "error",
    ]
    assert rows[4]["messages"] == ["same address as row 2: awarded once, by that row"]
    assert "not a valid e-mail address" in rows[5]["messages"][0]
    assert "2026-02-30" in rows[6]["messages"][0]
    assert rows[7]["messages"] == ["issued_on may not be in the future"]
    assert "not later than issued_on" in rows[8]["messages"][0]
    assert rows[3]["award"] is not None and rows[2]["award"] is None
    assert count(app, Assertion) == 1
    assert count(app, User) == users_before


def test_one_bad_row_awards_nobody(app: Flask, api: ApiClient, badge: dict[str, Any]) -> None:
    text = "email\n" + "".join(f"ok{i}@example.org\n" for i in range(50)) + "oops\n"
    users_before = count(app, User)
    response = send_csv(api, badge["id"], text)
    assert response.status_code == 400
    body = response.json or {}
    assert body["message"].startswith("1 row has errors, so nothing was awarded")
    assert body["field"] == "file"
    assert [r["row"] for r in body["rows"] if r["status"] == "error"] == [52]
    assert count(app, Assertion) == 0
    assert count(app, Notification) == 0
    assert count(app, User) == users_before


def test_an_unknown_column_is_reported_against_the_header(
    app: Flask, api: ApiClient, badge: dict[str, Any]
) -> None:
    text = "email,nmae\nada@example.org,Ada\n"
    dry = send_csv(api, badge["id"], text, "?dry_run").json or {}
    assert dry["valid"] is False
    assert dry["header_errors"] == [
        "column 2: unknown column 'nmae' (did you mean 'name'?); the accepted columns are "
        "email, name, narrative, evidence_url, issued_on, expires"
    ]
    response = send_csv(api, badge["id"], text)
    assert response.status_code == 400
    assert count(app, Assertion) == 0


def test_duplicates_in_the_file_are_awarded_once(
    app: Flask, api: ApiClient, badge: dict[str, Any]
) -> None:
    text = "email\nada@example.org\nbob@example.org\n ADA@example.org \n"
    body = send_csv(api, badge["id"], text).json or {}
    assert body["created"] == 2 and len(body["awards"]) == 2
    first, _, again = body["rows"]
    assert again["status"] == "duplicate" and again["award"] == first["award"]
    assert count(app, Assertion) == 2


def test_awarding_the_same_file_again_creates_nothing(
    app: Flask, api: ApiClient, badge: dict[str, Any]
) -> None:
    text = "email\nada@example.org\nbob@example.org\n"
    first = send_csv(api, badge["id"], text).json or {}
    again = send_csv(api, badge["id"], text)
    assert again.status_code == 200
    body = again.json or {}
    assert (body["created"], body["existing"]) == (0, 2)
    assert [a["id"] for a in body["awards"]] == [a["id"] for a in first["awards"]]
    assert count(app, Assertion) == 2


def test_notify_can_be_turned_off(app: Flask, api: ApiClient, badge: dict[str, Any]) -> None:
    assert send_csv(api, badge["id"], "email\nada@example.org\n", "?notify=0").status_code == 201
    assert count(app, Notification) == 0
    response = send_csv(api, badge["id"], "email\nbob@example.org\n", "?notify=maybe")
    assert response.status_code == 400
    assert "notify must be 1 or 0" in (response.json or {})["message"]


def test_the_badge_default_expiry_applies(api: ApiClient, make_badge: MakeBadge) -> None:
    badge = make_badge(expires_after_days=30)
    body = send_csv(api, badge["id"], "email,issued_on\nada@example.org,2026-01-01\n").json or {}
    assert body["awards"][0]["expires"] == "2026-01-31T00:00:00Z"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"name\nAda\n", "one of them must be email"),
        (b"email\n", "no recipients"),
        ("email,name\nada@example.org,Andr\u00e9\n".encode("latin-1"), "not saved as UTF-8 text"),
        (b'email,name\nada@example.org,"Ada\n', "never closed"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    app: Flask, api: ApiClient, badge: dict[str, Any], data: bytes, message: str
) -> None:
    for query in ("", "?dry_run=1"):
        response = send_csv(api, badge["id"], data, query)
        assert response.status_code == 400
        assert message in (response.json or {})["message"]
        assert (response.json or {})["field"] == "file"
    assert count(app, Assertion) == 0


def test_ten_thousand_rows_are_accepted_and_one_more_is_refused(
    api: ApiClient, badge: dict[str, Any]
) -> None:
    rows = "".join(f"learner{i}@example.org\n" for i in range(10_001))
    too_many = send_csv(api, badge["id"], "email\n" + rows, "?dry_run=1")
    assert too_many.status_code == 400
    assert (too_many.json or {})["message"].startswith(
        "The file has 10,001 recipients, but at most 10,000 can be awarded from one file."
    )
    last_newline = rows.rindex("\n", 0, len(rows) - 1)
    fits = send_csv(api, badge["id"], "email\n" + rows[: last_newline + 1], "?dry_run=1")
    assert fits.status_code == 200
    body = fits.json or {}
    assert body["valid"] is True and body["counts"]["new"] == 10_000


def test_archived_and_unknown_badges(api: ApiClient, make_badge: MakeBadge) -> None:
    old = make_badge(name="Old")
    api.patch(f"/badges/{old['id']}", {"archived": True})
    response = send_csv(api, old["id"], "email\nada@example.org\n")
    assert response.status_code == 400
    assert "archived" in (response.json or {})["message"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert send_csv(api, missing, "email\nada@example.org\n").status_code == 404


def test_a_large_batch_is_signed_on_first_use(
    app: Flask, api: ApiClient, client: Any, badge: dict[str, Any]
) -> None:
    text = "email\n" + "".join(f"l{i}@example.org\n" for i in range(101))
    body = send_csv(api, badge["id"], text).json or {}
    assert body["created"] == 101
    assert {a["signed"] for a in body["awards"]} == {None}
    first, second = body["awards"][0]["id"], body["awards"][1]["id"]
    shown = api.get(f"/assertions/{first}").json or {}
    assert shown["signed"] and shown["signed"].count(".") == 2
    assert client.get(f"/public/assertions/{first}/signed").text == shown["signed"]
    listed = api.get(f"/badges/{badge['id']}/awards?per_page=500").json or {}
    signed = {a["id"]: a["signed"] for a in listed["awards"]}
    assert all(signed.values()) and signed[first] == shown["signed"]
    assert client.get(f"/public/assertions/{second}/signed").text == signed[second]
