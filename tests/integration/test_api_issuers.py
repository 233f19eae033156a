"""Creating, listing and reading issuers through the API."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Image, Issuer
from tests.support import ApiClient, data_uri, png_bytes

VALID = {
    "name": "Example Academy",
    "url": "https://academy.example.org",
    "email": "badges@academy.example.org",
}


def count(app: Flask, model: Any) -> int:
    """Count the rows of a model's table."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_issuer(api: ApiClient) -> None:
    response = api.post(
        "/issuers", {**VALID, "description": "We teach.", "image": data_uri(png_bytes())}
    )
    assert response.status_code == 201
    body = response.json
    assert body is not None
    assert body["openBadgeId"] == f"http://issuer.test/public/issuers/{body['id']}"
    assert body["image"] == f"http://issuer.test/public/issuers/{body['id']}/image"
    assert body["warnings"] == []
    assert response.headers["Location"].endswith(f"/api/v1/issuers/{body['id']}")
    assert len(body["id"].replace("-", "")) == 32  # a UUID: 122 random bits, never sequential
    assert api.get(f"/issuers/{body['id']}").json == {
        k: v for k, v in body.items() if k != "warnings"
    }


def test_list_issuers(api: ApiClient, make_issuer: Any) -> None:
    first, second = make_issuer(name="One"), make_issuer(name="Two")
    response = api.get("/issuers")
    assert response.status_code == 200
    assert [i["id"] for i in (response.json or {})["issuers"]] == [first["id"], second["id"]]


def test_unknown_issuer_is_404(api: ApiClient) -> None:
    response = api.get("/issuers/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json is not None
    assert "no issuer" in response.json["message"]
    assert api.get("/issuers/12").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in VALID.items() if k != "name"}, "name"),
        ({**VALID, "name": "   "}, "name"),
        ({**VALID, "name": 42}, "name"),
        ({**VALID, "url": "javascript:alert(1)"}, "url"),
        ({**VALID, "url": "not a url"}, "url"),
        ({**VALID, "email": "nobody"}, "email"),
        ({**VALID, "colour": "blue"}, "colour"),
        ({**VALID, "image": "data:image/gif;base64,R0lGODlhAQABAAAAACw="}, "image"),
    ],
)
def test_bad_issuer_is_400_and_stores_nothing(
    app: Flask, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/issuers", body)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["field"] == field
    assert field in response.json["message"]
    assert count(app, Issuer) == 0
    assert count(app, Image) == 0


def test_markup_in_names_is_stored_as_text(api: ApiClient) -> None:
    name = '<script>alert("x")</script> & Co'
    response = api.post("/issuers", {**VALID, "name": name})
    assert response.status_code == 201
    assert (response.json or {})["name"] == name
