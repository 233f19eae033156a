"""Telling people about their awards: in-platform notifications and the e-mail about them.

Both are written in the award's transaction: the notifications as rows the recipient reads in
the platform, the e-mails as outbox rows (issuer.services.outbox) sent after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from markupsafe import Markup, escape
from sqlalchemy import CursorResult, Table, func, select, update
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Issuer, Notification, User
from issuer.models.types import utcnow
from issuer.openbadges.urls import PublicUrls
from issuer.services import outbox
from issuer.services.batches import among, chunks
from issuer.services.grants import GrantKey
from issuer.services.wallet import WalletLinks, email_links


def notify_awards(awards: Sequence[Assertion], *, urls: PublicUrls, grant_key: GrantKey) -> None:
    """Notify each award's recipient in the platform and queue an e-mail to them; flush.

    Written with one bulk INSERT per table, so a 10,000-recipient award stays fast.
    """
    if not awards:
        return
    badges = _wording_by_badge({award.badge_id for award in awards})
    names = _user_names({award.recipient_email for award in awards})
    now = utcnow()
    # Core inserts on the tables: the ORM's bulk path costs a third more for 10,000 rows.
    notifications = [
        {
            "id": uuid.uuid4(),
            "user_id": award.recipient_id,
            "assertion_id": award.id,
            "message": badges[award.badge_id].message,
        }
        for award in awards
    ]
    # read_at stays NULL: unread.
    outbox.insert_rows(cast(Table, Notification.__table__), notifications, {"created_at": now})
    links = email_links([(a.id, badges[a.badge_id].issuer_id) for a in awards], urls, grant_key)
    outbox.enqueue(
        (_email(award, badges, names, urls, links[award.id]) for award in awards), now=now
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
    names: dict[str, str],
    urls: PublicUrls,
    wallet: WalletLinks,
) -> outbox.Email:
    # New awards carry their account's current address, so the name is found by it.
    name = names.get(award.recipient_email) or award.recipient_email
    return award_email(award, badges[award.badge_id], name, urls, wallet)


def award_email(
    award: Assertion, badge: _Wording, name: str, urls: PublicUrls, wallet: WalletLinks
) -> outbox.Email:
    """The e-mail telling a recipient (called ``name``) about their award, with a one-time
    link that adds it to a wallet."""
    link = urls.assertion(award.id)
    until = f"{wallet.expires_at:%d %B %Y}"
    return outbox.Email(
        to_address=award.recipient_email,
        subject=badge.subject,
        body_text=_email_text(name, badge, link, wallet.https_link, until),
        body_html=_email_html(escape(name), badge, escape(link), escape(wallet.https_link), until),
    )


@dataclass(frozen=True)
class _Wording:
    """What every award of one badge says, escaped for HTML once rather than per award."""

    name: str
    issuer: str
    issuer_id: uuid.UUID
    name_html: Markup
    issuer_html: Markup
    message: str
    subject: str


def _email_text(name: str, badge: _Wording, link: str, wallet: str, until: str) -> str:
    return (
        f"Hello {name},\n\n"
        f"You received the badge “{badge.name}” from {badge.issuer}.\n\n"
        f"See your award: {link}\n\n"
        f"Add it to your wallet (open this on the phone with the Learner Credential Wallet; "
        f"the link works once, until {until}):\n{wallet}\n"
    )


def _email_html(name: Markup, badge: _Wording, link: Markup, wallet: Markup, until: str) -> str:
    # Every argument is escaped already (until is a date): f-strings keep Markup's text as is.
    return (
        "<!DOCTYPE html>\n<html>\n<body>\n"
        f"<p>Hello {name},</p>\n"
        f"<p>You received the badge “<strong>{badge.name_html}</strong>” "
        f"from {badge.issuer_html}.</p>\n"
        f'<p><a href="{link}">See your award</a></p>\n'
        f'<p><a href="{wallet}">Add it to your wallet</a> (open this on the phone with the '
        f"Learner Credential Wallet; the link works once, until {until}).</p>\n"
        "</body>\n</html>\n"
    )


def _wording_by_badge(badge_ids: set[uuid.UUID]) -> dict[uuid.UUID, _Wording]:
    rows = db.session.execute(
        select(BadgeClass.id, BadgeClass.name, Issuer.name, Issuer.id)
        .join(Issuer, BadgeClass.issuer_id == Issuer.id)
        .where(BadgeClass.id.in_(badge_ids))
    )
    return {
        badge_id: wording(badge, issuer, issuer_id) for badge_id, badge, issuer, issuer_id in rows
    }


def wording(badge: str, issuer: str, issuer_id: uuid.UUID) -> _Wording:
    """What an award of this badge from this issuer says, in the platform and by e-mail."""
    return _Wording(
        name=badge,
        issuer=issuer,
        issuer_id=issuer_id,
        name_html=escape(badge),
        issuer_html=escape(issuer),
        message=f"You received the badge “{badge}” from {issuer}.",
        # Header values may not contain line breaks.
        subject=f"You received the badge “{' '.join(badge.split())}”",
    )


def mark_queued() -> None:
    """Note that this transaction queued e-mail, so that it is sent after the commit."""
    db.session.info[outbox.QUEUED] = True


def _user_names(emails: set[str]) -> dict[str, str]:
    """The display name of each address's account (by address: no UUIDs to parse)."""
    names: dict[str, str] = {}
    for addresses in among(User.email, list(emails)):
        rows = db.session.execute(select(User.email, User.name).where(addresses))
        names.update({email: name for email, name in rows})
    return names


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount
