"""Courses and their stages: creating, changing and listing them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from issuer.extensions import db
from issuer.models import BadgeClass, Course, Stage, StageCompletion
from issuer.models.types import utcnow
from issuer.services.awards import archived_error
from issuer.services.changes import UNSET, Unset
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError

MAX_STAGES = 200


@dataclass
class StageDraft:
    """One stage of a course, in its place in the list; an existing stage carries its id."""

    name: str
    badge_id: uuid.UUID | None = None
    # Keeps an existing stage, with its completions; None makes a new one.
    id: uuid.UUID | None = None


@dataclass
class CourseChanges:
    """Changes to a course; a field left UNSET stays as it is."""

    name: str | Unset = UNSET
    # None removes the description, or the badge for completing the course.
    description: str | Unset | None = UNSET
    completion_badge_id: uuid.UUID | Unset | None = UNSET
    # The full new list: stages matched by id keep their completions, the others are removed.
    stages: Sequence[StageDraft] | Unset = UNSET


@dataclass
class CourseDraft:
    """The fields of a new course, its stages in the order learners take them."""

    name: str
    stages: Sequence[StageDraft]
    description: str | None = None
    completion_badge_id: uuid.UUID | None = None

    def changes(self) -> CourseChanges:
        """Every field as a change: what a new course gets, or a form that shows them all."""
        return CourseChanges(
            name=self.name,
            description=self.description,
            completion_badge_id=self.completion_badge_id,
            stages=self.stages,
        )


def create_course(draft: CourseDraft) -> Course:
    """Create a course with its stages in the order given."""
    course = Course()
    # A new course is every field changed at once: one place trims and checks them.
    _apply(course, draft.changes())
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course_id: uuid.UUID, changes: CourseChanges) -> Course:
    """Change the given fields; ``stages`` replaces the list, matching existing ones by id."""
    course = get_course(course_id)
    _apply(course, changes)
    course.updated_at = utcnow()
    db.session.flush()
    return course


def get_course(course_id: uuid.UUID) -> Course:
    """Return a course with its stages, or raise NotFoundError."""
    course = db.session.get(
        Course,
        course_id,
        options=[
            joinedload(Course.stages).joinedload(Stage.badge),
            joinedload(Course.completion_badge),
        ],
    )
    if course is None:
        raise NotFoundError(f"no course with id {course_id}")
    return course


def list_courses() -> list[Course]:
    """Return every course with its stages, oldest first."""
    return list(
        db.session.scalars(
            select(Course)
            .options(
                selectinload(Course.stages).joinedload(Stage.badge),
                joinedload(Course.completion_badge),
            )
            .order_by(Course.created_at, Course.id)
        ).unique()
    )


def _apply(course: Course, changes: CourseChanges) -> None:
    if changes.name is not UNSET:
        course.name = changes.name.strip()
        if not course.name:
            raise InvalidInputError("name may not be blank", "name")
    if changes.description is not UNSET:
        course.description = (changes.description or "").strip() or None
    if changes.completion_badge_id is not UNSET:
        badge_id = changes.completion_badge_id
        course.completion_badge = (
            _earnable_badge(badge_id, "completion_badge") if badge_id is not None else None
        )
    if changes.stages is not UNSET:
        _replace_stages(course, changes.stages)


def _replace_stages(course: Course, drafts: Sequence[StageDraft]) -> None:
    if not drafts:
        raise InvalidInputError("a course needs at least one stage", "stages")
    if len(drafts) > MAX_STAGES:
        raise InvalidInputError(f"a course has at most {MAX_STAGES} stages", "stages")
    current = {stage.id: stage for stage in course.stages}
    stages: list[Stage] = []
    for index, draft in enumerate(drafts):
        # Errors name the stage by its place in the list, as callers number them too.
        field = f"stages[{index}]"
        if draft.id is not None:
            stage = current.get(draft.id)
            if stage is None or stage in stages:
                raise InvalidInputError(
                    f"{field}.id: the course has no stage with id {draft.id}", f"{field}.id"
                )
        else:
            stage = Stage()
        stage.name = draft.name.strip()
        if not stage.name:
            raise InvalidInputError(f"{field}.name may not be blank", f"{field}.name")
        stage.badge = (
            _earnable_badge(draft.badge_id, f"{field}.badge")
            if draft.badge_id is not None
            else None
        )
        stage.position = index
        stages.append(stage)
    removed = [stage for stage in current.values() if stage not in stages]
    if removed:
        completed = db.session.scalar(
            select(Stage.name)
            .join(StageCompletion, StageCompletion.stage_id == Stage.id)
            .where(Stage.id.in_([stage.id for stage in removed]))
            .limit(1)
        )
        if completed is not None:
            raise ConflictError(
                f"the stage {completed!r} has completions and cannot be removed; "
                "keep it (renaming it is fine)",
                "stages",
            )
    course.stages = stages


def _earnable_badge(badge_id: uuid.UUID, field: str) -> BadgeClass:
    badge = db.session.get(BadgeClass, badge_id)
    if badge is None:
        raise InvalidInputError(f"{field}: no badge with id {badge_id}", field)
    if badge.private:
        raise InvalidInputError(
            f"{field}: the badge {badge.name!r} is private; private badges are awarded by hand "
            "only and cannot be earned through a course",
            field,
        )
    if badge.archived:
        raise archived_error(badge.name, field)
    return badge
