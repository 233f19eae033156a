"""Hosted documents: content negotiation, revocation, caching, CORS and escaping."""

from typing import Any

import pytest
from flask.testing import FlaskClient

from issuer.openbadges.identity import hash_identity
from tests.support import BASE_URL, data_uri, png_bytes

JSON_ACCEPTS = [
    None,
    "*/*",
    "application/ld+json",
    "application/json",
    "application/ld+json, application/json, image/png, image/svg+xml",
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def path(url: str) -> str:
    """The path of one of our public URLs."""
    return url.removeprefix(BASE_URL)


@pytest.fixture
def awarded(make_badge: Any, award: Any) -> dict[str, Any]:
    """A badge with an expiring award carrying narrative and evidence."""
    badge = make_badge(
        tags=["t1"],
        expires_after_days=10,
        alignment=[{"targetName": "Skill", "targetUrl": "https://example.org/s"}],
    )
    result = award(
        badge["id"],
        "Ada@Example.org",
        narrative="Well done",
        evidence=[{"url": "https://example.org/proof", "name": "Proof"}],
    )
    return {"badge": badge, "assertion": result["awards"][0]}


@pytest.mark.parametrize("accept", JSON_ACCEPTS)
def test_assertion_is_jsonld_unless_html_is_preferred(
    client: FlaskClient, awarded: dict[str, Any], accept: str | None
) -> None:
    assertion = awarded["assertion"]
    response = client.get(
        path(assertion["openBadgeId"]), headers={"Accept": accept} if accept else {}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    doc = response.json
    assert doc is not None
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["type"] == "Assertion"
    assert doc["id"] == assertion["openBadgeId"]
    assert doc["badge"] == awarded["badge"]["openBadgeId"]
    assert doc["verification"] == {"type": "HostedBadge"}
    recipient = doc["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    assert recipient["identity"] == hash_identity("ada@example.org", recipient["salt"])
    assert doc["issuedOn"].endswith("Z")
    assert doc["expires"] == assertion["expires"]
    assert doc["narrative"] == "Well done"
    assert doc["evidence"] == [
        {"type": "Evidence", "id": "https://example.org/proof", "name": "Proof"}
    ]


def test_each_assertion_has_its_own_salt(make_badge: Any, award: Any, client: FlaskClient) -> None:
    badge = make_badge()
    one, two = award(badge["id"], "a@example.org", "b@example.org")["awards"]
    salt_one = client.get(path(one["openBadgeId"])).json["recipient"]["salt"]  # type: ignore
    salt_two = client.get(path(two["openBadgeId"])).json["recipient"]["salt"]  # type: ignore
    assert salt_one != salt_two
    assert len(salt_one) >= 16


def test_browser_gets_html_and_json_suffix_forces_json(
    client: FlaskClient, awarded: dict[str, Any]
) -> None:
    url = path(awarded["assertion"]["openBadgeId"])
    page = client.get(url, headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "First Steps" in html
    assert "Example Academy" in html
    assert "Valid" in html
    forced = client.get(url + ".json", headers={"Accept": BROWSER})
    assert forced.mimetype == "application/ld+json"
    assert forced.json is not None
    assert forced.json["id"] == awarded["assertion"]["openBadgeId"]


def test_badge_and_issuer_documents(client: FlaskClient, awarded: dict[str, Any]) -> None:
    badge = awarded["badge"]
    doc = client.get(path(badge["openBadgeId"])).json
    assert doc is not None
    assert doc["type"] == "BadgeClass"
    assert doc["id"] == badge["openBadgeId"]
    assert doc["image"] == badge["image"]
    assert doc["criteria"] == {"narrative": "Finish stage one."}
    assert doc["tags"] == ["t1"]
    assert doc["alignment"] == [{"targetName": "Skill", "targetUrl": "https://example.org/s"}]
    issuer = client.get(path(doc["issuer"])).json
    assert issuer is not None
    assert issuer["type"] == "Issuer"
    assert issuer["id"] == doc["issuer"]
    assert issuer["email"] == "badges@academy.example.org"
    image = client.get(path(doc["image"]))
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data == png_bytes()
    assert image.headers["Access-Control-Allow-Origin"] == "*"


def test_revoked_assertion_is_gone(client: FlaskClient, api: Any, awarded: dict[str, Any]) -> None:
    assertion = awarded["assertion"]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Cheated <b>badly</b>"})
    response = client.get(path(assertion["openBadgeId"]))
    assert response.status_code == 410
    assert response.mimetype == "application/ld+json"
    assert response.json == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": assertion["openBadgeId"],
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Cheated <b>badly</b>",
    }
    page = client.get(path(assertion["openBadgeId"]), headers={"Accept": BROWSER})
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Revoked" in html
    assert "Cheated &lt;b&gt;badly&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "/public/assertions/00000000-0000-4000-8000-000000000000",
        "/public/badges/00000000-0000-4000-8000-000000000000",
        "/public/issuers/00000000-0000-4000-8000-000000000000",
        "/public/badges/00000000-0000-4000-8000-000000000000/image",
        "/public/assertions/1",
        "/public/assertions/../../etc/passwd",
    ],
)
def test_unknown_ids_are_404_in_the_format_asked_for(client: FlaskClient, url: str) -> None:
    as_json = client.get(url)
    assert as_json.status_code == 404
    assert as_json.json is not None
    assert as_json.json["error"] == "Not Found"
    as_html = client.get(url, headers={"Accept": BROWSER})
    assert as_html.status_code == 404
    assert as_html.mimetype == "text/html"
    assert "404" in as_html.get_data(as_text=True)


def test_issuer_without_image_has_no_image(client: FlaskClient, make_issuer: Any) -> None:
    issuer = make_issuer()
    assert "image" not in (client.get(path(issuer["openBadgeId"])).json or {})
    assert client.get(path(issuer["openBadgeId"]) + "/image").status_code == 404


@pytest.mark.parametrize("kind", ["assertion", "badge"])
def test_cors_etag_and_conditional_get(
    client: FlaskClient, awarded: dict[str, Any], kind: str
) -> None:
    url = path(awarded[kind]["openBadgeId"])
    response = client.get(url)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert etag
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_changes_when_revoked(client: FlaskClient, api: Any, awarded: dict[str, Any]) -> None:
    url = path(awarded["assertion"]["openBadgeId"])
    etag = client.get(url).headers["ETag"]
    api.post(f"/assertions/{awarded['assertion']['id']}/revoke", {"reason": "x"})
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 410


def test_private_badge_is_served_but_never_listed(
    client: FlaskClient, make_issuer: Any, make_badge: Any, award: Any
) -> None:
    issuer = make_issuer()
    make_badge(issuer=issuer["id"], name="Open Badge")
    secret = make_badge(issuer=issuer["id"], name="Secret Flair", private=True)
    assertion = award(secret["id"], "ada@example.org")["awards"][0]
    assert client.get(path(secret["openBadgeId"])).status_code == 200
    assert client.get(path(assertion["openBadgeId"])).status_code == 200
    issuer_page = client.get(path(issuer["openBadgeId"]), headers={"Accept": BROWSER})
    assert "Open Badge" in issuer_page.get_data(as_text=True)
    assert "Secret Flair" not in issuer_page.get_data(as_text=True)
    assert secret["id"] not in issuer_page.get_data(as_text=True)
    home = client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "Secret Flair" not in home
    assert secret["id"] not in str(client.get(path(issuer["openBadgeId"])).json)


def test_markup_is_escaped_on_pages(
    client: FlaskClient, make_issuer: Any, make_badge: Any, award: Any
) -> None:
    evil = '<script>alert("x")</script>'
    issuer = make_issuer(name=evil, description=evil)
    badge = make_badge(
        issuer=issuer["id"], name=evil, description=evil, criteria={"narrative": evil}, tags=[evil]
    )
    assertion = award(
        badge["id"], "ada@example.org", narrative=evil, evidence=[{"name": evil, "narrative": evil}]
    )["awards"][0]
    for url in (issuer["openBadgeId"], badge["openBadgeId"], assertion["openBadgeId"], "/"):
        html = client.get(path(url), headers={"Accept": BROWSER}).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html
    doc = client.get(path(badge["openBadgeId"])).json or {}
    assert doc["name"] == evil


def test_svg_images_are_served_safely(client: FlaskClient, make_badge: Any) -> None:
    from tests.support import SVG_150

    badge = make_badge(image=data_uri(SVG_150.encode(), "image/svg+xml"))
    response = client.get(path(badge["image"]))
    assert response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_head_answers_like_get_without_a_body(client: FlaskClient, awarded: dict[str, Any]) -> None:
    url = path(awarded["assertion"]["openBadgeId"])
    head = client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == client.get(url).headers["ETag"]


def test_html_pages_support_conditional_get(client: FlaskClient, awarded: dict[str, Any]) -> None:
    url = path(awarded["badge"]["openBadgeId"])
    page = client.get(url, headers={"Accept": BROWSER})
    again = client.get(url, headers={"Accept": BROWSER, "If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    assert "Accept" in page.headers["Vary"]
