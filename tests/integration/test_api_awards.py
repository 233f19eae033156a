"""Awarding badges, listing and revoking awards through the API."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuer.models import Assertion, User
from tests.integration.test_api_issuers import count
from tests.support import ApiClient


def test_award_to_several_recipients(api: ApiClient, make_badge: Any) -> None:
    badge = make_badge()
    response = api.post(
        f"/badges/{badge['id']}/awards",
        {
            "recipients": [" Ada@Example.org ", "grace@example.org"],
            "narrative": "Finished **stage one**.",
            "evidence": [
                {"url": "https://example.org/work", "name": "Project"},
                {"narrative": "Presented in class."},
            ],
            "notify": False,
        },
    )
    assert response.status_code == 201
    body = response.json
    assert body is not None
    assert body["created"] == 2
    assert body["existing"] == 0
    first, second = body["awards"]
    assert first["recipient"] == "ada@example.org"
    assert second["recipient"] == "grace@example.org"
    assert first["openBadgeId"] == f"http://issuer.test/public/assertions/{first['id']}"
    assert first["image"] == f"http://issuer.test/public/assertions/{first['id']}/image"
    assert first["signed"].count(".") == 2
    assert first["badge"] == badge["id"]
    assert first["narrative"] == "Finished **stage one**."
    assert first["evidence"][1] == {"narrative": "Presented in class."}
    assert first["revoked"] is False
    assert api.get(f"/assertions/{first['id']}").json == first


def test_unknown_recipients_get_learner_accounts(
    api: ApiClient, make_badge: Any, award: Any
) -> None:
    award(make_badge()["id"], "new.person@example.org")
    users = (api.get("/users?email=NEW.person@example.org").json or {})["users"]
    assert [(u["email"], u["role"], u["name"]) for u in users] == [
        ("new.person@example.org", "learner", "new.person")
    ]


def test_awarding_again_returns_the_existing_award(
    app: Flask, api: ApiClient, make_badge: Any, award: Any
) -> None:
    badge = make_badge()
    first = award(badge["id"], "ada@example.org")["awards"][0]
    response = api.post(
        f"/badges/{badge['id']}/awards", {"recipients": ["ADA@example.org", "grace@example.org"]}
    )
    assert response.status_code == 201
    body = response.json or {}
    assert (body["created"], body["existing"]) == (1, 1)
    assert body["awards"][0] == first
    again = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["ada@example.org"]})
    assert again.status_code == 200
    assert (again.json or {})["awards"] == [first]
    assert count(app, Assertion) == 2


def test_allow_duplicate_creates_a_second_award(app: Flask, make_badge: Any, award: Any) -> None:
    badge = make_badge()
    first = award(badge["id"], "ada@example.org")["awards"][0]
    second = award(badge["id"], "ada@example.org", allow_duplicate=True)["awards"][0]
    assert second["id"] != first["id"]
    assert count(app, Assertion) == 2


def test_same_recipient_twice_in_one_call_gets_one_award(make_badge: Any, award: Any) -> None:
    body = award(make_badge()["id"], "ada@example.org", "Ada@Example.org")
    assert body["created"] == 1
    assert len(body["awards"]) == 1


def test_revoked_award_is_not_reused(make_badge: Any, award: Any, api: ApiClient) -> None:
    badge = make_badge()
    first = award(badge["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{first['id']}/revoke", {"reason": "Mistake"})
    second = award(badge["id"], "ada@example.org")["awards"][0]
    assert second["id"] != first["id"]


def test_expiry_defaults_from_the_badge(make_badge: Any, award: Any) -> None:
    badge = make_badge(expires_after_days=30)
    issued = "2025-01-10T09:30:00+02:00"
    result = award(badge["id"], "ada@example.org", issued_on=issued)["awards"][0]
    assert result["issued_on"] == "2025-01-10T07:30:00Z"
    assert result["expires"] == "2025-02-09T07:30:00Z"
    explicit = award(badge["id"], "bob@example.org", expires="2030-01-01T00:00:00Z")
    assert explicit["awards"][0]["expires"] == "2030-01-01T00:00:00Z"


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": "ada@example.org"}, "recipients"),
        ({"recipients": [42]}, "recipients[0]"),
        ({"recipients": ["ok@example.org", "not-an-email", "fine@example.org"]}, "recipients[1]"),
        ({"recipients": ["ok@example.org", "a@b"]}, "recipients[1]"),
        ({"recipients": [f"p{i}@example.org" for i in range(10_001)]}, "recipients"),
        ({"recipients": ["ok@example.org"], "issued_on": "yesterday"}, "issued_on"),
        ({"recipients": ["ok@example.org"], "issued_on": "2025-01-01T10:00:00"}, "issued_on"),
        ({"recipients": ["ok@example.org"], "issued_on": _future(2)}, "issued_on"),
        (
            {
                "recipients": ["ok@example.org"],
                "issued_on": "2025-01-01T10:00:00Z",
                "expires": "2024-01-01T10:00:00Z",
            },
            "expires",
        ),
        ({"recipients": ["ok@example.org"], "evidence": [{}]}, "evidence[0]"),
        (
            {"recipients": ["ok@example.org"], "evidence": [{"url": "ftp://x.org"}]},
            "evidence[0].url",
        ),
        ({"recipients": ["ok@example.org"], "notify": "yes"}, "notify"),
        ({"recipients": ["ok@example.org"], "badge": "x"}, "badge"),
        ({"recipient": ["ok@example.org"]}, "recipient"),
    ],
)
def test_bad_award_is_400_and_awards_nobody(
    app: Flask, api: ApiClient, make_badge: Any, body: dict[str, Any], field: str
) -> None:
    badge = make_badge()
    users_before = count(app, User)
    response = api.post(f"/badges/{badge['id']}/awards", body)
    assert response.status_code == 400, response.json
    assert (response.json or {})["field"] == field
    assert count(app, Assertion) == 0
    assert count(app, User) == users_before


@pytest.mark.parametrize(
    ("data", "content_type", "status", "phrase"),
    [
        ('{"recipients": ["a@example.org"', "application/json", 400, "not valid JSON"),
        ("[1, 2]", "application/json", 400, "JSON object"),
        (b"\xff\xfe\x00", "application/json", 400, "UTF-8"),
        ("recipients=a@example.org", "application/x-www-form-urlencoded", 415, "JSON"),
    ],
)
def test_malformed_body_is_rejected(
    app: Flask,
    api: ApiClient,
    make_badge: Any,
    data: Any,
    content_type: str,
    status: int,
    phrase: str,
) -> None:
    badge = make_badge()
    response = api.client.post(
        f"/api/v1/badges/{badge['id']}/awards",
        data=data,
        content_type=content_type,
        headers=api.headers,
    )
    assert response.status_code == status
    assert phrase in (response.json or {})["message"]
    assert count(app, Assertion) == 0


def test_award_of_unknown_badge_is_404(api: ApiClient) -> None:
    response = api.post(
        "/badges/00000000-0000-4000-8000-000000000000/awards", {"recipients": ["a@example.org"]}
    )
    assert response.status_code == 404


def test_awards_are_listed_newest_first_a_page_at_a_time(
    api: ApiClient, make_badge: Any, award: Any
) -> None:
    badge = make_badge()
    ids = [award(badge["id"], f"p{i}@example.org")["awards"][0]["id"] for i in range(5)]
    page = api.get(f"/badges/{badge['id']}/awards?per_page=2").json or {}
    assert page["total"] == 5
    assert [a["id"] for a in page["awards"]] == ids[::-1][:2]
    seen = [a["id"] for a in page["awards"]]
    while page["next"]:
        page = api.client.get(page["next"], headers=api.headers).json or {}
        seen += [a["id"] for a in page["awards"]]
    assert seen == ids[::-1]


@pytest.mark.parametrize("query", ["page=0", "per_page=501", "page=abc", "per_page=-1"])
def test_bad_paging_is_400(api: ApiClient, make_badge: Any, query: str) -> None:
    badge = make_badge()
    assert api.get(f"/badges/{badge['id']}/awards?{query}").status_code == 400


def test_revoke(api: ApiClient, client: FlaskClient, make_badge: Any, award: Any) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    response = api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Issued in error"})
    assert response.status_code == 200
    revoked = response.json or {}
    assert revoked["revoked"] is True
    assert revoked["revocation_reason"] == "Issued in error"
    assert revoked["revoked_at"]
    hosted = client.get(f"/public/assertions/{assertion['id']}")
    assert hosted.status_code == 410
    again = api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Other"})
    assert again.status_code == 200
    assert (again.json or {})["revocation_reason"] == "Issued in error"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 5}])
def test_revoke_needs_a_reason(api: ApiClient, make_badge: Any, award: Any, body: Any) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    response = api.post(f"/assertions/{assertion['id']}/revoke", body)
    assert response.status_code == 400
    assert (response.json or {})["field"] == "reason"
    assert (api.get(f"/assertions/{assertion['id']}").json or {})["revoked"] is False


def test_revoke_unknown_assertion_is_404(api: ApiClient) -> None:
    response = api.post("/assertions/00000000-0000-4000-8000-000000000000/revoke", {"reason": "x"})
    assert response.status_code == 404


def test_oversized_body_is_413(app: Flask, api: ApiClient, make_badge: Any) -> None:
    badge = make_badge()
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post(
        f"/badges/{badge['id']}/awards",
        {"recipients": [f"p{i}@example.org" for i in range(100)]},
    )
    assert response.status_code == 413
    assert (response.json or {})["error"] == "Request Entity Too Large"
    assert (response.json or {})["message"] == (
        "What you sent is too large (at most 1000 bytes can be sent at once). Send a smaller file."
    )
    assert count(app, Assertion) == 0
