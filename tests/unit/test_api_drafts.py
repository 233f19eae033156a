"""Unit tests for issuer.api.drafts: JSON bodies into the services' typed drafts and changes."""

from __future__ import annotations

import uuid

import pytest

from issuer.api.drafts import badge_changes, badge_draft, course_changes, course_draft
from issuer.services.badges import BadgeChanges, Criteria
from issuer.services.changes import UNSET
from issuer.services.courses import CourseChanges, StageDraft
from issuer.services.errors import InvalidInputError

ISSUER = uuid.UUID("6a9f1c2e-0d4b-4e8a-9c3f-2b7d5e1a4c60")
BADGE = uuid.UUID("0f3e8d2c-7b1a-4c5d-8e9f-1a2b3c4d5e6f")
STAGE = uuid.UUID("5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")


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


def test_course_bodies_become_drafts_with_typed_ids() -> None:
    draft = course_draft(
        {"name": "C", "stages": [{"name": "A", "badge": str(BADGE)}, {"name": "B"}]}
    )
    assert draft.stages == [StageDraft("A", badge_id=BADGE), StageDraft("B")]
    assert (draft.description, draft.completion_badge_id) == (None, None)
    assert course_changes({"completion_badge": None}) == CourseChanges(completion_badge_id=None)
    assert course_changes({"name": "C"}).completion_badge_id is UNSET
    stages = course_changes({"stages": [{"id": str(STAGE), "name": "A", "badge": None}]}).stages
    assert stages == [StageDraft("A", badge_id=None, id=STAGE)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stages": [{"name": "A"}, {"name": "B", "badge": "0" * 33}]}, "stages[1].badge"),
        ({"stages": [{"name": "A", "id": "-" * 32}]}, "stages[0].id"),
        ({"completion_badge": "0" * 31 + "g"}, "completion_badge"),
    ],
)
def test_a_malformed_id_names_its_place_in_the_body(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        course_changes(body)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}: ") and "is not a valid id" in (
        raised.value.message
    )
