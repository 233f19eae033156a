"""Signed awards (JWS), key documents, rotation and the revocation list."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from issuer.extensions import db
from issuer.models import Assertion
from issuer.openbadges import signing
from issuer.openbadges.keys import generate_private_key_pem
from issuer.services.keystore import MemoryKeyStore
from tests.support import BASE_URL, ApiClient, issuer_and_badge, make_token


def path(url: str) -> str:
    """The path of one of our public URLs."""
    return url.removeprefix(BASE_URL)


def verify_with_published_key(client: FlaskClient, jws: str) -> dict[str, Any]:
    """Verify a JWS the way a verifier does: fetch the key its creator names, check ownership."""
    payload = signing.read_unverified(jws).payload
    key_doc = client.get(path(payload["verification"]["creator"])).json or {}
    badge = client.get(path(payload["badge"])).json or {}
    issuer = client.get(path(badge["issuer"])).json or {}
    assert key_doc["type"] == "CryptographicKey"
    assert key_doc["id"] == payload["verification"]["creator"]
    assert key_doc["owner"] == issuer["id"]
    assert key_doc["id"] in issuer["publicKey"]
    return signing.verify(jws, key_doc["publicKeyPem"])


def test_award_carries_its_signed_form(client: FlaskClient, make_badge: Any, award: Any) -> None:
    badge = make_badge(expires_after_days=5)
    assertion = award(badge["id"], "Ada@Example.org", narrative="Great")["awards"][0]
    payload = verify_with_published_key(client, assertion["signed"])
    hosted = client.get(path(assertion["openBadgeId"])).json or {}
    assert payload["id"] == f"urn:uuid:{assertion['id']}"
    kid = signing.read_unverified(assertion["signed"]).header["kid"].rsplit("/", 1)[1][:16]
    assert payload["badge"] == f"{badge['openBadgeId']}?key={kid}"
    assert payload["recipient"] == hosted["recipient"]
    assert payload["issuedOn"] == hosted["issuedOn"]
    assert payload["expires"] == hosted["expires"]
    assert payload["narrative"] == "Great"
    served = client.get(path(assertion["openBadgeId"]) + "/signed")
    assert served.status_code == 200
    assert served.mimetype == "text/plain"
    assert served.get_data(as_text=True) == assertion["signed"]
    assert served.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(
        path(assertion["openBadgeId"]) + "/signed",
        headers={"If-None-Match": served.headers["ETag"]},
    )
    assert again.status_code == 304


def test_issuer_profile_lists_keys_and_revocation_list(
    client: FlaskClient, app: Flask, make_issuer: Any
) -> None:
    issuer = make_issuer()
    profile = client.get(path(issuer["openBadgeId"])).json or {}
    key = app.extensions["issuer.keystore"].list_keys()[-1]
    key_url = f"{BASE_URL}/public/keys/{key.kid}-{issuer['id']}"
    assert profile["publicKey"] == [key_url]
    assert profile["revocationList"] == f"{issuer['openBadgeId']}/revocations"
    key_doc = client.get(path(key_url)).json or {}
    assert key_doc["owner"] == f"{issuer['openBadgeId']}?key={key.kid}"
    assert key_doc["publicKeyPem"] == key.public_pem
    assert "PRIVATE" not in str(key_doc)
    scoped = client.get(path(key_doc["owner"])).json or {}
    assert scoped["id"] == key_doc["owner"]
    assert scoped["publicKey"] == [key_url]
    assert {k: v for k, v in scoped.items() if k not in ("id", "publicKey")} == {
        k: v for k, v in profile.items() if k not in ("id", "publicKey")
    }


def test_unknown_key_scope_is_404(client: FlaskClient, make_badge: Any) -> None:
    badge = make_badge()
    assert client.get(path(badge["openBadgeId"]) + "?key=ffffffffffffffff").status_code == 404
    issuer = client.get(path(badge["openBadgeId"])).json["issuer"]  # type: ignore[index]
    assert client.get(path(issuer) + "?key=nope").status_code == 404


@pytest.mark.parametrize(
    "ref",
    [
        "nope",
        "0123456789abcdef-00000000-0000-4000-8000-000000000000",
        "0123456789abcdef-not-a-uuid",
    ],
)
def test_unknown_keys_are_404(client: FlaskClient, make_issuer: Any, ref: str) -> None:
    make_issuer()
    assert client.get(f"/public/keys/{ref}").status_code == 404


def test_key_of_unknown_issuer_is_404(client: FlaskClient, app: Flask) -> None:
    kid = app.extensions["issuer.keystore"].list_keys()[0].kid
    response = client.get(f"/public/keys/{kid}-00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_revocation_list(client: FlaskClient, api: ApiClient, make_badge: Any, award: Any) -> None:
    badge = make_badge()
    kept, revoked = award(badge["id"], "a@example.org", "b@example.org")["awards"]
    issuer_url = client.get(path(badge["openBadgeId"])).json["issuer"]  # type: ignore[index]
    listing = client.get(path(issuer_url) + "/revocations")
    assert listing.status_code == 200
    assert listing.mimetype == "application/ld+json"
    entries = (listing.json or {})["revokedAssertions"]
    assert [e["id"] for e in entries] == ["urn:uuid:00000000-0000-4000-8000-000000000000"]
    api.post(f"/assertions/{revoked['id']}/revoke", {"reason": "Copied the work"})
    document = client.get(path(issuer_url) + "/revocations").json or {}
    assert document["type"] == "RevocationList"
    assert document["issuer"] == issuer_url
    assert document["revokedAssertions"][1:] == [
        {"id": f"urn:uuid:{revoked['id']}", "revocationReason": "Copied the work"}
    ]
    assert client.get(path(revoked["openBadgeId"]) + "/signed").status_code == 410
    assert client.get(path(kept["openBadgeId"]) + "/signed").status_code == 200


def test_unknown_issuer_has_no_revocation_list(client: FlaskClient) -> None:
    response = client.get("/public/issuers/00000000-0000-4000-8000-000000000000/revocations")
    assert response.status_code == 404


def test_rotation_keeps_old_signatures_verifiable(
    make_app: Callable[..., Flask], png_uri: str
) -> None:
    store = MemoryKeyStore()
    first_key = store.add_key(generate_private_key_pem())
    app = make_app(store)
    client = app.test_client()
    api = ApiClient(client, make_token(app, "admin@example.org", admin=True))
    issuer, badge = issuer_and_badge(api, png_uri)
    before = (
        api.post(f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"]}).json or {}
    )["awards"][0]
    runner = app.test_cli_runner()
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    second_key = store.list_keys()[-1]
    assert second_key.kid != first_key.kid
    after = (
        api.post(f"/badges/{badge['id']}/awards", {"recipients": ["b@example.org"]}).json or {}
    )["awards"][0]

    def creator(jws: str) -> str:
        return str(signing.read_unverified(jws).payload["verification"]["creator"])

    assert creator(before["signed"]).endswith(f"/keys/{first_key.kid}-{issuer['id']}")
    assert creator(after["signed"]).endswith(f"/keys/{second_key.kid}-{issuer['id']}")
    assert (
        client.get(path(before["openBadgeId"]) + "/signed").get_data(as_text=True)
        == (before["signed"])
    )
    verify_with_published_key(client, before["signed"])
    verify_with_published_key(client, after["signed"])
    profile = client.get(f"/public/issuers/{issuer['id']}").json or {}
    assert profile["publicKey"] == [creator(after["signed"])]
    listed = runner.invoke(args=["keys", "list"])
    assert first_key.kid in listed.output and second_key.kid in listed.output
    assert "signing" in listed.output.splitlines()[1]


def test_awards_made_before_signing_are_signed_on_first_request(
    app: Flask, client: FlaskClient, make_badge: Any, award: Any
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    with app.app_context():
        db.session.execute(update(Assertion).values(signed_jws=None, signed_kid=None))
        db.session.commit()
    first = client.get(path(assertion["openBadgeId"]) + "/signed")
    assert first.status_code == 200
    assert first.get_data(as_text=True) == assertion["signed"]  # RS256 is deterministic
    with app.app_context():
        stored = db.session.get(Assertion, __import__("uuid").UUID(assertion["id"]))
        assert stored is not None
        assert stored.signed_jws == assertion["signed"]


def test_signing_without_a_key_is_503(make_app: Callable[..., Flask], png_uri: str) -> None:
    app = make_app(MemoryKeyStore())
    api = ApiClient(app.test_client(), make_token(app, "admin@example.org", admin=True))
    _, badge = issuer_and_badge(api, png_uri)
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"]})
    assert response.status_code == 503
    assert "init" in (response.json or {})["message"]
