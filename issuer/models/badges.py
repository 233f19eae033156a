"""Issuers, badge classes, their images and the assertions (awards) made from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.extensions import Base
from issuer.models.types import UTCDateTime, utcnow
from issuer.models.users import User


class Image(Base):
    """An uploaded, checked PNG or SVG image, stored byte for byte."""

    __tablename__ = "images"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    media_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Issuer(Base):
    """An organisation that issues badges (an Open Badges issuer Profile)."""

    __tablename__ = "issuers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(2048))
    email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    image_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("images.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    image: Mapped[Image | None] = relationship()
    badges: Mapped[list[BadgeClass]] = relationship(back_populates="issuer")


class BadgeClass(Base):
    """A badge that can be awarded: what it is, who issues it and how to earn it."""

    __tablename__ = "badge_classes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    image_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("images.id"))
    criteria_narrative: Mapped[str | None] = mapped_column(Text)
    criteria_url: Mapped[str | None] = mapped_column(String(2048))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    alignment: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    private: Mapped[bool] = mapped_column(default=False)
    # Whether awards of this badge appear in the feed (flair may be awarded quietly).
    post_to_feed: Mapped[bool] = mapped_column(default=True)
    # Archived badges take no new awards; awards already made stay valid.
    archived: Mapped[bool] = mapped_column(default=False)
    expires_after_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    issuer: Mapped[Issuer] = relationship(back_populates="badges")
    image: Mapped[Image] = relationship()


# Which awards count as "the award a recipient holds": at most one such award per badge and
# recipient. An ON CONFLICT clause must name this predicate exactly to hit the index.
CURRENT_AWARD = "revoked = false AND duplicate = false"
# Awards that appear in the feed, and revoked awards, as partial index predicates per
# database. Written exactly as SQLAlchemy renders the queries' filters
# (``Assertion.revoked.is_(False)``): SQLite uses a partial index only on a textual match.
FEED_AWARD = {
    "sqlite": "revoked IS 0 AND hidden IS 0 AND in_feed IS 1",
    "postgresql": "revoked IS false AND hidden IS false AND in_feed IS true",
}
REVOKED_AWARD = {"sqlite": "revoked IS 1", "postgresql": "revoked IS true"}


class Assertion(Base):
    """One award of a badge to one recipient."""

    __tablename__ = "assertions"
    __table_args__ = (
        Index("ix_assertions_badge_recipient", "badge_id", "recipient_id"),
        # Two requests racing to award the same badge to the same person cannot both succeed.
        Index(
            "uq_assertions_current",
            "badge_id",
            "recipient_id",
            unique=True,
            sqlite_where=text(CURRENT_AWARD),
            postgresql_where=text(CURRENT_AWARD),
        ),
        Index("ix_assertions_badge_created", "badge_id", "created_at", "id"),
        # Each OB 3.0 credential owns one bit of one status list.
        Index("ix_assertions_status", "status_list", "status_index", unique=True),
        # The lists that read a small part of the table, whatever its size: the feed (newest
        # current awards) and revocation and status lists (revoked awards only, by badge).
        # ``revoked`` is in the keys too, redundant as it is, so that SQLite (which weighs
        # indexes by the terms they match) prefers these to the badge's index of all awards.
        Index(
            "ix_assertions_feed",
            "created_at",
            "id",
            sqlite_where=text(FEED_AWARD["sqlite"]),
            postgresql_where=text(FEED_AWARD["postgresql"]),
        ),
        Index(
            "ix_assertions_revoked",
            "badge_id",
            "revoked",
            "revoked_at",
            "id",
            sqlite_where=text(REVOKED_AWARD["sqlite"]),
            postgresql_where=text(REVOKED_AWARD["postgresql"]),
        ),
        Index(
            "ix_assertions_status_revoked",
            "status_list",
            "revoked",
            "status_index",
            sqlite_where=text(REVOKED_AWARD["sqlite"]),
            postgresql_where=text(REVOKED_AWARD["postgresql"]),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    badge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("badge_classes.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    # The address as it was when awarded: the hosted identity hash must never change.
    recipient_email: Mapped[str] = mapped_column(String(320))
    salt: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[datetime] = mapped_column(UTCDateTime)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    narrative: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    revoked: Mapped[bool] = mapped_column(default=False)
    # Made with allow_duplicate: an extra award beside the one the recipient may hold, so the
    # one-current-award rule (uq_assertions_current) does not apply to it.
    duplicate: Mapped[bool] = mapped_column(default=False, server_default=false())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signed form, made once with the key current at the time; kept through key rotations.
    signed_jws: Mapped[str | None] = mapped_column(Text)
    signed_kid: Mapped[str | None] = mapped_column(String(64))
    # The learner may hide an award from their public profile; it stays valid.
    hidden: Mapped[bool] = mapped_column(default=False)
    # Posted to the feed when it was made: the person awarding it, the badge and the site's
    # setting all allowed it. Later changes to those settings leave earlier posts as they are.
    in_feed: Mapped[bool] = mapped_column(default=True)
    # The OB 3.0 credential (a VC-JWT), made once on first request like the signed form, and
    # the status list bit that revokes it.
    credential_jwt: Mapped[str | None] = mapped_column(Text)
    credential_kid: Mapped[str | None] = mapped_column(String(64))
    status_list: Mapped[int | None]
    status_index: Mapped[int | None]
    # The same credential as JSON-LD with a Data Integrity proof (eddsa-rdfc-2022) by the
    # issuer's did:web, made once on first request; it shares the status list position.
    credential_ld: Mapped[str | None] = mapped_column(Text)

    badge: Mapped[BadgeClass] = relationship()
    recipient: Mapped[User] = relationship()


class SpentWalletGrant(Base):
    """A one-time wallet grant that was spent (issuer.services.grants): the SHA-256 of its
    secret, which award it gave, when and to whom. Unspent grants are stored nowhere."""

    __tablename__ = "spent_wallet_grants"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A grant goes with its award (which the app never deletes, but a database admin may).
    assertion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assertions.id", ondelete="CASCADE"), index=True
    )
    spent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The wallet holder's DID the credential was issued to.
    holder: Mapped[str] = mapped_column(String(2048))


class BadgeTally(Base):
    """How many awards a badge has, and how many of them are revoked.

    Kept by database triggers (migration 0008) on every insert, revocation and delete of an
    assertion, whoever makes it; the app only reads it, so lists never count awards.
    """

    __tablename__ = "badge_tallies"

    badge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("badge_classes.id"), primary_key=True)
    awarded: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[int] = mapped_column(BigInteger)


class StatusAllocator(Base):
    """Hands out OB 3.0 status list entries: one row, a counter and the secret that shuffles it."""

    __tablename__ = "status_allocator"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seed: Mapped[bytes] = mapped_column(LargeBinary(32))
    next_number: Mapped[int] = mapped_column(BigInteger)


class CsvUpload(Base):
    """A CSV file of recipients uploaded in the Studio, kept from its preview to its award."""

    __tablename__ = "csv_uploads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    badge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("badge_classes.id"), index=True)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set in the transaction that makes the awards, so a file is never awarded twice.
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)

    badge: Mapped[BadgeClass] = relationship()
