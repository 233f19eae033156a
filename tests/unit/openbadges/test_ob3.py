"""OB 3.0 documents: the credential, the Profile and the Bitstring Status List."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema.protocols import Validator

from issuer.config import SCHEMAS_DIR
from issuer.openbadges import ob3
from issuer.openbadges.identity import hash_identity
from issuer.openbadges.schemas import SchemaRegistry, check_document, load_validator
from tests.support import VENDOR, needs_vendor

BASE = "https://issuer.example"
ISSUER = ob3.ProfileData(
    id=f"{BASE}/public/issuers/1/profile",
    name="Example University",
    url="https://university.example",
    email="badges@university.example",
    description="We teach.",
    image=f"{BASE}/public/issuers/1/image",
)
ACHIEVEMENT = ob3.AchievementData(
    id=f"{BASE}/public/badges/2",
    name="Teamwork",
    description="Collaborates well.",
    image=f"{BASE}/public/badges/2/image",
    criteria_narrative="Nominated by peers.",
    criteria_url="https://university.example/criteria",
    tags=["team", "soft skills"],
    alignment=[
        {
            "targetName": "Collaboration",
            "targetUrl": "https://framework.example/collab",
            "targetCode": "C1",
        }
    ],
)
FULL = ob3.CredentialData(
    id="urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e",
    issuer=ISSUER,
    achievement=ACHIEVEMENT,
    recipient_email="ada@example.org",
    salt="s4lt",
    valid_from=datetime(2025, 5, 1, 12, tzinfo=UTC),
    valid_until=datetime(2027, 5, 1, 12, tzinfo=UTC),
    narrative="Led the group project.",
    evidence=[{"url": "https://portfolio.example/ada", "name": "Portfolio", "narrative": "Hi"}],
    status=ob3.StatusEntry(f"{BASE}/public/issuers/1/status/abc/0", 94567),
)
MINIMAL = ob3.CredentialData(
    id="urn:uuid:5b2c0f33-8d2e-4ce7-9e0c-2c1f0f3a7e11",
    issuer=ob3.ProfileData(id=ISSUER.id, name="X", url="https://x.example", email="a@x.example"),
    achievement=ob3.AchievementData(
        id=ACHIEVEMENT.id, name="N", description="", image=ACHIEVEMENT.image, criteria_url=BASE
    ),
    recipient_email="b@example.org",
    salt="pepper",
    valid_from=datetime(2025, 5, 1, tzinfo=UTC),
    status=ob3.StatusEntry(f"{BASE}/public/issuers/1/status/abc/0", 0),
)
OURS = SchemaRegistry(SCHEMAS_DIR)


def official(name: str) -> Validator:
    """A validator for one of the vendored official OB 3.0 schemas."""
    return load_validator(needs_vendor(VENDOR / "ob3" / "schema" / f"ob_v3p0_{name}_schema.json"))


@pytest.mark.parametrize("data", [FULL, MINIMAL], ids=["full", "minimal"])
def test_credentials_pass_the_official_schema_and_ours(data: ob3.CredentialData) -> None:
    credential = ob3.build_credential(data)
    check_document(official("achievementcredential"), credential, "official")
    OURS.validate("ob3/credential", credential)


def test_credential_shape() -> None:
    credential = ob3.build_credential(FULL)
    assert credential["@context"] == [ob3.VC_CONTEXT, ob3.OB3_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["validFrom"] == "2025-05-01T12:00:00Z"
    assert credential["validUntil"] == "2027-05-01T12:00:00Z"
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["issuer"]["image"] == {"id": ISSUER.image, "type": "Image"}
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": hash_identity("ada@example.org", "s4lt"),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "s4lt",
        }
    ]
    assert "id" not in subject  # the e-mail address is never published in the clear
    assert subject["narrative"] == "Led the group project."
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "Badge"
    assert achievement["criteria"] == {
        "id": "https://university.example/criteria",
        "narrative": "Nominated by peers.",
    }
    assert achievement["tag"] == ["team", "soft skills"]
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert credential["evidence"] == [
        {
            "type": ["Evidence"],
            "id": "https://portfolio.example/ada",
            "name": "Portfolio",
            "narrative": "Hi",
        }
    ]
    assert credential["credentialStatus"] == {
        "id": f"{BASE}/public/issuers/1/status/abc/0#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": f"{BASE}/public/issuers/1/status/abc/0",
    }
    json.dumps(credential)  # JSON-ready


def test_minimal_credential_omits_empty_values() -> None:
    credential = ob3.build_credential(MINIMAL)
    for absent in ("validUntil", "evidence"):
        assert absent not in credential
    subject = credential["credentialSubject"]
    assert "narrative" not in subject
    assert "tag" not in subject["achievement"]
    assert "alignment" not in subject["achievement"]
    assert "image" not in credential["issuer"]


def test_achievement_without_criteria_is_refused() -> None:
    data = ob3.CredentialData(
        **{
            **MINIMAL.__dict__,
            "achievement": ob3.AchievementData(
                id=ACHIEVEMENT.id, name="N", description="d", image=ACHIEVEMENT.image
            ),
        }
    )
    with pytest.raises(ValueError, match="criteria"):
        ob3.build_credential(data)


def test_profile_passes_the_official_profile_schema() -> None:
    profile = ob3.build_profile(ISSUER)
    assert profile["@context"] == [ob3.VC_CONTEXT, ob3.OB3_CONTEXT]
    check_document(official("profile"), profile, "official profile")


def test_our_schema_refuses_what_we_never_emit() -> None:
    credential: dict[str, Any] = ob3.build_credential(FULL)
    credential["credentialSubject"]["id"] = "mailto:ada@example.org"
    with pytest.raises(ValueError, match="credentialSubject"):
        OURS.validate("ob3/credential", credential)


# --- Bitstring Status List ---------------------------------------------------------------------


def test_status_list_round_trip_and_bit_order() -> None:
    encoded = ob3.encode_status_list([0, 9, 131_071])
    assert encoded.startswith("u")
    bits = ob3.decode_status_list(encoded)
    assert len(bits) == 16_384  # the 16 KiB minimum of Bitstring Status List
    assert bits[0] == 0x80  # position 0 is the first byte's most significant bit
    assert bits[1] == 0x40
    assert bits[-1] == 0x01
    assert [p for p in (0, 1, 9, 131_071) if ob3.is_position_set(bits, p)] == [0, 9, 131_071]


def test_status_list_encoding_is_deterministic() -> None:
    assert ob3.encode_status_list([5, 7]) == ob3.encode_status_list([7, 5])


@pytest.mark.parametrize("position", [-1, 131_072])
def test_status_list_positions_out_of_range_are_refused(position: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        ob3.encode_status_list([position])


@pytest.mark.parametrize("encoded", ["", "H4sI", "u!!!", "uAAAA"])
def test_broken_encoded_lists_are_refused(encoded: str) -> None:
    with pytest.raises(ValueError):
        ob3.decode_status_list(encoded)


def test_status_list_credential() -> None:
    url = f"{BASE}/public/issuers/1/status/abc/0"
    document = ob3.build_status_list_credential(
        url, ISSUER.id, datetime(2026, 1, 1, tzinfo=UTC), [3]
    )
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["issuer"] == ISSUER.id
    subject = document["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert ob3.is_position_set(ob3.decode_status_list(subject["encodedList"]), 3)


def test_status_positions_fill_each_list_exactly_once() -> None:
    seed = b"k" * 32
    places = [ob3.status_position(seed, n) for n in range(ob3.STATUS_LIST_SIZE)]
    assert {number for number, _ in places} == {0}
    assert sorted(position for _, position in places) == list(range(ob3.STATUS_LIST_SIZE))
    # The order of awards does not show: neighbours land far apart.
    assert [position for _, position in places[:5]] != list(range(5))
    assert ob3.status_position(seed, ob3.STATUS_LIST_SIZE)[0] == 1


def test_status_positions_depend_on_the_seed() -> None:
    first = [ob3.status_position(b"a" * 32, n)[1] for n in range(20)]
    second = [ob3.status_position(b"b" * 32, n)[1] for n in range(20)]
    assert first != second
