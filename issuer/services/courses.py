"""Courses and their stages: creating, changing and listing them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from issuer.extensions import db
from issuer.models import BadgeClass, Course, Stage, StageCompletion
from issuer.models.types import utcnow
from issuer.services.awards import archived_error
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError

MAX_STAGES = 200


def create_course(fields: Mapping[str, Any]) -> Course:
    """Create a course from validated API fields, with its stages in the order given."""
    course = Course(name=fields["name"].strip())
    _apply(course, fields)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course_id: uuid.UUID, fields: Mapping[str, Any]) -> Course:
    """Change the given fields; ``stages`` replaces the list, matching existing ones by id."""
    course = get_course(course_id)
    _apply(course, fields)
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


def _apply(course: Course, fields: Mapping[str, Any]) -> None:
    if "name" in fields:
        course.name = fields["name"].strip()
        if not course.name:
            raise InvalidInputError("name may not be blank", "name")
    if "description" in fields:
        course.description = (fields["description"] or "").strip() or None
    if "completion_badge" in fields:
        badge_id = fields["completion_badge"]
        course.completion_badge = (
            _earnable_badge(badge_id, "completion_badge") if badge_id else None
        )
    if "stages" in fields:
        _replace_stages(course, fields["stages"])


def _replace_stages(course: Course, specs: Sequence[Mapping[str, Any]]) -> None:
    if not specs:
        raise InvalidInputError("a course needs at least one stage", "stages")
    if len(specs) > MAX_STAGES:
        raise InvalidInputError(f"a course has at most {MAX_STAGES} stages", "stages")
    current = {stage.id: stage for stage in course.stages}
    stages: list[Stage] = []
    for index, spec in enumerate(specs):
        field = f"stages[{index}]"
        if spec.get("id"):
            stage_id = _uuid(spec["id"], f"{field}.id")
            stage = current.get(stage_id)
            if stage is None or stage in stages:
                raise InvalidInputError(
                    f"{field}.id: the course has no stage with id {spec['id']}", f"{field}.id"
                )
        else:
            stage = Stage()
        stage.name = spec["name"].strip()
        if not stage.name:
            raise InvalidInputError(f"{field}.name may not be blank", f"{field}.name")
        badge_id = spec.get("badge")
        stage.badge = _earnable_badge(badge_id, f"{field}.badge") if badge_id else None
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


def _earnable_badge(value: str, field: str) -> BadgeClass:
    badge = db.session.get(BadgeClass, _uuid(value, field))
    if badge is None:
        raise InvalidInputError(f"{field}: no badge with id {value}", field)
    if badge.private:
        raise InvalidInputError(
            f"{field}: the badge {badge.name!r} is private; private badges are awarded by hand "
            "only and cannot be earned through a course",
            field,
        )
    if badge.archived:
        raise archived_error(badge.name, field)
    return badge


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError(f"{field}: {value!r} is not a valid id", field) from None
