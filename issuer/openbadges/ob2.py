"""Open Badges 2.0 documents: Profile, BadgeClass, Assertion, CryptographicKey, RevocationList.

OB 2.0 sections 1.2-1.9.

Builders take plain values and explicit URLs and return JSON-ready dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from issuer.openbadges.identity import hash_identity

CONTEXT = "https://w3id.org/openbadges/v2"


@dataclass(frozen=True)
class ProfileData:
    """What an issuer Profile document is built from."""

    id: str
    name: str
    url: str
    email: str
    description: str | None = None
    image: str | None = None
    public_keys: Sequence[str] = ()
    revocation_list: str | None = None


@dataclass(frozen=True)
class BadgeClassData:
    """What a BadgeClass document is built from."""

    id: str
    issuer: str
    name: str
    description: str
    image: str
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    tags: Sequence[str] = ()
    alignment: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class AssertionData:
    """What a hosted Assertion document is built from."""

    id: str
    badge: str
    recipient_email: str
    salt: str
    issued_on: datetime
    expires: datetime | None = None
    narrative: str | None = None
    evidence: Sequence[Mapping[str, str]] = field(default_factory=tuple)


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def serialize(document: Mapping[str, Any]) -> bytes:
    """Serialise a document as compact JSON (ASCII, so no charset question ever arises)."""
    return _ENCODER.encode(document).encode("ascii")


def format_datetime(value: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a ``Z`` suffix, to the second."""
    if value.tzinfo is None:
        raise ValueError("Open Badges timestamps need a timezone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_profile(data: ProfileData) -> dict[str, Any]:
    """Build an issuer Profile document."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": data.id,
        "name": data.name,
        "url": data.url,
        "email": data.email,
    }
    if data.description:
        doc["description"] = data.description
    if data.image:
        doc["image"] = data.image
    if data.public_keys:
        doc["publicKey"] = list(data.public_keys)
    if data.revocation_list:
        doc["revocationList"] = data.revocation_list
    return doc


def build_badge_class(data: BadgeClassData) -> dict[str, Any]:
    """Build a BadgeClass document."""
    criteria: dict[str, str] = {}
    if data.criteria_url:
        criteria["id"] = data.criteria_url
    if data.criteria_narrative:
        criteria["narrative"] = data.criteria_narrative
    if not criteria:
        raise ValueError("a BadgeClass needs a criteria narrative or URL")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": data.id,
        "name": data.name,
        "description": data.description,
        "image": data.image,
        "criteria": criteria,
        "issuer": data.issuer,
    }
    if data.tags:
        doc["tags"] = list(data.tags)
    if data.alignment:
        doc["alignment"] = [dict(item) for item in data.alignment]
    return doc


def build_assertion(data: AssertionData) -> dict[str, Any]:
    """Build a hosted Assertion document with a salted, hashed e-mail recipient."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": data.id,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": data.salt,
            "identity": hash_identity(data.recipient_email, data.salt),
        },
        "badge": data.badge,
        "issuedOn": format_datetime(data.issued_on),
        "verification": {"type": "HostedBadge"},
    }
    if data.expires is not None:
        doc["expires"] = format_datetime(data.expires)
    if data.narrative:
        doc["narrative"] = data.narrative
    if data.evidence:
        doc["evidence"] = [_evidence(item) for item in data.evidence]
    return doc


def build_signed_assertion(data: AssertionData, *, creator: str) -> dict[str, Any]:
    """Build the payload of a signed Assertion: ``data.id`` is a ``urn:uuid``, creator a key URL."""
    doc = build_assertion(data)
    doc["verification"] = {"type": "SignedBadge", "creator": creator}
    return doc


def build_cryptographic_key(key_id: str, owner: str, public_pem: str) -> dict[str, Any]:
    """Build a CryptographicKey document (OB 2.0 section 1.8)."""
    return {
        "@context": CONTEXT,
        "type": "CryptographicKey",
        "id": key_id,
        "owner": owner,
        "publicKeyPem": public_pem,
    }


# Verifiers built on openbadges-validator-core miss a revocation when the list holds exactly one
# entry (JSON-LD compaction turns it into a bare object); a permanent placeholder prevents that.
REVOCATION_PLACEHOLDER = {
    "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
    "revocationReason": "Placeholder, not an assertion: keeps this list a list for every verifier.",
}


def build_revocation_list(
    list_id: str, issuer: str, revoked: Sequence[tuple[str, str | None]]
) -> dict[str, Any]:
    """Build a RevocationList from (assertion id, reason) pairs (OB 2.0 section 1.9)."""
    entries: list[dict[str, str]] = [dict(REVOCATION_PLACEHOLDER)]
    for assertion_id, reason in revoked:
        entry = {"id": assertion_id}
        if reason:
            entry["revocationReason"] = reason
        entries.append(entry)
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": list_id,
        "issuer": issuer,
        "revokedAssertions": entries,
    }


def build_revoked_assertion(assertion_id: str, reason: str | None) -> dict[str, Any]:
    """Build the stripped Assertion served with HTTP 410 once an award is revoked."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": assertion_id,
        "type": "Assertion",
        "revoked": True,
    }
    if reason:
        doc["revocationReason"] = reason
    return doc


def _evidence(item: Mapping[str, str]) -> dict[str, str]:
    evidence = {"type": "Evidence"}
    if item.get("url"):
        evidence["id"] = item["url"]
    for key in ("name", "narrative"):
        if item.get(key):
            evidence[key] = item[key]
    return evidence
