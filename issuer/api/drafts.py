"""Turning the API's JSON bodies (already checked against their schema) into service drafts.

The JSON shape stays here: ids are parsed and named by their path in the body (``issuer``,
``stages[1].badge``), so the services take typed values and know nothing of the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from issuer.ids import optional_id, parse_id
from issuer.services.badges import BadgeChanges, BadgeDraft, Criteria
from issuer.services.changes import UNSET
from issuer.services.courses import CourseChanges, CourseDraft, StageDraft


def badge_draft(body: Mapping[str, Any]) -> BadgeDraft:
    """A new badge from a ``badge-create`` body."""
    return BadgeDraft(
        issuer_id=parse_id(body["issuer"], "issuer"),
        name=body["name"],
        description=body["description"],
        image=body["image"],
        criteria=_criteria(body["criteria"]),
        private=body.get("private", False),
        post_to_feed=body.get("post_to_feed", True),
        tags=body.get("tags", []),
        alignment=body.get("alignment", []),
        expires_after_days=body.get("expires_after_days"),
    )


def badge_changes(body: Mapping[str, Any]) -> BadgeChanges:
    """The changes of a ``badge-update`` body: a field left out stays, null clears it."""
    return BadgeChanges(
        name=body.get("name", UNSET),
        description=body.get("description", UNSET),
        image=body.get("image", UNSET),
        criteria=_criteria(body["criteria"]) if "criteria" in body else UNSET,
        private=body.get("private", UNSET),
        post_to_feed=body.get("post_to_feed", UNSET),
        archived=body.get("archived", UNSET),
        tags=body.get("tags", UNSET),
        alignment=body.get("alignment", UNSET),
        expires_after_days=body.get("expires_after_days", UNSET),
    )


def course_draft(body: Mapping[str, Any]) -> CourseDraft:
    """A new course from a ``course-create`` body."""
    return CourseDraft(
        name=body["name"],
        description=body.get("description"),
        completion_badge_id=optional_id(body.get("completion_badge"), "completion_badge"),
        stages=_stages(body["stages"]),
    )


def course_changes(body: Mapping[str, Any]) -> CourseChanges:
    """The changes of a ``course-update`` body: a field left out stays, null clears it."""
    badge = body.get("completion_badge", UNSET)
    return CourseChanges(
        name=body.get("name", UNSET),
        description=body.get("description", UNSET),
        completion_badge_id=UNSET if badge is UNSET else optional_id(badge, "completion_badge"),
        stages=_stages(body["stages"]) if "stages" in body else UNSET,
    )


def _criteria(value: Mapping[str, str]) -> Criteria:
    return Criteria(narrative=value.get("narrative"), url=value.get("url"))


def _stages(items: Sequence[Mapping[str, Any]]) -> list[StageDraft]:
    return [
        StageDraft(
            name=item["name"],
            badge_id=optional_id(item.get("badge"), f"stages[{index}].badge"),
            id=optional_id(item.get("id"), f"stages[{index}].id"),
        )
        for index, item in enumerate(items)
    ]
