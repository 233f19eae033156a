"""Baked badge images: the award inside the badge's own PNG or SVG."""

from typing import Any

import pytest
from flask.testing import FlaskClient

from issuer.openbadges.baking import unbake_png, unbake_svg
from tests.support import BASE_URL, SVG_150, ApiClient, data_uri, png_bytes


def path(url: str) -> str:
    """The path of one of our public URLs."""
    return url.removeprefix(BASE_URL)


def test_png_baked_with_the_hosted_assertion(
    client: FlaskClient, make_badge: Any, award: Any
) -> None:
    badge = make_badge(name="First Steps!")
    assertion = award(badge["id"], "ada@example.org")["awards"][0]
    response = client.get(path(assertion["image"]))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'inline; filename="first-steps.png"'
    hosted = client.get(path(assertion["openBadgeId"]))
    assert unbake_png(response.data) == hosted.get_data(as_text=True)
    assert client.get(path(badge["image"])).data == png_bytes()  # the original stays unbaked
    cached = client.get(
        path(assertion["image"]), headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_png_baked_with_the_jws(client: FlaskClient, make_badge: Any, award: Any) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    response = client.get(path(assertion["image"]) + "?signed=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-signed.png"')
    assert unbake_png(response.data) == assertion["signed"]


@pytest.mark.parametrize("signed", [False, True])
def test_svg_badges_are_baked_as_svg(
    client: FlaskClient, make_badge: Any, award: Any, signed: bool
) -> None:
    badge = make_badge(image=data_uri(SVG_150.encode(), "image/svg+xml"))
    assertion = award(badge["id"], "ada@example.org")["awards"][0]
    response = client.get(path(assertion["image"]) + ("?signed=1" if signed else ""))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"].endswith('.svg"')
    baked = response.get_data(as_text=True)
    expected = assertion["signed"] if signed else assertion["openBadgeId"]
    assert unbake_svg(baked) == expected
    assert '<circle cx="75" cy="75" r="70" fill="#2e86de"/>' in baked


def test_revoked_and_unknown_awards_have_no_image(
    client: FlaskClient, api: ApiClient, make_badge: Any, award: Any
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Mistake"})
    for suffix in ("", "?signed=1"):
        gone = client.get(path(assertion["image"]) + suffix)
        assert gone.status_code == 410
        assert "Mistake" in (gone.json or {})["message"]
    missing = client.get("/public/assertions/00000000-0000-4000-8000-000000000000/image")
    assert missing.status_code == 404


def test_badge_image_change_reaches_new_bakes(
    client: FlaskClient, api: ApiClient, make_badge: Any, award: Any
) -> None:
    badge = make_badge()
    assertion = award(badge["id"], "ada@example.org")["awards"][0]
    first = client.get(path(assertion["image"])).data
    api.patch(f"/badges/{badge['id']}", {"image": data_uri(png_bytes(color="#000000"))})
    second = client.get(path(assertion["image"])).data
    assert first != second
    assert unbake_png(first) == unbake_png(second)
