"""What people see of each other: profiles, the feed, the public catalogue, the home page,
site settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Issuer, Setting, User
from issuer.models.types import utcnow
from issuer.services.errors import NotFoundError
from issuer.services.issuers import list_issuers

FEED_SETTING = "feed_enabled"


@dataclass(frozen=True)
class Profile:
    """A person's page: the badges they hold (newest first) and those they can still earn."""

    user: User
    awards: list[Assertion]
    achievable: list[BadgeClass]


def get_profile(user_id: uuid.UUID, viewer: User | None) -> Profile:
    """Load a profile as viewer sees it: hidden awards only for their owner and admins."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    query = (
        select(Assertion)
        .where(Assertion.recipient_id == user_id, Assertion.revoked.is_(False))
        .options(joinedload(Assertion.badge).joinedload(BadgeClass.issuer))
        .order_by(Assertion.issued_on.desc(), Assertion.created_at.desc())
    )
    if viewer is None or (viewer.id != user_id and not viewer.is_admin):
        query = query.where(Assertion.hidden.is_(False))
    awards = list(db.session.scalars(query).unique())
    held = select(Assertion.badge_id).where(
        Assertion.recipient_id == user_id, Assertion.revoked.is_(False)
    )
    # Private badges are awarded by hand only, so they are never offered as achievable.
    achievable = db.session.scalars(
        select(BadgeClass)
        .where(
            BadgeClass.private.is_(False),
            BadgeClass.archived.is_(False),
            BadgeClass.id.not_in(held),
        )
        .options(joinedload(BadgeClass.issuer))
        .order_by(BadgeClass.name, BadgeClass.id)
    )
    return Profile(user, awards, list(achievable))


def set_hidden(assertion_id: uuid.UUID, owner: User, hidden: bool) -> Assertion:
    """Hide an award from its owner's public profile, or show it again (it stays valid)."""
    assertion = db.session.get(Assertion, assertion_id)
    if assertion is None or assertion.recipient_id != owner.id:
        raise NotFoundError(f"no award {assertion_id} of yours")
    assertion.hidden = hidden
    db.session.flush()
    return assertion


def feed_enabled() -> bool:
    """Whether new awards are posted to the feed (a site setting, on by default)."""
    value = db.session.scalar(_FEED_SETTING)
    return True if value is None else bool(value)


# Every award asks: built once, on the table (set_feed_enabled flushes, so nothing is pending).
_settings = Setting.__table__.c
_FEED_SETTING = select(_settings.value).where(_settings.key == FEED_SETTING)


def set_feed_enabled(enabled: bool) -> None:
    """Turn feed posts of new awards on or off for the whole site; earlier posts stay."""
    setting = db.session.get(Setting, FEED_SETTING)
    if setting is None:
        db.session.add(Setting(key=FEED_SETTING, value=enabled))
    else:
        setting.value = enabled
    db.session.flush()


def feed(
    *,
    limit: int = 50,
    before: Any = None,
    public_only: bool = False,
    valid_at: datetime | None = None,
) -> list[Assertion]:
    """The newest posts of the feed: awards posted when made, neither revoked nor hidden since.

    ``public_only`` leaves out awards of private badges; ``valid_at`` leaves out awards expired
    by then. Either way the newest posts are read through the feed's index (ix_assertions_feed)
    until ``limit`` of them pass: the cost follows the limit (and the posts skipped on the way),
    not the number of awards.
    """
    query = (
        select(Assertion)
        .where(
            Assertion.revoked.is_(False),
            Assertion.hidden.is_(False),
            Assertion.in_feed.is_(True),
        )
        .options(
            joinedload(Assertion.badge).joinedload(BadgeClass.issuer),
            joinedload(Assertion.recipient),
        )
        .order_by(Assertion.created_at.desc(), Assertion.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Assertion.created_at < before)
    if public_only:
        # A correlated EXISTS, one primary-key probe per post, keeps the walk down the index.
        query = query.where(Assertion.badge.has(BadgeClass.private.is_(False)))
    if valid_at is not None:
        query = query.where(or_(Assertion.expires.is_(None), Assertion.expires > valid_at))
    return list(db.session.scalars(query).unique())


def catalogue(*, limit: int | None = None) -> list[tuple[Issuer, list[BadgeClass]]]:
    """Every issuer with its achievable badges: public and not archived, never a private one
    (with ``limit``, only the first that many badges by name)."""
    query = (
        select(BadgeClass)
        .where(BadgeClass.private.is_(False), BadgeClass.archived.is_(False))
        .options(joinedload(BadgeClass.issuer))
        .order_by(BadgeClass.name, BadgeClass.id)
    )
    if limit is not None:
        query = query.limit(limit)
    grouped: dict[uuid.UUID, tuple[Issuer, list[BadgeClass]]] = {}
    for badge in db.session.scalars(query):
        grouped.setdefault(badge.issuer_id, (badge.issuer, []))[1].append(badge)
    return sorted(grouped.values(), key=lambda item: item[0].name.lower())


@dataclass(frozen=True)
class HomePage:
    """What the home page shows: recent public awards, some badges to earn, the issuers."""

    feed_on: bool
    # Empty when the site's feed is off: the home page broadcasts no more than the feed does.
    recent: list[Assertion]
    badges: list[BadgeClass]
    issuers: list[Issuer]
    more_issuers: bool


def home_page(*, recent: int = 10, badges: int = 8, issuers: int = 20) -> HomePage:
    """The home page's lists, each bounded: the newest feed posts of public badges that are
    still valid (none while the feed is off), the first achievable badges, the first issuers."""
    feed_on = feed_enabled()
    awards = feed(limit=recent, public_only=True, valid_at=utcnow()) if feed_on else []
    found = [badge for _, group in catalogue(limit=badges) for badge in group]
    listed = list_issuers(limit=issuers + 1)
    return HomePage(feed_on, awards, found, listed[:issuers], len(listed) > issuers)


def search_users(query: str, *, offset: int = 0, limit: int = 50) -> tuple[list[User], bool]:
    """Find people by part of their name or e-mail address (everyone for an empty query), a
    page at a time by name; also whether there are more after this page."""
    statement = select(User).order_by(User.name, User.email, User.id)
    words = query.strip()
    if words:
        lowered = words.lower()
        statement = statement.where(
            or_(
                func.lower(User.name).contains(lowered, autoescape=True),
                User.email.contains(lowered, autoescape=True),
            )
        )
    # One more than the page says whether a next page exists, without counting every match.
    found = list(db.session.scalars(statement.offset(offset).limit(limit + 1)))
    return found[:limit], len(found) > limit
