"""OB 3.0 credentials: the VC-JWT of each award, its JSON, keys, status lists and revocation."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from issuer.extensions import db
from issuer.models import Assertion
from issuer.openbadges import ob3, signing, vcjwt
from issuer.openbadges.baking import unbake_png, unbake_svg
from issuer.openbadges.keys import generate_private_key_pem, load_private_key
from issuer.openbadges.schemas import DocumentSchemaError
from issuer.services.keystore import MemoryKeyStore
from tests.conftest import LiveServer
from tests.proofs import verify_proof
from tests.support import (
    BASE_URL,
    OFFICIAL_CREDENTIAL_SCHEMA,
    SVG_150,
    ApiClient,
    award_one,
    data_uri,
    issuer_and_badge,
    make_token,
    needs_vendor,
)

Award = Callable[..., dict[str, Any]]


def path(url: str) -> str:
    """The path of one of our public URLs."""
    return url.removeprefix(BASE_URL)


def payload_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified."""
    return signing.read_unverified(token).payload


def verify_with_jwks(client: FlaskClient, token: str) -> dict[str, Any]:
    """Verify a VC-JWT as a wallet does: the key from the JWKS by kid, and from the kid URL."""
    kid = signing.read_unverified(token).header["kid"]
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.mimetype == "application/jwk-set+json"
    (listed,) = [k for k in (jwks.json or {})["keys"] if k["kid"] == kid]
    by_kid = client.get(path(kid))
    assert by_kid.status_code == 200
    assert by_kid.mimetype == "application/jwk+json"
    assert by_kid.json == listed  # the bare JWK, not a set
    key = jwt.PyJWK(listed).key
    return dict(jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False}))


def status_bit(client: FlaskClient, credential: dict[str, Any]) -> bool:
    """Whether a credential's revocation bit is set in the status list it points at (a
    VC-JWT for a VC-JWT credential, JSON-LD signed by the DID for a Data Integrity one)."""
    entry = credential["credentialStatus"]
    response = client.get(path(entry["statusListCredential"]))
    assert response.status_code == 200
    if "proof" in credential:
        assert response.mimetype == "application/vc+ld+json"
        listed = response.json or {}
        verify_proof(client, listed)
    else:
        assert response.mimetype == "application/vc+jwt"
        listed = verify_with_jwks(client, response.get_data(as_text=True))
    assert listed["issuer"] == vcjwt.issuer_id(credential)
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = ob3.decode_status_list(listed["credentialSubject"]["encodedList"])
    return ob3.is_position_set(bits, int(entry["statusListIndex"]))


def test_the_tests_check_credentials_against_the_official_schema(app: Flask) -> None:
    needs_vendor(OFFICIAL_CREDENTIAL_SCHEMA)
    assert app.config["OB3_SCHEMA"] == str(OFFICIAL_CREDENTIAL_SCHEMA)


def test_every_award_has_a_credential(client: FlaskClient, make_badge: Any, award: Award) -> None:
    badge = make_badge(name="Teamwork", tags=["team"])
    made = award(
        badge["id"],
        "Ada@Example.org",
        narrative="Led the project.",
        evidence=[{"url": "https://portfolio.example/ada", "name": "Portfolio"}],
    )["awards"][0]
    assert made["credential"] == f"{BASE_URL}/public/assertions/{made['id']}/credential"
    response = client.get(path(made["credential"]))
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    token = response.get_data(as_text=True)
    header = signing.read_unverified(token).header
    assert header["alg"] == "RS256"
    assert header["kid"].startswith(f"{BASE_URL}/public/jwk/")
    claims = verify_with_jwks(client, token)
    credential = vcjwt.credential_of(claims)
    assert claims["iss"] == credential["issuer"]["id"]
    assert claims["jti"] == credential["id"] == f"urn:uuid:{made['id']}"
    assert claims["nbf"] == int(datetime.fromisoformat(made["issued_on"]).timestamp())
    assert credential["validFrom"] == made["issued_on"]
    assert credential["name"] == "Teamwork"
    subject = credential["credentialSubject"]
    assert subject["narrative"] == "Led the project."
    assert subject["achievement"]["id"] == f"{BASE_URL}/public/badges/{badge['id']}"
    assert subject["achievement"]["tag"] == ["team"]
    assert credential["evidence"][0]["id"] == "https://portfolio.example/ada"
    # The JSON-LD form is the same credential with a Data Integrity proof, issued by the
    # issuer's did:web, on the same status list position (in the list of that form).
    as_json = client.get(path(made["credential"]) + ".json")
    assert as_json.status_code == 200
    assert as_json.mimetype == "application/vc+ld+json"
    linked = dict(as_json.json or {})
    assert [p["cryptosuite"] for p in linked.pop("proof")] == ["eddsa-rdfc-2022"]
    did = linked["issuer"]["id"]
    assert did.startswith("did:web:")
    status = linked["credentialStatus"]
    assert status["statusListIndex"] == credential["credentialStatus"]["statusListIndex"]
    assert status["statusListCredential"].endswith(".json")
    assert linked == {
        **credential,
        "issuer": {**credential["issuer"], "id": did},
        "credentialStatus": status,
    }
    # The issuer id is its OB 3.0 Profile, which names the DID (and the DID document, it).
    profile = client.get(path(credential["issuer"]["id"]))
    assert profile.status_code == 200
    assert profile.json == {
        "@context": list(ob3.CONTEXTS),
        **credential["issuer"],
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": did, "identifierType": "identifier"}
        ],
    }


def test_the_credential_is_made_once_and_kept(
    app: Flask, client: FlaskClient, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    first = client.get(path(made["credential"])).get_data(as_text=True)
    again = client.get(path(made["credential"])).get_data(as_text=True)
    assert first == again
    with app.app_context():
        stored = db.session.scalars(select(Assertion)).one()
        assert stored.credential_jwt == first
        assert stored.status_list == 0
        assert stored.status_index is not None


def test_credentials_take_distinct_status_entries(
    app: Flask, client: FlaskClient, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], *[f"p{n}@example.org" for n in range(20)])["awards"]
    for item in made:
        assert client.get(path(item["credential"])).status_code == 200
    with app.app_context():
        places = db.session.execute(select(Assertion.status_list, Assertion.status_index)).all()
    assert len(set(places)) == 20
    assert sorted(index or 0 for _, index in places) != list(range(20))  # shuffled, not in order


def test_an_expiring_award_has_valid_until_and_exp(
    client: FlaskClient, make_badge: Any, award: Award
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    made = award(make_badge()["id"], "ada@example.org", expires=expires.isoformat())["awards"][0]
    claims = payload_of(client.get(path(made["credential"])).get_data(as_text=True))
    assert claims["validUntil"] == made["expires"]
    assert claims["exp"] == int(expires.timestamp())


def test_revoking_updates_every_format_at_once(
    client: FlaskClient, api: ApiClient, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], "ada@example.org", "bob@example.org")["awards"]
    target, other = made
    forms = []
    for item in (target, other):
        jwt_form = vcjwt.credential_of(payload_of(client.get(path(item["credential"])).text))
        forms.append((jwt_form, client.get(path(item["credential"]) + ".json").json or {}))
    lists = [c["credentialStatus"]["statusListCredential"] for c in forms[0]]
    before = [client.get(path(url)).headers["ETag"] for url in lists]
    assert not any(status_bit(client, c) for c in forms[0])

    response = api.post(f"/assertions/{target['id']}/revoke", {"reason": "Issued in error"})
    assert response.status_code == 200

    # OB 3.0, both forms: the bit is set, the other award's is not, the lists changed.
    assert all(status_bit(client, c) for c in forms[0])
    assert not any(status_bit(client, c) for c in forms[1])
    assert [client.get(path(url)).headers["ETag"] for url in lists] != before
    credential = forms[0][0]
    for suffix in ("", ".json"):
        gone = client.get(path(target["credential"]) + suffix)
        assert gone.status_code == 410
        assert "Issued in error" in (gone.json or {})["message"]
    # OB 2.0: the hosted document is gone and the revocation list names the award.
    assert client.get(path(target["openBadgeId"])).status_code == 410
    revocations = client.get(
        path(credential["issuer"]["id"]).removesuffix("/profile") + "/revocations"
    )
    listed = [entry["id"] for entry in (revocations.json or {})["revokedAssertions"]]
    assert f"urn:uuid:{target['id']}" in listed


def test_a_revoked_award_never_gets_a_credential(
    client: FlaskClient, api: ApiClient, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{made['id']}/revoke", {"reason": "Mistake"})
    assert client.get(path(made["credential"])).status_code == 410
    assert client.get(path(made["image"]) + "?format=ob3").status_code == 410


def test_unknown_things_are_404(client: FlaskClient, make_badge: Any, award: Award) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    credential = payload_of(client.get(path(made["credential"])).text)
    list_url = path(credential["credentialStatus"]["statusListCredential"])
    prefix, kid, number = list_url.rsplit("/", 2)
    missing = "00000000-0000-4000-8000-000000000000"
    for url in (
        f"{prefix}/{int(number) + 1}.json",
        f"/public/issuers/{missing}/status/{number}.json",
        f"/public/issuers/{missing}/did.json",
        f"/public/assertions/{missing}/credential",
        f"/public/assertions/{missing}/credential.json",
        f"{prefix}/{kid}/{int(number) + 1}",
        f"{prefix}/0000000000000000/{number}",
        f"/public/issuers/{missing}/status/{kid}/{number}",
        f"/public/issuers/{missing}/profile",
        "/public/jwk/0000000000000000",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert (response.json or {})["message"], url


@pytest.mark.parametrize("svg", [False, True])
def test_images_baked_with_the_credential(
    client: FlaskClient, make_badge: Any, award: Award, svg: bool
) -> None:
    image = data_uri(SVG_150.encode(), "image/svg+xml") if svg else None
    badge = make_badge(**({"image": image} if image else {}))
    made = award(badge["id"], "ada@example.org")["awards"][0]
    response = client.get(path(made["image"]) + "?format=ob3")
    assert response.status_code == 200
    token = client.get(path(made["credential"])).get_data(as_text=True)
    if svg:
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Disposition"].endswith('-ob3.svg"')
        assert unbake_svg(response.get_data(as_text=True), version="ob3") == token
    else:
        assert response.mimetype == "image/png"
        assert unbake_png(response.data, version="ob3") == token
        assert unbake_png(response.data) is None  # only the OB 3.0 credential is inside


def live_get(live: LiveServer, url: str) -> tuple[int, bytes]:
    """GET one of our public URLs from the live server (through the WSGI fast path)."""
    parts = urlsplit(live.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path(url))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_fast_path_serves_a_credential_image_once_made(
    live: LiveServer, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    image_url = made["image"] + "?format=ob3"
    first, second = live_get(live, image_url), live_get(live, image_url)
    assert first == second
    status, token = live_get(live, made["credential"])
    assert status == 200
    assert unbake_png(first[1], version="ob3") == token.decode()


def test_concurrent_first_requests_make_one_credential(
    app: Flask, live: LiveServer, make_badge: Any, award: Award
) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    start = threading.Barrier(6)
    answers: list[tuple[int, bytes]] = []

    def fetch() -> None:
        start.wait()
        answers.append(live_get(live, made["credential"]))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [200] * 6
    assert len({token for _, token in answers}) == 1
    with app.app_context():
        stored = db.session.scalars(select(Assertion.credential_jwt)).one()
    assert stored is not None
    assert stored.encode() == answers[0][1]


def test_an_unknown_image_format_is_400(client: FlaskClient, make_badge: Any, award: Award) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    response = client.get(path(made["image"]) + "?format=ob4")
    assert response.status_code == 400
    assert "ob3" in (response.json or {})["message"]


def test_rotation_keeps_old_credentials_verifiable(
    make_app: Callable[..., Flask], png_uri: str
) -> None:
    store = MemoryKeyStore()
    first_key = store.add_key(generate_private_key_pem())
    app = make_app(store)
    client = app.test_client()
    api = ApiClient(client, make_token(app, "admin@example.org", admin=True))
    badge = issuer_and_badge(api, png_uri)[1]["id"]
    old = award_one(api, badge, "a@example.org")
    old_token = client.get(path(old["credential"])).get_data(as_text=True)
    store.add_key(generate_private_key_pem())
    new = award_one(api, badge, "b@example.org")
    new_token = client.get(path(new["credential"])).get_data(as_text=True)
    old_kid = signing.read_unverified(old_token).header["kid"]
    assert old_kid.endswith(first_key.kid)
    assert signing.read_unverified(new_token).header["kid"] != old_kid
    assert client.get(path(old["credential"])).get_data(as_text=True) == old_token
    assert len((client.get("/.well-known/jwks.json").json or {})["keys"]) == 2
    for token in (old_token, new_token):
        credential = vcjwt.credential_of(verify_with_jwks(client, token))
        # Each status list is signed by the key of the credentials pointing at it.
        list_token = client.get(
            path(credential["credentialStatus"]["statusListCredential"])
        ).get_data(as_text=True)
        assert (
            signing.read_unverified(list_token).header["kid"]
            == signing.read_unverified(token).header["kid"]
        )
        assert not status_bit(client, credential)


def test_a_credential_failing_a_schema_is_never_served(
    make_app: Callable[..., Flask],
    keystore: MemoryKeyStore,
    tmp_path: Path,
    png_uri: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refuse_all = tmp_path / "refuse.json"
    refuse_all.write_text(
        json.dumps({"$schema": "https://json-schema.org/draft/2019-09/schema", "not": {}})
    )
    app = make_app(keystore, OB3_SCHEMA=str(refuse_all))
    client = app.test_client()
    api = ApiClient(client, make_token(app, "admin@example.org", admin=True))
    made = award_one(api, issuer_and_badge(api, png_uri)[1]["id"], "a@example.org")
    with caplog.at_level(logging.ERROR):
        response = client.get(path(made["credential"]))
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], DocumentSchemaError)
    assert "official AchievementCredential schema" in str(logged.exc_info[1])
    assert client.get(path(made["image"]) + "?format=ob3").status_code == 500
    with app.app_context():
        assert db.session.scalars(select(Assertion.credential_jwt)).one() is None


def tamper(token: str, **changes: Any) -> str:
    """Change a VC-JWT's payload and keep its old signature."""
    header, _, signature = token.split(".")
    claims = payload_of(token)
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_verify_endpoint_checks_credentials(
    client: FlaskClient,
    api: ApiClient,
    keystore: MemoryKeyStore,
    make_badge: Any,
    award: Award,
) -> None:
    made = award(make_badge()["id"], "ada@example.org")["awards"][0]
    token = client.get(path(made["credential"])).get_data(as_text=True)

    def check(jws: str) -> dict[str, Any]:
        response = api.post("/verify", {"jws": jws})
        assert response.status_code == 200, response.json
        return dict(response.json or {})

    result = check(token)
    assert (result["status"], result["format"], result["valid"]) == ("valid", "credential", True)
    assert result["assertion"]["id"] == made["id"]
    assert check(tamper(token, name="Forged"))["status"] == "bad_signature"
    # Signed by another key that claims to be ours.
    claims = payload_of(token)
    forger = generate_private_key_pem()
    kid = signing.read_unverified(token).header["kid"]
    forged = vcjwt.sign_credential(vcjwt.credential_of(claims), load_private_key(forger), kid)
    assert check(forged)["status"] == "bad_signature"
    unknown = vcjwt.sign_credential(
        vcjwt.credential_of(claims), load_private_key(forger), f"{BASE_URL}/public/jwk/nope"
    )
    assert check(unknown)["status"] == "unknown_key"
    # An expired credential, signed by our own key.
    key = keystore.list_keys()[-1]
    past = dict(vcjwt.credential_of(claims), validUntil="2025-01-01T00:00:00Z")
    expired = vcjwt.sign_credential(past, key.private_key, kid)
    outcome = check(expired)
    assert (outcome["status"], outcome["valid"]) == ("expired", False)
    api.post(f"/assertions/{made['id']}/revoke", {"reason": "Mistake"})
    revoked = check(token)
    assert revoked["status"] == "revoked"
    assert "Mistake" in revoked["message"]


@pytest.mark.parametrize("svg", [False, True])
def test_verify_page_reads_an_ob3_baked_image(
    client: FlaskClient, make_badge: Any, award: Award, svg: bool
) -> None:
    image = {"image": data_uri(SVG_150.encode(), "image/svg+xml")} if svg else {}
    made = award(make_badge(name="Gardening", **image)["id"], "ada@example.org")["awards"][0]
    baked = client.get(path(made["image"]) + "?format=ob3").data
    page = client.get("/verify")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/verify",
        data={"csrf_token": token, "image": (BytesIO(baked), "badge.svg" if svg else "badge.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Valid" in html
    assert "Open Badges 3.0 credential (VC-JWT)" in html
    assert "Gardening" in html
