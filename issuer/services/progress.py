"""Learners' progress through courses: each learner's, and each course's counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from issuer.extensions import db
from issuer.models import BadgeClass, Course, Enrolment, Stage, StageCompletion


@dataclass(frozen=True)
class Progress:
    """A learner's progress through one course, for their profile."""

    course: Course
    done: int
    total: int
    completed_at: datetime | None
    next_stage: Stage | None
    # The next badge to earn by going on: a later stage's badge or the course badge.
    next_badge: BadgeClass | None
    # The stage that earns next_badge; None when it is the course badge.
    next_badge_stage: Stage | None = None


def course_progress(user_id: uuid.UUID) -> list[Progress]:
    """Return the learner's progress in every course they have started, most recent first."""
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user_id)
        .options(
            joinedload(Enrolment.course).selectinload(Course.stages).joinedload(Stage.badge),
            joinedload(Enrolment.course).joinedload(Course.completion_badge),
        )
        .order_by(Enrolment.started_at.desc())
    ).unique()
    done_stages = set(
        db.session.scalars(
            select(StageCompletion.stage_id).where(StageCompletion.user_id == user_id)
        )
    )
    progress = []
    for enrolment in enrolments:
        course = enrolment.course
        todo = [stage for stage in course.stages if stage.id not in done_stages]
        badge_stage = next((stage for stage in todo if stage.badge is not None), None)
        next_badge = badge_stage.badge if badge_stage else None
        if next_badge is None and enrolment.completed_at is None:
            next_badge = course.completion_badge
        progress.append(
            Progress(
                course=course,
                done=len(course.stages) - len(todo),
                total=len(course.stages),
                completed_at=enrolment.completed_at,
                next_stage=todo[0] if todo else None,
                next_badge=next_badge,
                next_badge_stage=badge_stage,
            )
        )
    return progress


def count_learners(course_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """Return, per course, how many learners started it and how many finished it."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(
            Enrolment.course_id,
            func.count(),
            func.count(Enrolment.completed_at),
        )
        .where(Enrolment.course_id.in_(course_ids))
        .group_by(Enrolment.course_id)
    )
    return {course_id: (started, finished) for course_id, started, finished in rows}
