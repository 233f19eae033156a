"""Badge classes: create, change, find and list them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import BadgeClass, BadgeTally, Course, Issuer, Stage
from issuer.services.changes import UNSET, Unset
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.services.images import store_image


@dataclass(frozen=True)
class Criteria:
    """How a badge is earned: a narrative, the URL of a page saying it, or both."""

    narrative: str | None = None
    url: str | None = None


@dataclass
class BadgeChanges:
    """Changes to a badge class; a field left UNSET stays as it is."""

    name: str | Unset = UNSET
    description: str | Unset = UNSET
    image: str | bytes | Unset = UNSET
    # Replaces both parts: a part not given is removed.
    criteria: Criteria | Unset = UNSET
    private: bool | Unset = UNSET
    post_to_feed: bool | Unset = UNSET
    archived: bool | Unset = UNSET
    tags: list[str] | Unset = UNSET
    alignment: list[dict[str, str]] | Unset = UNSET
    # None removes the default validity: awards then keep no expiry unless given one.
    expires_after_days: int | Unset | None = UNSET


@dataclass
class BadgeDraft:
    """The fields of a new badge class."""

    issuer_id: uuid.UUID
    name: str
    description: str
    image: str | bytes  # a data URI, or an uploaded file's bytes
    criteria: Criteria
    private: bool = False
    post_to_feed: bool = True
    tags: list[str] = field(default_factory=list)
    alignment: list[dict[str, str]] = field(default_factory=list)
    expires_after_days: int | None = None

    def changes(self) -> BadgeChanges:
        """Every field but the issuer and the image (stored first) as a change."""
        return BadgeChanges(
            name=self.name,
            description=self.description,
            criteria=self.criteria,
            private=self.private,
            post_to_feed=self.post_to_feed,
            tags=self.tags,
            alignment=self.alignment,
            expires_after_days=self.expires_after_days,
        )


@dataclass
class BadgeResult:
    """A badge together with warnings about the input that made or changed it."""

    badge: BadgeClass
    warnings: list[str] = field(default_factory=list)


def create_badge(draft: BadgeDraft, *, max_image_bytes: int) -> BadgeResult:
    """Create a badge class, checking and storing its image."""
    issuer = db.session.get(Issuer, draft.issuer_id)
    if issuer is None:
        raise InvalidInputError(f"issuer: no issuer with id {draft.issuer_id}", "issuer")
    badge = BadgeClass(issuer=issuer, archived=False)
    badge.image, warnings = store_image(draft.image, max_bytes=max_image_bytes)
    # A new badge is every field changed at once: one place trims and checks them.
    _apply(badge, draft.changes())
    db.session.add(badge)
    db.session.flush()
    return BadgeResult(badge, warnings)


def update_badge(
    badge_id: uuid.UUID, changes: BadgeChanges, *, max_image_bytes: int
) -> BadgeResult:
    """Change the given fields of a badge; awards already made keep pointing at it."""
    badge = get_badge(badge_id)
    warnings: list[str] = []
    if changes.image is not UNSET:
        badge.image, warnings = store_image(changes.image, max_bytes=max_image_bytes)
    _apply(badge, changes)
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


def _apply(badge: BadgeClass, changes: BadgeChanges) -> None:
    if changes.name is not UNSET:
        badge.name = changes.name.strip()
    if changes.description is not UNSET:
        badge.description = changes.description.strip()
    if changes.criteria is not UNSET:
        badge.criteria_narrative = (changes.criteria.narrative or "").strip() or None
        badge.criteria_url = changes.criteria.url or None
    if changes.private is not UNSET:
        badge.private = changes.private
    if changes.post_to_feed is not UNSET:
        badge.post_to_feed = changes.post_to_feed
    if changes.archived is not UNSET:
        badge.archived = changes.archived
    if changes.tags is not UNSET:
        badge.tags = list(dict.fromkeys(tag.strip() for tag in changes.tags))
    if changes.alignment is not UNSET:
        badge.alignment = [dict(item) for item in changes.alignment]
    if changes.expires_after_days is not UNSET:
        badge.expires_after_days = changes.expires_after_days
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
