"""Test helpers for Data Integrity proofs: verify ours as a verifier would, and sign a wallet's
DID Authentication presentation as the Learner Credential Wallet does."""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import Any

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from issuer.config import SCHEMAS_DIR
from issuer.openbadges import dataintegrity
from issuer.openbadges.did import did_web_url
from issuer.openbadges.jsonld import canonicalize, load_contexts
from issuer.openbadges.keys import public_key_from_multibase, public_key_multibase


def verify_proof(
    client: FlaskClient, document: dict[str, Any], purpose: str = "assertionMethod"
) -> dataintegrity.VerifiedProof:
    """Verify a Data Integrity proof by one of our issuers' did:web, resolved as a verifier
    does: the DID document at the did:web's URL must list the key for ``purpose``."""
    contexts = load_contexts(SCHEMAS_DIR / "contexts")

    def resolve(method: str) -> Any:
        did = method.partition("#")[0]
        url = urllib.parse.urlsplit(did_web_url(did, scheme="http"))
        response = client.get(url.path)
        assert response.status_code == 200, (method, response.status_code)
        found = response.json or {}
        assert found["id"] == did
        assert method in found[purpose]
        (listed,) = [m for m in found["verificationMethod"] if m["id"] == method]
        assert listed["controller"] == did
        return public_key_from_multibase(listed["publicKeyMultibase"])

    return dataintegrity.verify(document, contexts, resolve, purpose)


def lcw_presentation(
    challenge: str,
    key: Ed25519PrivateKey | None = None,
    *,
    holder: str | None = None,
    suite: str = "Ed25519Signature2020",
) -> dict[str, Any]:
    """A DID Authentication presentation as the Learner Credential Wallet 2.2 makes it: a
    fresh did:key holder, no credential, an Ed25519Signature2020 proof for authentication with
    the challenge and no domain (or an eddsa-rdfc-2022 one). Signed here from the suites'
    definitions, independently of the server's code."""
    key = key or Ed25519PrivateKey.generate()
    multibase = public_key_multibase(key.public_key())
    did = f"did:key:{multibase}"
    presentation: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder or did,
    }
    proof: dict[str, Any] = {"type": suite}
    if suite == "Ed25519Signature2020":
        presentation["@context"].append("https://w3id.org/security/suites/ed25519-2020/v1")
    else:
        proof = {"type": "DataIntegrityProof", "cryptosuite": suite}
    proof |= {
        "created": "2026-12-06T08:00:00Z",
        "verificationMethod": f"{did}#{multibase}",
        "proofPurpose": "authentication",
        "challenge": challenge,
    }
    contexts = load_contexts(SCHEMAS_DIR / "contexts")
    config = {"@context": presentation["@context"], **proof}
    digest = hashlib.sha256(canonicalize(config, contexts)).digest()
    digest += hashlib.sha256(canonicalize(presentation, contexts)).digest()
    proof["proofValue"] = "z" + base58.b58encode(key.sign(digest)).decode("ascii")
    return {**presentation, "proof": proof}
