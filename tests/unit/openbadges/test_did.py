"""did:web names and documents, did:key keys."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuer.config import SCHEMAS_DIR
from issuer.openbadges.did import (
    build_did_document,
    did_key_public_key,
    did_web,
    did_web_url,
)
from issuer.openbadges.jsonld import expand, load_contexts
from issuer.openbadges.keys import public_key_multibase


@pytest.mark.parametrize(
    ("base", "did", "url"),
    [
        (
            "https://badges.example.org",
            "did:web:badges.example.org:public:issuers:abc",
            "https://badges.example.org/public/issuers/abc/did.json",
        ),
        (
            "http://127.0.0.1:5055/",
            "did:web:127.0.0.1%3A5055:public:issuers:abc",
            "https://127.0.0.1:5055/public/issuers/abc/did.json",
        ),
        (
            "https://example.org/learning/badges",
            "did:web:example.org:learning:badges:public:issuers:abc",
            "https://example.org/learning/badges/public/issuers/abc/did.json",
        ),
    ],
)
def test_did_web_of_a_base_url(base: str, did: str, url: str) -> None:
    assert did_web(base, "public", "issuers", "abc") == did
    assert did_web_url(did) == url


def test_did_web_needs_a_host() -> None:
    with pytest.raises(ValueError, match="no host"):
        did_web("/relative")
    with pytest.raises(ValueError, match="not a did:web"):
        did_web_url("did:key:z6Mk")


def test_did_document_lists_every_key_for_assertions_and_authentication() -> None:
    keys = [public_key_multibase(Ed25519PrivateKey.generate().public_key()) for _ in range(2)]
    did = "did:web:badges.example.org:public:issuers:abc"
    document = build_did_document(did, keys, ["https://badges.example.org/profile"])
    assert document["id"] == did
    assert document["alsoKnownAs"] == ["https://badges.example.org/profile"]
    ids = [f"{did}#{key}" for key in keys]
    assert [m["id"] for m in document["verificationMethod"]] == ids
    assert {m["type"] for m in document["verificationMethod"]} == {"Multikey"}
    assert {m["controller"] for m in document["verificationMethod"]} == {did}
    assert document["assertionMethod"] == ids
    assert document["authentication"] == ids
    expand(document, load_contexts(SCHEMAS_DIR / "contexts"))  # every term defined


def test_did_key_gives_its_key_and_refuses_mismatches() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    multibase = public_key_multibase(key)
    did, found = did_key_public_key(f"did:key:{multibase}#{multibase}")
    assert did == f"did:key:{multibase}"
    assert public_key_multibase(found) == multibase
    other = public_key_multibase(Ed25519PrivateKey.generate().public_key())
    for bad in (f"did:key:{multibase}#{other}", f"did:web:x#{multibase}", "did:key:zabc"):
        with pytest.raises(ValueError):
            did_key_public_key(bad)
