"""Data Integrity proofs: the W3C eddsa-rdfc-2022 vector, the OB 3.0 examples, round trips."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from issuer.config import SCHEMAS_DIR
from issuer.openbadges import dataintegrity
from issuer.openbadges.did import did_key_public_key
from issuer.openbadges.jsonld import Contexts, UndefinedTermError, load_contexts
from issuer.openbadges.keys import public_key_from_multibase, public_key_multibase
from tests.support import VENDOR

CONTEXTS = load_contexts(SCHEMAS_DIR / "contexts")
VECTORS = VENDOR / "w3c" / "test-vectors" / "vc-di-eddsa"
EXAMPLES = VENDOR / "ob3" / "examples"
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)

needs_vendor = pytest.mark.skipif(
    not VENDOR.exists(), reason=f"the official vectors are not here ({VENDOR} is absent)"
)


def with_examples_context() -> Contexts:
    """Our contexts plus the W3C examples context the test vector uses (test data only)."""
    examples = json.loads((VENDOR / "w3c/contexts/credentials-examples-v2.jsonld").read_text())
    return Contexts(
        {**CONTEXTS.documents, "https://www.w3.org/ns/credentials/examples/v2": examples}
    )


def did_key_resolver(method: str) -> Ed25519PublicKey | None:
    return did_key_public_key(method)[1]


def fragment_resolver(method: str) -> Ed25519PublicKey:
    return public_key_from_multibase(method.partition("#")[2])


@needs_vendor
def test_w3c_vector_verifies_and_re_signs_to_the_same_proof_value() -> None:
    contexts = with_examples_context()
    signed = json.loads((VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json").read_text())
    proof = dataintegrity.verify(signed, contexts, did_key_resolver)
    assert proof.created == "2023-02-24T23:36:38Z"
    pair = json.loads((VECTORS / "keyPair.json").read_text())
    seed = base58.b58decode(pair["privateKeyMultibase"][1:])
    assert seed[:2] == b"\x80\x26"
    private = Ed25519PrivateKey.from_private_bytes(seed[2:])
    assert public_key_multibase(private.public_key()) == pair["publicKeyMultibase"]
    unsecured = {key: value for key, value in signed.items() if key != "proof"}
    again = dataintegrity.sign(
        unsecured,
        private,
        dataintegrity.ProofOptions(
            verification_method=signed["proof"]["verificationMethod"],
            created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
        ),
        contexts,
    )
    assert again["proof"] == [signed["proof"]]


@needs_vendor
@pytest.mark.parametrize(
    "name",
    [
        "D1-basic-openbadgecredential",
        "D4-achievement-alignment-case",
        "D5-achievement-alignment-credential-engine",
    ],
)
def test_ob3_spec_examples_verify(name: str) -> None:
    document = json.loads((EXAMPLES / f"{name}.eddsa-rdfc-2022.json").read_text())
    dataintegrity.verify(document, CONTEXTS, fragment_resolver)
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["achievement"]["name"] += "!"
    with pytest.raises(dataintegrity.ProofSignatureError):
        dataintegrity.verify(tampered, CONTEXTS, fragment_resolver)


def credential() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:4f0c3f0e-4a4f-4b8e-9d4a-1f6a2c1d5e7f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:badges.example.org", "type": ["Profile"], "name": "{Braces}"},
        "validFrom": "2026-12-01T00:00:00Z",
        "name": "Winner",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/badges/1",
                "type": ["Achievement"],
                "name": "Winner",
                "description": "Won {it}.",
                "criteria": {"narrative": "Win."},
            },
        },
    }


def sign(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    method = "did:web:badges.example.org#" + public_key_multibase(key.public_key())
    options = dataintegrity.ProofOptions(verification_method=method, created=NOW)
    return dataintegrity.sign(document, key, options, CONTEXTS)


def test_sign_verify_round_trip_and_tampering() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign(credential(), key)
    (proof,) = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["created"] == "2026-12-06T08:00:00Z"
    assert proof["proofValue"].startswith("z")
    verified = dataintegrity.verify(signed, CONTEXTS, fragment_resolver)
    assert verified.verification_method == proof["verificationMethod"]
    # JSON key order and spacing do not matter: the canonical RDF is what is signed.
    reordered = json.loads(json.dumps(dict(reversed(list(signed.items())))))
    dataintegrity.verify(reordered, CONTEXTS, fragment_resolver)
    changes: list[tuple[list[str], str, str]] = [
        ([], "validFrom", "2026-12-02T00:00:00Z"),
        (["issuer"], "id", "did:web:evil.example.org"),
        (["proof", "0"], "created", "2026-12-07T08:00:00Z"),
    ]
    for where, name, value in changes:
        tampered = copy.deepcopy(signed)
        target: Any = tampered
        for step in where:
            target = target[int(step)] if step.isdigit() else target[step]
        target[name] = value
        with pytest.raises(dataintegrity.ProofSignatureError):
            dataintegrity.verify(tampered, CONTEXTS, fragment_resolver)


def test_another_key_or_an_unknown_key_fails() -> None:
    signed = sign(credential(), Ed25519PrivateKey.generate())
    stranger = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(dataintegrity.ProofSignatureError):
        dataintegrity.verify(signed, CONTEXTS, lambda _method: stranger)
    with pytest.raises(dataintegrity.UnknownKeyError):
        dataintegrity.verify(signed, CONTEXTS, lambda _method: None)


def test_missing_or_foreign_proofs_are_refused() -> None:
    with pytest.raises(dataintegrity.MissingProofError):
        dataintegrity.verify(credential(), CONTEXTS, fragment_resolver)
    signed = sign(credential(), Ed25519PrivateKey.generate())
    with pytest.raises(dataintegrity.MissingProofError):
        dataintegrity.verify(signed, CONTEXTS, fragment_resolver, purpose="authentication")
    signed["proof"][0]["cryptosuite"] = "eddsa-jcs-2022"
    with pytest.raises(dataintegrity.MissingProofError):
        dataintegrity.verify(signed, CONTEXTS, fragment_resolver)
    signed["proof"][0].update(cryptosuite="eddsa-rdfc-2022", proofValue="not base58")
    with pytest.raises(dataintegrity.ProofError):
        dataintegrity.verify(signed, CONTEXTS, fragment_resolver)


def test_undefined_terms_are_never_signed() -> None:
    document = credential()
    document["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(UndefinedTermError, match="favouriteColour"):
        sign(document, Ed25519PrivateKey.generate())


def test_ed25519_signature_2020_presentations_verify() -> None:
    # A DID Authentication presentation as the Learner Credential Wallet signs it.
    key = Ed25519PrivateKey.generate()
    did = "did:key:" + public_key_multibase(key.public_key())
    presentation = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://w3id.org/security/suites/ed25519-2020/v1",
        ],
        "type": ["VerifiablePresentation"],
        "holder": did,
    }
    proof = {
        "type": "Ed25519Signature2020",
        "created": "2026-12-06T08:00:00Z",
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "authentication",
        "challenge": "abc",
    }
    hashed = dataintegrity._hash_data(presentation, proof, CONTEXTS)
    proof["proofValue"] = "z" + base58.b58encode(key.sign(hashed)).decode()
    signed = {**presentation, "proof": proof}
    verified = dataintegrity.verify(signed, CONTEXTS, did_key_resolver, purpose="authentication")
    assert verified.challenge == "abc"
    signed["proof"] = {**proof, "challenge": "abd"}
    with pytest.raises(dataintegrity.ProofSignatureError):
        dataintegrity.verify(signed, CONTEXTS, did_key_resolver, purpose="authentication")


def test_contexts_are_the_published_ones() -> None:
    # Each local context equals the copy the 1EdTech / W3C sources publish (when present).
    pairs = {
        "https://www.w3.org/ns/credentials/v2": "w3c/contexts/credentials-v2.jsonld",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": (
            "ob3/context/context-3.0.3.json"
        ),
        "https://w3id.org/security/data-integrity/v2": "w3c/contexts/data-integrity-v2.jsonld",
        "https://w3id.org/security/multikey/v1": "w3c/contexts/multikey-v1.jsonld",
    }
    if not VENDOR.exists():
        pytest.skip(f"the official contexts are not here ({VENDOR} is absent)")
    for url, vendored in pairs.items():
        assert CONTEXTS.documents[url] == json.loads(Path(VENDOR / vendored).read_text()), url
