"""Creating, changing and listing badges through the API, with image checks."""

from typing import Any

import pytest
from flask import Flask

from issuer.models import BadgeClass, Image
from tests.integration.test_api_issuers import count
from tests.support import SVG_150, ApiClient, data_uri, png_bytes


def test_create_badge_with_every_field(api: ApiClient, make_issuer: Any, png_uri: str) -> None:
    issuer = make_issuer()
    body = {
        "issuer": issuer["id"],
        "name": "Contest Winner",
        "description": "Won the spring contest.",
        "image": png_uri,
        "criteria": {"narrative": "Win the contest.", "url": "https://academy.example.org/c"},
        "private": True,
        "tags": ["contest", "spring", "contest"],
        "alignment": [{"targetName": "Teamwork", "targetUrl": "https://example.org/teamwork"}],
        "expires_after_days": 365,
    }
    response = api.post("/badges", body)
    assert response.status_code == 201
    badge = response.json
    assert badge is not None
    assert badge["openBadgeId"] == f"http://issuer.test/public/badges/{badge['id']}"
    assert badge["image"] == f"http://issuer.test/public/badges/{badge['id']}/image"
    assert badge["issuer"] == issuer["id"]
    assert badge["criteria"] == body["criteria"]
    assert badge["private"] is True
    assert badge["tags"] == ["contest", "spring"]
    assert badge["alignment"] == body["alignment"]
    assert badge["expires_after_days"] == 365
    assert badge["award_count"] == 0
    assert badge["warnings"] == []


def test_svg_image_is_accepted(api: ApiClient, make_issuer: Any, client: Any) -> None:
    svg = data_uri(SVG_150.encode(), "image/svg+xml")
    response = api.post(
        "/badges",
        {
            "issuer": make_issuer()["id"],
            "name": "Vector",
            "description": "d",
            "image": svg,
            "criteria": {"narrative": "n"},
        },
    )
    assert response.status_code == 201
    image = client.get((response.json or {})["image"].removeprefix("http://issuer.test"))
    assert image.status_code == 200
    assert image.mimetype == "image/svg+xml"
    assert image.data == SVG_150.encode()


@pytest.mark.parametrize(("size", "phrase"), [((300, 200), "square"), ((512, 512), "150x150")])
def test_odd_sized_image_is_accepted_with_a_warning(
    make_badge: Any, size: tuple[int, int], phrase: str
) -> None:
    badge = make_badge(image=data_uri(png_bytes(*size)))
    assert len(badge["warnings"]) == 1
    assert phrase in badge["warnings"][0]
    assert badge["warnings"][0].startswith("image: ")


HOSTILE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150" onload="alert(1)"/>'
BOMB_SVG = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    '<svg xmlns="http://www.w3.org/2000/svg">&lol2;</svg>'
)


@pytest.mark.parametrize(
    ("image", "phrase"),
    [
        ("https://example.org/badge.png", "data"),
        ("data:image/png;base64,!!!notbase64", "base64"),
        (data_uri(b"just some text", "image/png"), "PNG"),
        (data_uri(png_bytes()[:200]), "damaged or incomplete"),
        (data_uri(HOSTILE_SVG.encode(), "image/svg+xml"), "event handler"),
        (data_uri(BOMB_SVG.encode(), "image/svg+xml"), "entit"),
        (data_uri(png_bytes(), "image/svg+xml"), "PNG"),
    ],
)
def test_bad_image_is_400_and_stores_nothing(
    app: Flask, api: ApiClient, make_issuer: Any, image: str, phrase: str
) -> None:
    issuer = make_issuer()
    response = api.post(
        "/badges",
        {
            "issuer": issuer["id"],
            "name": "B",
            "description": "d",
            "image": image,
            "criteria": {"narrative": "n"},
        },
    )
    assert response.status_code == 400, response.json
    assert response.json is not None
    assert response.json["field"] == "image"
    assert phrase.lower() in response.json["message"].lower()
    assert count(app, BadgeClass) == 0
    assert count(app, Image) == 0


def test_image_over_the_size_limit_is_400(app: Flask, api: ApiClient, make_issuer: Any) -> None:
    image = png_bytes()
    app.config["MAX_IMAGE_BYTES"] = len(image) - 1
    response = api.post(
        "/badges",
        {
            "issuer": make_issuer()["id"],
            "name": "B",
            "description": "d",
            "image": data_uri(image),
            "criteria": {"narrative": "n"},
        },
    )
    assert response.status_code == 400
    assert (response.json or {})["field"] == "image"
    assert "large" in (response.json or {})["message"]
    assert count(app, BadgeClass) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"criteria": {}}, "criteria"),
        ({"criteria": {"colour": "x"}}, "criteria.colour"),
        ({"private": "yes"}, "private"),
        ({"tags": "one"}, "tags"),
        ({"expires_after_days": 0}, "expires_after_days"),
        ({"alignment": [{"targetName": "x"}]}, "alignment[0].targetUrl"),
        ({"issuer": "not-an-id"}, "issuer"),
        ({"issuer": "00000000-0000-4000-8000-000000000000"}, "issuer"),
    ],
)
def test_bad_badge_is_400_naming_the_field(
    app: Flask, api: ApiClient, make_issuer: Any, png_uri: str, change: dict[str, Any], field: str
) -> None:
    body = {
        "issuer": make_issuer()["id"],
        "name": "B",
        "description": "d",
        "image": png_uri,
        "criteria": {"narrative": "n"},
        **change,
    }
    response = api.post("/badges", body)
    assert response.status_code == 400
    assert (response.json or {})["field"] == field
    assert count(app, BadgeClass) == 0


def test_list_includes_private_badges_with_award_counts(
    api: ApiClient, make_badge: Any, award: Any
) -> None:
    public = make_badge(name="Public")
    private = make_badge(name="Secret", private=True)
    award(public["id"], "a@example.org", "b@example.org")
    badges = {b["name"]: b for b in (api.get("/badges").json or {})["badges"]}
    assert set(badges) == {"Public", "Secret"}
    assert badges["Public"]["award_count"] == 2
    assert badges["Secret"]["award_count"] == 0
    assert api.get(f"/badges/{private['id']}").status_code == 200


def test_list_is_paged_oldest_first(api: ApiClient, make_badge: Any) -> None:
    made = [make_badge(name=f"Badge {n}")["id"] for n in range(5)]
    first = api.get("/badges?per_page=2").json
    assert first is not None
    assert [b["id"] for b in first["badges"]] == made[:2]
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert first["next"] == "/api/v1/badges?page=2&per_page=2"
    last = api.get("/badges?page=3&per_page=2").json
    assert last is not None
    assert [b["id"] for b in last["badges"]] == made[4:]
    assert last["next"] is None
    assert api.get("/badges?per_page=501").status_code == 400


def test_patch_changes_only_given_fields(api: ApiClient, make_badge: Any) -> None:
    badge = make_badge()
    response = api.patch(
        f"/badges/{badge['id']}",
        {"name": "Renamed", "private": True, "image": data_uri(png_bytes(64, 64))},
    )
    assert response.status_code == 200
    changed = response.json
    assert changed is not None
    assert changed["name"] == "Renamed"
    assert changed["private"] is True
    assert changed["description"] == badge["description"]
    assert changed["criteria"] == badge["criteria"]
    assert "150x150" in changed["warnings"][0]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"issuer": "x"}, 400),
        ({"criteria": {"narrative": ""}}, 400),
        ({"name": None}, 400),
    ],
)
def test_bad_patch_is_rejected(api: ApiClient, make_badge: Any, body: Any, status: int) -> None:
    badge = make_badge()
    response = api.patch(f"/badges/{badge['id']}", body)
    assert response.status_code == status
    unchanged = api.get(f"/badges/{badge['id']}").json or {}
    assert unchanged["name"] == badge["name"]
    assert unchanged["criteria"] == badge["criteria"]


def test_patch_unknown_badge_is_404(api: ApiClient) -> None:
    response = api.patch("/badges/00000000-0000-4000-8000-000000000000", {"name": "x"})
    assert response.status_code == 404


def test_malformed_issuer_id_is_400_naming_it(app: Flask, api: ApiClient, png_uri: str) -> None:
    # Hex digits and dashes pass the schema's pattern; 33 digits are still no UUID.
    body = {
        "issuer": "0" * 33,
        "name": "B",
        "description": "d",
        "image": png_uri,
        "criteria": {"narrative": "n"},
    }
    response = api.post("/badges", body)
    assert response.status_code == 400
    assert (response.json or {})["field"] == "issuer"
    assert (response.json or {})["message"] == f"issuer: {'0' * 33!r} is not a valid id"
    assert count(app, BadgeClass) == 0


def test_patch_null_clears_the_validity_and_criteria_are_replaced_whole(
    api: ApiClient, make_badge: Any
) -> None:
    badge = make_badge(
        expires_after_days=30,
        tags=["one"],
        criteria={"narrative": "Do it.", "url": "https://example.org/c"},
    )
    response = api.patch(f"/badges/{badge['id']}", {"expires_after_days": None})
    assert response.status_code == 200, response.json
    cleared = response.json or {}
    assert cleared["expires_after_days"] is None
    assert (cleared["tags"], cleared["criteria"]) == (["one"], badge["criteria"])
    replaced = api.patch(f"/badges/{badge['id']}", {"criteria": {"url": "https://example.org/d"}})
    assert (replaced.json or {})["criteria"] == {"url": "https://example.org/d"}
    archived = api.patch(f"/badges/{badge['id']}", {"archived": True}).json or {}
    assert archived["archived"] is True
    assert archived["name"] == badge["name"] and archived["private"] is False
