"""Open Badges 2.0 document builders."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from issuer.openbadges import ob2
from issuer.openbadges.identity import hash_identity

ISSUED = datetime(2025, 3, 1, 12, 30, 5, 999, tzinfo=UTC)


def test_profile() -> None:
    doc = ob2.build_profile(
        ob2.ProfileData(
            id="https://i.example/public/issuers/1",
            name="Academy",
            url="https://academy.example",
            email="b@academy.example",
        )
    )
    assert doc == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Issuer",
        "id": "https://i.example/public/issuers/1",
        "name": "Academy",
        "url": "https://academy.example",
        "email": "b@academy.example",
    }


def test_badge_class_with_criteria_url_and_narrative() -> None:
    doc = ob2.build_badge_class(
        ob2.BadgeClassData(
            id="https://i/b",
            issuer="https://i/i",
            name="N",
            description="D",
            image="https://i/b/image",
            criteria_narrative="Do it",
            criteria_url="https://i/criteria",
            tags=["a"],
            alignment=[{"targetName": "T", "targetUrl": "https://t"}],
        )
    )
    assert doc["criteria"] == {"id": "https://i/criteria", "narrative": "Do it"}
    assert doc["tags"] == ["a"]
    assert doc["alignment"] == [{"targetName": "T", "targetUrl": "https://t"}]
    assert doc["issuer"] == "https://i/i"


def test_badge_class_needs_criteria() -> None:
    with pytest.raises(ValueError, match="criteria"):
        ob2.build_badge_class(
            ob2.BadgeClassData(id="x", issuer="y", name="n", description="d", image="i")
        )


def test_assertion() -> None:
    doc = ob2.build_assertion(
        ob2.AssertionData(
            id="https://i/a",
            badge="https://i/b",
            recipient_email="a@x.org",
            salt="s4lt",
            issued_on=ISSUED,
            expires=ISSUED + timedelta(days=1),
            narrative="Good",
            evidence=[{"url": "https://e", "name": "E"}, {"narrative": "only words"}],
        )
    )
    assert doc["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": "s4lt",
        "identity": hash_identity("a@x.org", "s4lt"),
    }
    assert doc["verification"] == {"type": "HostedBadge"}
    assert doc["issuedOn"] == "2025-03-01T12:30:05Z"
    assert doc["expires"] == "2025-03-02T12:30:05Z"
    assert doc["evidence"] == [
        {"type": "Evidence", "id": "https://e", "name": "E"},
        {"type": "Evidence", "narrative": "only words"},
    ]


def test_assertion_leaves_out_empty_optional_fields() -> None:
    doc = ob2.build_assertion(
        ob2.AssertionData(id="a", badge="b", recipient_email="a@x.org", salt="s", issued_on=ISSUED)
    )
    assert set(doc) == {"@context", "type", "id", "recipient", "badge", "issuedOn", "verification"}


def test_revoked_assertion() -> None:
    assert ob2.build_revoked_assertion("https://i/a", "Oops") == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": "https://i/a",
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Oops",
    }


def test_datetimes_are_utc_with_z() -> None:
    local = datetime(2025, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert ob2.format_datetime(local) == "2025-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="timezone"):
        ob2.format_datetime(datetime(2025, 1, 1))
