"""Open Badges 3.0 documents: OpenBadgeCredential, Profile and the BitstringStatusList.

Spec digest sections 5 and 7.1. Builders take plain values and explicit URLs and return
JSON-ready dicts; arrays are always arrays (the official JSON Schema rejects compacted values),
except ``Image.type`` and ``IdentityObject.type``, which are strings.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from issuer.openbadges.identity import hash_identity
from issuer.openbadges.ob2 import format_datetime

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = (VC_CONTEXT, OB3_CONTEXT)
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
STATUS_LIST_TYPES = ("VerifiableCredential", "BitstringStatusListCredential")
# Bitstring Status List v1.0: at least 16 KiB, so that a list hides which entry is checked.
STATUS_LIST_SIZE = 131_072
# A list we read back (our own, or one a verifier hands us) may not inflate beyond this.
_MAX_STATUS_LIST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ProfileData:
    """What an OB 3.0 issuer Profile is built from."""

    id: str
    name: str
    url: str
    email: str
    description: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class AchievementData:
    """What an Achievement (the OB 2.0 BadgeClass) is built from."""

    id: str
    name: str
    description: str
    image: str
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    tags: Sequence[str] = ()
    alignment: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class StatusEntry:
    """Where a credential's revocation bit lives: a status list URL and a position in it."""

    list_url: str
    index: int


@dataclass(frozen=True)
class CredentialData:
    """What an OpenBadgeCredential is built from (the same record as the OB 2.0 assertion)."""

    id: str
    issuer: ProfileData
    achievement: AchievementData
    recipient_email: str
    salt: str
    valid_from: datetime
    valid_until: datetime | None = None
    narrative: str | None = None
    evidence: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    status: StatusEntry | None = None
    # The holder's DID, when the credential is issued to a wallet that proved it holds it.
    subject_id: str | None = None


def build_profile(data: ProfileData, also_known_as: Sequence[str] = ()) -> dict[str, Any]:
    """Build a standalone OB 3.0 Profile document (the issuer's own URL serves it), naming
    the issuer's other identifiers (its DID) as ``otherIdentifier`` entries."""
    document = {"@context": list(CONTEXTS), **_profile(data)}
    if also_known_as:
        document["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": other, "identifierType": "identifier"}
            for other in also_known_as
        ]
    return document


def build_credential(data: CredentialData) -> dict[str, Any]:
    """Build an OpenBadgeCredential (without proof) with a salted, hashed e-mail recipient."""
    subject: dict[str, Any] = {} if data.subject_id is None else {"id": data.subject_id}
    subject |= {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": hash_identity(data.recipient_email, data.salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": data.salt,
            }
        ],
        "achievement": _achievement(data.achievement),
    }
    if data.narrative:
        subject["narrative"] = data.narrative
    doc: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": data.id,
        "type": list(CREDENTIAL_TYPES),
        "name": data.achievement.name,
        "description": data.achievement.description,
        "image": _image(data.achievement.image),
        "issuer": _profile(data.issuer),
        "validFrom": format_datetime(data.valid_from),
        "awardedDate": format_datetime(data.valid_from),
        "credentialSubject": subject,
    }
    if data.valid_until is not None:
        doc["validUntil"] = format_datetime(data.valid_until)
    if data.evidence:
        doc["evidence"] = [_evidence(item) for item in data.evidence]
    if data.status is not None:
        doc["credentialStatus"] = {
            "id": f"{data.status.list_url}#{data.status.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(data.status.index),
            "statusListCredential": data.status.list_url,
        }
    return doc


def build_status_list_credential(
    list_url: str, issuer_id: str, valid_from: datetime, revoked: Iterable[int]
) -> dict[str, Any]:
    """Build a BitstringStatusListCredential (without proof) with the revoked positions set."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": list(STATUS_LIST_TYPES),
        "issuer": issuer_id,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(revoked),
        },
    }


def encode_status_list(positions: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """Encode set positions as ``u`` + base64url(GZIP(bitstring)); position 0 is the first MSB."""
    bits = bytearray(size // 8)
    for position in positions:
        if not 0 <= position < size:
            raise ValueError(f"status list position {position} is outside 0..{size - 1}")
        bits[position // 8] |= 0x80 >> (position % 8)
    # mtime=0: the same bits always give the same text, so the signed list is cacheable.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_status_list(encoded: str) -> bytes:
    """Decode an ``encodedList`` back to its bitstring; ValueError when it is not one."""
    if not encoded.startswith("u"):
        raise ValueError("an encodedList starts with 'u' (multibase base64url)")
    text = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj(wbits=31)
        bits = inflater.decompress(packed, _MAX_STATUS_LIST_BYTES)
    except (ValueError, zlib.error) as error:
        raise ValueError(f"the encodedList is not base64url GZIP data: {error}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("the encodedList is truncated or too large")
    return bits


def is_position_set(bits: bytes, position: int) -> bool:
    """Whether a position of a bitstring is set (position 0 is the first byte's high bit)."""
    if not 0 <= position < len(bits) * 8:
        raise ValueError(f"status list position {position} is out of range")
    return bool(bits[position // 8] & (0x80 >> (position % 8)))


def status_position(seed: bytes, number: int) -> tuple[int, int]:
    """Map the n-th status entry ever handed out to (list, position within that list).

    Each list takes STATUS_LIST_SIZE entries, placed by a keyed permutation so that a
    position reveals neither the order nor the number of awards (Bitstring Status List
    section 5: assign indexes randomly). Distinct numbers always give distinct places.
    """
    if number < 0:
        raise ValueError("status entry numbers start at 0")
    list_number, offset = divmod(number, STATUS_LIST_SIZE)
    key = seed + list_number.to_bytes(8, "big")
    # A Feistel network over 18 bits is a permutation; cycle-walking keeps it inside the
    # 17-bit list (STATUS_LIST_SIZE is 2**17), which takes two rounds on average.
    value = offset
    while True:
        value = _feistel(key, value)
        if value < STATUS_LIST_SIZE:
            return list_number, value


def _feistel(key: bytes, value: int) -> int:
    left, right = value >> 9, value & 0x1FF
    for round_number in range(4):
        digest = hashlib.blake2b(
            right.to_bytes(2, "big") + bytes([round_number]), key=key[:64], digest_size=2
        ).digest()
        left, right = right, left ^ (int.from_bytes(digest, "big") & 0x1FF)
    return (left << 9) | right


def _profile(data: ProfileData) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": data.id,
        "type": ["Profile"],
        "name": data.name,
        "url": data.url,
        "email": data.email,
    }
    if data.description:
        doc["description"] = data.description
    if data.image:
        doc["image"] = _image(data.image)
    return doc


def _achievement(data: AchievementData) -> dict[str, Any]:
    criteria: dict[str, str] = {}
    if data.criteria_url:
        criteria["id"] = data.criteria_url
    if data.criteria_narrative:
        criteria["narrative"] = data.criteria_narrative
    if not criteria:
        raise ValueError("an Achievement needs a criteria narrative or URL")
    doc: dict[str, Any] = {
        "id": data.id,
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": data.name,
        "description": data.description,
        "criteria": criteria,
        "image": _image(data.image),
    }
    if data.tags:
        doc["tag"] = list(data.tags)
    if data.alignment:
        doc["alignment"] = [_alignment(item) for item in data.alignment]
    return doc


def _image(url: str) -> dict[str, str]:
    return {"id": url, "type": "Image"}


def _alignment(item: Mapping[str, Any]) -> dict[str, Any]:
    alignment: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": item["targetName"],
        "targetUrl": item["targetUrl"],
    }
    for key in ("targetDescription", "targetFramework", "targetCode"):
        if item.get(key):
            alignment[key] = item[key]
    return alignment


def _evidence(item: Mapping[str, str]) -> dict[str, Any]:
    evidence: dict[str, Any] = {"type": ["Evidence"]}
    if item.get("url"):
        evidence["id"] = item["url"]
    for key in ("name", "narrative"):
        if item.get(key):
            evidence[key] = item[key]
    return evidence
