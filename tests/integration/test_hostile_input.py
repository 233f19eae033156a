"""Input no parser or database should choke on: every path answers 400 and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Course, Issuer, StageCompletion, User
from tests.integration.test_studio_courses import mark_complete
from tests.support import ApiClient, csrf_token, data_uri, png_bytes

MakeBadge = Callable[..., dict[str, Any]]
NUL = "Ada\x00Lovelace"
SURROGATE = "x\ud800"


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def post_raw(client: FlaskClient, path: str, body: str, **headers: str) -> Any:
    """POST a body exactly as written (json= would refuse to encode some of these)."""
    return client.post(
        path,
        data=body.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json", **headers},
    )


def assert_refused(response: Any, field: str | None = None, words: str = "") -> None:
    """A 400 in the API's error shape, naming the field."""
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.json
    assert body["error"] == "Bad Request"
    assert words in body["message"], body
    if field is not None:
        assert body.get("field") == field, body


# --- deeply nested JSON --------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10_000, 100_000, 40])
def test_deeply_nested_json_is_400_even_without_a_token(client: FlaskClient, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"url": ' + "[" * depth + "]" * depth + "}"):
        response = post_raw(client, "/api/v1/verify", body)
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "levels deep" in response.json["message"] or "object" in response.json["message"]


def test_deeply_nested_json_is_400_on_admin_endpoints(api: ApiClient, app: Flask) -> None:
    body = '{"name": "I", "url": "https://i.example", "email": "i@i.example", "x": '
    response = post_raw(
        api.client, "/api/v1/issuers", body + "[" * 5000 + "]" * 5000 + "}", **api.headers
    )
    assert_refused(response, words="levels deep")
    assert count(app, Issuer) == 0


# --- control characters and broken Unicode ----------------------------------------------


def _badge_body(issuer: str, **fields: Any) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "name": "B",
        "description": "D",
        "image": data_uri(png_bytes()),
        "criteria": {"narrative": "n"},
        **fields,
    }


@pytest.mark.parametrize("text", [NUL, SURROGATE, "bell\x07", "c1\x85", "del\x7f"])
def test_bad_text_in_any_json_field_is_400_naming_it(
    app: Flask, api: ApiClient, make_issuer: Any, make_badge: MakeBadge, text: str
) -> None:
    issuer = make_issuer()["id"]
    badge = make_badge(issuer=issuer)
    awarded = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"]}).json
    award_id = (awarded or {})["awards"][0]["id"]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/issuers", {"name": text, "url": "https://i.example", "email": "i@i.example"}, "name"),
        ("/badges", _badge_body(issuer, name=text), "name"),
        ("/badges", _badge_body(issuer, description=text), "description"),
        ("/badges", _badge_body(issuer, criteria={"narrative": text}), "criteria.narrative"),
        ("/badges", _badge_body(issuer, tags=["ok", text]), "tags[1]"),
        (
            "/badges",
            _badge_body(issuer, alignment=[{"targetName": text, "targetUrl": "https://a.example"}]),
            "alignment[0].targetName",
        ),
        (
            f"/badges/{badge['id']}/awards",
            {"recipients": ["b@example.org"], "narrative": text},
            "narrative",
        ),
        (
            f"/badges/{badge['id']}/awards",
            {"recipients": ["b@example.org"], "evidence": [{"name": text}]},
            "evidence[0].name",
        ),
        (f"/assertions/{award_id}/revoke", {"reason": text}, "reason"),
        ("/users", {"email": "c@example.org", "name": text}, "name"),
        ("/courses", {"name": text, "stages": [{"name": "One"}]}, "name"),
        ("/courses", {"name": "C", "stages": [{"name": text}]}, "stages[0].name"),
    ]
    before = {model: count(app, model) for model in (Issuer, BadgeClass, Assertion, User, Course)}
    for path, body, field in cases:
        raw = json.dumps(body, ensure_ascii=True)  # "\u0000" and "\ud800" escapes, as sent
        response = post_raw(api.client, f"/api/v1{path}", raw, **api.headers)
        assert_refused(response, field)
        code = f"U+{ord(text[-1] if text != NUL else chr(0)):04X}"
        assert code in response.json["message"], response.json
    after = {model: count(app, model) for model in before}
    assert after == before
    assert not api.get(f"/assertions/{award_id}").json["revoked"]  # type: ignore[index]


def test_bad_text_in_a_field_name_is_400(api: ApiClient) -> None:
    response = post_raw(api.client, "/api/v1/issuers", '{"na\\u0000me": "x"}', **api.headers)
    assert_refused(response, words="U+0000")


def test_tabs_and_line_breaks_are_ordinary_text(api: ApiClient, make_issuer: Any) -> None:
    response = api.post(
        "/issuers",
        {
            "name": "Tab\there",
            "url": "https://i.example",
            "email": "i@i.example",
            "description": "line one\r\nline two\nthree — ünïcödé ✓ 🎓",
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["description"] == "line one\r\nline two\nthree — ünïcödé ✓ 🎓"  # type: ignore[index]


def test_bad_text_in_a_csv_cell_is_a_row_error(
    app: Flask, api: ApiClient, make_badge: MakeBadge
) -> None:
    badge = make_badge()
    data = "email,name,narrative\na@example.org,Ada\x00,ok\nb@example.org,Bob,bell\x07\n"
    response = api.client.post(
        f"/api/v1/badges/{badge['id']}/awards",
        data=data.encode(),
        headers={**api.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 400
    rows = response.json["rows"]  # type: ignore[index]
    assert [row["status"] for row in rows] == ["error", "error"]
    assert "name:" in rows[0]["messages"][0] and "U+0000" in rows[0]["messages"][0]
    assert "narrative:" in rows[1]["messages"][0] and "U+0007" in rows[1]["messages"][0]
    assert count(app, Assertion) == 0


def test_bad_text_in_forms_queries_and_paths_is_400(
    app: Flask, as_admin: FlaskClient, api: ApiClient
) -> None:
    token = csrf_token(as_admin, "/studio/issuers/new")
    response = as_admin.post(
        "/studio/issuers/new",
        data={
            "csrf_token": token,
            "name": NUL,
            "url": "https://i.example",
            "email": "i@i.example",
        },
    )
    assert response.status_code == 400
    assert "The text in name contains a control character (U+0000)" in response.get_data(
        as_text=True
    )
    assert count(app, Issuer) == 0
    assert as_admin.get("/studio/users?q=%00").status_code == 400
    assert_refused(api.get("/users?email=a%00@example.org"), "email")
    assert api.client.get("/public/jwk/abc%00def").status_code == 400
    login = as_admin.post("/login", data={"email": "a@example.org", "password": "pass\x00word"})
    assert login.status_code == 400


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["1" * 5000, "1" * 25, "-" + "9" * 30, "1e999", "NaN", "Infinity", "-Infinity"]
)
def test_numbers_beyond_any_field_are_400(
    app: Flask, api: ApiClient, make_issuer: Any, number: str
) -> None:
    body = json.dumps(_badge_body(make_issuer()["id"]))[:-1] + f', "expires_after_days": {number}}}'
    assert_refused(post_raw(api.client, "/api/v1/badges", body, **api.headers))
    assert count(app, BadgeClass) == 0


@pytest.mark.parametrize(
    "page", ["99999999999999999999", "9" * 5000, "1000001", "0", "-1", "x", "1.5"]
)
def test_page_numbers_out_of_range_are_400(
    api: ApiClient, make_badge: MakeBadge, page: str
) -> None:
    badge = make_badge()
    for path in (f"/badges/{badge['id']}/awards", "/users"):
        assert_refused(api.get(f"{path}?page={page}"))
        assert_refused(api.get(f"{path}?per_page={page}"))
    assert api.get(f"/badges/{badge['id']}/awards?page=1000000").status_code == 200


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"issued_on": "0001-01-01T00:00:00Z"}, "issued_on"),
        ({"issued_on": "0999-12-31T23:59:59Z"}, "issued_on"),
        ({"issued_on": "1969-12-31T23:59:59Z"}, "issued_on"),
        ({"issued_on": "0001-01-01T00:00:00+14:00"}, "issued_on"),
        ({"expires": "9999-12-31T23:59:59-14:00"}, "expires"),
        ({"issued_on": "1970-01-01T00:00:00+00:01"}, "issued_on"),
    ],
)
def test_dates_no_format_can_carry_are_400(
    app: Flask, api: ApiClient, make_badge: MakeBadge, fields: dict[str, str], field: str
) -> None:
    badge = make_badge()
    response = api.post(
        f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"], **fields}
    )
    assert_refused(response, field, "between 1970-01-01 and 9999-12-31")
    assert count(app, Assertion) == 0


def test_csv_and_studio_dates_out_of_range_are_refused(
    app: Flask, api: ApiClient, as_admin: FlaskClient, make_badge: MakeBadge, course: Any
) -> None:
    badge = make_badge()
    response = api.client.post(
        f"/api/v1/badges/{badge['id']}/awards",
        data=b"email,issued_on,expires\na@example.org,0001-01-01,\nb@example.org,,9999-12-31T23:59:59-14:00\n",
        headers={**api.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 400
    rows = response.json["rows"]  # type: ignore[index]
    assert "issued_on: '0001-01-01' must lie between" in rows[0]["messages"][0]
    assert "expires:" in rows[1]["messages"][0] and "must lie between" in rows[1]["messages"][0]
    stage = course["stages"][0]["id"]
    completion = api.post(
        f"/courses/{course['id']}/stages/{stage}/completions",
        {"user": "a@example.org", "completed_at": "0001-01-01T00:00:00+14:00"},
    )
    assert_refused(completion, "completed_at", "between 1970-01-01")
    form = mark_complete(as_admin, course["id"], stage, "a@example.org", completed_on="0001-01-01")
    assert form.status_code == 400
    assert "must lie between 1970-01-01 and 9999-12-31" in form.get_data(as_text=True)
    assert count(app, Assertion) == 0
    assert count(app, StageCompletion) == 0


def test_an_award_at_the_edges_of_the_range_has_every_form(
    client: FlaskClient, api: ApiClient, make_badge: MakeBadge
) -> None:
    badge = make_badge()
    response = api.post(
        f"/badges/{badge['id']}/awards",
        {
            "recipients": ["a@example.org"],
            "issued_on": "1970-01-01T00:00:00Z",
            "expires": "9999-12-31T23:59:59Z",
        },
    )
    assert response.status_code == 201, response.json
    award = response.json["awards"][0]  # type: ignore[index]
    path = f"/public/assertions/{award['id']}"
    hosted = client.get(f"{path}.json").json
    assert hosted["issuedOn"] == "1970-01-01T00:00:00Z"  # type: ignore[index]
    assert hosted["expires"] == "9999-12-31T23:59:59Z"  # type: ignore[index]
    for form in ("/signed", "/credential", "/credential.json", "/image", "/image?format=ob3"):
        assert client.get(path + form).status_code == 200, form
    credential = client.get(f"{path}/credential.json").json
    assert credential["validFrom"] == "1970-01-01T00:00:00Z"  # type: ignore[index]
    assert credential["validUntil"] == "9999-12-31T23:59:59Z"  # type: ignore[index]
    for body in ({"url": award["openBadgeId"]}, {"jws": client.get(f"{path}/credential").text}):
        result = client.post("/api/v1/verify", json=body).json
        assert result["status"] == "valid", result  # type: ignore[index]
