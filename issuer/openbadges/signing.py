"""Signed Open Badges 2.0 assertions: compact JWS with RS256 (OB 2.0 section 2.4).

The payload is the Assertion JSON itself. RS256 (RSASSA-PKCS1-v1_5) is deterministic, so one
assertion signed with one key always gives the same JWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.api_jws import PyJWS

ALGORITHM = "RS256"
_JWS = PyJWS(algorithms=[ALGORITHM])


class MalformedJWSError(ValueError):
    """The text is not a compact JWS carrying a JSON object."""


class SignatureError(ValueError):
    """The JWS signature does not match the key (or the JWS was tampered with)."""


@dataclass(frozen=True)
class UnverifiedJWS:
    """A JWS split into its header and JSON payload, before any signature check."""

    header: dict[str, Any]
    payload: dict[str, Any]


def sign(payload: bytes, private_key: RSAPrivateKey, key_url: str) -> str:
    """Sign payload bytes as a compact JWS (RS256) whose ``kid`` header names the key URL."""
    return _JWS.encode(payload, private_key, algorithm=ALGORITHM, headers={"kid": key_url})


def read_unverified(token: str) -> UnverifiedJWS:
    """Decode a compact JWS without checking its signature (to find out which key to use)."""
    token = token.strip()
    if token.count(".") != 2:
        raise MalformedJWSError("not a compact JWS (expected three parts separated by dots)")
    try:
        header = _JWS.get_unverified_header(token)
        payload = json.loads(
            _JWS.decode_complete(token, options={"verify_signature": False})["payload"]
        )
    except (jwt.exceptions.DecodeError, ValueError, UnicodeDecodeError) as error:
        raise MalformedJWSError(f"not a valid JWS: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedJWSError("the JWS payload is not a JSON object")
    return UnverifiedJWS(header=dict(header), payload=payload)


def verify(token: str, public_pem: str) -> dict[str, Any]:
    """Check an RS256 JWS against a public key (PEM); return its JSON payload."""
    try:
        decoded = _JWS.decode_complete(token.strip(), public_pem, algorithms=[ALGORITHM])
    except jwt.exceptions.InvalidSignatureError:
        raise SignatureError("the signature does not match the key") from None
    except jwt.exceptions.InvalidAlgorithmError:
        raise SignatureError(f"the JWS is not signed with {ALGORITHM}") from None
    except jwt.exceptions.DecodeError as error:
        raise MalformedJWSError(f"not a valid JWS: {error}") from None
    payload = json.loads(decoded["payload"])
    if not isinstance(payload, dict):
        raise MalformedJWSError("the JWS payload is not a JSON object")
    return payload
