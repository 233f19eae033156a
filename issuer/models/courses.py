"""Courses made of ordered stages, and the record of who completed what."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from issuer.extensions import Base
from issuer.models.badges import Assertion, BadgeClass
from issuer.models.types import UTCDateTime, utcnow
from issuer.models.users import User


class Course(Base):
    """A course: stages to complete in order, each of which may earn a badge."""

    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # Awarded when a learner has completed every stage.
    completion_badge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("badge_classes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    completion_badge: Mapped[BadgeClass | None] = relationship()
    stages: Mapped[list[Stage]] = relationship(
        back_populates="course", order_by="Stage.position", cascade="all, delete-orphan"
    )


class Stage(Base):
    """One step of a course, at a position in its order, perhaps with a badge."""

    __tablename__ = "course_stages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(500))
    badge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("badge_classes.id"))

    course: Mapped[Course] = relationship(back_populates="stages")
    badge: Mapped[BadgeClass | None] = relationship()


class Enrolment(Base):
    """A learner's progress through a course; its row serialises their completions."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once, when the last stage is completed; the course badge follows from it.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completion_assertion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assertions.id"))

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship()
    completion_assertion: Mapped[Assertion | None] = relationship()


class StageCompletion(Base):
    """That a learner completed a stage: when, who reported it, from where, and what it earned.

    The unique (stage, learner) pair is what makes completing a stage twice, even from two
    requests at once, award its badge only once.
    """

    __tablename__ = "stage_completions"
    __table_args__ = (
        UniqueConstraint("stage_id", "user_id"),
        Index("ix_stage_completions_course_user", "course_id", "user_id"),
        Index("ix_stage_completions_course_recorded", "course_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course_stages.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # When the learner completed the stage (as reported), and when we heard of it.
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the report came from: "api" or "studio", the account that sent it, its address.
    source: Mapped[str] = mapped_column(String(16))
    reported_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # The award this completion earned, or the one the learner already held.
    assertion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assertions.id"))

    stage: Mapped[Stage] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    assertion: Mapped[Assertion | None] = relationship()
