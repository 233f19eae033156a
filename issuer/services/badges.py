"""Badge classes: create, change, find and list them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import BadgeClass, BadgeTally, Course, Issuer, Stage
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.services.images import store_image

UPDATABLE = (
    "name",
    "description",
    "criteria",
    "private",
    "post_to_feed",
    "archived",
    "tags",
    "alignment",
    "expires_after_days",
)


@dataclass
class BadgeResult:
    """A badge together with warnings about the input that made or changed it."""

    badge: BadgeClass
    warnings: list[str] = field(default_factory=list)


def create_badge(fields: dict[str, Any], *, max_image_bytes: int) -> BadgeResult:
    """Create a badge class from validated API fields."""
    issuer = db.session.get(Issuer, _uuid(fields["issuer"], "issuer"))
    if issuer is None:
        raise InvalidInputError(f"issuer: no issuer with id {fields['issuer']}", "issuer")
    badge = BadgeClass(
        issuer=issuer, tags=[], alignment=[], private=False, post_to_feed=True, archived=False
    )
    image, warnings = store_image(fields["image"], max_bytes=max_image_bytes)
    badge.image = image
    _apply(badge, fields)
    db.session.add(badge)
    db.session.flush()
    return BadgeResult(badge, warnings)


def update_badge(
    badge_id: uuid.UUID, fields: dict[str, Any], *, max_image_bytes: int
) -> BadgeResult:
    """Change the given fields of a badge; awards already made keep pointing at it."""
    badge = get_badge(badge_id)
    warnings: list[str] = []
    if "image" in fields:
        badge.image, warnings = store_image(fields["image"], max_bytes=max_image_bytes)
    _apply(badge, fields)
    db.session.flush()
    return BadgeResult(badge, warnings)


def get_badge(badge_id: uuid.UUID) -> BadgeClass:
    """Return a badge class by id or raise NotFoundError."""
    badge = db.session.get(BadgeClass, badge_id)
    if badge is None:
        raise NotFoundError(f"no badge with id {badge_id}")
    return badge


def list_badges(*, include_private: bool, issuer_id: uuid.UUID | None = None) -> list[BadgeClass]:
    """Return badge classes, oldest first; private ones only when asked for."""
    query = _badges_in_order()
    if not include_private:
        query = query.where(BadgeClass.private.is_(False))
    if issuer_id is not None:
        query = query.where(BadgeClass.issuer_id == issuer_id)
    return list(db.session.scalars(query))


def page_badges(*, offset: int, limit: int) -> tuple[list[BadgeClass], int]:
    """Return one page of every badge class (private ones included), oldest first, and the total."""
    total = db.session.scalar(select(func.count()).select_from(BadgeClass)) or 0
    found = db.session.scalars(_badges_in_order().offset(offset).limit(limit))
    return list(found), total


def _badges_in_order() -> Select[BadgeClass]:
    # Pages show the issuer's name: loaded with the badges, not one query per row.
    return (
        select(BadgeClass)
        .options(joinedload(BadgeClass.issuer))
        .order_by(BadgeClass.created_at, BadgeClass.id)
    )


def count_awards(badge_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return how many unrevoked awards each of these badges has (from the kept tallies)."""
    if not badge_ids:
        return {}
    rows = db.session.execute(
        select(BadgeTally.badge_id, BadgeTally.awarded - BadgeTally.revoked).where(
            BadgeTally.badge_id.in_(badge_ids)
        )
    )
    return {badge_id: current for badge_id, current in rows}


def count_all_awards(badge_id: uuid.UUID) -> int:
    """Return how many awards a badge has, revoked ones included (from the kept tally)."""
    query = select(BadgeTally.awarded).where(BadgeTally.badge_id == badge_id)
    return db.session.scalar(query) or 0


def _apply(badge: BadgeClass, fields: dict[str, Any]) -> None:
    for name in UPDATABLE:
        if name not in fields:
            continue
        value = fields[name]
        if name == "criteria":
            badge.criteria_narrative = (value.get("narrative") or "").strip() or None
            badge.criteria_url = value.get("url")
        elif name in ("name", "description"):
            setattr(badge, name, value.strip())
        elif name == "tags":
            badge.tags = list(dict.fromkeys(tag.strip() for tag in value))
        else:
            setattr(badge, name, value)
    if not badge.criteria_narrative and not badge.criteria_url:
        raise InvalidInputError("criteria needs a narrative or a url", "criteria")
    if badge.id is not None and (badge.private or badge.archived):
        _check_not_earned_in_courses(badge)


def _check_not_earned_in_courses(badge: BadgeClass) -> None:
    """Courses award their badges automatically: those may be neither private nor archived."""
    on_stage = select(Stage.course_id).where(Stage.badge_id == badge.id)
    course = db.session.scalar(
        select(Course.name)
        .where((Course.completion_badge_id == badge.id) | Course.id.in_(on_stage))
        .order_by(Course.name)
        .limit(1)
    )
    if course is not None:
        flag = "private" if badge.private else "archived"
        raise ConflictError(
            f"The course “{course}” awards this badge, so it cannot be {flag}. Remove the badge "
            "from the course first.",
            flag,
        )


def _uuid(value: str, field_name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError(f"{field_name}: {value!r} is not a valid id", field_name) from None
