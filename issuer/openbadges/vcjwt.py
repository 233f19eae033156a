"""OB 3.0 credentials as VC-JWT: RS256 compact JWS whose payload is the credential itself.

Spec digest sections 6.2 and 6.5. The payload carries the credential's members at the top
level plus the registered claims ``iss`` (issuer id), ``jti`` (credential id), ``nbf``
(``validFrom``), ``exp`` (``validUntil``, when the credential expires) and ``sub`` (only when
the subject has an ``id``: our recipients are hashed e-mail identifiers). The header names the
key by ``kid``, a URL that serves the bare public JWK.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import RSAAlgorithm

from issuer.openbadges.signing import ALGORITHM, MalformedJWSError, SignatureError

JWT_CLAIMS = ("iss", "jti", "nbf", "exp", "sub", "iat")
# Clocks differ a little between issuer and verifier.
LEEWAY_SECONDS = 60

_ENCODER = json.JSONEncoder(separators=(",", ":"))


class CredentialClaimsError(ValueError):
    """The JWT claims do not match the credential they carry, or one is missing."""


class ExpiredCredentialError(ValueError):
    """The credential's ``validUntil`` (the JWT ``exp``) has passed."""


class PrematureCredentialError(ValueError):
    """The credential's ``validFrom`` (the JWT ``nbf``) is still in the future."""


def claims_of(credential: dict[str, Any]) -> dict[str, Any]:
    """Return the JWT payload for a credential: the credential plus its registered claims."""
    payload = dict(credential)
    payload["iss"] = issuer_id(credential)
    payload["jti"] = credential["id"]
    payload["nbf"] = _timestamp(credential["validFrom"])
    if "validUntil" in credential:
        payload["exp"] = _timestamp(credential["validUntil"])
    subject_id = _subject_id(credential)
    if subject_id is not None:
        payload["sub"] = subject_id
    return payload


def sign_credential(credential: dict[str, Any], private_key: RSAPrivateKey, kid: str) -> str:
    """Sign a credential (or a status list credential) as a VC-JWT whose ``kid`` is a JWK URL."""
    body = _ENCODER.encode(claims_of(credential)).encode("utf-8")
    return jwt.api_jws.encode(
        body, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"}
    )


def verify_credential(
    token: str, public_pem: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Check a VC-JWT's signature, claims and validity window; return the credential.

    Raises SignatureError, MalformedJWSError, CredentialClaimsError, ExpiredCredentialError
    or PrematureCredentialError.
    """
    try:
        payload = jwt.decode(
            token.strip(),
            public_pem,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.exceptions.InvalidSignatureError:
        raise SignatureError("the signature does not match the key") from None
    except jwt.exceptions.InvalidAlgorithmError:
        raise SignatureError(f"the credential is not signed with {ALGORITHM}") from None
    except jwt.exceptions.InvalidTokenError as error:
        raise MalformedJWSError(f"not a valid VC-JWT: {error}") from None
    check_claims(payload)
    check_validity(payload, now or datetime.now(UTC))
    return credential_of(payload)


def check_claims(payload: dict[str, Any]) -> None:
    """Check that ``iss``, ``jti``, ``nbf``, ``exp`` and ``sub`` agree with the credential."""
    try:
        expected = claims_of(credential_of(payload))
    except (KeyError, TypeError, ValueError) as error:
        raise CredentialClaimsError(f"the payload is not a credential: {error}") from None
    for claim in ("iss", "jti"):
        if claim not in payload:
            raise CredentialClaimsError(f"the required '{claim}' claim is missing")
    # OB 3.0 requires nbf (and exp for an expiring credential), but its own examples omit
    # both (spec digest section 9): a missing one is tolerated, a wrong one is not. We always
    # send them; the validity window is checked on validFrom and validUntil anyway.
    for claim in ("iss", "jti", "nbf", "exp", "sub"):
        optional = claim in ("nbf", "exp") and claim not in payload
        if not optional and payload.get(claim) != expected.get(claim):
            raise CredentialClaimsError(f"the '{claim}' claim does not match the credential")


def check_validity(payload: dict[str, Any], now: datetime) -> None:
    """Refuse a credential outside its validity window (with a minute of leeway)."""
    # check_claims has made nbf and exp, where present, equal to validFrom and validUntil.
    moment = now.timestamp()
    ends = payload.get("validUntil")
    if ends is not None and _timestamp(ends) + LEEWAY_SECONDS < moment:
        raise ExpiredCredentialError(f"the credential expired on {ends}")
    if _timestamp(payload["validFrom"]) - LEEWAY_SECONDS > moment:
        raise PrematureCredentialError(
            f"the credential is not valid before {payload.get('validFrom')}"
        )


def credential_of(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the credential inside a VC-JWT payload: everything but the registered claims."""
    return {key: value for key, value in payload.items() if key not in JWT_CLAIMS}


def public_jwk(public_pem: str, kid: str) -> dict[str, Any]:
    """Return the bare public JWK of an RSA key, named by kid (the URL that serves it)."""
    key = load_pem_public_key(public_pem.encode("ascii"))
    if not isinstance(key, RSAPublicKey):
        raise ValueError("only RSA signing keys are supported")
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key, as_dict=True)
    # RFC 7517 section 4.3: "use" and "key_ops" should not appear together; "use" is the one
    # JWKS consumers look at.
    jwk.pop("key_ops", None)
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def issuer_id(credential: dict[str, Any]) -> str:
    """Return a credential's issuer id (its ``issuer`` is a Profile or a bare URL)."""
    issuer = credential["issuer"]
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(value, str):
        raise ValueError("the credential has no issuer id")
    return value


def _subject_id(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    value = subject.get("id") if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def _timestamp(value: str) -> int:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"the timestamp {value!r} has no timezone")
    return int(moment.timestamp())
