"""Awards: give a badge to many recipients at once, list, find and revoke assertions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, select, text

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, User
from issuer.models.badges import CURRENT_AWARD
from issuer.models.types import utcnow
from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.openbadges.timestamps import RANGE, TimestampError, check_timestamp
from issuer.openbadges.urls import PublicUrls
from issuer.services.assertions import NewAward, new_award
from issuer.services.badges import count_all_awards, get_badge
from issuer.services.batches import PerDialect, any_of, insert_rows, value_lists
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.services.notifications import notify_awards, notify_revocation
from issuer.services.profiles import feed_enabled
from issuer.services.signing import Signer
from issuer.services.users import default_name

# Clocks differ a little between the caller and us; a timestamp this far ahead is still "now".
CLOCK_SKEW = timedelta(minutes=5)
# A signature costs about a millisecond of CPU. Batches above this size leave signing to the
# first request for an award's signed form (issuer.services.exports), so that a 10,000-award
# call is not spent on signatures that may never be asked for.
EAGER_SIGNING_LIMIT = 100


@dataclass
class AwardRequest:
    """What to award: recipients (e-mail addresses) and the details shared by every award."""

    recipients: Sequence[str]
    narrative: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)
    issued_on: datetime | None = None
    expires: datetime | None = None
    allow_duplicate: bool = False
    # Tell each new recipient: an in-platform notification and an e-mail.
    notify: bool = True
    # Post the new awards to the feed, if their badge and the site's setting allow it.
    post_to_feed: bool = True


@dataclass(frozen=True)
class Grant:
    """One recipient (a normalised address) and the details of their award, already checked."""

    email: str
    issued_on: datetime
    expires: datetime | None = None
    narrative: str | None = None
    evidence: Sequence[Mapping[str, str]] = ()
    # The display name of a learner account created for this address.
    name: str | None = None


@dataclass
class AwardOutcome:
    """The awards for a request, in recipient order, and how many of them are new."""

    awards: list[Assertion]
    created: int
    existing: int
    # The ids of the awards this call made (the others were held before).
    new_ids: set[uuid.UUID] = field(default_factory=set)


def award_badge(badge_id: uuid.UUID, request: AwardRequest, signer: Signer) -> AwardOutcome:
    """Award a badge to every recipient, signing each new award; all or nothing."""
    badge = awardable_badge(badge_id)
    emails = normalized_addresses(request.recipients, "recipients")
    issued_on, expires = award_dates(badge, request.issued_on, request.expires, utcnow())
    grants = [
        Grant(
            email=email,
            issued_on=issued_on,
            expires=expires,
            narrative=request.narrative or None,
            evidence=request.evidence,
        )
        for email in emails
    ]
    return grant_badge(
        badge,
        grants,
        signer,
        allow_duplicate=request.allow_duplicate,
        notify=request.notify,
        post_to_feed=request.post_to_feed,
    )


class Validity(Protocol):
    """A badge as far as award dates go: how many days its awards stay valid (None: always)."""

    @property
    def expires_after_days(self) -> int | None:
        """Days from issue to expiry, or None."""


class AwardedBadge(Validity, Protocol):
    """A badge as far as awarding it goes: its model object, or the facts a caller read."""

    @property
    def id(self) -> uuid.UUID:
        """The badge's id."""

    @property
    def name(self) -> str:
        """Its name, for messages."""

    @property
    def issuer_id(self) -> uuid.UUID:
        """Its issuer, whose key signs."""

    @property
    def archived(self) -> bool:
        """Whether it takes no new awards."""

    @property
    def post_to_feed(self) -> bool:
        """Whether its new awards go to the feed (as far as the badge decides)."""


def awardable_badge(badge_id: uuid.UUID) -> BadgeClass:
    """Return a badge that may be awarded now; raise for unknown or archived badges."""
    badge = get_badge(badge_id)
    check_awardable(badge)
    return badge


def check_awardable(badge: AwardedBadge) -> None:
    """Raise InvalidInputError when the badge may not be awarded now (it is archived)."""
    if badge.archived:
        raise archived_error(badge.name)


def archived_error(badge_name: str, field: str = "badge") -> InvalidInputError:
    """The error for awarding a badge that is archived."""
    prefix = "" if field == "badge" else f"{field}: "
    return InvalidInputError(
        f"{prefix}the badge {badge_name!r} is archived and takes no new awards", field
    )


def award_dates(
    badge: Validity, issued_on: datetime | None, expires: datetime | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """Return an award's issue and expiry times, with defaults; raise when they make no sense.

    Every way of awarding passes here, so no award is stored with a date that one of its
    published forms could not carry.
    """
    issued_on = award_time(issued_on or now, "issued_on")
    if issued_on > now + CLOCK_SKEW:
        raise InvalidInputError("issued_on may not be in the future", "issued_on")
    if expires is None and badge.expires_after_days:
        try:
            expires = issued_on + timedelta(days=badge.expires_after_days)
        except OverflowError:
            raise InvalidInputError(f"expires: must lie {RANGE}", "expires") from None
    if expires is not None:
        expires = award_time(expires, "expires")
        if expires <= issued_on:
            raise InvalidInputError("expires must be later than issued_on", "expires")
    return issued_on, expires


def award_time(value: datetime, field: str) -> datetime:
    """Return an award's date in UTC; raise InvalidInputError naming field if none can hold it."""
    try:
        return check_timestamp(value)
    except TimestampError as error:
        raise InvalidInputError(f"{field}: {error}", field) from None


def grant_badge(
    badge: AwardedBadge,
    grants: Sequence[Grant],
    signer: Signer,
    *,
    allow_duplicate: bool = False,
    notify: bool = True,
    post_to_feed: bool = True,
    sign_now: bool | None = None,
    user_ids: Mapping[str, uuid.UUID] | None = None,
) -> AwardOutcome:
    """Award a badge once per grant; flush.

    A recipient who already holds the badge (unless ``allow_duplicate``), or who appears twice,
    gets no new award: the outcome lists the award they hold. New awards are signed now when
    ``sign_now``, or by default when there are at most EAGER_SIGNING_LIMIT grants. Callers that
    have made sure of the learners already pass their ``user_ids`` by address. New awards are
    posted to the feed when ``post_to_feed``, the badge and the site's setting all allow it.
    """
    now = utcnow()
    in_feed = post_to_feed and feed_post_allowed(badge.post_to_feed)
    if user_ids is None:
        user_ids = ensure_learners({g.email: g.name for g in grants}, now)
    held: dict[uuid.UUID, Assertion] = {}
    if not allow_duplicate:
        held = current_awards(badge.id, list(user_ids.values()))

    new_ids: dict[uuid.UUID, uuid.UUID] = {}  # recipient id -> new assertion id
    rows: list[NewAward] = []
    for grant in grants:
        recipient_id = user_ids[grant.email]
        if recipient_id in held or recipient_id in new_ids:
            continue
        row = new_award(
            badge.id,
            recipient_id,
            grant.email,
            issued_on=grant.issued_on,
            expires=grant.expires,
            narrative=grant.narrative,
            evidence=grant.evidence,
            duplicate=allow_duplicate,
            in_feed=in_feed,
            now=now,
        )
        new_ids[recipient_id] = row.id
        rows.append(row)
    if sign_now if sign_now is not None else len(grants) <= EAGER_SIGNING_LIMIT:
        for row, jws in zip(rows, signer.sign_many(badge.issuer_id, rows), strict=True):
            row.signed_jws = jws
            row.signed_kid = signer.key.kid
    created = _insert_awards(rows, allow_duplicate=allow_duplicate)
    if len(created) < len(rows):
        # A concurrent request awarded some of these recipients after we looked: they hold
        # that award now, exactly as if it had been there before.
        lost = [row.recipient_id for row in rows if row.id not in created]
        held.update(current_awards(badge.id, lost))
        if any(recipient_id not in held for recipient_id in lost):  # revoked meanwhile, too
            raise ConflictError(
                "Someone else awarded this badge at the same moment, so nothing was awarded. "
                "Send the award again.",
                "recipients",
            )
    if notify:
        notify_awards(list(created.values()), signer)
    awards: list[Assertion] = []
    for grant in grants:
        recipient_id = user_ids[grant.email]
        new_id = new_ids.get(recipient_id)
        awards.append(created[new_id] if new_id in created else held[recipient_id])
    return AwardOutcome(
        awards=awards,
        created=len(created),
        existing=len(grants) - len(created),
        new_ids=set(created),
    )


def feed_post_allowed(badge_posts_to_feed: bool) -> bool:
    """Whether a new award of a badge goes to the feed as far as the badge and site decide."""
    return badge_posts_to_feed and feed_enabled()


def _insert_awards(
    rows: Sequence[NewAward], *, allow_duplicate: bool
) -> dict[uuid.UUID, Assertion]:
    """Insert award rows; skip those whose recipient got the badge meanwhile. The new ones by id.

    An ORM bulk INSERT: the rows go in without the unit of work's per-object bookkeeping, and
    come back as the session's objects. Unless duplicates were asked for, the partial unique
    index on current awards decides races: the loser inserts nothing and does not fail.
    """
    unique = () if allow_duplicate else ("badge_id", "recipient_id")
    columns = [row.columns() for row in rows]
    awards = insert_rows(
        Assertion, columns, unique=unique, where=text(CURRENT_AWARD), returning=Assertion
    )
    return {award.id: award for award in awards}


def get_assertion(assertion_id: uuid.UUID) -> Assertion:
    """Return an assertion by id or raise NotFoundError."""
    assertion = db.session.get(Assertion, assertion_id)
    if assertion is None:
        raise NotFoundError(f"no assertion with id {assertion_id}")
    return assertion


def list_awards(badge_id: uuid.UUID, *, offset: int, limit: int) -> tuple[list[Assertion], int]:
    """Return one page of a badge's awards, newest first, and the total count."""
    get_badge(badge_id)
    total = count_all_awards(badge_id)
    awards = db.session.scalars(
        select(Assertion)
        .where(Assertion.badge_id == badge_id)
        .order_by(Assertion.created_at.desc(), Assertion.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(awards), total


def revoke_assertion(
    assertion_id: uuid.UUID, reason: str, urls: PublicUrls, *, notify: bool = True
) -> Assertion:
    """Revoke an award with a reason and tell its recipient (unless ``notify`` is false);
    revoking again keeps the first reason and time, and tells nobody again."""
    assertion = get_assertion(assertion_id)
    if not assertion.revoked:
        assertion.revoked = True
        assertion.revocation_reason = reason.strip()
        assertion.revoked_at = utcnow()
        db.session.flush()
        if notify:
            notify_revocation(assertion, urls=urls)
    return assertion


def normalized_addresses(
    values: Sequence[str], field: str, *, single: str | None = None
) -> list[str]:
    """Return the distinct normalised addresses, in order; raise naming the bad one.

    The error names ``field[index]``, or ``single`` when one address was sent on its own.
    """
    emails: dict[str, None] = {}
    for index, raw in enumerate(values):
        try:
            emails[normalize_email(raw)] = None
        except InvalidEmailError as error:
            name = single if single and len(values) == 1 else f"{field}[{index}]"
            raise InvalidInputError(f"{name}: {error}", name) from None
    if not emails:
        raise InvalidInputError(f"{field} needs at least one e-mail address", field)
    return list(emails)


def ensure_learners(names: Mapping[str, str | None], now: datetime) -> dict[str, uuid.UUID]:
    """Return the user id of every normalised address, creating learner accounts as needed.

    ``names`` maps each address to the display name for a new account (None: from the
    address). Safe against a concurrent request creating the same learner.
    """
    emails = list(names)
    found = find_user_ids(emails)
    missing: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "email": email,
            "name": names[email] or default_name(email),
            "role": "learner",
            "created_at": now,
        }
        for email in emails
        if email not in found
    ]
    if missing:
        insert_rows(User, missing, unique=("email",))
        found.update(find_user_ids([row["email"] for row in missing]))
    return found


def held_badge_ids(user_id: uuid.UUID) -> set[uuid.UUID]:
    """The badges a person holds now (unrevoked awards)."""
    held = db.session.scalars(
        select(Assertion.badge_id)
        .where(Assertion.recipient_id == user_id, Assertion.revoked.is_(False))
        .distinct()
    )
    return set(held)


def current_awards(badge_id: uuid.UUID, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Assertion]:
    """Return each recipient's oldest unrevoked award of this badge."""
    held: dict[uuid.UUID, Assertion] = {}
    for part in value_lists(user_ids):
        awards = db.session.scalars(_CURRENT.current(), {"badge_id": badge_id, "user_ids": part})
        for award in awards:
            kept = held.get(award.recipient_id)
            if kept is None or (award.created_at, award.id) < (kept.created_at, kept.id):
                held[award.recipient_id] = award
    return held


def find_user_ids(emails: Sequence[str]) -> dict[str, uuid.UUID]:
    """Return the ids of the users with these normalised addresses (unknown ones are left out)."""
    found: dict[str, uuid.UUID] = {}
    for part in value_lists(emails):
        rows = db.session.execute(_USER_IDS.current(), {"emails": part})
        found.update({email: user_id for email, user_id in rows})
    return found


# Built once: awarding runs them for every call (see batches.PerDialect).
_CURRENT = PerDialect(
    # Unordered: an ORDER BY lets the planner walk the badge's awards by date instead of
    # looking up these recipients, which grows with the badge. Few rows: sorted by the caller.
    lambda dialect: select(Assertion).where(
        Assertion.badge_id == bindparam("badge_id"),
        any_of(Assertion.recipient_id, dialect, "user_ids"),
        Assertion.revoked.is_(False),
    )
)
_users = User.__table__.c  # a Core statement costs half: see completions' statements
_USER_IDS = PerDialect(
    lambda dialect: select(_users.email, _users.id).where(any_of(_users.email, dialect, "emails"))
)
