"""Telling people about their awards: in-platform notifications and the e-mail about them.

Both are written in the award's transaction: the notifications as rows the recipient reads in
the platform, the e-mails as outbox rows (issuer.services.outbox) sent after the commit.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from flask import render_template
from markupsafe import escape
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Issuer, Notification, User
from issuer.models.types import utcnow
from issuer.openbadges.urls import PublicUrls
from issuer.services import accounts, outbox
from issuer.services.batches import PerDialect, any_of, chunks, insert_rows, value_lists
from issuer.services.signing import Signer
from issuer.services.wallet import WalletLinks, email_links


def notify_awards(awards: Sequence[Assertion], signer: Signer) -> None:
    """Notify each award's recipient in the platform and queue an e-mail to them; flush.

    Written with one bulk INSERT per table, so a 10,000-recipient award stays fast.
    """
    if not awards:
        return
    badges = _wording_by_badge({award.badge_id for award in awards})
    urls = signer.urls
    recipients = _recipients({award.recipient_email for award in awards})
    now = utcnow()
    notifications = [
        {
            "id": uuid.uuid4(),
            "user_id": award.recipient_id,
            "assertion_id": award.id,
            "message": badges[award.badge_id].message,
            "created_at": now,
        }
        for award in awards
    ]
    insert_rows(Notification, notifications)  # read_at stays NULL: unread
    links = email_links(
        [(a.id, badges[a.badge_id].issuer_id) for a in awards], urls, signer.grant_key
    )
    outbox.enqueue(
        (_email(award, badges, recipients, signer, links[award.id]) for award in awards),
        now=now,
    )
    db.session.flush()


def notify_revocation(assertion: Assertion, *, urls: PublicUrls) -> None:
    """Tell an award's recipient, in the platform and by e-mail, that it was revoked and why;
    flush."""
    badge = assertion.badge
    issuer = badge.issuer
    reason = assertion.revocation_reason or "no reason was given"
    message = f"{issuer.name} revoked your badge “{badge.name}”: {reason}"
    db.session.add(
        Notification(user_id=assertion.recipient_id, assertion_id=assertion.id, message=message)
    )
    name = assertion.recipient.name or assertion.recipient_email
    values = {
        "name": name,
        "badge": badge.name,
        "issuer": issuer.name,
        "issuer_email": issuer.email,
        "reason": reason,
        "award_link": urls.assertion(assertion.id),
    }
    outbox.enqueue(
        [
            outbox.Email(
                to_address=assertion.recipient_email,
                subject=f"Your badge “{' '.join(badge.name.split())}” was revoked",
                body_text=render_template("emails/revoked.txt", **values),
                body_html=render_template("emails/revoked.html", **values),
            )
        ]
    )
    db.session.flush()


def unread_count(user_id: uuid.UUID) -> int:
    """How many of a user's notifications are unread."""
    count = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return count or 0


def list_notifications(user_id: uuid.UUID, *, limit: int = 50) -> list[Notification]:
    """A user's newest notifications, newest first, with each award and its badge loaded."""
    found = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .options(joinedload(Notification.assertion).joinedload(Assertion.badge))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(found)


def mark_read(user_id: uuid.UUID, notification_ids: Sequence[uuid.UUID] | None) -> int:
    """Mark a user's notifications as read (the given ones, or all with None).

    Ids of other users' notifications are ignored. Returns how many changed from unread.
    """
    now = utcnow()
    unread = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_ids is None:
        return _rowcount(db.session.execute(unread.values(read_at=now)))
    changed = 0
    for chunk in chunks(list(dict.fromkeys(notification_ids))):
        statement = unread.where(Notification.id.in_(chunk)).values(read_at=now)
        changed += _rowcount(db.session.execute(statement))
    return changed


def _email(
    award: Assertion,
    badges: dict[uuid.UUID, _Wording],
    recipients: dict[str, _Recipient],
    signer: Signer,
    wallet: WalletLinks,
) -> outbox.Email:
    # New awards carry their account's current address, so the account is found by it.
    found = recipients.get(award.recipient_email)
    name = found.name if found else award.recipient_email
    join = (
        accounts.join_link(
            found.id, found.password_hash, found.active, signer.urls, signer.account_key
        )
        if found
        else None
    )
    return award_email(award, badges[award.badge_id], name, signer.urls, wallet, join)


def award_email(
    award: Assertion,
    badge: _Wording,
    name: str,
    urls: PublicUrls,
    wallet: WalletLinks,
    join_link: str | None = None,
) -> outbox.Email:
    """The e-mail telling a recipient (called ``name``) about their award, with a one-time
    link that adds it to a wallet and, for someone who never set a password, one that sets
    it: text and HTML, from templates/emails/award.*."""
    shared = (badge.name, badge.issuer, urls.badge_image(badge.badge_id))
    until = f"{wallet.expires_at:%d %B %Y}"
    joining = join_link is not None
    link = urls.assertion(award.id)
    text = {
        "name": name,
        "award_link": link,
        "wallet_link": wallet.https_link,
        "join_link": join_link or "",
    }
    return outbox.Email(
        to_address=award.recipient_email,
        subject=badge.subject,
        body_text=_fill(_layout("emails/award.txt", *shared, until, joining), text),
        body_html=_fill(
            _layout("emails/award.html", *shared, until, joining),
            {slot: escape(value) for slot, value in text.items()},
        ),
    )


# What differs between the recipients of one badge is filled into a template rendered once per
# badge (10,000 renderings would cost a third of a large award): private-use characters mark
# the places, which no escaping touches.
_SLOTS = ("name", "award_link", "wallet_link", "join_link")
_SLOT = re.compile("\ue000(" + "|".join(_SLOTS) + ")\ue000")


@functools.lru_cache(maxsize=256)
def _layout(
    template: str, badge: str, issuer: str, image: str, until: str, joining: bool
) -> tuple[str, ...]:
    """A template rendered for one badge: text, slot name, text, slot name, ..., text."""
    slots = {slot: f"\ue000{slot}\ue000" for slot in _SLOTS}
    if not joining:
        slots["join_link"] = ""
    rendered = render_template(
        template, badge=badge, issuer=issuer, image=image, until=until, **slots
    )
    return tuple(_SLOT.split(rendered))


def _fill(parts: tuple[str, ...], values: Mapping[str, str]) -> str:
    return "".join(values[part] if index % 2 else part for index, part in enumerate(parts))


@dataclass(frozen=True)
class _Wording:
    """What every award of one badge says."""

    badge_id: uuid.UUID
    name: str
    issuer: str
    issuer_id: uuid.UUID
    message: str
    subject: str


def _wording_by_badge(badge_ids: set[uuid.UUID]) -> dict[uuid.UUID, _Wording]:
    rows = db.session.execute(_WORDING.current(), {"badge_ids": list(badge_ids)})
    return {
        badge_id: wording(badge_id, badge, issuer, issuer_id)
        for badge_id, badge, issuer, issuer_id in rows
    }


def wording(badge_id: uuid.UUID, badge: str, issuer: str, issuer_id: uuid.UUID) -> _Wording:
    """What an award of this badge from this issuer says, in the platform and by e-mail."""
    return _Wording(
        badge_id=badge_id,
        name=badge,
        issuer=issuer,
        issuer_id=issuer_id,
        message=f"You received the badge “{badge}” from {issuer}.",
        # Header values may not contain line breaks.
        subject=f"You received the badge “{' '.join(badge.split())}”",
    )


@dataclass(frozen=True)
class _Recipient:
    """What an award e-mail needs of its recipient's account."""

    id: uuid.UUID
    name: str
    password_hash: str | None
    active: bool


def _recipients(emails: set[str]) -> dict[str, _Recipient]:
    """The account of each address (by address: no UUIDs to parse)."""
    found: dict[str, _Recipient] = {}
    for part in value_lists(list(emails)):
        rows = db.session.execute(_RECIPIENTS.current(), {"emails": part})
        for email, user_id, name, password_hash, active in rows:
            found[email] = _Recipient(user_id, name, password_hash, active)
    return found


# Every award runs them: built once (see batches.PerDialect), on the tables (a Core statement
# costs half; services flush, so nothing is pending). An award names few badges.
_badges, _issuers, _users = BadgeClass.__table__.c, Issuer.__table__.c, User.__table__.c
_WORDING = PerDialect(
    lambda dialect: (
        select(_badges.id, _badges.name, _issuers.name, _issuers.id)
        .select_from(BadgeClass.__table__.join(Issuer.__table__, _badges.issuer_id == _issuers.id))
        .where(any_of(_badges.id, dialect, "badge_ids"))
    )
)
_RECIPIENTS = PerDialect(
    lambda dialect: select(
        _users.email, _users.id, _users.name, _users.password_hash, _users.active
    ).where(any_of(_users.email, dialect, "emails"))
)


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount
