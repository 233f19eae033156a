"""Data Integrity proofs with Ed25519 over RDFC-1.0 canonical documents (spec digest 6.3).

Issuing uses ``DataIntegrityProof`` with the ``eddsa-rdfc-2022`` cryptosuite. Verifying also
accepts ``Ed25519Signature2020``: wallets such as the Learner Credential Wallet sign their
DID Authentication presentations with it. Both hash the same way: SHA-256 of the canonical
proof options (with the document's ``@context``), then SHA-256 of the canonical document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from issuer.openbadges.jsonld import Contexts, canonicalize, expand
from issuer.openbadges.ob2 import format_datetime

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"

# Returns the public key a verification method URL names, or None when it is not trusted.
KeyResolver = Callable[[str], Ed25519PublicKey | None]


class ProofError(ValueError):
    """A document's proof is missing, of a kind we do not verify, or does not hold."""


class MissingProofError(ProofError):
    """The document carries no proof we can check for the asked purpose."""


class UnknownKeyError(ProofError):
    """The proof names a verification method whose key we do not trust or cannot find."""


class ProofSignatureError(ProofError):
    """The signature does not match the document: it was altered, or signed by another key."""


@dataclass(frozen=True)
class ProofOptions:
    """What a new proof says besides its signature."""

    verification_method: str
    created: datetime
    purpose: str = "assertionMethod"
    challenge: str | None = None


@dataclass(frozen=True)
class VerifiedProof:
    """A proof that held: which key signed, when, for what, and its challenge."""

    verification_method: str
    created: str | None
    purpose: str
    challenge: str | None


def sign(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    options: ProofOptions,
    contexts: Contexts,
) -> dict[str, Any]:
    """Return the document with an eddsa-rdfc-2022 proof appended to its ``proof`` array.

    Raises UndefinedTermError (a term no context defines would not be signed) or
    UnknownContextError before signing anything.
    """
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    expand(unsecured, contexts)
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": EDDSA_RDFC_2022,
        "created": format_datetime(options.created),
        "verificationMethod": options.verification_method,
        "proofPurpose": options.purpose,
    }
    if options.challenge is not None:
        proof["challenge"] = options.challenge
    signature = private_key.sign(_hash_data(unsecured, proof, contexts))
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    earlier = document.get("proof")
    proofs = [] if earlier is None else list(earlier) if isinstance(earlier, list) else [earlier]
    return {**unsecured, "proof": [*proofs, proof]}


def verify(
    document: Mapping[str, Any],
    contexts: Contexts,
    resolve_key: KeyResolver,
    purpose: str = "assertionMethod",
) -> VerifiedProof:
    """Check the document's proof for ``purpose``; return it, or raise a ProofError.

    JsonLdError when the document cannot be canonicalised with the local contexts.
    """
    proof = _proof_for(document, purpose)
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ProofError("the proof has no verificationMethod")
    public_key = resolve_key(method)
    if public_key is None:
        raise UnknownKeyError(f"the proof's key ({method}) is not one this server trusts")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("the proof has no proofValue in base58btc ('z...')")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        raise ProofError("the proofValue is not base58btc") from None
    unsecured = {key: item for key, item in document.items() if key != "proof"}
    options = {key: item for key, item in proof.items() if key != "proofValue"}
    try:
        public_key.verify(signature, _hash_data(unsecured, options, contexts))
    except InvalidSignature:
        raise ProofSignatureError(
            "the signature does not match: the document was altered or signed by another key"
        ) from None
    created, challenge = proof.get("created"), proof.get("challenge")
    return VerifiedProof(
        verification_method=method,
        created=created if isinstance(created, str) else None,
        purpose=purpose,
        challenge=challenge if isinstance(challenge, str) else None,
    )


def _proof_for(document: Mapping[str, Any], purpose: str) -> Mapping[str, Any]:
    proofs = document.get("proof")
    if proofs is None:
        raise MissingProofError("the document has no proof")
    candidates = proofs if isinstance(proofs, list) else [proofs]
    for proof in candidates:
        if not isinstance(proof, Mapping) or proof.get("proofPurpose") != purpose:
            continue
        kind = proof.get("type")
        if kind == ED25519_SIGNATURE_2020 or (
            kind == DATA_INTEGRITY_PROOF and proof.get("cryptosuite") == EDDSA_RDFC_2022
        ):
            return proof
    raise MissingProofError(
        f"the document has no {EDDSA_RDFC_2022} or {ED25519_SIGNATURE_2020} proof for {purpose}"
    )


def _hash_data(
    unsecured: Mapping[str, Any], proof_options: Mapping[str, Any], contexts: Contexts
) -> bytes:
    config = {"@context": unsecured.get("@context"), **proof_options}
    return (
        hashlib.sha256(canonicalize(config, contexts)).digest()
        + hashlib.sha256(canonicalize(unsecured, contexts)).digest()
    )
