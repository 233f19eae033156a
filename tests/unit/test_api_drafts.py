"""Unit tests for issuer.api.drafts: JSON bodies into the services' typed drafts and changes."""

from __future__ import annotations

import uuid

from issuer.api.drafts import badge_changes, badge_draft
from issuer.services.badges import BadgeChanges, Criteria
from issuer.services.changes import UNSET

ISSUER = uuid.UUID("6a9f1c2e-0d4b-4e8a-9c3f-2b7d5e1a4c60")


def test_a_badge_body_becomes_a_draft_with_the_api_defaults() -> None:
    draft = badge_draft(
        {
            "issuer": str(ISSUER).upper(),
            "name": "N",
            "description": "D",
            "image": "data:image/png;base64,AA==",
            "criteria": {"url": "https://example.org/c"},
        }
    )
    assert draft.issuer_id == ISSUER
    assert draft.criteria == Criteria(url="https://example.org/c")
    assert (draft.private, draft.post_to_feed, draft.tags, draft.alignment) == (
        False,
        True,
        [],
        [],
    )
    assert draft.expires_after_days is None


def test_badge_changes_hold_only_the_fields_given_and_null_clears() -> None:
    assert badge_changes({"name": "N"}) == BadgeChanges(name="N")
    changes = badge_changes({"expires_after_days": None, "criteria": {"narrative": "Do it"}})
    assert changes.expires_after_days is None
    assert changes.criteria == Criteria(narrative="Do it")
    assert changes.name is UNSET and changes.image is UNSET and changes.archived is UNSET
