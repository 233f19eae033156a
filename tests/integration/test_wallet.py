"""Add to wallet: the owner's one-time link, and the DID Auth request that spends it."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer import context
from issuer.extensions import db
from issuer.models import OutboxEmail, SpentWalletGrant
from issuer.models.types import utcnow
from issuer.openbadges.keys import public_key_multibase
from issuer.services import grants, users
from tests.proofs import lcw_presentation, verify_proof
from tests.support import (
    BASE_URL,
    ApiClient,
    csrf_token,
    log_in,
)

PASSWORD = "learner-pass-1"
REQUEST = "/public/wallet/request"


def path(url: str) -> str:
    return url.removeprefix(BASE_URL)


@pytest.fixture
def owned(
    app: Flask, client: FlaskClient, make_badge: Any, award: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """An award to a learner with an account, who is signed in on ``client``."""
    with app.app_context():
        users.create_user("ada@example.org", "Ada Lovelace", password=PASSWORD)
        db.session.commit()
    made = award(make_badge(description="Use {braces} & ampersands")["id"], "ada@example.org")
    log_in(client, "ada@example.org", PASSWORD)
    return dict(made["awards"][0])


def add_to_wallet(client: FlaskClient, made: dict[str, Any]) -> str:
    """Press `Add to wallet` on the award page; the dccrequest:// link it shows."""
    page = path(made["openBadgeId"])
    token = csrf_token(client, "/verify")  # one token per session, for every form
    shown = client.post(f"{page}/wallet", data={"csrf_token": token})
    assert shown.status_code == 200, shown.get_data(as_text=True)
    text = shown.get_data(as_text=True)
    assert "<svg" in text  # the QR code, drawn inline
    found = re.search(r'href="(dccrequest://request\?[^"]+)"', text)
    https = re.search(r'href="(https://lcw\.app/request\.html\?[^"]+)"', text)
    assert found and https
    link = html.unescape(found.group(1))
    assert parse_qs(urlsplit(link).query) == parse_qs(urlsplit(html.unescape(https.group(1))).query)
    return link


def challenge_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["challenge"][0]


def claim(client: FlaskClient, presentation: Any) -> Any:
    return client.post(REQUEST, data=json.dumps(presentation), content_type="application/json")


def test_the_link_is_lcws_credential_request(client: FlaskClient, owned: dict[str, Any]) -> None:
    page = client.get(path(owned["openBadgeId"]), headers={"Accept": "text/html"})
    assert 'id="add-to-wallet"' in page.get_data(as_text=True)
    link = add_to_wallet(client, owned)
    query = parse_qs(urlsplit(link).query)
    assert link.startswith("dccrequest://request?")
    assert query["auth_type"] == ["bearer"]
    assert query["vc_request_url"] == [f"{BASE_URL}{REQUEST}"]
    assert query["issuer"][0].startswith("did:web:issuer.test:public:issuers:")
    assert len(query["challenge"][0]) >= 40


def test_the_wallet_gets_the_credential_issued_to_its_did(
    app: Flask, client: FlaskClient, owned: dict[str, Any]
) -> None:
    challenge = challenge_of(add_to_wallet(client, owned))
    key = Ed25519PrivateKey.generate()
    holder = f"did:key:{public_key_multibase(key.public_key())}"
    response = claim(client, lcw_presentation(challenge, key))
    assert response.status_code == 200, response.json
    assert "&" not in response.get_data(as_text=True)  # LCW decodes HTML entities first
    credential = json.loads(response.get_data(as_text=True))
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"urn:uuid:{owned['id']}"
    subject = credential["credentialSubject"]
    assert subject["id"] == holder
    assert subject["identifier"][0]["identityType"] == "emailAddress"
    assert subject["achievement"]["description"] == "Use {braces} & ampersands"
    verify_proof(client, credential)
    public = client.get(path(owned["credential_ld"])).json or {}
    assert credential["credentialStatus"] == public["credentialStatus"]
    assert credential["issuer"] == public["issuer"]
    with app.app_context():
        (spent,) = db.session.scalars(select(SpentWalletGrant))
        assert (spent.assertion_id, spent.holder) == (uuid.UUID(owned["id"]), holder)
        assert challenge not in (spent.secret_hash, spent.holder)  # stored only hashed


def test_an_eddsa_rdfc_2022_presentation_works_too(
    client: FlaskClient, owned: dict[str, Any]
) -> None:
    challenge = challenge_of(add_to_wallet(client, owned))
    response = claim(client, lcw_presentation(challenge, suite="eddsa-rdfc-2022"))
    assert response.status_code == 200, response.json


def test_a_challenge_is_spent_once(client: FlaskClient, owned: dict[str, Any]) -> None:
    challenge = challenge_of(add_to_wallet(client, owned))
    first = claim(client, lcw_presentation(challenge))
    assert first.status_code == 200, first.json
    replay = claim(client, lcw_presentation(challenge))
    assert replay.status_code == 403
    assert "used already" in (replay.json or {})["message"]


def test_refusals_issue_nothing_and_leave_the_grant_unspent(
    app: Flask, client: FlaskClient, owned: dict[str, Any]
) -> None:
    challenge = challenge_of(add_to_wallet(client, owned))
    key = Ed25519PrivateKey.generate()
    good = lcw_presentation(challenge, key)
    tampered = {**good, "proof": {**good["proof"], "challenge": challenge + "x"}}
    someone = f"did:key:{public_key_multibase(Ed25519PrivateKey.generate().public_key())}"
    cases: list[tuple[Any, int, str]] = [
        (tampered, 403, "does not match"),
        (lcw_presentation(challenge, key, holder=someone), 403, "another DID than its holder"),
        (lcw_presentation("no-such-challenge"), 403, "unknown"),
        ({**good, "proof": {**good["proof"], "proofPurpose": "assertionMethod"}}, 403, "no"),
        ({**good, "holder": "did:web:example.org"}, 400, "did:key"),
        ({**good, "type": ["VerifiableCredential"]}, 400, "VerifiablePresentation"),
        ([good], 400, "JSON object"),
        ({**good, "@context": [*good["@context"], "https://evil.example/ctx"]}, 400, "context"),
    ]
    for body, status, words in cases:
        response = claim(client, body)
        assert response.status_code == status, (body, response.json)
        assert words in (response.json or {})["message"], response.json
    broken = client.post(REQUEST, data="{not json", content_type="application/json")
    assert broken.status_code == 400
    assert "VerifiablePresentation" in (broken.json or {})["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SpentWalletGrant)) == 0
    assert claim(client, good).status_code == 200  # the grant still works


def test_an_expired_challenge_is_refused(
    app: Flask, client: FlaskClient, owned: dict[str, Any]
) -> None:
    with app.app_context():
        key = context.grant_key()
    past = utcnow() - grants.PAGE_GRANT_TTL - timedelta(seconds=1)
    (grant,) = grants.make_grants([uuid.UUID(owned["id"])], grants.PAGE_GRANT_TTL, key, past)
    response = claim(client, lcw_presentation(grant.secret))
    assert response.status_code == 403
    assert "expired" in (response.json or {})["message"]
    # A grant made with another key (or altered) is unknown.
    (forged,) = grants.make_grants(
        [uuid.UUID(owned["id"])], timedelta(hours=1), grants.GrantKey(b"x" * 32)
    )
    response = claim(client, lcw_presentation(forged.secret))
    assert response.status_code == 403
    assert "unknown" in (response.json or {})["message"]
    (valid,) = grants.make_grants([uuid.UUID(owned["id"])], timedelta(hours=1), key)
    altered = valid.secret[:-2] + ("AA" if not valid.secret.endswith("AA") else "BB")
    assert claim(client, lcw_presentation(altered)).status_code == 403


def test_a_revoked_award_is_not_issued(
    client: FlaskClient, api: ApiClient, owned: dict[str, Any]
) -> None:
    challenge = challenge_of(add_to_wallet(client, owned))
    api.post(f"/assertions/{owned['id']}/revoke", {"reason": "Mistake"})
    response = claim(client, lcw_presentation(challenge))
    assert response.status_code == 410
    page = path(owned["openBadgeId"])
    assert client.post(f"{page}/wallet", data={"csrf_token": "x"}).status_code == 400  # CSRF
    refused = client.post(f"{page}/wallet", data={"csrf_token": csrf_token(client, "/verify")})
    assert refused.status_code == 403


def test_only_the_owner_can_add_an_award_to_a_wallet(
    app: Flask, client: FlaskClient, owned: dict[str, Any]
) -> None:
    page = path(owned["openBadgeId"])
    anonymous = app.test_client()
    assert 'id="add-to-wallet"' not in anonymous.get(page, headers={"Accept": "text/html"}).text
    token = csrf_token(anonymous, "/login")
    response = anonymous.post(f"{page}/wallet", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        users.create_user("bob@example.org", "Bob", password=PASSWORD)
        db.session.commit()
    other = app.test_client()
    log_in(other, "bob@example.org", PASSWORD)
    assert 'id="add-to-wallet"' not in other.get(page, headers={"Accept": "text/html"}).text
    response = other.post(f"{page}/wallet", data={"csrf_token": csrf_token(other, "/verify")})
    assert response.status_code == 403
    assert "only the person who received" in response.get_data(as_text=True)


def test_the_award_email_carries_a_working_wallet_link(
    app: Flask, client: FlaskClient, owned: dict[str, Any]
) -> None:
    with app.app_context():
        (mail,) = db.session.scalars(select(OutboxEmail)).all()
    until = (utcnow() + grants.EMAIL_GRANT_TTL).strftime("%d %B %Y")
    assert f"it works once, until {until}" in mail.body_text
    found = re.search(r"https://lcw\.app/request\.html\?\S+", mail.body_text)
    assert found is not None
    assert html.escape(found.group(0)) in (mail.body_html or "")
    response = claim(client, lcw_presentation(challenge_of(found.group(0))))
    assert response.status_code == 200, response.json
