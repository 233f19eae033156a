"""People (admins and learners) and their API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.extensions import Base
from issuer.models.types import UTCDateTime, utcnow

ROLES = ("admin", "learner")


class User(UserMixin, Base):  # type: ignore[misc]  # flask_login is untyped
    """A person: an admin who runs the issuer, or a learner who receives badges."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'learner')", name="role"),
        # The people list (by name) and the API's user list (oldest first), a page at a time.
        Index("ix_users_name_email", "name", "email"),
        Index("ix_users_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored normalised (trimmed, lower-cased), so lookups and uniqueness ignore case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(16), default="learner")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A deactivated account cannot log in or use its API tokens; its awards stay valid.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    @property
    def is_admin(self) -> bool:
        """Whether this user may use the admin API and the Studio."""
        return self.role == "admin"

    @property
    def is_active(self) -> bool:
        """Whether the account may log in (Flask-Login refuses inactive users)."""
        return self.active


class ApiToken(Base):
    """An API bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Tally(Base):
    """A site-wide count kept by database triggers (migration 0008): ``users``, for now."""

    __tablename__ = "tallies"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
