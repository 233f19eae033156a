"""Decentralized identifiers: ``did:web`` for issuers, ``did:key`` for wallet holders.

did:web (W3C CCG did:web method): ``did:web:<host>[%3A<port>]:<path segments...>`` names the
DID document at ``https://<host>[:<port>]/<path segments...>/did.json``. did:key with an
Ed25519 key: ``did:key:z6Mk...``, whose only verification method is ``did:key:z6Mk...#z6Mk...``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from issuer.openbadges.keys import public_key_from_multibase

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def did_web(base_url: str, *path: str) -> str:
    """The did:web of a document under ``base_url``: its host (port percent-encoded), any
    base path, then ``path``; the DID document lives at ``<base_url>/<path>/did.json``."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"{base_url!r} has no host to make a did:web of")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s] + [s for p in path for s in p.split("/")]
    return ":".join(["did:web", quote(host, safe=""), *(quote(s, safe="") for s in segments)])


def did_web_url(did: str, scheme: str = "https") -> str:
    """The URL of a did:web's DID document (``scheme`` is https by the method's rule)."""
    if not did.startswith("did:web:"):
        raise ValueError(f"{did!r} is not a did:web")
    host, *segments = did.removeprefix("did:web:").split(":")
    path = "/".join(unquote(s) for s in segments) if segments else ".well-known"
    return f"{scheme}://{unquote(host)}/{path}/did.json"


def verification_method(did: str, public_key_multibase: str) -> str:
    """The id of a DID's verification method for one key: ``<did>#<publicKeyMultibase>``."""
    return f"{did}#{public_key_multibase}"


def build_did_document(
    did: str, public_keys: Sequence[str], also_known_as: Sequence[str] = ()
) -> dict[str, Any]:
    """A DID document listing Ed25519 keys (``publicKeyMultibase``, oldest first) as Multikey
    verification methods usable for assertions and authentication."""
    methods = [
        {
            "id": verification_method(did, key),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key,
        }
        for key in public_keys
    ]
    document: dict[str, Any] = {"@context": [DID_CONTEXT, MULTIKEY_CONTEXT], "id": did}
    if also_known_as:
        document["alsoKnownAs"] = list(also_known_as)
    ids = [method["id"] for method in methods]
    document.update(verificationMethod=methods, assertionMethod=ids, authentication=ids)
    return document


def did_key_public_key(method: str) -> tuple[str, Ed25519PublicKey]:
    """Split a did:key verification method into (its DID, its Ed25519 public key).

    ValueError unless it is ``did:key:<key>`` or ``did:key:<key>#<key>`` with an Ed25519 key.
    """
    did, _, fragment = method.partition("#")
    if not did.startswith("did:key:"):
        raise ValueError(f"{method!r} is not a did:key")
    key = did.removeprefix("did:key:")
    if fragment and fragment != key:
        raise ValueError(f"{method!r} names another key than its DID")
    return did, public_key_from_multibase(key)
