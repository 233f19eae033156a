"""OB 3.0 credentials as VC-JWT (RS256): sign, verify, claims, validity and public JWKs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from issuer.openbadges import ob3, signing, vcjwt
from issuer.openbadges.keys import generate_private_key_pem, load_private_key, public_key_pem
from tests.support import VENDOR, needs_vendor
from tests.unit.openbadges.test_ob3 import FULL, MINIMAL

PEM = generate_private_key_pem()
OTHER_PEM = generate_private_key_pem()
KID = "https://issuer.example/public/jwk/abc"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def sign(data: ob3.CredentialData = FULL, pem: bytes = PEM) -> str:
    """A VC-JWT of a credential."""
    return vcjwt.sign_credential(ob3.build_credential(data), load_private_key(pem), KID)


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS, unverified."""
    header, payload, _ = token.split(".")
    return tuple(
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in (header, payload)
    )


def resign(payload: dict[str, Any], pem: bytes = PEM) -> str:
    """Sign an arbitrary payload with our header, as a forger holding that key would."""
    return jwt.encode(payload, load_private_key(pem), algorithm="RS256", headers={"kid": KID})


def test_round_trip() -> None:
    token = sign()
    credential = vcjwt.verify_credential(token, public_key_pem(PEM), now=NOW)
    assert credential == ob3.build_credential(FULL)


def test_header_and_claims() -> None:
    header, payload = parts(sign())
    assert header == {"alg": "RS256", "kid": KID, "typ": "JWT"}
    credential = ob3.build_credential(FULL)
    assert payload["iss"] == credential["issuer"]["id"]
    assert payload["jti"] == credential["id"]
    assert payload["nbf"] == int(FULL.valid_from.timestamp())
    assert FULL.valid_until is not None
    assert payload["exp"] == int(FULL.valid_until.timestamp())
    assert "sub" not in payload  # the subject is a hashed identifier, it has no id
    assert "vc" not in payload  # VC-JOSE-COSE: the payload is the credential itself
    assert {k: v for k, v in payload.items() if k not in vcjwt.JWT_CLAIMS} == credential


def test_no_exp_without_valid_until() -> None:
    _, payload = parts(sign(MINIMAL))
    assert "exp" not in payload


def test_signing_is_deterministic() -> None:
    assert sign() == sign()


def test_tampered_payload_is_refused() -> None:
    header, _, signature = sign().split(".")
    claims = parts(sign())[1]
    claims["name"] = "Forged"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(signing.SignatureError):
        vcjwt.verify_credential(f"{header}.{forged}.{signature}", public_key_pem(PEM), now=NOW)


def test_wrong_key_is_refused() -> None:
    with pytest.raises(signing.SignatureError):
        vcjwt.verify_credential(sign(pem=OTHER_PEM), public_key_pem(PEM), now=NOW)


@pytest.mark.parametrize("algorithm", ["HS256", "none", None])
def test_other_algorithms_are_refused(algorithm: str | None) -> None:
    payload = base64.urlsafe_b64encode(json.dumps(parts(sign())[1]).encode()).rstrip(b"=")
    header = {"alg": algorithm} if algorithm else {}
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
    token = f"{encoded.decode()}.{payload.decode()}.c2ln"
    with pytest.raises(signing.SignatureError, match="RS256"):
        vcjwt.verify_credential(token, public_key_pem(PEM), now=NOW)


@pytest.mark.parametrize("token", ["", "a.b", "not.a.jwt"])
def test_garbage_is_malformed(token: str) -> None:
    with pytest.raises(signing.MalformedJWSError):
        vcjwt.verify_credential(token, public_key_pem(PEM), now=NOW)


def test_expired_credential_is_refused() -> None:
    assert FULL.valid_until is not None
    later = FULL.valid_until + timedelta(minutes=2)
    with pytest.raises(vcjwt.ExpiredCredentialError, match="expired"):
        vcjwt.verify_credential(sign(), public_key_pem(PEM), now=later)


def test_credential_from_the_future_is_refused() -> None:
    earlier = FULL.valid_from - timedelta(days=1)
    with pytest.raises(vcjwt.PrematureCredentialError):
        vcjwt.verify_credential(sign(), public_key_pem(PEM), now=earlier)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("iss", "https://other.example/issuer"),
        ("jti", "urn:uuid:00000000-0000-4000-8000-000000000000"),
        ("nbf", 0),
        ("exp", 4_102_444_800),
        ("sub", "did:example:someone"),
    ],
)
def test_claims_must_match_the_credential(claim: str, value: Any) -> None:
    payload = parts(sign())[1]
    payload[claim] = value
    with pytest.raises(vcjwt.CredentialClaimsError, match=claim):
        vcjwt.verify_credential(resign(payload), public_key_pem(PEM), now=NOW)


@pytest.mark.parametrize("claim", ["iss", "jti"])
def test_required_claims(claim: str) -> None:
    payload = parts(sign())[1]
    del payload[claim]
    with pytest.raises(vcjwt.CredentialClaimsError, match="missing"):
        vcjwt.verify_credential(resign(payload), public_key_pem(PEM), now=NOW)


def test_a_missing_nbf_is_tolerated() -> None:
    payload = parts(sign())[1]
    del payload["nbf"]
    assert vcjwt.verify_credential(resign(payload), public_key_pem(PEM), now=NOW)["id"]


def test_public_jwk_verifies_the_credential() -> None:
    jwk = vcjwt.public_jwk(public_key_pem(PEM), KID)
    assert jwk["kty"] == "RSA"
    assert jwk["kid"] == KID
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert "key_ops" not in jwk  # RFC 7517: not together with "use"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)  # never the private parts
    key = jwt.PyJWK(jwk).key
    jwt.decode(sign(), key, algorithms=["RS256"], options={"verify_exp": False})


def test_we_verify_the_official_examples() -> None:
    """Every official OB 3.0 VC-JWT example (each carries its key in the jwk header)."""
    examples = sorted(needs_vendor(VENDOR / "ob3" / "examples").glob("*credential*.vc-jwt.jws"))
    assert len(examples) >= 5
    for path in examples:
        token = path.read_text().strip()
        public = jwt.PyJWK(parts(token)[0]["jwk"]).key.public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        credential = vcjwt.verify_credential(token, public.decode(), now=NOW)
        assert "VerifiableCredential" in credential["type"], path.name
