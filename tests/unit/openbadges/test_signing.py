"""Signing and verifying assertions as compact JWS (RS256)."""

import base64
import json
from datetime import UTC, datetime

import pytest

from issuer.openbadges import ob2, signing
from issuer.openbadges.keys import generate_private_key_pem, load_private_key, public_key_pem

PEM = generate_private_key_pem()
OTHER_PEM = generate_private_key_pem()
KEY_URL = "https://issuer.example/public/keys/abc-123"
PAYLOAD = ob2.serialize(
    ob2.build_signed_assertion(
        ob2.AssertionData(
            id="urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e",
            badge="https://issuer.example/public/badges/1",
            recipient_email="ada@example.org",
            salt="s4lt",
            issued_on=datetime(2025, 5, 1, 12, tzinfo=UTC),
        ),
        creator=KEY_URL,
    )
)


def test_sign_then_verify_round_trip() -> None:
    token = signing.sign(PAYLOAD, load_private_key(PEM), KEY_URL)
    payload = signing.verify(token, public_key_pem(PEM))
    assert payload == json.loads(PAYLOAD)
    assert payload["verification"] == {"type": "SignedBadge", "creator": KEY_URL}
    unverified = signing.read_unverified(token)
    assert unverified.header == {"alg": "RS256", "kid": KEY_URL, "typ": "JWT"}
    assert unverified.payload == payload


def test_signing_is_deterministic() -> None:
    key = load_private_key(PEM)
    assert signing.sign(PAYLOAD, key, KEY_URL) == signing.sign(PAYLOAD, key, KEY_URL)


def test_wrong_key_is_rejected() -> None:
    token = signing.sign(PAYLOAD, load_private_key(PEM), KEY_URL)
    with pytest.raises(signing.SignatureError):
        signing.verify(token, public_key_pem(OTHER_PEM))


def test_tampered_payload_is_rejected() -> None:
    header, payload, signature = signing.sign(PAYLOAD, load_private_key(PEM), KEY_URL).split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=="))
    changed["recipient"]["identity"] = "sha256$" + "0" * 64
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    with pytest.raises(signing.SignatureError):
        signing.verify(f"{header}.{forged}.{signature}", public_key_pem(PEM))


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c", "e30.bm90IGpzb24.c2ln", "e30.WzEsMl0.c2ln"]
)
def test_garbage_is_malformed(token: str) -> None:
    with pytest.raises(signing.MalformedJWSError):
        signing.read_unverified(token)


def test_other_algorithms_are_refused() -> None:
    import jwt

    token = jwt.encode({"type": "Assertion"}, "secret-secret-secret-secret-32b!", algorithm="HS256")
    with pytest.raises(signing.SignatureError):
        signing.verify(token, public_key_pem(PEM))


def test_vendored_1edtech_fixture_verifies() -> None:
    from tests.support import VENDOR

    fixtures = VENDOR / "ob2" / "fixtures-1edtech-validator"
    if not fixtures.is_dir():
        pytest.skip(f"the vendored validator fixtures are not here ({fixtures} is absent)")
    token = (fixtures / "simple.jwt").read_text()
    key = json.loads((fixtures / "assets" / "key1.json").read_text())
    payload = signing.verify(token, key["publicKeyPem"])
    assert payload["verification"]["type"] in ("SignedBadge", "signed")  # "signed" is an alias
